/**
 * Runs a CLI line: splits it into words (double quotes group words, as Asterisk's CLI does),
 * finds the registered command with the longest matching run of leading words, and calls it
 * with the rest. `help` and `core show help` list commands or show one command's usage.
 */
import { TstError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import type { CliCommand, CliIo } from './types.js';

export function normalizeCommand(words: string): string {
  return words.trim().toLowerCase().split(/\s+/).join(' ');
}

/** Splits a line into words; "double quoted" runs are one word, `\"` is a literal quote. */
export function tokenizeCli(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) {
      cur += line[++i];
      has = true;
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && (c === ' ' || c === '\t')) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (inQuote) throw new TstError('TST_ERR_CLI_USAGE', 'unterminated double quote');
  if (has) out.push(cur);
  return out;
}

export function findCommand(
  registry: Registry<CliCommand>,
  words: string[],
): { command: CliCommand; args: string[] } | undefined {
  for (let n = words.length; n > 0; n--) {
    const cmd = registry.get(normalizeCommand(words.slice(0, n).join(' ')));
    if (cmd) return { command: cmd, args: words.slice(n) };
  }
  return undefined;
}

export async function runCli(registry: Registry<CliCommand>, line: string, io: CliIo): Promise<void> {
  const words = tokenizeCli(line);
  if (words.length === 0) return;
  const hit = findCommand(registry, words);
  if (!hit) throw new TstError('TST_ERR_CLI_UNKNOWN', `No such command '${words.join(' ')}' (type 'core show help ${words[0]}' for other possible commands)`);
  await hit.command.handler(hit.args, io);
}

export function helpText(registry: Registry<CliCommand>, prefix: string[]): string {
  const p = normalizeCommand(prefix.join(' '));
  const cmds = registry
    .entries()
    .map((r) => r.value)
    .sort((a, b) => a.command.localeCompare(b.command));
  if (p !== '') {
    const exact = registry.get(p);
    if (exact) return `Usage: ${exact.usage}\n       ${exact.summary}\n`;
  }
  const shown = cmds.filter((c) => p === '' || normalizeCommand(c.command).startsWith(p));
  if (shown.length === 0) return `No such command '${prefix.join(' ')}'.\n`;
  return shown.map((c) => `${c.usage.padEnd(40)} -- ${c.summary}`).join('\n') + '\n';
}
