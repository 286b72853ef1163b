/**
 * Mailbox (MWI) message counts for one node, per EID like device states: the local node's own
 * counts (persisted, family `mwi`, key `mailbox@context`, value JSON) and the counts peers
 * report (kept in memory only: after a restart peers report again, and a stale remote count is
 * worse than none).
 *
 * Which count does a mailbox show when several EIDs report it? Summing is wrong: two nodes
 * sharing one voicemail store would each report the same messages. Asterisk keeps one cache
 * entry per EID and res_pjsip_mwi notifies with the counts of whichever update arrived last,
 * so we do the same on purpose: the latest update wins across EIDs.
 */
import { TstError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';

export interface MailboxCounts {
  new: number;
  old: number;
  urgent: number;
}

export interface MailboxChange extends MailboxCounts {
  mailbox: string;
  /** The EID whose update (or deletion) caused this event. */
  eid: string;
  /** true when no EID has counts for the mailbox any more. */
  deleted: boolean;
}

export const MWI_FAMILY = 'mwi';

/**
 * `mailbox[@context]` -> `mailbox@context`, context `default` when absent or empty (as
 * app_voicemail's separate_mailbox). Throws TST_ERR_STATE when the mailbox part is empty.
 */
export function normalizeMailboxId(id: string): string {
  const at = id.indexOf('@');
  const mailbox = (at < 0 ? id : id.slice(0, at)).trim();
  const context = at < 0 ? '' : id.slice(at + 1).trim();
  if (mailbox.length === 0) throw new TstError('TST_ERR_STATE', `bad mailbox '${id}': the mailbox part is empty`);
  return `${mailbox}@${context || 'default'}`;
}

function checkCount(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new TstError('TST_ERR_STATE', `the ${what} message count must be a non-negative integer, not '${String(v)}'`);
  }
  return v;
}

interface MailboxRecord extends MailboxCounts {
  /** Update order, so the latest report wins across EIDs. */
  seq: number;
}

const ZERO: MailboxCounts = Object.freeze({ new: 0, old: 0, urgent: 0 });

export interface MailboxStateEngineOptions {
  store: Store;
  log: Logger;
  eid: string;
}

export class MailboxStateEngine {
  readonly eid: string;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly boxes = new Map<string, Map<string, MailboxRecord>>();
  private readonly eidBoxes = new Map<string, Set<string>>();
  private readonly listeners = new Set<(ev: MailboxChange) => void>();
  private seq = 0;

  constructor(opts: MailboxStateEngineOptions) {
    this.store = opts.store;
    this.log = opts.log;
    this.eid = opts.eid;
    this.restore();
  }

  /**
   * Records counts for a mailbox from one EID (default local) and notifies. Local counts are
   * stored; the promise resolves once they are on disk (at once for remote ones).
   */
  update(mailbox: string, counts: { new: number; old: number; urgent?: number }, opts: { eid?: string } = {}): Promise<void> {
    const id = normalizeMailboxId(mailbox);
    const c: MailboxCounts = {
      new: checkCount('new', counts.new),
      old: checkCount('old', counts.old),
      urgent: checkCount('urgent', counts.urgent ?? 0),
    };
    const eid = opts.eid ?? this.eid;
    let written: Promise<void> = Promise.resolve();
    if (eid === this.eid) written = this.store.putDurable(MWI_FAMILY, id, JSON.stringify(c));
    this.record(id, eid, c);
    this.emit(id, eid);
    return written;
  }

  private record(id: string, eid: string, c: MailboxCounts): void {
    let perEid = this.boxes.get(id);
    if (!perEid) {
      perEid = new Map();
      this.boxes.set(id, perEid);
    }
    perEid.set(eid, { ...c, seq: ++this.seq });
    let ids = this.eidBoxes.get(eid);
    if (!ids) {
      ids = new Set();
      this.eidBoxes.set(eid, ids);
    }
    ids.add(id);
  }

