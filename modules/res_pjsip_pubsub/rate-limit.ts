/**
 * Per-source token buckets for new SUBSCRIBEs: a flood from one address is shed with
 * `503 Service Unavailable` and `Retry-After`, while other sources are unaffected (Asterisk
 * instead stops reading *all* new requests once any queue is long, asterisk#1031). The table is
 * bounded: idle buckets are swept, and at the size cap the oldest entries go first.
 */
export const MAX_TRACKED_SOURCES = 100_000;

interface Bucket {
  tokens: number;
  last: number;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /**
   * Takes one token for `source`; false when the source is over `ratePerSecond` (with a burst of
   * `burst`). A rate of 0 disables the limit.
   */
  take(source: string, ratePerSecond: number, burst: number): boolean {
    if (ratePerSecond <= 0) return true;
    const t = this.now();
    this.sweep(t, burst / ratePerSecond);
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED_SOURCES) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: Math.max(1, burst), last: t };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(Math.max(1, burst), b.tokens + ((t - b.last) / 1000) * ratePerSecond);
      b.last = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `source` has a token again (for Retry-After), at least 1. */
  retryAfter(source: string, ratePerSecond: number): number {
    const b = this.buckets.get(source);
    if (!b || ratePerSecond <= 0) return 1;
    return Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number, refillSeconds: number): void {
    if (t - this.sweptAt < 10_000) return;
    this.sweptAt = t;
    const idle = Math.max(10_000, refillSeconds * 1000);
    for (const [k, b] of this.buckets) if (t - b.last > idle) this.buckets.delete(k);
  }
}
