/**
 * `readConfig`: one config file as consumers see it. The Asterisk-dialect file (with its
 * #includes, templates and `(+)` additions, see conf/dialect/) is read first, then the YAML file of
 * the same base name beside it (`pjsip.conf` → `pjsip.yaml`, see conf/yaml.ts), whose sections
 * come after. Synchronous on purpose: it only runs at boot and reload.
 *
 * Nothing here throws for a bad file: every problem is an issue naming file and line, and
 * everything else still loads. A missing file is not a problem: `found: false`, no issue.
 */
import path from 'node:path';
import type { ParsedConfig } from './types.js';
import { DEFAULT_MAX_FILE_BYTES } from './dialect/file-source.js';
import { loadDialect } from './dialect/loader.js';
import { displayPath, resolveConfigPath } from './dialect/paths.js';
import { readYamlCategories } from './yaml.js';

export interface ReadConfigOptions {
  /** Deepest nesting of files, the top file counting as 1 (Asterisk's MAX_INCLUDE_LEVEL, 10). */
  maxIncludeDepth?: number;
  /** Largest file read, per file (default 8 MiB); a larger one is an issue and is skipped. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_INCLUDE_DEPTH = 10;

/** The YAML alternative's name: `pjsip.conf` → `pjsip.yaml`, `foo` → `foo.yaml`. */
export function yamlAlternative(fileName: string): string {
  const p = path.parse(fileName);
  return path.join(p.dir, `${p.ext === '.conf' ? p.name : p.base}.yaml`);
}

export function readConfig(configDir: string, fileName: string, options: ReadConfigOptions = {}): ParsedConfig {
  const dir = path.resolve(configDir);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const conf = loadDialect(dir, fileName, { maxIncludeDepth: options.maxIncludeDepth ?? DEFAULT_MAX_INCLUDE_DEPTH, maxFileBytes });

  const yamlPath = resolveConfigPath(dir, yamlAlternative(fileName));
  const yaml = readYamlCategories(yamlPath, displayPath(dir, yamlPath), { bases: conf.categories, maxFileBytes });
  const filesRead = [...conf.filesRead];
  const watchPaths = [...conf.watchPaths];
  if (yaml.found) filesRead.push(yamlPath);
  else watchPaths.push(yamlPath);

  const all = [...conf.categories, ...yaml.categories];
  return {
    file: fileName,
    found: conf.found || yaml.found,
    sections: all.filter((c) => !c.template).map((c) => c.section),
    issues: [...conf.issues, ...yaml.issues],
    filesRead,
    watchPaths,
  };
}
