/**
 * Reads a file in Asterisk's config dialect with its `#include`s into an ordered list of
 * categories, the way `config_text_file_load()` and `process_text_line()` (main/config.c) do,
 * except that a bad line never invalidates the file: it becomes one issue and reading goes on.
 *
 * Two Asterisk details that are easy to miss and are reproduced here:
 * - an included file starts in the category that was created (or added to) last, wherever that
 *   was; and after the `#include` line the including file carries on in ITS category, not in the
 *   last one the included file opened (each file keeps its own "current category");
 * - include names are relative to the config folder, not to the including file.
 * Added on top of Asterisk: include loops are reported instead of being followed until the depth
 * limit, and the depth limit (top file = depth 1, Asterisk's MAX_INCLUDE_LEVEL of 10 by default)
 * is an error even for `#tryinclude`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorCode } from '../../core/errors.js';
import type { ConfigIssue } from '../types.js';
import type { ConfigCategory } from './category.js';
import { CommentStripper } from './comments.js';
import { readConfigFile } from './file-source.js';
import { expandIncludePattern, isPattern } from './glob.js';
import { applyHeader } from './header.js';
import { parseLine, type ConfigLine } from './line.js';
import { displayPath, resolveConfigPath } from './paths.js';
import { astSkipBlanks, astStrip, astTrimEnd } from './text.js';

export interface DialectOptions {
  maxIncludeDepth: number;
  maxFileBytes: number;
}

export interface DialectResult {
  found: boolean;
  categories: ConfigCategory[];
  issues: ConfigIssue[];
  filesRead: string[];
  watchPaths: string[];
}

/**
 * Longest line Asterisk reads: its line buffer is 8192 bytes and longer lines are skipped with a
 * warning ("Line %d too long, skipping").
 */
const MAX_LINE_BYTES = 8190;

/** The per-file state: each file being read has its own current category. */
interface FileContext {
  display: string;
  cat: ConfigCategory | null;
  /** After a broken header: lines are dropped silently until the next good header. */
  skipping: boolean;
}

type IncludeAttempt = 'loaded' | 'missing' | 'ignored' | 'reported';

class DialectLoader {
  readonly categories: ConfigCategory[] = [];
  readonly issues: ConfigIssue[] = [];
  readonly filesRead: string[] = [];
  readonly watchPaths: string[] = [];
  /** Asterisk's `cfg->current`: the category created or added to last, where an included file starts. */
  private current: ConfigCategory | null = null;
  /** Files being read, outermost first (real paths, for loop detection). */
  private readonly stack: { real: string; display: string }[] = [];

  constructor(
    private readonly configDir: string,
    private readonly opts: DialectOptions,
  ) {}

  /** Reads the top file; false when it does not exist (no issue for that). */
  loadTop(fileName: string): boolean {
    const abs = resolveConfigPath(this.configDir, fileName);
    const paths = expandIncludePattern(abs);
    if (isPattern(fileName)) this.watchPaths.push(abs);
    let found = false;
    for (const p of paths) {
      const display = displayPath(this.configDir, p);
      const r = readConfigFile(p, this.opts.maxFileBytes);
      if (r.status === 'missing') continue;
      found = true;
      if (r.status === 'not-regular') this.issue('error', 'TST_ERR_CONFIG_SYNTAX', display, 0, 'not a regular file');
      else if (r.status === 'failed') this.issue('error', 'TST_ERR_CONFIG_SYNTAX', display, 0, r.message);
      else {
        this.filesRead.push(p);
        this.readText(r.text, r.realPath, display);
      }
    }
    if (!found && !isPattern(fileName)) this.watchPaths.push(abs);
    return found;
  }

  private issue(severity: ConfigIssue['severity'], code: ErrorCode, file: string, line: number, message: string, section?: string): void {
    const i: ConfigIssue = { severity, code, file, line, message };
    if (section !== undefined) i.section = section;
    this.issues.push(i);
  }

