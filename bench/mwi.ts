/**
 * MWI boot wave (issue 5, S8): N endpoints, each with `mailboxes = <i>@default` and an AOR whose
 * static `contact=` points at one UDP "phone farm" (a separate process that answers every
 * request 200), plus N AORs `box<i>` with the same mailboxes, each with one solicited subscriber
 * (SUBSCRIBE Event: message-summary, Contact at the farm). The mailbox counts and the
 * subscriptions are made in a first, in-process life of the node, stopped with `core stop now`
 * so res_pjsip_pubsub keeps the subscriptions for the restart. The measured life is a real
 * `tsterisk` child process: at start-up res_pjsip_pubsub restores the N subscriptions (a
 * full-state NOTIFY each: the solicited wave) and res_pjsip_mwi sends every endpoint its
 * persisted counts (the unsolicited wave). MWI_BENCH_SOLICITED=0 leaves the subscribers out.
 * Measured:
 * - wave duration: first to last NOTIFY received at the farm, per kind too, and NOTIFYs
 *   received;
 * - other traffic during the wave: a separate client pings the node with OPTIONS every 2 ms;
 *   p50/p99/max of the pings sent while the wave ran (aim: p99 under 100 ms), and pings lost.
 * Three processes on the same machine (node, farm, this one as the pinger) share its cores.
 * MWI_BENCH_DEBUG=1 prints the node's output and the slowest pings; MWI_BENCH_NODE_ARGS adds
 * node flags to the measured node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseMessage } from '../core/sip/parser.js';
import { buildResponse, serializeMessage } from '../core/sip/serializer.js';
import { makeConfigDir, startInProcess } from '../test/support/node-harness.js';
import { freePort } from '../test/support/peers.js';
import type { BenchResult } from './sip-parse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/loader/cli.js */
const CLI_JS = path.resolve(here, '..', 'loader', 'cli.js');
const SELF = fileURLToPath(import.meta.url);

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
const nowMs = (): number => performance.timeOrigin + performance.now();

/** NOTIFYs of one kind: first and last arrival. */
interface KindReport {
  count: number;
  first: number;
  last: number;
}

interface FarmReport extends KindReport {
  /** Distinct Request-URIs (contacts) that got a NOTIFY. */
  distinct: number;
  /** NOTIFYs with a Via branch seen before: retransmissions. */
  retransmissions: number;
  /** Unsolicited (to `ep<i>` contacts) and solicited (to `sub<i>` subscribers). */
  unsolicited: KindReport;
  solicited: KindReport;
}

const emptyKind = (): KindReport => ({ count: 0, first: 0, last: 0 });
const emptyReport = (): FarmReport => ({ ...emptyKind(), distinct: 0, retransmissions: 0, unsolicited: emptyKind(), solicited: emptyKind() });

function countIn(k: KindReport, t: number): void {
  if (k.count === 0) k.first = t;
  k.last = t;
  k.count++;
}

// ---------------------------------------------------------------------------------------------
// The phone farm (child process): answers every request 200 and counts NOTIFYs.

async function runFarm(): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.setRecvBufferSize(8 * 1024 * 1024);
  let seen = new Set<string>();
  let branches = new Set<string>();
  let report = emptyReport();
  sock.on('message', (buf, rinfo) => {
    const p = parseMessage(buf);
    if (!p.ok || p.message.kind !== 'request') return;
    const req = p.message;
    if (req.method === 'NOTIFY') {
      const t = nowMs();
      countIn(report, t);
      countIn(req.uri.startsWith('sip:sub') ? report.solicited : report.unsolicited, t);
      seen.add(req.uri);
      const branch = /branch=([^;,\s]+)/.exec(req.getHeader('Via') ?? '')?.[1] ?? '';
      if (branches.has(branch)) report.retransmissions++;
      else branches.add(branch);
    }
    sock.send(serializeMessage(buildResponse(req, 200)), rinfo.port, rinfo.address);
  });
  console.log(`FARM ${sock.address().port}`);
  // One command a line on stdin: `report` prints the counts so far as JSON; `reset` forgets
  // them (the first life's NOTIFYs); `quit` ends.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'report') console.log(`REPORT ${JSON.stringify({ ...report, distinct: seen.size })}`);
    if (line === 'reset') {
      report = emptyReport();
      seen = new Set();
      branches = new Set();
    }
    if (line === 'quit') break;
  }
  sock.close();
}

class FarmHandle {
  private waiting: Array<(r: FarmReport) => void> = [];
  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {}

