/**
 * Preloaded into the node under test with `--import` (nothing in the node is changed): samples
 * the event loop's delay with perf_hooks' histogram and, for each `lag` line on stdin, prints
 * `PRESBENCH-LAG {"p50":..,"p99":..,"max":..}` (ms since the previous line) on stdout. Event-loop
 * lag cannot be seen from outside the process; the histogram's own timer costs nothing
 * measurable at a 10 ms resolution.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buf += chunk;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const cmd = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (cmd !== 'lag') continue;
    const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
    const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
    h.reset();
    process.stdout.write(`PRESBENCH-LAG ${JSON.stringify(out)}\n`);
  }
});
// The node's lifetime is its own: a waiting stdin must not keep it running.
process.stdin.unref();
