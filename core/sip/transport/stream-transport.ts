/**
 * What TCP and TLS share: a listening server, a table of connections (inbound and outbound),
 * Content-Length framing per connection (stream-framer.ts, which bounds what a peer can make
 * us buffer), CRLF keep-alive answers (RFC 5626 4.4.1), an idle timeout, a connection limit,
 * and a bounded write queue per connection.
 *
 * A framing fault cannot be recovered from on a stream, so the connection is closed; when the
 * header block of the failing request is readable, a 400/513 naming the fault goes out first.
 *
 * A message must also be finished in time: once its first bytes are in, the rest has to follow
 * within `messageTimeoutMs` (default 32 s, 64*T1), however slowly bytes keep trickling in, or
 * the connection is closed with a log line. Otherwise a peer that stops (or dribbles) halfway
 * through a header block pins up to a message's worth of buffer per connection until the idle
 * timeout (600 s). Kamailio does the same with `tcp_msg_read_timeout`, counted from the start
 * of the message; pjsip bounds such a buffer by size only (PJSIP_MAX_PKT_LEN).
 */
import type net from 'node:net';
import { TstError } from '../../errors.js';
import { SipStreamFramer, type FramerEvent } from '../stream-framer.js';
import { formatHostPort } from './bind-address.js';
import { ConnectionTable, nextConnectionId, sweepInterval, type TableConnection } from './connection-table.js';
import { framingErrorResponse, locateFailingMessage } from './framing-answer.js';
import {
  DEFAULT_MESSAGE_TIMEOUT_MS,
  type BoundAddress,
  type SendErrorCallback,
  type SendTarget,
  type SourceInfo,
  type StreamTransportOptions,
  type Transport,
  type TransportListener,
  normalizeAddress,
  peerKey,
} from './types.js';

const CRLF = Buffer.from('\r\n');
/** After a framing error we half-close; a peer that never closes its side is cut off after this. */
const LINGER_MS = 2000;

export class StreamConnection implements TableConnection {
  readonly id: number;
  readonly key: string;
  readonly socket: net.Socket;
  readonly framer: SipStreamFramer;
  readonly outbound: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  source: SourceInfo;
  lastActivity: number;
  /** Date.now() when the message now buffered began arriving; 0 between messages. */
  messageStartedAt = 0;
  closed = false;
  /** The socket's error, reported instead of the generic one node gives queued writes. */
  error: Error | null = null;
  /** Chunks that still hold bytes the framer is buffering (to answer a framing error). */
  tail: Buffer[] = [];
  tailLength = 0;

  constructor(
    transport: StreamTransport,
    socket: net.Socket,
    remoteAddress: string,
    remotePort: number,
    outbound: boolean,
    framer: SipStreamFramer,
  ) {
    this.id = nextConnectionId();
    this.socket = socket;
    this.framer = framer;
    this.outbound = outbound;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.key = peerKey(remoteAddress, remotePort);
    this.lastActivity = Date.now();
    this.source = transport.makeSource(this);
  }
}

export abstract class StreamTransport implements Transport {
  readonly name: string;
  abstract readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  protected readonly opts: StreamTransportOptions;
  protected readonly listener: TransportListener;
  protected server: net.Server | null = null;
  protected readonly table = new ConnectionTable<StreamConnection>();
  private bound: BoundAddress;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private closing = false;

  constructor(opts: StreamTransportOptions) {
    this.name = opts.name;
    this.opts = opts;
    this.listener = opts.listener;
    this.bound = { address: opts.host, port: opts.port };
  }

  /** A listening server that is not yet bound. */
  protected abstract createServer(): net.Server;
  /** Server event that hands over a usable socket ('connection' or 'secureConnection'). */
  protected abstract readonly acceptEvent: string;
  /** Client event after which the socket is usable ('connect' or 'secureConnect'). */
  protected abstract readonly connectEvent: string;
  /** Start an outbound connection (writes before it is up are queued by node). */
  protected abstract openSocket(target: SendTarget, localAddress: string | undefined): net.Socket;

  get local(): BoundAddress {
    return this.bound;
  }

  get connectionCount(): number {
    return this.table.size;
  }

  /** @internal */
  makeSource(conn: StreamConnection): SourceInfo {
    const s = conn.socket;
    return {
      protocol: this.protocol,
      transport: this.name,
      localAddress: normalizeAddress(s.localAddress) || this.bound.address,
      localPort: s.localPort ?? this.bound.port,
      remoteAddress: conn.remoteAddress,
      remotePort: conn.remotePort,
      connectionId: conn.id,
    };
  }

