/**
 * asterisk.conf: where the node keeps its files, and its entity ID.
 *
 * `[directories]` takes Asterisk's key names (`astetcdir`, `astdbdir`, `astrundir`,
 * `astvarlibdir`, `astspooldir`, `astlogdir`, `astdatadir`, `astmoddir`), written with `=>` as in
 * Asterisk's sample or with `=`; names are case-insensitive. Relative paths are relative to the
 * config folder (Asterisk would take them relative to its working directory). Asterisk's other
 * directory keys (`astagidir`, `astkeydir`, `astsbindir`, `astcachedir`) are accepted and unused;
 * any other key is a warning.
 *
 * Defaults. Without asterisk.conf, or for a directory it does not set, everything lives in a state
 * folder next to the config folder, so a node never writes into its config folder nor into system
 * paths: for config folder `/srv/node1/conf` that is `/srv/node1/conf-state/` with
 *   astdbdir     → conf-state/db     (but: when only astvarlibdir is set, the database follows it,
 *                                      as Asterisk puts `astdb` in astvarlibdir unless astdbdir is set)
 *   astrundir    → conf-state/run
 *   astvarlibdir → conf-state/lib
 *   astdatadir   → conf-state/lib    (Asterisk's default data dir is its var-lib dir too)
 *   astspooldir  → conf-state/spool
 *   astlogdir    → conf-state/log
 *   astetcdir    → the config folder itself
 *   astmoddir    → '' (not set: modules come from the installed package)
 * The folders are not created here.
 *
 * `[options]`: every key is kept in `options` (lower-cased name, the last value wins), since
 * Asterisk has dozens and other parts of tsterisk read the ones they need. `entityid` must be an
 * EID (`00:11:22:33:44:55`, `-` separators accepted); a bad one is an error and the default EID is
 * used, as Asterisk does. The default EID comes from the first interface with a real MAC address
 * (see conf/eid.ts), else a random one with a warning.
 *
 * Unlike Asterisk, which reads only the first `[directories]` and `[options]` section, every
 * section of those names is read, in order.
 */
import path from 'node:path';
import type { ConfigIssue } from './types.js';
import { defaultEid, parseEid, type InterfaceList } from './eid.js';
import { readConfig } from './read-config.js';

export interface AsteriskDirectories {
  astetcdir: string;
  astdbdir: string;
  astrundir: string;
  astvarlibdir: string;
  astspooldir: string;
  astlogdir: string;
  astdatadir: string;
  /** '' when not set. */
  astmoddir: string;
}

export interface AsteriskConf {
  found: boolean;
  /** `xx:xx:xx:xx:xx:xx`, lower case. */
  entityId: string;
  entityIdSource: 'config' | 'mac' | 'random';
  directories: AsteriskDirectories;
  /** Every `[options]` key, lower-cased, last value wins. */
  options: Map<string, string>;
  issues: ConfigIssue[];
}

export interface ReadAsteriskConfOptions {
  /** Source of network interfaces for the default EID (tests inject one); default `os.networkInterfaces`. */
  networkInterfaces?: () => InterfaceList;
}

export const ASTERISK_CONF = 'asterisk.conf';

type DirectoryKey = keyof AsteriskDirectories;

const DIRECTORY_KEYS: ReadonlySet<string> = new Set<DirectoryKey>([
  'astetcdir',
  'astdbdir',
  'astrundir',
  'astvarlibdir',
  'astspooldir',
  'astlogdir',
  'astdatadir',
  'astmoddir',
]);

/** Keys Asterisk knows in [directories] that tsterisk has no use for. */
const UNUSED_DIRECTORY_KEYS: ReadonlySet<string> = new Set(['astagidir', 'astkeydir', 'astsbindir', 'astcachedir']);

/** The state folder used for every directory asterisk.conf leaves unset. */
export function stateFolder(configDir: string): string {
  const dir = path.resolve(configDir);
  return path.join(path.dirname(dir), `${path.basename(dir)}-state`);
}

export function readAsteriskConf(configDir: string, opts: ReadAsteriskConfOptions = {}): AsteriskConf {
  const dir = path.resolve(configDir);
  const parsed = readConfig(dir, ASTERISK_CONF);
  const issues: ConfigIssue[] = [...parsed.issues];
  const set: Partial<Record<DirectoryKey, string>> = {};
  const options = new Map<string, string>();
  let entity: { value: string; file: string; line: number } | undefined;

  for (const section of parsed.sections) {
    const which = section.name.toLowerCase();
    if (which === 'directories') {
      for (const v of section.variables) {
        const key = v.name.toLowerCase();
        if (DIRECTORY_KEYS.has(key)) {
          if (v.value === '') {
            issues.push({ severity: 'warning', code: 'TST_ERR_CONFIG_OPTION', file: v.file, line: v.line, section: section.name, option: v.name, message: 'empty directory; the default is used' });
          } else {
            set[key as DirectoryKey] = path.resolve(dir, v.value);
          }
        } else if (!UNUSED_DIRECTORY_KEYS.has(key)) {
          issues.push({ severity: 'warning', code: 'TST_ERR_CONFIG_OPTION', file: v.file, line: v.line, section: section.name, option: v.name, message: `unknown directory key '${v.name}'; ignored` });
        }
      }
    } else if (which === 'options') {
      for (const v of section.variables) {
        const key = v.name.toLowerCase();
        options.set(key, v.value);
        if (key === 'entityid') entity = { value: v.value, file: v.file, line: v.line };
      }
    }
  }

  const state = stateFolder(dir);
  const varlib = set.astvarlibdir ?? path.join(state, 'lib');
  const directories: AsteriskDirectories = {
    astetcdir: set.astetcdir ?? dir,
    astdbdir: set.astdbdir ?? set.astvarlibdir ?? path.join(state, 'db'),
    astrundir: set.astrundir ?? path.join(state, 'run'),
    astvarlibdir: varlib,
    astspooldir: set.astspooldir ?? path.join(state, 'spool'),
    astlogdir: set.astlogdir ?? path.join(state, 'log'),
    astdatadir: set.astdatadir ?? path.join(state, 'lib'),
    astmoddir: set.astmoddir ?? '',
  };

  let entityId: string | undefined;
  let entityIdSource: AsteriskConf['entityIdSource'] = 'config';
  if (entity) {
    entityId = parseEid(entity.value);
    if (entityId === undefined) {
      issues.push({
        severity: 'error',
        code: 'TST_ERR_CONFIG_OPTION',
        file: entity.file,
        line: entity.line,
        section: 'options',
        option: 'entityid',
        message: `invalid entity ID '${entity.value}' (expected xx:xx:xx:xx:xx:xx); the default is used`,
      });
    }
  }
  if (entityId === undefined) {
    const d = defaultEid(opts.networkInterfaces?.());
    entityId = d.eid;
    entityIdSource = d.source;
    if (d.source === 'random') {
      issues.push({
        severity: 'warning',
        code: 'TST_ERR_CONFIG_OPTION',
        file: ASTERISK_CONF,
        line: 0,
        section: 'options',
        option: 'entityid',
        message: `no network interface with a usable MAC address; using the random entity ID ${d.eid} (set entityid in [options] to keep one)`,
      });
    }
  }

  return { found: parsed.found, entityId, entityIdSource, directories, options, issues };
}
