/**
 * RFC 3261 message parser, datagram semantics (RFC 3261 18.3): the buffer holds one whole
 * message; Content-Length larger than what follows the headers is an error, smaller truncates
 * the body, and a missing one means "the rest of the datagram". Stream transports frame
 * messages first with stream-framer.ts and then hand each one here.
 *
 * It works on the header block decoded once into a string and walks it with indexOf; the five
 * headers every layer needs are parsed here, once, and cached on the message. On failure the
 * result says whether a 400 (or 505/513) can still be sent: only for requests whose Via, From,
 * To, Call-ID and CSeq all parsed, since those are what a response is built from (RFC 3261
 * 8.2.6.2). Anything else is dropped by the caller (and counted).
 */
import {
  DEFAULT_SIP_LIMITS,
  SipRequest,
  SipResponse,
  type CSeq,
  type NameAddr,
  type SipLimits,
  type SipMessage,
  type Via,
} from './message.js';
import { isListHeader, knownHeaderKey, splitHeaderList } from './headers.js';
import { isTokenChar, parseCallId, parseCSeq, parseNameAddr, parseUnsigned, parseVia } from './header-values.js';

export interface ParseSuccess {
  readonly ok: true;
  readonly message: SipMessage;
}

export interface ParseFailure {
  readonly ok: false;
  /** Reason phrase naming the fault, e.g. 'Bad CSeq', 'Missing Call-ID', 'Content-Length mismatch'. */
  readonly error: string;
  /** Suggested response status: 400, 505 (bad SIP version) or 513 (message or body too large). */
  readonly status: number;
  /** 'request' / 'response' when the start line said so, null when it was unreadable. */
  readonly kind: 'request' | 'response' | null;
  /** True only for a request whose Via, From, To, Call-ID and CSeq parsed: answer it, else drop it. */
  readonly canRespond: boolean;
  /**
   * When canRespond: the request as far as it parsed (all its headers, empty body), ready for
   * buildResponse(partial, status, error).
   */
  readonly partial?: SipRequest;
}

export type ParseResult = ParseSuccess | ParseFailure;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** True for a datagram made only of CR, LF, SP or NUL: a NAT keep-alive, not a message. */
export function isKeepAlive(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 0x0d && c !== 0x0a && c !== 0x20 && c !== 0x00) return false;
  }
  return true;
}