  listen(): Promise<BoundAddress> {
    const server = this.createServer();
    this.server = server;
    server.on(this.acceptEvent, (socket: net.Socket) => this.accept(socket));
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
        server.on('error', (err: Error) => this.event('error', '', err.message));
        const a = server.address() as net.AddressInfo;
        this.bound = { address: normalizeAddress(a.address), port: a.port };
        this.startSweeper();
        resolve(this.bound);
      });
    });
  }

  private startSweeper(): void {
    const idleMs = this.opts.idleTimeoutMs;
    const messageMs = this.opts.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS;
    const limits = [idleMs, messageMs].filter((ms) => ms > 0);
    if (limits.length === 0) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      if (messageMs > 0) {
        for (const conn of this.table.stalled(now, messageMs)) this.messageTimeout(conn, now, messageMs);
      }
      if (idleMs > 0) {
        for (const conn of this.table.idle(now, idleMs)) {
          this.listener.onTransportEvent({ type: 'idle-timeout', transport: this.name, remote: formatHostPort(conn.remoteAddress, conn.remotePort) });
          this.destroy(conn);
        }
      }
    }, sweepInterval(Math.min(...limits)));
    this.sweeper.unref();
  }

  /**
   * A message started too long ago is still incomplete: close the connection. Reported as a
   * framing error (nothing can be answered: the header block may not even be whole), so the
   * stack logs it as a warning and counts it with the other broken streams.
   */
  private messageTimeout(conn: StreamConnection, now: number, limitMs: number): void {
    const held = conn.framer.buffered;
    const secs = ((now - conn.messageStartedAt) / 1000).toFixed(1);
    this.listener.onTransportEvent({
      type: 'framing-error',
      transport: this.name,
      remote: formatHostPort(conn.remoteAddress, conn.remotePort),
      error: `incomplete message (${held} bytes held) not finished ${secs} s after it began (limit ${(limitMs / 1000).toFixed(1)} s)`,
      answered: false,
    });
    conn.tail = [];
    conn.tailLength = 0;
    this.destroy(conn);
  }

  private event(type: 'error', remote: string, error: string): void {
    this.listener.onTransportEvent({ type, transport: this.name, remote, error });
  }

  private accept(socket: net.Socket): void {
    const remoteAddress = normalizeAddress(socket.remoteAddress);
    const remotePort = socket.remotePort ?? 0;
    if (this.closing || this.table.size >= this.opts.maxConnections) {
      socket.destroy();
      this.listener.onTransportEvent({
        type: 'connection-refused',
        transport: this.name,
        remote: formatHostPort(remoteAddress, remotePort),
        reason: this.closing ? 'transport closing' : `maxConnections (${this.opts.maxConnections}) reached`,
      });
      return;
    }
    socket.setNoDelay(true);
    const conn = new StreamConnection(this, socket, remoteAddress, remotePort, false, new SipStreamFramer(this.opts.limits));
    this.table.add(conn);
    this.attach(conn);
  }

  private attach(conn: StreamConnection): void {
    const socket = conn.socket;
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err: Error) => {
      conn.error ??= err;
      this.event('error', formatHostPort(conn.remoteAddress, conn.remotePort), err.message);
    });
    socket.on('close', () => this.onClose(conn));
  }

  private onData(conn: StreamConnection, chunk: Buffer): void {
    if (conn.closed) return;
    conn.lastActivity = Date.now();
    const framer = conn.framer;
    const heldBefore = framer.buffered;
    const events = framer.push(chunk);
    let completed = false;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.type === 'message') {
        completed = true;
        this.listener.onMessage(ev.data, conn.source);
        if (conn.closed) return;
      } else if (ev.type === 'ping') {
        conn.socket.write(CRLF);
        this.listener.onTransportEvent({ type: 'keep-alive', transport: this.name, remote: conn.key });
      } else if (ev.type === 'error') {
        this.framingError(conn, chunk, heldBefore, events, i, ev.error, ev.status);
        return;
      }
    }
    const held = framer.buffered;
    // The clock of the message now buffered: it began in this chunk when nothing was held
    // before or a message completed here (what is left is the start of the next one).
    if (held === 0) conn.messageStartedAt = 0;
    else if (heldBefore === 0 || completed || conn.messageStartedAt === 0) conn.messageStartedAt = conn.lastActivity;
    if (held === 0) {
      if (conn.tailLength !== 0) {
        conn.tail = [];
        conn.tailLength = 0;
      }
      return;
    }
    conn.tail.push(chunk);
    conn.tailLength += chunk.length;
    while (conn.tail.length > 1 && conn.tailLength - conn.tail[0].length >= held) {
      conn.tailLength -= (conn.tail.shift() as Buffer).length;
    }
  }

  private framingError(
    conn: StreamConnection,
    chunk: Buffer,
    heldBefore: number,
    events: readonly FramerEvent[],
    errorIndex: number,
    error: string,
    status: number,
  ): void {
    const data = conn.tail.length === 0 ? chunk : Buffer.concat([...conn.tail, chunk]);
    const emitted: Buffer[] = [];
    for (let j = 0; j < errorIndex; j++) {
      const ev = events[j];
      if (ev.type === 'message') emitted.push(ev.data);
    }
    const failing = locateFailingMessage(data, conn.tailLength - heldBefore, emitted);
    const answer = framingErrorResponse(failing, error, status, this.opts.limits);
    conn.tail = [];
    conn.tailLength = 0;
    if (answer !== null) conn.socket.write(answer);
    this.listener.onTransportEvent({
      type: 'framing-error',
      transport: this.name,
      remote: formatHostPort(conn.remoteAddress, conn.remotePort),
      error,
      answered: answer !== null,
    });
    this.retire(conn);
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), LINGER_MS).unref();
  }

  /** Take a connection out of use (no more sends pick it) without waiting for the close event. */
  private retire(conn: StreamConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.table.remove(conn);
    this.listener.onConnectionClosed?.(this, conn.id, conn.remoteAddress, conn.remotePort);
  }

  private destroy(conn: StreamConnection): void {
    this.retire(conn);
    conn.socket.destroy();
  }

  private onClose(conn: StreamConnection): void {
    this.retire(conn);
  }

  send(buf: Buffer, target: SendTarget, onError?: SendErrorCallback): void {
    let conn: StreamConnection | undefined;
    if (target.connectionId !== undefined && target.connectionId !== 0) conn = this.table.get(target.connectionId);
    if (conn === undefined) conn = this.table.getByKey(peerKey(target.host, target.port));
    if (conn === undefined) {
      const opened = this.connect(target);
      if (typeof opened === 'string') {
        if (onError) queueMicrotask(() => onError(new TstError('TST_ERR_SIP_TRANSPORT', opened)));
        return;
      }
      conn = opened;
    }
    const socket = conn.socket;
    if (socket.writableLength > this.opts.maxWriteQueue) {
      this.event('error', conn.key, `write queue over ${this.opts.maxWriteQueue} bytes: closing`);
      this.destroy(conn);
      if (onError) queueMicrotask(() => onError(new TstError('TST_ERR_SIP_TRANSPORT', `write queue full to ${conn.key}`)));
      return;
    }
    conn.lastActivity = Date.now();
    if (onError === undefined) socket.write(buf);
    else socket.write(buf, (err) => {
      if (err) onError(conn.error ?? err);
    });
  }

  /** Open a connection to the target; a string says why not. */
  private connect(target: SendTarget): StreamConnection | string {
    if (this.closing || this.server === null) return `Transport '${this.name}' is closed`;
    if (this.table.size >= this.opts.maxConnections) {
      return `Transport '${this.name}': maxConnections (${this.opts.maxConnections}) reached`;
    }
    const wildcard = this.bound.address === '0.0.0.0' || this.bound.address === '::';
    const sameFamily = (this.bound.address.indexOf(':') !== -1) === (target.host.indexOf(':') !== -1);
    const socket = this.openSocket(target, wildcard || !sameFamily ? undefined : this.bound.address);
    socket.setNoDelay(true);
    const conn = new StreamConnection(this, socket, target.host, target.port, true, new SipStreamFramer(this.opts.limits));
    socket.once(this.connectEvent, () => {
      conn.source = this.makeSource(conn);
    });
    this.table.add(conn);
    this.attach(conn);
    return conn;
  }

  hasConnection(connectionId: number): boolean {
    return this.table.get(connectionId) !== undefined;
  }

  /** Close one connection (e.g. the TU is done with a flow). */
  closeConnection(connectionId: number): void {
    const conn = this.table.get(connectionId);
    if (conn !== undefined) this.destroy(conn);
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const conn of [...this.table.values()]) this.destroy(conn);
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
