/**
 * Accept negotiation for SUBSCRIBE. Asterisk compares each Accept value's exact string with the
 * generators (so `application/pidf+xml;q=1` never matches) and ignores q-values; we parse the
 * header properly instead (a documented difference): highest q first, ties in header order,
 * q=0 excluded, parameters ignored, `type/*` and `*\/*` allowed. `multipart/related` and
 * `application/rlmi+xml` are list wrappers, not body types, and are skipped as Asterisk does.
 * No Accept at all means the package default.
 */
import { parseAccept } from '../../core/sip/header-values.js';

/** Bound on entries considered: an Accept with 100 entries costs no more than this. */
export const MAX_ACCEPT_ENTRIES = 32;
const WRAPPERS = new Set(['multipart/related', 'application/rlmi+xml']);

export interface Negotiation {
  mediaType?: string;
  /** Why nothing matched, for the log line. */
  reason?: string;
}

/**
 * Answers remembered per (Accept headers, offered types, default): phones of one model send the
 * same Accept on every SUBSCRIBE, and parsing and ranking it was a visible share of a set-up.
 * Bounded: cleared when full.
 */
const memo = new Map<string, Negotiation>();
const MEMO_MAX = 256;

export function negotiateAccept(acceptHeaders: readonly string[], offered: readonly string[], packageDefault: string): Negotiation {
  const key = `${packageDefault}\n${offered.join(',')}\n${acceptHeaders.join('\n')}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const answer = negotiate(acceptHeaders, offered, packageDefault);
  // Odd, long Accepts (a hundred entries) are answered but not remembered.
  if (key.length > 1024) return answer;
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, answer);
  return answer;
}

function negotiate(acceptHeaders: readonly string[], offered: readonly string[], packageDefault: string): Negotiation {
  if (acceptHeaders.length === 0) return offered.includes(packageDefault) ? { mediaType: packageDefault } : { reason: `no generator for the default ${packageDefault}` };
  const entries = parseAccept(acceptHeaders);
  if (entries === null) return { reason: 'malformed Accept' };
  const ranked = entries
    .slice(0, MAX_ACCEPT_ENTRIES)
    .map((e, i) => ({ type: e.mediaType.toLowerCase(), q: e.q, i }))
    .filter((e) => e.q > 0 && !WRAPPERS.has(e.type))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  if (ranked.length === 0) {
    // Only list wrappers were listed: the package default is what goes inside them.
    const onlyWrappers = entries.every((e) => WRAPPERS.has(e.mediaType.toLowerCase()));
    if (onlyWrappers && offered.includes(packageDefault)) return { mediaType: packageDefault };
    return { reason: 'no acceptable type' };
  }
  for (const e of ranked) {
    if (e.type === '*/*') return offered.includes(packageDefault) ? { mediaType: packageDefault } : { mediaType: offered[0]! };
    if (e.type.endsWith('/*')) {
      const major = e.type.slice(0, -1);
      const hit = offered.find((o) => o.startsWith(major));
      if (hit) return { mediaType: hit };
      continue;
    }
    if (offered.includes(e.type)) return { mediaType: e.type };
  }
  return { reason: `none of ${ranked.map((e) => e.type).join(', ')} is generated` };
}
