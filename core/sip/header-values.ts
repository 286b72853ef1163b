/**
 * Parsers (and a few formatters) for header values: name-addr, Via, CSeq, parameters,
 * digest credentials and challenges, Event, Subscription-State, Accept, media types and the
 * integer headers. All of them take one already-split header value, return null when it is
 * malformed, and tolerate the LWS real phones put in odd places.
 */
import type { CSeq, NameAddr, SipParams, Via } from './message.js';
import { parseHostPort } from './uri.js';
import { splitHeaderList } from './headers.js';

// ---------------------------------------------------------------------------------------------
// Character classes

/** token chars of RFC 3261 25.1: alphanum and - . ! % * _ + ` ' ~ */
const TOKEN = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

/** True when the whole string is a non-empty token (e.g. a method name). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function skipWs(s: string, i: number, end: number): number {
  while (i < end && isWs(s.charCodeAt(i))) i++;
  return i;
}

function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return end;
}

/** A parameter value ends at white space, `;`, `,`, or a quote. */
function isParamValueChar(c: number): boolean {
  return !(c <= 0x20 || c === 0x3b || c === 0x2c || c === 0x22 || c === 0x7f);
}

// ---------------------------------------------------------------------------------------------
// Quoted strings and parameters

/** Index of the closing quote of the quoted string opening at `i`, or -1. */
export function findQuoteEnd(s: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c /* \ */) j++;
    else if (c === 0x22) return j;
  }
  return -1;
}

function unescapeRange(s: string, a: number, b: number): string {
  const raw = s.slice(a, b);
  return raw.indexOf('\\') === -1 ? raw : raw.replace(/\\(.)/gs, '$1');
}

/** Remove surrounding quotes and backslash escapes; a value without quotes comes back unchanged. */
export function unquote(value: string): string {
  if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
    return unescapeRange(value, 1, value.length - 1);
  }
  return value;
}

/** Wrap in quotes, escaping `"` and `\`. */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Parse `;name[=value]...` from s[pos, end) into `params`. LWS is allowed around `;` and `=`.
 * Values keep their quotes. Returns false on a syntax error.
 */
export function parseParamsInto(s: string, pos: number, end: number, params: SipParams): boolean {
  let i = pos;
  for (;;) {
    i = skipWs(s, i, end);
    if (i >= end) return true;
    if (s.charCodeAt(i) !== 0x3b /* ; */) return false;
    i = skipWs(s, i + 1, end);
    const ns = i;
    while (i < end && isTokenChar(s.charCodeAt(i))) i++;
    if (i === ns) return false;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i, end);
    if (i < end && s.charCodeAt(i) === 0x3d /* = */) {
      i = skipWs(s, i + 1, end);
      if (i < end && s.charCodeAt(i) === 0x22) {
        const q = findQuoteEnd(s, i, end);
        if (q === -1) return false;
        params.set(name, s.slice(i, q + 1));
        i = q + 1;
      } else {
        const vs = i;
        while (i < end && isParamValueChar(s.charCodeAt(i))) i++;
        params.set(name, s.slice(vs, i));
      }
    } else {
      params.set(name, null);
    }
  }
}

/** Parse a standalone `;a=b;c` string (leading `;` optional). */
export function parseParams(text: string): SipParams | null {
  const params: SipParams = new Map();
  const s = text.trim();
  const src = s.length > 0 && s.charCodeAt(0) !== 0x3b ? `;${s}` : s;
  return parseParamsInto(src, 0, src.length, params) ? params : null;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// name-addr / addr-spec

/** `scheme:` followed by no white space, quotes or angle brackets. */
function looksLikeUri(uri: string): boolean {
  const n = uri.length;
  let i = 0;
  const c0 = uri.charCodeAt(0);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return false;
  for (i = 1; i < n; i++) {
    const c = uri.charCodeAt(i);
    if (c === 0x3a) break;
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) {
      return false;
    }
  }
  if (i >= n - 1) return false;
  for (i++; i < n; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) return false;
  }
  return true;
}

/**
 * name-addr or addr-spec with header parameters: `"Display" <uri>;p=v`, `Display <uri>`,
 * `<uri>;tag=x`, `sip:user@host;tag=x` (in the bare form the parameters belong to the header,
 * RFC 3261 20.10).
 */
