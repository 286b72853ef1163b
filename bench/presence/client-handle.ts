/** The parent's side of a load client or null responder child process. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientReply, FanoutCommand, FanoutResult, InitCommand, SubscribeCommand, SubscribeResult } from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export class LoadClientHandle {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const r = raw as ClientReply;
      const w = this.waiting.get(r.id);
      if (w === undefined) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r.result);
      else w.reject(new Error(`load client: ${r.error}`));
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load client exited (${code})`));
      this.waiting.clear();
    });
  }

  static start(): LoadClientHandle {
    return new LoadClientHandle(fork(path.join(here, 'load-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  private call(command: ClientCommand): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, command });
    });
  }

  async init(c: Omit<InitCommand, 'cmd'>): Promise<number[]> {
    const r = (await this.call({ cmd: 'init', ...c })) as { ports: number[] };
    return r.ports;
  }

  subscribe(c: Omit<SubscribeCommand, 'cmd'>): Promise<SubscribeResult> {
    return this.call({ cmd: 'subscribe', ...c }) as Promise<SubscribeResult>;
  }

  fanout(c: Omit<FanoutCommand, 'cmd'>): Promise<FanoutResult> {
    return this.call({ cmd: 'fanout', ...c }) as Promise<FanoutResult>;
  }

  async quit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    void this.call({ cmd: 'quit' }).catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** The null responder child; resolves once it has printed its port. */
export async function startNullResponder(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(here, 'null-responder.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const orphanGuard = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`null responder exited (${code})`)));
  });
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
