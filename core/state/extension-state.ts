/**
 * Extension (hint) states, as Asterisk's main/extension_state.c and
 * main/extension_state_autohints.c: each hint aggregates the states of its devices into an
 * extension state and carries the presence of its presence provider; watchers (subscriptions)
 * hear when that changes, on every ringing update, and when the presence changes.
 *
 * Deliberate differences from Asterisk, each because Asterisk's behaviour hurts users:
 *  - a dialplan reload keeps the watchers of hints that still exist and only tells the
 *    watchers of hints that went away (REMOVED), instead of tearing subscriptions down
 *    (asterisk/asterisk#623); a hint that is removed while a pattern hint still covers its
 *    extension becomes that pattern's concrete hint instead of going away;
 *  - a hint with several presence providers shows the first one that has a state (Asterisk
 *    hands the whole `A&B` list to one provider, which then finds nothing);
 *  - autohints are also made at reload for devices that already have a state, not only on the
 *    next change of each device;
 *  - getState on an extension only a pattern hint covers computes the state without adding a
 *    concrete hint (only addWatcher does, as a subscription needs one to hang on);
 *  - dialplan includes are not followed when looking for a hint.
 */
import type { ConfigIssue, ConfigSection } from '../../conf/types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import {
  DeviceState,
  DeviceStateAggregate,
  deviceKey,
  splitDeviceName,
  type DeviceStateChange,
  type DeviceStateEngine,
} from './device-state.js';
import { extensionCompare, extensionMatch, isPattern, normalizeExten, patternSyntaxError } from './extension-pattern.js';
import { hintsFromExtensionsConf, parseHintApp, substituteVariables, type HintDef } from './hint.js';
import {
  PresenceState,
  presenceKey,
  samePresence,
  type PresenceChange,
  type PresenceInfo,
  type PresenceStateEngine,
} from './presence-state.js';

/** Asterisk's `enum ast_extension_states`: bit flags, so INUSE|RINGING (9) and INUSE|ONHOLD (17) occur. */
export enum ExtensionState {
  /** The hint was removed from the dialplan. */
  REMOVED = -2,
  /** The hint's extension was deactivated. */
  DEACTIVATED = -1,
  NOT_INUSE = 0,
  INUSE = 1,
  BUSY = 2,
  UNAVAILABLE = 4,
  RINGING = 8,
  ONHOLD = 16,
}

const EXTENSION_STATE_TEXT = new Map<number, string>([
  [ExtensionState.NOT_INUSE, 'Idle'],
  [ExtensionState.INUSE, 'InUse'],
  [ExtensionState.BUSY, 'Busy'],
  [ExtensionState.UNAVAILABLE, 'Unavailable'],
  [ExtensionState.RINGING, 'Ringing'],
  [ExtensionState.INUSE | ExtensionState.RINGING, 'InUse&Ringing'],
  [ExtensionState.ONHOLD, 'Hold'],
  [ExtensionState.INUSE | ExtensionState.ONHOLD, 'InUse&Hold'],
]);

/** Asterisk's `ast_extension_state2str`: `Idle`, `InUse&Ringing`, ...; `Unknown` otherwise. */
export function extensionStateToString(state: number): string {
  return EXTENSION_STATE_TEXT.get(state) ?? 'Unknown';
}

/** Asterisk's `ast_devstate_to_extenstate`. */
export function deviceToExtensionState(state: DeviceState): ExtensionState {
  switch (state) {
    case DeviceState.ONHOLD:
      return ExtensionState.ONHOLD;
    case DeviceState.BUSY:
      return ExtensionState.BUSY;
    case DeviceState.UNKNOWN:
      return ExtensionState.NOT_INUSE;
    case DeviceState.UNAVAILABLE:
    case DeviceState.INVALID:
      return ExtensionState.UNAVAILABLE;
    case DeviceState.RINGINUSE:
      return ExtensionState.INUSE | ExtensionState.RINGING;
    case DeviceState.RINGING:
      return ExtensionState.RINGING;
    case DeviceState.INUSE:
      return ExtensionState.INUSE;
    case DeviceState.NOT_INUSE:
      return ExtensionState.NOT_INUSE;
    default:
      return ExtensionState.NOT_INUSE;
  }
}

export function isRingingExtensionState(state: number): boolean {
  return state >= 0 && (state & ExtensionState.RINGING) !== 0;
}

export interface HintDeviceState {
  device: string;
  state: DeviceState;
}

