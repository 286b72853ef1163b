/**
 * The SIP stack of a node: transports from pjsip.conf `type=transport` objects, the receive
 * path (parse, answer or drop malformed requests, stamp Via received/rport, match
 * transactions) and the send path (Via with our sent-by and a fresh branch, client
 * transactions, stateless sends). The transaction user (res_pjsip) plugs in through the
 * `onRequest` / `onAck` / `onCancel` / `onStrayResponse` hooks and answers through the server
 * transaction it is handed.
 *
 * The stack is a user agent, never a proxy: requests it sends carry exactly one Via, its own.
 */
import os from 'node:os';
import { TstError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_SIP_LIMITS, type SipLimits, type SipMessage, type SipRequest, type SipResponse, type Via } from './message.js';
import { isKeepAlive, parseMessage, type ParseFailure } from './parser.js';
import { buildResponse, generateBranch, serializeMessage } from './serializer.js';
import { formatVia } from './header-values.js';
import { DEFAULT_TIMER_VALUES, systemClock, type Clock, type TimerValues } from './transaction/clock.js';
import type { ClientTransaction, ClientTransactionHandlers } from './transaction/client-transaction.js';
import type { ServerTransaction } from './transaction/server-transaction.js';
import { TimerQueues } from './transaction/timer-queues.js';
import { TransactionLayer } from './transaction/transaction-layer.js';
import type { Flow, TransactionCounters, TransactionHost } from './transaction/types.js';
import { formatHost, formatHostPort, parseBindAddress } from './transport/bind-address.js';
import { defaultPort, resolveTarget, type ResolvedTarget } from './transport/resolve-target.js';
import { TcpTransport } from './transport/tcp-transport.js';
import { TlsTransport } from './transport/tls-transport.js';
import type {
  BoundAddress,
  SendErrorCallback,
  SourceInfo,
  Transport,
  TransportEvent,
  TransportListener,
  TransportProtocol,
} from './transport/types.js';
import { TRANSPORT_PROTOCOLS, VIA_TRANSPORT } from './transport/types.js';
import { UdpTransport } from './transport/udp-transport.js';
import { WsTransport } from './transport/ws-transport.js';

// One import for the transaction user (res_pjsip).
export type { ClientTransaction, ClientTransactionHandlers, ClientTransactionState } from './transaction/client-transaction.js';
export type { ServerTransaction, ServerTransactionState } from './transaction/server-transaction.js';
export type { Clock, TimerValues } from './transaction/clock.js';
export type { SourceInfo, TransportProtocol, SendErrorCallback } from './transport/types.js';
export type { ResolvedTarget } from './transport/resolve-target.js';
export { buildCancel, buildNon2xxAck } from './transaction/requests.js';
export { resolveTarget } from './transport/resolve-target.js';

/** A `type=transport` object as res_pjsip hands it over (pjsip.conf option names where they exist). */
export interface SipTransportConfig {
  readonly name: string;
  readonly protocol: TransportProtocol;
  /** `addr`, `addr:port`, `[v6]:port`; port 0 = ephemeral (the bound one is reported). */
  readonly bind: string;
  readonly cert_file?: string;
  readonly priv_key_file?: string;
  readonly ca_list_file?: string;
  readonly verify_client?: boolean;
  readonly verify_server?: boolean;
  /** UDP SO_RCVBUF in bytes. */
  readonly recvBufferSize?: number;
  /** UDP SO_SNDBUF in bytes. */
  readonly sendBufferSize?: number;
  /** UDP: datagrams queued behind a full kernel buffer before sends fail. Default 10000. */
  readonly maxSendQueue?: number;
  /** Stream transports: close a connection idle this long (ms); 0 = never. Default 600000. */
  readonly idleTimeoutMs?: number;
  /** Stream transports: most connections at once (inbound + outbound). Default 10000. */
  readonly maxConnections?: number;
  /** Stream transports: bytes queued on one connection before it is dropped. Default 1 MiB. */
  readonly maxWriteQueue?: number;
}

