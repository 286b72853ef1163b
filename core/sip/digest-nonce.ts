/**
 * Server nonces for SIP digest authentication, kept stateless where Asterisk keeps them
 * stateless: res_pjsip_authenticator_digest builds `<unix time>/<md5(time:source ip:eid:realm)>`
 * and re-computes it to validate, so nothing is stored per challenge. We do the same with an
 * HMAC-SHA256 under a per-node secret (a keyed MAC instead of a hash over a guessable EID) and a
 * random salt, so two challenges issued in the same second to the same source still differ.
 *
 * The one thing Asterisk does not do is nonce-count replay protection (it accepts any nc while
 * the nonce is fresh). We track the highest nc seen per nonce in a bounded map whose entries
 * expire with the nonce: once a nonce is older than its lifetime it is stale anyway, so there is
 * nothing left to protect.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Asterisk's `auth` option `nonce_lifetime` default (res/res_pjsip/config_auth.c). */
export const DEFAULT_NONCE_LIFETIME_SECONDS = 32;
/** Upper bound of the nonce-count map; the oldest entry is dropped when it is full. */
export const DEFAULT_MAX_TRACKED_NONCES = 10_000;

/** What a nonce is bound to, besides its issue time. */
export interface NonceContext {
  /** The realm of the challenge (Asterisk binds the nonce to it too). */
  realm?: string;
  /**
   * The source address of the request (IP only: over TCP the port of a later request can
   * differ, which is why Asterisk leaves the port out as well).
   */
  source?: string;
}

export type NonceCheck =
  | { status: 'valid'; issuedAt: number; ageSeconds: number }
  | { status: 'expired'; issuedAt: number; ageSeconds: number }
  | { status: 'forged' };

export interface NonceManagerOptions {
  /** Per-node secret; random when absent. Keep it across restarts or outstanding nonces read as forged. */
  secret?: Uint8Array | string;
  /** Default lifetime used by check() when none is passed (the auth object's nonce_lifetime). */
  lifetimeSeconds?: number;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
  /** Bound of the nonce-count map. */
  maxTracked?: number;
}

interface NcEntry {
  nc: number;
  /** ms; after this the nonce is stale and its nc no longer matters. */
  expiresAt: number;
}

const NONCE_SHAPE = /^(\d{1,12})\/([A-Za-z0-9_-]{8})\/([A-Za-z0-9_-]{43})$/;

export class NonceManager {
  readonly lifetimeSeconds: number;
  private readonly secret: Buffer;
  private readonly now: () => number;
  private readonly maxTracked: number;
  private readonly counts = new Map<string, NcEntry>();

  constructor(options: NonceManagerOptions = {}) {
    this.secret =
      options.secret === undefined
        ? randomBytes(32)
        : typeof options.secret === 'string'
          ? Buffer.from(options.secret, 'utf8')
          : Buffer.from(options.secret);
    if (this.secret.length === 0) throw new RangeError('nonce secret must not be empty');
    this.lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_SECONDS;
    this.now = options.now ?? Date.now;
    this.maxTracked = Math.max(1, options.maxTracked ?? DEFAULT_MAX_TRACKED_NONCES);
  }

  /** A new nonce: `<issue time s>/<salt>/<mac>`, only characters that need no escaping in a quoted-string. */
  issue(context: NonceContext = {}): string {
    const ts = Math.floor(this.now() / 1000);
    const salt = randomBytes(6).toString('base64url');
    return `${ts}/${salt}/${this.mac(ts, salt, context)}`;
  }

  /** Signature and age of a nonce presented back to us; `lifetimeSeconds` is the auth object's nonce_lifetime. */
  check(nonce: string, context: NonceContext = {}, lifetimeSeconds: number = this.lifetimeSeconds): NonceCheck {
    const m = NONCE_SHAPE.exec(nonce);
    if (!m) return { status: 'forged' };
    const ts = Number(m[1]);
    const expected = Buffer.from(this.mac(ts, m[2]!, context));
    const given = Buffer.from(m[3]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { status: 'forged' };
    // Asterisk: `now - timestamp > nonce_lifetime` is stale (a nonce exactly lifetime old still passes).
    const ageSeconds = Math.floor(this.now() / 1000) - ts;
    return ageSeconds > lifetimeSeconds ? { status: 'expired', issuedAt: ts, ageSeconds } : { status: 'valid', issuedAt: ts, ageSeconds };
  }

  /**
   * Records a nonce count for a nonce whose credentials were already verified; false when the
   * count is not higher than one seen before (a replay). Call it only after the response
   * checked out, or a forger could raise the count of someone else's nonce and lock them out.
   */
  acceptNonceCount(nonce: string, nc: number, issuedAt: number, lifetimeSeconds: number = this.lifetimeSeconds): boolean {
    const now = this.now();
    this.prune(now);
    const entry = this.counts.get(nonce);
    if (entry && entry.expiresAt > now) {
      if (nc <= entry.nc) return false;
      entry.nc = nc;
      return true;
    }
    if (entry) this.counts.delete(nonce);
    while (this.counts.size >= this.maxTracked) {
      const oldest = this.counts.keys().next();
      if (oldest.done) break;
      this.counts.delete(oldest.value);
    }
    this.counts.set(nonce, { nc, expiresAt: (issuedAt + lifetimeSeconds + 1) * 1000 });
    return true;
  }

  /** Number of nonces whose count is being tracked (for tests and `pjsip show`-style output). */
  trackedCount(): number {
    this.prune(this.now());
    return this.counts.size;
  }

  private mac(ts: number, salt: string, context: NonceContext): string {
    // Length-prefixed fields: no realm/source pair can be shifted into another with the same MAC.
    const realm = context.realm ?? '';
    const source = context.source ?? '';
    return createHmac('sha256', this.secret)
      .update(`${ts}/${salt}\n${realm.length}:${realm}\n${source.length}:${source}`)
      .digest('base64url');
  }

  /** Entries go in roughly in expiry order, so dropping expired ones from the front is enough. */
  private prune(now: number): void {
    for (const [key, entry] of this.counts) {
      if (entry.expiresAt > now) break;
      this.counts.delete(key);
    }
  }
}

/** Per-nonce counters of a client (RFC 7616 3.4: nc counts requests made with one nonce, from 1). */
export class NonceCountState {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxEntries = 256) {}

  /** The next count for `nonce`, starting at 1. */
  next(nonce: string): number {
    const n = (this.counts.get(nonce) ?? 0) + 1;
    this.counts.delete(nonce);
    this.counts.set(nonce, n);
    while (this.counts.size > this.maxEntries) {
      const oldest = this.counts.keys().next();
      if (oldest.done) break;
      this.counts.delete(oldest.value);
    }
    return n;
  }

  /** Forget a nonce (e.g. after the server answered stale=true and issued another one). */
  forget(nonce: string): void {
    this.counts.delete(nonce);
  }
}

/** nc on the wire: exactly 8 lower-case hex digits (RFC 2617 3.2.2). */
export function formatNonceCount(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Parse an nc value; null unless it is 8 hex digits. */
export function parseNonceCount(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9A-Fa-f]{8}$/.test(value)) return null;
  return parseInt(value, 16);
}
