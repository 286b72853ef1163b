/**
 * SIP message model (RFC 3261 7). A message keeps its headers in three parallel arrays
 * (wire name, lookup key, value) in arrival order, one entry per value: list headers such as
 * `Via: a, b` are split at parse time so that every layer above sees one Via per entry.
 * The five headers every layer needs (Via, From, To, Call-ID, CSeq) are parsed once by the
 * parser and cached; messages built in code parse them lazily on first access.
 */
import { TstError } from '../errors.js';
import { headerKey, canonicalHeaderName, isListHeader, splitHeaderList } from './headers.js';
import { parseCSeq, parseNameAddr, parseVia, parseCallId } from './header-values.js';
import { parseUri, type SipUri } from './uri.js';

/** Header parameters: names lower-cased, values as on the wire (quoted ones keep their quotes), null for a flag. */
export type SipParams = Map<string, string | null>;

/** name-addr / addr-spec of From, To, Contact, Route, Record-Route... */
export interface NameAddr {
  /** Unquoted, unescaped display name; null when absent. */
  readonly displayName: string | null;
  /** The URI as written inside `<...>` (parse it with parseUri when needed). */
  readonly uri: string;
  readonly params: SipParams;
  /** `tag` parameter, null when absent. */
  readonly tag: string | null;
}

export interface Via {
  /** `SIP/2.0` (protocol name and version, upper-cased). */
  readonly protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, WS, WSS, SCTP... */
  readonly transport: string;
  /** sent-by host; IPv6 references keep their brackets. */
  readonly host: string;
  readonly port: number | null;
  readonly params: SipParams;
  readonly branch: string | null;
  readonly received: string | null;
  /** RFC 3581: null = absent, true = present without a value (a request asking for it), number = filled in. */
  readonly rport: number | true | null;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export interface SipLimits {
  /** Whole message (start line, headers, body) in bytes. */
  maxMessageSize: number;
  /**
   * Header fields (lines after unfolding); the values of a comma list count one each. The
   * parser stops reading at the limit, so headers past it are not seen.
   */
  maxHeaders: number;
  /** One physical line in bytes (characters for the parser, which sees decoded text). */
  maxLineLength: number;
  /** Content-Length / body bytes. */
  maxBodySize: number;
}

export const DEFAULT_SIP_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageSize: 65536,
  maxHeaders: 100,
  maxLineLength: 8192,
  maxBodySize: 65536,
});

export type HeaderInit = ReadonlyArray<readonly [string, string]>;

const EMPTY_BODY = Buffer.alloc(0);

