/**
 * Splits a byte stream (TCP, TLS) into SIP messages: header block up to CRLFCRLF, then exactly
 * Content-Length body bytes (RFC 3261 18.3: mandatory on streams). Between messages it reports
 * RFC 5626 keep-alives: CRLFCRLF is a ping (answer it with CRLF), a lone CRLF a pong.
 *
 * Anything that makes the stream impossible to resynchronise (no or bad Content-Length, a
 * header block or body beyond the limits) is a fatal error: the framer stops and the transport
 * should close the connection rather than buffer without bound.
 */
import { DEFAULT_SIP_LIMITS, type SipLimits } from './message.js';

export type FramerEvent =
  | { readonly type: 'message'; readonly data: Buffer }
  /** CRLFCRLF keep-alive: the transport should answer with a single CRLF (RFC 5626 4.4.1). */
  | { readonly type: 'ping' }
  /** A lone CRLF between messages: the answer to our ping. */
  | { readonly type: 'pong' }
  /** Fatal: close the connection. `status` is 400 or 513 should the transport want to answer first. */
  | { readonly type: 'error'; readonly error: string; readonly status: number };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const PING: FramerEvent = Object.freeze({ type: 'ping' });
const PONG: FramerEvent = Object.freeze({ type: 'pong' });
/** Above this, an emptied buffer is released instead of kept for the next message. */
const KEEP_CAPACITY = 65536;
/** A Content-Length line (not a folded continuation, which starts with white space). */
const CONTENT_LENGTH_LINE = /(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi;

export class SipStreamFramer {
  private readonly limits: Readonly<SipLimits>;
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Absolute offset where the body of the current message starts, -1 while reading headers. */
  private bodyStart = -1;
  private bodyLen = 0;
  /** Where to resume the CRLFCRLF search, so byte-by-byte input is not rescanned. */
  private scanFrom = 0;
  private dead = false;

  constructor(limits?: Partial<SipLimits>) {
    this.limits = limits === undefined ? DEFAULT_SIP_LIMITS : { ...DEFAULT_SIP_LIMITS, ...limits };
  }

  /** True after a fatal error: further input is ignored. */
  get failed(): boolean {
    return this.dead;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Feed bytes; returns whatever became complete, in order. */
  push(chunk: Buffer): FramerEvent[] {
    if (this.dead) return [];
    this.append(chunk);
    const events: FramerEvent[] = [];
    this.drain(events);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.scanFrom = 0;
      if (this.buf.length > KEEP_CAPACITY) this.buf = Buffer.alloc(0);
    }
    return events;
  }

  private append(chunk: Buffer): void {
    const need = this.end + chunk.length;
    if (need > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length && this.start > 0) {
        this.compact();
      } else {
        const grown = Buffer.allocUnsafe(Math.max(4096, this.buf.length * 2, live + chunk.length));
        this.buf.copy(grown, 0, this.start, this.end);
        this.shift(this.start);
        this.buf = grown;
      }
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private compact(): void {
    this.buf.copy(this.buf, 0, this.start, this.end);
    this.shift(this.start);
  }

  /** Re-base every absolute offset after moving the live bytes to the front. */
  private shift(by: number): void {
    this.end -= by;
    if (this.bodyStart >= 0) this.bodyStart -= by;
    this.scanFrom = Math.max(0, this.scanFrom - by);
    this.start = 0;
  }

  private fail(events: FramerEvent[], error: string, status = 400): void {
    this.dead = true;
    this.buf = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
    events.push({ type: 'error', error, status });
  }

  private drain(events: FramerEvent[]): void {
    const buf = this.buf;
    const lim = this.limits;
    for (;;) {
      if (this.bodyStart < 0) {
        // At a message boundary: keep-alives, then the header block.
        while (this.start < this.end) {
          const c = buf[this.start];
          if (c === 0x0a) {
            this.start++; // a bare LF between messages: ignore (RFC 3261 7.5 leniency)
            continue;
          }
          if (c !== 0x0d) break;
          const avail = this.end - this.start;
          if (avail < 2) return;
          if (buf[this.start + 1] !== 0x0a) return this.fail(events, 'Malformed keep-alive');
          if (avail < 3) return; // CRLF, maybe the first half of a ping
          if (buf[this.start + 2] !== 0x0d) {
            events.push(PONG);
            this.start += 2;
            continue;
          }
          if (avail < 4) return;
          if (buf[this.start + 3] !== 0x0a) return this.fail(events, 'Malformed keep-alive');
          events.push(PING);
          this.start += 4;
        }
        if (this.start === this.end) return;

        const from = Math.max(this.start, this.scanFrom);
        const idx = buf.subarray(0, this.end).indexOf(CRLFCRLF, from);
        if (idx === -1) {
          if (this.end - this.start > lim.maxMessageSize) return this.fail(events, 'Message Too Large', 513);
          const lastLf = buf.subarray(0, this.end).lastIndexOf(0x0a);
          const lineStart = lastLf < this.start ? this.start : lastLf + 1;
          if (this.end - lineStart > lim.maxLineLength) return this.fail(events, 'Line Too Long');
          this.scanFrom = Math.max(this.start, this.end - 3);
          return;
        }
        const headLen = idx + 4 - this.start;
        if (headLen > lim.maxMessageSize) return this.fail(events, 'Message Too Large', 513);
        const cl = contentLengthOf(buf.toString('latin1', this.start, idx));
        if (cl === 'missing') return this.fail(events, 'Missing Content-Length');
        if (cl === 'bad') return this.fail(events, 'Bad Content-Length');
        if (cl > lim.maxBodySize || headLen + cl > lim.maxMessageSize) {
          return this.fail(events, cl > lim.maxBodySize ? 'Body Too Large' : 'Message Too Large', 513);
        }
        this.bodyStart = idx + 4;
        this.bodyLen = cl;
      }
      const total = this.bodyStart + this.bodyLen;
      if (this.end < total) return;
      // A copy: the internal buffer is reused for the following bytes.
      events.push({ type: 'message', data: Buffer.from(buf.subarray(this.start, total)) });
      this.start = total;
      this.scanFrom = total;
      this.bodyStart = -1;
      this.bodyLen = 0;
    }
  }
}

/** Content-Length of a header block (long or compact form); every occurrence must agree. */
function contentLengthOf(head: string): number | 'missing' | 'bad' {
  let found: number | null = null;
  CONTENT_LENGTH_LINE.lastIndex = 0;
  for (let m = CONTENT_LENGTH_LINE.exec(head); m !== null; m = CONTENT_LENGTH_LINE.exec(head)) {
    const v = m[1].trim();
    if (!/^[0-9]{1,10}$/.test(v)) return 'bad';
    const n = Number(v);
    if (found !== null && found !== n) return 'bad';
    found = n;
  }
  return found === null ? 'missing' : found;
}
