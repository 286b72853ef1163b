/**
 * The presence load client: a child process (forked with an IPC channel) that plays many
 * subscribers over real UDP on 127.0.0.1. Each socket is one phone with its own port; each
 * subscription its own Call-ID. It sends SUBSCRIBEs from raw templates (answering a 401 with
 * digest credentials computed by core/sip/digest.ts), retransmits them on RFC 3261's non-INVITE
 * schedule (T1 = 500 ms doubling to T2 = 4 s), answers every NOTIFY 200 at once (retransmitted
 * ones included), and records set-up and change-to-NOTIFY latencies. An OPTIONS probe every
 * 20 ms measures how responsive the node stays under the load (its event loop is not
 * observable from outside).
 */
import dgram from 'node:dgram';
import { ControlClient } from '../../loader/control-socket.js';
import { answerChallenge } from '../../core/sip/digest.js';
import type {
  ClientCommand,
  ClientReply,
  FanoutCommand,
  FanoutResult,
  InitCommand,
  ProbeResult,
  ServerAddress,
  SubscribeCommand,
  SubscribeResult,
} from './protocol.js';
import { optionsText, responseTo, scanMessage, subscribeText, uniquePrefix, type ScannedMessage } from './sip-text.js';
import { percentiles } from './stats.js';

const T1 = 500;
const T2 = 4000;
const PROBE_INTERVAL_MS = 20;

interface Phone {
  index: number;
  socket: dgram.Socket;
  host: string;
  port: number;
}

const enum SubState {
  /** Waiting for the final response to the current SUBSCRIBE transaction. */
  Pending,
  /** 2xx received (the first NOTIFY may still be missing). */
  Accepted,
  Failed,
  /** Refused 503: waiting out Retry-After before trying again. */
  Waiting,
}

interface Sub {
  group: string;
  phone: Phone;
  user: string;
  exten: string;
  callId: string;
  fromTag: string;
  cseq: number;
  branch: string;
  text: string;
  authorized: boolean;
  state: SubState;
  t0: number;
  tFinal: number;
  tNotify: number;
  done: boolean;
  lastNotifyCseq: number;
  terminated: boolean;
}

interface RetxEntry {
  sub: Sub;
  branch: string;
  due: number;
  interval: number;
}

interface SubscribePhase {
  cmd: SubscribeCommand;
  sent: number;
  settled: number;
  completed: number;
  failures: Record<string, number>;
  retransmissions: number;
  retried503: number;
  latencies: number[];
  firstSend: number;
  lastSend: number;
  firstSettle: number;
  lastSettle: number;
  /** Subscriptions of this phase in send order (their deadlines fall in that order). */
  fifo: Sub[];
  fifoHead: number;
  resolve: (r: SubscribeResult) => void;
}

interface FanoutChange {
  t0: number;
  expected: number;
  received: number;
  last: number;
}

const now = (): number => performance.now();

