/**
 * Independent SIP peers for the interop tests (test/interop): the binaries from Debian
 * (sipsak, sipp, baresip) and the shared peer scripts in `../shared/peers/` (baresip.sh).
 * Everything runs on 127.0.0.1: the node on port 0, each peer on a port found free just before.
 *
 * A missing peer must never pass unnoticed: under CI (`CI=true`) it fails the test; elsewhere
 * the test is skipped with a note on the console saying what is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PjsipService } from '../../modules/res_pjsip/service.js';
import { makeConfigDir, startInProcess, type InProcessNode } from './node-harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The project folder (this file runs from dist/test/support/). */
export const PROJECT_ROOT = path.resolve(here, '..', '..', '..');
/** The shared peer scripts; TST_PEERS_DIR overrides where CI keeps them elsewhere. */
export const PEERS_DIR = process.env.TST_PEERS_DIR ?? path.resolve(PROJECT_ROOT, '..', 'shared', 'peers');
/** Our own SIPp scenarios (sources, not compiled: read from the project folder). */
export const SIPP_SCENARIOS = path.join(PROJECT_ROOT, 'test', 'interop', 'sipp');

export function inCi(): boolean {
  return process.env.CI === 'true';
}

/** The full path of an executable on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Call in a `before` hook: when something a test needs is missing, fail under CI and skip
 * (with a console note) elsewhere.
 */
export function requirePeers(ctx: Mocha.Context, needs: { binaries?: string[]; files?: string[] }): void {
  const missing: string[] = [];
  for (const b of needs.binaries ?? []) if (findBinary(b) === undefined) missing.push(`binary '${b}' (not on PATH)`);
  for (const f of needs.files ?? []) if (!existsSync(f)) missing.push(`file ${f}`);
  if (missing.length === 0) return;
  const what = `interop peer missing: ${missing.join(', ')}`;
  if (inCi()) throw new Error(`${what} (CI=true: peers are required; install sip-tester, sipsak, baresip-core)`);
  console.log(`      [skip] ${what}`);
  ctx.skip();
}

function bindTcp(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(s));
  });
}

function bindUdp(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(s));
  });
}

/**
 * A port on 127.0.0.1 free for both UDP and TCP, with the `span - 1` ports after it free too
 * (baresip listens for TLS on its SIP port + 1). The port is found by binding port 0 and then
 * released, so a peer that needs a fixed number can take it.
 */
export async function freePort(span = 1): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await bindTcp(0);
    if (first === null) continue;
    const base = (first.address() as net.AddressInfo).port;
    const held: Array<net.Server | dgram.Socket> = [first];
    let ok = base + span - 1 <= 65535;
    for (let p = base; ok && p < base + span; p++) {
      if (p !== base) {
        const t = await bindTcp(p);
        if (t === null) ok = false;
        else held.push(t);
      }
      if (!ok) break;
      const u = await bindUdp(p);
      if (u === null) ok = false;
      else held.push(u);
    }
    await Promise.all(held.map((h) => new Promise<void>((r) => (h instanceof net.Server ? h.close(() => r()) : h.close(() => r())))));
    if (ok) return base;
  }
  throw new Error(`no free port span of ${span} found on 127.0.0.1`);
}

/** Several distinct free ports (each with its span), never overlapping. */
export async function freePorts(count: number, span = 1): Promise<number[]> {
  const out: number[] = [];
  while (out.length < count) {
    const p = await freePort(span);
    if (out.some((q) => Math.abs(q - p) < span)) continue;
    out.push(p);
  }
  return out;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Every child started by runPeer that has not exited yet, so `after` hooks can end them. */
const live = new Set<ChildProcess>();

/**
 * Runs a peer program to its end (never through a shell), killing it after `timeoutMs`.
 * Output is kept for assertions and failure messages.
 */
export function runPeer(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30000);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    };
    child.once('error', (err) => {
      stderr += `\nspawn failed: ${err.message}`;
      done(127, null);
    });
    child.once('close', done);
  });
}

/** Ends (by pid) every peer process runPeer started that is still running. */
export function killStartedPeers(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  live.clear();
}

