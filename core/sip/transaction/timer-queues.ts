/**
 * Transaction timers without one host timer per armed RFC timer.
 *
 * Every RFC 3261 timer is one of a handful of fixed durations (T1, 2T1, 4T1, T2, T4, 64*T1,
 * Timer D, the 200 ms automatic 100 Trying). Timers of one duration expire in the order they
 * were armed, so each duration gets a FIFO queue and a single host timer for its head: arming
 * is an append to three arrays (no object per timer), cancelling nulls a slot, expiry pops from
 * the front. The semantics are those of setTimeout: a timer armed for `ms` fires once `ms` have
 * passed on the clock, never earlier.
 *
 * Why: at thousands of transactions per second over UDP, Timer J alone holds 32 s worth of
 * transactions; a node Timeout object (plus its argument array) per armed timer was the
 * largest part of a completed transaction's memory.
 */
import type { Clock, TimerHandle } from './clock.js';

type Callback = (arg: unknown) => void;

/** No timer armed (slot value kept by callers). */
export const NO_TIMER = -1;

class DelayQueue {
  private fns: Array<Callback | null> = [];
  private args: unknown[] = [];
  private deadlines: number[] = [];
  /** Index of the first slot not yet expired. */
  private head = 0;
  /** Absolute id of slot 0 (ids stay valid across compaction). */
  private base = 0;
  private handle: TimerHandle | null = null;
  private live = 0;
  private readonly onTimer: () => void;

  constructor(
    readonly ms: number,
    private readonly clock: Clock,
  ) {
    this.onTimer = () => this.expire();
  }

  get size(): number {
    return this.live;
  }

  push(fn: Callback, arg: unknown): number {
    const id = this.base + this.fns.length;
    this.fns.push(fn);
    this.args.push(arg);
    this.deadlines.push(this.clock.now() + this.ms);
    this.live++;
    if (this.handle === null) this.arm();
    return id;
  }

  cancel(id: number): void {
    const i = id - this.base;
    if (i < this.head || i >= this.fns.length || this.fns[i] === null) return;
    this.fns[i] = null;
    this.args[i] = null;
    this.live--;
    if (this.live === 0 && this.handle !== null) {
      this.clock.clearTimer(this.handle);
      this.handle = null;
      this.reset();
    }
  }

  private reset(): void {
    this.base += this.fns.length;
    this.fns = [];
    this.args = [];
    this.deadlines = [];
    this.head = 0;
  }

  /** Arm the host timer for the first live slot. */
  private arm(): void {
    const fns = this.fns;
    while (this.head < fns.length && fns[this.head] === null) this.head++;
    if (this.head >= fns.length) {
      this.reset();
      return;
    }
    const wait = this.deadlines[this.head] - this.clock.now();
    this.handle = this.clock.setTimer(this.onTimer, wait > 0 ? wait : 0, undefined);
  }

  private expire(): void {
    this.handle = null;
    const now = this.clock.now();
    // Slots armed from inside a callback land at the tail with a later deadline, so the loop
    // stops before them; re-read the arrays each turn as a callback may push.
    while (this.head < this.fns.length && this.deadlines[this.head] <= now) {
      const i = this.head++;
      const fn = this.fns[i];
      if (fn === null) continue;
      const arg = this.args[i];
      this.fns[i] = null;
      this.args[i] = null;
      this.live--;
      fn(arg);
    }
    this.compact();
    if (this.handle === null) this.arm();
  }

  private compact(): void {
    const head = this.head;
    if (head < 1024 || head * 2 < this.fns.length) return;
    this.fns = this.fns.slice(head);
    this.args = this.args.slice(head);
    this.deadlines = this.deadlines.slice(head);
    this.base += head;
    this.head = 0;
  }

  clear(): void {
    if (this.handle !== null) this.clock.clearTimer(this.handle);
    this.handle = null;
    this.live = 0;
    this.reset();
  }
}

export class TimerQueues {
  private readonly queues = new Map<number, DelayQueue>();
  readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Call `fn(arg)` after `ms`; returns an id for cancel(ms, id). */
  schedule<T>(ms: number, fn: (arg: T) => void, arg: T): number {
    let q = this.queues.get(ms);
    if (q === undefined) {
      q = new DelayQueue(ms, this.clock);
      this.queues.set(ms, q);
    }
    return q.push(fn as Callback, arg);
  }

  cancel(ms: number, id: number): void {
    if (id === NO_TIMER) return;
    this.queues.get(ms)?.cancel(id);
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** Drop every timer (the stack is closing). */
  clear(): void {
    for (const q of this.queues.values()) q.clear();
  }
}
