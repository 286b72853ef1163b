/**
 * The response a stream transport sends before closing a connection whose byte stream it can
 * no longer frame (bad or missing Content-Length, body over the limit): a 400/513 naming the
 * fault, built like any other response when the request's Via, From, To, Call-ID and CSeq can
 * be read from the header block. Anything less (no header block end, a response, an ACK) gets
 * no answer, only the close.
 */
import { parseMessage } from '../parser.js';
import { buildResponse, serializeMessage } from '../serializer.js';
import type { SipLimits } from '../message.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** `data` starts at the failing message (leading CR/LF allowed). */
export function framingErrorResponse(data: Buffer, error: string, status: number, limits: Readonly<SipLimits>): Buffer | null {
  const end = data.indexOf(CRLFCRLF);
  if (end === -1 || end + 4 > limits.maxMessageSize) return null;
  const parsed = parseMessage(data.subarray(0, end + 4), limits);
  let request;
  if (parsed.ok) {
    if (parsed.message.kind !== 'request') return null;
    request = parsed.message;
  } else {
    if (!parsed.canRespond || parsed.partial === undefined) return null;
    request = parsed.partial;
  }
  if (request.method === 'ACK') return null;
  return serializeMessage(buildResponse(request, status, error));
}

/**
 * Where the failing message starts in `data` (the bytes the framer held plus the chunk that
 * failed): skip the bytes the framer had already consumed, then every message it emitted from
 * this chunk before failing. Keep-alive CRLFs left in front do not matter: the parser skips them.
 */
export function locateFailingMessage(data: Buffer, consumedBefore: number, emitted: readonly Buffer[]): Buffer {
  let offset = consumedBefore;
  for (const m of emitted) {
    const probe = m.subarray(0, Math.min(m.length, 64));
    const at = data.indexOf(probe, offset);
    if (at === -1) break;
    offset = at + m.length;
  }
  return data.subarray(Math.min(offset, data.length));
}
