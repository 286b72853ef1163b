/**
 * Strings that outlive the message they came from.
 *
 * V8 makes a substring of 13 characters or more a "sliced string": a pointer into its parent.
 * A header value parsed out of a SUBSCRIBE is such a slice, so a subscription that keeps its
 * Call-ID or From URI keeps the whole SUBSCRIBE text alive (about 400 bytes each, held for an
 * hour). Concatenations are "cons strings", trees of their parts. ownString() copies either
 * into one flat string of its own; intern() also shares values that repeat across thousands of
 * subscriptions (event names, media types, User-Agents, our own Contact), from a bounded pool.
 */

/** V8's SlicedString::kMinLength: shorter substrings are copied already. */
const SLICE_MIN = 13;

/** A flat copy of `s` that holds no other string alive. */
export function ownString(s: string): string {
  if (s.length < SLICE_MIN) return s;
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * A bounded pool of shared strings in two generations: when the current one reaches `max`
 * entries it becomes the previous one and the one before is dropped; a hit in the previous
 * generation moves to the current. Values in use keep being shared, stale ones age out, and
 * unbounded input (a flood of distinct User-Agents) never holds more than 2 x max entries.
 */
export class InternPool {
  private cur = new Map<string, string>();
  private prev = new Map<string, string>();

  constructor(private readonly max: number) {}

  /** The pooled copy of `s`, made and pooled when new. */
  intern(s: string): string {
    const hit = this.cur.get(s);
    if (hit !== undefined) return hit;
    const old = this.prev.get(s);
    const own = old ?? ownString(s);
    if (this.cur.size >= this.max) {
      this.prev = this.cur;
      this.cur = new Map();
    }
    this.cur.set(own, own);
    return own;
  }

  get size(): number {
    return this.cur.size + this.prev.size;
  }
}

/** One pool for the node's low-cardinality values kept per subscription or registration. */
const shared = new InternPool(4096);

export function intern(s: string): string {
  return shared.intern(s);
}
