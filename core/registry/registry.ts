/**
 * A keyed registry that refuses duplicates and names both owners when it does.
 * Every registration returns a disposer; the module loader records them so that unloading a
 * module undoes exactly what loading it did. Listeners hear every change, which is how derived
 * capabilities (Accept, Allow-Events) are recomputed.
 */
import { TstError } from '../errors.js';

export type Disposer = () => void;

export interface Registration<V> {
  readonly key: string;
  readonly value: V;
  readonly owner: string;
}

export type RegistryListener<V> = (change: { kind: 'added' | 'removed'; registration: Registration<V> }) => void;

/** What a module sees: register() is bound to the module as owner and tracked for unload. */
export interface RegistryView<V> {
  register(key: string, value: V): Disposer;
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): string[];
  entries(): Registration<V>[];
}

export class Registry<V> {
  private readonly items = new Map<string, Registration<V>>();
  private readonly listeners = new Set<RegistryListener<V>>();

  /**
   * @param kind what is registered, for messages ("body generator")
   * @param normalize maps a key to its canonical form (e.g. lower-case media type)
   */
  constructor(
    readonly kind: string,
    private readonly normalize: (key: string) => string = (k) => k,
  ) {}

  register(key: string, value: V, owner: string): Disposer {
    const k = this.normalize(key);
    const existing = this.items.get(k);
    if (existing) {
      throw new TstError(
        'TST_ERR_DUPLICATE_REGISTRATION',
        `${this.kind} '${k}' from ${owner} is already registered by ${existing.owner}`,
      );
    }
    const reg: Registration<V> = { key: k, value, owner };
    this.items.set(k, reg);
    this.emit({ kind: 'added', registration: reg });
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      if (this.items.get(k) === reg) {
        this.items.delete(k);
        this.emit({ kind: 'removed', registration: reg });
      }
    };
  }

  get(key: string): V | undefined {
    return this.items.get(this.normalize(key))?.value;
  }

  has(key: string): boolean {
    return this.items.has(this.normalize(key));
  }

  owner(key: string): string | undefined {
    return this.items.get(this.normalize(key))?.owner;
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  entries(): Registration<V>[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  onChange(listener: RegistryListener<V>): Disposer {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `kind:key@owner` lines, sorted: a registry's state for before/after comparisons. */
  snapshot(): string[] {
    return this.entries()
      .map((r) => `${this.kind}:${r.key}@${r.owner}`)
      .sort();
  }

  view(owner: string, track: (d: Disposer) => void): RegistryView<V> {
    return {
      register: (key, value) => {
        const d = this.register(key, value, owner);
        track(d);
        return d;
      },
      get: (key) => this.get(key),
      has: (key) => this.has(key),
      keys: () => this.keys(),
      entries: () => this.entries(),
    };
  }

  private emit(change: Parameters<RegistryListener<V>>[0]): void {
    for (const l of [...this.listeners]) l(change);
  }
}

export interface OrderedRegistration<V> extends Registration<V> {
  readonly priority: number;
  readonly seq: number;
}

export interface OrderedRegistryView<V> {
  register(key: string, value: V, priority?: number): Disposer;
  list(key: string): V[];
  keys(): string[];
}

/**
 * Several values per key, kept in (priority, registration) order: body supplements for one
 * media type run in this order. The same owner may not register the same value twice.
 */
export class OrderedRegistry<V> {
  private readonly items = new Map<string, OrderedRegistration<V>[]>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;

  constructor(
    readonly kind: string,
    private readonly normalize: (key: string) => string = (k) => k,
  ) {}

  register(key: string, value: V, owner: string, priority = 0): Disposer {
    const k = this.normalize(key);
    const list = this.items.get(k) ?? [];
    if (list.some((r) => r.owner === owner && r.value === value)) {
      throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', `${this.kind} for '${k}' is already registered by ${owner}`);
    }
    const reg: OrderedRegistration<V> = { key: k, value, owner, priority, seq: this.seq++ };
    list.push(reg);
    list.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.items.set(k, list);
    this.emit();
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      const cur = this.items.get(k);
      if (!cur) return;
      const i = cur.indexOf(reg);
      if (i >= 0) cur.splice(i, 1);
      if (cur.length === 0) this.items.delete(k);
      this.emit();
    };
  }

  list(key: string): V[] {
    return (this.items.get(this.normalize(key)) ?? []).map((r) => r.value);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  onChange(listener: () => void): Disposer {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): string[] {
    const out: string[] = [];
    for (const [k, list] of this.items) for (const r of list) out.push(`${this.kind}:${k}@${r.owner}#${r.priority}`);
    return out.sort();
  }

  view(owner: string, track: (d: Disposer) => void): OrderedRegistryView<V> {
    return {
      register: (key, value, priority) => {
        const d = this.register(key, value, owner, priority);
        track(d);
        return d;
      },
      list: (key) => this.list(key),
      keys: () => this.keys(),
    };
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** Media types compare case-insensitively and without parameters (`application/pidf+xml; q=1`). */
export function normalizeMediaType(t: string): string {
  const semi = t.indexOf(';');
  return (semi >= 0 ? t.slice(0, semi) : t).trim().toLowerCase();
}
