/**
 * The kernel's own CLI commands, named and printed as Asterisk prints them: module management,
 * core show/stop/reload, database (astdb), help.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TstError } from '../core/errors.js';
import type { Core } from '../core/index.js';
import { helpText } from '../core/cli/dispatcher.js';
import type { CliCommand } from '../core/cli/types.js';
import type { Disposer } from '../core/registry/registry.js';
import type { ModuleLoader } from './loader.js';
import { normalizeModuleName } from './modules-conf.js';
import { col } from './printf.js';
import { packageRoot } from './paths.js';

export interface NodeControl {
  stop(how: 'now' | 'gracefully'): void;
  reload(): Promise<string[]>;
}

function usage(cmd: string): never {
  throw new TstError('TST_ERR_CLI_USAGE', `Usage: ${cmd}`);
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string };
  return pkg.version;
}

export function registerCoreCommands(core: Core, loader: ModuleLoader, node: NodeControl): Disposer {
  const cmds: CliCommand[] = [
    {
      command: 'module show',
      usage: 'module show [like <keyword>]',
      summary: 'List modules and info',
      handler(args, io) {
        let like = '';
        if (args.length > 0) {
          if (args[0]!.toLowerCase() !== 'like' || args.length !== 2) usage('module show [like <keyword>]');
          like = args[1]!.toLowerCase();
        }
        const f = (a: string, b: string, c: string | number, d: string, e: string) =>
          `${col(a, 30)} ${col(b, 40, { max: 40 })} ${col(c, 10)} ${col(d, 11)} ${col(e, 13, { right: true })}\n`;
        let out = f('Module', 'Description', 'Use Count', 'Status', 'Support Level');
        let n = 0;
        for (const m of loader.list()) {
          const shown = m.origin === 'builtin' ? `${m.name}.so` : path.basename(m.confName);
          if (like !== '' && !shown.toLowerCase().includes(like)) continue;
          out += f(shown, m.module?.info.description ?? '', loader.useCount(m.name), m.status, m.module?.info.supportLevel ?? 'unknown');
          n++;
        }
        io.print(`${out}${n} modules loaded\n`);
      },
    },
    {
      command: 'module load',
      usage: 'module load <module name>',
      summary: 'Load a module by name',
      async handler(args, io) {
        if (args.length !== 1) usage('module load <module name>');
        const m = await loader.load(normalizeModuleName(args[0]!));
        io.print(`Loaded ${m.name}\n`);
      },
    },
    {
      command: 'module unload',
      usage: 'module unload [-f] <module name>',
      summary: 'Unload a module by name',
      async handler(args, io) {
        let force = false;
        const names = args.filter((a) => {
          if (a === '-f') {
            force = true;
            return false;
          }
          return true;
        });
        if (names.length === 0) usage('module unload [-f] <module name>');
        for (const n of names) {
          await loader.unload(normalizeModuleName(n), { force });
          io.print(`Unloaded ${normalizeModuleName(n)}\n`);
        }
      },
    },
    {
      command: 'module reload',
      usage: 'module reload [<module name>]',
      summary: 'Reload configuration for a module',
      async handler(args, io) {
        if (args.length > 1) usage('module reload [<module name>]');
        const done = await loader.reload(args[0] !== undefined ? normalizeModuleName(args[0]) : undefined);
        io.print(done.length > 0 ? done.map((n) => `Module '${n}' reloaded successfully.\n`).join('') : 'Nothing to reload.\n');
      },
    },
    {
      command: 'core reload',
      usage: 'core reload',
      summary: 'Global reload',
      async handler(_args, io) {
        const done = await node.reload();
        io.print(`Reloaded ${done.length} modules: ${done.join(', ')}\n`);
      },
    },
    {
      command: 'core show version',
      usage: 'core show version',
      summary: 'Display version info',
      handler(_args, io) {
        io.print(`tsterisk ${version()} on Node.js ${process.version} (${process.platform}/${process.arch}), EID ${core.eid}\n`);
      },
    },
    {
      command: 'core stop now',
      usage: 'core stop now',
      summary: 'Shut down tsterisk immediately',
      handler(_args, io) {
        io.print('Shutting down now.\n');
        node.stop('now');
      },
    },
    {
      command: 'core stop gracefully',
      usage: 'core stop gracefully',
      summary: 'Gracefully shut down tsterisk',
      handler(_args, io) {
        io.print('Shutting down gracefully.\n');
        node.stop('gracefully');
      },
    },
    {
      command: 'database show',
      usage: 'database show [family [keytree]]',
      summary: 'Shows database contents',
      handler(args, io) {
        if (args.length > 2) usage('database show [family [keytree]]');
        const entries = core.store.list(args[0], args[1] !== undefined ? args[1] : '');
        let out = '';
        for (const e of entries) out += `${col(`/${e.family}/${e.key}`, 50)}: ${col(e.value, 25)}\n`;
        io.print(`${out}${entries.length} results found.\n`);
      },
    },
    {
      command: 'database get',
      usage: 'database get <family> <key>',
      summary: 'Gets database value',
      handler(args, io) {
        if (args.length !== 2) usage('database get <family> <key>');
        const v = core.store.get(args[0]!, args[1]!);
        if (v === undefined) throw new TstError('TST_ERR_CLI_USAGE', 'Database entry not found.');
        io.print(`Value: ${v}\n`);
      },
    },
    {
      command: 'database put',
      usage: 'database put <family> <key> <value>',
      summary: 'Adds/updates database value',
      async handler(args, io) {
        if (args.length !== 3) usage('database put <family> <key> <value>');
        await core.store.putDurable(args[0]!, args[1]!, args[2]!);
        io.print('Updated database successfully\n');
      },
    },
    {
      command: 'database del',
      usage: 'database del <family> <key>',
      summary: 'Removes database key/value',
      async handler(args, io) {
        if (args.length !== 2) usage('database del <family> <key>');
        if (!(await core.store.delDurable(args[0]!, args[1]!))) throw new TstError('TST_ERR_CLI_USAGE', 'Database entry does not exist.');
        io.print('Database entry removed.\n');
      },
    },
    {
      command: 'database deltree',
      usage: 'database deltree <family> [keytree]',
      summary: 'Removes database keytree/values',
      async handler(args, io) {
        if (args.length < 1 || args.length > 2) usage('database deltree <family> [keytree]');
        const n = core.store.delTree(args[0]!, args[1] ?? '');
        await core.store.flush();
        if (n === 0) throw new TstError('TST_ERR_CLI_USAGE', 'Database entries do not exist.');
        io.print(`${n} database entries removed.\n`);
      },
    },
    {
      command: 'core show help',
      usage: 'core show help [topic]',
      summary: 'Display help list, or specific help on a command',
      handler(args, io) {
        io.print(helpText(core.cli, args));
      },
    },
    {
      command: 'help',
      usage: 'help [topic]',
      summary: 'Display help list, or specific help on a command',
      handler(args, io) {
        io.print(helpText(core.cli, args));
      },
    },
  ];
  const disposers = cmds.map((c) => core.cli.register(c.command, c, 'core'));
  return () => {
    for (const d of disposers.reverse()) d();
  };
}