export function parseNameAddr(value: string): NameAddr | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  if (i >= n) return null;
  let displayName: string | null = null;
  let uriStart: number;
  let uriEnd: number;
  let paramsStart: number;
  if (s.charCodeAt(i) === 0x22) {
    const q = findQuoteEnd(s, i, n);
    if (q === -1) return null;
    displayName = unescapeRange(s, i + 1, q);
    i = skipWs(s, q + 1, n);
    if (i >= n || s.charCodeAt(i) !== 0x3c) return null;
    const gt = s.indexOf('>', i + 1);
    if (gt === -1) return null;
    uriStart = i + 1;
    uriEnd = gt;
    paramsStart = gt + 1;
  } else {
    let j = i;
    let c = 0;
    for (; j < n; j++) {
      c = s.charCodeAt(j);
      if (c === 0x3c || c === 0x3b || c === 0x22) break;
    }
    if (j < n && c === 0x22) return null;
    if (j < n && c === 0x3c) {
      const de = trimEnd(s, i, j);
      if (de > i) displayName = s.slice(i, de);
      const gt = s.indexOf('>', j + 1);
      if (gt === -1) return null;
      uriStart = j + 1;
      uriEnd = gt;
      paramsStart = gt + 1;
    } else {
      uriStart = i;
      uriEnd = j;
      paramsStart = j;
    }
  }
  uriStart = skipWs(s, uriStart, uriEnd);
  uriEnd = trimEnd(s, uriStart, uriEnd);
  const uri = s.slice(uriStart, uriEnd);
  if (!looksLikeUri(uri)) return null;
  const params: SipParams = new Map();
  if (paramsStart < n && !parseParamsInto(s, paramsStart, n, params)) return null;
  const tag = params.get('tag');
  return { displayName, uri, params, tag: tag === undefined || tag === null ? null : tag };
}

/** A Contact value: `*` (only valid in REGISTER with Expires: 0) or a name-addr. */
export function parseContact(value: string): NameAddr | '*' | null {
  return value.trim() === '*' ? '*' : parseNameAddr(value);
}

/** Write a name-addr: the display name is always quoted, the URI always in angle brackets. */
export function formatNameAddr(na: {
  displayName?: string | null;
  uri: string;
  params?: ReadonlyMap<string, string | null>;
}): string {
  const dn = na.displayName ? `${quote(na.displayName)} ` : '';
  return `${dn}<${na.uri}>${na.params ? formatParams(na.params) : ''}`;
}

/** Same name-addr with a tag parameter added or replaced. */
export function withTag(na: NameAddr, tag: string): NameAddr {
  const params: SipParams = new Map(na.params);
  params.set('tag', tag);
  return { displayName: na.displayName, uri: na.uri, params, tag };
}

// ---------------------------------------------------------------------------------------------
// Via, CSeq, Call-ID

/** `SIP / 2.0 / UDP host[:port] ;params` (LWS allowed around the slashes). */
export function parseVia(value: string): Via | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const p1 = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === p1) return null;
  const pname = s.slice(p1, i);
  i = skipWs(s, i, n);
  if (s.charCodeAt(i) !== 0x2f /* / */) return null;
  i = skipWs(s, i + 1, n);
  const p2 = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === p2) return null;
  const pver = s.slice(p2, i);
  i = skipWs(s, i, n);
  if (s.charCodeAt(i) !== 0x2f) return null;
  i = skipWs(s, i + 1, n);
  const p3 = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === p3) return null;
  const transport = s.slice(p3, i).toUpperCase();
  const ws = i;
  i = skipWs(s, i, n);
  if (i === ws) return null;
  const hp = parseHostPort(s, i, n);
  if (hp === null) return null;
  i = hp.end;
  const params: SipParams = new Map();
  if (i < n && !parseParamsInto(s, i, n, params)) return null;
  let rport: number | true | null = null;
  const rp = params.get('rport');
  if (rp === null) rport = true;
  else if (rp !== undefined) {
    const v = parseUnsigned(rp);
    if (v === null || v > 65535) return null;
    rport = v;
  }
  const protocol = pname === 'SIP' && pver === '2.0' ? 'SIP/2.0' : `${pname}/${pver}`.toUpperCase();
  return {
    protocol,
    transport,
    host: hp.host,
    port: hp.port,
    params,
    branch: params.get('branch') ?? null,
    received: params.get('received') ?? null,
    rport,
  };
}

/** Write a Via value; `rport: true` comes out as a bare `;rport`. */
export function formatVia(via: {
  protocol?: string;
  transport: string;
  host: string;
  port?: number | null;
  params?: ReadonlyMap<string, string | null>;
}): string {
  const hostport = via.port === null || via.port === undefined ? via.host : `${via.host}:${via.port}`;
  return `${via.protocol ?? 'SIP/2.0'}/${via.transport} ${hostport}${via.params ? formatParams(via.params) : ''}`;
}

/** `CSeq: <31-bit number> <method>` (RFC 3261 8.1.1.5). */
export function parseCSeq(value: string): CSeq | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const ds = i;
  let seq = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    i++;
  }
  if (i === ds || i - ds > 10 || seq > 0x7fffffff) return null;
  const ws = i;
  i = skipWs(s, i, n);
  if (i === ws) return null;
  const ms = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ms) return null;
  const method = s.slice(ms, i);
  if (skipWs(s, i, n) !== n) return null;
  return { seq, method };
}

