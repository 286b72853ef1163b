/**
 * A fuzz campaign against a real `tsterisk` child process: mutations of the recorded messages
 * (mutate.ts) sent in batches, alternately over UDP (one datagram each) and TCP (a stream over
 * a few connections that live a random number of messages, some writes split into pieces).
 *
 * After every batch a clean client's OPTIONS must get 200 over the batch's transport (which
 * also paces the sender: over UDP the node reads its socket in order, so the answer means the
 * batch was read); the child must be alive, its RSS (VmRSS) must stay within a bound of the
 * starting value, and its log must show no ERROR line nor anything that is not a log line (a
 * stack trace). The child runs with node-stats.ts's preload, so its JS heap after a forced GC
 * is compared too: at the end, and (settleMs) once every transaction has ended.
 * Shared by test/fuzz/fuzz.test.ts (5,000 mutations) and bench/fuzz.ts.
 */
import dgram from 'node:dgram';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeConfigDir, startChildReady, type ChildNode } from '../support/node-harness.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';
import { ResponseTally, TcpFuzzer, TcpProber, UdpProber } from './clients.js';
import { mutate, prepareCorpus, Rng, type Corpus, type Mutation } from './mutate.js';
import { parseStatsLine, readRssKiB, STATS_NODE_OPTIONS, udpSocketDrops, type NodeStats } from './node-stats.js';

/** Endpoints the recorded messages name (watcher, bob, 1000), so mutations reach the registrar and digest code. */
export const FUZZ_PJSIP_CONF = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[watcher]
type = endpoint
context = blf
aors = watcher,vm1000

[watcher]
type = aor
max_contacts = 3
remove_existing = yes

[vm1000]
type = aor
max_contacts = 1
remove_existing = yes

[bob]
type = endpoint
auth = bob
aors = bob

[bob]
type = auth
username = bob
password = fuzz

[bob]
type = aor
max_contacts = 2
remove_existing = yes

[1000]
type = endpoint
auth = 1000
aors = 1000

[1000]
type = auth
username = 1000
password = fuzz
supported_algorithms_uas = SHA-256, MD5

