/**
 * The device under test: a real `tsterisk` child process on its own temp config folder (UDP
 * transport on 127.0.0.1 port 0, hints `exten => N,hint,Custom:dN`, an endpoint identified by
 * IP without auth, and `phoneN` endpoints with digest auth identified by username). Started
 * with `--trace-gc` so GC pauses and the heap after each collection can be read from its
 * output; RSS and CPU time come from /proc/<pid>.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ControlClient, CONTROL_SOCKET_NAME } from '../../loader/control-socket.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/loader/cli.js */
const CLI_JS = path.resolve(here, '..', '..', 'loader', 'cli.js');
/** Preloaded into the node: event-loop lag on request (node-probe.ts). */
const PROBE_URL = pathToFileURL(path.join(here, 'node-probe.js')).href;
/** Linux's USER_HZ: /proc times are in these ticks. */
const CLOCK_TICKS = 100;

export interface NodeOptions {
  hints: number;
  /** Endpoints phone0..phone<n-1> with auth (username = endpoint name, password `PHONE_PASSWORD`). */
  phones: number;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Open the V8 inspector on an ephemeral port (inspectorUrl) for forced GCs and heap figures. */
  inspect?: boolean;
  /**
   * The load client sends from 127.0.0.1 only, standing for many phones: turn the per-address
   * SUBSCRIBE flood limit off (`subscribe_rate_limit = 0`), or the node sheds it as one flooding
   * phone. Off: the default limit, for a client with an address per phone.
   */
  oneAddressManyPhones?: boolean;
}

export const PHONE_PASSWORD = 'bench-secret';
export const PHONE_PREFIX = 'phone';

function pjsipConf(phones: number, oneAddressManyPhones: boolean): string {
  let s =
    '[global]\ntype = global\n; phones are named in From; anything else from 127.0.0.1 is the IP-identified endpoint\n' +
    'endpoint_identifier_order = username,ip\n' +
    (oneAddressManyPhones ? '; the load client is many phones behind one address, not a flood\nsubscribe_rate_limit = 0\n' : '') +
    '\n' +
    '[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:0\nudp_recv_buffer_size = 4194304\n\n' +
    '[bench]\ntype = endpoint\ncontext = default\nidentify_by = ip\nsub_min_expiry = 0\n\n' +
    '[bench-ip]\ntype = identify\nendpoint = bench\nmatch = 127.0.0.1\n\n' +
    '[phone](!)\ntype = endpoint\ncontext = default\nsub_min_expiry = 0\n\n';
  for (let i = 0; i < phones; i++) {
    const n = `${PHONE_PREFIX}${i}`;
    s += `[${n}](phone)\nauth = ${n}\n[${n}]\ntype = auth\nusername = ${n}\npassword = ${PHONE_PASSWORD}\n`;
  }
  return s;
}

function extensionsConf(hints: number): string {
  const lines = ['[default]'];
  for (let i = 0; i < hints; i++) lines.push(`exten => ${i},hint,Custom:d${i}`);
  return `${lines.join('\n')}\n`;
}

export interface GcStats {
  collections: number;
  /** Longest main-thread pause (ms). */
  maxPauseMs: number;
  totalPauseMs: number;
  /** Heap used after the last mark-compact (MB), if one happened. */
  heapAfterMarkCompactMb: number | undefined;
}

const GC_LINE = /: (Scavenge|Minor Mark-Compact|Mark-Compact(?: \(reduce\))?|Mark-sweep)\b.*? ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ ([\d.]+) ms/;

export interface LoopLag {
  p50: number;
  p99: number;
  max: number;
}

