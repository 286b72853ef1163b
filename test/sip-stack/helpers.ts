/**
 * Test peers for the SIP stack: raw UDP / TCP / TLS / WebSocket clients and servers that
 * write requests by hand and collect what comes back, so the stack is exercised through real
 * sockets on 127.0.0.1 exactly as a phone would.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import type { Logger } from '../../core/log.js';
import { parseMessage } from '../../core/sip/parser.js';
import type { SipMessage } from '../../core/sip/message.js';
import { SipStreamFramer } from '../../core/sip/stream-framer.js';
import { SipStack, type SipStackOptions, type SipTransportConfig, type TransportInfo } from '../../core/sip/stack.js';

// Real timers captured at load, so helpers keep working while sinon fakes the global ones.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/** Let pending socket I/O run (a few event-loop turns, real time). */
export async function settle(ms = 20): Promise<void> {
  await new Promise((r) => realSetImmediate(r));
  await delay(ms);
}

export function captureLogger(lines: string[]): Logger {
  const write = (level: string) => (msg: string) => {
    lines.push(`${level}: ${msg}`);
  };
  const logger: Logger = {
    error: write('ERROR'),
    warning: write('WARNING'),
    notice: write('NOTICE'),
    verbose: write('VERBOSE'),
    debug: write('DEBUG'),
    child: () => logger,
  };
  return logger;
}

export interface TestStack {
  stack: SipStack;
  logs: string[];
  info: TransportInfo[];
}

export async function startStack(configs: SipTransportConfig[], opts: SipStackOptions = {}): Promise<TestStack> {
  const logs: string[] = [];
  const stack = new SipStack({ logger: captureLogger(logs), ...opts });
  const info: TransportInfo[] = [];
  for (const c of configs) info.push(await stack.addTransport(c));
  return { stack, logs, info };
}

export interface RequestSpec {
  method?: string;
  uri?: string;
  via?: string;
  branch?: string;
  /** Transport token in the Via. */
  transport?: string;
  sentBy?: string;
  rport?: boolean;
  callId?: string;
  cseq?: number;
  fromTag?: string;
  to?: string;
  extra?: string[];
  body?: string;
  /** Override / remove headers: name -> value, or null to leave the header out. */
  headers?: Record<string, string | null>;
}

let counter = 0;

/** A request written by hand (CRLF line ends, Content-Length computed unless overridden). */
export function rawRequest(spec: RequestSpec = {}): string {
  counter++;
  const method = spec.method ?? 'OPTIONS';
  const body = spec.body ?? '';
  const branch = spec.branch ?? `z9hG4bKtest${counter}x${Date.now()}`;
  const headers: Array<[string, string]> = [
    ['Via', spec.via ?? `SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy ?? '127.0.0.1:5999'}${spec.rport === false ? '' : ';rport'};branch=${branch}`],
    ['Max-Forwards', '70'],
    ['From', `<sip:alice@127.0.0.1>;tag=${spec.fromTag ?? 'ftag1'}`],
    ['To', spec.to ?? '<sip:bob@127.0.0.1>'],
    ['Call-ID', spec.callId ?? `call-${counter}@test`],
    ['CSeq', `${spec.cseq ?? 1} ${method}`],
    ['Content-Length', String(Buffer.byteLength(body))],
  ];
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const i = headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (value === null) {
      if (i !== -1) headers.splice(i, 1);
    } else if (i !== -1) headers[i] = [name, value];
    else headers.push([name, value]);
  }
  const lines = [`${method} ${spec.uri ?? 'sip:bob@127.0.0.1'} SIP/2.0`, ...headers.map(([n, v]) => `${n}: ${v}`), ...(spec.extra ?? [])];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export function parse(buf: Buffer | string): SipMessage {
  const r = parseMessage(typeof buf === 'string' ? Buffer.from(buf) : buf);
  if (!r.ok) throw new Error(`unparsable message: ${r.error}\n${buf.toString()}`);
  return r.message;
}