export interface TransportInfo {
  readonly name: string;
  readonly protocol: TransportProtocol;
  readonly address: string;
  readonly port: number;
}

/**
 * Where to send. `protocol` picks the first transport of that protocol (and address family)
 * unless `transport` names one; `connectionId` reuses a flow (see SendTarget). A SourceInfo
 * turns into one with targetFromSource().
 */
export interface RequestTarget {
  readonly host: string;
  readonly port: number;
  readonly protocol?: TransportProtocol;
  readonly transport?: string;
  readonly connectionId?: number;
  readonly serverName?: string;
}

export type RequestHandler = (request: SipRequest, tx: ServerTransaction, source: SourceInfo) => void;
export type MessageLogger = (direction: 'in' | 'out', data: Buffer, peer: SourceInfo) => void;

export interface SipStackOptions {
  readonly logger?: Logger;
  /** Timer source (tests pass a fake one, or install sinon fake timers over the default). */
  readonly clock?: Clock;
  /** T1, T2, T4 in ms (defaults 500, 4000, 5000). */
  readonly timers?: Partial<TimerValues>;
  /** Parser and framer limits (defaults DEFAULT_SIP_LIMITS). */
  readonly limits?: Partial<SipLimits>;
}

/** Counters; `stats` returns them with the live table sizes. */
export interface SipStackCounters extends TransactionCounters {
  /** Messages received (datagrams, framed stream messages, WebSocket messages, keep-alives excluded). */
  received: number;
  /** Messages sent (retransmissions included). */
  sent: number;
  requestsReceived: number;
  responsesReceived: number;
  /** Malformed requests answered with the parser's status and reason (400, 505, 513). */
  parseErrorsAnswered: number;
  /** Malformed messages dropped (not answerable: no Via/From/To/Call-ID/CSeq, responses, ACKs). */
  parseErrorsDropped: number;
  /** Messages over limits.maxMessageSize dropped before parsing. */
  oversizeDropped: number;
  /** CRLF keep-alives (answered on streams, ignored on datagrams). */
  keepAlives: number;
  /** Stream framing faults (the connection was closed). */
  framingErrors: number;
  connectionsRefused: number;
  idleTimeouts: number;
  upgradesRefused: number;
  /** ACKs that matched no transaction and found no onAck handler. */
  strayAcks: number;
}

export interface SipStackStats extends Readonly<SipStackCounters> {
  readonly serverTransactions: number;
  readonly clientTransactions: number;
  readonly connections: number;
}

interface TransportRecord {
  readonly transport: Transport;
  readonly config: SipTransportConfig;
  /** `SIP/2.0/UDP 192.0.2.1:5060;rport;branch=` : a new branch is appended per request. */
  readonly viaPrefix: string;
  readonly v6: boolean;
}

const NULL_LOGGER: Logger = {
  error: () => {},
  warning: () => {},
  notice: () => {},
  verbose: () => {},
  debug: () => {},
  child: () => NULL_LOGGER,
};

const DEFAULT_IDLE_TIMEOUT_MS = 600000;
const DEFAULT_MAX_CONNECTIONS = 10000;
const DEFAULT_MAX_WRITE_QUEUE = 1 << 20;

/** The flow a response or an in-dialog request to this source should take. */
export function targetFromSource(source: SourceInfo): RequestTarget {
  return {
    protocol: source.protocol,
    transport: source.transport,
    host: source.remoteAddress,
    port: source.remotePort,
    connectionId: source.connectionId,
  };
}

/** An address other hosts can reach us at when bound to a wildcard (Via sent-by must be concrete). */
function concreteAddress(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  const v6 = bound === '::';
  for (const list of Object.values(os.networkInterfaces())) {
    for (const ni of list ?? []) {
      if (!ni.internal && (ni.family === 'IPv6') === v6 && !(v6 && ni.address.startsWith('fe80'))) return ni.address;
    }
  }
  return v6 ? '::1' : '127.0.0.1';
}

