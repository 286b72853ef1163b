/**
 * REGISTER benchmarks (issue 3), RFC 7501/7502 style, against a real `tsterisk` child process
 * (`node dist/bench/register.js`, about 1.5 minutes; `--quick` for a short smoke run):
 *
 * 1. Generator calibration: SIPp's UAC against a SIPp null responder (bench/sipp/null-responder.xml)
 *    at twice the top offered rate, so the generator's own ceiling on this machine is known.
 * 2. REGISTER throughput driven by SIPp over UDP, without auth (bench/sipp/register-noauth.xml:
 *    endpoints without `auth=`, identified by the From user, each with its own AOR; the CSV
 *    gives each call the next of 2,000 users) and with digest auth (register-auth.xml: 401, then
 *    the authenticated REGISTER). Each variant gets a fresh node and an unreported 1 s warm-up;
 *    the offered rate then steps up (500, 1000, 2000, 3000, 4000/s, 3 s each) until a step
 *    fails, and one step half-way between the last pass and the first failure follows. A step
 *    passes with zero failed calls and an achieved rate of at least 95 % of the offered one.
 *    Reported: the highest passing rate, response time p50/p99 (SIPp -trace_rtt, first REGISTER
 *    sent -> 200 received; with auth that spans both transactions), retransmissions, node CPU %
 *    (/proc/<pid>/stat), SIPp CPU % (our cutime once it is reaped), node RSS, event-loop lag
 *    p99, and the kernel's drops on the node's and on SIPp's socket (/proc/net/udp). Both sides
 *    get 4 MiB receive buffers (the node through `udp_recv_buffer_size`), so a GC pause does not
 *    turn into drops and retransmission storms.
 * 3. Memory per registered contact: 20,000 contacts (2,000 AORs taking 10 each) registered by a
 *    raw UDP client; RSS and the JS heap after a forced GC before and after (the node runs with
 *    --expose-gc and the stats preload of test/fuzz/node-stats.ts), read once the REGISTER
 *    transactions have ended (Timer J, 32 s), so only the contacts remain. This node starts
 *    (and is warmed up with 1,000 contacts) before the throughput steps and idles through them.
 *
 * The node runs in its own process, but the machine's cores are shared between it and the
 * generator (and anything else running): every figure says so, with the load average.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseStatsLine, readRssKiB as rssKiB, STATS_PRELOAD_URL, udpRcvbufErrors, udpSocketDrops, type NodeStats } from '../test/fuzz/node-stats.js';
import { CLI_JS } from '../test/support/node-harness.js';
import type { BenchResult } from './sip-parse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The scenarios live in the source tree (tsc does not copy them): dist/bench -> bench/sipp. */
function scenarioDir(): string {
  for (const d of [path.resolve(here, 'sipp'), path.resolve(here, '..', '..', 'bench', 'sipp')]) {
    if (existsSync(path.join(d, 'register-noauth.xml'))) return d;
  }
  throw new Error(`bench/sipp scenarios not found from ${here}`);
}

