/**
 * Test nodes: a temp config folder written from a map of files, then a node started either in
 * this process (fast, many at once) or as a real `tsterisk` child process (for the control
 * socket, signals and kill -9). Both use the real loader, modules, store and sockets.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsteriskNode } from '../../loader/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/loader/cli.js */
export const CLI_JS = path.resolve(here, '..', '..', 'loader', 'cli.js');

export function makeConfigDir(files: Record<string, string>, opts: { withDirectories?: boolean } = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tst-node-'));
  const dir = path.join(root, 'etc');
  mkdirSync(dir);
  const withDirs = opts.withDirectories ?? true;
  if (withDirs && files['asterisk.conf'] === undefined) {
    files = {
      ...files,
      'asterisk.conf': `[directories]\nastdbdir => ${root}/db\nastrundir => ${root}/run\nastvarlibdir => ${root}/lib\nastspooldir => ${root}/spool\nastlogdir => ${root}/log\n[options]\nentityid = 02:00:00:00:00:01\n`,
    };
  }
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface InProcessNode {
  node: TsteriskNode;
  logs: string[];
  run(cmd: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startInProcess(configDir: string, opts: { noControlSocket?: boolean } = {}): Promise<InProcessNode> {
  const logs: string[] = [];
  const node = await TsteriskNode.start({
    configDir,
    logSink: (l) => logs.push(l),
    logLevel: 'DEBUG',
    ...(opts.noControlSocket ? { noControlSocket: true } : {}),
  });
  return { node, logs, run: (c) => node.runCommand(c), stop: () => node.stop('now') };
}

export interface ChildNode {
  proc: ChildProcess;
  lines: string[];
  configDir: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  rx(cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function rx(configDir: string, cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_JS, '-C', configDir, '-rx', cmd], { timeout: 15000 }, (err, stdout, stderr) => {
      const raw: unknown = err ? (err as unknown as { code?: unknown }).code : 0;
      resolve({ code: typeof raw === 'number' ? raw : 1, stdout, stderr });
    });
  });
}

export async function startChild(configDir: string, extraArgs: string[] = []): Promise<ChildNode> {
  const proc = spawn(process.execPath, [CLI_JS, '-C', configDir, ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp, timeoutMs = 15000) => {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${lines.join('\n')}`)), timeoutMs);
      waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`node exited (${code}) before ${re}:\n${lines.join('\n')}`));
      });
    });
  };
  const child: ChildNode = { proc, lines, configDir, exited, rx: (c) => rx(configDir, c), waitFor };
  return child;
}

export async function startChildReady(configDir: string, extraArgs: string[] = []): Promise<ChildNode> {
  const c = await startChild(configDir, extraArgs);
  await c.waitFor(/^tsterisk Ready\.$/);
  return c;
}
