/**
 * The node's local control socket (Asterisk's asterisk.ctl): a Unix socket in astrundir.
 * Each request is one JSON line `{"cmd": "..."}`; each answer one JSON line
 * `{"ok": bool, "output": "...", "error": "..."}`. A connection may send many commands
 * (the remote console does). Lines are bounded so a bad client cannot make us buffer forever.
 */
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export const CONTROL_SOCKET_NAME = 'tsterisk.ctl';
const MAX_LINE = 64 * 1024;

export interface ControlRequest {
  cmd: string;
}
export interface ControlAnswer {
  ok: boolean;
  output: string;
  error?: string;
}

export type CommandRunner = (line: string) => Promise<string>;

export class ControlServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly socketPath: string,
    private readonly run: CommandRunner,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<void> {
    mkdirSync(path.dirname(this.socketPath), { recursive: true });
    if (existsSync(this.socketPath)) {
      // A live node already owns it: refuse to steal it. A stale file from a killed node is removed.
      if (await isAlive(this.socketPath)) throw new Error(`another node is running on ${this.socketPath}`);
      unlinkSync(this.socketPath);
    }
    const server = net.createServer((s) => this.serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let chain = Promise.resolve();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        sock.end(`${JSON.stringify({ ok: false, output: '', error: 'request too long' })}\n`);
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // Answers go back in request order.
        chain = chain.then(() => this.answer(sock, line));
      }
    });
  }

  private async answer(sock: net.Socket, line: string): Promise<void> {
    let reply: ControlAnswer;
    try {
      const req = JSON.parse(line) as Partial<ControlRequest>;
      if (typeof req.cmd !== 'string') throw new Error('request without cmd');
      reply = { ok: true, output: await this.run(req.cmd) };
    } catch (e) {
      reply = { ok: false, output: '', error: errorMessage(e) };
    }
    if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
  }

  async close(): Promise<void> {
    // end() lets answers already written reach the client; destroy() would cut them.
    for (const s of this.sockets) {
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    }
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* already gone */
    }
    this.log.debug(`control socket ${this.socketPath} closed`);
  }
}

function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Client side: one connection, commands answered in order. */
export class ControlClient {
  private buf = '';
  private readonly waiting: Array<(a: ControlAnswer) => void> = [];

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line) as ControlAnswer);
      }
    });
    sock.on('close', () => {
      for (const w of this.waiting.splice(0)) w({ ok: false, output: '', error: 'connection to the node closed' });
    });
  }

  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new ControlClient(s));
      });
      s.once('error', reject);
    });
  }

  command(cmd: string): Promise<ControlAnswer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.sock.write(`${JSON.stringify({ cmd })}\n`);
    });
  }

  close(): void {
    this.sock.end();
  }
}
