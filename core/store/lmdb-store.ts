/**
 * The embedded database: LMDB (through the `lmdb` package, which ships prebuilt binaries
 * in its registry package) holding an astdb-like tree `/family/key -> string`.
 *
 * Why LMDB: a crash-safe, memory-mapped B-tree with batched asynchronous commits. A JSON file
 * would need our own atomic-rename and fsync logic and would rewrite everything on each change.
 *
 * Every entry is mirrored in a Map so reads never touch the database (the hot path does no I/O),
 * except in cold families (coldFamily): records only read at start-up, where a mirror would
 * double their memory (a held subscription's record was the largest part of it).
 * Writes update the Map at once and are committed by lmdb-js in batches (commitDelay), so
 * un-awaited writes reach disk within a fraction of a second; putDurable/delDurable resolve once
 * the batch holding them is flushed, which is what a CLI command waits for before answering.
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { TstError, errorMessage } from '../errors.js';
import type { Store, StoreEntry } from './types.js';

type Key = [string, string];

/** Batching window for un-awaited writes; well under the one-second durability promise. */
const COMMIT_DELAY_MS = 50;

export class LmdbStore implements Store {
  private readonly root: RootDatabase<string, Key>;
  private readonly db: Database<string, Key>;
  private readonly mirror = new Map<string, Map<string, string>>();
  private readonly cold = new Set<string>();
  /** The newest write: lmdb-js commits batches in order, so once it settles all earlier ones have. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(path: string) {
    try {
      mkdirSync(path, { recursive: true });
      this.root = open<string, Key>({ path, commitDelay: COMMIT_DELAY_MS, encoding: 'string' });
      this.db = this.root;
    } catch (e) {
      throw new TstError('TST_ERR_STORE', `cannot open the database at ${path}: ${errorMessage(e)}`, { cause: e });
    }
    for (const { key, value } of this.db.getRange({})) {
      const [family, k] = key;
      this.familyMap(family, true).set(k, value);
    }
  }

  private familyMap(family: string, create: true): Map<string, string>;
  private familyMap(family: string, create: false): Map<string, string> | undefined;
  private familyMap(family: string, create: boolean): Map<string, string> | undefined {
    let m = this.mirror.get(family);
    if (!m && create) {
      m = new Map();
      this.mirror.set(family, m);
    }
    return m;
  }

  private issue(p: Promise<unknown>): void {
    p.catch(() => undefined);
    this.last = p;
  }

  private assertOpen(): void {
    if (this.closed) throw new TstError('TST_ERR_STORE', 'the database is closed');
  }

  coldFamily(family: string): void {
    if (this.cold.has(family)) return;
    this.cold.add(family);
    this.mirror.delete(family);
  }

  get(family: string, key: string): string | undefined {
    if (this.cold.has(family)) return this.closed ? undefined : this.db.get([family, key]);
    return this.mirror.get(family)?.get(key);
  }

  /** The hot path: no promise chain of our own, lmdb-js batches the write. */
  put(family: string, key: string, value: string): void {
    this.assertOpen();
    if (!this.cold.has(family)) this.familyMap(family, true).set(key, value);
    this.issue(this.db.put([family, key], value));
  }

  async putDurable(family: string, key: string, value: string): Promise<void> {
    this.put(family, key, value);
    await this.flush();
  }

  del(family: string, key: string): boolean {
    this.assertOpen();
    let had: boolean;
    if (this.cold.has(family)) {
      had = true;
    } else {
      const m = this.mirror.get(family);
      had = m?.delete(key) ?? false;
      if (!had) return false;
      if (m && m.size === 0) this.mirror.delete(family);
    }
    this.issue(this.db.remove([family, key]));
    return had;
  }

  async delDurable(family: string, key: string): Promise<boolean> {
    const had = this.cold.has(family) ? this.db.doesExist([family, key]) : (this.mirror.get(family)?.has(key) ?? false);
    this.del(family, key);
    await this.flush();
    return had;
  }

  delTree(family: string, keyPrefix = ''): number {
    let n = 0;
    for (const e of this.list(family, keyPrefix)) {
      n++;
      this.del(family, e.key);
    }
    return n;
  }

  list(family?: string, keyPrefix = ''): StoreEntry[] {
    const out: StoreEntry[] = [];
    const families = family !== undefined ? [family] : [...new Set([...this.mirror.keys(), ...this.cold])].sort();
    for (const f of families) {
      if (this.cold.has(f)) {
        if (this.closed) continue;
        // Keys are [family, key] arrays: the range of one family, in key order.
        for (const { key, value } of this.db.getRange({ start: [f, keyPrefix], end: [f, `${keyPrefix}\uffff`] })) {
          if (key[1].startsWith(keyPrefix)) out.push({ family: f, key: key[1], value });
        }
        continue;
      }
      const m = this.mirror.get(f);
      if (!m) continue;
      for (const k of [...m.keys()].sort()) {
        if (k.startsWith(keyPrefix)) out.push({ family: f, key: k, value: m.get(k)! });
      }
    }
    return out;
  }

  async flush(): Promise<void> {
    await this.last.catch(() => undefined);
    await this.root.flushed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.root.close();
  }
}

export function openStore(path: string): Store {
  return new LmdbStore(path);
}
