/**
 * SIP over WebSocket (RFC 7118), plain (`ws`) or over TLS (`wss`). Unlike Asterisk, which
 * serves WebSocket through http.conf, each ws/wss transport has its own `bind=` and HTTP
 * server and accepts upgrades on the path `/ws` only, and only when the client offers the
 * `sip` subprotocol (RFC 7118 4.1: a server that does not select it must not complete the
 * handshake). Each WebSocket message carries exactly one SIP message (RFC 7118 5.2), so there
 * is no stream framing; the parser applies its datagram rules.
 *
 * A WebSocket server cannot open connections to its clients: a request to a WS peer goes over
 * the connection it came on, or fails.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { TstError } from '../../errors.js';
import { formatHostPort } from './bind-address.js';
import { ConnectionTable, nextConnectionId, sweepInterval, type TableConnection } from './connection-table.js';
import { loadTlsFiles } from './tls-transport.js';
import type {
  BoundAddress,
  SendErrorCallback,
  SendTarget,
  SourceInfo,
  StreamTransportOptions,
  TlsFiles,
  Transport,
  TransportListener,
} from './types.js';
import { normalizeAddress, peerKey } from './types.js';

export const WS_PATH = '/ws';
export const WS_SUBPROTOCOL = 'sip';

class WsConnection implements TableConnection {
  readonly id = nextConnectionId();
  readonly key: string;
  readonly ws: WebSocket;
  /** One object per connection, handed with every message (see SourceInfo). */
  readonly source: SourceInfo;
  lastActivity = Date.now();
  closed = false;
  constructor(ws: WebSocket, base: Omit<SourceInfo, 'connectionId'>) {
    this.ws = ws;
    this.source = { ...base, connectionId: this.id };
    this.key = peerKey(base.remoteAddress, base.remotePort);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The offered subprotocol that is `sip` (compared case-insensitively), as the client spelled it. */
function pickSip(offered: Iterable<string>): string | null {
  for (const p of offered) if (p.trim().toLowerCase() === WS_SUBPROTOCOL) return p.trim();
  return null;
}

export class WsTransport implements Transport {
  readonly name: string;
  readonly protocol: 'ws' | 'wss';
  readonly reliable = true;
  private readonly opts: StreamTransportOptions;
  private readonly listener: TransportListener;
  private readonly tlsFiles: TlsFiles | null;
  private server: http.Server | https.Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly table = new ConnectionTable<WsConnection>();
  private bound: BoundAddress;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private closing = false;

  constructor(opts: StreamTransportOptions & { readonly secure: boolean; readonly tls?: TlsFiles }) {
    this.name = opts.name;
    this.protocol = opts.secure ? 'wss' : 'ws';
    this.opts = opts;
    this.listener = opts.listener;
    this.tlsFiles = opts.secure ? opts.tls ?? {} : null;
    this.bound = { address: opts.host, port: opts.port };
  }

  get local(): BoundAddress {
    return this.bound;
  }

  get connectionCount(): number {
    return this.table.size;
  }

  listen(): Promise<BoundAddress> {
    const onRequest = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
      // Plain HTTP on a SIP WebSocket port: say what is expected instead of a bare 404.
      res.writeHead(426, { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': WS_SUBPROTOCOL, Connection: 'close' });
      res.end();
    };
    const server =
      this.tlsFiles !== null
        ? https.createServer({ ...loadTlsFiles(this.name, this.tlsFiles, true), requestCert: this.tlsFiles.verifyClient === true, rejectUnauthorized: this.tlsFiles.verifyClient === true }, onRequest)
        : http.createServer(onRequest);
    this.server = server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.opts.limits.maxMessageSize,
      perMessageDeflate: false,
      handleProtocols: (protocols: Set<string>) => pickSip(protocols) ?? false,
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    return new Promise<BoundAddress>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = null;
        reject(
          new TstError(
            'TST_ERR_SIP_TRANSPORT',
            `Transport '${this.name}' failed to bind ${this.protocol.toUpperCase()} ${formatHostPort(this.opts.host, this.opts.port)}: ${err.message}`,
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ host: this.opts.host, port: this.opts.port, exclusive: true, ipv6Only: this.opts.host.indexOf(':') !== -1 }, () => {
        server.removeListener('error', onError);
        server.on('error', (err: Error) => this.listener.onTransportEvent({ type: 'error', transport: this.name, remote: '', error: err.message }));
        const a = server.address();
        if (a !== null && typeof a === 'object') this.bound = { address: normalizeAddress(a.address), port: a.port };
        this.startSweeper();
        resolve(this.bound);
      });
    });
  }

  private startSweeper(): void {
    const idleMs = this.opts.idleTimeoutMs;
    if (idleMs <= 0) return;
    this.sweeper = setInterval(() => {
      for (const conn of this.table.idle(Date.now(), idleMs)) {
        this.listener.onTransportEvent({ type: 'idle-timeout', transport: this.name, remote: conn.key });
        this.retire(conn);
        conn.ws.terminate();
      }
    }, sweepInterval(idleMs));
    this.sweeper.unref();
  }

  private refuse(socket: Duplex, req: http.IncomingMessage, status: string, reason: string): void {
    const remote = formatHostPort(normalizeAddress(req.socket.remoteAddress), req.socket.remotePort ?? 0);
    this.listener.onTransportEvent({ type: 'upgrade-refused', transport: this.name, remote, reason });
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const wss = this.wss;
    if (wss === null || this.closing) {
      socket.destroy();
      return;
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path !== WS_PATH) return this.refuse(socket, req, '404 Not Found', `path '${path}' is not ${WS_PATH}`);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',');
    if (pickSip(offered) === null) {
      return this.refuse(socket, req, '400 Bad Request', `subprotocol '${WS_SUBPROTOCOL}' not offered`);
    }
    if (this.table.size >= this.opts.maxConnections) {
      return this.refuse(socket, req, '503 Service Unavailable', `maxConnections (${this.opts.maxConnections}) reached`);
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.open(ws, req));
  }

  private open(ws: WebSocket, req: http.IncomingMessage): void {
    const s = req.socket;
    const conn = new WsConnection(ws, {
      protocol: this.protocol,
      transport: this.name,
      localAddress: normalizeAddress(s.localAddress) || this.bound.address,
      localPort: s.localPort ?? this.bound.port,
      remoteAddress: normalizeAddress(s.remoteAddress),
      remotePort: s.remotePort ?? 0,
    });
    this.table.add(conn);
    s.setNoDelay(true);
    ws.on('message', (data: RawData) => {
      if (conn.closed) return;
      conn.lastActivity = Date.now();
      this.listener.onMessage(toBuffer(data), conn.source);
    });
    ws.on('error', (err: Error) => {
      this.listener.onTransportEvent({ type: 'error', transport: this.name, remote: conn.key, error: err.message });
    });
    ws.on('close', () => this.retire(conn));
  }

  private retire(conn: WsConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.table.remove(conn);
    this.listener.onConnectionClosed?.(this, conn.id, conn.source.remoteAddress, conn.source.remotePort);
  }

  send(buf: Buffer, target: SendTarget, onError?: SendErrorCallback): void {
    let conn: WsConnection | undefined;
    if (target.connectionId !== undefined && target.connectionId !== 0) conn = this.table.get(target.connectionId);
    if (conn === undefined) conn = this.table.getByKey(peerKey(target.host, target.port));
    const fail = (why: string): void => {
      if (onError) queueMicrotask(() => onError(new TstError('TST_ERR_SIP_TRANSPORT', why)));
    };
    if (conn === undefined || conn.ws.readyState !== WebSocket.OPEN) {
      return fail(`Transport '${this.name}': no WebSocket connection to ${formatHostPort(target.host, target.port)}`);
    }
    if (conn.ws.bufferedAmount > this.opts.maxWriteQueue) {
      this.retire(conn);
      conn.ws.terminate();
      return fail(`Transport '${this.name}': write queue full to ${conn.key}`);
    }
    conn.lastActivity = Date.now();
    // Text frames: SIP is text, and browsers' SIP stacks expect them (RFC 7118 allows both).
    if (onError === undefined) conn.ws.send(buf, { binary: false });
    else conn.ws.send(buf, { binary: false }, (err?: Error) => {
      if (err) onError(err);
    });
  }

  hasConnection(connectionId: number): boolean {
    return this.table.get(connectionId) !== undefined;
  }

  closeConnection(connectionId: number): void {
    const conn = this.table.get(connectionId);
    if (conn === undefined) return;
    this.retire(conn);
    conn.ws.close(1000);
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const conn of [...this.table.values()]) {
      this.retire(conn);
      conn.ws.terminate();
    }
    this.wss?.close();
    this.wss = null;
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  }
}
