/**
 * Dialplan hints: the `exten => 1000,hint,PJSIP/alice&Custom:alice,CustomPresence:alice(Alice)`
 * lines of extensions.conf, read the way pbx/pbx_config.c reads them, and the hint text itself
 * read the way main/extension_state.c does (devices before the first comma, `&`-separated;
 * presence providers after it, `&`-separated; `(Name)` after the whole thing is the hint's
 * "application data", which Asterisk returns as the hint name, e.g. HINT(1000,n)).
 */
import type { ConfigIssue, ConfigSection, ConfigVariable } from '../../conf/types.js';
import { isPattern, normalizeExten, patternSyntaxError, extensionCompare } from './extension-pattern.js';

/** One hint as the extension-state engine takes it. */
export interface HintDef {
  context: string;
  /** Extension name or pattern (`_1XX`). */
  exten: string;
  /** The hint's device/presence text without the display name: `PJSIP/a&PJSIP/b,CustomPresence:a`. */
  app: string;
  displayName?: string;
  /** Where the hint was written, for messages. */
  file?: string;
  line?: number;
}

export interface ParsedHint {
  /** The device/presence part (the hint's "application"). */
  app: string;
  devices: string[];
  presence: string[];
  displayName?: string;
  /** true when `(` had no closing `)` (Asterisk warns and takes the rest as the name). */
  unclosedName?: boolean;
}

function splitAmpersands(s: string): string[] {
  // Asterisk keeps each piece as written; we also trim blanks so `A & B` works.
  return s.split('&').map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Devices and presence providers of a hint's device/presence text. */
export function parseHintApp(app: string): { devices: string[]; presence: string[] } {
  const comma = app.indexOf(',');
  const devices = comma < 0 ? app : app.slice(0, comma);
  const presence = comma < 0 ? '' : app.slice(comma + 1);
  return { devices: splitAmpersands(devices), presence: splitAmpersands(presence) };
}

/**
 * The first `(` that is not inside `${...}`/`$[...]`. pbx_config splits application and data at
 * the first `(` unless a `${` or `$[` precedes it, so `PJSIP/${EXTEN}(Alice)` loses its name
 * there; skipping only bracketed variable text keeps `${GLOBAL(x)}` intact and the name too.
 */
function nameParenIndex(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && (s[i + 1] === '{' || s[i + 1] === '[')) {
      depth++;
      i++;
    } else if (depth > 0 && (c === '}' || c === ']')) {
      depth--;
    } else if (depth === 0 && c === '(') {
      return i;
    }
  }
  return -1;
}

/**
 * Parses what follows `hint,` on an extensions.conf line: `DEV1&DEV2[,PRES1&PRES2][(Name)]`.
 * The name runs from the first `(` to the last `)`.
 */
export function parseHint(appdata: string): ParsedHint {
  let app = appdata;
  let displayName: string | undefined;
  let unclosedName = false;
  const open = nameParenIndex(appdata);
  if (open >= 0) {
    app = appdata.slice(0, open);
    let data = appdata.slice(open + 1);
    const close = data.lastIndexOf(')');
    if (close >= 0) data = data.slice(0, close);
    else unclosedName = true;
    if (data.length > 0) displayName = data;
  }
  app = app.replace(/^[ \t]+/, '');
  const { devices, presence } = parseHintApp(app);
  const out: ParsedHint = { app, devices, presence };
  if (displayName !== undefined) out.displayName = displayName;
  if (unclosedName) out.unclosedName = true;
  return out;
}

/**
 * Replaces `${NAME}` from `vars`. Unknown names become empty (as Asterisk) unless
 * `keepUnknown`, which leaves them for a later pass (pattern hints get `${EXTEN}` only when a
 * concrete extension is made from them). Anything fancier than a plain name is left alone.
 */
export function substituteVariables(text: string, vars: ReadonlyMap<string, string>, keepUnknown = false): string {
  if (!text.includes('${')) return text;
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const v = vars.get(name);
    if (v !== undefined) return v;
    return keepUnknown ? whole : '';
  });
}

/** Asterisk's ast_true. */
export function astTrue(v: string): boolean {
  return ['yes', 'true', 'y', 't', '1', 'on'].includes(v.trim().toLowerCase());
}

