/**
 * Config object types and their objects, in the spirit of Asterisk's sorcery with the config
 * wizard: a module registers a type (name, file, options with converters and defaults); the
 * objects come from the sections of that file whose `type=` names it. Each value is converted,
 * then the object is checked by an ajv schema generated from the option specs. An unknown option
 * or a bad value is an error naming file, line, section and option; that object is rejected and
 * everything else loads. Reload re-reads the file and applies only the differences.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { isDeepStrictEqual } from 'node:util';
import { TstError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ConfigIssue, ConfigSection, ConfigVariable, ParsedConfig } from '../../conf/types.js';
import { formatIssue } from '../../conf/types.js';
import { convertOption, schemaFor, type OptionSpec } from './sorcery-options.js';
import type { Disposer } from './registry.js';

export interface ObjectTypeSpec {
  /** The `type=` value, e.g. `endpoint`. */
  type: string;
  /** The config file the objects live in, e.g. `pjsip.conf` (a `.yaml` twin is read too). */
  file: string;
  options: Record<string, OptionSpec>;
  /** Options named by a pattern, e.g. `event_<package>` of inbound-publication. */
  optionPatterns?: ReadonlyArray<{ pattern: RegExp; spec: OptionSpec }>;
  /** Keep `@name=value` options (extended options read by handlers) in `extended`. */
  extended?: boolean;
  /** Whole-object check after conversion; returns an error message or undefined. */
  check?: (object: SorceryObject) => string | undefined;
}

export interface SorceryObject {
  id: string;
  type: string;
  /** Where the object was defined. */
  source: { file: string; line: number };
  /** `@name` options, when the type keeps them. */
  extended: Record<string, string>;
  /** Options set by pattern (name → value list). */
  patterned: Record<string, string[]>;
  [option: string]: unknown;
}

export type ObjectEvent = { kind: 'created' | 'updated' | 'deleted'; object: SorceryObject; previous?: SorceryObject };
export type ObjectObserver = (event: ObjectEvent) => void;

interface TypeEntry {
  spec: ObjectTypeSpec;
  owner: string;
  validate: ValidateFunction;
  objects: Map<string, SorceryObject>;
  observers: Set<ObjectObserver>;
}

const RESERVED = new Set(['type']);

export class Sorcery {
  private readonly types = new Map<string, TypeEntry>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  /** Issues of the latest load of each type, for `core show config issues`-like reporting and tests. */
  private readonly issuesByType = new Map<string, ConfigIssue[]>();

  constructor(
    private readonly readConfig: (file: string) => ParsedConfig,
    private readonly log: Logger,
  ) {}

  registerType(spec: ObjectTypeSpec, owner: string): Disposer {
    const existing = this.types.get(spec.type);
    if (existing) {
      throw new TstError(
        'TST_ERR_DUPLICATE_REGISTRATION',
        `object type '${spec.type}' from ${owner} is already registered by ${existing.owner}`,
      );
    }
    const properties: Record<string, unknown> = {};
    for (const [name, o] of Object.entries(spec.options)) properties[name] = schemaFor(o);
    const validate = this.ajv.compile({ type: 'object', properties });
    const entry: TypeEntry = { spec, owner, validate, objects: new Map(), observers: new Set() };
    this.types.set(spec.type, entry);
    this.loadType(entry, false);
    return () => {
      if (this.types.get(spec.type) === entry) {
        this.types.delete(spec.type);
        this.issuesByType.delete(spec.type);
      }
    };
  }

  hasType(type: string): boolean {
    return this.types.has(type);
  }

  typeNames(): string[] {
    return [...this.types.keys()];
  }

  snapshot(): string[] {
    return [...this.types.values()].map((t) => `object type:${t.spec.type}@${t.owner}`).sort();
  }

  retrieve<T = SorceryObject>(type: string, id: string): (T & SorceryObject) | undefined {
    return this.types.get(type)?.objects.get(id) as (T & SorceryObject) | undefined;
  }

  retrieveAll<T = SorceryObject>(type: string): Array<T & SorceryObject> {
    const t = this.types.get(type);
    return t ? ([...t.objects.values()] as Array<T & SorceryObject>) : [];
  }

  observe(type: string, observer: ObjectObserver): Disposer {
    const t = this.types.get(type);
    if (!t) throw new TstError('TST_ERR_UNKNOWN_KEY', `no object type '${type}' to observe`);
    t.observers.add(observer);
    return () => t.observers.delete(observer);
  }

  issues(type?: string): ConfigIssue[] {
    if (type !== undefined) return this.issuesByType.get(type) ?? [];
    return [...this.issuesByType.values()].flat();
  }

  /** Re-reads the files of every type (or of the types stored in `file`) and applies the differences. */
  reload(file?: string): void {
    for (const t of this.types.values()) {
      if (file === undefined || t.spec.file === file) this.loadType(t, true);
    }
  }

  /** Sections of the given files whose `type=` no registered type handles (warned after boot). */
  unhandledSections(files: string[]): Array<{ file: string; line: number; section: string; type: string }> {
    const out: Array<{ file: string; line: number; section: string; type: string }> = [];
    for (const f of files) {
      for (const s of this.readConfig(f).sections) {
        const type = sectionType(s);
        if (type !== undefined && !this.types.has(type.value)) {
          out.push({ file: type.file, line: type.line, section: s.name, type: type.value });
        }
      }
    }
    return out;
  }

