/**
 * SIP, SIPS (RFC 3261 19.1) and tel (RFC 3966) URIs: parse, format, and the equality rules of
 * RFC 3261 19.1.4 / RFC 3966 4. Messages keep their URIs as strings; this module is called
 * lazily by whoever needs the parts, so the parser's hot path never pays for it.
 */

export type UriScheme = 'sip' | 'sips' | 'tel';

export interface SipUri {
  scheme: UriScheme;
  /** User part as on the wire (still %-escaped); for tel: the telephone number; null when absent. */
  user: string | null;
  password: string | null;
  /** Host as written (IPv6 references keep their brackets); '' for tel. */
  host: string;
  port: number | null;
  /** uri-parameters in order; names lower-cased (they are case-insensitive), values as written, null for a flag. */
  params: Map<string, string | null>;
  /** `?name=value&...` header components, as written. */
  headers: Array<[string, string]>;
}

/** Parse a sip:, sips: or tel: URI. Returns null for anything else or for a malformed one. */
export function parseUri(text: string): SipUri | null {
  const s = text.trim();
  const colon = s.indexOf(':');
  if (colon < 3 || colon > 4) return null;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTel(s, colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') return null;

  let pos = colon + 1;
  let user: string | null = null;
  let password: string | null = null;
  // Per the grammar, '@' can appear nowhere but after the userinfo (params and headers must
  // escape it), while the user part itself may contain ';' and '?' (tel-style users).
  const at = s.indexOf('@', pos);
  if (at !== -1) {
    const userinfo = s.slice(pos, at);
    const pw = userinfo.indexOf(':');
    if (pw === -1) user = userinfo;
    else {
      user = userinfo.slice(0, pw);
      password = userinfo.slice(pw + 1);
    }
    if (user === '' || !validUriChars(userinfo)) return null;
    pos = at + 1;
  }

  const hp = parseHostPort(s, pos, s.length);
  if (hp === null) return null;
  pos = hp.end;
  const params = new Map<string, string | null>();
  const headers: Array<[string, string]> = [];
  if (!parseUriTail(s, pos, params, headers)) return null;
  return { scheme, user, password, host: hp.host, port: hp.port, params, headers };
}

function parseTel(s: string, start: number): SipUri | null {
  const semi = s.indexOf(';', start);
  const number = semi === -1 ? s.slice(start) : s.slice(start, semi);
  if (number === '' || !/^(\+[0-9().-]*[0-9][0-9().-]*|[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*)$/.test(number)) {
    return null;
  }
  const params = new Map<string, string | null>();
  const headers: Array<[string, string]> = [];
  if (semi !== -1 && !parseUriTail(s, semi, params, headers)) return null;
  if (headers.length > 0) return null;
  return { scheme: 'tel', user: number, password: null, host: '', port: null, params, headers };
}

interface HostPort {
  host: string;
  port: number | null;
  end: number;
}

/**
 * host [":" port] starting at `pos`, ending at `;`, `?` or `limit`. Shared with the Via parser
 * (sent-by has the same shape).
 */
export function parseHostPort(s: string, pos: number, limit: number): HostPort | null {
  let i = pos;
  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close === -1 || close >= limit) return null;
    host = s.slice(i, close + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) return null;
    i = close + 1;
  } else {
    while (i < limit) {
      const c = s.charCodeAt(i);
      if (!isHostChar(c)) break;
      i++;
    }
    if (i === pos) return null;
    host = s.slice(pos, i);
  }
  let port: number | null = null;
  if (i < limit && s.charCodeAt(i) === 0x3a /* : */) {
    i++;
    const ps = i;
    let v = 0;
    while (i < limit) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      i++;
    }
    if (i === ps || i - ps > 5 || v > 65535) return null;
    port = v;
  }
  return { host, port, end: i };
}

function isHostChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2e /* . */ || c === 0x2d /* - */ || c === 0x5f /* _ tolerated: seen in real hostnames */
  );
}

/** Characters a URI may hold at all (no white space, quotes, angle brackets or controls). */
function validUriChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) return false;
  }
  return true;
}

