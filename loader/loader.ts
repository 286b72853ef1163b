/**
 * The module loader: loads a plan in dependency order, declines failed modules and their
 * dependents, unloads with Asterisk's use-count rules, reloads, and shuts down in reverse order.
 * Unloading runs the module's unload() then every disposer its context recorded, last first,
 * so the registries return exactly to what they were before the module loaded.
 */
import { TstError, errorMessage, isTstError } from '../core/errors.js';
import type { Core } from '../core/index.js';
import type { Logger } from '../core/log.js';
import type { ModuleContext, TsteriskModule } from '../core/module.js';
import type { Disposer } from '../core/registry/registry.js';
import type { ServiceMap, ServiceName } from '../core/services.js';
import { computeStartOrder, type GraphNode } from './dependency-graph.js';
import { importModule, type ModuleOrigin } from './module-source.js';
import type { LoadPlanEntry } from './modules-conf.js';

export type ModuleStatus = 'Running' | 'Not Running' | 'Declined';

export interface LoadedModule {
  /** The name modules.conf used (a built-in's name, or a file/package name). */
  confName: string;
  name: string;
  module: TsteriskModule | undefined;
  origin: ModuleOrigin | 'unknown';
  status: ModuleStatus;
  required: boolean;
  declineReason?: string;
  loadMs?: number;
  ctx?: LoadedContext;
}

interface LoadedContext {
  api: ModuleContext;
  cleanups: Array<() => void | Promise<void>>;
}

export class ModuleLoader {
  private readonly modules = new Map<string, LoadedModule>();
  /** Names in the order they started, for reverse-order shutdown. */
  private readonly started: string[] = [];
  private shuttingDown = false;
  private shutdownMode: 'now' | 'gracefully' | undefined;
  private readonly log: Logger;

