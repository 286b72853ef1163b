/**
 * Converters for the pjsip.conf options whose values are not plain strings, numbers, booleans
 * or lists: the custom handlers of res/res_pjsip/*.c and res_pjsip_endpoint_identifier_ip.c
 * (bind addresses, ACL entries, ToS names, contact URIs, password digests, digest algorithm
 * lists, yes/no-or-keyword options). Each returns the typed value or throws a message.
 *
 * Also the type-level mapping from an option table to the converted object's fields, so the
 * exported object interfaces cannot drift from the tables.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseList } from '../../core/registry/sorcery-options.js';
import { parseUri } from '../../core/sip/uri.js';
import { DIGEST_HEX_LENGTH, toDigestAlgorithm, type DigestAlgorithm, type PasswordDigests } from '../../core/sip/digest.js';

// ---------------------------------------------------------------------------------------------
// Types derived from option tables

type KindValue<S> = S extends { convert: (raw: string) => infer R }
  ? R
  : S extends { kind: 'bool' }
    ? boolean
    : S extends { kind: 'uint' | 'int' | 'float' }
      ? number
      : S extends { kind: 'list' }
        ? string[]
        : S extends { kind: 'enum'; values: ReadonlyArray<infer V> }
          ? V
          : S extends { kind: 'regex' }
            ? RegExp
            : string;

/** Repeated options accumulate; a converter returning an array is spread into the accumulation. */
type FieldValue<S> = S extends { multiple: true }
  ? KindValue<S> extends ReadonlyArray<infer E>
    ? E[]
    : Array<KindValue<S>>
  : KindValue<S>;

type WithDefault<O> = { [K in keyof O]: O[K] extends { default: unknown } ? K : never }[keyof O];
type WithoutDefault<O> = Exclude<keyof O, WithDefault<O>>;

/** The converted fields of an object type: options with a default are always present. */
export type OptionValues<O extends Record<string, OptionSpec>> = { -readonly [K in WithDefault<O>]: FieldValue<O[K]> } & {
  -readonly [K in WithoutDefault<O>]?: FieldValue<O[K]>;
};

// ---------------------------------------------------------------------------------------------
// yes/no or a keyword

const TRUE = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const FALSE = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/**
 * Options such as `100rel` and `timers`: an ast_true value is `yes`, an ast_false one `no`,
 * otherwise one of `keywords` (case-insensitive); `aliases` maps synonyms (`forced` → `always`).
 */
export function yesNoOr<V extends string>(
  keywords: readonly V[],
  aliases: Readonly<Record<string, V>> = {},
): (raw: string) => 'yes' | 'no' | V {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if (TRUE.has(v)) return 'yes';
    if (FALSE.has(v)) return 'no';
    const alias = aliases[v];
    if (alias !== undefined) return alias;
    const hit = keywords.find((k) => k.toLowerCase() === v);
    if (hit === undefined) throw new Error(`'${raw}' is not yes, no or one of ${keywords.join(', ')}`);
    return hit;
  };
}

/** An enum compared case-sensitively, as handlers using strcmp do (t38_udptl_ec). */
export function exactEnum<V extends string>(values: readonly V[]): (raw: string) => V {
  return (raw) => {
    const hit = values.find((v) => v === raw.trim());
    if (hit === undefined) throw new Error(`'${raw}' is not one of ${values.join(', ')}`);
    return hit;
  };
}

/** A comma list whose items each must be one of `values` (case-insensitive); duplicates dropped, order kept. */
export function enumList<V extends string>(values: readonly V[]): (raw: string) => V[] {
  return (raw) => {
    const out: V[] = [];
    for (const item of parseList(raw)) {
      const hit = values.find((v) => v.toLowerCase() === item.toLowerCase());
      if (hit === undefined) throw new Error(`'${item}' is not one of ${values.join(', ')}`);
      if (!out.includes(hit)) out.push(hit);
    }
    return out;
  };
}

/** An unsigned integer within [min, max] (PARSE_IN_RANGE options). */
export function uintInRange(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const v = raw.trim();
    if (!/^\d+$/.test(v)) throw new Error(`'${raw}' is not an unsigned integer`);
    const n = Number(v);
    if (n < min || n > max) throw new Error(`'${raw}' is not within ${min}..${max}`);
    return n;
  };
}