function drop(error: string, kind: 'request' | 'response' | null, status = 400): ParseFailure {
  return { ok: false, error, status, kind, canRespond: false };
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** SIP-Version check: 0 = SIP/2.0 (case-insensitive), 1 = another SIP/x.y, 2 = not a version. */
function versionKind(v: string): 0 | 1 | 2 {
  if (v === 'SIP/2.0') return 0;
  const m = /^SIP\/([0-9]+)\.([0-9]+)$/i.exec(v);
  if (m === null) return 2;
  return Number(m[1]) === 2 && Number(m[2]) === 0 ? 0 : 1;
}

/** Parse one complete message. `limits` override DEFAULT_SIP_LIMITS field by field. */
export function parseMessage(buf: Buffer, limits?: Partial<SipLimits>): ParseResult {
  const lim: Readonly<SipLimits> = limits === undefined ? DEFAULT_SIP_LIMITS : { ...DEFAULT_SIP_LIMITS, ...limits };
  const len = buf.length;

  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < len && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start === len) return drop('Empty message', null);

  // Line-end style is decided by the start line: CRLF as the RFC says, or bare LF as some
  // hand-written tools send.
  const firstLf = buf.indexOf(0x0a, start);
  let headEnd: number;
  let bodyStart: number;
  if (firstLf === -1) {
    headEnd = len;
    bodyStart = len;
  } else if (firstLf > start && buf[firstLf - 1] === 0x0d) {
    const q = buf.indexOf(CRLFCRLF, firstLf - 1);
    if (q === -1) {
      headEnd = len;
      bodyStart = len;
    } else {
      headEnd = q;
      bodyStart = q + 4;
    }
  } else {
    const q = buf.indexOf(LFLF, firstLf);
    if (q === -1) {
      headEnd = len;
      bodyStart = len;
    } else {
      headEnd = q;
      bodyStart = q + 2;
    }
  }

  const head = buf.toString('utf8', start, headEnd);
  const n = head.length;

  // ---- start line
  let lineEnd = head.indexOf('\n');
  if (lineEnd === -1) lineEnd = n;
  const slEnd = lineEnd > 0 && head.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
  const startLine = head.slice(0, slEnd);

  let error: string | null = null;
  let status = 400;
  let isRequest: boolean;
  let method = '';
  let uri = '';
  let respStatus = 0;
  let reason = '';

  if (startLine.startsWith('SIP/')) {
    isRequest = false;
    const sp1 = startLine.indexOf(' ');
    if (sp1 === -1) return drop('Bad Status-Line', 'response');
    if (versionKind(startLine.slice(0, sp1)) !== 0) return drop('Version Not Supported', 'response', 505);
    let i = sp1;
    while (i < startLine.length && startLine.charCodeAt(i) === 0x20) i++;
    const code = startLine.slice(i, i + 3);
    if (!/^[1-6][0-9][0-9]$/.test(code)) return drop('Bad Status-Line', 'response');
    const after = i + 3;
    if (after < startLine.length && !isWsp(startLine.charCodeAt(after))) return drop('Bad Status-Line', 'response');
    respStatus = Number(code);
    reason = startLine.slice(after).trim();
  } else {
    isRequest = true;
    const sp1 = startLine.indexOf(' ');
    const sp2 = startLine.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 === sp1) return drop('Bad Request-Line', null);
    method = startLine.slice(0, sp1);
    for (let i = 0; i < method.length; i++) {
      if (!isTokenChar(method.charCodeAt(i))) return drop('Bad Request-Line', null);
    }
    const vk = versionKind(startLine.slice(sp2 + 1));
    if (vk === 2) return drop('Bad Request-Line', null);
    if (vk === 1) {
      error = 'Version Not Supported';
      status = 505;
    }
    uri = startLine.slice(sp1 + 1, sp2).trim();
    if (error === null && (uri.length === 0 || uri.indexOf(' ') !== -1 || uri.indexOf(':') <= 0)) {
      error = 'Bad Request-URI';
    }
  }

  if (error === null && len > lim.maxMessageSize) {
    error = 'Message Too Large';
    status = 513;
  }
  if (error === null && head.indexOf('\u0000') !== -1) error = 'NUL byte in message';
  if (error === null && slEnd > lim.maxLineLength) error = 'Line Too Long';

  // ---- header fields
  const names: string[] = [];
  const keys: string[] = [];
  const values: string[] = [];
  const vias: Via[] = [];
  let viaBad = false;
  let fromVal: string | undefined;
  let toVal: string | undefined;
  let callIdVal: string | undefined;
  let cseqVal: string | undefined;
  let dupEssential: string | null = null;
  let clVal: number | null = null;
  let clBad = false;
  let fieldCount = 0;
  let lineError: string | null = null;
  const maxLine = lim.maxLineLength;

  let pos = lineEnd + 1;
  fields: while (pos < n) {
    let eol = head.indexOf('\n', pos);
    if (eol === -1) eol = n;
    let stop = eol > pos && head.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
    if (stop - pos > maxLine && lineError === null) lineError = 'Line Too Long';

    // Unfold continuation lines (RFC 3261 7.3.1): each one's leading LWS becomes one SP.
    let line = head;
    let ls = pos;
    let next = eol + 1;
    if (next < n && isWsp(head.charCodeAt(next))) {
      let folded = head.slice(pos, stop);
      while (next < n && isWsp(head.charCodeAt(next))) {
        let ceol = head.indexOf('\n', next);
        if (ceol === -1) ceol = n;
        const cstop = ceol > next && head.charCodeAt(ceol - 1) === 0x0d ? ceol - 1 : ceol;
        if (cstop - next > maxLine && lineError === null) lineError = 'Line Too Long';
        let cs = next;
        while (cs < cstop && isWsp(head.charCodeAt(cs))) cs++;
        if (cs < cstop) folded += ` ${head.slice(cs, cstop)}`;
        next = ceol + 1;
      }
      line = folded;
      ls = 0;
      stop = folded.length;
    }
    pos = next;
    if (stop === ls) continue; // a stray empty line inside the header block: ignore it
    // Stop at the limit rather than after it: the rest of a hostile block is never looked at.
    if (++fieldCount > lim.maxHeaders) {
      lineError ??= 'Too Many Headers';
      break;
    }

    // Bounded to this line: an unbounded indexOf would rescan the rest of the block for every
    // colon-less line (quadratic on a hostile datagram).
    let colon = ls;
    while (colon < stop && line.charCodeAt(colon) !== 0x3a) colon++;
    if (colon === stop) {
      if (lineError === null) lineError = 'Malformed header line';
      continue;
    }
    let ne = colon;
    while (ne > ls && isWsp(line.charCodeAt(ne - 1))) ne--;
    let nameOk = ne > ls;
    for (let i = ls; i < ne && nameOk; i++) if (!isTokenChar(line.charCodeAt(i))) nameOk = false;
    if (!nameOk) {
      if (lineError === null) lineError = 'Malformed header line';
      continue;
    }
    const name = line.slice(ls, ne);
    let vs = colon + 1;
    while (vs < stop && isWsp(line.charCodeAt(vs))) vs++;
    let ve = stop;
    while (ve > vs && isWsp(line.charCodeAt(ve - 1))) ve--;
    const value = line.slice(vs, ve);

    const known = knownHeaderKey(name);
    const key = known ?? name.toLowerCase();
    const wire = known ?? name;

    if (known !== undefined && isListHeader(known) && value.indexOf(',') !== -1) {
      const parts = splitHeaderList(value);
      if (parts.length === 0) parts.push('');
      for (const part of parts) {
        // Every value of a list counts too, so `Via: a, b, c...` cannot smuggle in thousands.
        if (values.length >= lim.maxHeaders) {
          lineError ??= 'Too Many Headers';
          break fields;
        }
        names.push(wire);
        keys.push(key);
        values.push(part);
        if (key === 'Via') {
          const v = parseVia(part);
          if (v === null) viaBad = true;
          else vias.push(v);
        }
      }
      continue;
    }
    names.push(wire);
    keys.push(key);
    values.push(value);

    switch (key) {
      case 'Via': {
        const v = parseVia(value);
        if (v === null) viaBad = true;
        else vias.push(v);
        break;
      }
      case 'From':
        if (fromVal === undefined) fromVal = value;
        else dupEssential ??= 'From';
        break;
      case 'To':
        if (toVal === undefined) toVal = value;
        else dupEssential ??= 'To';
        break;
      case 'Call-ID':
        if (callIdVal === undefined) callIdVal = value;
        else dupEssential ??= 'Call-ID';
        break;
      case 'CSeq':
        if (cseqVal === undefined) cseqVal = value;
        else dupEssential ??= 'CSeq';
        break;
      case 'Content-Length': {
        const cl = parseUnsigned(value);
        if (cl === null || (clVal !== null && clVal !== cl)) clBad = true;
        else clVal = cl;
        break;
      }
      default:
        break;
    }
  }

  if (error === null && lineError !== null) error = lineError;

  // ---- the five headers a response is built from
  let from: NameAddr | null = null;
  let to: NameAddr | null = null;
  let callId: string | null = null;
  let cseq: CSeq | null = null;
  let essentialError: string | null = null;
  if (vias.length === 0 && !viaBad) essentialError = 'Missing Via';
  else if (viaBad) essentialError = 'Bad Via';
  if (fromVal === undefined) essentialError ??= 'Missing From';
  else if ((from = parseNameAddr(fromVal)) === null) essentialError ??= 'Bad From';
  if (toVal === undefined) essentialError ??= 'Missing To';
  else if ((to = parseNameAddr(toVal)) === null) essentialError ??= 'Bad To';
  if (callIdVal === undefined) essentialError ??= 'Missing Call-ID';
  else if ((callId = parseCallId(callIdVal)) === null) essentialError ??= 'Bad Call-ID';
  if (cseqVal === undefined) essentialError ??= 'Missing CSeq';
  else if ((cseq = parseCSeq(cseqVal)) === null) essentialError ??= 'Bad CSeq';
  const answerable = essentialError === null;

  if (error === null && essentialError !== null) error = essentialError;
  if (error === null && dupEssential !== null) error = `Duplicate ${dupEssential}`;
  // RFC 3261 8.1.1.5 / 12.2.1.1: CSeq method must equal the request method (case-sensitive).
  if (error === null && isRequest && cseq !== null && cseq.method !== method) error = 'CSeq method mismatch';

  // ---- body
  const remaining = len - bodyStart;
  let bodyLen = remaining;
  if (error === null) {
    if (clBad) error = 'Bad Content-Length';
    else if (clVal !== null) {
      if (clVal > lim.maxBodySize) {
        error = 'Body Too Large';
        status = 513;
      } else if (clVal > remaining) error = 'Content-Length mismatch';
      else bodyLen = clVal;
    } else if (remaining > lim.maxBodySize) {
      error = 'Body Too Large';
      status = 513;
    }
  }

  if (error !== null) {
    if (!isRequest || !answerable) return drop(error, isRequest ? 'request' : 'response', status);
    const partial = new SipRequest(method, uri);
    partial._names = names;
    partial._keys = keys;
    partial._values = values;
    partial._setParsed(callId as string, cseq as CSeq, from as NameAddr, to as NameAddr, vias);
    return { ok: false, error, status, kind: 'request', canRespond: true, partial };
  }

  const message: SipMessage = isRequest ? new SipRequest(method, uri) : new SipResponse(respStatus, reason);
  message._names = names;
  message._keys = keys;
  message._values = values;
  // Zero-copy: the body is a view on the caller's buffer (UDP and the framer hand us fresh ones).
  if (bodyLen > 0) message.body = buf.subarray(bodyStart, bodyStart + bodyLen);
  message._setParsed(callId as string, cseq as CSeq, from as NameAddr, to as NameAddr, vias);
  return { ok: true, message };
}
