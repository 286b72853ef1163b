/**
 * Where to send a request for a SIP URI: a reduced RFC 3263 without NAPTR/SRV (which Asterisk
 * users rarely depend on for presence peers). The protocol comes from `transport=`, else from
 * the caller's hint (the endpoint's transport), else UDP, or TLS for `sips:`; the host from
 * `maddr=` or the host part; the port from the URI or the protocol default (5060, 5061 for
 * TLS/WSS). IP literals are used as they are, `localhost` is 127.0.0.1, and other names go
 * through the system resolver (an A record is preferred over AAAA, since transports are
 * usually bound to IPv4).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TstError } from '../../errors.js';
import { parseUri, type SipUri } from '../uri.js';
import type { SendTarget, TransportProtocol } from './types.js';

export interface ResolvedTarget extends SendTarget {
  readonly protocol: TransportProtocol;
}

export const DEFAULT_SIP_PORT = 5060;
export const DEFAULT_SIPS_PORT = 5061;

export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' || protocol === 'wss' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT;
}

function fail(uri: string, why: string): TstError {
  return new TstError('TST_ERR_SIP_TRANSPORT', `Cannot send to '${uri}': ${why}`);
}

/** Protocol and host/port of a URI, without any name resolution. */
export function targetOfUri(u: SipUri, text: string, transportHint?: TransportProtocol): { protocol: TransportProtocol; host: string; port: number } {
  if (u.scheme === 'tel') throw fail(text, 'a tel: URI has no host');
  const secure = u.scheme === 'sips';
  const param = u.params.get('transport');
  let protocol: TransportProtocol;
  if (param !== undefined && param !== null) {
    const p = param.toLowerCase();
    if (p !== 'udp' && p !== 'tcp' && p !== 'tls' && p !== 'ws' && p !== 'wss') throw fail(text, `unsupported transport '${param}'`);
    protocol = p;
  } else {
    protocol = transportHint ?? 'udp';
  }
  // sips: needs TLS hop by hop (RFC 3261 19.1.2; RFC 7118 for WS).
  if (secure) {
    if (protocol === 'ws') protocol = 'wss';
    else if (protocol !== 'wss') protocol = 'tls';
  }
  const maddr = u.params.get('maddr');
  let host = maddr !== undefined && maddr !== null && maddr !== '' ? maddr : u.host;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { protocol, host, port: u.port ?? defaultPort(protocol) };
}

/** Resolve a URI (string or parsed) to a protocol and an IP address and port. */
export async function resolveTarget(uri: string | SipUri, transportHint?: TransportProtocol): Promise<ResolvedTarget> {
  const text = typeof uri === 'string' ? uri : `${uri.scheme}:${uri.host}`;
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  if (u === null) throw fail(text, 'not a SIP URI');
  const t = targetOfUri(u, text, transportHint);
  if (isIP(t.host) !== 0) return t;
  const lower = t.host.toLowerCase();
  if (lower === 'localhost') return { ...t, host: '127.0.0.1' };
  // RFC 7118 clients put a made-up `.invalid` host in their Contact: reachable only over their connection.
  if (lower.endsWith('.invalid')) throw fail(text, `host '${t.host}' is not resolvable (RFC 7118 .invalid)`);
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await lookup(t.host, { all: true });
  } catch (err) {
    throw new TstError('TST_ERR_SIP_TRANSPORT', `Cannot send to '${text}': cannot resolve '${t.host}'`, { cause: err });
  }
  if (addresses.length === 0) throw fail(text, `no address for '${t.host}'`);
  const pick = addresses.find((a) => a.family === 4) ?? addresses[0];
  return { ...t, host: pick.address, serverName: t.host };
}
