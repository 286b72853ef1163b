/**
 * Server transactions (RFC 3261 17.2, with the RFC 6026 Accepted state for INVITE).
 *
 * non-INVITE: Trying -> Proceeding (1xx) -> Completed (final; Timer J = 64*T1 on UDP, 0 on
 *   reliable transports) -> Terminated. A retransmitted request gets the last response again
 *   (nothing in Trying) and never reaches the TU a second time.
 * INVITE: Proceeding -> Completed (300-699; Timer G resends it on UDP, Timer H = 64*T1 waits
 *   for the ACK) -> Confirmed (ACK; Timer I = T4 on UDP) -> Terminated; or Proceeding ->
 *   Accepted (2xx; Timer L = 64*T1 absorbs INVITE retransmissions) -> Terminated. A 100 Trying
 *   goes out by itself when the TU has sent nothing within 200 ms (17.2.1).
 *
 * Once the final response is out the transaction drops the request and keeps only the bytes
 * of that response: at thousands of SUBSCRIBEs a second, Timer J holds 32 s worth of them.
 */
import { TstError } from '../../errors.js';
import type { SipRequest, SipResponse } from '../message.js';
import { buildResponse, serializeMessage, type ResponseOptions } from '../serializer.js';
import type { SourceInfo } from '../transport/types.js';
import { NO_TIMER } from './timer-queues.js';
import { ownString } from '../../own-string.js';
import type { Flow, TransactionHost } from './types.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** Owner callbacks (the transaction layer). */
export interface ServerTransactionOwner {
  readonly host: TransactionHost;
  removeServer(tx: ServerTransaction): void;
}

/** RFC 3261 17.2.1: send 100 Trying when the TU has not answered an INVITE within this. */
const AUTO_TRYING_MS = 200;

function ownBytes(buf: Buffer): Buffer {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return buf;
  const own = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(own);
  return own;
}

function onRetransmitTimer(tx: ServerTransaction): void {
  tx._retransmitTimerFired();
}

function onEndTimer(tx: ServerTransaction): void {
  tx._endTimerFired();
}

export class ServerTransaction {
  readonly method: string;
  readonly isInvite: boolean;
  /** Key in the transaction table (the branch for RFC 3261 requests). */
  readonly key: string;
  /** Where the request came from. */
  readonly source: SourceInfo;
  /** Where responses go. */
  readonly flow: Flow;
  /** sent-by of the request's top Via, for matching (RFC 3261 17.2.3). */
  readonly viaHost: string;
  readonly viaPort: number;
  state: ServerTransactionState;
  /** Status of the last response sent; 0 before any. */
  lastStatus = 0;
  /** To-tag of the final response (RFC 2543 ACK matching). */
  toTag: string | null = null;
  /** INVITE: Timer H fired, no ACK came for the non-2xx final response. */
  onTimeout: ((tx: ServerTransaction) => void) | null = null;
  /** A response could not be sent; the transaction is terminated (RFC 3261 17.2.4). */
  onTransportError: ((tx: ServerTransaction, err: Error) => void) | null = null;
  /** Called once when the transaction ends, for whatever reason. */
  onTerminated: ((tx: ServerTransaction) => void) | null = null;

  private req: SipRequest | null;
  private lastResponse: Buffer | null = null;
  private readonly owner: ServerTransactionOwner;
  /** Timer G, or the 200 ms automatic 100 Trying of an INVITE. */
  private retransmitTimer = NO_TIMER;
  private retransmitMs = 0;
  /** Timer H, I, J or L (and the guard against a TU that never answers). */
  private endTimer = NO_TIMER;
  private endMs = 0;
  private interval = 0;
  private sendError: ((err: Error) => void) | null = null;

  constructor(owner: ServerTransactionOwner, request: SipRequest, source: SourceInfo, flow: Flow, key: string) {
    this.owner = owner;
    this.req = request;
    this.method = request.method;
    this.isInvite = request.method === 'INVITE';
    this.key = key;
    this.source = source;
    this.flow = flow;
    const via = request.topVia;
    this.viaHost = ownString(via.host);
    this.viaPort = via.port ?? 0;
    this.state = this.isInvite ? 'proceeding' : 'trying';
    if (this.isInvite) {
      this.armRetransmit(AUTO_TRYING_MS);
    }
  }

