/**
 * modules.conf as Asterisk's loader reads it (main/loader.c): `[modules]` with autoload, load,
 * noload, preload, require, preload-require. Names match case-insensitively with or without `.so`.
 * Any other key is an error naming file and line; that line is ignored and the rest applies.
 */
import type { ConfigIssue, ParsedConfig } from '../conf/types.js';

export type ModuleDirective = 'load' | 'noload' | 'preload' | 'require' | 'preload-require';

export interface ModulesConf {
  found: boolean;
  autoload: boolean;
  entries: Array<{ directive: ModuleDirective; name: string; file: string; line: number }>;
  issues: ConfigIssue[];
}

const DIRECTIVES = new Set<string>(['load', 'noload', 'preload', 'require', 'preload-require']);
const TRUE = new Set(['yes', 'true', 'y', 't', '1', 'on']);

/** `Res_PJSIP.so` → `res_pjsip`; a path to a .js/.mjs file keeps its case. */
export function normalizeModuleName(name: string): string {
  const n = name.trim();
  if (/\.(m?js)$/i.test(n) || n.includes('/')) return n;
  return n.replace(/\.so$/i, '').toLowerCase();
}

export function parseModulesConf(parsed: ParsedConfig): ModulesConf {
  // With no modules.conf Asterisk autoloads everything it has.
  const out: ModulesConf = { found: parsed.found, autoload: !parsed.found, entries: [], issues: [] };
  for (const section of parsed.sections) {
    if (section.name.toLowerCase() !== 'modules') {
      out.issues.push({
        severity: 'warning',
        code: 'TST_ERR_MODULES_CONF',
        file: section.file,
        line: section.line,
        section: section.name,
        message: `section [${section.name}] is ignored; modules.conf has only [modules]`,
      });
      continue;
    }
    for (const v of section.variables) {
      const key = v.name.toLowerCase();
      if (key === 'autoload') {
        out.autoload = TRUE.has(v.value.trim().toLowerCase());
      } else if (DIRECTIVES.has(key)) {
        if (v.value.trim() === '') {
          out.issues.push({
            severity: 'error',
            code: 'TST_ERR_MODULES_CONF',
            file: v.file,
            line: v.line,
            section: section.name,
            option: v.name,
            message: `'${v.name}' needs a module name`,
          });
          continue;
        }
        out.entries.push({ directive: key as ModuleDirective, name: normalizeModuleName(v.value), file: v.file, line: v.line });
      } else {
        out.issues.push({
          severity: 'error',
          code: 'TST_ERR_MODULES_CONF',
          file: v.file,
          line: v.line,
          section: section.name,
          option: v.name,
          message: `unknown key '${v.name}' in modules.conf (expected autoload, load, noload, preload, require or preload-require)`,
        });
      }
    }
  }
  return out;
}

export interface LoadPlanEntry {
  name: string;
  preload: boolean;
  required: boolean;
}

/**
 * Which modules to load: autoload adds every catalogue module; explicit entries add theirs;
 * noload removes (an error if the same module is also required, as Asterisk says).
 */
export function planFromModulesConf(conf: ModulesConf, catalogue: readonly string[]): { plan: LoadPlanEntry[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const plan = new Map<string, LoadPlanEntry>();
  const noload = new Map<string, { file: string; line: number }>();
  for (const e of conf.entries) if (e.directive === 'noload') noload.set(e.name, e);
  for (const e of conf.entries) {
    if (e.directive === 'noload') continue;
    const required = e.directive === 'require' || e.directive === 'preload-require';
    const preload = e.directive === 'preload' || e.directive === 'preload-require';
    if (noload.has(e.name)) {
      if (required) {
        issues.push({
          severity: 'error',
          code: 'TST_ERR_MODULES_CONF',
          file: e.file,
          line: e.line,
          option: e.directive,
          message: `module '${e.name}' is both required and noload`,
        });
      }
      continue;
    }
    const cur = plan.get(e.name);
    plan.set(e.name, { name: e.name, preload: preload || (cur?.preload ?? false), required: required || (cur?.required ?? false) });
  }
  if (conf.autoload) {
    for (const name of catalogue) if (!plan.has(name) && !noload.has(name)) plan.set(name, { name, preload: false, required: false });
  }
  return { plan: [...plan.values()], issues };
}
