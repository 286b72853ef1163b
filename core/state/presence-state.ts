/**
 * Presence states (Asterisk's main/presencestate.c + funcs/func_presencestate.c) for one node:
 * a cache of `Provider:name -> { state, subtype, message }`, providers by prefix, and the
 * CustomPresence provider persisted in astdb family `CustomPresence` in func_presencestate's
 * own value format (`state,subtype,message[,options]`).
 */
import { TstError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';

/** Values and order of Asterisk's `enum ast_presence_state` (include/asterisk/presencestate.h). */
export enum PresenceState {
  NOT_SET = 0,
  UNAVAILABLE = 1,
  AVAILABLE = 2,
  AWAY = 3,
  XA = 4,
  CHAT = 5,
  DND = 6,
  /** Not settable: returned when a provider cannot tell. */
  INVALID = 7,
}

const PRESENCE_NAMES = ['not_set', 'unavailable', 'available', 'away', 'xa', 'chat', 'dnd'] as const;

export function isPresenceState(v: unknown): v is PresenceState {
  return typeof v === 'number' && Number.isInteger(v) && v >= PresenceState.NOT_SET && v <= PresenceState.INVALID;
}

/** Asterisk's `ast_presence_state2str`: `away`, `dnd`, ...; empty for INVALID. */
export function presenceStateToString(state: PresenceState): string {
  return (PRESENCE_NAMES as readonly string[])[state] ?? '';
}

/** Asterisk's `ast_presence_state_val` (case-insensitive); undefined where Asterisk says INVALID. */
export function parsePresenceState(s: string): PresenceState | undefined {
  const i = (PRESENCE_NAMES as readonly string[]).indexOf(s.trim().toLowerCase());
  return i >= 0 ? (i as PresenceState) : undefined;
}

export interface PresenceInfo {
  state: PresenceState;
  subtype: string;
  message: string;
}

export interface PresenceChange extends PresenceInfo {
  provider: string;
  previous: PresenceInfo;
}

/** Answers for `Prefix:name`; undefined when it cannot tell (Asterisk's INVALID). */
export type PresenceProvider = (name: string) => PresenceInfo | undefined;

export const CUSTOM_PRESENCE_FAMILY = 'CustomPresence';
const CUSTOM_PREFIX = 'CustomPresence:';

const NOT_SET: PresenceInfo = Object.freeze({ state: PresenceState.NOT_SET, subtype: '', message: '' });

export function samePresence(a: PresenceInfo, b: PresenceInfo): boolean {
  return a.state === b.state && a.subtype === b.subtype && a.message === b.message;
}

/** Splits like C's strsep: the first `,` only, rest kept (undefined once exhausted). */
function strsep(s: string | undefined): [string | undefined, string | undefined] {
  if (s === undefined) return [undefined, undefined];
  const i = s.indexOf(',');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function base64Decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

/**
 * func_presencestate's parse_data: `state[,subtype[,message[,options]]]`. Fields are split on
 * every comma, so neither subtype nor message can hold one (that is what option `e`, base64
 * values, is for); text after a fourth comma is ignored as Asterisk does. Returns the decoded
 * values consumers see. Throws TST_ERR_STATE on an empty or unknown state or bad options.
 */
export function parsePresenceChangeArgument(arg: string): PresenceInfo & { options: string } {
  const [stateStr, r1] = strsep(arg);
  if (!stateStr) throw new TstError('TST_ERR_STATE', 'a presence state is required');
  const state = parsePresenceState(stateStr);
  if (state === undefined) throw new TstError('TST_ERR_STATE', `Unknown presence state value ${stateStr}`);
  const [subtype = '', r2] = strsep(r1);
  const [message = '', r3] = strsep(r2);
  const [options = ''] = strsep(r3);
  if (options.length > 0 && !options.includes('e')) {
    throw new TstError('TST_ERR_STATE', `Invalid options '${options}'`);
  }
  if (options.includes('e')) {
    return { state, subtype: base64Decode(subtype), message: base64Decode(message), options };
  }
  return { state, subtype, message, options };
}

/**
 * The astdb value for a custom presence. Values holding a comma are stored base64 with option
 * `e` (func_presencestate's own escape), so what is stored always parses back to the same thing.
 */
export function formatCustomPresenceValue(info: PresenceInfo): string {
  const name = presenceStateToString(info.state);
  if (info.subtype.includes(',') || info.message.includes(',')) {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    return `${name},${b64(info.subtype)},${b64(info.message)},e`;
  }
  return `${name},${info.subtype},${info.message}`;
}

/** Key presence providers compare by: prefix lower-cased (providers match with strcasecmp). */
export function presenceKey(provider: string): string {
  const i = provider.indexOf(':');
  return i < 0 ? provider.toLowerCase() : `${provider.slice(0, i).toLowerCase()}${provider.slice(i)}`;
}

export interface PresenceStateEngineOptions {
  store: Store;
  log: Logger;
  /** Serve `CustomPresence:` from the start (default true); a node passes false and func_presencestate attaches it. */
  attachCustom?: boolean;
}

export class PresenceStateEngine {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly cache = new Map<string, { provider: string; info: PresenceInfo }>();
  private readonly providers = new Map<string, { label: string; fn: PresenceProvider }>();
  private readonly listeners = new Set<(ev: PresenceChange) => void>();

  constructor(opts: PresenceStateEngineOptions) {
    this.store = opts.store;
    this.log = opts.log;
    if (opts.attachCustom ?? true) this.attachCustom();
  }

  /** Registers the `CustomPresence` provider and publishes the stored states; the disposer unregisters it. */
  attachCustom(): () => void {
    const dispose = this.registerProvider('CustomPresence', (name) => this.customPresence(name));
    this.restore();
    return dispose;
  }

  registerProvider(prefix: string, provider: PresenceProvider): () => void {
    if (!prefix || prefix.includes(':')) throw new TstError('TST_ERR_STATE', `bad presence state provider name '${prefix}'`);
    const k = prefix.toLowerCase();
    if (this.providers.has(k)) {
      throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', `Presence state provider '${prefix}' already registered`);
    }
    const entry = { label: prefix, fn: provider };
    this.providers.set(k, entry);
    return () => {
      if (this.providers.get(k) === entry) this.providers.delete(k);
    };
  }

  /** Registered provider prefixes, sorted (for registry snapshots). */
  providerNames(): string[] {
    return [...this.providers.values()].map((p) => p.label).sort();
  }

  /**
   * Publishes a presence state for `Prefix:name` (ast_presence_state_changed). For
   * `CustomPresence:` it is also stored in astdb; the promise resolves once that is on disk
   * (at once for other providers). Listeners hear every set, as Asterisk publishes every one.
   */
  set(provider: string, state: PresenceState, subtype = '', message = ''): Promise<void> {
    const colon = provider.indexOf(':');
    if (colon <= 0) throw new TstError('TST_ERR_STATE', `No label found for presence state provider: ${provider}`);
    const name = provider.slice(colon + 1);
    if (name.length === 0) throw new TstError('TST_ERR_STATE', `no presence provider name in '${provider}'`);
    if (!isPresenceState(state) || state === PresenceState.INVALID) {
      throw new TstError('TST_ERR_STATE', `invalid presence state value '${String(state)}'`);
    }
    const info: PresenceInfo = { state, subtype, message };
    let written: Promise<void> = Promise.resolve();
    if (provider.slice(0, colon).toLowerCase() === 'custompresence') {
      written = this.store.putDurable(CUSTOM_PRESENCE_FAMILY, name, formatCustomPresenceValue(info));
    }
    this.publish(provider, info);
    return written;
  }

  private publish(provider: string, info: PresenceInfo): void {
    const key = presenceKey(provider);
    const prev = this.cache.get(key);
    const previous = prev?.info ?? NOT_SET;
    this.cache.set(key, { provider: prev?.provider ?? provider, info: { ...info } });
    const ev: PresenceChange = { provider: prev?.provider ?? provider, ...info, previous };
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.error(`presence state listener failed for '${provider}': ${errorMessage(e)}`);
      }
    }
  }

  /** The cached state, else the provider's answer, else NOT_SET with empty texts. */
  get(provider: string): PresenceInfo {
    const cached = this.cache.get(presenceKey(provider));
    if (cached) return { ...cached.info };
    const colon = provider.indexOf(':');
    if (colon <= 0) return { ...NOT_SET };
    const prov = this.providers.get(provider.slice(0, colon).toLowerCase());
    if (!prov) return { ...NOT_SET };
    try {
      const r = prov.fn(provider.slice(colon + 1));
      if (r && isPresenceState(r.state) && r.state !== PresenceState.INVALID) {
        return { state: r.state, subtype: r.subtype ?? '', message: r.message ?? '' };
      }
    } catch (e) {
      this.log.warning(`Presence state provider '${prov.label}' failed for '${provider}': ${errorMessage(e)}`);
    }
    return { ...NOT_SET };
  }

  list(): Array<PresenceInfo & { provider: string }> {
    return [...this.cache.values()].map((c) => ({ provider: c.provider, ...c.info }));
  }

  onChange(listener: (ev: PresenceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `presencestate list`: the stored custom presences, decoded. */
  listCustom(): Array<PresenceInfo & { provider: string; encoded: boolean }> {
    const out: Array<PresenceInfo & { provider: string; encoded: boolean }> = [];
    for (const { key, value } of this.store.list(CUSTOM_PRESENCE_FAMILY)) {
      try {
        const p = parsePresenceChangeArgument(value);
        out.push({ provider: `${CUSTOM_PREFIX}${key}`, state: p.state, subtype: p.subtype, message: p.message, encoded: p.options.includes('e') });
      } catch {
        this.log.warning(`Invalid CustomPresence entry ${value} encountered`);
      }
    }
    return out;
  }

  private customPresence(name: string): PresenceInfo | undefined {
    const v = this.store.get(CUSTOM_PRESENCE_FAMILY, name);
    if (v === undefined) return undefined;
    try {
      const p = parsePresenceChangeArgument(v);
      return { state: p.state, subtype: p.subtype, message: p.message };
    } catch {
      return undefined;
    }
  }

  /** Publishes every stored CustomPresence state (done at construction, as the module load). */
  restore(): void {
    for (const { key, value } of this.store.list(CUSTOM_PRESENCE_FAMILY)) {
      if (key.length === 0) continue;
      let p: PresenceInfo;
      try {
        p = parsePresenceChangeArgument(value);
      } catch {
        this.log.warning(`Invalid CustomPresence entry ${value} encountered`);
        continue;
      }
      this.publish(`${CUSTOM_PREFIX}${key}`, { state: p.state, subtype: p.subtype, message: p.message });
    }
  }
}