[1000]
type = aor
max_contacts = 1
`;

/** Largest IPv4 UDP payload. */
const UDP_MAX = 65507;

export interface CampaignOptions {
  count: number;
  seed: number;
  /** Mutations per batch (one transport per batch, a probe after each). Default 25. */
  batch?: number;
  /** RSS may grow this much over the starting value. Default 64 MiB. */
  rssGrowthLimitMiB?: number;
  /** Concurrent fuzz TCP connections. Default 4. */
  tcpConnections?: number;
  /** Only these mutation ids (a reproduction), over `onlyTransport` (default: both in turn). */
  only?: readonly number[];
  onlyTransport?: 'udp' | 'tcp';
  /** Progress lines (every `progressEvery` mutations). */
  progress?: (line: string) => void;
  progressEvery?: number;
  /** Stop at the first failed probe / dead node (default true). */
  stopOnFailure?: boolean;
  recordedDir?: string;
  /**
   * After the last probe, wait this long (longer than Timer J, 32 s, lets every transaction
   * end), then compare the JS heap after a forced GC with the one at the start. Default 0.
   */
  settleMs?: number;
  /** With settleMs: the GC'd heap may grow this much. Default 16 MiB. */
  heapGrowthLimitMiB?: number;
}

export interface Suspect {
  id: number;
  transport: 'udp' | 'tcp';
  ops: readonly string[];
  base64: string;
}

export interface CampaignResult {
  seed: number;
  sent: { udp: number; tcp: number };
  /** Messages the fuzz sockets got back (retransmissions included). */
  received: number;
  /** Distinct ones (a retransmission, or the same stateless 400 to the same broken input, counts once). */
  responses: number;
  /** Messages received per status. */
  statuses: Record<string, number>;
  /** Datagrams the kernel dropped on the node's UDP socket (receive buffer full) during the run. */
  udpDrops: number;
  probes: number;
  probeFailures: string[];
  maxProbeRttMs: number;
  tcpConnections: number;
  tcpClosedByNode: number;
  rssKiB: { start: number; max: number; end: number };
  /** JS heap after a forced GC: at the start, at the end of the mutations, after settleMs. */
  heapMiB: { start: number; end: number; settled: number | null };
  /** Event-loop delay p99 and max while the mutations were sent. */
  loopLagMs: { p99: number; max: number };
  /** ERROR lines and stray (non-log) lines of the node, with the batch that preceded each. */
  errors: Array<{ lines: string[]; suspects: Suspect[] }>;
  alive: boolean;
  /** Why the run failed, null when every check held. */
  failure: string | null;
  /** Inputs of the batch in flight when the run failed. */
  suspects: Suspect[];
  durationMs: number;
}

export function loadCorpus(dir = RECORDED_DIR): Corpus {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.txt')) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  const raw = files.flatMap((f) => readRecordedMessages(f).map((m) => m.raw));
  return prepareCorpus(raw);
}

const LOG_LINE = /^\[[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\] (ERROR|WARNING|NOTICE|VERBOSE|DEBUG|DTMF)\[/;

/** An ERROR line, or a line that is no log line at all (a stack trace, an uncaught exception). */
export function isErrorLine(line: string): boolean {
  const m = LOG_LINE.exec(line);
  if (m) return m[1] === 'ERROR';
  return line.trim() !== '' && line !== 'tsterisk Ready.' && !line.startsWith('BENCHSTATS ');
}

function suspectOf(m: Mutation, transport: 'udp' | 'tcp'): Suspect {
  return { id: m.id, transport, ops: m.ops, base64: m.data.toString('base64') };
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

export function summaryLine(r: CampaignResult): string {
  const statuses = Object.entries(r.statuses)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  const total = r.sent.udp + r.sent.tcp;
  return (
    `fuzz seed=${r.seed}: ${total} mutations (udp ${r.sent.udp}, tcp ${r.sent.tcp} over ${r.tcpConnections} connections, ${r.tcpClosedByNode} closed by the node) ` +
    `in ${(r.durationMs / 1000).toFixed(1)} s; ${r.received} responses (${r.responses} distinct) [${statuses}]; ` +
    `probes ${r.probes - r.probeFailures.length}/${r.probes} answered 200 (max rtt ${r.maxProbeRttMs} ms); ` +
    `RSS ${mib(r.rssKiB.start)} -> ${mib(r.rssKiB.end)} MiB (max ${mib(r.rssKiB.max)}); ` +
    `heap after GC ${r.heapMiB.start.toFixed(1)} -> ${r.heapMiB.end.toFixed(1)} MiB${r.heapMiB.settled !== null ? ` -> ${r.heapMiB.settled.toFixed(1)} MiB settled` : ''}; ` +
    `loop lag p99 ${r.loopLagMs.p99} ms (max ${r.loopLagMs.max}); ` +
    `UDP drops at the node ${r.udpDrops}; ${r.errors.length} error reports; node ${r.alive ? 'alive' : 'DEAD'}${r.failure ? `; FAILED: ${r.failure}` : ''}`
  );
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const t0 = Date.now();
  const corpus = loadCorpus(opts.recordedDir);
  const batchSize = opts.batch ?? 25;
  const rssLimitKiB = (opts.rssGrowthLimitMiB ?? 64) * 1024;
  const stopOnFailure = opts.stopOnFailure ?? true;
  const dir = makeConfigDir({
    'modules.conf': '[modules]\nautoload=yes\n',
    'pjsip.conf': FUZZ_PJSIP_CONF,
    'extensions.conf': '[blf]\nexten => 1000,hint,Custom:alice\n',
  });
  // NODE_OPTIONS reaches only the child: spawn happens synchronously inside startChildReady.
  const savedNodeOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${savedNodeOptions ?? ''} ${STATS_NODE_OPTIONS}`.trim();
  const starting = startChildReady(dir);
  if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = savedNodeOptions;
  const child: ChildNode = await starting;
  let statsSeq = 0;
  const nodeStats = async (gc: boolean): Promise<NodeStats | null> => {
    const n = ++statsSeq;
    const answer = child.waitFor(new RegExp(`^BENCHSTATS ${n} `), 20000);
    child.proc.stdin!.write(`${gc ? 'gc' : 'stats'} ${n}\n`);
    try {
      return parseStatsLine(await answer, n);
    } catch {
      return null;
    }
  };
  const pid = child.proc.pid!;
  let exited = false;
  void child.exited.then(() => (exited = true));

  const portOf = (proto: 'UDP' | 'TCP'): number => {
    const re = new RegExp(`Transport '\\w+' bound to ${proto} 127\\.0\\.0\\.1:(\\d+)`);
    for (const l of child.lines) {
      const m = re.exec(l);
      if (m) return Number(m[1]);
    }
    throw new Error(`no ${proto} transport in the node's log:\n${child.lines.join('\n')}`);
  };
  const udpPort = portOf('UDP');
  const tcpPort = portOf('TCP');

  const tally = new ResponseTally();
  const fuzzSock = dgram.createSocket('udp4');
  await new Promise<void>((r) => fuzzSock.bind(0, '127.0.0.1', () => r()));
  fuzzSock.on('message', (m) => tally.add(m));
  fuzzSock.on('error', () => undefined);
  const udpProber = await UdpProber.open(udpPort);
  const tcpProber = new TcpProber(tcpPort);
  const tcpFuzzer = new TcpFuzzer(tcpPort, opts.tcpConnections ?? 4, tally);

  const result: CampaignResult = {
    seed: opts.seed,
    sent: { udp: 0, tcp: 0 },
    received: 0,
    responses: 0,
    statuses: tally.statuses,
    udpDrops: 0,
    probes: 0,
    probeFailures: [],
    maxProbeRttMs: 0,
    tcpConnections: 0,
    tcpClosedByNode: 0,
    rssKiB: { start: 0, max: 0, end: 0 },
    heapMiB: { start: 0, end: 0, settled: null },
    loopLagMs: { p99: 0, max: 0 },
    errors: [],
    alive: true,
    failure: null,
    suspects: [],
    durationMs: 0,
  };

  const probe = async (transport: 'udp' | 'tcp'): Promise<boolean> => {
    result.probes++;
    const t = Date.now();
    const status = await (transport === 'udp' ? udpProber.probe(8000) : tcpProber.probe(8000));
    result.maxProbeRttMs = Math.max(result.maxProbeRttMs, Date.now() - t);
    if (status === '200') return true;
    result.probeFailures.push(`${transport.toUpperCase()} OPTIONS after ${result.sent.udp + result.sent.tcp} mutations: ${status ?? 'no answer within 8 s'}`);
    return false;
  };

  const drops0 = udpSocketDrops(udpPort);
  // Start: both probes answer, then the RSS baseline.
  await probe('udp');
  await probe('tcp');
  result.heapMiB.start = ((await nodeStats(true))?.heapUsed ?? 0) / 2 ** 20;
  result.rssKiB.start = readRssKiB(pid);
  result.rssKiB.max = result.rssKiB.start;

  let scanned = 0;
  const scanLog = (batch: Suspect[]): void => {
    const lines = child.lines;
    const bad: string[] = [];
    for (let i = scanned; i < lines.length; i++) {
      if (isErrorLine(lines[i]!)) bad.push(lines[i]!);
    }
    if (bad.length > 0) result.errors.push({ lines: bad.slice(0, 40), suspects: batch });
    // Keep the parent's memory flat on long runs: the scanned lines are not needed again.
    if (lines.length > 5000) lines.splice(0, lines.length - 100);
    scanned = lines.length;
  };

  const ids: number[] = opts.only ? [...opts.only] : Array.from({ length: opts.count }, (_, i) => i);
  const progressEvery = opts.progressEvery ?? 10000;
  let nextProgress = progressEvery;
  let batchNo = 0;
  try {
    for (let start = 0; start < ids.length; start += batchSize, batchNo++) {
      const transport: 'udp' | 'tcp' = opts.onlyTransport ?? (batchNo % 2 === 0 ? 'udp' : 'tcp');
      const batch: Suspect[] = [];
      for (const id of ids.slice(start, start + batchSize)) {
        const m = mutate(corpus, opts.seed, id, transport === 'udp' ? { maxBytes: UDP_MAX } : {});
        batch.push(suspectOf(m, transport));
        if (transport === 'udp') {
          await new Promise<void>((r) => fuzzSock.send(m.data, udpPort, '127.0.0.1', () => r()));
          result.sent.udp++;
        } else {
          await tcpFuzzer.send(m, new Rng(opts.seed ^ 0x7cf3a1d5, id));
          result.sent.tcp++;
        }
      }
      const answered = await probe(transport);
      const rss = readRssKiB(pid);
      if (rss > 0) result.rssKiB.max = Math.max(result.rssKiB.max, rss);
      scanLog(batch);
      let failure: string | null = null;
      if (exited || child.proc.exitCode !== null || child.proc.signalCode !== null) {
        failure = `node exited (code ${String(child.proc.exitCode)}, signal ${String(child.proc.signalCode)})`;
      } else if (!answered) {
        failure = result.probeFailures[result.probeFailures.length - 1]!;
      } else if (result.rssKiB.max - result.rssKiB.start > rssLimitKiB) {
        failure = `RSS grew ${mib(result.rssKiB.max - result.rssKiB.start)} MiB (limit ${mib(rssLimitKiB)})`;
      }
      if (failure !== null && result.failure === null) {
        result.failure = failure;
        result.suspects = batch;
        if (stopOnFailure) break;
      }
      const done = result.sent.udp + result.sent.tcp;
      if (opts.progress && done >= nextProgress) {
        nextProgress += progressEvery;
        result.responses = tally.distinct;
        result.tcpConnections = tcpFuzzer.opened;
        result.tcpClosedByNode = tcpFuzzer.closedByNode;
        result.durationMs = Date.now() - t0;
        opts.progress(`  ${done} mutations, ${(result.durationMs / 1000).toFixed(1)} s, ${tally.received} responses, RSS ${mib(rss)} MiB (max ${mib(result.rssKiB.max)}), ${result.errors.length} error reports`);
      }
    }
    // End: a clean OPTIONS over both transports.
    if (!exited) {
      const u = await probe('udp');
      const t = await probe('tcp');
      if ((!u || !t) && result.failure === null) result.failure = result.probeFailures[result.probeFailures.length - 1]!;
    }
    result.rssKiB.end = readRssKiB(pid);
    result.udpDrops = udpSocketDrops(udpPort) - drops0;
    if (!exited) {
      const end = await nodeStats(true);
      if (end !== null) {
        result.heapMiB.end = end.heapUsed / 2 ** 20;
        result.loopLagMs = { p99: Math.round(end.lagP99Ms * 10) / 10, max: Math.round(end.lagMaxMs * 10) / 10 };
      }
    }
    const settleMs = opts.settleMs ?? 0;
    if (settleMs > 0 && !exited) {
      opts.progress?.(`  settling ${Math.round(settleMs / 1000)} s (transactions end), then GC`);
      await new Promise((r) => setTimeout(r, settleMs));
      const settled = await nodeStats(true);
      if (settled !== null) {
        result.heapMiB.settled = settled.heapUsed / 2 ** 20;
        const limit = opts.heapGrowthLimitMiB ?? 16;
        if (result.heapMiB.settled - result.heapMiB.start > limit && result.failure === null) {
          result.failure = `JS heap after GC grew ${(result.heapMiB.settled - result.heapMiB.start).toFixed(1)} MiB over the run (limit ${limit} MiB, after ${Math.round(settleMs / 1000)} s settling)`;
        }
      }
    }
    scanLog([]);
    result.alive = !exited && child.proc.exitCode === null && child.proc.signalCode === null;
    if (!result.alive && result.failure === null) result.failure = 'node exited';
  } finally {
    tcpFuzzer.close();
    tcpProber.close();
    udpProber.close();
    fuzzSock.close();
    if (!exited) {
      child.proc.kill('SIGTERM');
      const t = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
      await child.exited;
      clearTimeout(t);
    }
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  result.received = tally.received;
  result.responses = tally.distinct;
  result.tcpConnections = tcpFuzzer.opened;
  result.tcpClosedByNode = tcpFuzzer.closedByNode;
  result.durationMs = Date.now() - t0;
  return result;
}
