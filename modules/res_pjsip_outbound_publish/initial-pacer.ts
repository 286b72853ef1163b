/**
 * The bound on initial PUBLISHes in flight for one outbound-publish client. An initial PUBLISH
 * creates state at the ESC (a presentity row at Kamailio), so a client with multi_user=yes that
 * starts with 10,000 hints, or whose ESC restarted and answers 412 to every publication, would
 * otherwise send thousands of them in one event-loop turn: the ESC drops what its socket cannot
 * hold, the retransmissions double the load, and our loop is busy building them. Asterisk has
 * no such bound (it publishes nothing at start, and a 412 sends one message).
 *
 * A publication takes a slot before it sends an initial PUBLISH and gives it back at the final
 * answer. When none is free it waits in arrival order; its changes keep coalescing meanwhile, so
 * the initial it finally sends carries the latest state. Slots freed by answers are handed out
 * on a later turn (setImmediate), never from inside the answer being processed, so waiting
 * publications and the start-up dump run in small batches between network events.
 */

/** Initial PUBLISHes one client keeps in flight at most. */
export const MAX_INITIALS_IN_FLIGHT = 50;

export class InitialPacer {
  private inFlight = 0;
  /** Grants waiting for a slot, oldest first (a Set keeps insertion order and cancels in O(1)). */
  private readonly waiting = new Set<() => void>();
  private scheduled = false;
  private closed = false;
  /** Most slots ever held at once (for tests and diagnostics). */
  maxInFlight = 0;

  /**
   * @param limit slots (at least 1)
   * @param onRoom called after freed slots went to the waiting grants and some are still free:
   *   the client feeds its start-up dump from there.
   */
  constructor(
    readonly limit: number,
    private readonly onRoom?: () => void,
  ) {}

  /** Slots neither held nor promised to a waiting grant. */
  get room(): number {
    return Math.max(0, this.limit - this.inFlight - this.waiting.size);
  }

  get held(): number {
    return this.inFlight;
  }

  /**
   * Takes a slot: true when taken now. Otherwise `grant` is queued and called later, on its own
   * event-loop turn, with the slot already taken for it (the caller gives it back with release()).
   */
  take(grant: () => void): boolean {
    if (this.closed) return false;
    if (this.waiting.size === 0 && this.inFlight < this.limit) {
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      return true;
    }
    this.waiting.add(grant);
    return false;
  }

  /** A queued grant no longer wanted (the publication stopped or has nothing to send). */
  cancel(grant: () => void): void {
    this.waiting.delete(grant);
  }

  release(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.schedule();
  }

  /** The client stopped: nothing is granted any more. */
  close(): void {
    this.closed = true;
    this.waiting.clear();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (!this.closed && this.inFlight < this.limit && this.waiting.size > 0) {
      const grant = this.waiting.values().next().value as () => void;
      this.waiting.delete(grant);
      this.inFlight++;
      if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
      grant();
    }
    if (!this.closed && this.inFlight < this.limit && this.waiting.size === 0) this.onRoom?.();
  }
}
