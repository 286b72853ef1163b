/**
 * Splits one comment-free, trimmed, non-empty line into what `process_text_line()` (main/config.c)
 * sees in it: a section header, a `#` directive, or an assignment. Nothing here looks at other
 * lines; the loader decides what each form means in context.
 */
import { astStrip } from './text.js';

export type ConfigLine =
  | { kind: 'header'; name: string; options: string[] | undefined }
  | { kind: 'bad-header'; message: string }
  | { kind: 'directive'; name: string; arg: string | undefined }
  | { kind: 'assign'; name: string; value: string; object: boolean; append: boolean }
  | { kind: 'bad-line'; message: string };

/**
 * `[name]`, `[name](opts)`. The name is everything between `[` and the first `]`, kept as written
 * (Asterisk does not trim it); text after `]` that does not start with `(` is ignored, as is text
 * after the closing `)`.
 */
function parseHeader(line: string): ConfigLine {
  const close = line.indexOf(']');
  if (close < 0) return { kind: 'bad-header', message: "no closing ']' in section header" };
  const name = line.slice(1, close);
  if (name === '') return { kind: 'bad-header', message: 'empty section name' };
  const rest = line.slice(close + 1);
  if (rest[0] !== '(') return { kind: 'header', name, options: undefined };
  const paren = rest.indexOf(')', 1);
  if (paren < 0) return { kind: 'bad-header', message: "no closing ')' in section header" };
  return { kind: 'header', name, options: rest.slice(1, paren).split(',') };
}

/** `#word argument`: the word runs to the first blank; the argument is the trimmed rest. */
function parseDirective(line: string): ConfigLine {
  let end = 1;
  while (end < line.length && line.charCodeAt(end) > 32) end++;
  const arg = astStrip(line.slice(end));
  return { kind: 'directive', name: line.slice(1, end), arg: arg === '' ? undefined : arg };
}

/**
 * `name = value`, `name => value` (object), `name += more` (append to the last `name`). A leading
 * backslash escapes the first character of the name so a name may start with `[`, `#` or `=`.
 * Values keep any quotes: Asterisk never strips them.
 */
function parseAssignment(line: string): ConfigLine {
  const escaped = line[0] === '\\';
  const body = escaped ? line.slice(1) : line;
  if (escaped && (body === '' || body.charCodeAt(0) < 33)) return { kind: 'bad-line', message: 'invalid escape at the start of the line' };
  const from = escaped ? 1 : 0;
  const eq = body.indexOf('=', from);
  if (eq < 0) return { kind: 'bad-line', message: "no '=' (equal sign) in line" };
  if (eq > from && body[eq - 1] === '+') {
    return { kind: 'assign', name: astStrip(body.slice(0, eq - 1)), value: body.slice(eq + 1), object: false, append: true };
  }
  let rest = body.slice(eq + 1);
  const object = rest[0] === '>';
  if (object) rest = rest.slice(1);
  return { kind: 'assign', name: astStrip(body.slice(0, eq)), value: astStrip(rest), object, append: false };
}

export function parseLine(line: string): ConfigLine {
  if (line[0] === '[') return parseHeader(line);
  if (line[0] === '#') return parseDirective(line);
  return parseAssignment(line);
}