/** A queue of received items with a waiting `next()` (real-time timeout). */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: Array<(v: T) => void> = [];

  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }

  get length(): number {
    return this.items.length;
  }

  drain(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  next(timeoutMs = 2000, what = 'message'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const timer = realSetTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (v: T): void => {
        realClearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(done);
    });
  }

  /** Resolve with true when nothing arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    await delay(ms);
    return this.items.length === 0;
  }
}

export class UdpPeer {
  readonly inbox = new Inbox<{ data: Buffer; port: number; address: string }>();
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (data, rinfo) => this.inbox.push({ data, port: rinfo.port, address: rinfo.address }));
  }

  static async open(): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get sentBy(): string {
    return `127.0.0.1:${this.port}`;
  }

  send(data: string | Buffer, port: number): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1');
  }

  async next(timeoutMs = 2000): Promise<SipMessage> {
    return parse((await this.inbox.next(timeoutMs)).data);
  }

  close(): void {
    this.socket.close();
  }
}

/** Splits a received byte stream into SIP messages (and remembers whether it closed). */
export class StreamPeer {
  readonly inbox = new Inbox<SipMessage>();
  readonly raw: Buffer[] = [];
  readonly closedP: Promise<void>;
  closed = false;
  private readonly framer = new SipStreamFramer();

  /** `onMessage` (server side peers) gets the messages instead of the inbox. */
  constructor(
    readonly socket: net.Socket,
    onMessage?: (msg: SipMessage, conn: StreamPeer) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      for (const ev of this.framer.push(chunk)) {
        if (ev.type !== 'message') continue;
        if (onMessage) onMessage(parse(ev.data), this);
        else this.inbox.push(parse(ev.data));
      }
    });
    socket.on('error', () => {});
    this.closedP = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static async tcp(port: number): Promise<StreamPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new StreamPeer(socket);
  }

  static async tls(port: number, ca?: Buffer): Promise<StreamPeer> {
    const socket = tls.connect({ host: '127.0.0.1', port, ...(ca ? { ca, servername: 'localhost' } : { rejectUnauthorized: false }) });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return new StreamPeer(socket);
  }

  get sentBy(): string {
    return `127.0.0.1:${this.socket.localPort}`;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  next(timeoutMs = 2000): Promise<SipMessage> {
    return this.inbox.next(timeoutMs);
  }

  /** Resolves true when the peer closed within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.closedP.then(() => true), delay(ms).then(() => false)]);
  }

  close(): void {
    this.socket.destroy();
  }
}

export class WsPeer {
  readonly inbox = new Inbox<{ msg: SipMessage; binary: boolean }>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.inbox.push({ msg: parse(data), binary: isBinary }));
  }

  static async open(url: string, protocols: string | string[] = 'sip', opts: WebSocket.ClientOptions = {}): Promise<WsPeer> {
    const ws = new WebSocket(url, protocols, opts);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return new WsPeer(ws);
  }

  get localPort(): number {
    return (this.ws as unknown as { _socket: net.Socket })._socket.localPort ?? 0;
  }

  send(data: string): void {
    this.ws.send(data);
  }

  async next(timeoutMs = 2000): Promise<SipMessage> {
    return (await this.inbox.next(timeoutMs)).msg;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A TCP server peer (for requests the stack sends out): collects connections and messages. */
export class TcpServerPeer {
  readonly connections: StreamPeer[] = [];
  readonly inbox = new Inbox<{ msg: SipMessage; conn: StreamPeer }>();
  private constructor(readonly server: net.Server) {}

  static async open(): Promise<TcpServerPeer> {
    const server = net.createServer();
    const peer = new TcpServerPeer(server);
    server.on('connection', (socket) => {
      peer.connections.push(new StreamPeer(socket, (msg, conn) => peer.inbox.push({ msg, conn })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return peer;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): void {
    for (const c of this.connections) c.close();
    this.server.close();
  }
}

export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

/** A self-signed certificate for `localhost` / 127.0.0.1 made with the openssl command line. */
export function makeCertificate(): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tst-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { dir, certFile, keyFile, cert: fs.readFileSync(certFile) };
}
