/**
 * Presence benchmarks S1-S4 (shared/reference/benchmarks.md) against a real `tsterisk` child
 * process over UDP on 127.0.0.1, driven by our load client in another child process (real SIP:
 * every SUBSCRIBE retransmitted on RFC 3261's schedule until answered, every NOTIFY answered
 * 200). RFC 7501/7502 style: the offered rate is stepped up and the highest rate sustained with
 * zero failed set-ups is reported with its latencies.
 *
 * - calibration: the load client against a null responder (bench/presence/null-responder.ts):
 *   the generator's own ceiling on this machine, offered up to at least twice the target.
 * - S1 hold: subscriptions held by one node, and node RSS per subscription.
 * - S2 set-up rate (SUBSCRIBE, 200, NOTIFY, 200) without auth and with digest auth.
 * - S3 fan-out: W = 10, 100, 1,000, 5,000 watchers on one hint; NOTIFY/s and change→NOTIFY
 *   latency (NOTIFY *received* by the watcher: an upper bound of "sent").
 * - S4 boot storm: 2,000 phones × 20 BLF keys (dialog event, digest auth) within 30 s.
 *
 * The load client, the null responder and the node share this machine's cores (2 on the
 * project's machines): every figure is "node and generator on the same cores".
 *
 * `node dist/bench/presence.js [--reduced] [--only=S1,S3] [--profile=<dir>]`
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './sip-parse.js';
import { LoadClientHandle, startNullResponder } from './presence/client-handle.js';
import { InspectorSession } from './presence/inspector.js';
import {
  machineCpu,
  NodeUnderTest,
  udpSocketDrops,
  PHONE_PASSWORD,
  PHONE_PREFIX,
  type GcStats,
  type LoopLag,
} from './presence/node-under-test.js';
import type { FanoutResult, SubscribeCommand, SubscribeResult } from './presence/protocol.js';

export type PresenceScale = 'full' | 'reduced';
export type PresenceScenario = 'calibration' | 'S1' | 'S2' | 'S3' | 'S4';

export interface PresenceBenchOptions {
  scale?: PresenceScale;
  /** Run only these scenarios (default: all). */
  only?: PresenceScenario[];
  /** Write a V8 CPU profile of every node under test into this folder (node --cpu-prof). */
  profileDir?: string;
  /** Progress and notes (default: console.log). */
  log?: (line: string) => void;
}

interface ScaleParams {
  s1Subs: number;
  stepWindowMs: number;
  setupRates: number[];
  calibrationWindowMs: number;
  calibrationRates: number[];
  calibrationWatchers: number;
  fanoutWatchers: number[];
  fanoutChanges: (w: number) => number;
  phones: number;
  keys: number;
  stormSpreadMs: number;
}

const FULL: ScaleParams = {
  s1Subs: 100_000,
  stepWindowMs: 4000,
  setupRates: [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 8000],
  calibrationWindowMs: 2000,
  calibrationRates: [4000, 8000, 12000, 16000],
  calibrationWatchers: 5000,
  fanoutWatchers: [10, 100, 1000, 5000],
  fanoutChanges: (w) => (w <= 100 ? 50 : w <= 1000 ? 20 : 10),
  phones: 2000,
  keys: 20,
  stormSpreadMs: 30_000,
};

const REDUCED: ScaleParams = {
  s1Subs: 10_000,
  stepWindowMs: 2000,
  setupRates: [500, 1000, 2000, 3000, 4000, 6000],
  calibrationWindowMs: 1000,
  // Twice the S2 target (4,000/s).
  calibrationRates: [4000, 8000],
  calibrationWatchers: 5000,
  fanoutWatchers: [10, 100, 1000, 5000],
  fanoutChanges: (w) => (w <= 100 ? 10 : w <= 1000 ? 4 : 2),
  phones: 200,
  keys: 20,
  stormSpreadMs: 3_000,
};

/** The generator is the limit above this (benchmarks.md). */
const GENERATOR_CPU_LIMIT = 70;
const HINTS = 1000;
/** UDP sockets of the load client outside the boot storm (each a "phone" with its own port). */
const CLIENT_SOCKETS = 8;
const CLIENT_RECV_BUFFER = 4 << 20;
/**
 * A set-up not complete within this is a failure in the rate steps: 4 x T1, two retransmissions
 * (0.5 and 1.5 s) fit. Phones wait 32 s (Timer F), but a node answering seconds late is not
 * sustaining the offered rate.
 */
