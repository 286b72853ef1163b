/**
 * The embedded database: LMDB (through the `lmdb` package, which ships prebuilt binaries
 * in its registry package) holding an astdb-like tree `/family/key -> string`.
 *
 * Why LMDB: a crash-safe, memory-mapped B-tree with batched asynchronous commits. A JSON file
 * would need our own atomic-rename and fsync logic and would rewrite everything on each change.
 *
 * Every entry is mirrored in a Map so reads never touch the database (the hot path does no I/O).
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
  private pending = new Set<Promise<unknown>>();
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

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private assertOpen(): void {
    if (this.closed) throw new TstError('TST_ERR_STORE', 'the database is closed');
  }

  get(family: string, key: string): string | undefined {
    return this.mirror.get(family)?.get(key);
  }

  put(family: string, key: string, value: string): void {
    void this.putDurable(family, key, value).catch(() => undefined);
  }

  async putDurable(family: string, key: string, value: string): Promise<void> {
    this.assertOpen();
    this.familyMap(family, true).set(key, value);
    await this.track(this.db.put([family, key], value));
    await this.root.flushed;
  }

  del(family: string, key: string): boolean {
    const had = this.mirror.get(family)?.has(key) ?? false;
    if (had) void this.delDurable(family, key).catch(() => undefined);
    return had;
  }

  async delDurable(family: string, key: string): Promise<boolean> {
    this.assertOpen();
    const m = this.mirror.get(family);
    const had = m?.delete(key) ?? false;
    if (m && m.size === 0) this.mirror.delete(family);
    await this.track(this.db.remove([family, key]));
    await this.root.flushed;
    return had;
  }

  delTree(family: string, keyPrefix = ''): number {
    const m = this.mirror.get(family);
    if (!m) return 0;
    let n = 0;
    for (const k of [...m.keys()]) {
      if (k.startsWith(keyPrefix)) {
        n++;
        void this.delDurable(family, k).catch(() => undefined);
      }
    }
    return n;
  }

  list(family?: string, keyPrefix = ''): StoreEntry[] {
    const out: StoreEntry[] = [];
    const families = family !== undefined ? [family] : [...this.mirror.keys()].sort();
    for (const f of families) {
      const m = this.mirror.get(f);
      if (!m) continue;
      for (const k of [...m.keys()].sort()) {
        if (k.startsWith(keyPrefix)) out.push({ family: f, key: k, value: m.get(k)! });
      }
    }
    return out;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
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
