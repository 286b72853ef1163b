/**
 * String helpers that reproduce Asterisk's own trimming, so names and values come out exactly as
 * `ast_strip()` leaves them: every byte below 33 (space, tab, CR, other control characters) counts
 * as blank at either end; anything else, quotes included, is kept.
 */

function isBlank(code: number): boolean {
  return code < 33;
}

/** Leading and trailing blanks removed, as `ast_strip()` does. */
export function astStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Trailing blanks removed, as `ast_trim_blanks()` does. */
export function astTrimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && isBlank(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** Leading blanks removed, as `ast_skip_blanks()` does. */
export function astSkipBlanks(s: string): string {
  let start = 0;
  while (start < s.length && isBlank(s.charCodeAt(start))) start++;
  return s.slice(start);
}

/** Case-insensitive equality the way `strcasecmp()` compares ASCII names. */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
