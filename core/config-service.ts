/**
 * Parsed config files of one node, read once and cached until a reload asks for fresh copies.
 * Every error found while reading a file is logged once, with file and line.
 */
import { readConfig } from '../conf/read-config.js';
import { formatIssue, type ParsedConfig } from '../conf/types.js';
import type { Logger } from './log.js';

export class ConfigService {
  private readonly cache = new Map<string, ParsedConfig>();

  constructor(
    readonly configDir: string,
    private readonly log: Logger,
  ) {}

  read(file: string): ParsedConfig {
    let parsed = this.cache.get(file);
    if (!parsed) {
      parsed = readConfig(this.configDir, file);
      for (const i of parsed.issues) {
        if (i.severity === 'error') this.log.error(formatIssue(i));
        else this.log.warning(formatIssue(i));
      }
      this.cache.set(file, parsed);
    }
    return parsed;
  }

  /** Forgets cached files (all, or one) so the next read sees the disk again. */
  invalidate(file?: string): void {
    if (file === undefined) this.cache.clear();
    else this.cache.delete(file);
  }
}
