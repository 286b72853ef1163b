/**
 * A paced queue for waves of out-going requests: unsolicited MWI NOTIFYs (Asterisk: the
 * `pjsip/mwi` serializer pool) and res_pjsip_pubsub's NOTIFYs (fan-out, restore after a restart).
 *
 * Why: at start-up every endpoint with mailboxes gets a NOTIFY per contact, and every restored
 * subscription one with its full state; with ten thousand of them, sending them in one go would
 * hold the event loop for seconds (no SIP answered meanwhile) and open ten thousand client
 * transactions at once. Here:
 * - jobs are keyed, and a job already waiting absorbs a new one with the same key (counts are
 *   read when the job runs, so the latest state goes out once: bursts of mailbox changes
 *   coalesce);
 * - each turn of the event loop runs at most `batchSize` jobs and starts at most about
 *   `batchSize` NOTIFYs, then yields (setImmediate), so incoming SIP interleaves with the wave;
 * - at most `maxInFlight` NOTIFYs wait for their final response (the pacing window); the queue
 *   resumes as answers come in;
 * - a NOTIFY unanswered after `slotTimeoutMs` (a dead or slow contact) leaves the window but
 *   still counts towards `maxOutstanding`, the bound on live client transactions, until its
 *   transaction ends (Timer F), so dead contacts can neither stall the wave nor pile up
 *   transactions without bound;
 * - the queue is bounded (`maxQueue`): beyond it new keys are dropped with a warning;
 * - Asterisk's taskprocessor alerts are kept: a warning when the backlog passes `highWater`
 *   (global `mwi_tps_queue_high`), a notice when it falls back under `lowWater`.
 *
 * Why the turns and the window are small (measured with bench/mwi.ts, S8): libuv reads at most
 * 32 datagrams from a UDP socket per loop iteration. Answers from close, fast phones come back
 * within an iteration or two, so a turn that starts more NOTIFYs than one iteration reads makes
 * answers pile up in the socket buffer, up to the whole window, in front of every other request
 * (Little's law: a request then waits about maxInFlight x the cost of one NOTIFY). With 100
 * starts a turn and a window of 1000, OPTIONS waited ~130 ms (p50) and ~330 ms (p99) during a
 * 10,000-NOTIFY wave. With 16 starts a turn (half an iteration's reads: room is left for other
 * traffic) answers do not pile up and the wave is as fast, since the cost per NOTIFY, not the
 * turn size, bounds the rate; the window then only has to cover the round trip to the phones.
 */
import type { Logger } from '../log.js';
import type { Disposer } from '../registry/registry.js';
import { afterLoopSettles, type SettleOptions } from './loop-settle.js';

export interface PacingOptions {
  /** Task processor name in the log lines (`pjsip/mwi`). */
  name: string;
  /** NOTIFYs started per event-loop turn. */
  batchSize: number;
  /** NOTIFYs awaiting a final response at once (the pacing window). */
  maxInFlight: number;
  /** A NOTIFY unanswered for this long leaves the pacing window (not the outstanding bound). */
  slotTimeoutMs: number;
  /** NOTIFYs whose transaction has not ended, at most (dead contacts included). */
  maxOutstanding: number;
  /** Jobs waiting at most; further keys are dropped. */
  maxQueue: number;
  /** Backlog that raises the overload warning (Asterisk's mwi_tps_queue_high). */
  highWater: number;
  /** Backlog that clears it; -1 = 90% of highWater (mwi_tps_queue_low). */
  lowWater: number;
}

export const DEFAULT_PACING: Readonly<PacingOptions> = Object.freeze({
  name: 'pjsip/mwi',
  batchSize: 16,
  maxInFlight: 200,
  // Two T1s: a live phone on any sane network has answered by then (UDP has retransmitted once).
  slotTimeoutMs: 1000,
  maxOutstanding: 2000,
  maxQueue: 100000,
  highWater: 500,
  lowWater: -1,
});

/**
 * Runs one job. `slot()` reserves one in-flight NOTIFY and returns its release function, to be
 * called exactly once when that NOTIFY is over (answered, timed out or never sent).
 */
export type JobRunner<J> = (job: J, slot: () => () => void) => void;

/** One started NOTIFY: in the pacing window until answered or `slotTimeoutMs` old. */
interface Slot {
  readonly startedAt: number;
  paced: boolean;
}

export class PacedQueue<J> {
  private readonly jobs = new Map<string, J>();
  private inFlightCount = 0;
  private outstandingCount = 0;
  /** Paced slots in start order (start times only grow): the oldest time out first. */
  private window: Slot[] = [];
  private windowHead = 0;
  private scheduled: NodeJS.Immediate | undefined;
  /** Wakes the queue when the oldest slot in a full window times out. */
  private windowTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Held: jobs queue and coalesce but none runs (the boot wave waiting for the loop to settle). */
  private paused = false;
  private overloaded = false;
  private dropped = 0;
  private idleWaiters: Array<() => void> = [];
  /** NOTIFYs started since creation (for tests and `pjsip show` style counters). */
  started = 0;
  opts: PacingOptions;

  constructor(
    private readonly run: JobRunner<J>,
    private readonly log: Logger,
    opts: Partial<PacingOptions> = {},
  ) {
    this.opts = { ...DEFAULT_PACING, ...opts };
  }

  get size(): number {
    return this.jobs.size;
  }

  /** NOTIFYs in the pacing window (slots age out lazily: count them as of now). */
  get inFlight(): number {
    this.expireSlots();
    return this.inFlightCount;
  }

  /** NOTIFYs whose transaction has not ended yet (answered or not). */
  get outstanding(): number {
    return this.outstandingCount;
  }