/** Receive buffer for SIPp's and the node's UDP sockets (within net.core.rmem_max here). */
const SOCKET_BUFFER = 4 << 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RegisterBenchOptions {
  /** Offered rates (calls/s), stepped up until a step fails. */
  rates?: number[];
  /** Seconds per step. */
  stepSeconds?: number;
  /** Users per variant for the throughput test (each call registers the next one, cyclically). */
  users?: number;
  /** Contacts for the memory test (0 skips it). */
  contacts?: number;
  /** Wait for the REGISTER transactions to end before the memory "after" reading. */
  waitTimerJ?: boolean;
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------------------------
// CPU and memory of processes

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime+stime (own) and cutime+cstime (waited-for children) of a process, in seconds. */
function cpuSeconds(pid: number | 'self'): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name may hold spaces: fields start after the closing parenthesis
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = ticksPerSecond();
    return { own: (Number(f[11]) + Number(f[12])) / t, children: (Number(f[13]) + Number(f[14])) / t };
  } catch {
    return { own: 0, children: 0 };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------
// The node under test

class BenchNode {
  private tail: string[] = [];
  private waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  private statsSeq = 0;
  private port = 0;
  readonly exited: Promise<number | null>;
  errors: string[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly root: string,
  ) {
    let partial = '';
    const onData = (chunk: Buffer): void => {
      partial += chunk.toString('utf8');
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.tail.push(line);
        if (this.tail.length > 400) this.tail.splice(0, 200);
        if (/\] ERROR\[/.test(line) && this.errors.length < 20) this.errors.push(line);
        for (const w of [...this.waiters]) {
          if (w.re.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  static async start(pjsipConf: string): Promise<BenchNode> {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tst-bench-'));
    const dir = path.join(root, 'etc');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'asterisk.conf'),
      `[directories]\nastdbdir => ${root}/db\nastrundir => ${root}/run\nastvarlibdir => ${root}/lib\nastspooldir => ${root}/spool\nastlogdir => ${root}/log\n[options]\nentityid = 02:00:00:00:00:01\n`,
    );
    writeFileSync(path.join(dir, 'modules.conf'), '[modules]\nautoload=yes\n');
    writeFileSync(path.join(dir, 'extensions.conf'), '[default]\n');
    writeFileSync(path.join(dir, 'pjsip.conf'), pjsipConf);
    const proc = spawn(process.execPath, ['--expose-gc', '--import', STATS_PRELOAD_URL, CLI_JS, '-C', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const node = new BenchNode(proc, root);
    await node.waitFor(/^tsterisk Ready\.$/, 60000);
    node.udpPort();
    return node;
  }

  waitFor(re: RegExp, timeoutMs = 15000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${this.tail.slice(-30).join('\n')}`)), timeoutMs);
      this.waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
      void this.exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`node exited (${code}) while waiting for ${re}:\n${this.tail.slice(-30).join('\n')}`));
      });
    });
  }

  /** The bound UDP port, read from the start-up log (`Transport 'udp' bound to UDP 127.0.0.1:<port>`). */
  udpPort(): number {
    if (this.port === 0) {
      const m = this.tail.map((l) => /Transport '\w+' bound to UDP 127\.0\.0\.1:(\d+)/.exec(l)).find((x) => x !== null);
      if (!m) throw new Error('no UDP transport in the log');
      this.port = Number(m[1]);
    }
    return this.port;
  }

  async stats(gc = false): Promise<NodeStats> {
    const n = ++this.statsSeq;
    const line = this.waitFor(new RegExp(`^BENCHSTATS ${n} `), 20000);
    this.proc.stdin!.write(`${gc ? 'gc' : 'stats'} ${n}\n`);
    return parseStatsLine(await line, n)!;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Configurations

/** `n<i>` without auth and `a<i>` with digest auth, each an endpoint with its own AOR. */
function throughputConf(users: number): string {
  const lines = [
    `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:0\nudp_recv_buffer_size = ${SOCKET_BUFFER}\n`,
    '[ep](!)\ntype = endpoint\nidentify_by = username\ncontext = default\n',
    '[aor](!)\ntype = aor\nmax_contacts = 1\nremove_existing = yes\n',
  ];
  for (let i = 0; i < users; i++) {
    lines.push(`[n${i}](ep)\naors = n${i}\n[n${i}](aor)\n`);
    lines.push(`[a${i}](ep)\naors = a${i}\nauth = a${i}\n[a${i}](aor)\n[a${i}]\ntype = auth\nusername = a${i}\npassword = pw${i}\n`);
  }
  return lines.join('');
}

/** Contacts per AOR in the memory test. */
const CONTACTS_PER_AOR = 10;

/**
 * `w<i>` (warm-up) and `m<i>` AORs taking CONTACTS_PER_AOR contacts each. Not one AOR per
 * contact: every contact change walks all endpoints (res_pjsip publishForAor), which makes
 * REGISTER O(endpoints) and 20,000 endpoints take minutes (reported by the bench).
 */
function memoryConf(warmAors: number, aors: number): string {
  const lines = [
    '[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:0\n',
    '[ep](!)\ntype = endpoint\nidentify_by = username\ncontext = default\n',
    `[aor](!)\ntype = aor\nmax_contacts = ${CONTACTS_PER_AOR}\n`,
  ];
  for (let i = 0; i < warmAors; i++) lines.push(`[w${i}](ep)\naors = w${i}\n[w${i}](aor)\n`);
  for (let i = 0; i < aors; i++) lines.push(`[m${i}](ep)\naors = m${i}\n[m${i}](aor)\n`);
  return lines.join('');
}

/** The i-th contact of the memory test: AOR m<i / CONTACTS_PER_AOR>, contact user m<i>. */
function memoryBinding(prefix: string, i: number): Binding {
  return { aor: `${prefix}${Math.floor(i / CONTACTS_PER_AOR)}`, contactUser: `${prefix}c${i}` };
}

// ---------------------------------------------------------------------------------------------
// SIPp

interface SippResult {
  offered: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Calls per second between the first and the last completed call. */
  achieved: number;
  rtt: { p50: number; p99: number; max: number };
  sippCpuPct: number;
  /** Datagrams the kernel dropped on SIPp's socket (its receive buffer was full). */
  sippDrops: number;
  wallSeconds: number;
  exitCode: number | null;
}

function parseStatFile(file: string): Record<string, string> {
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  const names = lines[0]!.split(';');
  const values = lines[lines.length - 1]!.split(';');
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = values[i] ?? ''));
  return out;
}

async function runSipp(opts: {
  cwd: string;
  scenario: string;
  target: string;
  csv?: string;
  rate: number;
  seconds: number;
  /** SIPp's local port (its drops are read from /proc/net/udp). */
  localPort: number;
  onProcess?: (p: ChildProcess) => void;
}): Promise<SippResult> {
  const calls = Math.round(opts.rate * opts.seconds);
  const tag = `${path.basename(opts.scenario, '.xml')}-${opts.rate}-${Date.now()}`;
  const statFile = path.join(opts.cwd, `${tag}.stat.csv`);
  const before = new Set(readdirSync(opts.cwd));
  const args = [
    opts.target,
    '-sf', opts.scenario,
    ...(opts.csv ? ['-inf', opts.csv] : []),
    '-t', 'u1',
    '-i', '127.0.0.1',
    '-p', String(opts.localPort),
    // SIPp's default socket buffers are 64 KiB: a burst of answers would be dropped by the
    // generator itself and look like a node failure
    '-buff_size', String(SOCKET_BUFFER),
    '-r', String(opts.rate),
    '-m', String(calls),
    // a high simultaneous-call limit: an overloaded node must show as failures, not as a
    // generator politely waiting
    '-l', String(Math.min(opts.rate * 10, 15000)),
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_rtt', '-rtt_freq', '1',
    '-recv_timeout', '5000',
    '-timeout', `${opts.seconds + 20}s`,
  ];
  const cpu0 = cpuSeconds('self').children;
  const drops0 = udpSocketDrops(opts.localPort);
  const t0 = Date.now();
  const proc = spawn('sipp', args, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  opts.onProcess?.(proc);
  const exitCode = await new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const wallSeconds = (Date.now() - t0) / 1000;
  // SIPp has been reaped: its whole CPU time is now in our cutime/cstime
  const sippCpu = cpuSeconds('self').children - cpu0;
  const sippDrops = udpSocketDrops(opts.localPort) - drops0;
  if (!existsSync(statFile)) throw new Error(`SIPp wrote no statistics (exit ${exitCode}): ${stderr.slice(0, 2000)}`);
  const stat = parseStatFile(statFile);
  const rttFile = readdirSync(opts.cwd).find((f) => !before.has(f) && f.endsWith('_rtt.csv'));
  const samples: Array<[number, number]> = [];
  if (rttFile !== undefined) {
    for (const line of readFileSync(path.join(opts.cwd, rttFile), 'latin1').split('\n').slice(1)) {
      const [at, ms] = line.split(';');
      if (at !== undefined && ms !== undefined && at !== '') samples.push([Number(at), Number(ms)]);
    }
  }
  const times = samples.map((s) => s[1]).sort((a, b) => a - b);
  const first = samples.length > 0 ? Math.min(...samples.map((s) => s[0])) : 0;
  const last = samples.length > 0 ? Math.max(...samples.map((s) => s[0])) : 0;
  return {
    offered: opts.rate,
    calls,
    successful: Number(stat['SuccessfulCall(C)'] ?? 0),
    failed: Number(stat['FailedCall(C)'] ?? 0),
    retransmissions: Number(stat['Retransmissions(C)'] ?? 0),
    achieved: samples.length > 1 && last > first ? ((samples.length - 1) * 1000) / (last - first) : 0,
    rtt: { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1] ?? 0 },
    sippCpuPct: wallSeconds > 0 ? (100 * sippCpu) / wallSeconds : 0,
    sippDrops,
    wallSeconds,
    exitCode,
  };
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** SIPp UAC against a SIPp UAS that answers 200 at once: the generator's own ceiling. */
async function calibrate(dir: string, rate: number, seconds: number): Promise<SippResult> {
  const port = await freeUdpPort();
  const uas = spawn('sipp', ['-sf', path.join(scenarioDir(), 'null-responder.xml'), '-t', 'u1', '-i', '127.0.0.1', '-p', String(port), '-buff_size', String(SOCKET_BUFFER), '-nostdin', '-timeout', `${seconds + 30}s`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const uasExit = new Promise<void>((r) => uas.on('exit', () => r()));
  await sleep(300);
  const csv = path.join(dir, 'calibrate.csv');
  writeFileSync(csv, `SEQUENTIAL\n${Array.from({ length: 1000 }, (_, i) => `c${i};x`).join('\n')}\n`);
  try {
    return await runSipp({ cwd: dir, scenario: path.join(scenarioDir(), 'register-noauth.xml'), target: `127.0.0.1:${port}`, csv, rate, seconds, localPort: await freeUdpPort() });
  } finally {
    uas.kill('SIGTERM');
    await uasExit;
  }
}

interface StepResult extends SippResult {
  nodeCpuPct: number;
  nodeRssMiB: number;
  lagP99Ms: number;
  /** Kernel UDP RcvbufErrors (whole host) during the step. */
  rcvbufErrors: number;
  /** Of which on the node's socket. */
  nodeDrops: number;
  passed: boolean;
}

/** One step: SIPp at `rate` for `seconds`, with the node's CPU, loop lag, RSS and socket drops. */
async function step(node: BenchNode, dir: string, scenario: string, csv: string, rate: number, seconds: number): Promise<StepResult> {
  await node.stats(); // resets the loop-delay histogram
  let cpu0 = 0;
  let t0 = 0;
  const drops0 = udpRcvbufErrors();
  const nodeDrops0 = udpSocketDrops(node.udpPort());
  const r = await runSipp({
    cwd: dir,
    scenario,
    target: `127.0.0.1:${node.udpPort()}`,
    csv,
    rate,
    seconds,
    localPort: await freeUdpPort(),
    onProcess: () => {
      cpu0 = cpuSeconds(node.pid).own;
      t0 = Date.now();
    },
  });
  const nodeCpuPct = (100 * (cpuSeconds(node.pid).own - cpu0)) / ((Date.now() - t0) / 1000);
  const s = await node.stats();
  const passed = r.failed === 0 && r.successful === r.calls && r.achieved >= 0.95 * rate;
  return {
    ...r,
    nodeCpuPct,
    nodeRssMiB: s.rss / 2 ** 20,
    lagP99Ms: s.lagP99Ms,
    rcvbufErrors: udpRcvbufErrors() - drops0,
    nodeDrops: udpSocketDrops(node.udpPort()) - nodeDrops0,
    passed,
  };
}

function describeStep(label: string, st: StepResult): string {
  return (
    `  ${label} offered ${st.offered}/s: ${st.successful}/${st.calls} ok, ${st.failed} failed, achieved ${st.achieved.toFixed(0)}/s, ` +
    `rtt p50 ${st.rtt.p50} ms p99 ${st.rtt.p99} ms max ${st.rtt.max} ms, retrans ${st.retransmissions}, ` +
    `node CPU ${st.nodeCpuPct.toFixed(0)} %, SIPp CPU ${st.sippCpuPct.toFixed(0)} %, node RSS ${st.nodeRssMiB.toFixed(0)} MiB, ` +
    `loop lag p99 ${st.lagP99Ms.toFixed(1)} ms, UDP drops node ${st.nodeDrops} SIPp ${st.sippDrops}${st.passed ? '' : '  <- fails'}`
  );
}

/**
 * RFC 7502 style: a fresh node, a short unreported warm-up (the JIT), then the offered rate
 * stepped up until a step fails, then one step half-way between the last pass and the first
 * failure. Pauses between steps let the backlog of the previous one drain.
 */
async function stepUp(conf: string, dir: string, scenario: string, csv: string, rates: number[], seconds: number, log: (l: string) => void, label: string): Promise<{ steps: StepResult[]; rssMiB: number; errors: string[] }> {
  const node = await BenchNode.start(conf);
  try {
    await step(node, dir, scenario, csv, rates[0]!, 1);
    await sleep(1000);
    const steps: StepResult[] = [];
    for (const rate of rates) {
      const st = await step(node, dir, scenario, csv, rate, seconds);
      steps.push(st);
      log(describeStep(label, st));
      if (!st.passed) break;
      await sleep(1000);
    }
    const lastPass = [...steps].reverse().find((x) => x.passed);
    const firstFail = steps.find((x) => !x.passed);
    if (lastPass && firstFail) {
      const mid = Math.round((lastPass.offered + firstFail.offered) / 200) * 100;
      if (mid > lastPass.offered && mid < firstFail.offered) {
        await sleep(3000);
        const st = await step(node, dir, scenario, csv, mid, seconds);
        steps.push(st);
        log(describeStep(label, st));
      }
    }
    return { steps, rssMiB: (await node.stats()).rss / 2 ** 20, errors: node.errors };
  } finally {
    await node.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Memory per contact: a raw UDP client keeps a window of REGISTERs in flight

interface Binding {
  /** Endpoint and AOR name (From and To user). */
  aor: string;
  /** User part of the Contact URI, unique per contact. */
  contactUser: string;
}

async function registerMany(port: number, bindings: Binding[], window: number): Promise<{ ok: number; failed: number; seconds: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const me = sock.address().port;
  const pending = new Map<string, { sentAt: number; tries: number; data: Buffer }>();
  let next = 0;
  let ok = 0;
  let failed = 0;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearInterval(timer);
      sock.close();
      resolve({ ok, failed, seconds: (Date.now() - t0) / 1000 });
    };
    const sendNext = (): void => {
      if (next >= bindings.length) {
        if (pending.size === 0) finish();
        return;
      }
      const { aor: user, contactUser } = bindings[next++]!;
      const branch = `z9hG4bKmem${me}x${next}`;
      const data = Buffer.from(
        `REGISTER sip:127.0.0.1:${port} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${me};rport;branch=${branch}\r\n` +
          'Max-Forwards: 70\r\n' +
          `From: <sip:${user}@127.0.0.1>;tag=m${next}\r\n` +
          `To: <sip:${user}@127.0.0.1>\r\n` +
          `Call-ID: mem-${me}-${next}@bench\r\n` +
          'CSeq: 1 REGISTER\r\n' +
          `Contact: <sip:${contactUser}@127.0.0.1:${me}>\r\n` +
          'Expires: 3600\r\n' +
          'User-Agent: tsterisk-bench\r\n' +
          'Content-Length: 0\r\n\r\n',
      );
      pending.set(branch, { sentAt: Date.now(), tries: 1, data });
      sock.send(data, port, '127.0.0.1');
    };
    sock.on('message', (m) => {
      const text = m.toString('latin1', 0, 400);
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
      if (status < 200) return;
      const branch = /branch=([^;\s]+)/.exec(text)?.[1];
      if (branch === undefined || !pending.delete(branch)) return;
      if (status === 200) ok++;
      else failed++;
      sendNext();
    });
    const timer = setInterval(() => {
      const now = Date.now();
      for (const [branch, p] of pending) {
        if (now - p.sentAt < 1000) continue;
        if (p.tries >= 4) {
          pending.delete(branch);
          failed++;
          sendNext();
          continue;
        }
        p.tries++;
        p.sentAt = now;
        sock.send(p.data, port, '127.0.0.1');
      }
    }, 250);
    for (let i = 0; i < window; i++) sendNext();
  });
}

// ---------------------------------------------------------------------------------------------

export async function benchRegister(opts: RegisterBenchOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rates = opts.rates ?? [500, 1000, 2000, 3000, 4000];
  const seconds = opts.stepSeconds ?? 3;
  const users = opts.users ?? 2000;
  const contacts = opts.contacts ?? 20000;
  const results: BenchResult[] = [];
  const shared = `generator and node share the ${os.cpus().length} cores`;
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
  } catch (e) {
    // sipp -v exits non-zero on some builds; only a missing binary is fatal
    if ((e as { code?: string }).code === 'ENOENT') {
      log('  sipp is not installed (Debian: sip-tester): REGISTER throughput skipped');
      return results;
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tst-sipp-'));
  const waitTimerJ = opts.waitTimerJ ?? true;
  // The memory node starts first and is warmed up, then sits idle (no CPU) while the throughput
  // steps run: by the time it is measured, its warm-up transactions have ended.
  const warm = 1000;
  const aors = Math.ceil(contacts / CONTACTS_PER_AOR);
  let mem: BenchNode | null = null;
  let warmedAt = 0;
  let warmedUp = 0;
  try {
    if (contacts > 0) {
      mem = await BenchNode.start(memoryConf(warm / CONTACTS_PER_AOR, aors));
      const w = await registerMany(mem.udpPort(), Array.from({ length: warm }, (_, i) => memoryBinding('w', i)), 50);
      warmedUp = w.ok;
      warmedAt = Date.now();
    }

    // 1. generator calibration
    const topRate = Math.max(...rates);
    const cal = await calibrate(dir, 2 * topRate, 2);
    log(
      `  calibration: SIPp UAC -> SIPp null responder, offered ${cal.offered}/s: achieved ${cal.achieved.toFixed(0)}/s, ` +
        `${cal.failed} failed, ${cal.retransmissions} retransmissions, SIPp UAC CPU ${cal.sippCpuPct.toFixed(0)} %, UAC socket drops ${cal.sippDrops} (${shared})`,
    );
    results.push({ name: `SIPp calibration: null responder at ${cal.offered}/s offered`, value: Math.round(cal.achieved), unit: `REGISTER/s (UAC CPU ${cal.sippCpuPct.toFixed(0)} %)` });

    // 2. throughput, no auth then digest auth, each on a fresh node
    const conf = throughputConf(users);
    const csvN = path.join(dir, 'users-noauth.csv');
    const csvA = path.join(dir, 'users-auth.csv');
    writeFileSync(csvN, `SEQUENTIAL\n${Array.from({ length: users }, (_, i) => `n${i};x`).join('\n')}\n`);
    writeFileSync(csvA, `SEQUENTIAL\n${Array.from({ length: users }, (_, i) => `a${i};[authentication username=a${i} password=pw${i}]`).join('\n')}\n`);
    for (const [label, scenario, csv, txnPerCall] of [
      ['no auth', 'register-noauth.xml', csvN, 1],
      ['digest auth', 'register-auth.xml', csvA, 2],
    ] as const) {
      const { steps, rssMiB, errors } = await stepUp(conf, dir, path.join(scenarioDir(), scenario), csv, rates, seconds, log, label);
      if (errors.length > 0) log(`  node logged errors:\n    ${errors.join('\n    ')}`);
      const best = steps.filter((x) => x.passed).sort((a, b) => b.offered - a.offered)[0];
      const prefix = `REGISTER ${label} (SIPp, UDP)`;
      if (best === undefined) {
        results.push({ name: `${prefix}: no step passed (lowest ${rates[0]}/s)`, value: 0, unit: 'REGISTER/s' });
        continue;
      }
      results.push({ name: `${prefix}: highest rate, 0 failures`, value: best.offered, unit: `REGISTER/s = ${best.offered * txnPerCall} txn/s (${shared})` });
      results.push({ name: `${prefix}: achieved at that step`, value: Math.round(best.achieved), unit: 'REGISTER/s' });
      results.push({ name: `${prefix}: response time p50`, value: best.rtt.p50, unit: txnPerCall === 2 ? 'ms (REGISTER -> 401 -> REGISTER -> 200)' : 'ms' });
      results.push({ name: `${prefix}: response time p99`, value: best.rtt.p99, unit: 'ms' });
      results.push({ name: `${prefix}: node CPU at that step`, value: Math.round(best.nodeCpuPct), unit: `% of one core (SIPp ${best.sippCpuPct.toFixed(0)} %)` });
      results.push({ name: `${prefix}: node loop lag p99 at that step`, value: Math.round(best.lagP99Ms * 10) / 10, unit: 'ms' });
      const failing = steps.filter((x) => !x.passed).sort((a, b) => a.offered - b.offered)[0];
      if (failing) {
        results.push({
          name: `${prefix}: lowest failing step ${failing.offered}/s`,
          value: Math.round(failing.achieved),
          unit: `REGISTER/s achieved, ${failing.failed} failed, ${failing.retransmissions} retransmissions, p99 ${failing.rtt.p99} ms, UDP drops node ${failing.nodeDrops} SIPp ${failing.sippDrops}`,
        });
      }
      results.push({ name: `${prefix}: node RSS after the steps`, value: Math.round(rssMiB), unit: 'MiB' });
    }

    // 3. memory per registered contact
    if (mem !== null) {
      const port = mem.udpPort();
      if (waitTimerJ) await sleep(Math.max(0, warmedAt + 33000 - Date.now()));
      await sleep(500);
      const before = await mem.stats(true);
      const rss0 = rssKiB(mem.pid);
      const reg = await registerMany(port, Array.from({ length: contacts }, (_, i) => memoryBinding('m', i)), 50);
      log(
        `  memory: after ${warmedUp} warm-up contacts, registered ${reg.ok}/${contacts} contacts (${aors} AORs x ${CONTACTS_PER_AOR}) in ${reg.seconds.toFixed(1)} s ` +
          `(${(reg.ok / reg.seconds).toFixed(0)}/s, raw UDP client, window 50), ${reg.failed} failed`,
      );
      const atOnce = await mem.stats(true);
      if (waitTimerJ) {
        log('  memory: waiting 33 s for the REGISTER transactions to end (Timer J = 64*T1)');
        await sleep(33000);
      }
      const after = await mem.stats(true);
      const rss1 = rssKiB(mem.pid);
      const n = Math.max(1, reg.ok);
      log(
        `  memory: RSS ${(rss0 / 1024).toFixed(1)} -> ${(rss1 / 1024).toFixed(1)} MiB, heap used (after GC) ${(before.heapUsed / 2 ** 20).toFixed(1)} -> ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB ` +
          `(${(atOnce.heapUsed / 2 ** 20).toFixed(1)} MiB while the transactions were held)`,
      );
      results.push({ name: `REGISTER raw UDP client, ${contacts} new contacts, ${CONTACTS_PER_AOR}/AOR`, value: Math.round(reg.ok / reg.seconds), unit: `REGISTER/s (${shared})` });
      results.push({ name: 'memory per registered contact: RSS', value: Math.round(((rss1 - rss0) * 1024) / n), unit: `bytes (${n} contacts${waitTimerJ ? '' : ', transactions still held'})` });
      results.push({ name: 'memory per registered contact: JS heap after GC', value: Math.round((after.heapUsed - before.heapUsed) / n), unit: 'bytes' });
      results.push({ name: 'memory per REGISTER transaction still held (Timer J)', value: Math.round((atOnce.heapUsed - after.heapUsed) / n), unit: 'bytes of heap' });
      if (mem.errors.length > 0) log(`  node logged errors:\n    ${mem.errors.join('\n    ')}`);
    }
  } finally {
    await mem?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cpus = os.cpus();
  console.log(
    `REGISTER benchmarks on ${cpus.length} cores (${cpus[0]?.model ?? 'unknown cpu'}), Node.js ${process.version}; SIPp and the node share the cores; ` +
      `load average before the run ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (anything else running skews the figures)`,
  );
  const quick = process.argv.includes('--quick');
  const rows = await benchRegister(quick ? { stepSeconds: 2, contacts: 5000, waitTimerJ: false } : {});
  for (const r of rows) console.log(`  ${r.name.padEnd(64)} ${r.value.toLocaleString('en').padStart(10)} ${r.unit}`);
}
