/**
 * Looking at a `tsterisk` child process from outside: RSS from /proc, the kernel's UDP drop
 * counters, and (with the preload below) its JS heap after a forced GC and its event-loop lag.
 * Used by the fuzz campaign and bench/register.ts; Linux only (elsewhere the figures read 0).
 */
import { readFileSync } from 'node:fs';

/**
 * Node options for the child (through NODE_OPTIONS, so the harness's spawn is unchanged):
 * --expose-gc and a preload that answers `stats <n>` / `gc <n>` lines on the child's stdin with
 * `BENCHSTATS <n> {json}` on its stdout (`gc` collects first). The histogram of event-loop delay
 * is reset by each answer. stdin is unref'd so the preload never keeps the node alive.
 */
export const STATS_PRELOAD_SOURCE = `
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, n] = line.trim().split(' ');
  if (cmd === 'gc' && typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc(); }
  const m = process.memoryUsage();
  const out = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, lagP99Ms: h.percentile(99) / 1e6, lagMaxMs: h.max / 1e6 };
  h.reset();
  process.stdout.write('BENCHSTATS ' + n + ' ' + JSON.stringify(out) + '\\n');
});
process.stdin.unref();
`;

export const STATS_PRELOAD_URL = `data:text/javascript,${encodeURIComponent(STATS_PRELOAD_SOURCE)}`;

/** NODE_OPTIONS value enabling the stats preload (no spaces: the URL is percent-encoded). */
export const STATS_NODE_OPTIONS = `--expose-gc --import=${STATS_PRELOAD_URL}`;

export interface NodeStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Parses a `BENCHSTATS <n> {json}` line. */
export function parseStatsLine(line: string, n: number): NodeStats | null {
  const prefix = `BENCHSTATS ${n} `;
  return line.startsWith(prefix) ? (JSON.parse(line.slice(prefix.length)) as NodeStats) : null;
}

export function readRssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The host's UDP RcvbufErrors counter (/proc/net/snmp), as `netstat -su` shows it. */
export function udpRcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'latin1').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf('RcvbufErrors');
    return i === -1 ? 0 : Number(values[i]);
  } catch {
    return 0;
  }
}

/** The kernel's drop counter of the UDP sockets bound to `port` (/proc/net/udp, last column). */
export function udpSocketDrops(port: number): number {
  let drops = 0;
  try {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/udp', 'latin1').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(hex)) drops += Number(f[f.length - 1]) || 0;
    }
  } catch {
    // not Linux
  }
  return drops;
}
