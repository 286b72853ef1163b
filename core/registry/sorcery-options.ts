/**
 * Option converters for config objects, as Asterisk's sorcery/config option handlers convert:
 * `ast_true`/`ast_false` booleans, unsigned and signed integers, comma lists, enums. A converter
 * returns the typed value or throws a message that names what was wrong.
 */
export type OptionKind = 'string' | 'bool' | 'uint' | 'int' | 'float' | 'list' | 'enum' | 'regex';

export interface OptionSpec {
  kind: OptionKind;
  /** Already-converted default, used when the option is absent. */
  default?: unknown;
  /** Repeated keys accumulate into an array (contact=, match=); otherwise the last one wins. */
  multiple?: boolean;
  /** For 'enum': the accepted values (compared case-insensitively, stored as listed). */
  values?: readonly string[];
  /** Extra JSON-schema constraints for ajv on the converted value (minimum, maximum, pattern…). */
  schema?: Record<string, unknown>;
  /** A converter of the option's own; overrides `kind`'s. */
  convert?: (raw: string) => unknown;
  description?: string;
}

const TRUE = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const FALSE = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/** ast_true / ast_false from main/utils.c. */
export function parseBool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new Error(`'${raw}' is not a boolean (yes/no)`);
}

export function parseUint(raw: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) throw new Error(`'${raw}' is not an unsigned integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`'${raw}' is too large`);
  return n;
}

export function parseInt10(raw: string): number {
  const v = raw.trim();
  if (!/^[-+]?\d+$/.test(v)) throw new Error(`'${raw}' is not an integer`);
  return Number(v);
}

export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function convertOption(spec: OptionSpec, raw: string): unknown {
  if (spec.convert) return spec.convert(raw);
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'bool':
      return parseBool(raw);
    case 'uint':
      return parseUint(raw);
    case 'int':
      return parseInt10(raw);
    case 'float': {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`'${raw}' is not a number`);
      return n;
    }
    case 'list':
      return parseList(raw);
    case 'enum': {
      const v = raw.trim().toLowerCase();
      const hit = spec.values?.find((x) => x.toLowerCase() === v);
      if (hit === undefined) throw new Error(`'${raw}' is not one of ${(spec.values ?? []).join(', ')}`);
      return hit;
    }
    case 'regex': {
      if (raw === '') return undefined;
      try {
        return new RegExp(raw);
      } catch {
        throw new Error(`'${raw}' is not a valid regular expression`);
      }
    }
  }
}

/** The JSON schema ajv checks the converted value against. */
export function schemaFor(spec: OptionSpec): Record<string, unknown> {
  let base: Record<string, unknown>;
  switch (spec.kind) {
    case 'bool':
      base = { type: 'boolean' };
      break;
    case 'uint':
      base = { type: 'integer', minimum: 0 };
      break;
    case 'int':
      base = { type: 'integer' };
      break;
    case 'float':
      base = { type: 'number' };
      break;
    case 'list':
      base = { type: 'array', items: { type: 'string' } };
      break;
    case 'enum':
      base = { type: 'string', enum: [...(spec.values ?? [])] };
      break;
    case 'regex':
      base = {};
      break;
    default:
      base = { type: 'string' };
  }
  if (spec.convert) base = {};
  const merged = { ...base, ...(spec.schema ?? {}) };
  if (spec.multiple && spec.kind !== 'list') return { type: 'array', items: merged };
  return merged;
}