function toBody(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return EMPTY_BODY;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function missing(what: string): TstError {
  return new TstError('TST_ERR_SIP_MESSAGE', what);
}

abstract class SipMessageBase {
  /** @internal wire names (canonical for known headers) */
  _names: string[] = [];
  /** @internal lookup keys, see headers.ts headerKey() */
  _keys: string[] = [];
  /** @internal one value per entry */
  _values: string[] = [];
  /** Raw body bytes (Content-Length is always recomputed from these when serialized). */
  body: Buffer;

  private _callId: string | undefined = undefined;
  private _cseq: CSeq | undefined = undefined;
  private _from: NameAddr | undefined = undefined;
  private _to: NameAddr | undefined = undefined;
  private _vias: Via[] | undefined = undefined;

  constructor(headers: HeaderInit | undefined, body: Buffer | string | undefined) {
    this.body = toBody(body);
    if (headers) for (const [name, value] of headers) this.addHeader(name, value);
  }

  /** First value of a header (compact and any-case names accepted), undefined when absent. */
  getHeader(name: string): string | undefined {
    const key = headerKey(name);
    const keys = this._keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this._values[i];
    return undefined;
  }

  /** All values of a header in order (list headers come split: one element per value). */
  getHeaders(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const keys = this._keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this._values[i]);
    return out;
  }

  hasHeader(name: string): boolean {
    return this._keys.indexOf(headerKey(name)) !== -1;
  }

  /** Replace every value of a header; the new values take the place of the first old one. */
  setHeader(name: string, value: string | readonly string[]): void {
    const key = headerKey(name);
    const wire = canonicalHeaderName(name);
    const values = expandValues(key, value);
    let at = this._keys.indexOf(key);
    if (at !== -1) this.removeAt(key, at);
    else at = this._keys.length;
    this._names.splice(at, 0, ...values.map(() => wire));
    this._keys.splice(at, 0, ...values.map(() => key));
    this._values.splice(at, 0, ...values);
    this.invalidate(key);
  }

  /** Append a header value at the end (a comma list of a list header becomes several values). */
  addHeader(name: string, value: string): void {
    const key = headerKey(name);
    const wire = canonicalHeaderName(name);
    for (const v of expandValues(key, value)) {
      this._names.push(wire);
      this._keys.push(key);
      this._values.push(v);
    }
    this.invalidate(key);
  }

  /** Insert a header value before the others of its name (e.g. a new top Via). */
  prependHeader(name: string, value: string): void {
    const key = headerKey(name);
    const wire = canonicalHeaderName(name);
    let at = this._keys.indexOf(key);
    if (at === -1) at = this._keys.length;
    const values = expandValues(key, value);
    this._names.splice(at, 0, ...values.map(() => wire));
    this._keys.splice(at, 0, ...values.map(() => key));
    this._values.splice(at, 0, ...values);
    this.invalidate(key);
  }

  /** Remove every value of a header; returns how many were removed. */
  removeHeader(name: string): number {
    const key = headerKey(name);
    const at = this._keys.indexOf(key);
    if (at === -1) return 0;
    const removed = this.removeAt(key, at);
    this.invalidate(key);
    return removed;
  }

  private removeAt(key: string, from: number): number {
    let w = from;
    let removed = 0;
    for (let r = from; r < this._keys.length; r++) {
      if (this._keys[r] === key) {
        removed++;
        continue;
      }
      this._names[w] = this._names[r];
      this._keys[w] = this._keys[r];
      this._values[w] = this._values[r];
      w++;
    }
    this._names.length = w;
    this._keys.length = w;
    this._values.length = w;
    return removed;
  }

  get headerCount(): number {
    return this._keys.length;
  }

  /** A fresh copy of all header entries `[wireName, value]` in order. */
  getAllHeaders(): Array<[string, string]> {
    const out: Array<[string, string]> = new Array(this._keys.length);
    for (let i = 0; i < this._keys.length; i++) out[i] = [this._names[i], this._values[i]];
    return out;
  }

  /** Body decoded as UTF-8. */
  bodyText(): string {
    return this.body.length === 0 ? '' : this.body.toString('utf8');
  }

  /** Set the body (a string is encoded as UTF-8); sets Content-Type when given. */
  setBody(body: Buffer | string, contentType?: string): void {
    this.body = toBody(body);
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
  }

  /** Body length in bytes; after parsing this equals the (possibly truncating) Content-Length. */
  get contentLength(): number {
    return this.body.length;
  }

  /** Call-ID; throws TST_ERR_SIP_MESSAGE when missing or malformed. */
  get callId(): string {
    if (this._callId === undefined) {
      const v = this.getHeader('Call-ID');
      const id = v === undefined ? null : parseCallId(v);
      if (id === null) throw missing(v === undefined ? 'Missing Call-ID' : 'Bad Call-ID');
      this._callId = id;
    }
    return this._callId;
  }

  get cseq(): CSeq {
    if (this._cseq === undefined) {
      const v = this.getHeader('CSeq');
      const c = v === undefined ? null : parseCSeq(v);
      if (c === null) throw missing(v === undefined ? 'Missing CSeq' : 'Bad CSeq');
      this._cseq = c;
    }
    return this._cseq;
  }

  get from(): NameAddr {
    if (this._from === undefined) this._from = this.nameAddr('From');
    return this._from;
  }

  get to(): NameAddr {
    if (this._to === undefined) this._to = this.nameAddr('To');
    return this._to;
  }

  /** All Via values, top first; throws when there is none or one is malformed. */
  get vias(): readonly Via[] {
    if (this._vias === undefined) {
      const values = this.getHeaders('Via');
      if (values.length === 0) throw missing('Missing Via');
      const vias: Via[] = [];
      for (const v of values) {
        const via = parseVia(v);
        if (via === null) throw missing('Bad Via');
        vias.push(via);
      }
      this._vias = vias;
    }
    return this._vias;
  }

  get topVia(): Via {
    return this.vias[0];
  }

  private nameAddr(name: 'From' | 'To'): NameAddr {
    const v = this.getHeader(name);
    const na = v === undefined ? null : parseNameAddr(v);
    if (na === null) throw missing(v === undefined ? `Missing ${name}` : `Bad ${name}`);
    return na;
  }

  /** @internal the parser hands over what it already parsed */
  _setParsed(callId: string, cseq: CSeq, from: NameAddr, to: NameAddr, vias: Via[]): void {
    this._callId = callId;
    this._cseq = cseq;
    this._from = from;
    this._to = to;
    this._vias = vias;
  }

  /** @internal copy headers and caches into a fresh message */
  _copyInto<T extends SipMessageBase>(target: T): T {
    target._names = this._names.slice();
    target._keys = this._keys.slice();
    target._values = this._values.slice();
    target._callId = this._callId;
    target._cseq = this._cseq;
    target._from = this._from;
    target._to = this._to;
    target._vias = this._vias;
    return target;
  }

  private invalidate(key: string): void {
    switch (key) {
      case 'Call-ID': this._callId = undefined; break;
      case 'CSeq': this._cseq = undefined; break;
      case 'From': this._from = undefined; break;
      case 'To': this._to = undefined; break;
      case 'Via': this._vias = undefined; break;
      default: break;
    }
  }
}

function expandValues(key: string, value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!isListHeader(key)) return list.slice();
  const out: string[] = [];
  for (const v of list) {
    if (v.indexOf(',') === -1) out.push(v.trim());
    else out.push(...splitHeaderList(v));
  }
  return out;
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  /** Case-sensitive method token (RFC 3261 7.1). */
  method: string;
  private _uri: string;
  private _parsedUri: SipUri | null | undefined = undefined;

  constructor(method: string, uri: string, headers?: HeaderInit, body?: Buffer | string) {
    super(headers, body);
    this.method = method;
    this._uri = uri;
  }

  /** Request-URI as written on the request line. */
  get uri(): string {
    return this._uri;
  }

  set uri(value: string) {
    this._uri = value;
    this._parsedUri = undefined;
  }

  /** Request-URI parsed on first use (null when it is not a valid sip/sips/tel URI). */
  get requestUri(): SipUri | null {
    if (this._parsedUri === undefined) this._parsedUri = parseUri(this._uri);
    return this._parsedUri;
  }

  clone(): SipRequest {
    return this._copyInto(new SipRequest(this.method, this._uri, undefined, this.body));
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers?: HeaderInit, body?: Buffer | string) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }

  clone(): SipResponse {
    return this._copyInto(new SipResponse(this.status, this.reason, undefined, this.body));
  }
}

export type SipMessage = SipRequest | SipResponse;
