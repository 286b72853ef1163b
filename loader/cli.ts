#!/usr/bin/env node
/**
 * The `tsterisk` command.
 *   tsterisk [-C confdir] [-c]       run a node in the foreground (-c adds a console)
 *   tsterisk [-C confdir] -rx "cmd"  run one CLI command on the running node, through its control socket
 *   tsterisk [-C confdir] -r         remote console
 * Unlike Asterisk, -C names the configuration folder (given a file, its folder is used).
 */
import path from 'node:path';
import readline from 'node:readline';
import { readAsteriskConf } from '../conf/asterisk-conf.js';
import { errorMessage } from '../core/errors.js';
import { CONTROL_SOCKET_NAME, ControlClient } from './control-socket.js';
import { resolveConfigDir, StartupError, TsteriskNode } from './node.js';
import { parseLogLevel } from '../core/log.js';

interface Args {
  configDir?: string;
  console: boolean;
  remote: boolean;
  execute?: string;
  help: boolean;
  verbose: number;
}

const USAGE = `Usage: tsterisk [-C <confdir>] [-c] [-v...]
       tsterisk [-C <confdir>] -rx "<command>"
       tsterisk [-C <confdir>] -r
  -C <dir>   configuration folder (default: the embedded default config)
  -c         console: read CLI commands from the terminal
  -r         connect to the running node's control socket (remote console)
  -x <cmd>   with -r: run one command, print its output and exit
  -v         more verbose logging (-vv for debug)
  -h         this help
`;

export function parseArgs(argv: string[]): Args {
  const a: Args = { console: false, remote: false, help: false, verbose: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help') {
      a.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg.length < 2) throw new Error(`unexpected argument '${arg}'`);
    for (let j = 1; j < arg.length; j++) {
      const f = arg[j]!;
      const value = (): string => {
        const rest = arg.slice(j + 1);
        j = arg.length;
        if (rest !== '') return rest;
        const next = argv[++i];
        if (next === undefined) throw new Error(`option -${f} needs a value`);
        return next;
      };
      switch (f) {
        case 'C':
          a.configDir = value();
          break;
        case 'c':
          a.console = true;
          break;
        case 'r':
        case 'R':
          a.remote = true;
          break;
        case 'x':
          a.remote = true;
          a.execute = value();
          break;
        case 'v':
          a.verbose++;
          break;
        case 'h':
          a.help = true;
          break;
        default:
          throw new Error(`unknown option -${f}`);
      }
    }
  }
  return a;
}

function socketPathFor(configDir: string): string {
  return path.join(readAsteriskConf(configDir).directories.astrundir, CONTROL_SOCKET_NAME);
}

async function remote(args: Args): Promise<number> {
  const configDir = resolveConfigDir(args.configDir);
  const socketPath = socketPathFor(configDir);
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socketPath);
  } catch (e) {
    process.stderr.write(`Unable to connect to remote tsterisk (does ${socketPath} exist?): ${errorMessage(e)}\n`);
    return 1;
  }
  if (args.execute !== undefined) {
    const ans = await client.command(args.execute);
    client.close();
    if (ans.output) process.stdout.write(ans.output);
    if (!ans.ok) {
      process.stderr.write(`${ans.error ?? 'command failed'}\n`);
      return 1;
    }
    return 0;
  }
  process.stdout.write(`Connected to tsterisk at ${socketPath}\n`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'tsterisk*CLI> ' });
  rl.prompt();
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'exit' || cmd === 'quit') break;
    if (cmd !== '') {
      const ans = await client.command(cmd);
      if (ans.output) process.stdout.write(ans.output);
      if (!ans.ok) process.stdout.write(`${ans.error ?? 'command failed'}\n`);
    }
    rl.prompt();
  }
  client.close();
  return 0;
}

async function foreground(args: Args): Promise<number> {
  let node: TsteriskNode;
  try {
    node = await TsteriskNode.start({
      ...(args.configDir !== undefined ? { configDir: args.configDir } : {}),
      ...(args.verbose > 1 ? { logLevel: parseLogLevel('DEBUG')! } : {}),
    });
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n`);
    return e instanceof StartupError ? e.exitCode : 1;
  }
  const stopped = new Promise<number>((resolve) => node.onStopped(resolve));
  const stop = () => void node.stop('gracefully');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.console) {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'tsterisk*CLI> ' });
    rl.prompt();
    rl.on('line', (line) => {
      const cmd = line.trim();
      if (cmd === '') return rl.prompt();
      node
        .runCommand(cmd)
        .then((out) => process.stdout.write(out))
        .catch((e: unknown) => process.stdout.write(`${errorMessage(e)}\n`))
        .finally(() => rl.prompt());
    });
    node.onStopped(() => rl.close());
  }
  return stopped;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n${USAGE}`);
    process.exit(1);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const code = args.remote ? await remote(args) : await foreground(args);
  process.exitCode = code;
  // Done: a stopped node or a finished console must not be kept alive by stdin or timers.
  // (stdout to a pipe or file is written synchronously on Linux, so nothing is cut short.)
  setImmediate(() => process.exit(code));
}

void main();