/**
 * config: written in the dialplan; pattern: a pattern hint itself, or a lookup only a pattern
 * covers; derived: the concrete hint made from a pattern for a watcher; autohint: made by
 * `autohints=yes`.
 */
export type HintKind = 'config' | 'pattern' | 'derived' | 'autohint';

export interface HintInfo {
  context: string;
  exten: string;
  /** The device/presence text (`core show hints` column 2). */
  app: string;
  devices: string[];
  presence: string[];
  displayName?: string;
  kind: HintKind;
  /** The pattern a derived/pattern hint comes from. */
  pattern?: string;
}

/** What a watcher gets. A plain object; later fields (calls, caller identity) are optional additions. */
export interface ExtensionStateChange {
  context: string;
  exten: string;
  state: ExtensionState;
  previousState: ExtensionState;
  presence: PresenceInfo;
  previousPresence: PresenceInfo;
  devices: HintDeviceState[];
  displayName?: string;
  reason: 'device' | 'presence' | 'removed' | 'initial';
  /** The device whose update caused a 'device' change (Asterisk's causing_device). */
  causingDevice?: HintDeviceState;
}

export interface ExtensionStateSnapshot {
  context: string;
  exten: string;
  state: ExtensionState;
  presence: PresenceInfo;
  devices: HintDeviceState[];
  hint: HintInfo;
}

/** One row of `core show hints`. */
export interface HintListEntry {
  context: string;
  exten: string;
  app: string;
  state: ExtensionState;
  presence: PresenceInfo;
  watchers: number;
  kind: HintKind;
  displayName?: string;
}

/** `arg` is what addWatcher was given: one shared function can serve every watcher, no closure each. */
export type ExtensionStateCallback<A = unknown> = (change: ExtensionStateChange, arg: A) => void;

export interface ExtensionStateWatcher {
  readonly id: number;
  dispose(): void;
}

/** A watcher as a small object of its own: no closure and context per subscription. */
class HintWatcher implements ExtensionStateWatcher {
  constructor(
    readonly id: number,
    private readonly hint: Hint,
    readonly cb: ExtensionStateCallback,
    readonly arg: unknown,
  ) {}

  dispose(): void {
    this.hint.watchers.delete(this.id);
  }
}

interface Source {
  device: string;
  key: string;
  state: DeviceState;
}

const NOT_SET: PresenceInfo = Object.freeze({ state: PresenceState.NOT_SET, subtype: '', message: '' });

/** A concrete hint (an extension, not a pattern) with its live state and watchers. */
class Hint {
  app = '';
  sources: Source[] = [];
  presenceProviders: string[] = [];
  state: ExtensionState = ExtensionState.UNAVAILABLE;
  presence: PresenceInfo = NOT_SET;
  readonly watchers = new Map<number, HintWatcher>();

  constructor(
    readonly context: string,
    readonly exten: string,
    public kind: HintKind,
    public displayName: string | undefined,
    public pattern: string | undefined,
  ) {}
}

interface ContextHints {
  /** Concrete hints by extension without `-`. */
  exact: Map<string, Hint>;
  /** Pattern hints, most specific first (the order Asterisk tries them). */
  patterns: HintDef[];
}

type Lookup = { hint: Hint; pattern?: undefined } | { hint?: undefined; pattern: HintDef };

/** The extension an autohint gets: what follows the first `/` or `:` of the device name. */
function autohintExten(device: string): string | undefined {
  const slash = device.indexOf('/');
  const colon = device.indexOf(':');
  const cut = slash < 0 ? colon : colon < 0 ? slash : Math.min(slash, colon);
  if (cut < 0) return undefined;
  const name = device.slice(cut + 1);
  return name.length > 0 ? name : undefined;
}

function dedupeBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = key(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface ExtensionStateEngineOptions {
  devices: DeviceStateEngine;
  presence: PresenceStateEngine;
  log: Logger;
}

export class ExtensionStateEngine {
  private readonly devices: DeviceStateEngine;
  private readonly presence: PresenceStateEngine;
  private readonly log: Logger;
  private readonly contexts = new Map<string, ContextHints>();
  private autohintContexts = new Set<string>();
  /** device key -> concrete hints using it: a device change touches only those. */
  private readonly deviceIndex = new Map<string, Set<Hint>>();
  /** presence provider key -> concrete hints using it. */
  private readonly presenceIndex = new Map<string, Set<Hint>>();
  private nextWatcherId = 0;
  private readonly anyListeners = new Set<(change: ExtensionStateChange) => void>();
  private readonly unsubscribe: Array<() => void>;

  constructor(opts: ExtensionStateEngineOptions) {
    this.devices = opts.devices;
    this.presence = opts.presence;
    this.log = opts.log;
    this.unsubscribe = [
      this.devices.onChange((ev) => this.onDeviceChange(ev)),
      this.presence.onChange((ev) => this.onPresenceChange(ev)),
      this.devices.onProviderChange((prefix) => this.onProviderChange(prefix)),
    ];
  }

  /**
   * Hears every change of every hint (state, presence, removal), watched or not, as Asterisk's
   * extension state publishers do. Hints are not created for it.
   */
  onAnyChange(listener: (change: ExtensionStateChange) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Stops listening to the device and presence engines. */
  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Reads extensions.conf sections and applies their hints; returns the problems found. */
  loadDialplan(sections: ConfigSection[]): ConfigIssue[] {
    const r = hintsFromExtensionsConf(sections);
    this.applyHints(r.hints, r.autohintContexts);
    return r.issues;
  }

  // ---- the hint set ----------------------------------------------------------------------

  /**
   * Replaces the hint set. Hints that stay keep their watchers (and are notified only if
   * their state or presence changed); hints that go give their watchers one final REMOVED
   * callback and drop them; autohints of contexts still `autohints=yes` are kept.
   */
  applyHints(defs: readonly HintDef[], autohintContexts: Iterable<string> = []): void {
    const plan = new Map<string, { exact: Map<string, HintDef>; patterns: HintDef[] }>();
    for (const def of defs) {
      if (!def.context || !def.exten) {
        this.log.warning(`hint without a context or extension ignored: '${def.exten}@${def.context}'`);
        continue;
      }
      let p = plan.get(def.context);
      if (!p) {
        p = { exact: new Map(), patterns: [] };
        plan.set(def.context, p);
      }
      if (isPattern(def.exten)) {
        const err = patternSyntaxError(def.exten);
        if (err) {
          this.log.warning(`${err} '${def.exten}' in context '${def.context}'; hint ignored`);
        } else if (p.patterns.some((x) => extensionCompare(x.exten, def.exten) === 0)) {
          this.log.warning(`duplicate hint '${def.exten}@${def.context}' ignored`);
        } else {
          p.patterns.push(def);
        }
      } else {
        const k = normalizeExten(def.exten);
        if (p.exact.has(k)) this.log.warning(`duplicate hint '${def.exten}@${def.context}' ignored`);
        else p.exact.set(k, def);
      }
    }
    for (const p of plan.values()) p.patterns.sort((a, b) => extensionCompare(a.exten, b.exten));
    const newAuto = new Set(autohintContexts);

    const changed: Array<[Hint, ExtensionStateChange]> = [];
    const removed: Hint[] = [];
    for (const [ctxName, c] of this.contexts) {
      const p = plan.get(ctxName);
      c.patterns = p ? p.patterns : [];
      for (const [key, hint] of [...c.exact]) {
        const def = p?.exact.get(key);
        let app: string | undefined;
        if (def) {
          app = def.app;
          hint.kind = 'config';
          hint.displayName = def.displayName;
          hint.pattern = undefined;
        } else if (hint.kind === 'autohint' && newAuto.has(ctxName)) {
          continue;
        } else {
          const pat = c.patterns.find((x) => extensionMatch(x.exten, hint.exten));
          if (pat) {
            app = this.derivedApp(pat, hint.exten, ctxName);
            hint.kind = 'derived';
            hint.displayName = pat.displayName;
            hint.pattern = pat.exten;
          }
        }
        if (app === undefined) {
          c.exact.delete(key);
          this.unindex(hint);
          removed.push(hint);
          continue;
        }
        const prevState = hint.state;
        const prevPresence = hint.presence;
        this.configure(hint, app);
        if (hint.state !== prevState) changed.push([hint, this.change(hint, 'device', prevState, prevPresence)]);
        else if (!samePresence(hint.presence, prevPresence)) changed.push([hint, this.change(hint, 'presence', prevState, prevPresence)]);
      }
    }
    for (const [ctxName, p] of plan) {
      let c = this.contexts.get(ctxName);
      if (!c) {
        c = { exact: new Map(), patterns: p.patterns };
        this.contexts.set(ctxName, c);
      }
      for (const [key, def] of p.exact) {
        if (c.exact.has(key)) continue;
        const hint = new Hint(ctxName, def.exten, 'config', def.displayName, undefined);
        c.exact.set(key, hint);
        this.configure(hint, def.app);
      }
    }
    for (const [name, c] of this.contexts) {
      if (c.exact.size === 0 && c.patterns.length === 0) this.contexts.delete(name);
    }
    this.autohintContexts = newAuto;
    if (newAuto.size > 0) {
      for (const device of new Set(this.devices.list().map((d) => d.device))) this.autohint(device);
    }

    for (const [hint, ch] of changed) this.notify(hint, ch);
    for (const hint of removed) {
      const ch = this.change(hint, 'removed', hint.state, hint.presence);
      ch.state = ExtensionState.REMOVED;
      this.notify(hint, ch);
      hint.watchers.clear();
    }
  }

  private derivedApp(pattern: HintDef, exten: string, context: string): string {
    return substituteVariables(pattern.app, new Map([['EXTEN', exten], ['CONTEXT', context]]));
  }

  /** (Re)sets a hint's devices and presence providers, keeping known device states. */
  private configure(hint: Hint, app: string): void {
    const concrete = app.includes('${')
      ? substituteVariables(app, new Map([['EXTEN', hint.exten], ['CONTEXT', hint.context]]), true)
      : app;
    const { devices, presence } = parseHintApp(concrete);
    const old = new Map<string, Source>();
    for (const s of hint.sources) old.set(s.key, s);
    this.unindex(hint);
    hint.app = concrete;
    hint.sources = dedupeBy(devices, deviceKey).map((device) => {
      const key = deviceKey(device);
      const prev = old.get(key);
      return { device, key, state: prev ? prev.state : this.devices.getState(device) };
    });
    hint.presenceProviders = dedupeBy(presence, presenceKey);
    this.index(hint);
    hint.state = this.aggregate(hint.sources.map((s) => s.state));
    hint.presence = this.presenceOf(hint.presenceProviders);
  }

  private index(hint: Hint): void {
    for (const s of hint.sources) {
      let set = this.deviceIndex.get(s.key);
      if (!set) {
        set = new Set();
        this.deviceIndex.set(s.key, set);
      }
      set.add(hint);
    }
    for (const p of hint.presenceProviders) {
      const k = presenceKey(p);
      let set = this.presenceIndex.get(k);
      if (!set) {
        set = new Set();
        this.presenceIndex.set(k, set);
      }
      set.add(hint);
    }
  }

  private unindex(hint: Hint): void {
    for (const s of hint.sources) {
      const set = this.deviceIndex.get(s.key);
      if (set?.delete(hint) && set.size === 0) this.deviceIndex.delete(s.key);
    }
    for (const p of hint.presenceProviders) {
      const k = presenceKey(p);
      const set = this.presenceIndex.get(k);
      if (set?.delete(hint) && set.size === 0) this.presenceIndex.delete(k);
    }
  }

  /** No devices: UNAVAILABLE, as Asterisk's default for a hint without sources. */
  private aggregate(states: DeviceState[]): ExtensionState {
    if (states.length === 0) return ExtensionState.UNAVAILABLE;
    const agg = new DeviceStateAggregate();
    for (const s of states) agg.add(s);
    return deviceToExtensionState(agg.result());
  }

  /** The first provider that has a state; NOT_SET when none does. */
  private presenceOf(providers: string[]): PresenceInfo {
    let first: PresenceInfo | undefined;
    for (const p of providers) {
      const info = this.presence.get(p);
      if (info.state !== PresenceState.NOT_SET && info.state !== PresenceState.INVALID) return info;
      first ??= info;
    }
    return first ?? { ...NOT_SET };
  }

  // ---- lookups ---------------------------------------------------------------------------

  private lookup(context: string, exten: string): Lookup | undefined {
    const c = this.contexts.get(context);
    if (!c) return undefined;
    if (isPattern(exten)) {
      const p = c.patterns.find((x) => extensionCompare(x.exten, exten) === 0);
      return p ? { pattern: p } : undefined;
    }
    const hint = c.exact.get(normalizeExten(exten));
    if (hint) return { hint };
    const p = c.patterns.find((x) => extensionMatch(x.exten, exten));
    return p ? { pattern: p } : undefined;
  }

  private hintInfo(hint: Hint): HintInfo {
    const info: HintInfo = {
      context: hint.context,
      exten: hint.exten,
      app: hint.app,
      devices: hint.sources.map((s) => s.device),
      presence: [...hint.presenceProviders],
      kind: hint.kind,
    };
    if (hint.displayName !== undefined) info.displayName = hint.displayName;
    if (hint.pattern !== undefined) info.pattern = hint.pattern;
    return info;
  }

  /** A pattern hint as it applies to `exten` (the pattern itself when `exten` is the pattern). */
  private patternInfo(context: string, exten: string, pat: HintDef): HintInfo {
    const app = isPattern(exten) ? pat.app : this.derivedApp(pat, exten, context);
    const { devices, presence } = parseHintApp(app);
    const info: HintInfo = {
      context,
      exten: isPattern(exten) ? pat.exten : exten,
      app,
      devices: dedupeBy(devices, deviceKey),
      presence: dedupeBy(presence, presenceKey),
      kind: 'pattern',
      pattern: pat.exten,
    };
    if (pat.displayName !== undefined) info.displayName = pat.displayName;
    return info;
  }

  /** The hint for an extension: its own, else the best pattern hint of the context. */
  getHint(context: string, exten: string): HintInfo | undefined {
    const found = this.lookup(context, exten);
    if (!found) return undefined;
    return found.hint ? this.hintInfo(found.hint) : this.patternInfo(context, exten, found.pattern);
  }

  /** The extension's state, presence and device states; undefined when it has no hint. */
  getState(context: string, exten: string): ExtensionStateSnapshot | undefined {
    const found = this.lookup(context, exten);
    if (!found) return undefined;
    if (found.hint) {
      const h = found.hint;
      return {
        context: h.context,
        exten: h.exten,
        state: h.state,
        presence: { ...h.presence },
        devices: h.sources.map((s) => ({ device: s.device, state: s.state })),
        hint: this.hintInfo(h),
      };
    }
    const info = this.patternInfo(context, exten, found.pattern);
    if (isPattern(exten)) {
      // A pattern hint has no sources of its own: Asterisk shows it Unavailable.
      return { context, exten: info.exten, state: ExtensionState.UNAVAILABLE, presence: { ...NOT_SET }, devices: [], hint: info };
    }
    const devices = info.devices.map((device) => ({ device, state: this.devices.getState(device) }));
    return {
      context,
      exten,
      state: this.aggregate(devices.map((d) => d.state)),
      presence: this.presenceOf(info.presence),
      devices,
      hint: info,
    };
  }

  /**
   * Watches an extension's state. When only a pattern hint covers the extension a concrete
   * hint is made for it (as Asterisk adds one to the dialplan). Undefined when there is no
   * hint, or `exten` is a pattern. With `initial`, the callback is called once at once with
   * reason 'initial'.
   */
  addWatcher<A = undefined>(
    context: string,
    exten: string,
    cb: ExtensionStateCallback<A>,
    opts: { initial?: boolean } = {},
    arg?: A,
  ): ExtensionStateWatcher | undefined {
    if (isPattern(exten)) return undefined;
    const found = this.lookup(context, exten);
    if (!found) return undefined;
    let hint: Hint;
    if (found.hint) {
      hint = found.hint;
    } else {
      const pat = found.pattern;
      hint = new Hint(context, exten, 'derived', pat.displayName, pat.exten);
      this.contexts.get(context)!.exact.set(normalizeExten(exten), hint);
      this.configure(hint, this.derivedApp(pat, exten, context));
    }
    const id = ++this.nextWatcherId;
    const w = new HintWatcher(id, hint, cb as ExtensionStateCallback, arg);
    hint.watchers.set(id, w);
    if (opts.initial) this.call(hint, w, this.change(hint, 'initial', hint.state, hint.presence));
    return w;
  }

  /** `core show hints`: every hint, patterns included, sorted by `exten@context`. */
  listHints(): HintListEntry[] {
    const out: HintListEntry[] = [];
    for (const [context, c] of this.contexts) {
      for (const h of c.exact.values()) {
        const e: HintListEntry = { context, exten: h.exten, app: h.app, state: h.state, presence: { ...h.presence }, watchers: h.watchers.size, kind: h.kind };
        if (h.displayName !== undefined) e.displayName = h.displayName;
        out.push(e);
      }
      for (const p of c.patterns) {
        const e: HintListEntry = { context, exten: p.exten, app: p.app, state: ExtensionState.UNAVAILABLE, presence: { ...NOT_SET }, watchers: 0, kind: 'pattern' };
        if (p.displayName !== undefined) e.displayName = p.displayName;
        out.push(e);
      }
    }
    const key = (e: HintListEntry) => `${e.exten}@${e.context}`;
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  // ---- events ----------------------------------------------------------------------------

  private onDeviceChange(ev: DeviceStateChange): void {
    const key = deviceKey(ev.device);
    const hints = this.deviceIndex.get(key);
    if (hints) {
      for (const hint of [...hints]) {
        let causing: Source | undefined;
        for (const s of hint.sources) {
          if (s.key === key) {
            s.state = ev.state;
            causing = s;
          }
        }
        if (!causing) continue;
        const prev = hint.state;
        const next = this.aggregate(hint.sources.map((s) => s.state));
        // Every ringing update goes out: it may be another caller ringing the same extension.
        if (next === prev && !isRingingExtensionState(next)) continue;
        hint.state = next;
        const ch = this.change(hint, 'device', prev, hint.presence);
        ch.causingDevice = { device: causing.device, state: causing.state };
        this.notify(hint, ch);
      }
    }
    this.autohint(ev.device);
  }

  /** A device state provider came or went: re-read the devices it serves and notify real changes. */
  private onProviderChange(prefix: string): void {
    const p = prefix.toLowerCase();
    for (const c of this.contexts.values()) {
      for (const hint of c.exact.values()) {
        let touched = false;
        for (const s of hint.sources) {
          if (splitDeviceName(s.device)?.prefix.toLowerCase() !== p) continue;
          s.state = this.devices.getState(s.device);
          touched = true;
        }
        if (!touched) continue;
        const prev = hint.state;
        const next = this.aggregate(hint.sources.map((s) => s.state));
        if (next === prev) continue;
        hint.state = next;
        this.notify(hint, this.change(hint, 'device', prev, hint.presence));
      }
    }
  }

  private onPresenceChange(ev: PresenceChange): void {
    const hints = this.presenceIndex.get(presenceKey(ev.provider));
    if (!hints) return;
    for (const hint of [...hints]) {
      const next = this.presenceOf(hint.presenceProviders);
      if (samePresence(next, hint.presence)) continue;
      const prev = hint.presence;
      hint.presence = next;
      this.notify(hint, this.change(hint, 'presence', hint.state, prev));
    }
  }

  /** extension_state_autohints: a device with no hint in an autohint context gets one. */
  private autohint(device: string): void {
    if (this.autohintContexts.size === 0) return;
    const exten = autohintExten(device);
    // A name starting with '_' would be a pattern, which cannot carry a device's state.
    if (exten === undefined || isPattern(exten)) return;
    for (const context of this.autohintContexts) {
      if (this.lookup(context, exten)) continue;
      let c = this.contexts.get(context);
      if (!c) {
        c = { exact: new Map(), patterns: [] };
        this.contexts.set(context, c);
      }
      const hint = new Hint(context, exten, 'autohint', undefined, undefined);
      c.exact.set(normalizeExten(exten), hint);
      this.configure(hint, device);
      this.log.debug(`autohint ${exten}@${context} created for ${device}`);
    }
  }

  private change(hint: Hint, reason: ExtensionStateChange['reason'], previousState: ExtensionState, previousPresence: PresenceInfo): ExtensionStateChange {
    const ch: ExtensionStateChange = {
      context: hint.context,
      exten: hint.exten,
      state: hint.state,
      previousState,
      presence: { ...hint.presence },
      previousPresence: { ...previousPresence },
      devices: hint.sources.map((s) => ({ device: s.device, state: s.state })),
      reason,
    };
    if (hint.displayName !== undefined) ch.displayName = hint.displayName;
    return ch;
  }

  private notify(hint: Hint, ch: ExtensionStateChange): void {
    // Every change of every hint, watched or not: what extension-state publishing follows.
    for (const l of this.anyListeners) {
      try {
        l(ch);
      } catch (e) {
        this.log.error(`extension state listener failed on ${hint.exten}@${hint.context}: ${errorMessage(e)}`);
      }
    }
    for (const [id, w] of [...hint.watchers]) {
      // A watcher disposed by an earlier callback of this round must not be called.
      if (hint.watchers.get(id) === w) this.call(hint, w, ch);
    }
  }

  private call(hint: Hint, w: HintWatcher, ch: ExtensionStateChange): void {
    try {
      w.cb(ch, w.arg);
    } catch (e) {
      this.log.error(`extension state watcher ${w.id} of ${hint.exten}@${hint.context} failed: ${errorMessage(e)}`);
    }
  }
}