/** Call-ID: `word [@ word]`; we only insist on no white space inside. */
export function parseCallId(value: string): string | null {
  const v = value.trim();
  if (v.length === 0) return null;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return null;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Integers

/** Digits only (surrounding LWS allowed), up to 2^53. */
export function parseUnsigned(value: string): number | null {
  const n = value.length;
  let i = skipWs(value, 0, n);
  const e = trimEnd(value, i, n);
  if (i === e || e - i > 15) return null;
  let v = 0;
  for (; i < e; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/** delta-seconds for Expires / Min-Expires: digits, values above 2^32-1 clamp to it (RFC 3261 25.1). */
export function parseDeltaSeconds(value: string): number | null {
  const v = value.trim();
  if (!/^[0-9]+$/.test(v)) return null;
  const n = v.length > 10 ? Infinity : Number(v);
  return Math.min(n, 0xffffffff);
}

// ---------------------------------------------------------------------------------------------
// Authorization / WWW-Authenticate (RFC 3261 22, RFC 2617)

export interface AuthHeader {
  /** Scheme as written (`Digest`); compare case-insensitively. */
  readonly scheme: string;
  /** auth-params: names lower-cased, values unquoted. */
  readonly params: ReadonlyMap<string, string>;
}

/**
 * `Scheme name=value, name="quoted", ...`. Tolerates double spaces, LWS around `=` and
 * missing commas between params.
 */
export function parseAuthHeader(value: string): AuthHeader | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const ss = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ss) return null;
  const scheme = s.slice(ss, i);
  const params = new Map<string, string>();
  for (;;) {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (!isWs(c) && c !== 0x2c) break;
      i++;
    }
    if (i >= n) break;
    const ns = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    if (i === ns) return null;
    const name = s.slice(ns, i).toLowerCase();
    i = skipWs(s, i, n);
    if (s.charCodeAt(i) !== 0x3d) return null;
    i = skipWs(s, i + 1, n);
    if (s.charCodeAt(i) === 0x22) {
      const q = findQuoteEnd(s, i, n);
      if (q === -1) return null;
      params.set(name, unescapeRange(s, i + 1, q));
      i = q + 1;
    } else {
      const vs = i;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (isWs(c) || c === 0x2c) break;
        i++;
      }
      params.set(name, s.slice(vs, i));
    }
  }
  return { scheme, params };
}

export interface DigestCredentials extends AuthHeader {
  readonly username: string | undefined;
  readonly realm: string | undefined;
  readonly nonce: string | undefined;
  readonly uri: string | undefined;
  readonly response: string | undefined;
  readonly algorithm: string | undefined;
  readonly cnonce: string | undefined;
  readonly opaque: string | undefined;
  readonly qop: string | undefined;
  readonly nc: string | undefined;
}

/** Authorization / Proxy-Authorization with the Digest scheme; null for another scheme or bad syntax. */
export function parseDigestCredentials(value: string): DigestCredentials | null {
  const h = parseAuthHeader(value);
  if (h === null || h.scheme.toLowerCase() !== 'digest') return null;
  const p = h.params;
  return {
    scheme: h.scheme,
    params: p,
    username: p.get('username'),
    realm: p.get('realm'),
    nonce: p.get('nonce'),
    uri: p.get('uri'),
    response: p.get('response'),
    algorithm: p.get('algorithm'),
    cnonce: p.get('cnonce'),
    opaque: p.get('opaque'),
    qop: p.get('qop'),
    nc: p.get('nc'),
  };
}

export interface DigestChallenge extends AuthHeader {
  readonly realm: string | undefined;
  readonly nonce: string | undefined;
  readonly opaque: string | undefined;
  readonly algorithm: string | undefined;
  readonly domain: string | undefined;
  /** qop-options split (`"auth,auth-int"` -> ['auth', 'auth-int']); empty when absent. */
  readonly qop: readonly string[];
  readonly stale: boolean;
}

/** WWW-Authenticate / Proxy-Authenticate with the Digest scheme. */
export function parseDigestChallenge(value: string): DigestChallenge | null {
  const h = parseAuthHeader(value);
  if (h === null || h.scheme.toLowerCase() !== 'digest') return null;
  const p = h.params;
  const qop = p.get('qop');
  return {
    scheme: h.scheme,
    params: p,
    realm: p.get('realm'),
    nonce: p.get('nonce'),
    opaque: p.get('opaque'),
    algorithm: p.get('algorithm'),
    domain: p.get('domain'),
    qop: qop === undefined ? [] : qop.split(',').map((q) => q.trim()).filter((q) => q !== ''),
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
  };
}

