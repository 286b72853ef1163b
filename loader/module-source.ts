/**
 * Finds and imports a module by the name modules.conf gives: a built-in from the catalogue, a
 * `.js`/`.mjs` file (absolute, or relative to the config folder or the module folder), or an npm
 * package. Whatever it is, it must export (default or `module`) the same TsteriskModule interface.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TstError, errorMessage } from '../core/errors.js';
import type { TsteriskModule } from '../core/module.js';
import { catalogue } from '../modules/index.js';

const SUPPORT = new Set(['core', 'extended', 'deprecated']);

export type ModuleOrigin = 'builtin' | 'file' | 'package';

export function validateModule(candidate: unknown, from: string): TsteriskModule {
  const m = candidate as Partial<TsteriskModule> | undefined;
  const info = m?.info;
  const problems: string[] = [];
  if (!m || typeof m !== 'object') problems.push('no module object exported');
  else {
    if (!info || typeof info !== 'object') problems.push('no info');
    else {
      if (typeof info.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(info.name)) problems.push('info.name must be a plain name');
      if (typeof info.description !== 'string') problems.push('info.description must be a string');
      if (!SUPPORT.has(info.supportLevel as string)) problems.push("info.supportLevel must be 'core', 'extended' or 'deprecated'");
      if (info.loadPriority !== undefined && !Number.isInteger(info.loadPriority)) problems.push('info.loadPriority must be an integer');
      for (const k of ['requires', 'optional'] as const) {
        const v = info[k];
        if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) problems.push(`info.${k} must be a list of names`);
      }
    }
    if (typeof m.load !== 'function') problems.push('load() missing');
  }
  if (problems.length > 0) throw new TstError('TST_ERR_MODULE_INVALID', `${from} is not a valid module: ${problems.join('; ')}`);
  return m as TsteriskModule;
}

export async function importModule(
  name: string,
  dirs: { configDir: string; moduleDir?: string },
): Promise<{ module: TsteriskModule; origin: ModuleOrigin; location: string }> {
  const builtin = catalogue[name];
  if (builtin) {
    const ns = (await builtin()) as { default?: unknown };
    return { module: validateModule(ns.default, name), origin: 'builtin', location: name };
  }
  let target: string | undefined;
  let origin: ModuleOrigin = 'file';
  if (/\.(m?js)$/i.test(name) || name.startsWith('.') || path.isAbsolute(name)) {
    const candidates = path.isAbsolute(name)
      ? [name]
      : [dirs.moduleDir, dirs.configDir].filter((d): d is string => !!d).map((d) => path.resolve(d, name));
    target = candidates.find((c) => existsSync(c));
    if (!target) throw new TstError('TST_ERR_MODULE_NOT_FOUND', `module file '${name}' not found (looked in ${candidates.join(', ')})`);
    target = pathToFileURL(target).href;
  } else {
    origin = 'package';
    try {
      target = pathToFileURL(createRequire(path.join(dirs.configDir, 'noop.js')).resolve(name)).href;
    } catch {
      target = name;
    }
  }
  let ns: { default?: unknown; module?: unknown };
  try {
    ns = (await import(target)) as { default?: unknown; module?: unknown };
  } catch (e) {
    if (origin === 'package' && (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && errorMessage(e).includes(`'${name}'`)) {
      throw new TstError('TST_ERR_MODULE_NOT_FOUND', `no module '${name}' (not built in, not a file, not an installed package)`);
    }
    throw new TstError('TST_ERR_MODULE_INVALID', `module '${name}' failed at import: ${errorMessage(e)}`, { cause: e });
  }
  return { module: validateModule(ns.default ?? ns.module, name), origin, location: target };
}