function unbracket(host: string): string {
  return host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d ? host.slice(1, -1) : host;
}

export class SipStack implements TransactionHost {
  /** New requests (not retransmissions, not ACK/CANCEL): answer through tx.respond / tx.reply. */
  onRequest: RequestHandler | null = null;
  /** ACKs outside a transaction: the ACK for a 2xx (RFC 3261 13.3.1.4 / 17.1.1.3). */
  onAck: ((ack: SipRequest, source: SourceInfo) => void) | null = null;
  /**
   * A CANCEL matched an INVITE still unanswered; the stack has replied 200 to the CANCEL and
   * replies 487 to the INVITE after this returns unless the handler answered it.
   */
  onCancel: ((invite: ServerTransaction, cancel: SipRequest, source: SourceInfo) => void) | null = null;
  /** A response matching no client transaction (e.g. a 2xx retransmitted after Timer M). */
  onStrayResponse: ((response: SipResponse, source: SourceInfo) => void) | null = null;
  /** A stream connection closed (the TU may drop subscriptions bound to it). */
  onConnectionClosed: ((transport: string, connectionId: number, remoteAddress: string, remotePort: number) => void) | null = null;
  /** Every message in and out (`pjsip set logger on`); `peer` describes the far end. */
  onMessage: MessageLogger | null = null;

  readonly clock: Clock;
  /** @internal TransactionHost: transaction timers, one FIFO per duration over `clock`. */
  readonly timerQueues: TimerQueues;
  readonly timers: TimerValues;
  readonly limits: Readonly<SipLimits>;
  readonly counters: SipStackCounters = {
    received: 0,
    sent: 0,
    requestsReceived: 0,
    responsesReceived: 0,
    parseErrorsAnswered: 0,
    parseErrorsDropped: 0,
    oversizeDropped: 0,
    keepAlives: 0,
    framingErrors: 0,
    connectionsRefused: 0,
    idleTimeouts: 0,
    upgradesRefused: 0,
    strayAcks: 0,
    retransmissionsSent: 0,
    retransmissionsAbsorbed: 0,
    responsesAbsorbed: 0,
    timeouts: 0,
    transportErrors: 0,
    strayResponses: 0,
  };

  private readonly log: Logger;
  private readonly parseLimits: Partial<SipLimits> | undefined;
  private readonly layer: TransactionLayer;
  private readonly records = new Map<string, TransportRecord>();
  private readonly listener: TransportListener;
  private closed = false;

  constructor(opts: SipStackOptions = {}) {
    this.log = opts.logger ?? NULL_LOGGER;
    this.clock = opts.clock ?? systemClock;
    this.timerQueues = new TimerQueues(this.clock);
    this.timers = { ...DEFAULT_TIMER_VALUES, ...opts.timers };
    this.limits = { ...DEFAULT_SIP_LIMITS, ...opts.limits };
    // undefined lets the parser use its frozen defaults without merging per message.
    this.parseLimits = opts.limits === undefined ? undefined : this.limits;
    this.layer = new TransactionLayer(this);
    this.listener = {
      onMessage: (buf, source) => this.receive(buf, source),
      onTransportEvent: (ev) => this.transportEvent(ev),
      onConnectionClosed: (transport, id, address, port) => {
        this.layer.connectionClosed(transport, id);
        const cb = this.onConnectionClosed;
        if (cb !== null) {
          try {
            cb(transport.name, id, address, port);
          } catch (e) {
            this.tuError('onConnectionClosed', e);
          }
        }
      },
    };
  }

