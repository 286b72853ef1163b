/**
 * A small SIP user agent client for tests: real UDP or TCP sockets on 127.0.0.1, requests built
 * with the message layer, responses parsed back. It answers digest challenges when given
 * credentials (computed with core/sip/digest.ts, itself checked against the RFC vectors) and
 * collects requests the server sends to it (NOTIFY...), answering them 200 unless told otherwise.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { answerChallenge } from '../../core/sip/digest.js';
import { SipRequest, type SipMessage, type SipResponse } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { buildResponse, generateBranch, generateCallId, generateTag, serializeMessage } from '../../core/sip/serializer.js';
import { SipStreamFramer } from '../../core/sip/stream-framer.js';

export interface RequestOptions {
  headers?: Array<[string, string]>;
  body?: string;
  contentType?: string;
  callId?: string;
  cseq?: number;
  fromUser?: string;
  fromTag?: string;
  toTag?: string;
  toUri?: string;
  credentials?: { username: string; password: string };
  timeoutMs?: number;
}

export class TestSipClient {
  readonly received: SipRequest[] = [];
  /** Status to answer incoming requests with (200 by default); null leaves them unanswered. */
  answerWith: number | null = 200;
  private waiters: Array<{ branch: string; resolve: (r: SipResponse) => void }> = [];
  private requestWaiters: Array<{ pred: (r: SipRequest) => boolean; resolve: (r: SipRequest) => void }> = [];
  private cseq = 1;
  readonly localPort: number;

  private constructor(
    readonly protocol: 'udp' | 'tcp',
    private readonly sendRaw: (buf: Buffer, to?: { address: string; port: number }) => void,
    private readonly closer: () => void,
    localPort: number,
    readonly serverPort: number,
  ) {
    this.localPort = localPort;
  }

  static async udp(serverPort: number): Promise<TestSipClient> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const c = new TestSipClient('udp', (b, to) => sock.send(b, to?.port ?? serverPort, to?.address ?? '127.0.0.1'), () => sock.close(), sock.address().port, serverPort);
    // Responses go back where the request came from (a restarted node has another port).
    sock.on('message', (m, rinfo) => c.onData(m, { address: rinfo.address, port: rinfo.port }));
    return c;
  }

  static async tcp(serverPort: number): Promise<TestSipClient> {
    const sock = net.connect(serverPort, '127.0.0.1');
    await new Promise<void>((r, j) => {
      sock.once('connect', () => r());
      sock.once('error', j);
    });
    const framer = new SipStreamFramer();
    const c = new TestSipClient('tcp', (b) => sock.write(b), () => sock.destroy(), sock.localPort!, serverPort);
    sock.on('data', (chunk) => {
      for (const ev of framer.push(chunk)) if (ev.type === 'message') c.onData(ev.data);
    });
    sock.on('error', () => undefined);
    return c;
  }

  get contact(): string {
    return `<sip:test@127.0.0.1:${this.localPort}${this.protocol === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  sendBuffer(buf: Buffer): void {
    this.sendRaw(buf);
  }

  build(method: string, uri: string, o: RequestOptions = {}): SipRequest {
    const branch = generateBranch();
    const fromUser = o.fromUser ?? 'test';
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/${this.protocol.toUpperCase()} 127.0.0.1:${this.localPort};rport;branch=${branch}`],
      ['Max-Forwards', '70'],
      ['From', `<sip:${fromUser}@127.0.0.1>;tag=${o.fromTag ?? generateTag()}`],
      ['To', `<${o.toUri ?? uri}>${o.toTag ? `;tag=${o.toTag}` : ''}`],
      ['Call-ID', o.callId ?? generateCallId('test')],
      ['CSeq', `${o.cseq ?? this.cseq++} ${method}`],
      ...(o.headers ?? []),
    ];
    const req = new SipRequest(method, uri, headers, o.body);
    if (o.body !== undefined) req.setHeader('Content-Type', o.contentType ?? 'text/plain');
    return req;
  }

  /** Sends a request and resolves with its final response, answering one digest challenge. */
  async request(method: string, uri: string, o: RequestOptions = {}): Promise<SipResponse> {
    const req = this.build(method, uri, o);
    let res = await this.send(req, o.timeoutMs);
    if ((res.status === 401 || res.status === 407) && o.credentials) {
      const answer = answerChallenge(res.getHeaders(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate'), {
        username: o.credentials.username,
        password: o.credentials.password,
        method,
        uri,
      }, { pick: 'strongest' });
      if (!answer) return res;
      const retry = req.clone();
      retry.setHeader('Via', `SIP/2.0/${this.protocol.toUpperCase()} 127.0.0.1:${this.localPort};rport;branch=${generateBranch()}`);
      retry.setHeader('CSeq', `${req.cseq.seq + 1} ${method}`);
      retry.setHeader(res.status === 401 ? 'Authorization' : 'Proxy-Authorization', answer.value);
      this.cseq = Math.max(this.cseq, req.cseq.seq + 2);
      res = await this.send(retry, o.timeoutMs);
    }
    return res;
  }

  /** Sends a request and resolves with its first final response (or rejects after the timeout). */
  send(req: SipRequest, timeoutMs = 5000): Promise<SipResponse> {
    const branch = req.topVia.branch!;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no final response to ${req.method} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        branch,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
      this.sendRaw(serializeMessage(req));
    });
  }

  /** Resolves with the next received request matching `pred` (already received ones count). */
  waitForRequest(pred: (r: SipRequest) => boolean, timeoutMs = 5000): Promise<SipRequest> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching request within ${timeoutMs} ms (got ${this.received.map((r) => r.method).join(', ')})`)), timeoutMs);
      this.requestWaiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }

  close(): void {
    this.closer();
  }

  private onData(buf: Buffer, from?: { address: string; port: number }): void {
    const r = parseMessage(buf);
    if (!r.ok) return;
    const m: SipMessage = r.message;
    if (m.kind === 'response') {
      if (m.status < 200) return;
      const branch = m.topVia.branch;
      const i = this.waiters.findIndex((w) => w.branch === branch);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      return;
    }
    this.received.push(m);
    if (this.answerWith !== null && m.method !== 'ACK') this.sendRaw(serializeMessage(buildResponse(m, this.answerWith)), from);
    for (const w of [...this.requestWaiters]) {
      if (w.pred(m)) {
        this.requestWaiters.splice(this.requestWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
}

export function randomUser(): string {
  return `u${randomBytes(4).toString('hex')}`;
}