  private loadType(t: TypeEntry, notify: boolean): void {
    const parsed = this.readConfig(t.spec.file);
    const issues: ConfigIssue[] = [];
    const next = new Map<string, SorceryObject>();
    for (const section of parsed.sections) {
      const type = sectionType(section);
      if (type?.value !== t.spec.type) continue;
      const obj = this.buildObject(t, section, issues);
      if (!obj) {
        // A bad object on reload keeps its last good version: nothing is lost to a typo.
        const prev = t.objects.get(section.name);
        if (prev && notify) next.set(section.name, prev);
        continue;
      }
      if (next.has(obj.id)) {
        issues.push({
          severity: 'warning',
          code: 'TST_ERR_CONFIG_OPTION',
          file: section.file,
          line: section.line,
          section: section.name,
          message: `${t.spec.type} '${obj.id}' is defined again; the later definition is used`,
        });
      }
      next.set(obj.id, obj);
    }
    for (const i of issues) {
      const line = formatIssue(i);
      if (i.severity === 'error') this.log.error(line);
      else this.log.warning(line);
    }
    this.issuesByType.set(t.spec.type, issues);
    const prev = t.objects;
    t.objects = next;
    if (!notify) return;
    for (const [id, obj] of next) {
      const old = prev.get(id);
      if (!old) this.emit(t, { kind: 'created', object: obj });
      else if (old !== obj && !sameObject(old, obj)) this.emit(t, { kind: 'updated', object: obj, previous: old });
      else next.set(id, old); // unchanged: keep the identity so holders of it see no change
    }
    for (const [id, old] of prev) if (!next.has(id)) this.emit(t, { kind: 'deleted', object: old });
  }

  private emit(t: TypeEntry, ev: ObjectEvent): void {
    for (const o of [...t.observers]) {
      try {
        o(ev);
      } catch (e) {
        this.log.error(`observer of ${t.spec.type} failed on ${ev.kind} '${ev.object.id}': ${String(e)}`);
      }
    }
  }

  private buildObject(t: TypeEntry, section: ConfigSection, issues: ConfigIssue[]): SorceryObject | undefined {
    const spec = t.spec;
    const obj: SorceryObject = {
      id: section.name,
      type: spec.type,
      source: { file: section.file, line: section.line },
      extended: {},
      patterned: {},
    };
    const lines = new Map<string, ConfigVariable>();
    let bad = false;
    const fail = (v: ConfigVariable | undefined, option: string | undefined, message: string) => {
      bad = true;
      const issue: ConfigIssue = {
        severity: 'error',
        code: 'TST_ERR_CONFIG_OPTION',
        file: v?.file ?? section.file,
        line: v?.line ?? section.line,
        section: section.name,
        message,
      };
      if (option !== undefined) issue.option = option;
      issues.push(issue);
    };
    for (const [name, o] of Object.entries(spec.options)) {
      if (o.default !== undefined) obj[name] = structuredCloneDefault(o.default);
    }
    const seenMultiple = new Set<string>();
    for (const v of section.variables) {
      if (RESERVED.has(v.name)) continue;
      if (v.name.startsWith('@')) {
        if (spec.extended) obj.extended[v.name.slice(1)] = v.value;
        else fail(v, v.name, `unknown option '${v.name}' for ${spec.type}`);
        continue;
      }
      const o = spec.options[v.name];
      if (!o) {
        const pat = spec.optionPatterns?.find((p) => p.pattern.test(v.name));
        if (pat) {
          try {
            convertOption(pat.spec, v.value);
            (obj.patterned[v.name] ??= []).push(v.value);
          } catch (e) {
            fail(v, v.name, `bad value for '${v.name}': ${(e as Error).message}`);
          }
          continue;
        }
        fail(v, v.name, `unknown option '${v.name}' for ${spec.type}`);
        continue;
      }
      let value: unknown;
      try {
        value = convertOption(o, v.value);
      } catch (e) {
        fail(v, v.name, `bad value for '${v.name}': ${(e as Error).message}`);
        continue;
      }
      lines.set(v.name, v);
      if (o.multiple) {
        // Repeated keys accumulate, template values first (Asterisk applies variables in order).
        if (!seenMultiple.has(v.name)) obj[v.name] = [];
        seenMultiple.add(v.name);
        const cur = obj[v.name] as unknown[];
        if (Array.isArray(value)) cur.push(...value);
        else cur.push(value);
      } else {
        obj[v.name] = value;
      }
    }
    if (bad) return undefined;
    const plain: Record<string, unknown> = {};
    for (const name of Object.keys(spec.options)) if (obj[name] !== undefined && !(obj[name] instanceof RegExp)) plain[name] = obj[name];
    if (!t.validate(plain)) {
      for (const err of t.validate.errors ?? []) {
        const option = err.instancePath.split('/')[1];
        fail(option !== undefined ? lines.get(option) : undefined, option, `bad value for '${option ?? '?'}': ${err.message ?? 'invalid'}`);
      }
      return undefined;
    }
    const msg = spec.check?.(obj);
    if (msg !== undefined) {
      fail(undefined, undefined, `${spec.type} '${section.name}' rejected: ${msg}`);
      return undefined;
    }
    return obj;
  }
}

function structuredCloneDefault(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

function sameObject(a: SorceryObject, b: SorceryObject): boolean {
  const strip = (o: SorceryObject) => {
    const { source: _s, ...rest } = o;
    return JSON.parse(JSON.stringify(rest, (_k, v) => (v instanceof RegExp ? `/${v.source}/${v.flags}` : v))) as unknown;
  };
  return isDeepStrictEqual(strip(a), strip(b));
}

function sectionType(s: ConfigSection): ConfigVariable | undefined {
  let t: ConfigVariable | undefined;
  for (const v of s.variables) if (v.name === 'type') t = v;
  return t;
}
