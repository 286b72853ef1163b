/**
 * The embedded database as the rest of the node sees it: an astdb-like tree of
 * `/family/key` -> string. Reads come from memory (no disk I/O on the hot path);
 * writes go to disk in batches within a second, or durably when awaited.
 */
export interface StoreEntry {
  family: string;
  key: string;
  value: string;
}

export interface Store {
  /**
   * Declares a family "cold": its records are read only at start-up and by the CLI (persisted
   * subscriptions, registrations), so they are not mirrored in memory. Reads of a cold family
   * come from the database's memory map and do not see writes still waiting for their batch.
   */
  coldFamily(family: string): void;
  get(family: string, key: string): string | undefined;
  /** Batched write: visible at once to get(), on disk within a second. */
  put(family: string, key: string, value: string): void;
  /** Resolves once the write is committed to disk. */
  putDurable(family: string, key: string, value: string): Promise<void>;
  del(family: string, key: string): boolean;
  delDurable(family: string, key: string): Promise<boolean>;
  /** Deletes a whole family (or keys under a prefix of it); returns how many went. */
  delTree(family: string, keyPrefix?: string): number;
  /** Entries sorted by family then key; optionally one family and a key prefix. */
  list(family?: string, keyPrefix?: string): StoreEntry[];
  /** Resolves when every batched write so far is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