export class NodeUnderTest {
  private gc: GcStats = { collections: 0, maxPauseMs: 0, totalPauseMs: 0, heapAfterMarkCompactMb: undefined };
  readonly lines: string[] = [];
  private lagWaiters: Array<(l: LoopLag) => void> = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly root: string,
    readonly port: number,
    readonly exited: Promise<number | null>,
    readonly inspectorUrl: string | undefined,
  ) {}

  static async start(opts: NodeOptions): Promise<NodeUnderTest> {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tst-presbench-'));
    const etc = path.join(root, 'etc');
    mkdirSync(etc);
    writeFileSync(
      path.join(etc, 'asterisk.conf'),
      `[directories]\nastdbdir => ${root}/db\nastrundir => ${root}/run\nastvarlibdir => ${root}/lib\nastspooldir => ${root}/spool\nastlogdir => ${root}/log\n[options]\nentityid = 02:00:00:00:00:42\n`,
    );
    writeFileSync(path.join(etc, 'modules.conf'), '[modules]\nautoload = yes\n');
    writeFileSync(path.join(etc, 'pjsip.conf'), pjsipConf(opts.phones, opts.oneAddressManyPhones === true));
    writeFileSync(path.join(etc, 'extensions.conf'), extensionsConf(opts.hints));
    const flags = ['--trace-gc', `--import=${PROBE_URL}`, ...(opts.inspect === true ? ['--inspect=127.0.0.1:0'] : []), ...(opts.nodeFlags ?? [])];
    const proc = spawn(process.execPath, [...flags, CLI_JS, '-C', etc], { stdio: ['pipe', 'pipe', 'pipe'] });
    // A benchmark that dies must not leave a node running.
    const orphanGuard = (): void => {
      proc.kill('SIGKILL');
    };
    process.once('exit', orphanGuard);
    const exited = new Promise<number | null>((r) =>
      proc.on('exit', (code) => {
        process.off('exit', orphanGuard);
        r(code);
      }),
    );
    let port = 0;
    let inspectorUrl: string | undefined;
    let node: NodeUnderTest | undefined;
    const early: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      let partial = '';
      const onData = (chunk: Buffer): void => {
        partial += chunk.toString('utf8');
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          if (node !== undefined) node.line(line);
          else early.push(line);
          const m = /Transport 'udp' bound to UDP 127\.0\.0\.1:(\d+)/.exec(line);
          if (m) port = Number(m[1]);
          const d = /^Debugger listening on (ws:\/\/\S+)/.exec(line);
          if (d) inspectorUrl = d[1];
          if (line === 'tsterisk Ready.') resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`tsterisk exited (${code}) before Ready:\n${early.filter((l) => !GC_LINE.test(l)).join('\n')}`)));
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
    if (port === 0) throw new Error('tsterisk did not log its UDP port');
    node = new NodeUnderTest(proc, root, port, exited, inspectorUrl);
    for (const l of early) node.line(l);
    node.resetGc();
    return node;
  }

  private line(l: string): void {
    if (l.startsWith('PRESBENCH-LAG ')) {
      this.lagWaiters.shift()?.(JSON.parse(l.slice(14)) as LoopLag);
      return;
    }
    const m = GC_LINE.exec(l);
    if (m === null) {
      if (this.lines.length < 5000) this.lines.push(l);
      return;
    }
    const pause = Number(m[6]);
    this.gc.collections++;
    this.gc.totalPauseMs += pause;
    if (pause > this.gc.maxPauseMs) this.gc.maxPauseMs = pause;
    if (m[1]!.startsWith('Mark')) this.gc.heapAfterMarkCompactMb = Number(m[4]);
  }

  /** Event-loop delay (ms) since the previous call: p50, p99, max. */
  loopLag(): Promise<LoopLag> {
    return new Promise((resolve) => {
      const waiter = (l: LoopLag): void => {
        clearTimeout(t);
        resolve(l);
      };
      const t = setTimeout(() => {
        this.lagWaiters = this.lagWaiters.filter((w) => w !== waiter);
        resolve({ p50: NaN, p99: NaN, max: NaN });
      }, 5000);
      this.lagWaiters.push(waiter);
      this.proc.stdin!.write('lag\n');
    });
  }

  get socketPath(): string {
    return path.join(this.root, 'run', CONTROL_SOCKET_NAME);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  resetGc(): GcStats {
    const g = this.gc;
    this.gc = { collections: 0, maxPauseMs: 0, totalPauseMs: 0, heapAfterMarkCompactMb: undefined };
    return { ...g, maxPauseMs: Math.round(g.maxPauseMs * 10) / 10, totalPauseMs: Math.round(g.totalPauseMs) };
  }

  /** Resident set size in bytes (VmRSS). */
  rss(): number {
    return this.memory().rss;
  }

  /** VmRSS and its parts (bytes): anonymous (JS heap, malloc) and file-backed (code, LMDB's map). */
  memory(): { rss: number; anon: number; file: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  }

  /** CPU time (user + system) in ms so far. */
  cpuMs(): number {
    const t = this.cpuTimes();
    return t.user + t.system;
  }

  /** User and system (kernel: syscalls, loopback delivery) CPU time in ms so far. */
  cpuTimes(): { user: number; system: number } {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS, system: (Number(fields[12]) * 1000) / CLOCK_TICKS };
  }

  async command(cmd: string): Promise<string> {
    const c = await ControlClient.connect(this.socketPath);
    try {
      const a = await c.command(cmd);
      if (!a.ok) throw new Error(`${cmd}: ${a.error ?? 'failed'}`);
      return a.output;
    } finally {
      c.close();
    }
  }

  /**
   * Stops the node. `core stop now` keeps the subscriptions for a restart instead of sending a
   * final NOTIFY to each (which would take minutes at 100k), and lets --cpu-prof write its file.
   */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      try {
        await Promise.race([this.command('core stop now'), new Promise((r) => setTimeout(r, 3000))]);
      } catch {
        // already going
      }
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Machine-wide CPU time (ms, all cores): busy = everything but idle and iowait. */
export interface MachineCpu {
  busyMs: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS };
}

/** Datagrams the kernel dropped on the UDP sockets bound to these local ports (/proc/net/udp `drops`). */
export function udpSocketDrops(ports: readonly number[]): number {
  const wanted = new Set(ports);
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = Number.parseInt(f[1]!.split(':')[1]!, 16);
    if (wanted.has(port)) drops += Number(f[12]);
  }
  return drops;
}
