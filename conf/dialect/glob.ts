/**
 * The small part of glob(3) that `#include` needs. Asterisk expands every include name with
 * `glob(fn, GLOB_NOMAGIC | GLOB_BRACE)`, so:
 * - a name without wildcards comes back unchanged whether or not it exists (GLOB_NOMAGIC); the
 *   caller then finds it missing;
 * - `{a,b}` alternatives are expanded first, each alternative globbed on its own and the results
 *   appended in the order written (GLOB_BRACE);
 * - `*`, `?` and `[...]` (with `!` or `^` to negate) match within one path segment, never a
 *   leading dot unless the pattern segment starts with one;
 * - matches of one pattern come back sorted by byte value (glob's default sort in the C locale).
 * Node 20 has no synchronous glob of its own, hence this file.
 */
import fs from 'node:fs';
import path from 'node:path';

function hasMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/** `a{b,c}d` → `abd`, `acd`; nested braces and several groups work; unbalanced braces stay literal. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(open + 1, i);
        const alternatives = splitTopLevelCommas(inner);
        // glob(3) leaves a brace group without a comma alone, e.g. `{x}`.
        if (alternatives.length < 2) continue;
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        return alternatives.flatMap((alt) => expandBraces(head + alt + tail));
      }
    }
  }
  return [pattern];
}

function splitTopLevelCommas(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** One path segment's wildcard pattern as an anchored regular expression. */
function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i];
    if (ch === '\\' && i + 1 < seg.length) {
      re += escapeRe(seg[++i]);
    } else if (ch === '*') {
      re += '.*';
    } else if (ch === '?') {
      re += '.';
    } else if (ch === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = close;
    } else {
      re += escapeRe(ch);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Paths matching one brace-free absolute pattern, sorted; the pattern itself when it has no wildcards. */
function globOne(pattern: string): string[] {
  if (!hasMagic(pattern)) return [pattern];
  const root = path.parse(pattern).root;
  const segments = pattern.slice(root.length).split('/').filter((s) => s !== '');
  let candidates = [root];
  for (const seg of segments) {
    const next: string[] = [];
    if (!hasMagic(seg)) {
      for (const c of candidates) next.push(path.join(c, seg));
    } else {
      const re = segmentRegex(seg);
      const dotOk = seg.startsWith('.');
      for (const c of candidates) {
        for (const name of listDir(c)) {
          if (name.startsWith('.') && !dotOk) continue;
          if (re.test(name)) next.push(path.join(c, name));
        }
      }
    }
    candidates = next;
    if (candidates.length === 0) break;
  }
  return candidates.filter(exists).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every path an include pattern names (absolute pattern in, absolute paths out). */
export function expandIncludePattern(absPattern: string): string[] {
  return expandBraces(absPattern).flatMap(globOne);
}

/** Whether a name would be treated as a pattern rather than a plain file name. */
export function isPattern(name: string): boolean {
  return expandBraces(name).length > 1 || hasMagic(name);
}
