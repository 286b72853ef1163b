/**
 * The shape every config reader (the Asterisk dialect and YAML) produces, and what consumers
 * (sorcery, pbx_config, modules.conf, asterisk.conf) read. Line numbers travel with every value
 * so an error can always name file, line, section and option.
 */
import type { ErrorCode } from '../core/errors.js';

export interface ConfigVariable {
  name: string;
  value: string;
  /** File the line was read from, relative to the config folder when it is inside it. */
  file: string;
  line: number;
  /** true for `key => value` (Asterisk's "object" assignment), false for `key = value`. */
  object: boolean;
  /** true when the variable came from a template rather than the section itself. */
  inherited: boolean;
}

export interface ConfigSection {
  name: string;
  file: string;
  line: number;
  /** Templates this section inherited from, in the order written. */
  templates: string[];
  /** Variables in order: inherited ones first (template order), then the section's own, repeats kept. */
  variables: ConfigVariable[];
}

export interface ConfigIssue {
  severity: 'error' | 'warning';
  code: ErrorCode;
  file: string;
  /** 1-based; 0 when the issue concerns the whole file (unreadable, too large, not a regular file). */
  line: number;
  section?: string;
  option?: string;
  message: string;
}

export interface ParsedConfig {
  /** The file asked for (e.g. `pjsip.conf`). */
  file: string;
  /** false when neither the file nor an alternative (YAML) exists. */
  found: boolean;
  /** Non-template sections in file order; the same name may appear several times. */
  sections: ConfigSection[];
  issues: ConfigIssue[];
  /** Every file read, the top one first (includes after), for reload change detection. */
  filesRead: string[];
  /**
   * Absolute paths and glob patterns that were looked for but not (all) found: a missing
   * `#tryinclude` file, every glob `#include` pattern, the absent .conf or .yaml alternative.
   * A file appearing there would change the result, so reload change detection watches them too.
   */
  watchPaths?: string[];
}

/** Formats an issue as `file:line: [section] option: message`. */
export function formatIssue(i: ConfigIssue): string {
  const where = `${i.file}:${i.line}`;
  const sec = i.section !== undefined ? ` [${i.section}]` : '';
  const opt = i.option !== undefined ? ` ${i.option}:` : '';
  return `${where}:${sec}${opt} ${i.message}`;
}