const STEP_DEADLINE_MS = 2000;
/** Offered windows sustained: achieved rate at least this share of the offered one. */
const SUSTAINED_SHARE = 0.9;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Phase {
  node: NodeUnderTest;
  t0: number;
  cpu0: number;
  machine0: number;
  clientPorts: readonly number[];
  nodeDrops0: number;
  clientDrops0: number;
}

interface PhaseUsage {
  nodeCpuPct: number;
  /** Every process on the machine (node, generator, anything else), % of one core. */
  machineCpuPct: number;
  gc: GcStats;
  /** Datagrams the kernel dropped on the node's socket (its receive buffer overflowed) and on the client's. */
  nodeDrops: number;
  clientDrops: number;
  /** The node's event-loop delay over the phase (ms). */
  lag: LoopLag;
}

async function beginPhase(node: NodeUnderTest, clientPorts: readonly number[]): Promise<Phase> {
  await node.loopLag();
  node.resetGc();
  return {
    node,
    t0: performance.now(),
    cpu0: node.cpuMs(),
    machine0: machineCpu().busyMs,
    clientPorts,
    nodeDrops0: udpSocketDrops([node.port]),
    clientDrops0: udpSocketDrops(clientPorts),
  };
}

async function endPhase(p: Phase): Promise<PhaseUsage> {
  const wall = performance.now() - p.t0;
  const pct = (ms: number): number => Math.round((ms / wall) * 1000) / 10;
  const lag = await p.node.loopLag();
  return {
    lag,
    nodeCpuPct: pct(p.node.cpuMs() - p.cpu0),
    machineCpuPct: pct(machineCpu().busyMs - p.machine0),
    gc: p.node.resetGc(),
    nodeDrops: udpSocketDrops([p.node.port]) - p.nodeDrops0,
    clientDrops: udpSocketDrops(p.clientPorts) - p.clientDrops0,
  };
}

/** CPU used by other processes: node and generator share the cores with whatever else runs. */
function othersPct(u: PhaseUsage, generatorPct: number): number {
  return Math.max(0, Math.round((u.machineCpuPct - u.nodeCpuPct - generatorPct) * 10) / 10);
}

function baseSubscribe(group: string): Omit<SubscribeCommand, 'cmd'> {
  return {
    group,
    total: 0,
    rate: 0,
    window: 256,
    batch: 1,
    extenBase: 0,
    extenCount: HINTS,
    perSocket: 0,
    user: 'watcher',
    event: 'presence',
    accept: 'application/pidf+xml',
    expires: 3600,
    deadlineMs: STEP_DEADLINE_MS,
    probe: false,
    retryAfter503: false,
  };
}

/** Closed loop: set-ups per second from first send to last completion. */
function achievedRate(r: SubscribeResult): number {
  return r.elapsedMs > 0 ? Math.round((r.completed / r.elapsedMs) * 1000) : 0;
}

/**
 * Open loop: the rate completions came at (first to last). A node keeping up completes them as
 * fast as they are offered; a backlog stretches them out to the node's own rate.
 */
function completionRate(r: SubscribeResult): number {
  return r.settleMs > 0 ? Math.round(((r.completed - 1) / r.settleMs) * 1000) : 0;
}

function failureText(r: SubscribeResult): string {
  const parts = Object.entries(r.failures).map(([k, v]) => `${v} ${k}`);
  return parts.length > 0 ? parts.join(', ') : '0';
}

