/**
 * A copy of a string that does not share storage with the string it was cut from. Parsed
 * header values are V8 slices of the whole decoded header block; a key kept for Timer J would
 * otherwise pin every request's header text for 32 s. (Concatenation then slice makes V8
 * flatten into a fresh string; plain `slice` would not.)
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
