/**
 * Contacts bound to AORs (Asterisk's res_pjsip/location.c with res_pjsip_registrar_expire's
 * job folded in): each dynamic contact has one expiry timer and is kept in the embedded store,
 * so registrations survive a restart and expire on time after it. Reads are from memory.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Store } from '../../core/store/types.js';

export const CONTACT_FAMILY = 'registrar';

export interface ContactFlow {
  protocol: string;
  transport: string;
  address: string;
  port: number;
  connectionId?: number;
}

export interface Contact {
  aor: string;
  uri: string;
  /** Absolute expiry (ms since the epoch). */
  expiresAt: number;
  endpoint?: string;
  userAgent?: string;
  callId?: string;
  cseq?: number;
  path?: string[];
  /** Where the REGISTER came from: in-dialog requests to a TCP/WS peer go back over this flow. */
  flow?: ContactFlow;
  /** Seconds the registrar granted. */
  expires: number;
  registeredAt: number;
}

export type ContactEvent = { kind: 'added' | 'updated' | 'removed' | 'expired'; contact: Contact };

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Node's timers overflow above 2^31-1 ms; longer expiries are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function key(aor: string, uri: string): string {
  return `${aor};${uri}`;
}

export class Location {
  private readonly byAor = new Map<string, Map<string, Contact>>();
  private readonly timers = new Map<string, unknown>();
  private readonly listeners = new Set<(ev: ContactEvent) => void>();
  private readonly clock: Clock;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    clock?: Clock,
  ) {
    this.clock = clock ?? realClock;
    // Contacts live in byAor; their records are read back only at start-up.
    store.coldFamily(CONTACT_FAMILY);
  }

  /** Loads persisted contacts; expired ones are dropped (and removed from the store). */
  restore(): number {
    let n = 0;
    for (const e of this.store.list(CONTACT_FAMILY)) {
      let c: Contact;
      try {
        c = JSON.parse(e.value) as Contact;
        if (typeof c.aor !== 'string' || typeof c.uri !== 'string' || typeof c.expiresAt !== 'number') throw new Error('missing fields');
      } catch (err) {
        this.log.warning(`dropping unreadable stored contact '${e.key}': ${errorMessage(err)}`);
        this.store.del(CONTACT_FAMILY, e.key);
        continue;
      }
      if (c.expiresAt <= this.clock.now()) {
        this.store.del(CONTACT_FAMILY, e.key);
        continue;
      }
      this.insert(c);
      n++;
    }
    return n;
  }

  contacts(aor: string): Contact[] {
    const m = this.byAor.get(aor);
    return m ? [...m.values()] : [];
  }

  get(aor: string, uri: string): Contact | undefined {
    return this.byAor.get(aor)?.get(uri);
  }

  all(): Contact[] {
    const out: Contact[] = [];
    for (const m of this.byAor.values()) out.push(...m.values());
    return out;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byAor.values()) n += m.size;
    return n;
  }

  /** Adds or refreshes a contact; persisted (batched) and its expiry re-armed. */
  upsert(c: Contact): 'added' | 'updated' {
    const existed = this.get(c.aor, c.uri) !== undefined;
    this.insert(c);
    this.store.put(CONTACT_FAMILY, key(c.aor, c.uri), JSON.stringify(c));
    this.emit({ kind: existed ? 'updated' : 'added', contact: c });
    return existed ? 'updated' : 'added';
  }

  remove(aor: string, uri: string, kind: 'removed' | 'expired' = 'removed'): Contact | undefined {
    const m = this.byAor.get(aor);
    const c = m?.get(uri);
    if (!m || !c) return undefined;
    m.delete(uri);
    if (m.size === 0) this.byAor.delete(aor);
    const k = key(aor, uri);
    const t = this.timers.get(k);
    if (t !== undefined) this.clock.clearTimeout(t);
    this.timers.delete(k);
    this.store.del(CONTACT_FAMILY, k);
    this.emit({ kind, contact: c });
    return c;
  }

  onChange(listener: (ev: ContactEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the timers (the contacts stay in the store for the next start). */
  dispose(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }

  private insert(c: Contact): void {
    let m = this.byAor.get(c.aor);
    if (!m) {
      m = new Map();
      this.byAor.set(c.aor, m);
    }
    m.set(c.uri, c);
    this.arm(c);
  }

  private arm(c: Contact): void {
    const k = key(c.aor, c.uri);
    const old = this.timers.get(k);
    if (old !== undefined) this.clock.clearTimeout(old);
    const delay = Math.max(0, c.expiresAt - this.clock.now());
    const fire = () => {
      const cur = this.get(c.aor, c.uri);
      if (cur !== c) return;
      if (c.expiresAt > this.clock.now()) {
        this.arm(c);
        return;
      }
      this.log.verbose(`Contact ${c.uri} of AOR '${c.aor}' has expired`);
      this.remove(c.aor, c.uri, 'expired');
    };
    this.timers.set(k, this.clock.setTimeout(fire, Math.min(delay, MAX_TIMER_MS)));
  }

  private emit(ev: ContactEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.error(`contact listener failed on ${ev.kind} ${ev.contact.uri}: ${errorMessage(e)}`);
      }
    }
  }
}