/** One line per run for failure messages: how it was run and everything it printed. */
export function describeRun(label: string, r: RunResult): string {
  return `${label}: exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' (timed out)' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5000, stepMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// The node under test

/** A node with the user `bob` (digest auth, AOR bob) on ephemeral udp, tcp and ws transports. */
export function interopPjsipConf(password: string, maxContacts = 20): string {
  return `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[ws]
type = transport
protocol = ws
bind = 127.0.0.1:0

[bob]
type = endpoint
context = default
auth = bob
aors = bob

[bob]
type = auth
auth_type = userpass
username = bob
password = ${password}

[bob]
type = aor
max_contacts = ${maxContacts}
`;
}

export interface InteropNode extends InProcessNode {
  dir: string;
  pjsip: PjsipService;
  ports: { udp: number; tcp: number; ws: number };
}

/**
 * Starts the node in this process, with the SIP logger on so failures can show the traffic;
 * its stop() also removes its temp folder.
 */
export async function startInteropNode(pjsipConf: string, files: Record<string, string> = {}): Promise<InteropNode> {
  // `files` adds or replaces config files (an extensions.conf with hints, for presence).
  const dir = makeConfigDir({
    'modules.conf': '[modules]\nautoload=yes\n',
    'pjsip.conf': pjsipConf,
    'extensions.conf': '[default]\n',
    ...files,
  });
  const n = await startInProcess(dir, { noControlSocket: true });
  const pjsip = n.node.core.services.get('pjsip') as PjsipService;
  const port = (proto: string) => pjsip.stack.listTransports().find((t) => t.protocol === proto)?.port ?? 0;
  await n.run('pjsip set logger on');
  const stop = async () => {
    await n.stop();
    // makeConfigDir made <tmp>/tst-node-*/etc with the node's state beside it.
    rmSync(path.dirname(dir), { recursive: true, force: true });
  };
  return { ...n, stop, dir, pjsip, ports: { udp: port('udp'), tcp: port('tcp'), ws: port('ws') } };
}

/**
 * Endpoints identified by their source address (identify match=, identify_by=ip) with no
 * authentication, for peers such as SIPp that should not need digest credentials: every request
 * from `match` is that endpoint. Transports udp and tcp on ephemeral ports.
 */
export function ipIdentifiedPjsipConf(endpoint: string, opts: { context?: string; match?: string } = {}): string {
  return `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[${endpoint}]
type = endpoint
context = ${opts.context ?? 'default'}
identify_by = ip

[${endpoint}]
type = identify
endpoint = ${endpoint}
match = ${opts.match ?? '127.0.0.1'}
`;
}

/** One SIP message as the node's logger recorded it. */
export interface LoggedSipMessage {
  direction: 'received' | 'sent';
  /** e.g. `UDP:127.0.0.1:5062`, `WS:127.0.0.1:40000` */
  peer: string;
  text: string;
}

/**
 * The SIP messages the node's logger recorded (`pjsip set logger on`, as startInteropNode sets
 * it), in order: what a peer really sent and received, whatever the peer itself reports.
 */
export function loggedSipMessages(n: InProcessNode): LoggedSipMessage[] {
  const out: LoggedSipMessage[] = [];
  const head = /<--- (Received|Transmitting) SIP message \(\d+ bytes\) (?:from|to) (\S+) --->\n([\s\S]*)$/;
  for (const l of n.logs) {
    const m = head.exec(l);
    if (m) out.push({ direction: m[1] === 'Received' ? 'received' : 'sent', peer: m[2]!, text: m[3]! });
  }
  return out;
}

/** The last lines the node logged (SIP traffic included), for failure messages. */
export function nodeLogTail(n: InProcessNode, lines = 120): string {
  return n.logs.join('\n').split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// baresip through ../shared/peers/baresip.sh

export const BARESIP_SH = path.join(PEERS_DIR, 'baresip.sh');

export interface BaresipOptions {
  server: string;
  user: string;
  password: string;
  transport?: 'udp' | 'tcp';
  regint?: number;
  /** Users to SUBSCRIBE to for presence (BS_WATCH): sip:<user>@<server>. None by default. */
  watch?: string[];
  /** Subscribe to its own AOR for message-summary (BS_MWI=yes). Off by default. */
  mwi?: boolean;
}

/** One line of baresip's `/contacts`: `>      Online alice <sip:alice@127.0.0.1:5060>`. */
export interface BaresipContact {
  /** Online, Busy, Offline or Unknown, as baresip shows it. */
  status: string;
  name: string;
  uri: string;
}

export function parseBaresipContacts(out: string): BaresipContact[] {
  const rows: BaresipContact[] = [];
  for (const line of out.split('\n')) {
    // The first column marks the current contact ('>') or is blank.
    const m = /^\S?\s+(Online|Busy|Offline|Unknown)\s+(.*?)\s*<([^>]+)>\s*$/.exec(line);
    if (m) rows.push({ status: m[1]!, name: m[2]!, uri: m[3]! });
  }
  return rows;
}

/**
 * One baresip instance driven by baresip.sh: its own run folder (config, log, pid file) and its
 * own free SIP and console ports, so it never meets the defaults (5062/5555) or another run.
 */
export class Baresip {
  readonly runDir: string;
  private env: NodeJS.ProcessEnv | undefined;
  private started = false;

  constructor(private readonly opts: BaresipOptions) {
    this.runDir = tempDir('tst-baresip-');
  }

  private async environment(): Promise<NodeJS.ProcessEnv> {
    if (this.env) return this.env;
    // SIP port + 1 is baresip's TLS listener; the console listens on UDP and TCP.
    const [sipPort, consPort] = await freePorts(2, 2);
    this.env = {
      ...process.env,
      BS_SERVER: this.opts.server,
      BS_USER: this.opts.user,
      BS_PASS: this.opts.password,
      BS_MWI: this.opts.mwi ? 'yes' : 'no',
      BS_WATCH: (this.opts.watch ?? []).join(' '),
      BS_PUBINT: '0',
      BS_REGINT: String(this.opts.regint ?? 600),
      BS_TRANSPORT: this.opts.transport ?? 'udp',
      BS_PORT: String(sipPort),
      BS_CONS: String(consPort),
      BS_RUN_DIR: this.runDir,
    };
    return this.env;
  }

  get sipPort(): number {
    return Number(this.env?.BS_PORT ?? 0);
  }

  async script(...args: string[]): Promise<RunResult> {
    return runPeer('bash', [BARESIP_SH, ...args], { env: await this.environment(), timeoutMs: 20000 });
  }

  async start(): Promise<RunResult> {
    this.started = true;
    return this.script('start');
  }

  /** `/reginfo` on baresip's console, ANSI colours already stripped by the script's tool. */
  async reginfo(): Promise<string> {
    return (await this.script('reginfo')).stdout;
  }

  /** `/contacts` on baresip's console: the presence of every watched user as baresip shows it. */
  async contacts(): Promise<{ text: string; contacts: BaresipContact[] }> {
    const text = (await this.script('contacts')).stdout;
    return { text, contacts: parseBaresipContacts(text) };
  }

  /** Graceful stop (un-REGISTER, then exit); the script kills only the pid it started. */
  async stop(): Promise<RunResult | undefined> {
    if (!this.started) return undefined;
    this.started = false;
    return this.script('stop');
  }

  /** Removes the run folder (config, log, pid file); call after stop() and after reading log(). */
  removeRunDir(): void {
    if (this.started) return;
    rmSync(this.runDir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(path.join(this.runDir, 'baresip.log'), 'utf8');
    } catch {
      return '(no baresip log)';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SIPp

export interface SippRun {
  result: RunResult;
  /** The last row of the -trace_stat file: column name → value (cumulative columns end in `(C)`). */
  stats: Record<string, string>;
  errors: string;
  /** Every message sent and received (-trace_msg), when the run asked for it with `messages`. */
  messages: string;
}

/** One message of a SIPp -trace_msg file. */
export interface SippMessage {
  direction: 'sent' | 'received';
  /** UDP or TCP */
  transport: string;
  text: string;
}

/** Splits a SIPp -trace_msg file (`SippRun.messages`) into its messages, in order. */
export function parseSippMessages(trace: string): SippMessage[] {
  const out: SippMessage[] = [];
  for (const chunk of trace.split(/^-{20,} [^\n]*\n/m)) {
    const m = /^(\w+) message (sent|received)[^\n]*\n\n([\s\S]*)$/.exec(chunk);
    if (m) out.push({ transport: m[1]!, direction: m[2] as 'sent' | 'received', text: m[3]!.replace(/\n+$/, '\n') });
  }
  return out;
}

/**
 * Runs one of our scenarios (`test/interop/sipp/<name>.xml`, or any scenario given by an
 * absolute path, such as ../shared/peers/sipp/subscribe.xml) to completion against
 * 127.0.0.1:<port>, from a free local port, with statistics and unexpected messages traced
 * into a temp folder; with `messages` every message is traced too and returned.
 */
export async function runSipp(
  scenario: string,
  opts: {
    transport: 'u1' | 't1';
    remotePort: number;
    service: string;
    calls: number;
    rate: number;
    extra?: string[];
    timeoutSeconds?: number;
    messages?: boolean;
    /** SIPp's own port (-p); a free one by default. A UAS run needs it known in advance. */
    localPort?: number;
  },
): Promise<SippRun> {
  const work = tempDir('tst-sipp-');
  const localPort = opts.localPort ?? (await freePort());
  const statFile = path.join(work, 'stat.csv');
  const errFile = path.join(work, 'errors.log');
  const msgFile = path.join(work, 'messages.log');
  const timeout = opts.timeoutSeconds ?? 20;
  const args = [
    '-sf', path.isAbsolute(scenario) ? scenario : path.join(SIPP_SCENARIOS, scenario),
    '-s', opts.service,
    '-t', opts.transport,
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-m', String(opts.calls),
    '-r', String(opts.rate),
    '-nostdin',
    '-timeout', `${timeout}s`,
    '-timeout_error',
    '-trace_stat', '-stf', statFile,
    '-trace_err', '-error_file', errFile,
    ...(opts.messages ? ['-trace_msg', '-message_file', msgFile] : []),
    ...(opts.extra ?? []),
    `127.0.0.1:${opts.remotePort}`,
  ];
  const result = await runPeer('sipp', args, { cwd: work, timeoutMs: (timeout + 10) * 1000 });
  let stats: Record<string, string> = {};
  try {
    const rows = readFileSync(statFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const names = rows[0]!.split(';');
    const values = rows[rows.length - 1]!.split(';');
    stats = Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  } catch {
    // no statistics: the run failed before its first call; the exit status says so
  }
  let errors = '';
  try {
    errors = readFileSync(errFile, 'utf8');
  } catch {
    // nothing unexpected happened
  }
  let messages = '';
  if (opts.messages) {
    try {
      messages = readFileSync(msgFile, 'utf8');
    } catch {
      // the run failed before its first message
    }
  }
  rmSync(work, { recursive: true, force: true });
  return { result, stats, errors, messages };
}
