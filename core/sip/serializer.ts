/**
 * Message -> wire bytes, plus the helpers every layer uses to make responses and identifiers.
 * Header names come out in their canonical long form, lines end in CRLF, and Content-Length is
 * always recomputed from the body bytes (so UTF-8 bodies are counted in bytes, not characters).
 */
import { randomFillSync } from 'node:crypto';
import { SipResponse, type HeaderInit, type SipMessage, type SipRequest } from './message.js';
import { isJoinedOnOutput } from './headers.js';
import { withTag } from './header-values.js';

/** Strip CR/LF from a value so no caller can inject header lines by accident. */
function clean(s: string): string {
  return s.indexOf('\n') === -1 && s.indexOf('\r') === -1 ? s : s.replace(/[\r\n]+/g, ' ');
}

export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? `${clean(msg.method)} ${clean(msg.uri)} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${clean(msg.reason)}\r\n`;
  const names = msg._names;
  const keys = msg._keys;
  const values = msg._values;
  const body = msg.body;
  const bodyLen = body.length;
  let clWritten = false;
  const count = keys.length;
  for (let i = 0; i < count; i++) {
    const key = keys[i];
    if (key === 'Content-Length') {
      // Keep Content-Length where it was, but with the real byte count.
      if (!clWritten) head += `Content-Length: ${bodyLen}\r\n`;
      clWritten = true;
      continue;
    }
    let value = values[i];
    if (isJoinedOnOutput(key)) {
      while (i + 1 < count && keys[i + 1] === key) value += `, ${values[++i]}`;
    }
    head += `${names[i]}: ${clean(value)}\r\n`;
  }
  if (!clWritten) head += `Content-Length: ${bodyLen}\r\n`;
  head += '\r\n';

  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + bodyLen);
  out.write(head, 0, headLen, headLen === head.length ? 'latin1' : 'utf8');
  if (bodyLen > 0) body.copy(out, headLen);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Responses

const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  429: 'Provide Referrer Identity',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** Standard reason phrase of a status code (RFC 3261 21 and event/publish extensions). */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status >= 200 && status < 300 ? 'OK' : 'Unknown');
}

export interface ResponseOptions {
  /** To-tag to add when the request's To has none (default: a generated one; never added on 100). */
  toTag?: string;
  /** Extra headers appended after the copied ones. */
  headers?: HeaderInit;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * A response to `request` per RFC 3261 8.2.6.2: Via values (all, in order), From, To, Call-ID
 * and CSeq copied as they were, a To-tag added when the request had none (except for 100),
 * and Timestamp echoed on 100. `extra` is either options or just a list of extra headers.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  extra?: ResponseOptions | HeaderInit,
): SipResponse {
  const opts: ResponseOptions = extra === undefined ? {} : isHeaderInit(extra) ? { headers: extra } : extra;
  const res = new SipResponse(status, reason ?? reasonPhrase(status));
  const src = request;
  const push = (name: string, value: string): void => {
    res._names.push(name);
    res._keys.push(name);
    res._values.push(value);
  };
  for (const v of src.getHeaders('Via')) push('Via', v);
  const fromValue = src.getHeader('From');
  if (fromValue !== undefined) push('From', fromValue);
  let toValue = src.getHeader('To');
  const to = src.to;
  let tag = to.tag;
  if (toValue !== undefined && tag === null && status !== 100) {
    tag = opts.toTag ?? generateTag();
    toValue = `${toValue};tag=${tag}`;
  }
  if (toValue !== undefined) push('To', toValue);
  const callId = src.getHeader('Call-ID');
  if (callId !== undefined) push('Call-ID', callId);
  const cseq = src.getHeader('CSeq');
  if (cseq !== undefined) push('CSeq', cseq);
  if (status === 100) {
    const ts = src.getHeader('Timestamp');
    if (ts !== undefined) push('Timestamp', ts);
  }
  res._setParsed(src.callId, src.cseq, src.from, tag === to.tag || tag === null ? to : withTag(to, tag), src.vias.slice());
  if (opts.headers) for (const [name, value] of opts.headers) res.addHeader(name, value);
  if (opts.body !== undefined) res.setBody(opts.body, opts.contentType);
  else if (opts.contentType !== undefined) res.setHeader('Content-Type', opts.contentType);
  return res;
}

function isHeaderInit(x: ResponseOptions | HeaderInit): x is HeaderInit {
  return Array.isArray(x);
}

// ---------------------------------------------------------------------------------------------
// Identifiers

// One randomFillSync per 4 KiB instead of one crypto call per tag: tags and branches are made
// for every request and response.
const POOL = Buffer.allocUnsafe(4096);
let poolPos = POOL.length;

function randomHex(bytes: number): string {
  if (poolPos + bytes > POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
  const s = POOL.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** From/To tag: 64 random bits in hex. */
export function generateTag(): string {
  return randomHex(8);
}

/** Via branch: the RFC 3261 magic cookie `z9hG4bK` plus 96 random bits. */
export function generateBranch(): string {
  return `z9hG4bK${randomHex(12)}`;
}

/** Call-ID: 128 random bits in hex, `@host` appended when a host is given. */
export function generateCallId(host?: string): string {
  const id = randomHex(16);
  return host ? `${id}@${host}` : id;
}
