/**
 * Real config folders for the conf tests: every case writes its files into a fresh temp folder,
 * and small helpers turn results into compact rows that assert.deepEqual can compare field by field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigIssue, ConfigSection, ParsedConfig } from '../../conf/types.js';

const made: string[] = [];

/** A temp folder holding `files` (relative paths, folders created as needed); removed by cleanupTrees(). */
export function writeTree(files: Record<string, string>, root?: string): string {
  const dir = root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tst-conf-'));
  if (root === undefined) made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

export function cleanupTrees(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** `name=value` strings of a section, in order. */
export function pairs(s: ConfigSection): string[] {
  return s.variables.map((v) => `${v.name}=${v.value}`);
}

/** Every field of every variable, as `name|value|file:line|object|inherited`. */
export function fullVars(s: ConfigSection): string[] {
  return s.variables.map((v) => `${v.name}|${v.value}|${v.file}:${v.line}|${v.object ? 'object' : 'plain'}|${v.inherited ? 'inherited' : 'own'}`);
}

/** Sections as `[name] file:line (templates)`. */
export function heads(r: ParsedConfig): string[] {
  return r.sections.map((s) => `[${s.name}] ${s.file}:${s.line}${s.templates.length ? ` (${s.templates.join(',')})` : ''}`);
}

/** Issues as `severity code file:line`, the message left out so wording can change. */
export function issueKeys(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => `${i.severity} ${i.code} ${i.file}:${i.line}`);
}
