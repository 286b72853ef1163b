/**
 * Reading one config file from disk with the checks that keep a bad file from hurting the node:
 * it must be a regular file (Asterisk skips anything else) and no larger than the size limit.
 * Never throws; a failure comes back as a message for an issue.
 */
import fs from 'node:fs';

/** Default per-file size limit. Real Asterisk configs are kilobytes; this only stops accidents. */
export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

export type FileRead =
  | { status: 'ok'; text: string; realPath: string }
  | { status: 'missing' }
  | { status: 'not-regular' }
  | { status: 'failed'; message: string };

export function readConfigFile(absPath: string, maxBytes: number): FileRead {
  let st: fs.Stats;
  try {
    st = fs.statSync(absPath);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return { status: 'missing' };
    return { status: 'failed', message: `cannot read: ${errnoMessage(e)}` };
  }
  if (!st.isFile()) return { status: 'not-regular' };
  if (st.size > maxBytes) return { status: 'failed', message: `file is ${st.size} bytes, larger than the ${maxBytes}-byte limit` };
  try {
    let text = fs.readFileSync(absPath, 'utf8');
    // A UTF-8 byte order mark would otherwise glue itself to the first section header.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { status: 'ok', text, realPath: fs.realpathSync(absPath) };
  } catch (e) {
    return { status: 'failed', message: `cannot read: ${errnoMessage(e)}` };
  }
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

function errnoMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