  static start(): Promise<FarmHandle> {
    const proc = spawn(process.execPath, [SELF, '--farm'], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let handle: FarmHandle | undefined;
      const rl = createInterface({ input: proc.stdout! });
      rl.on('line', (line) => {
        const f = /^FARM (\d+)$/.exec(line);
        if (f) {
          handle = new FarmHandle(proc, Number(f[1]));
          resolve(handle);
        }
        const r = /^REPORT (.*)$/.exec(line);
        if (r && handle) handle.waiting.shift()?.(JSON.parse(r[1]!) as FarmReport);
      });
      proc.once('exit', (code) => reject(new Error(`phone farm exited (${code}) before it listened`)));
    });
  }

  report(): Promise<FarmReport> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write('report\n');
    });
  }

  reset(): void {
    this.proc.stdin!.write('reset\n');
  }

  stop(): void {
    this.proc.stdin!.write('quit\n');
    setTimeout(() => this.proc.kill('SIGKILL'), 2000).unref();
  }
}

// ---------------------------------------------------------------------------------------------
// The OPTIONS pinger (this process): one request every `intervalMs`, latency per answer.

interface Ping {
  sent: number;
  rtt?: number;
}

class Pinger {
  private sock = dgram.createSocket('udp4');
  private pings = new Map<string, Ping>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly nodePort: number) {}

  async start(intervalMs: number): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    const local = this.sock.address().port;
    this.sock.on('message', (buf) => {
      const p = parseMessage(buf);
      if (!p.ok || p.message.kind !== 'response' || p.message.status < 200) return;
      const ping = this.pings.get(p.message.getHeader('Call-ID') ?? '');
      if (ping && ping.rtt === undefined) ping.rtt = nowMs() - ping.sent;
    });
    this.timer = setInterval(() => {
      const id = `mwi-bench-ping-${++this.seq}`;
      const text = [
        `OPTIONS sip:127.0.0.1:${this.nodePort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ping-${this.seq};rport`,
        `From: <sip:pinger@127.0.0.1:${local}>;tag=ping${this.seq}`,
        `To: <sip:127.0.0.1:${this.nodePort}>`,
        `Call-ID: ${id}`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      this.pings.set(id, { sent: nowMs() });
      this.sock.send(text, this.nodePort, '127.0.0.1');
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sock.close();
  }

  /** The pings sent in [from, to]: their round-trip times (ms) and how many got no answer. */
  between(from: number, to: number): { rtts: number[]; lost: number } {
    const rtts: number[] = [];
    let lost = 0;
    for (const p of this.pings.values()) {
      if (p.sent < from || p.sent > to) continue;
      if (p.rtt === undefined) lost++;
      else rtts.push(p.rtt);
    }
    return { rtts: rtts.sort((a, b) => a - b), lost };
  }

  /** Gaps between consecutive pings sent in [from, to], longest first. */
  sendGaps(from: number, to: number): Array<{ at: number; gap: number }> {
    const sent = [...this.pings.values()].map((p) => p.sent).filter((t) => t >= from && t <= to);
    const gaps: Array<{ at: number; gap: number }> = [];
    for (let i = 1; i < sent.length; i++) gaps.push({ at: sent[i - 1]!, gap: sent[i]! - sent[i - 1]! });
    return gaps.sort((a, b) => b.gap - a.gap);
  }

  /** The `n` slowest answered pings sent in [from, to], in send order. */
  slowest(from: number, to: number, n: number): Ping[] {
    const inWindow = [...this.pings.values()].filter((p) => p.rtt !== undefined && p.sent >= from && p.sent <= to);
    return inWindow.sort((a, b) => b.rtt! - a.rtt!).slice(0, n).sort((a, b) => a.sent - b.sent);
  }

  answered(): number {
    let n = 0;
    for (const p of this.pings.values()) if (p.rtt !== undefined) n++;
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// The solicited subscribers (set-up only, first life): SUBSCRIBEs from this process whose
// Contact is the farm, so the NOTIFYs (initial, and the restored ones) go there.

async function subscribeAll(count: number, nodePort: number, farmPort: number, window = 200): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const local = sock.address().port;
  let next = 0;
  let answered = 0;
  let failure: string | undefined;
  const send = (i: number) => {
    const text = [
      `SUBSCRIBE sip:box${i}@127.0.0.1:${nodePort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-sub-${i};rport`,
      `From: <sip:sub${i}@127.0.0.1>;tag=sub${i}`,
      `To: <sip:box${i}@127.0.0.1:${nodePort}>`,
      `Call-ID: mwi-bench-sub-${i}`,
      'CSeq: 1 SUBSCRIBE',
      `Contact: <sip:sub${i}@127.0.0.1:${farmPort}>`,
      'Event: message-summary',
      'Accept: application/simple-message-summary',
      'Expires: 3600',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    sock.send(text, nodePort, '127.0.0.1');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscribers: ${answered} of ${count} answered in 60 s`)), 60_000);
      sock.on('message', (buf) => {
        const p = parseMessage(buf);
        if (!p.ok || p.message.kind !== 'response' || p.message.status < 200) return;
        if (p.message.status >= 300) failure ??= `SUBSCRIBE ${p.message.getHeader('Call-ID')}: ${p.message.status} ${p.message.reason}`;
        answered++;
        if (failure) {
          clearTimeout(timer);
          reject(new Error(failure));
          return;
        }
        if (next < count) send(next++);
        if (answered === count) {
          clearTimeout(timer);
          resolve();
        }
      });
      while (next < Math.min(window, count)) send(next++);
    });
  } finally {
    sock.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------------------------------------

function pjsipConf(count: number, sipPort: number, farmPort: number): string {
  const parts = [
    // The set-up SUBSCRIBEs all come from one address: no flood limit for them.
    '[global]\ntype = global\ndefault_voicemail_extension = *97\nsubscribe_rate_limit = 0\n\n',
    `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${sipPort}\nudp_recv_buffer_size = 4194304\n\n`,
    // Anything else from 127.0.0.1 (the pinger) is this endpoint: OPTIONS get a plain 200.
    '[bench]\ntype = endpoint\ncontext = default\nidentify_by = ip\n\n[bench]\ntype = identify\nendpoint = bench\nmatch = 127.0.0.1\n\n',
  ];
  for (let i = 0; i < count; i++) {
    // ep<i>: unsolicited (endpoint mailboxes, static contact at the farm); box<i>: an AOR for
    // solicited subscribers of the same mailbox.
    parts.push(
      `[ep${i}]\ntype = endpoint\ncontext = default\naors = ep${i}\nmailboxes = ${i}@default\n\n` +
        `[ep${i}]\ntype = aor\ncontact = sip:ep${i}@127.0.0.1:${farmPort}\n\n` +
        `[box${i}]\ntype = aor\nmailboxes = ${i}@default\n\n`,
    );
  }
  return parts.join('');
}

export async function benchMwi(
  count = Number(process.env.MWI_BENCH_COUNT ?? 10_000),
  solicited = process.env.MWI_BENCH_SOLICITED !== '0',
): Promise<BenchResult[]> {
  const label = `${count} mailboxes${count >= 10_000 ? '' : ', reduced'}${solicited ? ', solicited + unsolicited' : ', unsolicited only'}`;
  const farm = await FarmHandle.start();
  const sipPort = await freePort();
  const conf = pjsipConf(count, sipPort, farm.port);
  const dir = makeConfigDir({
    // Without subscribers the first life needs no res_pjsip_mwi (and sends nothing).
    'modules.conf': solicited ? '[modules]\nautoload = yes\n' : '[modules]\nautoload = yes\nnoload => res_pjsip_mwi\n',
    'pjsip.conf': conf,
    'extensions.conf': '[default]\n',
  });
  const expected = solicited ? 2 * count : count;
  let node: ChildProcess | undefined;
  let pinger: Pinger | undefined;
  try {
    // First life, in this process: persist every mailbox's counts, subscribe the subscribers,
    // stop as `core stop now` (res_pjsip_pubsub keeps the subscriptions for the restart).
    const t0 = nowMs();
    const first = await startInProcess(dir, { noControlSocket: true });
    const mailboxes = first.node.core.mailboxes;
    for (let i = 0; i < count; i++) await mailboxes.update(`${i}@default`, { new: (i % 5) + 1, old: i % 3 });
    if (solicited) {
      await subscribeAll(count, sipPort, farm.port);
      // Let the first life's NOTIFYs finish before it stops.
      for (let quiet = 0, seen = -1; quiet < 4; ) {
        await new Promise((r) => setTimeout(r, 250));
        const r = await farm.report();
        quiet = r.count === seen ? quiet + 1 : 0;
        seen = r.count;
      }
    }
    await first.stop();
    farm.reset();
    const prepMs = nowMs() - t0;

    // Second life: a real node process with res_pjsip_mwi; its boot wave goes to the farm.
    writeFileSync(path.join(dir, 'modules.conf'), '[modules]\nautoload = yes\n');
    pinger = new Pinger(sipPort);
    await pinger.start(2);
    const spawned = nowMs();
    // MWI_BENCH_NODE_ARGS: extra node flags for the measured node only (e.g. --cpu-prof).
    const nodeArgs = (process.env.MWI_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    node = spawn(process.execPath, [...nodeArgs, CLI_JS, '-C', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let outBytes = 0;
    const keep = (d: Buffer) => {
      outBytes += d.length;
      out = (out + d.toString('utf8')).slice(-20000);
    };
    node.stdout!.on('data', keep);
    node.stderr!.on('data', keep);
    let exited: number | null | undefined;
    node.once('exit', (code) => (exited = code));

    // Wait for every NOTIFY, or for the wave to stall (no progress for 10 s).
    let last = emptyReport();
    let progressAt = nowMs();
    const hardLimit = nowMs() + 75_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await farm.report();
      if (r.count !== last.count) progressAt = nowMs();
      last = r;
      if (r.distinct >= expected) break;
      if (exited !== undefined) throw new Error(`node exited (${exited}) during the wave:\n${out}`);
      if (nowMs() - progressAt > 10_000 || nowMs() > hardLimit) break;
    }
    // A quiet second after the wave, as the baseline for the same pinger on the same machine.
    await new Promise((r) => setTimeout(r, 1500));
    const ready = /tsterisk Ready\./.test(out);
    if (process.env.MWI_BENCH_DEBUG) {
      console.error(`node printed ${outBytes} bytes; tail:\n${out.slice(-3000)}`);
      // The slow pings, by when they were sent relative to the first NOTIFY (to line them up
      // with a profile or a loop-lag trace of the node).
      const slow = pinger.slowest(last.first, last.last, 20).map((p) => `${Math.round(p.sent - last.first)}:${p.rtt!.toFixed(0)}`);
      // This process's own stalls (the pinger's send gaps): a late reader inflates the round trips too.
      const gaps = pinger.sendGaps(last.first, last.last).slice(0, 5).map((g) => `${Math.round(g.at - last.first)}:${g.gap.toFixed(0)}`);
      console.error(`pinger's longest send gaps during the wave (ms after the first NOTIFY: gap ms) ${gaps.join(' ')}`);
      console.error(`wave ${Math.round(last.first)}..${Math.round(last.last)}; slowest pings (sent ms after the first NOTIFY: rtt ms) ${slow.join(' ')}`);
    }
    const during = pinger.between(last.first, last.last);
    const waveMs = last.last - last.first;
    const quiet = pinger.between(last.last + 200, last.last + 1200);
    const rows: BenchResult[] = [
      { name: `MWI boot wave (${label}): NOTIFYs received at the farm`, value: last.count, unit: `NOTIFYs (${last.distinct} distinct contacts of ${expected}, ${last.retransmissions} retransmissions)` },
      { name: `MWI boot wave (${label}): duration, first to last NOTIFY`, value: Math.round(waveMs), unit: 'ms' },
      ...(solicited
        ? [
            { name: `MWI boot wave (${label}): unsolicited NOTIFYs, first to last`, value: Math.round(last.unsolicited.last - last.unsolicited.first), unit: `ms (${last.unsolicited.count} NOTIFYs, from +${Math.round(last.unsolicited.first - last.first)} ms)` },
            { name: `MWI boot wave (${label}): solicited NOTIFYs (restored subscriptions), first to last`, value: Math.round(last.solicited.last - last.solicited.first), unit: `ms (${last.solicited.count} NOTIFYs, from +${Math.round(last.solicited.first - last.first)} ms)` },
          ]
        : []),
      { name: `MWI boot wave (${label}): rate`, value: waveMs > 0 ? Math.round((last.count / waveMs) * 1000) : 0, unit: 'NOTIFY/s' },
      { name: `MWI boot wave (${label}): node spawn to first NOTIFY`, value: Math.round(last.first - spawned), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS pings answered during wave`, value: during.rtts.length, unit: `pings (${during.lost} lost)` },
      { name: `MWI boot wave (${label}): OPTIONS p50 during wave`, value: Number(percentile(during.rtts, 50).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS p99 during wave (aim < 100)`, value: Number(percentile(during.rtts, 99).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS max during wave`, value: Number((during.rtts[during.rtts.length - 1] ?? NaN).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS p99 in the quiet second after (baseline)`, value: Number(percentile(quiet.rtts, 99).toFixed(2)), unit: `ms (${quiet.rtts.length} pings)` },
      { name: `MWI boot wave (${label}): setup, counts${solicited ? ' and subscriptions' : ''} (first life)`, value: Math.round(prepMs), unit: 'ms' },
    ];
    if (!ready) rows.push({ name: `MWI boot wave (${label}): node never printed Ready`, value: 0, unit: '' });
    return rows;
  } finally {
    pinger?.stop();
    if (node && node.exitCode === null) {
      node.kill('SIGTERM');
      const n = node;
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          n.kill('SIGKILL');
          r();
        }, 5000);
        n.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    farm.stop();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--farm') {
    await runFarm();
    process.exit(0);
  }
  const rows = await benchMwi(process.argv[2] !== undefined ? Number(process.argv[2]) : undefined);
  for (const r of rows) console.log(`  ${r.name.padEnd(72)} ${r.value.toLocaleString('en').padStart(10)} ${r.unit}`);
  process.exit(0);
}