/** `Digest realm="r",nonce="n",opaque="o",algorithm=MD5,qop="auth"`: the order Asterisk writes. */
export function formatDigestChallenge(c: {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm?: string;
  qop?: string;
  stale?: boolean;
}): string {
  let out = `Digest realm=${quote(c.realm)},nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) out += `,opaque=${quote(c.opaque)}`;
  if (c.stale) out += ',stale=true';
  if (c.algorithm !== undefined) out += `,algorithm=${c.algorithm}`;
  if (c.qop !== undefined) out += `,qop=${quote(c.qop)}`;
  return out;
}

/** Authorization value; qop, nc and algorithm are tokens (RFC 2617 3.2.2), the rest quoted. */
export function formatDigestCredentials(c: {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
}): string {
  let out = `Digest username=${quote(c.username)},realm=${quote(c.realm)},nonce=${quote(c.nonce)},uri=${quote(c.uri)},response=${quote(c.response)}`;
  if (c.algorithm !== undefined) out += `,algorithm=${c.algorithm}`;
  if (c.cnonce !== undefined) out += `,cnonce=${quote(c.cnonce)}`;
  if (c.opaque !== undefined) out += `,opaque=${quote(c.opaque)}`;
  if (c.qop !== undefined) out += `,qop=${c.qop}`;
  if (c.nc !== undefined) out += `,nc=${c.nc}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Event packages (RFC 6665)

export interface EventHeader {
  /** event-type as written, including any template (`presence.winfo`). */
  readonly package: string;
  readonly id: string | null;
  readonly params: SipParams;
}

export function parseEvent(value: string): EventHeader | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const ps = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ps) return null;
  const pkg = s.slice(ps, i);
  const params: SipParams = new Map();
  if (!parseParamsInto(s, i, n, params)) return null;
  const id = params.get('id');
  return { package: pkg, id: id === undefined || id === null ? null : unquote(id), params };
}

export interface SubscriptionState {
  /** Lower-cased substate: active, pending, terminated (or an extension). */
  readonly state: string;
  readonly reason: string | null;
  readonly expires: number | null;
  readonly retryAfter: number | null;
  readonly params: SipParams;
}

export function parseSubscriptionState(value: string): SubscriptionState | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const ss = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ss) return null;
  const state = s.slice(ss, i).toLowerCase();
  const params: SipParams = new Map();
  if (!parseParamsInto(s, i, n, params)) return null;
  const intParam = (name: string): number | null | false => {
    const v = params.get(name);
    if (v === undefined) return null;
    if (v === null) return false;
    const num = parseDeltaSeconds(v);
    return num === null ? false : num;
  };
  const expires = intParam('expires');
  const retryAfter = intParam('retry-after');
  if (expires === false || retryAfter === false) return null;
  const reason = params.get('reason');
  return { state, reason: reason === undefined || reason === null ? null : reason.toLowerCase(), expires, retryAfter, params };
}

// ---------------------------------------------------------------------------------------------
// Media types and Accept

export interface MediaType {
  /** Lower-cased `type/subtype`. */
  readonly mediaType: string;
  readonly type: string;
  readonly subtype: string;
  /** Names lower-cased; values as written (use unquote() for e.g. a quoted boundary). */
  readonly params: SipParams;
}

/** `type/subtype;params` of Content-Type or one Accept element (`*` wildcards allowed). */
export function parseMediaType(value: string): MediaType | null {
  const s = value;
  const n = s.length;
  let i = skipWs(s, 0, n);
  const ts = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ts) return null;
  const type = s.slice(ts, i).toLowerCase();
  i = skipWs(s, i, n);
  if (s.charCodeAt(i) !== 0x2f) return null;
  i = skipWs(s, i + 1, n);
  const ss = i;
  while (i < n && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ss) return null;
  const subtype = s.slice(ss, i).toLowerCase();
  const params: SipParams = new Map();
  if (!parseParamsInto(s, i, n, params)) return null;
  return { mediaType: `${type}/${subtype}`, type, subtype, params };
}

export interface AcceptEntry extends MediaType {
  /** q-value, 1 when absent. */
  readonly q: number;
}

const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Accept values (the message's getHeaders('Accept') or one raw header value). Returns null
 * when an element or its q-value is malformed; an empty header gives an empty list.
 */
export function parseAccept(values: string | readonly string[]): AcceptEntry[] | null {
  const list = typeof values === 'string' ? splitHeaderList(values) : values.flatMap((v) => splitHeaderList(v));
  const out: AcceptEntry[] = [];
  for (const v of list) {
    const mt = parseMediaType(v);
    if (mt === null) return null;
    let q = 1;
    const qs = mt.params.get('q');
    if (qs !== undefined) {
      if (qs === null || !QVALUE.test(qs)) return null;
      q = Number(qs);
    }
    out.push({ ...mt, q });
  }
  return out;
}