/** `;params` then `?headers` from `pos` to the end of `s`. */
function parseUriTail(
  s: string,
  pos: number,
  params: Map<string, string | null>,
  headers: Array<[string, string]>,
): boolean {
  const n = s.length;
  if (pos === n) return true;
  const q = s.indexOf('?', pos);
  const pEnd = q === -1 ? n : q;
  if (!validUriChars(s.slice(pos, n))) return false;
  let i = pos;
  while (i < pEnd) {
    if (s.charCodeAt(i) !== 0x3b /* ; */) return false;
    i++;
    let next = s.indexOf(';', i);
    if (next === -1 || next > pEnd) next = pEnd;
    const eq = s.indexOf('=', i);
    if (eq !== -1 && eq < next) {
      const name = s.slice(i, eq);
      if (name === '') return false;
      params.set(name.toLowerCase(), s.slice(eq + 1, next));
    } else {
      if (next === i) return false;
      params.set(s.slice(i, next).toLowerCase(), null);
    }
    i = next;
  }
  if (q !== -1) {
    for (const part of s.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return false;
      headers.push([part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  return true;
}

/** Write a URI back as text. Parameter names come out lower-case. */
export function formatUri(u: SipUri): string {
  let out = `${u.scheme}:`;
  if (u.scheme === 'tel') {
    out += u.user ?? '';
  } else {
    if (u.user !== null) out += u.password !== null ? `${u.user}:${u.password}@` : `${u.user}@`;
    out += u.host;
    if (u.port !== null) out += `:${u.port}`;
  }
  for (const [k, v] of u.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  if (u.headers.length > 0) out += `?${u.headers.map(([k, v]) => `${k}=${v}`).join('&')}`;
  return out;
}

/** Characters that stay escaped when compared (RFC 3261 19.1.4: all others equal their %HH). */
const RESERVED = new Set([';', '/', '?', ':', '@', '&', '=', '+', '$', ',']);

/** Decode %HH unless it stands for a reserved character; upper-case the hex of the kept ones. */
function normalizeEscapes(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return RESERVED.has(ch) ? `%${hex.toUpperCase()}` : ch;
  });
}

function sameCaseSensitive(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || normalizeEscapes(a) === normalizeEscapes(b);
}

function sameCaseInsensitive(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || normalizeEscapes(a).toLowerCase() === normalizeEscapes(b).toLowerCase();
}

/**
 * Parameters that must appear in both URIs or neither (RFC 3261 19.1.4): user, ttl, method and
 * maddr by name, and transport because "a URI omitting any component with a default value will
 * not match a URI explicitly containing that component" (its `;transport=udp` example).
 */
const MUST_MATCH_PARAMS = new Set(['user', 'ttl', 'method', 'maddr', 'transport']);

/**
 * URI equality per RFC 3261 19.1.4 (sip/sips) and RFC 3966 4 (tel). Strings are parsed first;
 * two strings that do not parse are equal only when identical.
 */
export function uriEquals(a: string | SipUri, b: string | SipUri): boolean {
  const ua = typeof a === 'string' ? parseUri(a) : a;
  const ub = typeof b === 'string' ? parseUri(b) : b;
  if (ua === null || ub === null) return ua === ub && typeof a === 'string' && a === b;
  if (ua.scheme !== ub.scheme) return false;
  if (ua.scheme === 'tel') return telEquals(ua, ub);

  if (!sameCaseSensitive(ua.user, ub.user)) return false;
  if (!sameCaseSensitive(ua.password, ub.password)) return false;
  if (ua.host.toLowerCase() !== ub.host.toLowerCase()) return false;
  if (ua.port !== ub.port) return false;

  for (const [k, v] of ua.params) {
    if (ub.params.has(k)) {
      if (!sameCaseInsensitive(v, ub.params.get(k) ?? null)) return false;
    } else if (MUST_MATCH_PARAMS.has(k)) {
      return false;
    }
  }
  for (const k of ub.params.keys()) {
    if (!ua.params.has(k) && MUST_MATCH_PARAMS.has(k)) return false;
  }
  return headersEqual(ua.headers, ub.headers);
}

/** Header components are never ignored: same set, names case-insensitive, values compared unescaped. */
function headersEqual(a: Array<[string, string]>, b: Array<[string, string]>): boolean {
  if (a.length !== b.length) return false;
  const norm = (h: Array<[string, string]>): string[] =>
    h.map(([k, v]) => `${k.toLowerCase()}=${normalizeEscapes(v)}`).sort();
  const na = norm(a);
  const nb = norm(b);
  return na.every((x, i) => x === nb[i]);
}

/** RFC 3966 4: visual separators ignored, parameters in any order, all compared case-insensitively. */
function telEquals(a: SipUri, b: SipUri): boolean {
  const num = (u: SipUri): string => (u.user ?? '').replace(/[-.()]/g, '').toLowerCase();
  if (num(a) !== num(b)) return false;
  if (a.params.size !== b.params.size) return false;
  for (const [k, v] of a.params) {
    if (!b.params.has(k)) return false;
    if (!sameCaseInsensitive(v, b.params.get(k) ?? null)) return false;
  }
  return true;
}