class LoadClient {
  private server: ServerAddress = { host: '127.0.0.1', port: 0 };
  private phones: Phone[] = [];
  private readonly subs = new Map<string, Sub>();
  private readonly groups = new Map<string, Sub[]>();
  private readonly prefix = uniquePrefix();
  private serial = 0;
  /** Retransmission FIFOs, one per interval (500, 1000, 2000, 4000 ms): each is in due order. */
  private readonly retx: RetxEntry[][] = [[], [], [], []];
  private readonly retxHead = [0, 0, 0, 0];
  private phase: SubscribePhase | undefined;
  private change: FanoutChange | undefined;
  private fanoutGroup = '';
  private fanoutLatencies: number[] = [];
  private notifyDuplicates = 0;
  private terminatedCount = 0;
  private probeTimes = new Map<string, number>();
  private probeRtts: number[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;

  async init(c: InitCommand): Promise<{ ports: number[] }> {
    this.server = c.server;
    for (let i = 0; i < c.sockets; i++) {
      const socket = dgram.createSocket('udp4');
      // 127.1.x.y: the whole of 127/8 is local on Linux; y from 1 to 250 avoids .0 and .255.
      const host = c.addressPerSocket ? `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}` : '127.0.0.1';
      await new Promise<void>((r) => socket.bind(0, host, () => r()));
      if (c.recvBufferSize > 0) {
        socket.setRecvBufferSize(c.recvBufferSize);
        socket.setSendBufferSize(c.recvBufferSize);
      }
      // Connected: every datagram goes to and comes from the node's one port, and a connected
      // socket skips the per-send address resolution (about 40 % of a send's cost here).
      await new Promise<void>((r) => socket.connect(c.server.port, c.server.host, () => r()));
      const phone: Phone = { index: i, socket, host, port: socket.address().port };
      socket.on('message', (buf) => this.receive(phone, buf));
      socket.on('error', () => undefined);
      this.phones.push(phone);
    }
    this.tickTimer = setInterval(() => this.tick(), 10);
    return { ports: this.phones.map((p) => p.port) };
  }

  // ---- receiving ---------------------------------------------------------------------------

  private receive(phone: Phone, buf: Buffer): void {
    const m = scanMessage(buf);
    if (m === null) return;
    if (m.method === '') this.response(m);
    else if (m.method === 'NOTIFY') this.notify(phone, m);
    else phone.socket.send(responseTo(m, 405, 'Method Not Allowed'));
  }

  private response(m: ScannedMessage): void {
    if (m.cseqMethod === 'OPTIONS') {
      const t = this.probeTimes.get(m.callId);
      if (t !== undefined) {
        this.probeRtts.push(now() - t);
        this.probeTimes.delete(m.callId);
      }
      return;
    }
    const sub = this.subs.get(m.callId);
    if (sub === undefined || sub.state !== SubState.Pending || m.cseq !== sub.cseq || m.status < 200) return;
    if (m.status >= 200 && m.status < 300) {
      sub.state = SubState.Accepted;
      sub.tFinal = now();
      this.maybeComplete(sub);
      return;
    }
    const phase = this.phase;
    if (m.status === 503 && phase !== undefined && phase.cmd.retryAfter503 && sub.group === phase.cmd.group) {
      // A phone told to come back later does so: a new transaction (challenged again if need be).
      const after = Number.parseInt(/^retry-after\s*:\s*(\d+)/im.exec(m.raw)?.[1] ?? '1', 10);
      phase.retried503++;
      sub.state = SubState.Waiting;
      setTimeout(() => {
        if (sub.done || this.phase !== phase) return;
        sub.state = SubState.Pending;
        sub.authorized = false;
        sub.cseq++;
        this.transmit(sub);
      }, Math.max(1, after) * 1000);
      return;
    }
    const auth = phase?.cmd.auth;
    if (m.status === 401 && auth !== undefined && !sub.authorized) {
      const uri = `sip:${sub.exten}@${this.server.host}:${this.server.port}`;
      const answer = answerChallenge(m.challenges, { username: sub.user, password: auth.password, method: 'SUBSCRIBE', uri });
      if (answer !== null) {
        sub.authorized = true;
        sub.cseq++;
        this.transmit(sub, answer.value);
        return;
      }
    }
    this.fail(sub, String(m.status));
  }

  private notify(phone: Phone, m: ScannedMessage): void {
    const sub = this.subs.get(m.callId);
    if (sub === undefined) {
      phone.socket.send(responseTo(m, 481, 'Subscription Does Not Exist'));
      return;
    }
    phone.socket.send(responseTo(m));
    if (m.cseq <= sub.lastNotifyCseq) {
      this.notifyDuplicates++;
      return;
    }
    sub.lastNotifyCseq = m.cseq;
    const t = now();
    if (m.subscriptionState.startsWith('terminated')) {
      sub.terminated = true;
      this.terminatedCount++;
    }
    if (sub.tNotify === 0) {
      sub.tNotify = t;
      if (sub.terminated) this.fail(sub, 'terminated');
      else this.maybeComplete(sub);
      return;
    }
    const ch = this.change;
    if (ch !== undefined && sub.group === this.fanoutGroup) {
      this.fanoutLatencies.push(t - ch.t0);
      ch.received++;
      ch.last = t;
    }
  }

  // ---- subscribing -------------------------------------------------------------------------

  subscribe(cmd: SubscribeCommand): Promise<SubscribeResult> {
    if (this.phase !== undefined) throw new Error('a subscribe phase is already running');
    const cpu0 = process.cpuUsage();
    const probing = cmd.probe ? this.startProbe() : undefined;
    return new Promise<SubscribeResult>((resolve) => {
      const phase: SubscribePhase = {
        cmd,
        sent: 0,
        settled: 0,
        completed: 0,
        failures: {},
        retransmissions: 0,
        retried503: 0,
        latencies: [],
        firstSend: now(),
        lastSend: now(),
        firstSettle: 0,
        lastSettle: now(),
        fifo: [],
        fifoHead: 0,
        resolve: (r) => {
          this.phase = undefined;
          const probe = probing?.();
          const cpu = process.cpuUsage(cpu0);
          const wall = now() - phase.firstSend;
          resolve({ ...r, probe: probe ?? { ...percentiles([]), unanswered: 0 }, clientCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10 });
        },
      };
      this.phase = phase;
      const group = this.groups.get(cmd.group) ?? [];
      this.groups.set(cmd.group, group);
      if (cmd.total === 0) {
        this.finish(phase);
        return;
      }
      if (cmd.rate > 0) this.pace(phase);
      else for (let i = 0; i < Math.min(cmd.window, cmd.total); i++) this.startOne(phase);
    });
  }

  /** Open loop: item i leaves at (floor(i / batch) * batch) / rate seconds after the start. */
  private pace(phase: SubscribePhase): void {
    const { rate, batch, total } = phase.cmd;
    const t0 = now();
    const step = (): void => {
      if (this.phase !== phase) return;
      const elapsed = now() - t0;
      const batches = Math.floor((elapsed * rate) / 1000 / batch) + 1;
      const due = Math.min(total, batches * batch);
      while (phase.sent < due) this.startOne(phase);
      if (phase.sent < total) setTimeout(step, 1);
    };
    step();
  }

  private startOne(phase: SubscribePhase): void {
    const c = phase.cmd;
    const i = phase.sent++;
    const phoneIndex = c.perSocket > 0 ? Math.floor(i / c.perSocket) % this.phones.length : i % this.phones.length;
    const phone = this.phones[phoneIndex]!;
    const id = (this.serial++).toString(36);
    const sub: Sub = {
      group: c.group,
      phone,
      user: c.auth !== undefined ? `${c.auth.userPrefix}${phoneIndex}` : c.user,
      exten: String(c.extenBase + (i % c.extenCount)),
      callId: `${id}-${this.prefix}`,
      fromTag: `t${id}`,
      cseq: 1,
      branch: '',
      text: '',
      authorized: false,
      state: SubState.Pending,
      t0: now(),
      tFinal: 0,
      tNotify: 0,
      done: false,
      lastNotifyCseq: 0,
      terminated: false,
    };
    if (i === 0) phase.firstSend = sub.t0;
    phase.lastSend = sub.t0;
    this.subs.set(sub.callId, sub);
    this.groups.get(c.group)!.push(sub);
    phase.fifo.push(sub);
    this.transmit(sub);
  }

  /** Sends the sub's SUBSCRIBE in a new transaction (fresh branch) and schedules its retransmission. */
  private transmit(sub: Sub, authorization?: string): void {
    const c = this.phase!.cmd;
    sub.branch = `${sub.callId}.${sub.cseq}`;
    sub.text = subscribeText({
      exten: sub.exten,
      serverHost: this.server.host,
      serverPort: this.server.port,
      localHost: sub.phone.host,
      localPort: sub.phone.port,
      user: sub.user,
      fromTag: sub.fromTag,
      callId: sub.callId,
      cseq: sub.cseq,
      branch: sub.branch,
      event: c.event,
      accept: c.accept,
      expires: c.expires,
      ...(authorization !== undefined ? { authorization } : {}),
    });
    sub.phone.socket.send(sub.text);
    this.retx[0]!.push({ sub, branch: sub.branch, due: now() + T1, interval: T1 });
  }

  private maybeComplete(sub: Sub): void {
    const phase = this.phase;
    if (sub.done || sub.state !== SubState.Accepted || sub.tNotify === 0) return;
    sub.done = true;
    if (phase === undefined || sub.group !== phase.cmd.group) return;
    phase.completed++;
    phase.latencies.push(Math.max(sub.tFinal, sub.tNotify) - sub.t0);
    this.settled(phase);
  }

  private fail(sub: Sub, why: string): void {
    if (sub.done) return;
    sub.done = true;
    sub.state = SubState.Failed;
    const phase = this.phase;
    if (phase === undefined || sub.group !== phase.cmd.group) return;
    phase.failures[why] = (phase.failures[why] ?? 0) + 1;
    this.settled(phase);
  }

  private settled(phase: SubscribePhase): void {
    phase.settled++;
    phase.lastSettle = now();
    if (phase.settled === 1) phase.firstSettle = phase.lastSettle;
    if (phase.cmd.rate === 0 && phase.sent < phase.cmd.total) this.startOne(phase);
    if (phase.settled === phase.cmd.total) this.finish(phase);
  }

  private finish(phase: SubscribePhase): void {
    const failed = Object.values(phase.failures).reduce((a, b) => a + b, 0);
    phase.resolve({
      attempted: phase.sent,
      completed: phase.completed,
      failures: phase.failures,
      failed,
      retransmissions: phase.retransmissions,
      retried503: phase.retried503,
      notifyRetransmissions: this.notifyDuplicates,
      elapsedMs: Math.round(phase.lastSettle - phase.firstSend),
      sendMs: Math.round(phase.lastSend - phase.firstSend),
      settleMs: Math.round(phase.lastSettle - phase.firstSettle),
      latency: percentiles(phase.latencies),
      probe: { ...percentiles([]), unanswered: 0 },
      clientCpuPct: 0,
    });
  }

  /** Retransmissions due, and set-ups past their deadline. */
  private tick(): void {
    const t = now();
    const phase = this.phase;
    for (let level = 0; level < this.retx.length; level++) {
      const q = this.retx[level]!;
      let h = this.retxHead[level]!;
      while (h < q.length && q[h]!.due <= t) {
        const e = q[h++]!;
        const sub = e.sub;
        if (sub.state !== SubState.Pending || sub.branch !== e.branch || sub.done) continue;
        sub.phone.socket.send(sub.text);
        if (phase !== undefined && sub.group === phase.cmd.group) phase.retransmissions++;
        const interval = Math.min(e.interval * 2, T2);
        this.retx[Math.min(level + 1, this.retx.length - 1)]!.push({ sub, branch: e.branch, due: t + interval, interval });
      }
      if (h > 4096 && h * 2 > q.length) {
        q.splice(0, h);
        h = 0;
      }
      this.retxHead[level] = h;
    }
    if (phase !== undefined) {
      const deadline = phase.cmd.deadlineMs;
      while (phase.fifoHead < phase.fifo.length && phase.fifo[phase.fifoHead]!.t0 + deadline <= t) {
        const sub = phase.fifo[phase.fifoHead++]!;
        if (!sub.done) this.fail(sub, sub.state === SubState.Accepted ? 'no NOTIFY' : sub.state === SubState.Waiting ? '503, retry too late' : 'timeout');
        if (this.phase !== phase) return;
      }
    }
  }

  // ---- fan-out -----------------------------------------------------------------------------

  async fanout(cmd: FanoutCommand): Promise<FanoutResult> {
    const group = (this.groups.get(cmd.group) ?? []).filter((s) => s.done && s.state === SubState.Accepted && !s.terminated);
    const watchers = group.length;
    const cpu0 = process.cpuUsage();
    const t0 = now();
    const probing = cmd.probe ? this.startProbe() : undefined;
    let control: ControlClient | undefined;
    const trigger = cmd.trigger;
    if (trigger.kind === 'control') control = await ControlClient.connect(trigger.socketPath);
    const terminatedBefore = this.terminatedCount;
    const dupBefore = this.notifyDuplicates;
    this.fanoutGroup = cmd.group;
    this.fanoutLatencies = [];
    const drains: number[] = [];
    let incomplete = 0;
    let missing = 0;
    let notifies = 0;
    let busy = 0;
    const controlReplies: Array<Promise<unknown>> = [];
    for (let k = 0; k < cmd.changes; k++) {
      const ch: FanoutChange = { t0: now(), expected: watchers, received: 0, last: 0 };
      this.change = ch;
      if (trigger.kind === 'control') {
        controlReplies.push(control!.command(`devstate change ${trigger.device} ${trigger.states[k % 2]}`));
      } else {
        this.phones[0]!.socket.send(`FANOUT ${watchers}`);
      }
      const limit = ch.t0 + cmd.timeoutMs;
      while (ch.received < ch.expected && now() < limit) await new Promise((r) => setTimeout(r, 1));
      this.change = undefined;
      notifies += ch.received;
      if (ch.received < ch.expected) {
        incomplete++;
        missing += ch.expected - ch.received;
        busy += now() - ch.t0;
      } else {
        drains.push(ch.last - ch.t0);
        busy += ch.last - ch.t0;
      }
    }
    const answers = await Promise.all(controlReplies);
    control?.close();
    const refused = answers.filter((a) => (a as { ok?: boolean }).ok !== true);
    if (refused.length > 0) throw new Error(`devstate change refused: ${JSON.stringify(refused[0])}`);
    const probe = probing?.() ?? { ...percentiles([]), unanswered: 0 };
    const cpu = process.cpuUsage(cpu0);
    return {
      watchers,
      changes: cmd.changes,
      notifies,
      incomplete,
      missing,
      notifyRate: busy > 0 ? Math.round((notifies / busy) * 1000) : 0,
      latency: percentiles(this.fanoutLatencies),
      drain: percentiles(drains),
      notifyRetransmissions: this.notifyDuplicates - dupBefore,
      terminated: this.terminatedCount - terminatedBefore,
      probe,
      clientCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (now() - t0)) * 1000) / 10,
    };
  }

  // ---- probe -------------------------------------------------------------------------------

  /**
   * Starts OPTIONS probes; the returned function stops them and gives the round-trip times of
   * those answered, and how many were not (lost in a full receive buffer, or still waiting).
   */
  private startProbe(): () => ProbeResult {
    this.probeRtts = [];
    this.probeTimes.clear();
    const phone = this.phones[0]!;
    let n = 0;
    this.probeTimer = setInterval(() => {
      const callId = `probe-${n++}-${this.prefix}`;
      this.probeTimes.set(callId, now());
      phone.socket.send(optionsText(this.server.host, this.server.port, phone.host, phone.port, callId, callId));
    }, PROBE_INTERVAL_MS);
    return () => {
      clearInterval(this.probeTimer);
      const unanswered = this.probeTimes.size;
      this.probeTimes.clear();
      return { ...percentiles(this.probeRtts), unanswered };
    };
  }

  close(): void {
    clearInterval(this.tickTimer);
    clearInterval(this.probeTimer);
    for (const p of this.phones) p.socket.close();
  }
}

// ---- the child's side of the IPC channel -------------------------------------------------------

if (process.send !== undefined) {
  const client = new LoadClient();
  const reply = (r: ClientReply): void => {
    process.send!(r);
  };
  process.on('message', (raw) => {
    const { id, command } = raw as { id: number; command: ClientCommand };
    const run = async (): Promise<unknown> => {
      switch (command.cmd) {
        case 'init':
          return client.init(command);
        case 'subscribe':
          return client.subscribe(command);
        case 'fanout':
          return client.fanout(command);
        case 'quit':
          client.close();
          setImmediate(() => process.exit(0));
          return null;
      }
    };
    run().then(
      (result) => reply({ id, ok: true, result }),
      (e: unknown) => reply({ id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