  get stats(): SipStackStats {
    let connections = 0;
    for (const r of this.records.values()) connections += r.transport.connectionCount;
    return {
      ...this.counters,
      serverTransactions: this.layer.serverCount,
      clientTransactions: this.layer.clientCount,
      connections,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Transports

  /** Create, bind and start a transport; logs `Transport 'name' bound to UDP addr:port`. */
  async addTransport(config: SipTransportConfig): Promise<TransportInfo> {
    if (this.closed) throw new TstError('TST_ERR_SIP_TRANSPORT', 'SIP stack is closed');
    if (this.records.has(config.name)) {
      throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${config.name}' already exists`);
    }
    if (!TRANSPORT_PROTOCOLS.includes(config.protocol)) {
      throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${config.name}': unsupported protocol '${String(config.protocol)}'`);
    }
    const bind = parseBindAddress(config.bind, config.protocol);
    const transport = this.createTransport(config, bind.host, bind.port);
    const bound: BoundAddress = await transport.listen();
    if (this.records.has(config.name) || this.closed) {
      await transport.close();
      throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${config.name}' was added twice or the stack closed`);
    }
    const sentBy = formatHostPort(concreteAddress(bound.address), bound.port);
    this.records.set(config.name, {
      transport,
      config,
      viaPrefix: `SIP/2.0/${VIA_TRANSPORT[config.protocol]} ${sentBy};rport;branch=`,
      v6: bound.address.indexOf(':') !== -1,
    });
    this.log.verbose(`Transport '${config.name}' bound to ${VIA_TRANSPORT[config.protocol]} ${formatHostPort(bound.address, bound.port)}`);
    return { name: config.name, protocol: config.protocol, address: bound.address, port: bound.port };
  }

  private createTransport(config: SipTransportConfig, host: string, port: number): Transport {
    const base = { name: config.name, host, port, limits: this.limits, listener: this.listener };
    if (config.protocol === 'udp') {
      return new UdpTransport({
        ...base,
        ...(config.recvBufferSize !== undefined ? { recvBufferSize: config.recvBufferSize } : {}),
        ...(config.sendBufferSize !== undefined ? { sendBufferSize: config.sendBufferSize } : {}),
        ...(config.maxSendQueue !== undefined ? { maxSendQueue: config.maxSendQueue } : {}),
      });
    }
    const stream = {
      ...base,
      idleTimeoutMs: config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxConnections: config.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxWriteQueue: config.maxWriteQueue ?? DEFAULT_MAX_WRITE_QUEUE,
    };
    const tls = {
      ...(config.cert_file !== undefined ? { certFile: config.cert_file } : {}),
      ...(config.priv_key_file !== undefined ? { privKeyFile: config.priv_key_file } : {}),
      ...(config.ca_list_file !== undefined ? { caListFile: config.ca_list_file } : {}),
      verifyClient: config.verify_client === true,
      verifyServer: config.verify_server === true,
    };
    switch (config.protocol) {
      case 'tcp':
        return new TcpTransport(stream);
      case 'tls':
        return new TlsTransport({ ...stream, tls });
      case 'ws':
        return new WsTransport({ ...stream, secure: false });
      case 'wss':
        return new WsTransport({ ...stream, secure: true, tls });
    }
  }

  /** Stop and forget a transport; transactions still using it fail with a transport error. */
  async removeTransport(name: string): Promise<void> {
    const rec = this.records.get(name);
    if (rec === undefined) throw new TstError('TST_ERR_SIP_TRANSPORT', `No transport '${name}'`);
    this.records.delete(name);
    await rec.transport.close();
    this.log.verbose(`Transport '${name}' closed`);
  }

  getTransport(name: string): Transport | undefined {
    return this.records.get(name)?.transport;
  }

  listTransports(): TransportInfo[] {
    return [...this.records.values()].map((r) => ({
      name: r.config.name,
      protocol: r.config.protocol,
      address: r.transport.local.address,
      port: r.transport.local.port,
    }));
  }

  /** True while a stream connection (from SourceInfo.connectionId) is open. */
  hasConnection(transport: string, connectionId: number): boolean {
    return this.records.get(transport)?.transport.hasConnection(connectionId) ?? false;
  }

  /** Close a stream connection (no effect on UDP or an unknown id). */
  closeConnection(transport: string, connectionId: number): void {
    this.records.get(transport)?.transport.closeConnection(connectionId);
  }

  /** Resolve a URI for sendRequest (see resolve-target.ts). */
  resolveTarget(uri: string, transportHint?: TransportProtocol): Promise<ResolvedTarget> {
    return resolveTarget(uri, transportHint);
  }

  /**
   * Target of an in-dialog request (a NOTIFY to a subscriber): over the peer's own connection
   * while it is open (`flow` = the SourceInfo of the dialog-creating request), since a phone
   * behind NAT or a WebSocket client (`.invalid` Contact) is reachable no other way; otherwise
   * the Contact URI, resolved with the flow's protocol as the hint (a new TCP/TLS connection
   * is opened to it). Rejects when neither works.
   */
  async targetFor(uri: string, flow?: SourceInfo): Promise<RequestTarget> {
    if (flow !== undefined && flow.connectionId !== 0 && this.hasConnection(flow.transport, flow.connectionId)) {
      return targetFromSource(flow);
    }
    return resolveTarget(uri, flow?.protocol);
  }

  private pick(target: RequestTarget): TransportRecord {
    if (target.transport !== undefined) {
      const rec = this.records.get(target.transport);
      if (rec === undefined) throw new TstError('TST_ERR_SIP_TRANSPORT', `No transport '${target.transport}'`);
      return rec;
    }
    const protocol = target.protocol ?? 'udp';
    const v6 = target.host.indexOf(':') !== -1;
    for (const rec of this.records.values()) {
      if (rec.config.protocol === protocol && rec.v6 === v6) return rec;
    }
    throw new TstError(
      'TST_ERR_SIP_TRANSPORT',
      `No ${protocol.toUpperCase()} transport for ${formatHostPort(target.host, target.port)}`,
    );
  }

  private flowOf(rec: TransportRecord, target: RequestTarget): Flow {
    return {
      transport: rec.transport,
      host: unbracket(target.host),
      port: target.port,
      ...(target.connectionId !== undefined ? { connectionId: target.connectionId } : {}),
      ...(target.serverName !== undefined ? { serverName: target.serverName } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /**
   * Send a request in a new client transaction. The stack sets the Via (ours only, fresh
   * branch, `rport`) and Max-Forwards when absent; Content-Length comes from the serializer.
   * Throws TST_ERR_SIP_TRANSPORT when no transport fits the target; network failures come back
   * as a synthesized 503 through the handlers.
   */
  sendRequest(req: SipRequest, target: RequestTarget, handlers: ClientTransactionHandlers): ClientTransaction {
    const rec = this.pick(target);
    this.stampOutgoing(req, rec);
    return this.layer.sendRequest(req, this.flowOf(rec, target), handlers);
  }

  /**
   * Send without a transaction: an ACK for a 2xx (given a fresh Via like any request we send),
   * a response outside a transaction (2xx retransmission by a dialog), or anything else the TU
   * takes care of itself.
   */
  sendStateless(msg: SipMessage, target: RequestTarget, onError?: SendErrorCallback): void {
    const rec = this.pick(target);
    if (msg.kind === 'request') this.stampOutgoing(msg, rec);
    this.transmit(serializeMessage(msg), this.flowOf(rec, target), onError);
  }

  /** CANCEL an INVITE client transaction (RFC 3261 9.1; see ClientTransaction.cancel). */
  cancel(tx: ClientTransaction, handlers?: ClientTransactionHandlers): void {
    tx.cancel(handlers);
  }

  private stampOutgoing(req: SipRequest, rec: TransportRecord): void {
    req.setHeader('Via', rec.viaPrefix + generateBranch());
    if (!req.hasHeader('Max-Forwards')) req.addHeader('Max-Forwards', '70');
  }

  /** @internal TransactionHost: every byte the stack sends goes through here. */
  transmit(buf: Buffer, flow: Flow, onError?: SendErrorCallback): void {
    this.counters.sent++;
    const logger = this.onMessage;
    if (logger !== null) {
      const t = flow.transport;
      try {
        logger('out', buf, {
          protocol: t.protocol,
          transport: t.name,
          localAddress: t.local.address,
          localPort: t.local.port,
          remoteAddress: flow.host,
          remotePort: flow.port,
          connectionId: flow.connectionId ?? 0,
        });
      } catch (e) {
        this.tuError('onMessage', e);
      }
    }
    flow.transport.send(buf, flow, onError);
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  private receive(buf: Buffer, source: SourceInfo): void {
    if (this.closed) return;
    const logger = this.onMessage;
    if (logger !== null) {
      try {
        logger('in', buf, source);
      } catch (e) {
        this.tuError('onMessage', e);
      }
    }
    if (buf.length > this.limits.maxMessageSize) {
      this.counters.oversizeDropped++;
      this.log.warning(`Dropped ${buf.length} bytes packet from ${describe(source)}: Message Too Large`);
      return;
    }
    if (isKeepAlive(buf)) {
      this.counters.keepAlives++;
      return;
    }
    this.counters.received++;
    const r = parseMessage(buf, this.parseLimits);
    if (!r.ok) {
      this.malformed(r, buf.length, source);
      return;
    }
    const msg = r.message;
    try {
      if (msg.kind === 'request') {
        this.counters.requestsReceived++;
        stampVia(msg, source);
        this.layer.receiveRequest(msg, source);
      } else {
        this.counters.responsesReceived++;
        this.layer.receiveResponse(msg, source);
      }
    } catch (e) {
      this.log.error(`Error handling ${msg.kind} from ${describe(source)}: ${errorMessage(e)}`);
    }
  }

  /** A message the parser refused: answer it when it is a request we can answer, else drop it. */
  private malformed(r: ParseFailure, length: number, source: SourceInfo): void {
    const partial = r.partial;
    if (r.canRespond && partial !== undefined && partial.method !== 'ACK') {
      stampVia(partial, source);
      const res = buildResponse(partial, r.status, r.error);
      if (this.records.has(source.transport)) this.transmit(serializeMessage(res), this.responseFlow(partial, source));
      this.counters.parseErrorsAnswered++;
      this.log.warning(`Error processing ${length} bytes packet from ${describe(source)}: ${r.error} (answered ${r.status})`);
      return;
    }
    this.counters.parseErrorsDropped++;
    this.log.warning(`Error processing ${length} bytes packet from ${describe(source)}: ${r.error} (dropped)`);
  }

  private transportEvent(ev: TransportEvent): void {
    switch (ev.type) {
      case 'framing-error':
        this.counters.framingErrors++;
        this.log.warning(`Transport '${ev.transport}': closing connection from ${ev.remote}: ${ev.error}${ev.answered ? ' (answered)' : ''}`);
        return;
      case 'keep-alive':
        this.counters.keepAlives++;
        return;
      case 'connection-refused':
        this.counters.connectionsRefused++;
        this.log.warning(`Transport '${ev.transport}': refused connection from ${ev.remote}: ${ev.reason}`);
        return;
      case 'idle-timeout':
        this.counters.idleTimeouts++;
        this.log.debug(`Transport '${ev.transport}': closing idle connection ${ev.remote}`);
        return;
      case 'upgrade-refused':
        this.counters.upgradesRefused++;
        this.log.warning(`Transport '${ev.transport}': refused WebSocket upgrade from ${ev.remote}: ${ev.reason}`);
        return;
      case 'error':
        this.log.debug(`Transport '${ev.transport}'${ev.remote ? ` ${ev.remote}` : ''}: ${ev.error}`);
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // TransactionHost

  /**
   * @internal RFC 3261 18.2.2 / RFC 3581: over the connection the request came on (or, if it
   * is gone, a new one to the received address and the sent-by port); over UDP to the source
   * address and, when rport was asked for, the source port, else the sent-by port.
   */
  responseFlow(req: SipRequest, source: SourceInfo): Flow {
    const rec = this.records.get(source.transport);
    if (rec === undefined) throw new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${source.transport}' is gone`);
    const via = req.topVia;
    if (rec.transport.reliable) {
      return { transport: rec.transport, host: source.remoteAddress, port: via.port ?? defaultPort(source.protocol), connectionId: source.connectionId };
    }
    const port = typeof via.rport === 'number' ? via.rport : via.port ?? defaultPort(source.protocol);
    return { transport: rec.transport, host: source.remoteAddress, port };
  }

  /** @internal */
  newRequest(req: SipRequest, tx: ServerTransaction, source: SourceInfo): void {
    const handler = this.onRequest;
    if (handler === null) {
      tx.reply(501, 'Not Implemented');
      return;
    }
    try {
      handler(req, tx, source);
    } catch (e) {
      this.tuError(`onRequest(${req.method})`, e);
      if (!tx.answered && tx.request !== null) {
        try {
          tx.reply(500, 'Server Internal Error');
        } catch {
          // the transaction ended meanwhile
        }
      }
    }
  }

  /** @internal */
  strayAck(ack: SipRequest, source: SourceInfo): void {
    const handler = this.onAck;
    if (handler === null) {
      this.counters.strayAcks++;
      return;
    }
    try {
      handler(ack, source);
    } catch (e) {
      this.tuError('onAck', e);
    }
  }

  /** @internal */
  cancelled(invite: ServerTransaction, cancel: SipRequest, source: SourceInfo): void {
    const handler = this.onCancel;
    if (handler === null) return;
    try {
      handler(invite, cancel, source);
    } catch (e) {
      this.tuError('onCancel', e);
    }
  }

  /** @internal */
  strayResponse(res: SipResponse, source: SourceInfo): void {
    const handler = this.onStrayResponse;
    if (handler === null) {
      this.log.debug(`Dropped ${res.status} ${res.cseq.method} response from ${describe(source)}: no matching transaction`);
      return;
    }
    try {
      handler(res, source);
    } catch (e) {
      this.tuError('onStrayResponse', e);
    }
  }

  /** @internal */
  tuError(where: string, err: unknown): void {
    this.log.error(`SIP ${where} handler failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }

  /** Stop every transport and drop every transaction (no callbacks). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.layer.clear();
    this.timerQueues.clear();
    const recs = [...this.records.values()];
    this.records.clear();
    await Promise.all(recs.map((r) => r.transport.close()));
  }
}

function describe(source: SourceInfo): string {
  return `${VIA_TRANSPORT[source.protocol]} ${formatHostPort(source.remoteAddress, source.remotePort)}`;
}

/**
 * RFC 3261 18.2.1 and RFC 3581 4: add `received` when the top Via's sent-by host is not the
 * address the request came from (always when `rport` is asked for), and fill in `rport` with
 * the source port. Only the top Via changes; its raw value and the cached parse both do.
 */
export function stampVia(req: SipRequest, source: SourceInfo): void {
  const via = req.topVia;
  const address = source.remoteAddress;
  const wantsRport = via.rport === true;
  if (!wantsRport && unbracket(via.host) === address) return;
  const params = new Map(via.params);
  params.set('received', address);
  if (wantsRport) params.set('rport', String(source.remotePort));
  const stamped: Via = {
    ...via,
    params,
    received: address,
    rport: wantsRport ? source.remotePort : via.rport,
  };
  const keys = req._keys;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === 'Via') {
      req._values[i] = formatVia({ protocol: via.protocol, transport: via.transport, host: formatHost(via.host), port: via.port, params });
      break;
    }
  }
  const vias = req.vias.slice();
  vias[0] = stamped;
  req._setParsed(req.callId, req.cseq, req.from, req.to, vias);
}
