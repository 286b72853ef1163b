/**
 * A tiny event state compositor for the outbound publish tests: a UDP socket on 127.0.0.1 that
 * answers PUBLISH as RFC 3903 6 says (new ETag on every 2xx, 412 for an unknown SIP-If-Match,
 * Expires granted up to `maxExpires`, Expires: 0 removes), records every request, and can be
 * scripted to answer differently (401 with a digest challenge, 412, 423 with Min-Expires, 500,
 * or nothing). Retransmissions get the answer already given (or stay unanswered) and are not
 * recorded twice.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { computeDigestResponse } from '../../core/sip/digest.js';
import { parseDeltaSeconds, parseDigestCredentials } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { buildResponse, serializeMessage } from '../../core/sip/serializer.js';

export interface EscAnswer {
  status: number;
  reason?: string;
  headers?: Array<[string, string]>;
  /** Answer this much later (retransmissions meanwhile go unanswered, as from a busy server). */
  delayMs?: number;
}

/** Returns an answer, `null` to leave the request unanswered, or undefined for the default behaviour. */
export type EscScript = (req: SipRequest, esc: TestEsc) => EscAnswer | null | undefined;

export interface Publication {
  etag: string;
  resource: string;
  contentType: string;
  body: string;
  expires: number;
}

export class TestEsc {
  /** Every PUBLISH received (retransmissions once), in order. */
  readonly requests: SipRequest[] = [];
  /** Date.now() when each of `requests` arrived (fake time under sinon). */
  readonly times: number[] = [];
  /** Current publications by ETag. */
  readonly publications = new Map<string, Publication>();
  /** One-shot answers, used in order before the default behaviour. */
  readonly script: EscScript[] = [];
  /** Applied to every request when the script is empty (undefined = default). */
  always: EscScript | undefined;
  /** Longest Expires granted (RFC 3903 lets the ESC shorten the request). */
  maxExpires = 3600;
  /** Digest credentials the ESC demands (401 until right); undefined = no authentication. */
  credentials: { username: string; password: string; realm: string } | undefined;
  private etagSeq = 100;
  private readonly answered = new Map<string, Buffer | null>();
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(
    private readonly sock: dgram.Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<TestEsc> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const esc = new TestEsc(sock, sock.address().port);
    sock.on('message', (m, rinfo) => esc.onMessage(m, rinfo));
    return esc;
  }

  get uri(): string {
    return `sip:127.0.0.1:${this.port}`;
  }

  /** Resolves once `n` PUBLISH requests have been recorded. */
  waitForRequests(n: number, timeoutMs = 5000): Promise<SipRequest[]> {
    if (this.requests.length >= n) return Promise.resolve(this.requests.slice());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ESC got ${this.requests.length} PUBLISH, wanted ${n}:\n${this.describe()}`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve(this.requests.slice());
        },
      });
    });
  }

  describe(): string {
    return this.requests
      .map((r, i) => `#${i} ${r.uri} If-Match=${r.getHeader('SIP-If-Match') ?? '-'} Expires=${r.getHeader('Expires') ?? '-'} body=${r.body.length}`)
      .join('\n');
  }

  close(): void {
    this.sock.close();
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const parsed = parseMessage(buf);
    if (!parsed.ok || parsed.message.kind !== 'request') return;
    const req = parsed.message;
    const key = `${req.topVia.branch ?? ''}|${req.method}`;
    if (this.answered.has(key)) {
      const cached = this.answered.get(key);
      if (cached) this.sock.send(cached, rinfo.port, rinfo.address);
      return;
    }
    if (req.method !== 'PUBLISH') {
      const res = serializeMessage(buildResponse(req, 405));
      this.answered.set(key, res);
      this.sock.send(res, rinfo.port, rinfo.address);
      return;
    }
    this.requests.push(req);
    this.times.push(Date.now());
    const scripted = this.script.length > 0 ? this.script.shift()!(req, this) : this.always?.(req, this);
    const answer = scripted === undefined ? this.defaultAnswer(req) : scripted;
    if (answer === null) {
      this.answered.set(key, null);
    } else {
      const res = buildResponse(req, answer.status, answer.reason, { headers: answer.headers ?? [] });
      const bytes = serializeMessage(res);
      const send = () => {
        this.answered.set(key, bytes);
        this.sock.send(bytes, rinfo.port, rinfo.address);
      };
      if (answer.delayMs !== undefined) {
        this.answered.set(key, null);
        setTimeout(send, answer.delayMs);
      } else {
        send();
      }
    }
    for (const w of [...this.waiters]) {
      if (this.requests.length >= w.n) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** RFC 3903 6: authenticate, then initial / modify / refresh / remove. */
  defaultAnswer(req: SipRequest): EscAnswer {
    if (this.credentials && !this.authorized(req)) {
      const c = this.credentials;
      return {
        status: 401,
        headers: [['WWW-Authenticate', `Digest realm="${c.realm}", nonce="${randomBytes(8).toString('hex')}", algorithm=MD5, qop="auth"`]],
      };
    }
    const ifMatch = req.getHeader('SIP-If-Match');
    const expiresRaw = req.getHeader('Expires');
    const asked = expiresRaw !== undefined ? (parseDeltaSeconds(expiresRaw) ?? 3600) : 3600;
    const granted = Math.min(asked, this.maxExpires);
    let prev: Publication | undefined;
    if (ifMatch !== undefined) {
      prev = this.publications.get(ifMatch);
      if (!prev) return { status: 412, reason: 'Conditional Request Failed' };
      this.publications.delete(ifMatch);
    } else if (req.body.length === 0) {
      return { status: 400, reason: 'Missing body' };
    }
    if (granted === 0) return { status: 200, headers: [['SIP-ETag', ifMatch ?? ''], ['Expires', '0']] };
    const etag = `et${this.etagSeq++}`;
    this.publications.set(etag, {
      etag,
      resource: req.requestUri?.user ?? '',
      contentType: req.body.length > 0 ? (req.getHeader('Content-Type') ?? '') : (prev?.contentType ?? ''),
      body: req.body.length > 0 ? req.bodyText() : (prev?.body ?? ''),
      expires: granted,
    });
    return { status: 200, headers: [['SIP-ETag', etag], ['Expires', String(granted)]] };
  }

  private authorized(req: SipRequest): boolean {
    const c = this.credentials!;
    const value = req.getHeader('Authorization');
    if (value === undefined) return false;
    const d = parseDigestCredentials(value);
    if (!d || d.username !== c.username || d.realm !== c.realm || d.nonce === undefined || d.uri === undefined) return false;
    const expected = computeDigestResponse({
      algorithm: d.algorithm,
      username: c.username,
      realm: c.realm,
      password: c.password,
      method: 'PUBLISH',
      uri: d.uri,
      nonce: d.nonce,
      nc: d.nc,
      cnonce: d.cnonce,
      qop: d.qop,
    });
    return expected === d.response;
  }
}
