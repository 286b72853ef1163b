/**
 * Header-name table: canonical (long) names, RFC 3261 7.3.3 compact forms, and which headers
 * may carry comma-separated lists.
 *
 * Every header is stored under a *key*: the canonical name for a known header (so lookups of
 * the common headers compare interned strings), the lower-cased name for an unknown one (header
 * names are case-insensitive, RFC 3261 7.3.1). A canonical name always holds an upper-case
 * letter, so a lower-cased unknown name can never collide with it.
 */

const CANONICAL_NAMES = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact',
  'Content-Disposition', 'Content-Encoding', 'Content-ID', 'Content-Language', 'Content-Length',
  'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'From', 'Identity',
  'Identity-Info', 'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Min-SE',
  'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority', 'Privacy',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route',
  'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition',
  'Require', 'Retry-After', 'Route', 'RSeq', 'Server', 'Service-Route', 'Session-Expires',
  'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported', 'Timestamp', 'To',
  'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
] as const;

/** Compact forms (RFC 3261 7.3.3 plus the ones later RFCs registered), letter -> canonical name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'Call-ID',
  m: 'Contact',
  f: 'From',
  t: 'To',
  v: 'Via',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  e: 'Content-Encoding',
  s: 'Subject',
  o: 'Event',
  u: 'Allow-Events',
  r: 'Refer-To',
  b: 'Referred-By',
  x: 'Session-Expires',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
  y: 'Identity',
  n: 'Identity-Info',
});

/**
 * Headers whose grammar is `#element` (a comma list), so `Via: a, b` means two Via values.
 * Authorization, WWW-Authenticate, Date, Subject, User-Agent etc. are deliberately absent: their
 * commas are part of one value.
 */
const LIST_HEADERS = new Set<string>([
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Error-Info',
  'In-Reply-To', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Proxy-Require', 'Reason',
  'Record-Route', 'Reject-Contact', 'Require', 'Route', 'Service-Route', 'Supported', 'Unsupported',
  'Via', 'Warning',
]);

/**
 * List headers made of short tokens that the serializer writes back as one line
 * (`Allow: INVITE, ACK`); the address-like ones (Via, Contact, Route...) get one line per value,
 * which is how pjsip writes them and keeps each value easy to read in a trace.
 */
const JOINED_ON_OUTPUT = new Set<string>([
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Allow', 'Allow-Events', 'Content-Encoding',
  'Content-Language', 'Proxy-Require', 'Require', 'Supported', 'Unsupported',
]);

/** Any spelling (canonical, lower-case, compact in either case) -> key of a known header. */
const KEY_BY_NAME = new Map<string, string>();
for (const name of CANONICAL_NAMES) {
  KEY_BY_NAME.set(name, name);
  KEY_BY_NAME.set(name.toLowerCase(), name);
}
for (const [letter, name] of Object.entries(COMPACT_FORMS)) {
  KEY_BY_NAME.set(letter, name);
  KEY_BY_NAME.set(letter.toUpperCase(), name);
}

/** Lookup key of a header name: canonical name when known, else the lower-cased name. */
export function headerKey(name: string): string {
  const known = KEY_BY_NAME.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  return KEY_BY_NAME.get(lower) ?? lower;
}

/** Canonical name of a known header in any spelling (compact, any case), else undefined. */
export function knownHeaderKey(name: string): string | undefined {
  return KEY_BY_NAME.get(name) ?? KEY_BY_NAME.get(name.toLowerCase());
}

/**
 * Name to write on the wire: the canonical long form for a known header (compact forms are
 * expanded), otherwise the name exactly as given.
 */
export function canonicalHeaderName(name: string): string {
  return KEY_BY_NAME.get(name) ?? KEY_BY_NAME.get(name.toLowerCase()) ?? name;
}

/** True when the name is a known header (any spelling). */
export function isKnownHeader(name: string): boolean {
  return KEY_BY_NAME.has(name) || KEY_BY_NAME.has(name.toLowerCase());
}

/** True when values of this header key may be comma lists that split into separate values. */
export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}

/** True when the serializer joins consecutive values of this key into one comma line. */
export function isJoinedOnOutput(key: string): boolean {
  return JOINED_ON_OUTPUT.has(key);
}

/**
 * Split a list header value at commas that are outside quoted strings and `<...>`.
 * Empty elements (`a,,b`, a trailing comma) are dropped, as RFC 7230's #rule allows.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let angle = false;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c /* < */) {
      angle = true;
    } else if (c === 0x3e /* > */) {
      angle = false;
    } else if (c === 0x2c /* , */ && !angle) {
      pushTrimmed(out, value, start, i);
      start = i + 1;
    }
  }
  pushTrimmed(out, value, start, n);
  return out;
}

function pushTrimmed(out: string[], s: string, a: number, b: number): void {
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  if (b > a) out.push(s.slice(a, b));
}

/** SP, HT, CR or LF: the white space LWS is made of. */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}
