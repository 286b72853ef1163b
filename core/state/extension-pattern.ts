/**
 * Dialplan extension matching as Asterisk's main/pbx.c does it (`_extension_match_core` in
 * E_MATCH mode, `ext_cmp` for ordering), byte for byte on the UTF-8 text like the C code:
 *
 *  - a name not starting with `_` is literal; `-` is ignored on both sides (`555-1234`);
 *  - in a pattern `X` = 0-9, `Z` = 1-9, `N` = 2-9 (either case), `[1-5a]` a set, `.` one or
 *    more of anything, `!` zero or more of anything, `-` and ` ` ignored; other characters
 *    compare exactly (case-sensitively);
 *  - the best pattern is the first in `ext_cmp` order: literal names first, then patterns from
 *    the most specific (smallest character set at the first difference) to the least.
 */

const enc = new TextEncoder();
const DASH = 0x2d;
const SPACE = 0x20;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const SLASH = 0x2f;

export function isPattern(exten: string): boolean {
  return exten.startsWith('_');
}

/** A literal extension without its `-` separators (how literal names compare). */
export function normalizeExten(exten: string): string {
  return isPattern(exten) ? exten : exten.replace(/-/g, '');
}

/** Problem with a pattern's syntax (an unclosed `[`), or undefined when it is usable. */
export function patternSyntaxError(pattern: string): string | undefined {
  if (!isPattern(pattern)) return undefined;
  let i = pattern.indexOf('[');
  while (i >= 0) {
    const end = pattern.indexOf(']', i + 1);
    if (end < 0) return 'Wrong usage of [] in the extension';
    i = pattern.indexOf('[', end + 1);
  }
  return undefined;
}

function indexOfByte(b: Uint8Array, value: number, from: number): number {
  for (let i = from; i < b.length; i++) if (b[i] === value) return i;
  return -1;
}

function cmpLiteral(left: Uint8Array, right: Uint8Array): number {
  let l = 0;
  let r = 0;
  for (;;) {
    while (left[l] === DASH) l++;
    while (right[r] === DASH) r++;
    const a = left[l] ?? 0;
    const b = right[r] ?? 0;
    if (a !== b) return a - b;
    if (a === 0) return 0;
    l++;
    r++;
  }
}

/**
 * ext_cmp_pattern_pos: scores the next position of a pattern (lower = more specific) and
 * fills `bits` with its character set. Returns the score and the next index (-1 at the end).
 */
function patternPos(p: Uint8Array, i: number, bits: Uint8Array): [number, number] {
  for (;;) {
    let c: number;
    do {
      c = i < p.length ? p[i]! : 0;
      i++;
    } while (c === DASH);
    switch (c) {
      case 0x6e: // n
      case 0x4e: // N
        bits[6] = 0x3f;
        bits[7] = 0xc0;
        return [0x0800 | 0x32, i];
      case 0x78: // x
      case 0x58: // X
        bits[6] = 0xff;
        bits[7] = 0xc0;
        return [0x0a00 | 0x30, i];
      case 0x7a: // z
      case 0x5a: // Z
        bits[6] = 0x7f;
        bits[7] = 0xc0;
        return [0x0900 | 0x31, i];
      case 0x2e: // .
        return [0x18000, i];
      case 0x21: // !
        return [0x28000, i];
      case 0:
        return [0x30000, -1];
      case LBRACKET:
        break;
      default:
        bits[c >> 3] = 1 << (7 - (c & 7));
        return [0x0100 | c, i];
    }
    const end = indexOfByte(p, RBRACKET, i);
    if (end < 0) return [0x40000, -1];
    let count = 0;
    let cmin = 0xff;
    for (; i < end; i++) {
      let c1 = p[i]!;
      let c2 = c1;
      if (i + 2 < end && p[i + 1] === DASH) {
        c2 = p[i + 2]!;
        i += 2;
      }
      if (c1 < cmin) cmin = c1;
      for (; c1 <= c2; c1++) {
        const mask = 1 << (7 - (c1 & 7));
        if (!(bits[c1 >> 3]! & mask)) {
          bits[c1 >> 3] |= mask;
          count += 0x100;
        }
      }
    }
    i = end + 1;
    if (count) return [count | cmin, i]; // an empty set is skipped, as in Asterisk
  }
}

/** ext_cmp_pattern on two patterns without their leading `_`. */
function cmpPattern(left: Uint8Array, right: Uint8Array): number {
  let l = 0;
  let r = 0;
  for (;;) {
    const lb = new Uint8Array(32);
    const rb = new Uint8Array(32);
    const [lp, ln] = patternPos(left, l, lb);
    const [rp, rn] = patternPos(right, r, rb);
    let cmp = lp - rp;
    if (!cmp) {
      for (let k = 0; k < 32 && !cmp; k++) cmp = rb[k]! - lb[k]!;
    }
    if (cmp) return cmp;
    if (ln < 0 || rn < 0) return 0;
    l = ln;
    r = rn;
  }
}

/** Asterisk's ast_extension_cmp: <0 when `a` sorts (is tried) before `b`. */
export function extensionCompare(a: string, b: string): number {
  const pa = isPattern(a);
  const pb = isPattern(b);
  if (!pa) return pb ? -1 : Math.sign(cmpLiteral(enc.encode(a), enc.encode(b)));
  if (!pb) return 1;
  return Math.sign(cmpPattern(enc.encode(a.slice(1)), enc.encode(b.slice(1))));
}

/** Asterisk's ast_extension_match(pattern, data): does `data` match `pattern` exactly. */
export function extensionMatch(pattern: string, data: string): boolean {
  if (!isPattern(pattern)) return cmpLiteral(enc.encode(pattern), enc.encode(data)) === 0;
  if (isPattern(data) && cmpPattern(enc.encode(pattern.slice(1)), enc.encode(data.slice(1))) === 0) return true;
  const p = enc.encode(pattern);
  const d = enc.encode(data);
  let pi = 1;
  let di = 0;
  for (;;) {
    while (d[di] === DASH) di++;
    while (p[pi] === DASH) pi++;
    if (di >= d.length || pi >= p.length || p[pi] === SLASH) break;
    const c = d[di]!;
    switch (p[pi]) {
      case LBRACKET: {
        pi++;
        const end = indexOfByte(p, RBRACKET, pi);
        if (end < 0) return false;
        if (pi === end) {
          pi++; // an empty set matches nothing and is skipped
          continue;
        }
        let hit = false;
        for (; pi < end; pi++) {
          if (pi + 2 < end && p[pi + 1] === DASH) {
            if (c >= p[pi]! && c <= p[pi + 2]!) {
              hit = true;
              break;
            }
            pi += 2;
          } else if (c === p[pi]) {
            hit = true;
            break;
          }
        }
        if (!hit) return false;
        pi = end;
        break;
      }
      case 0x6e:
      case 0x4e:
        if (c < 0x32 || c > 0x39) return false;
        break;
      case 0x78:
      case 0x58:
        if (c < 0x30 || c > 0x39) return false;
        break;
      case 0x7a:
      case 0x5a:
        if (c < 0x31 || c > 0x39) return false;
        break;
      case 0x2e: // '.': matches the rest, which is not empty here
      case 0x21: // '!': early match
        return true;
      case SPACE:
        di--; // ignored in patterns
        break;
      default:
        if (c !== p[pi]) return false;
    }
    di++;
    pi++;
  }
  if (di < d.length) return false;
  // Ran off the end of the data: only an ended pattern or a trailing '!' is an exact match.
  return pi >= p.length || p[pi] === SLASH || p[pi] === 0x21;
}