  has(key: string): boolean {
    return this.jobs.has(key);
  }

  /** Queues a job unless one with the key waits already; false when dropped or stopped. */
  push(key: string, job: J): boolean {
    if (this.stopped) return false;
    if (this.jobs.has(key)) return true;
    if (this.jobs.size >= this.opts.maxQueue) {
      if (this.dropped++ % 1000 === 0) {
        this.log.warning(`The '${this.opts.name}' queue is full (${this.opts.maxQueue} waiting): dropping jobs (${this.dropped} so far)`);
      }
      return false;
    }
    this.jobs.set(key, job);
    this.checkWater();
    this.schedule();
    return true;
  }

  /** Forgets every waiting job whose key starts with the prefix (an endpoint that went away). */
  dropPrefix(prefix: string): void {
    for (const k of [...this.jobs.keys()]) if (k.startsWith(prefix)) this.jobs.delete(k);
  }

  /** Resolves once nothing waits and every NOTIFY started has ended. */
  idle(): Promise<void> {
    if (this.jobs.size === 0 && this.outstandingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Holds the queue: jobs are taken and coalesced, none runs until resume(). */
  pause(): void {
    this.paused = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  /**
   * A start-up wave: holds the queue now (its jobs queue and coalesce meanwhile) and resumes it
   * once the event loop has caught up with what queued while the node was loading (see
   * loop-settle.ts), with `batchSize` per turn, if given, until the queue is next idle. The
   * disposer cancels the wait.
   */
  holdUntilLoopSettles(o: { settle?: Partial<SettleOptions>; batchSize?: number; onResume?: (waitedMs: number) => void } = {}): Disposer {
    this.pause();
    return afterLoopSettles((waitedMs) => {
      o.onResume?.(waitedMs);
      if (o.batchSize !== undefined) {
        const normal = this.opts.batchSize;
        this.opts.batchSize = o.batchSize;
        void this.idle().then(() => {
          this.opts.batchSize = normal;
        });
      }
      this.resume();
    }, o.settle);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.jobs.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.settle();
  }

  private full(): boolean {
    return this.inFlightCount >= this.opts.maxInFlight || this.outstandingCount >= this.opts.maxOutstanding;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.paused || this.jobs.size === 0) return;
    this.expireSlots();
    if (this.full()) {
      this.armWindowTimer();
      return;
    }
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.drain();
    });
  }

  /** Slots unanswered for slotTimeoutMs leave the window (their transactions go on). */
  private expireSlots(now = performance.now()): void {
    const w = this.window;
    while (this.windowHead < w.length) {
      const s = w[this.windowHead]!;
      if (s.paced && now - s.startedAt < this.opts.slotTimeoutMs) break;
      if (s.paced) {
        s.paced = false;
        this.inFlightCount--;
      }
      this.windowHead++;
    }
    // Drop the consumed head now and then, not on every slot.
    if (this.windowHead > 1024 && this.windowHead * 2 > w.length) {
      this.window = w.slice(this.windowHead);
      this.windowHead = 0;
    }
  }

  /** A full window of slow answers must not stall the queue: look again when the oldest expires. */
  private armWindowTimer(): void {
    if (this.windowTimer || this.inFlightCount < this.opts.maxInFlight) return;
    // expireSlots() stopped at the oldest slot still paced.
    const oldest = this.window[this.windowHead];
    if (!oldest) return;
    const wait = Math.max(1, oldest.startedAt + this.opts.slotTimeoutMs - performance.now());
    this.windowTimer = setTimeout(() => {
      this.windowTimer = undefined;
      this.schedule();
    }, wait);
    this.windowTimer.unref();
  }

  private drain(): void {
    let startedThisTurn = 0;
    const slot = () => {
      const s: Slot = { startedAt: performance.now(), paced: true };
      this.window.push(s);
      this.inFlightCount++;
      this.outstandingCount++;
      this.started++;
      startedThisTurn++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (s.paced) {
          s.paced = false;
          this.inFlightCount--;
        }
        this.outstandingCount--;
        if (this.outstandingCount === 0) {
          // Nothing started is alive: forget the window (it would keep the last wave's slots).
          this.window = [];
          this.windowHead = 0;
        }
        this.schedule();
        this.settle();
      };
    };
    let jobsThisTurn = 0;
    for (const [key, job] of this.jobs) {
      // Jobs that send nothing (no contact registered) still cost a lookup: they count too.
      if (this.stopped || startedThisTurn >= this.opts.batchSize || jobsThisTurn >= this.opts.batchSize) break;
      if (this.full()) break;
      jobsThisTurn++;
      this.jobs.delete(key);
      try {
        this.run(job, slot);
      } catch (e) {
        this.log.error(`'${this.opts.name}' job '${key}' failed: ${String(e)}`);
      }
    }
    this.checkWater();
    this.schedule();
    this.settle();
  }

  private checkWater(): void {
    const high = this.opts.highWater > 0 ? this.opts.highWater : DEFAULT_PACING.highWater;
    const low = this.opts.lowWater >= 0 && this.opts.lowWater <= high ? this.opts.lowWater : Math.floor(high * 0.9);
    const n = this.jobs.size;
    if (!this.overloaded && n > high) {
      this.overloaded = true;
      this.log.warning(`The '${this.opts.name}' task processor queue reached ${n} scheduled tasks (high water ${high}).`);
    } else if (this.overloaded && n <= low) {
      this.overloaded = false;
      this.log.notice(`The '${this.opts.name}' task processor queue is back to ${n} scheduled tasks (low water ${low}).`);
    }
  }

  private settle(): void {
    if (this.jobs.size !== 0 || this.outstandingCount !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
