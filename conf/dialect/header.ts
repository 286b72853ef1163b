/**
 * What a section header's `( … )` list does, token by token and in the order written, as in
 * `process_text_line()` (main/config.c):
 * - `!`      the section (or, after a `+`, the section being added to) is a template;
 * - `+`      add the following lines to the first existing non-template section of that name;
 *            `+filter` (e.g. `+type=aor`) to the first one whose variables match the filter;
 *            none found is an error (Asterisk then refuses the whole file; here only the lines up
 *            to the next header are dropped);
 * - `other`  inherit: copy the variables of the first section or template named `other`, in
 *            template order, ahead of the section's own lines. A name that does not exist is an
 *            error, but the section is still created (Asterisk would refuse the file).
 * Tokens are trimmed, so `(!, base)` works (Asterisk would look for a template named " base").
 */
import type { ConfigCategory } from './category.js';
import { findCategory, inheritedCopies, INCLUDE_TEMPLATES, parseCategoryFilter } from './category.js';
import { astStrip } from './text.js';

export interface HeaderProblem {
  severity: 'error' | 'warning';
  kind: 'template' | 'syntax';
  message: string;
}

export type HeaderOutcome =
  /** `target` receives the following lines; `created` is set when a new category must be appended. */
  | { ok: true; target: ConfigCategory; created: ConfigCategory | undefined; problems: HeaderProblem[] }
  /** A `(+)` found nothing to add to: the lines up to the next header have no home. */
  | { ok: false; problems: HeaderProblem[] };

export function applyHeader(all: readonly ConfigCategory[], fresh: ConfigCategory, options: readonly string[] | undefined): HeaderOutcome {
  const problems: HeaderProblem[] = [];
  const name = fresh.section.name;
  let live: ConfigCategory | undefined = fresh;
  let target = fresh;
  for (const raw of options ?? []) {
    const token = astStrip(raw);
    if (token === '!') {
      target.template = true;
      continue;
    }
    if (token.startsWith('+')) {
      const filterText = astStrip(token.slice(1));
      const parsed = parseCategoryFilter(filterText);
      if (!parsed.ok) {
        problems.push({ severity: 'error', kind: 'syntax', message: parsed.message });
        return { ok: false, problems };
      }
      const found = findCategory(all, name, parsed.filter);
      if (!found) {
        const onlyTemplate = filterText === '' && findCategory(all, name, INCLUDE_TEMPLATES) !== undefined;
        const why = filterText !== '' ? ` matching '${filterText}'` : onlyTemplate ? ' (only a template by that name; use (+TEMPLATES=include))' : '';
        problems.push({ severity: 'error', kind: 'template', message: `cannot add to section [${name}]: no such section${why}; lines up to the next section are ignored` });
        return { ok: false, problems };
      }
      if (live) {
        found.template ||= live.template;
        found.section.templates.push(...live.section.templates);
        found.section.variables.push(...live.section.variables);
        live = undefined;
      }
      target = found;
      continue;
    }
    if (token === '') {
      problems.push({ severity: 'warning', kind: 'syntax', message: `empty entry in the options of section [${name}]` });
      continue;
    }
    const base = findCategory(all, token, INCLUDE_TEMPLATES);
    if (!base) {
      problems.push({ severity: 'error', kind: 'template', message: `section [${name}] inherits from '${token}', which is not defined before it` });
      continue;
    }
    target.section.templates.push(base.section.name);
    target.section.variables.push(...inheritedCopies(base.section));
  }
  return { ok: true, target, created: live, problems };
}