export async function benchPresence(opts: PresenceBenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? 'full';
  const P = scale === 'full' ? FULL : REDUCED;
  const tag = scale === 'reduced' ? ' (reduced)' : '';
  const print = opts.log ?? ((l: string) => console.log(l));
  const started = performance.now();
  // Scenario headers carry the time into the run (the budget: full ~5 min, reduced ~1 min).
  const log = (l: string): void => print(l.startsWith(' ') || l.startsWith('note') ? l : `[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${l}`);
  const want = (s: PresenceScenario): boolean => opts.only === undefined || opts.only.includes(s);
  const results: BenchResult[] = [];
  const add = (name: string, value: number, unit: string): void => {
    results.push({ name: `${name}${tag}`, value, unit });
  };
  const nodeFlags = (label: string): string[] =>
    opts.profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=presence-${label}-${Date.now()}.cpuprofile`] : [];
  const cpus = os.cpus().length;
  log(`presence bench, ${scale} scale: load client, null responder and node share ${cpus} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node.js ${process.version}`);
  const notes: string[] = [];
  {
    // Others' load skews every figure on a shared machine: say how busy it was before we started.
    const m0 = machineCpu().busyMs;
    await sleep(1000);
    const busy = Math.round((machineCpu().busyMs - m0) / 10);
    log(`machine busy before the run: ${busy} % of one core (all processes; ${cpus * 100} % = every core)`);
    if (busy > 20) notes.push(`other processes used ${busy} % of a core before the run: figures are lower than on an idle machine`);
  }
  const generatorCheck = (what: string, pct: number): void => {
    if (pct > GENERATOR_CPU_LIMIT) notes.push(`${what}: generator at ${pct} % CPU (> ${GENERATOR_CPU_LIMIT} %): the figure may be the generator's limit`);
  };

  /**
   * Stepped set-up rate (RFC 7502): each step offers `rate` set-ups/s for the window; a step
   * passes with zero failures and at least SUSTAINED_SHARE of the offered rate achieved.
   */
  const stepRates = async (
    client: LoadClientHandle,
    label: string,
    rates: number[],
    extra: Partial<Omit<SubscribeCommand, 'cmd'>>,
    clientPorts: readonly number[],
    node?: NodeUnderTest,
    windowMs = P.stepWindowMs,
  ): Promise<{ best: number; bestResult?: SubscribeResult; bestUsage?: PhaseUsage }> => {
    let best = 0;
    let bestResult: SubscribeResult | undefined;
    let bestUsage: PhaseUsage | undefined;
    for (const rate of rates) {
      const total = Math.round((rate * windowMs) / 1000);
      const phase = node !== undefined ? await beginPhase(node, clientPorts) : undefined;
      const r = await client.subscribe({ ...baseSubscribe(`${label}-${rate}`), total, rate, probe: node !== undefined, ...extra });
      const usage = phase !== undefined ? await endPhase(phase) : undefined;
      const achieved = completionRate(r);
      const pass = r.failed === 0 && achieved >= rate * SUSTAINED_SHARE;
      log(
        `  ${label} offered ${rate}/s: ${r.completed}/${r.attempted} set up, failures ${failureText(r)}, achieved ${achieved}/s, ` +
          `latency p50 ${r.latency.p50} p99 ${r.latency.p99} max ${r.latency.max} ms, retransmissions ${r.retransmissions}, ` +
          `generator CPU ${r.clientCpuPct} %` +
          (usage !== undefined
            ? `, node CPU ${usage.nodeCpuPct} %, other processes ${othersPct(usage, r.clientCpuPct)} %, loop lag p99 ${usage.lag.p99} max ${usage.lag.max} ms, OPTIONS probe p99 ${r.probe.p99} ms (${r.probe.unanswered} of ${r.probe.n + r.probe.unanswered} unanswered), GC max pause ${usage.gc.maxPauseMs} ms, UDP drops node ${usage.nodeDrops} client ${usage.clientDrops}`
            : '') +
          (pass ? '' : '  <- not sustained'),
      );
      if (!pass) break;
      best = rate;
      bestResult = r;
      bestUsage = usage;
      await sleep(300);
    }
    return { best, ...(bestResult !== undefined ? { bestResult } : {}), ...(bestUsage !== undefined ? { bestUsage } : {}) };
  };

  // ---- calibration ----------------------------------------------------------------------------
  if (want('calibration')) {
    log('calibration: load client against the null responder');
    const responder = await startNullResponder();
    const client = LoadClientHandle.start();
    try {
      await client.init({ server: { host: '127.0.0.1', port: responder.port }, sockets: CLIENT_SOCKETS, recvBufferSize: CLIENT_RECV_BUFFER, addressPerSocket: false });
      const { best, bestResult } = await stepRates(client, 'calibration', P.calibrationRates, {}, [], undefined, P.calibrationWindowMs);
      add('calibration: generator set-up ceiling vs null responder, 0 failures', best, 'setups/s');
      if (bestResult !== undefined) {
        add('calibration: generator CPU at that rate', bestResult.clientCpuPct, '% of a core');
        generatorCheck('calibration set-up', bestResult.clientCpuPct);
      }
      if (best === P.calibrationRates.at(-1)) notes.push(`calibration: the generator sustained the highest rate offered (${best}/s); its ceiling is above`);
      const w = P.calibrationWatchers;
      await client.subscribe({ ...baseSubscribe('calibration-fan'), total: w, window: 512 });
      const f = await client.fanout({ group: 'calibration-fan', changes: scale === 'full' ? 5 : 2, trigger: { kind: 'udp' }, timeoutMs: 5000, probe: false });
      log(`  calibration fan-out W=${w}: ${f.notifies} NOTIFYs (${f.missing} missing), ${f.notifyRate} NOTIFY/s, p99 ${f.latency.p99} ms, drain p99 ${f.drain.p99} ms, generator CPU ${f.clientCpuPct} %`);
      add(`calibration: generator NOTIFY intake at W=${w} (answered 200)`, f.notifyRate, 'NOTIFY/s');
      add('calibration: generator CPU during NOTIFY intake', f.clientCpuPct, '% of a core');
      generatorCheck(`calibration NOTIFY intake (${f.notifyRate}/s)`, f.clientCpuPct);
    } finally {
      await client.quit();
      await responder.stop();
    }
  }

  // ---- S1 hold --------------------------------------------------------------------------------
  if (want('S1')) {
    log(`S1 hold: ${P.s1Subs.toLocaleString('en')} subscriptions on ${HINTS} hints (presence, PIDF), filled with 256 set-ups outstanding`);
    const node = await NodeUnderTest.start({ hints: HINTS, phones: 0, inspect: true, oneAddressManyPhones: true, nodeFlags: nodeFlags('s1') });
    const client = LoadClientHandle.start();
    const inspector = await InspectorSession.connect(node.inspectorUrl!);
    const useCount = async (): Promise<number> => {
      const show = await node.command('module show like res_pjsip_pubsub');
      return Number(/res_pjsip_pubsub\S*\s+.*?\s(\d+)\s+Running/.exec(show)?.[1] ?? NaN);
    };
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    try {
      const ports = await client.init({ server: { host: '127.0.0.1', port: node.port }, sockets: CLIENT_SOCKETS, recvBufferSize: CLIENT_RECV_BUFFER, addressPerSocket: false });
      // Warm up (JIT, first allocations) so the baseline is a node ready to hold subscriptions.
      await client.subscribe({ ...baseSubscribe('s1-warm'), total: 500 });
      await sleep(1000);
      // Use count = subscriptions + modules depending on res_pjsip_pubsub.
      const count0 = await useCount();
      const heap0 = await inspector.heapAfterGc();
      const mem0 = node.memory();
      const phase = await beginPhase(node, ports);
      const r = await client.subscribe({ ...baseSubscribe('s1'), total: P.s1Subs, window: 256, deadlineMs: 32000, probe: true });
      const usage = await endPhase(phase);
      const filledAt = performance.now();
      log(
        `  ${r.completed}/${r.attempted} active, failures ${failureText(r)}, retransmissions ${r.retransmissions}; closed-loop set-up ${achievedRate(r)}/s, ` +
          `p50 ${r.latency.p50} p99 ${r.latency.p99} ms; node CPU ${usage.nodeCpuPct} %, generator CPU ${r.clientCpuPct} %, other processes ${othersPct(usage, r.clientCpuPct)} %; ` +
          `GC ${usage.gc.collections} collections, ${usage.gc.totalPauseMs} ms in pauses, max pause ${usage.gc.maxPauseMs} ms; loop lag p99 ${usage.lag.p99} max ${usage.lag.max} ms; OPTIONS probe p99 ${r.probe.p99} ms (${r.probe.unanswered} of ${r.probe.n + r.probe.unanswered} unanswered)`,
      );
      const held = (await useCount()) - count0;
      // Right after filling, every SUBSCRIBE's server transaction is still in Timer J (64*T1 = 32 s on UDP).
      await sleep(1000);
      let heap = await inspector.heapAfterGc();
      let mem = node.memory();
      const report = (when: string): void =>
        log(
          `  ${when}: RSS ${mib(mem0.rss)} -> ${mib(mem.rss)} MiB (anonymous ${mib(mem0.anon)} -> ${mib(mem.anon)}, file-backed ${mib(mem0.file)} -> ${mib(mem.file)}), ` +
            `JS heap after a full GC ${mib(heap0.used)} -> ${mib(heap.used)} MiB; per subscription: RSS ${Math.round((mem.rss - mem0.rss) / held)} B, ` +
            `anonymous ${Math.round((mem.anon - mem0.anon) / held)} B, file-backed ${Math.round((mem.file - mem0.file) / held)} B, heap ${Math.round((heap.used - heap0.used) / held)} B`,
        );
      report('1 s after filling (server transactions still in Timer J)');
      let when = 'incl. transactions in Timer J';
      if (scale === 'full') {
        const wait = 34000 - (performance.now() - filledAt);
        if (wait > 0) await sleep(wait);
        heap = await inspector.heapAfterGc();
        mem = node.memory();
        report('34 s after filling (Timer J over: subscriptions only)');
        when = 'steady, after Timer J';
      }
      add('S1 subscriptions held (one node)', held, 'subscriptions');
      add('S1 failed set-ups while filling', r.failed, 'subscriptions');
      add(`S1 node RSS per subscription (${when})`, Math.round((mem.rss - mem0.rss) / held), 'bytes');
      add(`S1 node JS heap per subscription after full GC (${when})`, Math.round((heap.used - heap0.used) / held), 'bytes');
      add('S1 node RSS with all held', Math.round(mem.rss / 2 ** 20), 'MiB');
      add('S1 closed-loop set-up rate while filling (256 outstanding)', achievedRate(r), 'setups/s');
      add('S1 node CPU while filling', usage.nodeCpuPct, '% of a core');
      if (held !== r.completed) notes.push(`S1: the node holds ${held} subscriptions, the client counts ${r.completed} active`);
    } finally {
      inspector.close();
      await client.quit();
      await node.stop();
    }
  }

  // ---- S2 set-up rate -------------------------------------------------------------------------
  if (want('S2')) {
    for (const withAuth of [false, true]) {
      const label = withAuth ? 'digest auth' : 'no auth';
      log(`S2 set-up rate, ${label}: ${P.stepWindowMs / 1000} s steps, deadline ${STEP_DEADLINE_MS / 1000} s`);
      const node = await NodeUnderTest.start({ hints: HINTS, phones: CLIENT_SOCKETS, oneAddressManyPhones: true, nodeFlags: nodeFlags(withAuth ? 's2auth' : 's2') });
      const client = LoadClientHandle.start();
      try {
        const ports = await client.init({ server: { host: '127.0.0.1', port: node.port }, sockets: CLIENT_SOCKETS, recvBufferSize: CLIENT_RECV_BUFFER, addressPerSocket: false });
        const extra = withAuth ? { auth: { userPrefix: PHONE_PREFIX, password: PHONE_PASSWORD } } : {};
        await client.subscribe({ ...baseSubscribe('s2-warm'), total: 500, ...extra });
        await sleep(500);
        const { best, bestResult, bestUsage } = await stepRates(client, `S2 ${label}`, P.setupRates, extra, ports, node);
        add(`S2 set-up rate, ${label}, 0 failures (highest step)`, best, 'setups/s');
        if (bestResult !== undefined) {
          add(`S2 ${label} set-up latency p50 at that rate`, bestResult.latency.p50, 'ms');
          add(`S2 ${label} set-up latency p99 at that rate`, bestResult.latency.p99, 'ms');
          add(`S2 ${label} node CPU at that rate`, bestUsage?.nodeCpuPct ?? 0, '% of a core');
          add(`S2 ${label} node event-loop lag p99 at that rate`, bestUsage?.lag.p99 ?? 0, 'ms');
          add(`S2 ${label} generator CPU at that rate`, bestResult.clientCpuPct, '% of a core');
          generatorCheck(`S2 ${label}`, bestResult.clientCpuPct);
        }
        if (best === P.setupRates.at(-1)) notes.push(`S2 ${label}: the highest step offered (${best}/s) passed; the ceiling is above`);
      } finally {
        await client.quit();
        await node.stop();
      }
    }
  }

  // ---- S3 fan-out -----------------------------------------------------------------------------
  if (want('S3')) {
    log(`S3 fan-out: W = ${P.fanoutWatchers.join(', ')} watchers on one hint each; a change waits for all W NOTIFYs of the previous one`);
    const node = await NodeUnderTest.start({ hints: HINTS, phones: 0, oneAddressManyPhones: true, nodeFlags: nodeFlags('s3') });
    const client = LoadClientHandle.start();
    const rates: Array<{ w: number; f: FanoutResult }> = [];
    try {
      const ports = await client.init({ server: { host: '127.0.0.1', port: node.port }, sockets: CLIENT_SOCKETS, recvBufferSize: CLIENT_RECV_BUFFER, addressPerSocket: false });
      for (let k = 0; k < P.fanoutWatchers.length; k++) {
        const w = P.fanoutWatchers[k]!;
        const group = `fan-${w}`;
        const s = await client.subscribe({ ...baseSubscribe(group), total: w, window: 256, extenBase: k, extenCount: 1, deadlineMs: 32000 });
        if (s.failed > 0) notes.push(`S3 W=${w}: ${s.failed} subscriptions failed (${failureText(s)})`);
        await sleep(1100);
        const phase = await beginPhase(node, ports);
        const f = await client.fanout({
          group,
          changes: P.fanoutChanges(w),
          trigger: { kind: 'control', socketPath: node.socketPath, device: `Custom:d${k}`, states: ['INUSE', 'NOT_INUSE'] },
          timeoutMs: 10000,
          probe: true,
        });
        const usage = await endPhase(phase);
        rates.push({ w, f });
        log(
          `  W=${w}: ${f.changes} changes, ${f.notifies} NOTIFYs (${f.missing} missing, ${f.terminated} terminated, ${f.notifyRetransmissions} retransmitted), ` +
            `${f.notifyRate} NOTIFY/s, change->NOTIFY p50 ${f.latency.p50} p99 ${f.latency.p99} max ${f.latency.max} ms, last NOTIFY of a change p99 ${f.drain.p99} ms; ` +
            `node CPU ${usage.nodeCpuPct} %, generator CPU ${f.clientCpuPct} %, other processes ${othersPct(usage, f.clientCpuPct)} %, loop lag p99 ${usage.lag.p99} max ${usage.lag.max} ms, OPTIONS probe p99 ${f.probe.p99} ms (${f.probe.unanswered} of ${f.probe.n + f.probe.unanswered} unanswered), GC max pause ${usage.gc.maxPauseMs} ms, UDP drops node ${usage.nodeDrops} client ${usage.clientDrops}`,
        );
        add(`S3 fan-out W=${w}: NOTIFY rate`, f.notifyRate, 'NOTIFY/s');
        add(`S3 fan-out W=${w}: change->NOTIFY received p99`, f.latency.p99, 'ms');
        if (w >= 1000) {
          add(`S3 fan-out W=${w}: node CPU`, usage.nodeCpuPct, '% of a core');
          add(`S3 fan-out W=${w}: node event-loop lag p99`, usage.lag.p99, 'ms');
        }
        add(`S3 fan-out W=${w}: NOTIFY retransmissions by the node`, f.notifyRetransmissions, 'NOTIFYs');
        add(`S3 fan-out W=${w}: NOTIFYs missing`, f.missing, 'NOTIFYs');
        generatorCheck(`S3 W=${w}`, f.clientCpuPct);
      }
      const small = rates.find((r) => r.w === 100) ?? rates[0];
      const large = rates.at(-1);
      if (small !== undefined && large !== undefined && small.f.notifyRate > 0) {
        add(`S3 fan-out scaling: NOTIFY/s at W=${large.w} / at W=${small.w}`, Math.round((large.f.notifyRate / small.f.notifyRate) * 100) / 100, 'ratio (>= 1: no slowdown)');
      }
    } finally {
      await client.quit();
      await node.stop();
    }
  }

  // ---- S4 boot storm --------------------------------------------------------------------------
  if (want('S4')) {
    const total = P.phones * P.keys;
    log(
      `S4 boot storm: ${P.phones} phones x ${P.keys} BLF keys (dialog event, digest auth) = ${total} subscriptions within ${P.stormSpreadMs / 1000} s; ` +
        'each phone its own address (127.1.x.y), default per-address flood limit, 503 + Retry-After honoured',
    );
    const node = await NodeUnderTest.start({ hints: HINTS, phones: P.phones, nodeFlags: nodeFlags('s4') });
    const client = LoadClientHandle.start();
    try {
      const ports = await client.init({ server: { host: '127.0.0.1', port: node.port }, sockets: P.phones, recvBufferSize: 0, addressPerSocket: true });
      const phase = await beginPhase(node, ports);
      const r = await client.subscribe({
        ...baseSubscribe('storm'),
        total,
        rate: (total * 1000) / P.stormSpreadMs,
        batch: P.keys,
        perSocket: P.keys,
        auth: { userPrefix: PHONE_PREFIX, password: PHONE_PASSWORD },
        event: 'dialog',
        accept: 'application/dialog-info+xml',
        // RFC 3261 Timer F: a phone gives a SUBSCRIBE up after 32 s.
        deadlineMs: 32000,
        probe: true,
        retryAfter503: true,
      });
      const usage = await endPhase(phase);
      // Two transactions per set-up with auth (the challenged SUBSCRIBE and the authorized one).
      const retxPct = Math.round((r.retransmissions / Math.max(1, r.attempted * 2)) * 1000) / 10;
      log(
        `  ${r.completed}/${r.attempted} active after ${(r.elapsedMs / 1000).toFixed(1)} s (offered over ${(r.sendMs / 1000).toFixed(1)} s), failures ${failureText(r)}, ` +
          `SUBSCRIBE retransmissions ${r.retransmissions} (${retxPct} %), 503s retried after Retry-After ${r.retried503}, NOTIFY retransmissions ${r.notifyRetransmissions}, set-up p50 ${r.latency.p50} p99 ${r.latency.p99} max ${r.latency.max} ms; ` +
          `node CPU ${usage.nodeCpuPct} %, generator CPU ${r.clientCpuPct} %, other processes ${othersPct(usage, r.clientCpuPct)} %, loop lag p99 ${usage.lag.p99} max ${usage.lag.max} ms, OPTIONS probe p99 ${r.probe.p99} max ${r.probe.max} ms (${r.probe.unanswered} of ${r.probe.n + r.probe.unanswered} unanswered), GC max pause ${usage.gc.maxPauseMs} ms, UDP drops node ${usage.nodeDrops} client ${usage.clientDrops}`,
      );
      add('S4 boot storm: subscriptions active', r.completed, `of ${total}`);
      add('S4 boot storm: time until 100 % active', r.failed === 0 ? Math.round(r.elapsedMs / 100) / 10 : -1, r.failed === 0 ? 's' : 's (-1: not all active)');
      add('S4 boot storm: failed set-ups', r.failed, 'subscriptions');
      add('S4 boot storm: SUBSCRIBE retransmissions', retxPct, '% of transactions');
      add('S4 boot storm: SUBSCRIBEs shed with 503 (retried by the phone)', r.retried503, 'SUBSCRIBEs');
      add('S4 boot storm: set-up latency p99', r.latency.p99, 'ms');
      add('S4 boot storm: node CPU', usage.nodeCpuPct, '% of a core');
      add('S4 boot storm: node event-loop lag p99', usage.lag.p99, 'ms');
      add('S4 boot storm: datagrams dropped at the node socket (receive buffer full)', usage.nodeDrops, 'datagrams');
    } finally {
      await client.quit();
      await node.stop();
    }
  }

  log(`note: load client, null responder and node share the same ${cpus} cores; latencies are measured at the watcher (NOTIFY received).`);
  for (const n of notes) log(`note: ${n}`);
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',') as PresenceScenario[] | undefined;
  const profileDir = args.find((a) => a.startsWith('--profile='))?.slice(10);
  const rows = await benchPresence({
    scale: args.includes('--reduced') ? 'reduced' : 'full',
    ...(only !== undefined ? { only } : {}),
    ...(profileDir !== undefined ? { profileDir } : {}),
  });
  console.log('\n== presence (S1-S4; load client and node share the machine\'s cores)');
  for (const r of rows) console.log(`  ${r.name.padEnd(72)} ${r.value.toLocaleString('en').padStart(12)} ${r.unit}`);
}
