/**
 * Hard expiries for many long-lived things (subscriptions) without a host timer each.
 *
 * Items are kept in 100 ms buckets (a Set per tick of the clock) and one interval timer, running
 * only while something is scheduled, runs the buckets that fell due since its last run (a Map
 * lookup per tick, whatever the number of buckets). An item expires at most a tick late and never
 * early. Why:
 * 100,000 held subscriptions each with its own setTimeout cost a Timeout object, a closure and
 * its context apiece (about 200 bytes); a bucket entry costs a Set slot.
 */

export interface Expiring {
  /** The bucket the item is in (set by the wheel); NaN when not scheduled. */
  expiryBucket: number;
  onExpiry(): void;
}

export interface ExpiryClock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realClock: ExpiryClock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref();
    return h;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

const TICK_MS = 100;

export class ExpiryWheel<T extends Expiring> {
  private readonly buckets = new Map<number, Set<T>>();
  private timer: unknown = undefined;
  private count = 0;
  /** The last bucket run; buckets up to it are gone. */
  private ticked: number;

  constructor(private readonly clock: ExpiryClock = realClock) {
    this.ticked = Math.floor(clock.now() / TICK_MS);
  }

  get size(): number {
    return this.count;
  }

  /** (Re)schedules `item` to expire at `atMs` (epoch ms). */
  schedule(item: T, atMs: number): void {
    this.cancel(item);
    // Rounded up: never before its time.
    // A time already past goes to the next tick (buckets up to `ticked` are not looked at again).
    const bucket = Math.max(Math.ceil(atMs / TICK_MS), this.ticked + 1);
    let set = this.buckets.get(bucket);
    if (!set) {
      set = new Set();
      this.buckets.set(bucket, set);
    }
    set.add(item);
    item.expiryBucket = bucket;
    this.count++;
    if (this.timer === undefined) {
      // Idle until now: nothing was due in between.
      this.ticked = Math.min(Math.floor(this.clock.now() / TICK_MS), bucket - 1);
      this.timer = this.clock.setInterval(() => this.tick(), TICK_MS);
    }
  }

  cancel(item: T): void {
    const bucket = item.expiryBucket;
    if (Number.isNaN(bucket)) return;
    item.expiryBucket = NaN;
    const set = this.buckets.get(bucket);
    if (!set?.delete(item)) return;
    this.count--;
    if (set.size === 0) this.buckets.delete(bucket);
    this.stopWhenEmpty();
  }

  /** Runs every bucket that is due (public for tests driving a clock of their own). */
  tick(): void {
    const now = Math.floor(this.clock.now() / TICK_MS);
    // Each bucket once, in order (a clock jump forward of hours walks a Map lookup per tick).
    for (; this.ticked < now; ) {
      const b = ++this.ticked;
      const set = this.buckets.get(b);
      if (!set) continue;
      this.buckets.delete(b);
      for (const item of set) {
        // Still in this bucket (an expiry handler may have rescheduled or cancelled others).
        if (item.expiryBucket !== b) continue;
        item.expiryBucket = NaN;
        this.count--;
        try {
          item.onExpiry();
        } catch {
          // One item's handler failing must not stop the others' expiry; the owner logs.
        }
      }
    }
    this.stopWhenEmpty();
  }

  private stopWhenEmpty(): void {
    if (this.count === 0 && this.timer !== undefined) {
      this.clock.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  clear(): void {
    for (const set of this.buckets.values()) for (const item of set) item.expiryBucket = NaN;
    this.buckets.clear();
    this.count = 0;
    this.stopWhenEmpty();
  }
}