  private readText(text: string, real: string, display: string): void {
    this.stack.push({ real, display });
    const ctx: FileContext = { display, cat: this.current, skipping: false };
    const comments = new CommentStripper();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i];
      const lineNo = i + 1;
      if (raw.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(raw, 'utf8') > MAX_LINE_BYTES) {
        this.issue('warning', 'TST_ERR_CONFIG_SYNTAX', display, lineNo, `line longer than ${MAX_LINE_BYTES} bytes skipped`);
        continue;
      }
      const stripped = comments.strip(raw, lineNo);
      for (const n of stripped.notes) this.issue(n.severity, 'TST_ERR_CONFIG_SYNTAX', display, lineNo, n.message);
      if (stripped.text === null) continue;
      const body = astStrip(stripped.text);
      if (body === '') continue;
      this.line(ctx, parseLine(body), lineNo);
    }
    const open = comments.unterminatedFrom();
    if (open !== undefined) this.issue('warning', 'TST_ERR_CONFIG_SYNTAX', display, open, 'unterminated block comment (;--) starts here');
    this.stack.pop();
  }

  private line(ctx: FileContext, l: ConfigLine, lineNo: number): void {
    switch (l.kind) {
      case 'header':
        this.header(ctx, l.name, l.options, lineNo);
        return;
      case 'bad-header':
        this.issue('error', 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, `${l.message}; lines up to the next section are ignored`);
        ctx.cat = null;
        ctx.skipping = true;
        // An #include in the skipped stretch must not pour its leading lines into an unrelated section.
        this.current = null;
        return;
      case 'directive':
        this.directive(ctx, l.name, l.arg, lineNo);
        return;
      case 'bad-line':
        if (!ctx.skipping) this.issue('error', 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, l.message, ctx.cat?.section.name);
        return;
      case 'assign':
        this.assign(ctx, l, lineNo);
        return;
    }
  }

  private header(ctx: FileContext, name: string, options: string[] | undefined, lineNo: number): void {
    const fresh: ConfigCategory = { section: { name, file: ctx.display, line: lineNo, templates: [], variables: [] }, template: false };
    const outcome = applyHeader(this.categories, fresh, options);
    for (const p of outcome.problems) {
      this.issue(p.severity, p.kind === 'template' ? 'TST_ERR_CONFIG_TEMPLATE' : 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, p.message, name);
    }
    if (!outcome.ok) {
      ctx.cat = null;
      ctx.skipping = true;
      this.current = null;
      return;
    }
    if (outcome.created) this.categories.push(outcome.created);
    this.current = outcome.target;
    ctx.cat = outcome.target;
    ctx.skipping = false;
  }

  private assign(ctx: FileContext, l: Extract<ConfigLine, { kind: 'assign' }>, lineNo: number): void {
    if (ctx.skipping) return;
    const cat = ctx.cat;
    if (!cat) {
      this.issue('error', 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, `'${l.name}' is set before any [section] header`);
      return;
    }
    const section = cat.section;
    if (l.name === '') {
      this.issue('error', 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, "no variable name before '='", section.name);
      return;
    }
    let value = l.value;
    if (l.append) {
      // `name += more` extends the last `name` (exact spelling) with the raw text after `+=`.
      const last = section.variables.findLast((v) => v.name === l.name);
      if (last) {
        last.value = astSkipBlanks(astTrimEnd(last.value + value));
        last.inherited = false;
        return;
      }
      value = astStrip(value);
    }
    section.variables.push({ name: l.name, value, file: ctx.display, line: lineNo, object: l.object, inherited: false });
  }

  private directive(ctx: FileContext, name: string, arg: string | undefined, lineNo: number): void {
    const lower = name.toLowerCase();
    if (lower === 'exec') {
      this.issue('warning', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, '#exec is not supported; line skipped');
      return;
    }
    if (lower !== 'include' && lower !== 'tryinclude') {
      this.issue('warning', 'TST_ERR_CONFIG_SYNTAX', ctx.display, lineNo, `unknown directive '#${name}'; line skipped`);
      return;
    }
    if (arg === undefined) {
      this.issue('error', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, `#${lower} needs a file name`);
      return;
    }
    const target = dequote(arg);
    const abs = resolveConfigPath(this.configDir, target);
    const pattern = isPattern(target);
    if (pattern) this.watchPaths.push(abs);
    let loaded = 0;
    let reported = false;
    for (const p of expandIncludePattern(abs)) {
      const r = this.includeOne(ctx, p, lineNo);
      if (r === 'loaded') loaded++;
      else if (r === 'reported') reported = true;
    }
    if (loaded > 0 || reported) return;
    if (lower === 'tryinclude') {
      if (!pattern) this.watchPaths.push(abs);
      return;
    }
    const what = pattern ? `#include '${target}' matches no file` : `#include file '${target}' does not exist`;
    this.issue('error', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, what);
  }

  private includeOne(ctx: FileContext, abs: string, lineNo: number): IncludeAttempt {
    const display = displayPath(this.configDir, abs);
    let real: string;
    try {
      real = fs.realpathSync(abs);
    } catch {
      return 'missing';
    }
    const loopAt = this.stack.findIndex((f) => f.real === real);
    if (loopAt >= 0) {
      const chain = [...this.stack.slice(loopAt).map((f) => f.display), display].join(' -> ');
      this.issue('error', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, `include loop: ${chain}; not included again`);
      return 'reported';
    }
    if (this.stack.length >= this.opts.maxIncludeDepth) {
      this.issue('error', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, `include depth limit (${this.opts.maxIncludeDepth}) exceeded; '${display}' not included`);
      return 'reported';
    }
    const r = readConfigFile(abs, this.opts.maxFileBytes);
    switch (r.status) {
      case 'missing':
        return 'missing';
      case 'not-regular':
        this.issue('warning', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, `'${display}' is not a regular file; ignored`);
        return 'ignored';
      case 'failed':
        this.issue('error', 'TST_ERR_CONFIG_INCLUDE', ctx.display, lineNo, `cannot include '${display}': ${r.message}`);
        return 'reported';
      case 'ok':
        this.filesRead.push(abs);
        this.readText(r.text, r.realPath, display);
        return 'loaded';
    }
  }
}

/** `"file"` and `<file>` lose their delimiters; anything else is taken as written. */
function dequote(arg: string): string {
  const first = arg[0];
  const closing = first === '"' ? '"' : first === '<' ? '>' : undefined;
  if (closing !== undefined && arg.length >= 2 && arg[arg.length - 1] === closing) return arg.slice(1, -1);
  return arg;
}

export function loadDialect(configDir: string, fileName: string, opts: DialectOptions): DialectResult {
  const loader = new DialectLoader(path.resolve(configDir), opts);
  const found = loader.loadTop(fileName);
  return { found, categories: loader.categories, issues: loader.issues, filesRead: loader.filesRead, watchPaths: loader.watchPaths };
}
