/**
 * What every SIP transport (UDP, TCP, TLS, WS, WSS) offers the stack, and what the stack hands
 * each one: a listener that receives whole messages together with where they came from.
 */
import type { SipLimits } from '../message.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export const TRANSPORT_PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Via transport token of each protocol (RFC 3261 20.42, RFC 7118 5.1 for WS/WSS). */
export const VIA_TRANSPORT: Readonly<Record<TransportProtocol, string>> = Object.freeze({
  udp: 'UDP',
  tcp: 'TCP',
  tls: 'TLS',
  ws: 'WS',
  wss: 'WSS',
});

/** Protocols where a message is never lost or reordered, so nothing is retransmitted (RFC 3261 17). */
export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** Protocols that open connections (so a peer is also identified by a connection id). */
export function isConnectionOriented(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/**
 * Where a received message came from. Stream transports keep one object per connection and
 * hand the same one with every message of that connection (no allocation per message), so
 * treat it as read-only.
 */
export interface SourceInfo {
  readonly protocol: TransportProtocol;
  /** Name of the local transport (the pjsip.conf section). */
  readonly transport: string;
  readonly localAddress: string;
  readonly localPort: number;
  /** Remote IP address (IPv6 without brackets, IPv4-mapped IPv6 folded to IPv4). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Stream transports: the connection the message arrived on; 0 for UDP. */
  readonly connectionId: number;
}

/** Where a transport should send bytes. */
export interface SendTarget {
  /** IP address (IPv6 without brackets). Transports never resolve names: see resolve-target.ts. */
  readonly host: string;
  readonly port: number;
  /**
   * Stream transports: use this connection when it is still open; otherwise the connection
   * already open to host:port, otherwise a new one (TCP/TLS only: WS/WSS cannot connect out).
   */
  readonly connectionId?: number;
  /** TLS: the name to verify the server certificate against and to send as SNI. */
  readonly serverName?: string;
}

export type SendErrorCallback = (err: Error) => void;

export interface BoundAddress {
  readonly address: string;
  readonly port: number;
}

export interface Transport {
  readonly name: string;
  readonly protocol: TransportProtocol;
  /** True for every protocol but UDP: no retransmissions, Timer J/K/I/D are 0. */
  readonly reliable: boolean;
  /** Address and port actually bound (the real port when 0 was asked); valid after listen(). */
  readonly local: BoundAddress;
  listen(): Promise<BoundAddress>;
  /**
   * Send one complete message. Never throws: a failure (socket closed, connection refused,
   * queue full, no connection to a WS peer) is reported later through `onError`.
   */
  send(buf: Buffer, target: SendTarget, onError?: SendErrorCallback): void;
  /** True when the connection is open (stream transports); UDP answers false. */
  hasConnection(connectionId: number): boolean;
  /** Close one connection now (stream transports; UDP ignores it). */
  closeConnection(connectionId: number): void;
  /** Open connections (0 for UDP). */
  readonly connectionCount: number;
  close(): Promise<void>;
}

/** What the stack gives a transport. Calls come synchronously from socket events. */
export interface TransportListener {
  /** One whole message: a datagram, a framed stream message or a WebSocket message. */
  onMessage(buf: Buffer, source: SourceInfo): void;
  /**
   * A fault that ends a connection or drops bytes before they become a message: a framing
   * error (with `answered` when a 400 went back first), a connection refused because of
   * maxConnections, an idle timeout, a refused WebSocket upgrade. For logging and counters.
   */
  onTransportEvent(event: TransportEvent): void;
  /** A connection closed (any reason); the TU may want to drop state bound to the flow. */
  onConnectionClosed?(transport: Transport, connectionId: number, remoteAddress: string, remotePort: number): void;
}

export type TransportEvent =
  | { readonly type: 'framing-error'; readonly transport: string; readonly remote: string; readonly error: string; readonly answered: boolean }
  | { readonly type: 'keep-alive'; readonly transport: string; readonly remote: string }
  | { readonly type: 'connection-refused'; readonly transport: string; readonly remote: string; readonly reason: string }
  | { readonly type: 'idle-timeout'; readonly transport: string; readonly remote: string }
  | { readonly type: 'upgrade-refused'; readonly transport: string; readonly remote: string; readonly reason: string }
  | { readonly type: 'error'; readonly transport: string; readonly remote: string; readonly error: string };

/** Options every transport constructor takes (filled by the stack from the config object). */
export interface TransportOptions {
  readonly name: string;
  /** Address to bind (IPv6 without brackets; '0.0.0.0' / '::' for all). */
  readonly host: string;
  /** 0 = ephemeral. */
  readonly port: number;
  readonly limits: Readonly<SipLimits>;
  readonly listener: TransportListener;
}

/** Options of the stream transports (TCP, TLS, WS, WSS). */
export interface StreamTransportOptions extends TransportOptions {
  /** Close a connection after this long without bytes in either direction; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Connections (inbound + outbound) above this are refused / not opened. */
  readonly maxConnections: number;
  /** Bytes queued for writing on one connection before it is considered dead and closed. */
  readonly maxWriteQueue: number;
  /**
   * TCP/TLS: a message whose first bytes arrived must be complete within this long, or the
   * connection is closed (a stalled or trickled header block would otherwise pin its buffer
   * until the idle timeout); 0 = no limit. Default DEFAULT_MESSAGE_TIMEOUT_MS.
   */
  readonly messageTimeoutMs?: number;
}

/** 64*T1, the Timer B/F scale: no live peer takes longer to finish writing one message. */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 32000;

export interface TlsFiles {
  readonly certFile?: string;
  readonly privKeyFile?: string;
  readonly caListFile?: string;
  /** Require and verify a client certificate (pjsip.conf `verify_client`). */
  readonly verifyClient?: boolean;
  /** Verify the server certificate on outbound connections (pjsip.conf `verify_server`). */
  readonly verifyServer?: boolean;
}

/** `host:port` key of a remote peer in the connection tables. */
export function peerKey(host: string, port: number): string {
  return `${host}:${port}`;
}

/** Fold `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) to `1.2.3.4`. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.indexOf('.') !== -1 ? address.slice(7) : address;
}
