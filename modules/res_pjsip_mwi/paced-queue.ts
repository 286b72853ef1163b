/**
 * The queue unsolicited MWI NOTIFYs wait in (Asterisk: the `pjsip/mwi` serializer pool).
 *
 * Why a queue of its own: at start-up every endpoint with mailboxes gets a NOTIFY per contact;
 * with ten thousand endpoints, sending them in one go would hold the event loop for seconds
 * (no SIP answered meanwhile) and open ten thousand client transactions at once. Here:
 * - jobs are keyed, and a job already waiting absorbs a new one with the same key (counts are
 *   read when the job runs, so the latest state goes out once: bursts of mailbox changes
 *   coalesce);
 * - each turn of the event loop runs at most `batchSize` jobs and starts at most about
 *   `batchSize` NOTIFYs, then yields (setImmediate), so incoming SIP interleaves with the wave;
 * - at most `maxInFlight` NOTIFYs wait for their final response; the queue resumes as they end
 *   (dead contacts cannot pile up transactions without bound);
 * - the queue is bounded (`maxQueue`): beyond it new keys are dropped with a warning;
 * - Asterisk's taskprocessor alerts are kept: a warning when the backlog passes `highWater`
 *   (global `mwi_tps_queue_high`), a notice when it falls back under `lowWater`.
 */
import type { Logger } from '../../core/log.js';

export interface PacingOptions {
  /** NOTIFYs started per event-loop turn. */
  batchSize: number;
  /** NOTIFYs awaiting a final response at once. */
  maxInFlight: number;
  /** Jobs waiting at most; further keys are dropped. */
  maxQueue: number;
  /** Backlog that raises the overload warning (Asterisk's mwi_tps_queue_high). */
  highWater: number;
  /** Backlog that clears it; -1 = 90% of highWater (mwi_tps_queue_low). */
  lowWater: number;
}

export const DEFAULT_PACING: Readonly<PacingOptions> = Object.freeze({
  batchSize: 100,
  maxInFlight: 1000,
  maxQueue: 100000,
  highWater: 500,
  lowWater: -1,
});

/**
 * Runs one job. `slot()` reserves one in-flight NOTIFY and returns its release function, to be
 * called exactly once when that NOTIFY is over (answered, timed out or never sent).
 */
export type JobRunner<J> = (job: J, slot: () => () => void) => void;

export class PacedQueue<J> {
  private readonly jobs = new Map<string, J>();
  private inFlightCount = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
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

  get inFlight(): number {
    return this.inFlightCount;
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
        this.log.warning(`MWI queue full (${this.opts.maxQueue} waiting): dropping unsolicited NOTIFYs (${this.dropped} so far)`);
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

  /** Resolves once nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.jobs.size === 0 && this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.jobs.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.settle();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.jobs.size === 0) return;
    if (this.inFlightCount >= this.opts.maxInFlight) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.drain();
    });
  }

  private drain(): void {
    let startedThisTurn = 0;
    const slot = () => {
      this.inFlightCount++;
      this.started++;
      startedThisTurn++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.inFlightCount--;
        this.schedule();
        this.settle();
      };
    };
    let jobsThisTurn = 0;
    for (const [key, job] of this.jobs) {
      // Jobs that send nothing (no contact registered) still cost a lookup: they count too.
      if (this.stopped || startedThisTurn >= this.opts.batchSize || jobsThisTurn >= this.opts.batchSize) break;
      if (this.inFlightCount >= this.opts.maxInFlight) break;
      jobsThisTurn++;
      this.jobs.delete(key);
      try {
        this.run(job, slot);
      } catch (e) {
        this.log.error(`unsolicited MWI job '${key}' failed: ${String(e)}`);
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
      this.log.warning(`The 'pjsip/mwi' task processor queue reached ${n} scheduled tasks (high water ${high}).`);
    } else if (this.overloaded && n <= low) {
      this.overloaded = false;
      this.log.notice(`The 'pjsip/mwi' task processor queue is back to ${n} scheduled tasks (low water ${low}).`);
    }
  }

  private settle(): void {
    if (this.jobs.size !== 0 || this.inFlightCount !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
