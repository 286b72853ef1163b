/**
 * Boots one node from a config folder: asterisk.conf (EID, directories), the embedded store,
 * the core, modules.conf and the module loader, the control socket. Prints `tsterisk Ready.`
 * once, after every module loaded (and so every transport is bound).
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readAsteriskConf } from '../conf/asterisk-conf.js';
import { formatIssue } from '../conf/types.js';
import { runCli } from '../core/cli/dispatcher.js';
import { errorMessage } from '../core/errors.js';
import { Core } from '../core/index.js';
import { LogHub, type LogLevel, type LogSink } from '../core/log.js';
import { openStore } from '../core/store/lmdb-store.js';
import { catalogueNames } from '../modules/index.js';
import { CONTROL_SOCKET_NAME, ControlServer } from './control-socket.js';
import { registerCoreCommands } from './core-commands.js';
import { ModuleLoader } from './loader.js';
import { parseModulesConf, planFromModulesConf } from './modules-conf.js';
import { defaultConfigDir } from './paths.js';

export interface StartOptions {
  /** Config folder (a file means its folder). Default: the embedded default config. */
  configDir?: string;
  /** Where log lines go; default stdout. */
  logSink?: LogSink;
  logLevel?: LogLevel;
  /** Do not open the control socket (tests that run many nodes in one process may skip it). */
  noControlSocket?: boolean;
}

export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function resolveConfigDir(given?: string): string {
  if (given === undefined) return defaultConfigDir();
  const abs = path.resolve(given);
  try {
    if (statSync(abs).isFile()) return path.dirname(abs);
  } catch {
    /* a folder that does not exist yet: asterisk.conf and friends are simply absent */
  }
  return abs;
}

export class TsteriskNode {
  private stopping: Promise<void> | undefined;
  private readonly stoppedListeners = new Set<(code: number) => void>();

  private constructor(
    readonly core: Core,
    readonly loader: ModuleLoader,
    readonly control: ControlServer | undefined,
    readonly configDir: string,
    private readonly disposeCommands: () => void,
  ) {}

  static async start(opts: StartOptions = {}): Promise<TsteriskNode> {
    const configDir = resolveConfigDir(opts.configDir);
    const hub = new LogHub();
    if (opts.logLevel) hub.level = opts.logLevel;
    const sink: LogSink = opts.logSink ?? ((line) => process.stdout.write(`${line}\n`));
    hub.addSink(sink);
    const log = hub.logger('tsterisk');
    const astconf = readAsteriskConf(configDir);
    for (const i of astconf.issues) (i.severity === 'error' ? log.error : log.warning)(formatIssue(i));
    const dirs = astconf.directories;
    for (const d of [dirs.astdbdir, dirs.astrundir, dirs.astvarlibdir, dirs.astspooldir, dirs.astlogdir]) mkdirSync(d, { recursive: true });
    const store = openStore(dirs.astdbdir);
    const core = new Core({
      eid: astconf.entityId,
      logHub: hub,
      store,
      paths: {
        configDir,
        astdbdir: dirs.astdbdir,
        astrundir: dirs.astrundir,
        astvarlibdir: dirs.astvarlibdir,
        astspooldir: dirs.astspooldir,
        astlogdir: dirs.astlogdir,
      },
    });
    log.verbose(`Config folder ${configDir}, EID ${astconf.entityId} (${astconf.entityIdSource})`);
    const loader = new ModuleLoader(core, { configDir, ...(dirs.astmoddir ? { moduleDir: dirs.astmoddir } : {}) });
    let node: TsteriskNode | undefined;
    const disposeCommands = registerCoreCommands(core, loader, {
      // After the command's answer has gone out (it is written in this same turn).
      stop: (how) => setImmediate(() => void node?.stop(how)),
      reload: () => node!.reload(),
    });
    const control = opts.noControlSocket
      ? undefined
      : new ControlServer(path.join(dirs.astrundir, CONTROL_SOCKET_NAME), (line) => node!.runCommand(line), hub.logger('control'));
    node = new TsteriskNode(core, loader, control, configDir, disposeCommands);

    const modulesConf = parseModulesConf(core.config.read('modules.conf'));
    const { plan, issues } = planFromModulesConf(modulesConf, catalogueNames());
    for (const i of [...modulesConf.issues, ...issues]) (i.severity === 'error' ? log.error : log.warning)(formatIssue(i));
    const { fatal } = await loader.loadPlan(plan);
    if (fatal.length > 0) {
      await node.stop('now');
      throw new StartupError(`Required module(s) declined: ${fatal.join(', ')}. Stopping.`, 2);
    }
    core.markFullyBooted();
    for (const u of core.sorcery.unhandledSections(['pjsip.conf'])) {
      log.warning(`${u.file}:${u.line}: [${u.section}] type '${u.type}' is not handled by any loaded module`);
    }
    if (control) {
      try {
        await control.listen();
      } catch (e) {
        await node.stop('now');
        throw new StartupError(`Cannot open the control socket: ${errorMessage(e)}`, 1);
      }
    }
    // A plain line of its own, printed once, as Asterisk prints "Asterisk Ready.": scripts and tests wait on it.
    sink('tsterisk Ready.', 'NOTICE');
    return node;
  }

  /** Runs one CLI line and returns what it printed; throws on unknown commands and usage errors. */
  async runCommand(line: string): Promise<string> {
    let out = '';
    await runCli(this.core.cli, line, { print: (t) => (out += t) });
    return out;
  }

  async reload(): Promise<string[]> {
    this.core.config.invalidate();
    this.core.sorcery.reload();
    return this.loader.reload();
  }

  onStopped(fn: (code: number) => void): void {
    this.stoppedListeners.add(fn);
  }

  /** `now` skips nothing that keeps state (the store is always flushed); `gracefully` lets modules finish (final NOTIFYs, unpublish). */
  stop(how: 'now' | 'gracefully' = 'gracefully'): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.core.logHub.logger('tsterisk');
      log.notice(`Stopping ${how}`);
      await this.control?.close();
      await this.loader.shutdown(how);
      this.disposeCommands();
      this.core.extensions.dispose?.();
      await this.core.store.close();
      for (const l of this.stoppedListeners) l(0);
    })();
    return this.stopping;
  }
}