  /** The request, until the final response has been sent (then null: the bytes are released). */
  get request(): SipRequest | null {
    return this.req;
  }

  get reliable(): boolean {
    return this.flow.transport.reliable;
  }

  /** True once a final response went out (or the transaction ended). */
  get answered(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /**
   * Send a response. Provisional ones may follow each other; after a final one only an INVITE's
   * 2xx may be sent again (RFC 6026 Accepted). Throws TST_ERR_SIP_TRANSACTION otherwise.
   */
  respond(response: SipResponse): void {
    const status = response.status;
    if (!(status >= 100 && status <= 699)) {
      throw new TstError('TST_ERR_SIP_TRANSACTION', `Invalid response status ${status}`);
    }
    const state = this.state;
    if (state === 'accepted' && status >= 200 && status < 300) {
      const buf = serializeMessage(response);
      this.lastResponse = buf;
      this.send(buf);
      return;
    }
    if (state !== 'trying' && state !== 'proceeding') {
      throw new TstError(
        'TST_ERR_SIP_TRANSACTION',
        `${this.method} transaction is ${state} (final ${this.lastStatus} sent): cannot send ${status}`,
      );
    }
    const buf = serializeMessage(response);
    this.lastResponse = buf;
    this.lastStatus = status;
    const host = this.owner.host;
    if (status < 200) {
      this.state = 'proceeding';
      if (this.isInvite) this.clearRetransmitTimer();
      this.send(buf);
      return;
    }
    if (this.key.charCodeAt(0) === 0x01) this.toTag = response.to.tag;
    this.req = null;
    this.clearRetransmitTimer();
    this.clearEndTimer();
    const t = host.timers;
    if (!this.isInvite) {
      this.state = 'completed';
      this.send(buf);
      if (this.state !== 'completed') return; // a synchronous send failure terminated it
      if (this.reliable) this.terminate();
      else {
        // Kept 32 s: in a buffer of its own. A slice of Node's shared 8 KB pool would keep the
        // whole slab alive, with every short-lived message serialized next to it.
        this.lastResponse = ownBytes(buf);
        this.armEnd(64 * t.t1); // Timer J
      }
      return;
    }
    if (status < 300) {
      this.state = 'accepted';
      this.send(buf);
      if (this.state === 'accepted') this.armEnd(64 * t.t1); // Timer L
      return;
    }
    this.state = 'completed';
    this.send(buf);
    if (this.state !== 'completed') return;
    if (!this.reliable) {
      this.interval = t.t1;
      this.armRetransmit(t.t1); // Timer G
    }
    this.armEnd(64 * t.t1); // Timer H
  }

  /** Build a response to the request (buildResponse) and send it; returns what was sent. */
  reply(status: number, reason?: string, opts?: ResponseOptions): SipResponse {
    const req = this.req;
    if (req === null) {
      throw new TstError('TST_ERR_SIP_TRANSACTION', `${this.method} transaction is ${this.state}: cannot reply ${status}`);
    }
    const res = buildResponse(req, status, reason, opts);
    this.respond(res);
    return res;
  }

  private send(buf: Buffer): void {
    if (this.sendError === null) this.sendError = (err: Error) => this.transportFailed(err);
    this.owner.host.transmit(buf, this.flow, this.sendError);
  }

  private transportFailed(err: Error): void {
    if (this.state === 'terminated') return;
    this.owner.host.counters.transportErrors++;
    const cb = this.onTransportError;
    this.terminate();
    if (cb !== null) {
      try {
        cb(this, err);
      } catch (e) {
        this.owner.host.tuError('onTransportError', e);
      }
    }
  }

  /** @internal A retransmission of the request arrived (same transaction). */
  _retransmission(): void {
    this.owner.host.counters.retransmissionsAbsorbed++;
    switch (this.state) {
      case 'proceeding':
        if (this.lastResponse !== null) this.resend();
        else if (this.isInvite && this.req !== null) this.respond(buildResponse(this.req, 100));
        return;
      case 'completed':
      case 'accepted':
        if (this.lastResponse !== null) this.resend();
        return;
      default:
        return; // Trying (nothing to resend yet), Confirmed, Terminated: absorb
    }
  }

  /** @internal An ACK matched this INVITE transaction. Returns false when the TU should see it. */
  _ack(): boolean {
    switch (this.state) {
      case 'completed': {
        this.state = 'confirmed';
        this.clearRetransmitTimer();
        this.clearEndTimer();
        if (this.reliable) this.terminate();
        else this.armEnd(this.owner.host.timers.t4); // Timer I
        return true;
      }
      case 'accepted':
        // An ACK for the 2xx that reused the INVITE's branch: it belongs to the dialog (RFC 6026 7.1).
        return false;
      default:
        this.owner.host.counters.retransmissionsAbsorbed++;
        return true;
    }
  }

  private resend(): void {
    this.owner.host.counters.retransmissionsSent++;
    this.send(this.lastResponse as Buffer);
  }

  /** @internal Timer G, or the automatic 100 Trying. */
  _retransmitTimerFired(): void {
    this.retransmitTimer = NO_TIMER;
    if (this.state === 'proceeding') {
      if (this.lastStatus === 0 && this.req !== null) this.respond(buildResponse(this.req, 100));
      return;
    }
    if (this.state !== 'completed' || this.lastResponse === null) return;
    this.resend();
    if (this.state !== 'completed') return;
    const t2 = this.owner.host.timers.t2;
    this.interval = Math.min(this.interval * 2, t2);
    this.armRetransmit(this.interval);
  }

  /** @internal Timer H, I, J, L or the unanswered-request guard. */
  _endTimerFired(): void {
    this.endTimer = NO_TIMER;
    if (this.state === 'completed' && this.isInvite) {
      // Timer H: the ACK never came.
      this.owner.host.counters.timeouts++;
      const cb = this.onTimeout;
      this.terminate();
      if (cb !== null) {
        try {
          cb(this);
        } catch (e) {
          this.owner.host.tuError('onTimeout', e);
        }
      }
      return;
    }
    this.terminate();
  }

  /**
   * @internal The TU returned without a final response: make sure the transaction cannot live
   * forever. After 64*T1 the client has given up (Timer F) and any answer would be useless.
   */
  _guardUnanswered(): void {
    if (this.isInvite || this.endTimer !== NO_TIMER || (this.state !== 'trying' && this.state !== 'proceeding')) return;
    this.armEnd(64 * this.owner.host.timers.t1);
  }

  private armRetransmit(ms: number): void {
    this.retransmitMs = ms;
    this.retransmitTimer = this.owner.host.timerQueues.schedule(ms, onRetransmitTimer, this);
  }

  private armEnd(ms: number): void {
    this.endMs = ms;
    this.endTimer = this.owner.host.timerQueues.schedule(ms, onEndTimer, this);
  }

  private clearRetransmitTimer(): void {
    if (this.retransmitTimer !== NO_TIMER) {
      this.owner.host.timerQueues.cancel(this.retransmitMs, this.retransmitTimer);
      this.retransmitTimer = NO_TIMER;
    }
  }

  private clearEndTimer(): void {
    if (this.endTimer !== NO_TIMER) {
      this.owner.host.timerQueues.cancel(this.endMs, this.endTimer);
      this.endTimer = NO_TIMER;
    }
  }

  /** End the transaction now (timers cleared, removed from the table). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearRetransmitTimer();
    this.clearEndTimer();
    this.req = null;
    this.lastResponse = null;
    this.owner.removeServer(this);
    const cb = this.onTerminated;
    if (cb !== null) {
      try {
        cb(this);
      } catch (e) {
        this.owner.host.tuError('onTerminated', e);
      }
    }
  }
}
