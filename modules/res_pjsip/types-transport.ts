/**
 * `type=transport` of pjsip.conf (res/res_pjsip/config_transport.c). Asterisk checks at load
 * that TLS files are readable; that is left to the transport module, which knows the config
 * directory and owns the sockets. ws/wss transports ride on the HTTP server, but Asterisk still
 * insists on a bind address for them, so we do too.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseBind, parseNetworkList, parseTransportTos, uintInRange, type OptionValues } from './option-parsers.js';

export const TRANSPORT_PROTOCOLS = ['udp', 'tcp', 'tls', 'ws', 'wss', 'flow'] as const;
export type TransportProtocol = (typeof TRANSPORT_PROTOCOLS)[number];

const TLS_METHODS = ['default', 'unspecified', 'tlsv1', 'tlsv1_1', 'tlsv1_2', 'tlsv1_3', 'sslv2', 'sslv3', 'sslv23'] as const;

/** `method`: empty means `default` (transport_tls_method_handler). */
function parseTlsMethod(raw: string): (typeof TLS_METHODS)[number] {
  const v = raw.trim().toLowerCase();
  if (v === '') return 'default';
  const hit = TLS_METHODS.find((m) => m === v);
  if (hit === undefined) throw new Error(`'${raw}' is not one of ${TLS_METHODS.join(', ')}`);
  return hit;
}

const ACTED_ON = {
  protocol: { kind: 'enum', values: TRANSPORT_PROTOCOLS, default: 'udp', description: 'flow: a child transport of a connection, no bind' },
  bind: { kind: 'string', convert: parseBind, description: 'addr[:port], [v6]:port; required except for flow' },
  external_signaling_address: { kind: 'string', default: '', description: 'address put in Via/Contact towards non-local_net peers' },
  external_signaling_port: { kind: 'uint', default: 0, convert: uintInRange(0, 65535), description: '0 = the bound port' },
  external_media_address: { kind: 'string', default: '', description: 'ignored: media' },
  local_net: {
    kind: 'list',
    multiple: true,
    default: [],
    convert: parseNetworkList,
    description: 'networks reached without NAT rewriting; lines accumulate',
  },
  domain: { kind: 'string', default: '', description: 'domain the transport serves' },
  cert_file: { kind: 'string', default: '', description: 'TLS certificate (PEM)' },
  priv_key_file: { kind: 'string', default: '', description: 'TLS private key (PEM)' },
  password: { kind: 'string', default: '', description: 'private key password' },
  ca_list_file: { kind: 'string', default: '', description: 'CA certificates (PEM) to verify peers' },
  ca_list_path: { kind: 'string', default: '', description: 'directory of CA certificates' },
  method: { kind: 'string', default: 'default', convert: parseTlsMethod, description: 'TLS protocol version' },
  cipher: { kind: 'list', default: [], description: 'OpenSSL cipher names' },
  verify_server: { kind: 'bool', default: false, description: 'verify the server certificate when we connect' },
  verify_client: { kind: 'bool', default: false, description: 'ask for and verify client certificates' },
  require_client_cert: { kind: 'bool', default: false, description: 'refuse clients without a certificate' },
  allow_wildcard_certs: { kind: 'bool', default: false, description: 'accept *.domain server certificates' },
  tcp_keepalive_enable: { kind: 'bool', default: false },
  tcp_keepalive_idle_time: { kind: 'int', default: 30 },
  tcp_keepalive_interval_time: { kind: 'int', default: 1 },
  tcp_keepalive_probe_count: { kind: 'int', default: 5 },
  websocket_write_timeout: { kind: 'int', default: 100, schema: { minimum: 1 }, description: 'ms' },
  allow_reload: { kind: 'bool', default: false, description: 'no: bind/protocol/TLS changes need a restart' },
  // tsterisk's own: pjproject fixes these at build time (PJSIP_UDP_SO_RCVBUF_SIZE).
  udp_recv_buffer_size: { kind: 'uint', default: 0, description: 'UDP socket receive buffer (bytes); 0 = the OS default' },
  tcp_idle_timeout: { kind: 'uint', default: 0, description: 'ms before an idle TCP/TLS/WS connection is closed; 0 = the stack default' },
  max_connections: { kind: 'uint', default: 0, description: 'accepted connections at most; 0 = the stack default' },
  symmetric_transport: { kind: 'bool', default: false, description: 'answer over the transport a request came in on' },
  tos: { kind: 'uint', default: 0, convert: parseTransportTos, description: 'DSCP-aligned ToS byte' },
  cos: { kind: 'uint', default: 0 },
} as const satisfies Record<string, OptionSpec>;

const ACCEPTED = {
  async_operations: { kind: 'uint', default: 1, description: 'ignored (Asterisk forces 1)' },
} as const satisfies Record<string, OptionSpec>;

export const TRANSPORT_OPTIONS = { ...ACTED_ON, ...ACCEPTED } as const;

export type TransportObject = SorceryObject & OptionValues<typeof TRANSPORT_OPTIONS>;

/** The port a transport listens on: the written one, else 5061 for TLS and 5060 otherwise. */
export function transportBindPort(t: Pick<TransportObject, 'bind' | 'protocol'>): number {
  return t.bind?.port ?? (t.protocol === 'tls' ? 5061 : 5060);
}

function checkTransport(o: SorceryObject): string | undefined {
  const t = o as TransportObject;
  if (t.protocol !== 'flow' && t.bind === undefined) return 'could not be started as binding not specified';
  if (t.protocol === 'tls' && (t.cert_file === '' || t.priv_key_file === '')) return 'protocol=tls needs cert_file and priv_key_file';
  return undefined;
}

export const TRANSPORT_TYPE: ObjectTypeSpec = {
  type: 'transport',
  file: 'pjsip.conf',
  options: TRANSPORT_OPTIONS,
  check: checkTransport,
};
