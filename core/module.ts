/**
 * The module interface: what every built-in and third-party module exports.
 * Modeled on Asterisk's module-info block (name, description, support level, load priority,
 * requires/optional) with a load/unload pair; registrations made through the context are undone
 * automatically on unload, so most modules need no unload at all.
 */
import type { Core, CoreView } from './index.js';
import type { Logger } from './log.js';
import type { Disposer } from './registry/registry.js';
import type { ServiceMap, ServiceName } from './services.js';

export type SupportLevel = 'core' | 'extended' | 'deprecated';

export interface ModuleInfo {
  /** Asterisk's module name without `.so`, e.g. `res_pjsip_pubsub`. */
  name: string;
  description: string;
  supportLevel: SupportLevel;
  /** Asterisk's load_pri: lower loads first among modules whose dependencies are met. Default 128. */
  loadPriority?: number;
  /** Hard dependencies: loaded first; missing or declined ones decline this module. */
  requires?: readonly string[];
  /** Loaded first when present; their absence is fine. */
  optional?: readonly string[];
}

export interface ModuleContext {
  readonly name: string;
  /** The core as this module sees it: registrations are owned by the module and undone on unload. */
  readonly core: CoreView;
  readonly log: Logger;
  /** True while the node is stopping (modules that refuse unload at run time let go then). */
  readonly shuttingDown: boolean;
  /**
   * How the node is stopping: `gracefully` lets modules say goodbye (final NOTIFYs, unpublish);
   * `now` stops at once and keeps what a restart restores (persisted subscriptions).
   */
  readonly shutdownMode: 'now' | 'gracefully' | undefined;
  /** Runs at unload, last registered first. */
  onUnload(fn: () => void | Promise<void>): void;
  /** Records a disposer to run at unload; returns it. */
  track(d: Disposer): Disposer;
  provide<K extends ServiceName>(name: K, api: ServiceMap[K]): void;
  use<K extends ServiceName>(name: K): ServiceMap[K];
  /** Like use(), for an `optional` dependency that may be absent. */
  tryUse<K extends ServiceName>(name: K): ServiceMap[K] | undefined;
}

export interface TsteriskModule {
  info: ModuleInfo;
  load(ctx: ModuleContext): void | Promise<void>;
  /** Re-reads this module's configuration; a module without it does not support reload. */
  reload?(ctx: ModuleContext): void | Promise<void>;
  /** Runs before the context's disposers; throwing refuses the unload (unless forced). */
  unload?(ctx: ModuleContext, opts: { force: boolean }): void | Promise<void>;
  /**
   * Things the module holds for others (live subscriptions, publications): these make a soft
   * unload fail with the use count, as Asterisk's module references do.
   */
  useCount?(ctx: ModuleContext): number;
}

export function defineModule(m: TsteriskModule): TsteriskModule {
  return m;
}

export type { Core };
