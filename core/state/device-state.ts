/**
 * Device states (Asterisk's main/devicestate.c + funcs/func_devstate.c) for one node.
 *
 * Every device keeps one state per EID (the local node and each peer that told us about it);
 * its state is the aggregate of those, exactly as Asterisk's stasis cache aggregates per-server
 * device states with ast_devstate_aggregate_add. A device nobody has a state for is asked of
 * the provider registered for its technology or prefix (`PJSIP/alice` -> `PJSIP`,
 * `Custom:lamp` -> `Custom`), and is INVALID when there is none, as for an unknown technology.
 *
 * Device names compare case-insensitively on the technology/prefix only: Asterisk looks up
 * channel technologies and devstate providers with strcasecmp, but keys its state cache with
 * strcmp on the whole name, so `pjsip/alice` and `PJSIP/alice` reach the same provider while
 * `PJSIP/alice` and `PJSIP/Alice` are different devices.
 */
import { TstError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';

/** Values and order of Asterisk's `enum ast_device_state` (include/asterisk/devicestate.h). */
export enum DeviceState {
  UNKNOWN = 0,
  NOT_INUSE = 1,
  INUSE = 2,
  BUSY = 3,
  INVALID = 4,
  UNAVAILABLE = 5,
  RINGING = 6,
  RINGINUSE = 7,
  ONHOLD = 8,
}

/** Parseable names: Asterisk's `ast_devstate_str` (what astdb, AMI and the CLI carry). */
const STATE_NAMES = ['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD'] as const;
/** Display texts: Asterisk's `ast_devstate2str`. */
const STATE_DESCRIPTIONS = ['Unknown', 'Not in use', 'In use', 'Busy', 'Invalid', 'Unavailable', 'Ringing', 'Ring+Inuse', 'On Hold'] as const;

export function isDeviceState(v: unknown): v is DeviceState {
  return typeof v === 'number' && Number.isInteger(v) && v >= DeviceState.UNKNOWN && v <= DeviceState.ONHOLD;
}

/** `INUSE`, `NOT_INUSE`, ... (Asterisk's `ast_devstate_str`); `UNKNOWN` for anything else. */
export function deviceStateToString(state: DeviceState): string {
  return isDeviceState(state) ? STATE_NAMES[state] : 'UNKNOWN';
}

/** `In use`, `Not in use`, ... (Asterisk's `ast_devstate2str`, used by `core show` output). */
export function deviceStateDescription(state: DeviceState): string {
  return isDeviceState(state) ? STATE_DESCRIPTIONS[state] : 'Unknown';
}

/**
 * Asterisk's `ast_devstate_val`, case-insensitive. Asterisk returns UNKNOWN for any word it does
 * not know; we return undefined instead so callers can refuse typos (the literal `UNKNOWN` still
 * parses to UNKNOWN).
 */
export function parseDeviceState(s: string): DeviceState | undefined {
  const u = s.trim().toUpperCase();
  const i = (STATE_NAMES as readonly string[]).indexOf(u);
  return i >= 0 ? (i as DeviceState) : undefined;
}

/** Aggregation rank from ast_devstate_aggregate_add's `state_order` table (higher wins). */
const AGGREGATE_RANK: Record<DeviceState, number> = {
  [DeviceState.UNKNOWN]: 1,
  [DeviceState.NOT_INUSE]: 3,
  [DeviceState.INUSE]: 6,
  [DeviceState.BUSY]: 7,
  [DeviceState.INVALID]: 0,
  [DeviceState.UNAVAILABLE]: 2,
  [DeviceState.RINGING]: 5,
  [DeviceState.RINGINUSE]: 8,
  [DeviceState.ONHOLD]: 4,
};

/**
 * ast_devstate_aggregate_init/add/result: starts at INVALID; the highest-ranked state wins,
 * except that once any RINGING and any of INUSE/BUSY/ONHOLD have been added the result is
 * RINGINUSE for good (a phone ringing while another call is up or held).
 */
export class DeviceStateAggregate {
  private ringing = false;
  private inUse = false;
  private state: DeviceState = DeviceState.INVALID;

  add(state: DeviceState): this {
    if (state === DeviceState.RINGING) {
      this.ringing = true;
    } else if (state === DeviceState.INUSE || state === DeviceState.ONHOLD || state === DeviceState.BUSY) {
      this.inUse = true;
    }
    if (this.ringing && this.inUse) {
      this.state = DeviceState.RINGINUSE;
    } else if ((AGGREGATE_RANK[state] ?? -1) > AGGREGATE_RANK[this.state]) {
      this.state = state;
    }
    return this;
  }

  result(): DeviceState {
    return this.state;
  }
}

export function aggregateDeviceStates(states: Iterable<DeviceState>): DeviceState {
  const agg = new DeviceStateAggregate();
  for (const s of states) agg.add(s);
  return agg.result();
}

export function isRingingDeviceState(state: DeviceState): boolean {
  return state === DeviceState.RINGING || state === DeviceState.RINGINUSE;
}

/** A device name split as `_ast_device_state` does: `Tech/resource` first, else `Provider:resource`. */
export interface DeviceNameParts {
  prefix: string;
  separator: '/' | ':';
  name: string;
}

export function splitDeviceName(device: string): DeviceNameParts | undefined {
  const slash = device.indexOf('/');
  if (slash >= 0) return { prefix: device.slice(0, slash), separator: '/', name: device.slice(slash + 1) };
  const colon = device.indexOf(':');
  if (colon >= 0) return { prefix: device.slice(0, colon), separator: ':', name: device.slice(colon + 1) };
  return undefined;
}

/** The key devices are compared by: technology/prefix lower-cased, the rest as written. */
export function deviceKey(device: string): string {
  const p = splitDeviceName(device);
  return p ? `${p.prefix.toLowerCase()}${p.separator}${p.name}` : device;
}

export type DeviceStateProvider = (name: string) => DeviceState;

export interface SetDeviceStateOptions {
  /** EID the state comes from; default the local one. */
  eid?: string;
  /**
   * false for states that must not be remembered (Asterisk's AST_DEVSTATE_NOT_CACHABLE, e.g.
   * Local channels): listeners get the state as-is and nothing is cached.
   */
  cachable?: boolean;
  /** Free text for logs (`PJSIP`, `peer node2`, ...). */
  source?: string;
}

/** Fired when a device's aggregate state changes, and on every ringing aggregate. */
export interface DeviceStateChange {
  device: string;
  /** New aggregate state (for a non-cachable update: the state as given). */
  state: DeviceState;
  /** Aggregate before the change; undefined when nothing was cached for the device. */
  previous: DeviceState | undefined;
  /** The EID whose state caused this change (same value as changedEid). */
  eid: string;
  changedEid: string;
  /** That EID's own state now; undefined when the EID withdrew it (removeEid). */
  eidState: DeviceState | undefined;
  cachable: boolean;
  source?: string;
}

/** Fired on every per-EID update, changed or not (what Asterisk publishes per server). */
export interface DeviceEidUpdate {
  device: string;
  state: DeviceState;
  eid: string;
  cachable: boolean;
  source?: string;
}

export const CUSTOM_DEVSTATE_FAMILY = 'CustomDevstate';
const CUSTOM_PREFIX = 'Custom:';

interface DeviceEntry {
  /** The name as first seen, for listings and events. */
  name: string;
  states: Map<string, DeviceState>;
  aggregate: DeviceState | undefined;
}

export interface DeviceStateEngineOptions {
  store: Store;
  eid: string;
  log: Logger;
  /**
   * Serve `Custom:` devices from the start (default true, handy for tests). A node passes false:
   * there func_devstate attaches them, so Custom: devices exist only while that module runs.
   */
  attachCustom?: boolean;
}

export class DeviceStateEngine {
  readonly eid: string;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly devices = new Map<string, DeviceEntry>();
  /** EID -> device keys it has a state for, so removeEid does not scan every device. */
  private readonly eidDevices = new Map<string, Set<string>>();
  private readonly providers = new Map<string, { label: string; fn: DeviceStateProvider }>();
  private readonly listeners = new Set<(ev: DeviceStateChange) => void>();
  private readonly eidListeners = new Set<(ev: DeviceEidUpdate) => void>();
  private readonly providerListeners = new Set<(prefix: string) => void>();
  /** Devices whose provider is being asked right now, so a provider calling setState cannot loop. */
  private readonly resolving = new Set<string>();

  constructor(opts: DeviceStateEngineOptions) {
    this.store = opts.store;
    this.eid = opts.eid;
    this.log = opts.log;
    if (opts.attachCustom ?? true) this.attachCustom();
  }

  /** Registers the `Custom` provider and publishes the stored Custom: states; the disposer unregisters it. */
  attachCustom(): () => void {
    const dispose = this.registerProvider('Custom', (name) => this.customState(name));
    this.restore();
    return dispose;
  }

  // ---- providers -------------------------------------------------------------------------

  registerProvider(prefix: string, provider: DeviceStateProvider): () => void {
    const k = prefix.toLowerCase();
    if (!prefix || /[/:]/.test(prefix)) {
      throw new TstError('TST_ERR_STATE', `bad device state provider name '${prefix}'`);
    }
    if (this.providers.has(k)) {
      throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', `Device state provider '${prefix}' already registered`);
    }
    const entry = { label: prefix, fn: provider };
    this.providers.set(k, entry);
    this.emitProviderChange(prefix);
    return () => {
      if (this.providers.get(k) === entry) {
        this.providers.delete(k);
        this.emitProviderChange(prefix);
      }
    };
  }

  /** Registered provider prefixes, sorted (for registry snapshots). */
  providerNames(): string[] {
    return [...this.providers.values()].map((p) => p.label).sort();
  }

  /**
   * Hears a provider come or go: states of devices with no cached state change with it (a hint
   * loaded before func_devstate must not stay INVALID once Custom: devices exist).
   */
  onProviderChange(listener: (prefix: string) => void): () => void {
    this.providerListeners.add(listener);
    return () => this.providerListeners.delete(listener);
  }

  private emitProviderChange(prefix: string): void {
    for (const l of [...this.providerListeners]) {
      try {
        l(prefix);
      } catch (e) {
        this.log.error(`provider listener failed for '${prefix}': ${errorMessage(e)}`);
      }
    }
  }

  private askProvider(device: string): DeviceState | undefined {
    const parts = splitDeviceName(device);
    if (!parts) return undefined;
    const prov = this.providers.get(parts.prefix.toLowerCase());
    if (!prov) return undefined;
    const key = deviceKey(device);
    if (this.resolving.has(key)) return undefined;
    this.resolving.add(key);
    try {
      const s = prov.fn(parts.name);
      if (!isDeviceState(s)) {
        this.log.warning(`Device state provider '${prov.label}' returned a bad state for '${device}'`);
        return DeviceState.INVALID;
      }
      return s;
    } catch (e) {
      this.log.warning(`Device state provider '${prov.label}' failed for '${device}': ${errorMessage(e)}`);
      return DeviceState.INVALID;
    } finally {
      this.resolving.delete(key);
    }
  }

  // ---- states ----------------------------------------------------------------------------

  /**
   * Records `state` for `device` from one EID. Like ast_devstate_changed, a local UNKNOWN means
   * "go and ask": the provider for the device is asked and its answer is recorded instead.
   */
  setState(device: string, state: DeviceState, opts: SetDeviceStateOptions = {}): void {
    if (typeof device !== 'string' || device.length === 0) {
      throw new TstError('TST_ERR_STATE', 'a device name is required');
    }
    if (!isDeviceState(state)) {
      throw new TstError('TST_ERR_STATE', `invalid device state value '${String(state)}' for '${device}'`);
    }
    const eid = opts.eid ?? this.eid;
    const cachable = opts.cachable ?? true;
    let st = state;
    if (st === DeviceState.UNKNOWN && eid === this.eid) st = this.askProvider(device) ?? DeviceState.UNKNOWN;

    this.emitEid({ device, state: st, eid, cachable, source: opts.source });

    const key = deviceKey(device);
    let entry = this.devices.get(key);
    if (!cachable) {
      // Asterisk republishes an uncachable per-server state as the aggregate without caching it.
      this.emit({ device: entry?.name ?? device, state: st, previous: entry?.aggregate, eid, changedEid: eid, eidState: st, cachable, source: opts.source });
      return;
    }
    if (!entry) {
      entry = { name: device, states: new Map(), aggregate: undefined };
      this.devices.set(key, entry);
    }
    entry.states.set(eid, st);
    let keys = this.eidDevices.get(eid);
    if (!keys) {
      keys = new Set();
      this.eidDevices.set(eid, keys);
    }
    keys.add(key);
    const previous = entry.aggregate;
    const agg = aggregateDeviceStates(entry.states.values());
    entry.aggregate = agg;
    // Hints must hear every ringing update (a new caller ringing the same phone), not only changes.
    if (agg !== previous || isRingingDeviceState(agg)) {
      this.emit({ device: entry.name, state: agg, previous, eid, changedEid: eid, eidState: st, cachable, source: opts.source });
    }
  }

  /**
   * The device's state: the aggregate over every EID; when nothing is cached (or only UNKNOWN)
   * the provider for its technology/prefix is asked; INVALID when there is none.
   */
  getState(device: string): DeviceState {
    const entry = this.devices.get(deviceKey(device));
    if (entry?.aggregate !== undefined && entry.aggregate !== DeviceState.UNKNOWN) return entry.aggregate;
    const fromProvider = this.askProvider(device);
    if (fromProvider !== undefined) return fromProvider;
    return entry?.aggregate ?? DeviceState.INVALID;
  }

  /** The local EID's own state for the device, if it set one. */
  getLocal(device: string): DeviceState | undefined {
    return this.devices.get(deviceKey(device))?.states.get(this.eid);
  }

  /** Every EID's state for the device (a copy). */
  getByEid(device: string): Map<string, DeviceState> {
    return new Map(this.devices.get(deviceKey(device))?.states ?? []);
  }

  /** Every cached per-EID state. */
  list(): Array<{ device: string; state: DeviceState; eid: string }> {
    const out: Array<{ device: string; state: DeviceState; eid: string }> = [];
    for (const entry of this.devices.values()) {
      for (const [eid, state] of entry.states) out.push({ device: entry.name, state, eid });
    }
    return out;
  }

  /** Withdraws every state learnt from `eid`, re-aggregating and notifying what changed. */
  removeEid(eid: string): void {
    const keys = this.eidDevices.get(eid);
    if (!keys) return;
    this.eidDevices.delete(eid);
    for (const key of keys) {
      const entry = this.devices.get(key);
      if (!entry || !entry.states.delete(eid)) continue;
      const previous = entry.aggregate;
      let now: DeviceState;
      if (entry.states.size === 0) {
        this.devices.delete(key);
        now = this.getState(entry.name);
      } else {
        entry.aggregate = aggregateDeviceStates(entry.states.values());
        now = entry.aggregate;
      }
      if (now !== previous) {
        this.emit({ device: entry.name, state: now, previous, eid, changedEid: eid, eidState: undefined, cachable: true });
      }
    }
  }

  onChange(listener: (ev: DeviceStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every per-EID update (for state exchange with peers, which publishes local states only). */
  onEidUpdate(listener: (ev: DeviceEidUpdate) => void): () => void {
    this.eidListeners.add(listener);
    return () => this.eidListeners.delete(listener);
  }

  private emit(ev: DeviceStateChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.error(`device state listener failed for '${ev.device}': ${errorMessage(e)}`);
      }
    }
  }

  private emitEid(ev: DeviceEidUpdate): void {
    for (const l of [...this.eidListeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.error(`device state listener failed for '${ev.device}': ${errorMessage(e)}`);
      }
    }
  }

  // ---- Custom: devices (func_devstate) ---------------------------------------------------

  /**
   * `devstate change Custom:name STATE` / `Set(DEVICE_STATE(Custom:name)=STATE)`: stores the
   * state's name in astdb family CustomDevstate under `name` and publishes it. Resolves once
   * the value is on disk.
   */
  setCustom(device: string, state: DeviceState | string): Promise<void> {
    if (device.slice(0, CUSTOM_PREFIX.length).toLowerCase() !== CUSTOM_PREFIX.toLowerCase()) {
      throw new TstError('TST_ERR_STATE', "The devstate command can only be used to set 'Custom:' device state!");
    }
    const name = device.slice(CUSTOM_PREFIX.length);
    if (name.length === 0) throw new TstError('TST_ERR_STATE', 'DEVICE_STATE function called with no custom device name!');
    const st = typeof state === 'string' ? parseDeviceState(state) : state;
    // Asterisk refuses UNKNOWN here too: ast_devstate_val's answer for "not a state".
    if (st === undefined || !isDeviceState(st) || st === DeviceState.UNKNOWN) {
      throw new TstError('TST_ERR_STATE', `DEVICE_STATE function given invalid state value '${String(state)}'`);
    }
    const written = this.store.putDurable(CUSTOM_DEVSTATE_FAMILY, name, deviceStateToString(st));
    this.setState(`${CUSTOM_PREFIX}${name}`, st, { source: 'Custom' });
    return written;
  }

  /** `devstate list`: the stored custom states, as stored. */
  listCustom(): Array<{ device: string; state: string }> {
    return this.store.list(CUSTOM_DEVSTATE_FAMILY).map((e) => ({ device: `${CUSTOM_PREFIX}${e.key}`, state: e.value }));
  }

  private customState(name: string): DeviceState {
    return parseDeviceState(this.store.get(CUSTOM_DEVSTATE_FAMILY, name) ?? '') ?? DeviceState.UNKNOWN;
  }

  /** Publishes every stored Custom: state (done at construction, as func_devstate's load). */
  restore(): void {
    for (const { key, value } of this.store.list(CUSTOM_DEVSTATE_FAMILY)) {
      if (key.length === 0) continue;
      const st = parseDeviceState(value);
      if (st === undefined) this.log.warning(`Invalid CustomDevstate entry '${key}' = '${value}'`);
      this.setState(`${CUSTOM_PREFIX}${key}`, st ?? DeviceState.UNKNOWN, { source: 'Custom' });
    }
  }
}