/** dtls_verify: yes/no, or `fingerprint` / `certificate` to verify only that part. */
export const parseDtlsVerify = yesNoOr(['fingerprint', 'certificate'] as const);

// ---------------------------------------------------------------------------------------------
// ToS (ast_str2tos in main/acl.c)

const DSCP: Readonly<Record<string, number>> = {
  CS0: 0x00, CS1: 0x08, CS2: 0x10, CS3: 0x18, CS4: 0x20, CS5: 0x28, CS6: 0x30, CS7: 0x38,
  AF11: 0x0a, AF12: 0x0c, AF13: 0x0e, AF21: 0x12, AF22: 0x14, AF23: 0x16,
  AF31: 0x1a, AF32: 0x1c, AF33: 0x1e, AF41: 0x22, AF42: 0x24, AF43: 0x26, EF: 0x2e,
};

/** A ToS byte: a number (decimal, 0x hex or 0 octal, as `%i`) or a DSCP name, which is shifted into place. */
export function parseTos(raw: string): number {
  const v = raw.trim();
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(v)) return parseInt(v, 16) & 0xff;
  if (/^[-+]?0[0-7]+$/.test(v)) return parseInt(v, 8) & 0xff;
  if (/^[-+]?\d+$/.test(v)) return Number(v) & 0xff;
  const dscp = DSCP[v.toUpperCase()];
  if (dscp === undefined) throw new Error(`'${raw}' is not a ToS value (a number or CS0-CS7, AF11-AF43, EF)`);
  return dscp << 2;
}

/** Transport tos: bits below the DSCP field are dropped (Asterisk warns and uses the equivalent). */
export function parseTransportTos(raw: string): number {
  const v = parseTos(raw);
  return v - (v % 4);
}

// ---------------------------------------------------------------------------------------------
// Addresses

export type AddressFamily = 'ipv4' | 'ipv6';

function bracketless(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function parsePort(s: string, what: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new Error(`'${s}' is not a port in ${what}`);
  return Number(s);
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const DOTTED_NUMBERS = /^[\d.]+$/;

/** A host name a resolver could look up; all-numeric dotted strings must be valid IPv4 instead. */
export function isHostName(s: string): boolean {
  return HOSTNAME.test(s) && !DOTTED_NUMBERS.test(s);
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
export function splitHostPort(raw: string, what: string): { host: string; port?: number } {
  const s = raw.trim();
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1) throw new Error(`'${raw}' has an unclosed '[' in ${what}`);
    const host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest === '') return { host };
    if (!rest.startsWith(':')) throw new Error(`'${raw}' has junk after ']' in ${what}`);
    return { host, port: parsePort(rest.slice(1), what) };
  }
  if (isIPv6(s)) return { host: s };
  const colon = s.lastIndexOf(':');
  if (colon === -1) return { host: s };
  return { host: s.slice(0, colon), port: parsePort(s.slice(colon + 1), what) };
}

export interface BindAddress {
  /** IP literal without brackets, or a host name (pjproject resolves those at bind time). */
  host: string;
  family: AddressFamily | 'hostname';
  /** Absent when not written: 5060, or 5061 for TLS (see transportBindPort). */
  port?: number;
}

/** transport `bind`: `addr[:port]`, `[v6]:port` or a bare IPv6 address (pj_sockaddr_parse). */
export function parseBind(raw: string): BindAddress {
  if (raw.trim() === '') throw new Error('bind address is empty');
  const { host, port } = splitHostPort(raw, 'bind');
  let family: BindAddress['family'];
  if (isIPv4(host)) family = 'ipv4';
  else if (isIPv6(host)) family = 'ipv6';
  else if (isHostName(host)) family = 'hostname';
  else throw new Error(`'${raw}' is not an IP address or host name`);
  const out: BindAddress = { host, family };
  if (port !== undefined) out.port = port;
  return out;
}

