/**
 * The YAML alternative to an Asterisk .conf file.
 *
 * Beside any `<name>.conf` an install may put `<name>.yaml` (e.g. `pjsip.yaml` beside
 * `pjsip.conf`). Its sections are appended after the .conf ones, so either file or both can be
 * used. The mapping:
 *
 * ```yaml
 * # top level: section name -> a mapping of options ...
 * transport-udp:
 *   type: transport
 *   protocol: udp
 *   bind: 0.0.0.0:5060
 *
 * # ... or a list of such mappings: several objects with one name,
 * # like `[alice] type=endpoint` and `[alice] type=aor` in pjsip.conf
 * alice:
 *   - type: endpoint
 *     _inherit: phone            # or a list: [phone, codecs]
 *     aors: alice
 *   - type: aor
 *     max_contacts: 1
 *     contact: [sip:a@10.0.0.1, sip:a@10.0.0.2]   # a list repeats the option, in order
 *
 * # a template: usable by _inherit, not itself an object (the `(!)` of the .conf dialect)
 * phone:
 *   _template: true
 *   context: default
 *   allow: [ulaw, alaw]
 *
 * # a section with no options
 * general:
 * ```
 *
 * Values:
 * - text is taken as written; quote it when it contains `: `, `#`, or starts with a YAML
 *   indicator (`[`, `{`, `*`, `&`, `!`, `|`, `>`, `'`, `"`, `%`, `@`, `` ` ``);
 * - `true`/`false` become `yes`/`no`; an empty value or `null`/`~` becomes an empty string;
 * - numbers keep the text as written (`0042` stays `0042`, `1.10` stays `1.10`);
 * - a list becomes the option repeated once per item, in order;
 * - a mapping under an option (options nested deeper than one value) is an error naming the
 *   option; so are YAML tags other than `!!str`. Anchors and aliases (`&x` / `*x`) work;
 *   merge keys (`<<`) do not, use `_inherit`.
 *
 * Special keys:
 * - `_template: true` makes the section a template: not emitted, only inherited from;
 * - `_inherit: name` or `_inherit: [a, b]` copies the options of earlier sections or templates,
 *   in the order listed, ahead of the section's own options (like `[x](a,b)`). Names are looked up
 *   the way the .conf dialect looks them up: the first section or template of that name
 *   (case-insensitive) among everything read before it: the whole .conf side (its #includes
 *   too) and then the YAML sections above this one. A name not found is an error; the section is
 *   still kept. The .conf side cannot inherit from the YAML side (YAML is read after it).
 *
 * There is no equivalent of `#include`, `(+)` or `=>`: every YAML option is an ordinary
 * `name = value` (`object: false`). Every option records the line of its key (a list item: the
 * line of the item). A YAML syntax error is one issue at the line js-yaml reports, and nothing
 * from that file is used. Only the first YAML document is read.
 */
import type { ConfigIssue, ConfigSection, ConfigVariable } from './types.js';
import { findCategory, inheritedCopies, INCLUDE_TEMPLATES, type ConfigCategory } from './dialect/category.js';
import { DEFAULT_MAX_FILE_BYTES, readConfigFile } from './dialect/file-source.js';
import { parseYamlTree, type YamlNode } from './dialect/yaml-tree.js';

export interface YamlReadOptions {
  /** Sections and templates read before this file (the .conf side), visible to `_inherit`. */
  bases?: readonly ConfigCategory[];
  /** Size limit for the file (default 8 MiB). */
  maxFileBytes?: number;
}

export interface YamlCategories {
  /** false when the file does not exist. */
  found: boolean;
  /** Sections and templates in file order. */
  categories: ConfigCategory[];
  issues: ConfigIssue[];
}

