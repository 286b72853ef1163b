/**
 * pjsip.conf `bind=` values: `addr`, `addr:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address.
 * A missing port takes the protocol's default: 5060 for UDP/TCP, 5061 for TLS, and for WS/WSS
 * the ports Asterisk's HTTP server (which serves SIP over WebSocket there) listens on by
 * default, 8088 and 8089.
 */
import { isIP } from 'node:net';
import { TstError } from '../../errors.js';
import type { TransportProtocol } from './types.js';

export const DEFAULT_BIND_PORT: Readonly<Record<TransportProtocol, number>> = Object.freeze({
  udp: 5060,
  tcp: 5060,
  tls: 5061,
  ws: 8088,
  wss: 8089,
});

export interface BindAddress {
  /** IP address without brackets. */
  readonly host: string;
  readonly port: number;
}

function bad(value: string, why: string): TstError {
  return new TstError('TST_ERR_SIP_TRANSPORT', `Invalid bind address '${value}': ${why}`);
}

function parsePort(value: string, text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(value, 'bad port');
  const port = Number(text);
  if (port > 65535) throw bad(value, 'port out of range');
  return port;
}

export function parseBindAddress(value: string, protocol: TransportProtocol): BindAddress {
  const v = value.trim();
  const defaultPort = DEFAULT_BIND_PORT[protocol];
  if (v === '') return { host: '0.0.0.0', port: defaultPort };
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close === -1) throw bad(value, 'unclosed [');
    const host = v.slice(1, close);
    if (isIP(host) !== 6) throw bad(value, 'not an IPv6 address');
    const rest = v.slice(close + 1);
    if (rest === '') return { host, port: defaultPort };
    if (!rest.startsWith(':')) throw bad(value, 'junk after ]');
    return { host, port: parsePort(value, rest.slice(1)) };
  }
  if (isIP(v) === 6) return { host: v, port: defaultPort };
  const colon = v.lastIndexOf(':');
  const host = colon === -1 ? v : v.slice(0, colon);
  const port = colon === -1 ? defaultPort : parsePort(value, v.slice(colon + 1));
  if (isIP(host) !== 4) throw bad(value, 'not an IP address');
  return { host, port };
}

/** `addr:port` with brackets around IPv6, as written in Via sent-by and log lines. */
export function formatHostPort(host: string, port: number): string {
  return host.indexOf(':') !== -1 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Host as written in a Via or URI: IPv6 in brackets. */
export function formatHost(host: string): string {
  return host.indexOf(':') !== -1 && !host.startsWith('[') ? `[${host}]` : host;
}
