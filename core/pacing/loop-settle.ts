/**
 * Runs a function once the event loop has caught up with its input, judged by event-loop
 * utilisation (the share of time spent outside the poll wait) over short windows.
 *
 * Why: the boot-time unsolicited wave starts at FullyBooted, right after the synchronous part of
 * start-up (configuration, sorcery) has held the loop for a while. Meanwhile requests pile up in
 * the socket buffers (a node with ten thousand endpoints holds it ~2 s: about a thousand
 * OPTIONS/REGISTERs from phones), and libuv reads at most 32 datagrams a socket per loop
 * iteration; a wave started at once interleaves its NOTIFY slices with that backlog and makes
 * every one of those requests, and the ones right behind them, wait for both. Waiting until the
 * loop idles again (or `maxWaitMs`, so a node that never idles still sends) serves that traffic
 * first; the wave then runs on a loop that only carries the live traffic.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Disposer } from '../registry/registry.js';

export interface SettleOptions {
  /** Length of one measuring window. */
  windowMs: number;
  /** Settled when the loop was busy for less than this share of a window. */
  busyShare: number;
  /** Run anyway after this long. */
  maxWaitMs: number;
}

export const DEFAULT_SETTLE: Readonly<SettleOptions> = Object.freeze({ windowMs: 20, busyShare: 0.5, maxWaitMs: 2000 });

/** Calls `fn` once the loop has settled; the disposer cancels it if it has not run yet. */
export function afterLoopSettles(fn: (waitedMs: number) => void, opts: Partial<SettleOptions> = {}): Disposer {
  const o = { ...DEFAULT_SETTLE, ...opts };
  const started = performance.now();
  let prev: EventLoopUtilization = performance.eventLoopUtilization();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const cur = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(cur, prev).utilization;
    prev = cur;
    const waited = performance.now() - started;
    if (busy < o.busyShare || waited >= o.maxWaitMs) {
      timer = undefined;
      fn(waited);
      return;
    }
    timer = setTimeout(tick, o.windowMs);
  };
  timer = setTimeout(tick, o.windowMs);
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