  constructor(
    private readonly core: Core,
    private readonly dirs: { configDir: string; moduleDir?: string },
  ) {
    this.log = core.logHub.logger('loader');
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  list(): LoadedModule[] {
    return [...this.modules.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): LoadedModule | undefined {
    return this.modules.get(name) ?? [...this.modules.values()].find((m) => m.confName === name);
  }

  startOrder(): readonly string[] {
    return this.started;
  }

  /** Running modules that hard-require `name`. */
  dependentsOf(name: string): string[] {
    return [...this.modules.values()]
      .filter((m) => m.status === 'Running' && m.module?.info.requires?.includes(name))
      .map((m) => m.name)
      .sort();
  }

  useCount(name: string): number {
    const m = this.modules.get(name);
    if (!m || m.status !== 'Running') return 0;
    return this.dependentsOf(name).length + (m.ctx ? (m.module?.useCount?.(m.ctx.api) ?? 0) : 0);
  }

  /**
   * Loads a whole plan (boot). Returns the names of declined modules that were `require`d:
   * the caller stops the node (exit status 2) when any is.
   */
  async loadPlan(plan: readonly LoadPlanEntry[]): Promise<{ fatal: string[] }> {
    const preload = new Map<string, boolean>();
    const required = new Set<string>();
    for (const p of plan) {
      let imported: Awaited<ReturnType<typeof importModule>> | undefined;
      try {
        imported = await importModule(p.name, this.dirs);
      } catch (e) {
        this.log.error(`Error loading module '${p.name}': ${errorMessage(e)}`);
        this.modules.set(p.name, {
          confName: p.name,
          name: p.name,
          module: undefined,
          origin: 'unknown',
          status: 'Declined',
          required: p.required,
          declineReason: errorMessage(e),
        });
        if (p.required) required.add(p.name);
        continue;
      }
      const name = imported.module.info.name;
      if (this.modules.has(name) && this.modules.get(name)!.status !== 'Declined') {
        this.log.warning(`module '${name}' is listed twice (as ${this.modules.get(name)!.confName} and ${p.name}); loading it once`);
        continue;
      }
      this.modules.set(name, {
        confName: p.name,
        name,
        module: imported.module,
        origin: imported.origin,
        status: 'Not Running',
        required: p.required,
      });
      preload.set(name, p.preload);
      if (p.required) required.add(name);
    }
    const nodes: GraphNode[] = [];
    for (const m of this.modules.values()) {
      if (!m.module || m.status !== 'Not Running') continue;
      nodes.push({
        name: m.name,
        requires: m.module.info.requires ?? [],
        optional: m.module.info.optional ?? [],
        loadPriority: m.module.info.loadPriority ?? 128,
        preload: preload.get(m.name) ?? false,
      });
    }
    const { order, declined } = computeStartOrder(nodes, new Set(this.started));
    for (const [name, reason] of declined) this.decline(name, reason);
    for (const name of order) {
      const m = this.modules.get(name)!;
      if (m.status === 'Declined') continue;
      const missing = (m.module!.info.requires ?? []).filter((r) => this.modules.get(r)?.status !== 'Running');
      if (missing.length > 0) {
        this.decline(name, `dependency ${missing.join(', ')} not running`);
        continue;
      }
      const ok = await this.start(m);
      if (!ok) this.declineDependents(name, new Set(order));
    }
    const fatal = [...required].filter((n) => this.modules.get(n)?.status !== 'Running');
    return { fatal };
  }

  /** `module load X` at run time; dependencies must already be running, as in Asterisk. */
  async load(confName: string): Promise<LoadedModule> {
    const existing = this.get(confName);
    if (existing?.status === 'Running') throw new TstError('TST_ERR_MODULE_DECLINED', `Module '${existing.name}' is already running`);
    const imported = await importModule(confName, this.dirs);
    const name = imported.module.info.name;
    const m: LoadedModule = {
      confName,
      name,
      module: imported.module,
      origin: imported.origin,
      status: 'Not Running',
      required: existing?.required ?? false,
    };
    this.modules.set(name, m);
    const missing = (imported.module.info.requires ?? []).filter((r) => this.modules.get(r)?.status !== 'Running');
    if (missing.length > 0) {
      this.decline(name, `${name} loaded before dependency ${missing.join(', ')}!`);
      throw new TstError('TST_ERR_MODULE_DEPENDENCY', `Module '${name}' declined: dependency ${missing.join(', ')} is not running`);
    }
    if (!(await this.start(m))) throw new TstError('TST_ERR_MODULE_DECLINED', `Module '${name}' declined to load: ${m.declineReason ?? ''}`);
    return m;
  }

  /**
   * `module unload [-f] X`. A soft unload fails while dependents run or the module is in use
   * (live subscriptions...). `force` goes ahead despite the module's own use (its unload() ends
   * what it holds) but never leaves a running dependent without its dependency.
   */
  async unload(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const m = this.get(name);
    if (!m) throw new TstError('TST_ERR_MODULE_NOT_FOUND', `No module named '${name}'`);
    if (m.status !== 'Running') throw new TstError('TST_ERR_MODULE_IN_USE', `Module '${m.name}' is not running`);
    const dependents = this.dependentsOf(m.name);
    if (dependents.length > 0) {
      throw new TstError(
        'TST_ERR_MODULE_IN_USE',
        `Soft unload failed, '${m.name}' has use count ${this.useCount(m.name)} (needed by ${dependents.join(', ')})`,
      );
    }
    const own = m.ctx ? (m.module?.useCount?.(m.ctx.api) ?? 0) : 0;
    if (own > 0 && !opts.force) {
      throw new TstError('TST_ERR_MODULE_IN_USE', `Soft unload failed, '${m.name}' has use count ${own} (use 'module unload -f' to end what it holds)`);
    }
    await this.stop(m, !!opts.force);
  }

  /** `module reload X`, or every running module that supports reload (`core reload`). */
  async reload(name?: string): Promise<string[]> {
    this.core.config.invalidate();
    const targets = name !== undefined ? [this.get(name)] : this.started.map((n) => this.modules.get(n));
    if (name !== undefined && !targets[0]) throw new TstError('TST_ERR_MODULE_NOT_FOUND', `No module named '${name}'`);
    const done: string[] = [];
    for (const m of targets) {
      if (!m || m.status !== 'Running' || !m.ctx) continue;
      if (!m.module?.reload) {
        if (name !== undefined) throw new TstError('TST_ERR_MODULE_DECLINED', `The module '${m.name}' does not support reloads`);
        continue;
      }
      try {
        await m.module.reload(m.ctx.api);
        done.push(m.name);
      } catch (e) {
        this.log.error(`Reload of '${m.name}' failed: ${errorMessage(e)}`);
        if (name !== undefined) throw e;
      }
    }
    return done;
  }

  /** Graceful stop: reverse start order; modules that refuse unload let go because we are shutting down. */
  async shutdown(mode: 'now' | 'gracefully' = 'gracefully'): Promise<void> {
    this.shuttingDown = true;
    this.shutdownMode = mode;
    for (const name of [...this.started].reverse()) {
      const m = this.modules.get(name);
      if (m?.status === 'Running') await this.stop(m, true);
    }
  }

  private async start(m: LoadedModule): Promise<boolean> {
    const t0 = performance.now();
    const cleanups: Array<() => void | Promise<void>> = [];
    const track = (d: Disposer): Disposer => {
      cleanups.push(d);
      return d;
    };
    const info = m.module!.info;
    const allowed = new Set([m.name, ...(info.requires ?? []), ...(info.optional ?? [])]);
    const useService = <K extends ServiceName>(svc: K, optional: boolean): ServiceMap[K] | undefined => {
      const owner = this.core.services.owner(svc);
      if (owner === undefined) {
        if (optional) return undefined;
        throw new TstError('TST_ERR_SERVICE', `${m.name} uses service '${svc}' which no running module provides`);
      }
      if (!allowed.has(owner)) {
        throw new TstError('TST_ERR_SERVICE', `${m.name} uses service '${svc}' of ${owner} without declaring ${owner} in requires or optional`);
      }
      return this.core.services.get(svc) as ServiceMap[K];
    };
    const loader = this;
    const api: ModuleContext = {
      name: m.name,
      core: this.core.view(m.name, track),
      log: this.core.logHub.logger(m.name),
      get shuttingDown() {
        return loader.shuttingDown;
      },
      get shutdownMode() {
        return loader.shutdownMode;
      },
      onUnload: (fn) => {
        cleanups.push(fn);
      },
      track,
      provide: (svc, impl) => {
        track(this.core.services.register(svc, impl, m.name));
      },
      use: (svc) => useService(svc, false)!,
      tryUse: (svc) => useService(svc, true),
    };
    m.ctx = { api, cleanups };
    try {
      await m.module!.load(api);
    } catch (e) {
      await this.runCleanups(m);
      m.ctx = undefined;
      this.decline(m.name, errorMessage(e));
      return false;
    }
    m.status = 'Running';
    m.loadMs = performance.now() - t0;
    this.started.push(m.name);
    this.log.verbose(`Loaded ${m.name} => (${info.description})`);
    return true;
  }

  private async stop(m: LoadedModule, force: boolean): Promise<void> {
    if (m.module?.unload && m.ctx) {
      try {
        await m.module.unload(m.ctx.api, { force });
      } catch (e) {
        if (!force) throw new TstError('TST_ERR_MODULE_IN_USE', `Firm unload failed for ${m.name}: ${errorMessage(e)}`, { cause: e });
        this.log.warning(`${m.name} unload reported: ${errorMessage(e)}; forcing`);
      }
    }
    await this.runCleanups(m);
    m.ctx = undefined;
    m.status = 'Not Running';
    const i = this.started.indexOf(m.name);
    if (i >= 0) this.started.splice(i, 1);
    this.log.verbose(`Unloaded ${m.name}`);
  }

  private async runCleanups(m: LoadedModule): Promise<void> {
    const list = m.ctx?.cleanups ?? [];
    while (list.length > 0) {
      const fn = list.pop()!;
      try {
        await fn();
      } catch (e) {
        this.log.error(`cleanup of ${m.name} failed: ${errorMessage(e)}`);
      }
    }
  }

  private decline(name: string, reason: string): void {
    const m = this.modules.get(name);
    if (!m) return;
    m.status = 'Declined';
    m.declineReason = reason;
    this.log.warning(`Module '${name}' declined to load: ${reason}`);
  }

  /** After `failed` declines, every planned module depending on it, directly or not, declines too. */
  private declineDependents(failed: string, planned: Set<string>): void {
    const out: string[] = [];
    const queue = [failed];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      for (const m of this.modules.values()) {
        if (!planned.has(m.name) || m.status !== 'Not Running') continue;
        if (m.module?.info.requires?.includes(cur)) {
          m.status = 'Declined';
          m.declineReason = `dependency ${cur} declined`;
          out.push(m.name);
          queue.push(m.name);
        }
      }
    }
    if (out.length > 0) this.log.warning(`Declined modules which depend on ${failed}: ${out.sort().join(', ')}`);
  }
}

export function isModuleInUse(e: unknown): boolean {
  return isTstError(e, 'TST_ERR_MODULE_IN_USE');
}