class YamlMapper {
  readonly categories: ConfigCategory[] = [];
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly bases: readonly ConfigCategory[],
  ) {}

  error(line: number, message: string, section?: string, option?: string, code: ConfigIssue['code'] = 'TST_ERR_CONFIG_SYNTAX'): void {
    const i: ConfigIssue = { severity: 'error', code, file: this.file, line, message };
    if (section !== undefined) i.section = section;
    if (option !== undefined) i.option = option;
    this.issues.push(i);
  }

  root(node: YamlNode | null): void {
    if (node === null || (node.kind === 'scalar' && node.isNull)) return;
    if (node.kind !== 'map' || node.problem) {
      this.error(node.line, node.problem ?? 'the top level must map section names to their options');
      return;
    }
    const seen = new Set<string>();
    for (const { key, value } of node.entries) {
      if (key.kind !== 'scalar' || key.problem || key.text === '') {
        this.error(key.line, key.problem ?? 'a section name must be a non-empty text');
        continue;
      }
      const name = key.text;
      if (seen.has(name)) {
        this.error(key.line, `section '${name}' appears twice at the top level (use a list for several objects with one name); the second is ignored`, name);
        continue;
      }
      seen.add(name);
      this.sectionValue(name, key.line, value);
    }
  }

  private sectionValue(name: string, keyLine: number, value: YamlNode): void {
    if (value.problem) {
      this.error(value.line, value.problem, name);
      return;
    }
    if (value.kind === 'scalar') {
      if (value.isNull) this.section(name, keyLine, undefined);
      else this.error(value.line, `section '${name}' must be a mapping of options or a list of mappings`, name);
      return;
    }
    if (value.kind === 'map') {
      this.section(name, keyLine, value);
      return;
    }
    for (const item of value.items) {
      if (item.kind === 'map' && !item.problem) this.section(name, item.line, item);
      else if (item.kind === 'scalar' && item.isNull && !item.problem) this.section(name, item.line, undefined);
      else this.error(item.line, item.problem ?? `each item under section '${name}' must be a mapping of options`, name);
    }
  }

  private section(name: string, line: number, map: Extract<YamlNode, { kind: 'map' }> | undefined): void {
    const own: ConfigVariable[] = [];
    const inherit: { name: string; line: number }[] = [];
    let template = false;
    const seen = new Set<string>();
    for (const { key, value } of map?.entries ?? []) {
      if (key.kind !== 'scalar' || key.problem || key.text === '') {
        this.error(key.line, key.problem ?? 'an option name must be a non-empty text', name);
        continue;
      }
      const opt = key.text;
      if (seen.has(opt)) {
        this.error(key.line, `option '${opt}' appears twice (use a list to repeat an option); the second is ignored`, name, opt);
        continue;
      }
      seen.add(opt);
      if (value.problem) {
        this.error(value.line, value.problem, name, opt);
        continue;
      }
      if (opt === '_template') {
        const t = value.kind === 'scalar' ? value.value.toLowerCase() : undefined;
        if (t === 'yes' || t === 'true') template = true;
        else if (t !== 'no' && t !== 'false' && t !== '') this.error(value.line, '_template must be true or false', name, opt);
        continue;
      }
      if (opt === '_inherit') {
        this.inheritList(value, name, inherit);
        continue;
      }
      if (value.kind === 'map') {
        const hint = opt === '<<' ? ' (YAML merge keys are not supported; use _inherit)' : '';
        this.error(key.line, `option '${opt}' holds a nested mapping; only a value or a list of values is allowed${hint}`, name, opt);
        continue;
      }
      if (value.kind === 'scalar') {
        own.push(this.variable(opt, value.value, key.line));
        continue;
      }
      for (const item of value.items) {
        if (item.kind === 'scalar' && !item.problem) own.push(this.variable(opt, item.value, item.line));
        else this.error(item.line, item.problem ?? `option '${opt}' lists something other than plain values`, name, opt);
      }
    }
    const section: ConfigSection = { name, file: this.file, line, templates: [], variables: [] };
    for (const ref of inherit) {
      const base = findCategory([...this.bases, ...this.categories], ref.name, INCLUDE_TEMPLATES);
      if (!base) {
        this.error(ref.line, `section '${name}' inherits from '${ref.name}', which is not defined before it`, name, '_inherit', 'TST_ERR_CONFIG_TEMPLATE');
        continue;
      }
      section.templates.push(base.section.name);
      section.variables.push(...inheritedCopies(base.section));
    }
    section.variables.push(...own);
    this.categories.push({ section, template });
  }

  private inheritList(value: YamlNode, section: string, out: { name: string; line: number }[]): void {
    const items = value.kind === 'seq' ? value.items : [value];
    for (const item of items) {
      if (item.kind === 'scalar' && !item.problem && !item.isNull && item.text !== '') out.push({ name: item.text, line: item.line });
      else this.error(item.line, item.problem ?? '_inherit takes a section name or a list of names', section, '_inherit');
    }
  }

  private variable(name: string, value: string, line: number): ConfigVariable {
    return { name, value, file: this.file, line, object: false, inherited: false };
  }
}

/** Maps YAML text (already read) to sections and templates. */
export function yamlTextToCategories(text: string, displayName: string, bases: readonly ConfigCategory[] = []): { categories: ConfigCategory[]; issues: ConfigIssue[] } {
  const parsed = parseYamlTree(text, displayName);
  if (!parsed.ok) {
    return { categories: [], issues: [{ severity: 'error', code: 'TST_ERR_CONFIG_SYNTAX', file: displayName, line: parsed.line, message: parsed.message }] };
  }
  const mapper = new YamlMapper(displayName, bases);
  const [first, second] = parsed.docs.roots;
  mapper.root(first ?? null);
  if (parsed.docs.roots.length > 1) mapper.error(second?.line ?? 1, 'only the first YAML document is read; the others are ignored');
  return { categories: mapper.categories, issues: mapper.issues };
}

/** Reads a YAML config file into sections and templates (the form readConfig merges with the .conf side). */
export function readYamlCategories(path: string, displayName: string, options: YamlReadOptions = {}): YamlCategories {
  const r = readConfigFile(path, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  switch (r.status) {
    case 'missing':
      return { found: false, categories: [], issues: [] };
    case 'not-regular':
      return { found: true, categories: [], issues: [{ severity: 'error', code: 'TST_ERR_CONFIG_SYNTAX', file: displayName, line: 0, message: 'not a regular file' }] };
    case 'failed':
      return { found: true, categories: [], issues: [{ severity: 'error', code: 'TST_ERR_CONFIG_SYNTAX', file: displayName, line: 0, message: r.message }] };
    case 'ok':
      return { found: true, ...yamlTextToCategories(r.text, displayName, options.bases) };
  }
}

/** Reads a YAML config file; templates are used for `_inherit` but not returned. */
export function readYamlSections(path: string, displayName: string, options: YamlReadOptions = {}): { sections: ConfigSection[]; issues: ConfigIssue[] } {
  const r = readYamlCategories(path, displayName, options);
  return { sections: r.categories.filter((c) => !c.template).map((c) => c.section), issues: r.issues };
}