/** pbx_strsep: splits at the first delimiter outside `[...]`, skipping `\`-escaped characters. */
function pbxStrsep(s: string): [string, string | undefined] {
  let square = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[') square++;
    else if (c === ']') {
      if (square) square--;
    } else if (c === '\\') i++;
    else if (c === ',' && !square) return [s.slice(0, i), i + 1 < s.length ? s.slice(i + 1) : undefined];
  }
  return [s, undefined];
}

function strsep(s: string | undefined, delim: string): [string | undefined, string | undefined] {
  if (s === undefined) return [undefined, undefined];
  const i = s.indexOf(delim);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

export interface DialplanHints {
  hints: HintDef[];
  /** Contexts with `autohints=yes`. */
  autohintContexts: string[];
  issues: ConfigIssue[];
}

const PRIORITY_HINT = -1;

/**
 * Reads the hints (and `autohints=`) out of extensions.conf sections. Every context line is
 * checked the way pbx_config checks it (priorities `n`/`s`/labels, `same =>` continuation) so
 * mistakes are reported with file and line; a bad line is skipped and the rest still loads.
 * `[general]` and `[globals]` are not contexts; `[globals]` values are substituted for
 * `${NAME}` in hints, and `${EXTEN}`/`${CONTEXT}` too for literal extensions.
 */
export function hintsFromExtensionsConf(sections: ConfigSection[]): DialplanHints {
  const issues: ConfigIssue[] = [];
  const hints: HintDef[] = [];
  const autohints = new Set<string>();
  const globals = new Map<string, string>();
  for (const s of sections) {
    if (s.name.toLowerCase() !== 'globals') continue;
    for (const v of s.variables) globals.set(v.name, substituteVariables(v.value, globals));
  }
  /** context -> literal exten / pattern -> where its hint was defined */
  const seenLiteral = new Map<string, Map<string, HintDef>>();
  const seenPatterns = new Map<string, HintDef[]>();
  /** context -> `exten\0label` -> priority, for priorities written as labels */
  const labels = new Map<string, Map<string, number>>();

  for (const section of sections) {
    const lname = section.name.toLowerCase();
    if (lname === 'general' || lname === 'globals') continue;
    const context = section.name;
    const ctxLabels = labels.get(context) ?? new Map<string, number>();
    labels.set(context, ctxLabels);
    // Continuation (`same =>`, `n`) restarts in every section, as pbx_config resets it per category.
    let lastExten = '';
    let lastPri = -2;

    const issue = (v: ConfigVariable, severity: ConfigIssue['severity'], code: ConfigIssue['code'], message: string) => {
      issues.push({ severity, code, file: v.file, line: v.line, section: context, option: v.name, message });
    };

    const processExtension = (v: ConfigVariable, realext: string, rest: string | undefined): void => {
      let exten = realext;
      let cid: string | undefined;
      const slash = exten.indexOf('/');
      if (slash >= 0) {
        cid = exten.slice(slash + 1);
        exten = exten.slice(0, slash);
      }
      const [priRaw, appl] = strsep(rest, ',');
      let pri = (priRaw ?? '').trim();
      let label: string | undefined;
      const lp = pri.indexOf('(');
      if (lp >= 0) {
        const rp = pri.indexOf(')', lp + 1);
        if (rp < 0) {
          issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', "Label missing trailing ')'");
          return;
        }
        label = pri.slice(lp + 1, rp);
        pri = pri.slice(0, lp);
      }
      let plus = 0;
      const plusAt = pri.indexOf('+');
      if (plusAt >= 0) {
        plus = parseInt(pri.slice(plusAt + 1), 10) || 0;
        pri = pri.slice(0, plusAt);
      }
      let ipri: number;
      if (pri === 'hint') {
        ipri = PRIORITY_HINT;
      } else if (pri === 'next' || pri === 'n') {
        if (lastPri <= -2) {
          issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', "Can't use 'next' priority on the first entry");
          return;
        }
        ipri = lastPri + 1;
      } else if (pri === 'same' || pri === 's') {
        if (lastPri <= -2) {
          issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', "Can't use 'same' priority on the first entry");
          return;
        }
        ipri = lastPri;
      } else {
        const m = /^\s*([+-]?\d+)/.exec(pri);
        if (m) {
          ipri = parseInt(m[1]!, 10);
          if (ipri < 1) {
            issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', `Invalid priority '${pri}'`);
            return;
          }
        } else {
          const byLabel = ctxLabels.get(`${exten}\0${pri}`);
          if (byLabel === undefined || byLabel < 1) {
            issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', `Invalid priority/label '${pri}'`);
            return;
          }
          ipri = byLabel;
        }
      }
      if (ipri === 0) return; // `n` after a hint: pbx_config silently adds nothing
      if (ipri > 0) ipri += plus;
      lastPri = ipri;
      if (label) ctxLabels.set(`${exten}\0${label}`, ipri);
      if (ipri !== PRIORITY_HINT) return;

      // ---- a hint line ----
      if (exten.length === 0) {
        issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', 'a hint needs an extension name');
        return;
      }
      const patErr = patternSyntaxError(exten);
      if (patErr) {
        issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', `${patErr} '${exten}'`);
        return;
      }
      if (cid !== undefined) {
        issue(v, 'warning', 'TST_ERR_CONFIG_OPTION', `hint '${exten}/${cid}' has a caller ID match and would never be used; ignored`);
        return;
      }
      const parsed = parseHint(appl ?? '');
      if (parsed.unclosedName) {
        issue(v, 'warning', 'TST_ERR_CONFIG_SYNTAX', `No closing parenthesis found? '${parsed.app}(${parsed.displayName ?? ''}'`);
      }
      const pattern = isPattern(exten);
      const vars = new Map(globals);
      if (!pattern) {
        vars.set('EXTEN', exten);
        vars.set('CONTEXT', context);
      }
      const app = substituteVariables(parsed.app, vars, pattern);
      const { devices, presence } = parseHintApp(app);
      if (devices.length === 0 && presence.length === 0) {
        issue(v, 'warning', 'TST_ERR_CONFIG_OPTION', `hint '${exten}' names no device or presence provider; it will be Unavailable`);
      }
      for (const d of devices) {
        if (!d.includes('/') && !d.includes(':')) {
          issue(v, 'warning', 'TST_ERR_CONFIG_OPTION', `hint device '${d}' has no technology or provider prefix; its state is Invalid`);
        }
      }
      const def: HintDef = { context, exten, app, file: v.file, line: v.line };
      if (parsed.displayName !== undefined) def.displayName = parsed.displayName;
      const previous = pattern
        ? (seenPatterns.get(context) ?? []).find((p) => extensionCompare(p.exten, exten) === 0)
        : seenLiteral.get(context)?.get(normalizeExten(exten));
      if (previous) {
        issue(v, 'error', 'TST_ERR_CONFIG_OPTION', `Unable to register extension: a hint for '${exten}' in context '${context}' already exists (${previous.file}:${previous.line})`);
        return;
      }
      if (pattern) {
        const list = seenPatterns.get(context) ?? [];
        list.push(def);
        seenPatterns.set(context, list);
      } else {
        const m = seenLiteral.get(context) ?? new Map<string, HintDef>();
        m.set(normalizeExten(exten), def);
        seenLiteral.set(context, m);
      }
      hints.push(def);
    };

    for (const v of section.variables) {
      const name = v.name.trim().toLowerCase();
      if (name.startsWith('same')) {
        if (!lastExten) {
          issue(v, 'error', 'TST_ERR_CONFIG_SYNTAX', `No previous pattern in the first entry of context '${context}' to match '${v.name}'`);
          continue;
        }
        processExtension(v, lastExten, v.value);
      } else if (name === 'exten') {
        const [ext, rest] = pbxStrsep(v.value);
        const realext = substituteVariables(ext.trim(), globals);
        lastExten = realext;
        processExtension(v, realext, rest);
      } else if (name === 'autohints') {
        if (astTrue(v.value)) autohints.add(context);
        else autohints.delete(context);
      } else if (['include', 'ignorepat', 'switch', 'lswitch', 'eswitch'].includes(name)) {
        // Not about hints; includes are not followed for hint lookups.
      } else {
        issue(v, 'warning', 'TST_ERR_CONFIG_OPTION', `Unknown directive: ${v.name} -- ignored`);
      }
    }
  }
  return { hints, autohintContexts: [...autohints], issues };
}