/** One ACL entry of `match=`, `local_net=`, `permit=`/`deny=` after the mask was applied. */
export interface NetworkMatch {
  kind: 'network';
  /** `!` in front: the entry is an exception (ast_append_ha). */
  negate: boolean;
  family: AddressFamily;
  /** Network address (host bits cleared), no brackets. */
  address: string;
  prefix: number;
  /** identify `match` may name a source port. */
  port?: number;
}

/** An identify `match` item that is a host name, resolved when the identify is applied. */
export interface HostMatch {
  kind: 'host';
  host: string;
  port?: number;
}

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function ipv6ToBigInt(a: string): bigint {
  let s = a;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    s = `${s.slice(0, -v4[1]!.length)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigIntToIpv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === -1) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function maskToPrefix(mask: string, family: AddressFamily, raw: string): number {
  if (/^\d{1,3}$/.test(mask)) {
    const p = Number(mask);
    if (p > (family === 'ipv4' ? 32 : 128)) throw new Error(`'${raw}' has a prefix length over ${family === 'ipv4' ? 32 : 128}`);
    return p;
  }
  if (family === 'ipv4' && isIPv4(mask)) {
    const bits = ipv4ToInt(mask).toString(2).padStart(32, '0');
    if (!/^1*0*$/.test(bits)) throw new Error(`'${raw}' has a non-contiguous netmask`);
    return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
  }
  throw new Error(`'${raw}' has a bad netmask '${mask}'`);
}

/** One ACL item: `[!]addr[/mask]` where addr may carry a port (`1.2.3.4:5060`, `[::1]:5060`). */
export function parseNetwork(raw: string, allowPort: boolean): NetworkMatch {
  let s = raw.trim();
  const negate = s.startsWith('!');
  if (negate) s = s.slice(1).trim();
  const slash = s.lastIndexOf('/');
  const addrPart = slash === -1 ? s : s.slice(0, slash);
  const mask = slash === -1 ? undefined : s.slice(slash + 1).trim();
  const { host, port } = splitHostPort(addrPart, 'address');
  if (port !== undefined && !allowPort) throw new Error(`'${raw}' may not carry a port`);
  let family: AddressFamily;
  if (isIPv4(host)) family = 'ipv4';
  else if (isIPv6(host)) family = 'ipv6';
  else throw new Error(`'${raw}' is not an IP address or network`);
  const prefix = mask === undefined ? (family === 'ipv4' ? 32 : 128) : maskToPrefix(mask, family, raw);
  let address: string;
  if (family === 'ipv4') {
    const n = ipv4ToInt(host);
    const size = 2 ** (32 - prefix);
    address = intToIpv4(n - (n % size));
  } else {
    const n = ipv6ToBigInt(bracketless(host));
    const keep = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
    address = bigIntToIpv6(n & keep);
  }
  const out: NetworkMatch = { kind: 'network', negate, family, address, prefix };
  if (port !== undefined) out.port = port;
  return out;
}

/** `local_net` / `permit` / `deny`: a comma list of networks (no ports). */
export function parseNetworkList(raw: string): NetworkMatch[] {
  return parseList(raw).map((item) => parseNetwork(item, false));
}

/**
 * identify `match`: a comma list; an item with a `/` or that is an IP literal is an ACL entry
 * (a bad mask or address is an error), anything else a host name to resolve (as
 * ip_identify_match_handler splits them).
 */
export function parseIdentifyMatch(raw: string): Array<NetworkMatch | HostMatch> {
  return parseList(raw).map((item) => {
    const plain = item.startsWith('!') ? item.slice(1).trim() : item;
    if (plain.includes('/')) return parseNetwork(item, true);
    const { host, port } = splitHostPort(plain, 'match');
    if (isIPv4(host) || isIPv6(host)) return parseNetwork(item, true);
    if (item.startsWith('!') || !isHostName(host)) throw new Error(`'${item}' is not an IP address, network or host name`);
    const m: HostMatch = { kind: 'host', host };
    if (port !== undefined) m.port = port;
    return m;
  });
}

/** Whether an IP address falls in a network entry (what identify-by-ip and local_net need). */
export function networkContains(net: NetworkMatch, ip: string): boolean {
  const host = bracketless(ip.trim());
  if (net.family === 'ipv4') {
    if (!isIPv4(host)) return false;
    const size = 2 ** (32 - net.prefix);
    const n = ipv4ToInt(host);
    return n - (n % size) === ipv4ToInt(net.address);
  }
  if (!isIPv6(host)) return false;
  const keep = net.prefix === 0 ? 0n : ((1n << BigInt(net.prefix)) - 1n) << BigInt(128 - net.prefix);
  return (ipv6ToBigInt(host) & keep) === ipv6ToBigInt(net.address);
}

// ---------------------------------------------------------------------------------------------
// URIs and users

/** pjproject's PJ_MAX_HOSTNAME; ast_sip_validate_uri_length keeps room for `_sips._tcp.` when there is no port. */
const MAX_HOSTNAME = 128;

/** aor `contact`: a comma list of sip:/sips: URIs (ast_sip_validate_uri_length). */
export function parseContactUris(raw: string): string[] {
  return parseList(raw).map((uri) => {
    const u = parseUri(uri);
    if (u === null || (u.scheme !== 'sip' && u.scheme !== 'sips')) throw new Error(`'${uri}' is not a sip: or sips: URI`);
    const limit = u.port === null ? MAX_HOSTNAME - '_sips._tcp.'.length : MAX_HOSTNAME;
    if (u.host.length > limit) throw new Error(`host of '${uri}' is longer than ${limit}`);
    return uri;
  });
}

/** endpoint `from_user`: only URI user characters (from_user_handler). */
export function parseFromUser(raw: string): string {
  const bad = /[^A-Za-z0-9\-._~%!$&'()*+,;=:]/.exec(raw);
  if (bad) throw new Error(`contains invalid character '${bad[0]}'`);
  return raw;
}

/** endpoint `set_var`: `name=value` (an empty value sets nothing). */
export function parseSetVar(raw: string): string {
  if (raw !== '' && !raw.includes('=')) throw new Error(`'${raw}' is not name=value`);
  return raw;
}

const PRESENTATIONS = [
  'allowed_not_screened',
  'allowed_passed_screen',
  'allowed_failed_screen',
  'allowed',
  'prohib_not_screened',
  'prohib_passed_screen',
  'prohib_failed_screen',
  'prohib',
  'unavailable',
] as const;

/** endpoint `callerid_privacy`: a presentation name (ast_parse_caller_presentation) or its number. */
export function parseCallerPresentation(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (/^\d+$/.test(v)) return v;
  const hit = PRESENTATIONS.find((p) => p === v);
  if (hit === undefined) throw new Error(`'${raw}' is not one of ${PRESENTATIONS.join(', ')} or a number`);
  return hit;
}

// ---------------------------------------------------------------------------------------------
// Digest credentials

/** supported_algorithms_uas/uac and default_auth_algorithms_*: IANA names, case-insensitive. */
export function parseAlgorithmList(raw: string): DigestAlgorithm[] {
  const out: DigestAlgorithm[] = [];
  for (const item of parseList(raw)) {
    const a = toDigestAlgorithm(item);
    if (a === null) throw new Error(`unknown digest algorithm '${item}' (MD5, SHA-256, SHA-512-256)`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/**
 * `password_digest` (and `md5_cred`, which Asterisk parses with the same handler):
 * `<algorithm>:<hex H(A1)>[, ...]`, or a bare hex string meaning MD5. Stored lower-case: the
 * hex goes into the response computation as text.
 */
export function parsePasswordDigests(raw: string): PasswordDigests {
  const out: PasswordDigests = {};
  for (const item of parseList(raw)) {
    const colon = item.indexOf(':');
    const name = colon === -1 ? 'MD5' : item.slice(0, colon).trim();
    const hex = (colon === -1 ? item : item.slice(colon + 1)).trim();
    const alg = toDigestAlgorithm(name);
    if (alg === null) throw new Error(`unknown password_digest algorithm '${name}'`);
    if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length !== DIGEST_HEX_LENGTH[alg]) {
      throw new Error(`${alg} digest must be ${DIGEST_HEX_LENGTH[alg]} hex digits`);
    }
    out[alg] = hex.toLowerCase();
  }
  return out;
}
