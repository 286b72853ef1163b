/**
 * The parser's working unit: a section plus the one fact `ConfigSection` does not carry, whether
 * it is a template. Templates live in the same ordered list as ordinary sections because Asterisk
 * looks both up by name in file order (`ast_category_get()` in main/config.c), and only at the end
 * are they dropped from what consumers see.
 */
import type { ConfigSection, ConfigVariable } from '../types.js';
import { astStrip, sameName } from './text.js';

export interface ConfigCategory {
  section: ConfigSection;
  /** Set by `(!)`; `(!,+)` can also turn an existing section into a template, as in Asterisk. */
  template: boolean;
}

/**
 * One `name=value` test of a category filter, the `type=aor` in `[101](+type=aor)`. Both sides
 * are regular expressions matched anywhere in a variable's name and value (Asterisk compiles them
 * as POSIX extended regexes; JavaScript regexes agree on everything a config file realistically uses).
 */
type FilterTest =
  | { kind: 'match'; name: RegExp; value: RegExp }
  | { kind: 'templates'; mode: 'include' | 'restrict' | 'other' };

export interface CategoryFilter {
  tests: FilterTest[];
  /** An expression without `=`: Asterisk stops there and the filter can never match. */
  broken: boolean;
}

export type FilterParse = { ok: true; filter: CategoryFilter } | { ok: false; message: string };

/**
 * Parses a filter such as `type=aor&max_contacts=1` (`,` and `&` both separate expressions, as in
 * `does_category_match()`); `TEMPLATES=include` lets templates match, `TEMPLATES=restrict` lets only
 * templates match.
 */
export function parseCategoryFilter(text: string): FilterParse {
  const filter: CategoryFilter = { tests: [], broken: false };
  if (astStrip(text) === '') return { ok: true, filter };
  for (const raw of text.split(/[,&]/)) {
    const expr = astStrip(raw);
    const eq = expr.indexOf('=');
    if (eq < 0) {
      filter.broken = true;
      break;
    }
    const name = astStrip(expr.slice(0, eq));
    const value = astStrip(expr.slice(eq + 1));
    if (name === 'TEMPLATES') {
      const mode = value.toLowerCase() === 'include' ? 'include' : value.toLowerCase() === 'restrict' ? 'restrict' : 'other';
      filter.tests.push({ kind: 'templates', mode });
      continue;
    }
    try {
      filter.tests.push({ kind: 'match', name: new RegExp(name), value: new RegExp(value) });
    } catch (e) {
      return { ok: false, message: `bad regular expression in filter '${expr}': ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  return { ok: true, filter };
}

/** The filter Asterisk uses to find a section to inherit from: any section, templates included. */
export const INCLUDE_TEMPLATES: CategoryFilter = { tests: [{ kind: 'templates', mode: 'include' }], broken: false };

function matchesFilter(cat: ConfigCategory, filter: CategoryFilter): boolean {
  if (filter.tests.length === 0 && !filter.broken) return !cat.template;
  if (filter.broken) return false;
  let templateOk = false;
  for (const t of filter.tests) {
    if (t.kind === 'templates') {
      if (t.mode === 'include') {
        if (cat.template) templateOk = true;
      } else if (t.mode === 'restrict') {
        if (!cat.template) return false;
        templateOk = true;
      } else {
        // An unknown TEMPLATES value is counted as an expression that never matched.
        return false;
      }
      continue;
    }
    const hit = cat.section.variables.some((v: ConfigVariable) => t.name.test(v.name) && t.value.test(v.value));
    if (!hit) return false;
  }
  return !cat.template || templateOk;
}

/**
 * The first category with that name (case-insensitive) that passes the filter, in the order the
 * categories were created, like `ast_category_get()`. "First", not "last": Asterisk's own docs say
 * `[101](+)` adds to the first `[101]` unless a filter picks another.
 */
export function findCategory(all: readonly ConfigCategory[], name: string, filter: CategoryFilter): ConfigCategory | undefined {
  for (const cat of all) {
    if (name !== '' && !sameName(cat.section.name, name)) continue;
    if (matchesFilter(cat, filter)) return cat;
  }
  return undefined;
}

/** Copies of a base's variables for a section that inherits from it (`ast_category_inherit()`). */
export function inheritedCopies(base: ConfigSection): ConfigVariable[] {
  return base.variables.map((v) => ({ ...v, inherited: true }));
}
