/**
 * Reads the SIP messages out of the wire captures in /work/shared/peers/recorded.
 *
 * Two formats exist:
 *  - Asterisk captures (asterisk/*.txt): `### <n> t=+<s> <SENT|RECEIVED> <proto> <src> -> <dst>`,
 *    then the datagram byte for byte (CRLF kept), then one LF. `# ` lines are annotations.
 *    Messages are cut by their own Content-Length, so bodies holding blank lines are kept whole.
 *  - sip-listen logs (baresip-*.txt): `===== <t>s <RECEIVED from|SENT to> <proto> <addr> =====`,
 *    then the message with every CRLF printed as LF. The CRLFs are restored: header lines always
 *    get them, and the body gets them only if that makes it match its Content-Length (XML bodies
 *    were sent with bare LFs, message-summary bodies with CRLFs).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface RecordedMessage {
  /** The message bytes as they were on the wire. */
  raw: Buffer;
  /** File name without directory. */
  file: string;
  /** Position of the message in its file, from 0. */
  index: number;
  /** The `### <n>` number (Asterisk captures), else null. */
  seq: number | null;
  /** Seconds since the capture started. */
  time: number;
  direction: 'SENT' | 'RECEIVED';
  /** UDP or TCP. */
  transport: string;
  /** Source and destination `ip:port` (Asterisk captures), else null. */
  src: string | null;
  dst: string | null;
  /** The remote `ip:port` of a sip-listen log line, else null. */
  peer: string | null;
  /** `# ` annotation lines written since the previous message (without the `# `). */
  notes: string[];
  /** True when line ends were restored (sip-listen logs print CRLF as LF). */
  reconstructed: boolean;
}

/** Default location of the captures; TST_RECORDED_DIR overrides it. */
export const RECORDED_DIR = process.env.TST_RECORDED_DIR ?? '/work/shared/peers/recorded';

const CRLFCRLF = Buffer.from('\r\n\r\n');

export function readRecordedMessages(file: string): RecordedMessage[] {
  const data = readFileSync(file);
  const text = data.toString('latin1');
  if (/^### \d+ t=/m.test(text)) return readAsteriskCapture(data, basename(file));
  if (/^===== +[0-9.]+s (RECEIVED from|SENT to) /m.test(text)) return readSipListenLog(data, basename(file));
  return [];
}

function contentLength(head: string): number | null {
  const m = /(?:^|\r?\n)(?:content-length|l)[ \t]*:[ \t]*([0-9]+)/i.exec(head);
  return m === null ? null : Number(m[1]);
}

function readAsteriskCapture(data: Buffer, file: string): RecordedMessage[] {
  const out: RecordedMessage[] = [];
  let notes: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    let eol = data.indexOf(0x0a, pos);
    if (eol === -1) eol = data.length;
    const line = data.toString('utf8', pos, eol);
    pos = eol + 1;
    if (line.startsWith('# ')) {
      notes.push(line.slice(2));
      continue;
    }
    const m = /^### (\d+) t=\+([0-9.]+) (SENT|RECEIVED) (\S+) (\S+) -> (\S+)$/.exec(line);
    if (m === null) continue;
    const msgStart = pos;
    const hdrEnd = data.indexOf(CRLFCRLF, msgStart);
    let msgEnd: number;
    const cl = hdrEnd === -1 ? null : contentLength(data.toString('latin1', msgStart, hdrEnd));
    if (hdrEnd !== -1 && cl !== null) {
      msgEnd = hdrEnd + 4 + cl;
    } else {
      // No Content-Length: up to the blank line that precedes the next entry.
      const next = data.toString('latin1', msgStart).search(/\n\n(?:### |# )/);
      msgEnd = next === -1 ? data.length : msgStart + next;
    }
    out.push({
      raw: Buffer.from(data.subarray(msgStart, msgEnd)),
      file,
      index: out.length,
      seq: Number(m[1]),
      time: Number(m[2]),
      direction: m[3] as 'SENT' | 'RECEIVED',
      transport: m[4],
      src: m[5],
      dst: m[6],
      peer: null,
      notes,
      reconstructed: false,
    });
    notes = [];
    pos = msgEnd;
  }
  return out;
}

function readSipListenLog(data: Buffer, file: string): RecordedMessage[] {
  const text = data.toString('utf8');
  const out: RecordedMessage[] = [];
  const marker = /^===== +([0-9.]+)s (RECEIVED from|SENT to) (\S+) (\S+) =====$/gm;
  const heads = [...text.matchAll(marker)];
  for (let k = 0; k < heads.length; k++) {
    const h = heads[k];
    const from = (h.index ?? 0) + h[0].length + 1;
    const to = k + 1 < heads.length ? (heads[k + 1].index ?? text.length) : text.length;
    const chunk = text.slice(from, to);
    const split = chunk.indexOf('\n\n');
    const headLines = (split === -1 ? chunk.replace(/\n+$/, '') : chunk.slice(0, split)).split('\n');
    const head = `${headLines.join('\r\n')}\r\n\r\n`;
    const rest = split === -1 ? '' : chunk.slice(split + 2);
    const cl = contentLength(head) ?? 0;
    const body = restoreBody(rest, cl);
    out.push({
      raw: Buffer.concat([Buffer.from(head, 'utf8'), body]),
      file,
      index: out.length,
      seq: null,
      time: Number(h[1]),
      direction: h[2].startsWith('RECEIVED') ? 'RECEIVED' : 'SENT',
      transport: h[3],
      src: null,
      dst: null,
      peer: h[4],
      notes: [],
      reconstructed: true,
    });
  }
  return out;
}

/** Pick the body spelling (CRLF or LF) whose first Content-Length bytes leave only blank lines. */
function restoreBody(rest: string, cl: number): Buffer {
  if (cl === 0) return Buffer.alloc(0);
  for (const candidate of [rest.replace(/\n/g, '\r\n'), rest]) {
    const bytes = Buffer.from(candidate, 'utf8');
    if (bytes.length >= cl && /^[\r\n]*$/.test(bytes.toString('utf8', cl))) return bytes.subarray(0, cl);
  }
  return Buffer.from(rest, 'utf8');
}