  private latest(id: string): MailboxRecord | undefined {
    let best: MailboxRecord | undefined;
    for (const r of this.boxes.get(id)?.values() ?? []) if (!best || r.seq > best.seq) best = r;
    return best;
  }

  /** The counts shown for the mailbox (latest update across EIDs); zeros when unknown. */
  get(mailbox: string): MailboxCounts {
    const r = this.latest(normalizeMailboxId(mailbox));
    return r ? { new: r.new, old: r.old, urgent: r.urgent } : { ...ZERO };
  }

  has(mailbox: string): boolean {
    return this.boxes.has(normalizeMailboxId(mailbox));
  }

  getByEid(mailbox: string): Map<string, MailboxCounts> {
    const out = new Map<string, MailboxCounts>();
    for (const [eid, r] of this.boxes.get(normalizeMailboxId(mailbox)) ?? []) out.set(eid, { new: r.new, old: r.old, urgent: r.urgent });
    return out;
  }

  list(): Array<MailboxCounts & { mailbox: string; eid: string }> {
    const out: Array<MailboxCounts & { mailbox: string; eid: string }> = [];
    for (const [mailbox, perEid] of this.boxes) {
      for (const [eid, r] of perEid) out.push({ mailbox, eid, new: r.new, old: r.old, urgent: r.urgent });
    }
    return out;
  }

  /** Forgets one EID's counts for a mailbox (default local, also removed from disk). */
  delete(mailbox: string, opts: { eid?: string } = {}): Promise<boolean> {
    const id = normalizeMailboxId(mailbox);
    const eid = opts.eid ?? this.eid;
    const had = this.forget(id, eid);
    const written = eid === this.eid ? this.store.delDurable(MWI_FAMILY, id) : Promise.resolve(had);
    if (had) this.emit(id, eid);
    return written.then((onDisk) => had || onDisk);
  }

  private forget(id: string, eid: string): boolean {
    const perEid = this.boxes.get(id);
    if (!perEid?.delete(eid)) return false;
    if (perEid.size === 0) this.boxes.delete(id);
    this.eidBoxes.get(eid)?.delete(id);
    return true;
  }

  /** Withdraws every count learnt from a peer, notifying each mailbox concerned. */
  removeEid(eid: string): void {
    const ids = this.eidBoxes.get(eid);
    if (!ids) return;
    this.eidBoxes.delete(eid);
    for (const id of ids) {
      const perEid = this.boxes.get(id);
      if (!perEid?.delete(eid)) continue;
      if (perEid.size === 0) this.boxes.delete(id);
      this.emit(id, eid);
    }
  }

  onChange(listener: (ev: MailboxChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(id: string, eid: string): void {
    const r = this.latest(id);
    const ev: MailboxChange = { mailbox: id, eid, new: r?.new ?? 0, old: r?.old ?? 0, urgent: r?.urgent ?? 0, deleted: !r };
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.error(`mailbox state listener failed for '${id}': ${errorMessage(e)}`);
      }
    }
  }

  /** Reloads the local counts from the store (done at construction). */
  restore(): void {
    for (const { key, value } of this.store.list(MWI_FAMILY)) {
      let c: MailboxCounts;
      let id: string;
      try {
        id = normalizeMailboxId(key);
        const parsed = JSON.parse(value) as Partial<MailboxCounts>;
        c = { new: checkCount('new', parsed.new), old: checkCount('old', parsed.old), urgent: checkCount('urgent', parsed.urgent ?? 0) };
      } catch (e) {
        this.log.warning(`Invalid mwi entry '${key}' = '${value}': ${errorMessage(e)}`);
        continue;
      }
      const cur = this.boxes.get(id)?.get(this.eid);
      if (cur && cur.new === c.new && cur.old === c.old && cur.urgent === c.urgent) continue;
      this.record(id, this.eid, c);
      this.emit(id, this.eid);
    }
  }
}
