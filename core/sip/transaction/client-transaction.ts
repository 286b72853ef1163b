/**
 * Client transactions (RFC 3261 17.1, with the RFC 6026 Accepted state for INVITE).
 *
 * non-INVITE: Trying -> Proceeding (1xx) -> Completed (final; Timer K = T4 on UDP, 0 on
 *   reliable) -> Terminated. On UDP, Timer E resends the request at T1, 2T1, 4T1... capped at
 *   T2 (and every T2 once a 1xx came). Timer F (64*T1) gives the TU a synthesized 408.
 * INVITE: Calling -> Proceeding (1xx) -> Completed (300-699: the transaction ACKs it and
 *   re-ACKs every retransmission until Timer D) or Accepted (2xx: Timer M = 64*T1 passes
 *   retransmitted or forked 2xx to the TU, which ACKs them itself). Timer A doubles without a
 *   cap; Timer B (64*T1) gives a synthesized 408 while still Calling.
 *
 * A transport failure gives the TU a synthesized 503 (RFC 3261 8.1.3.1). Synthesized
 * responses go to onTimeout / onTransportError when the TU set them, else to onResponse.
 */
import { TstError } from '../../errors.js';
import type { SipRequest, SipResponse } from '../message.js';
import { serializeMessage } from '../serializer.js';
import type { SourceInfo } from '../transport/types.js';
import { timerD } from './clock.js';
import { NO_TIMER } from './timer-queues.js';
import { buildCancel, buildNon2xxAck, synthesizeResponse } from './requests.js';
import type { Flow, TransactionHost } from './types.js';

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientTransactionHandlers {
  /** Every response the TU should see: provisional, final, and synthesized ones unless handled below. */
  onResponse(response: SipResponse, tx: ClientTransaction): void;
  /** Timer B/F: a synthesized `408 Request Timeout`. */
  onTimeout?(response: SipResponse, tx: ClientTransaction): void;
  /** The request could not be sent: a synthesized `503 Service Unavailable`. */
  onTransportError?(response: SipResponse, error: Error, tx: ClientTransaction): void;
}

export interface ClientTransactionOwner {
  readonly host: TransactionHost;
  removeClient(tx: ClientTransaction): void;
  /** Start the CANCEL transaction for an INVITE that got its first provisional response. */
  startCancel(invite: ClientTransaction, cancel: SipRequest, handlers: ClientTransactionHandlers): void;
}

function onRetransmitTimer(tx: ClientTransaction): void {
  tx._retransmitTimerFired();
}

function onEndTimer(tx: ClientTransaction): void {
  tx._endTimerFired();
}

const NOOP_HANDLERS: ClientTransactionHandlers = { onResponse: () => {} };

export class ClientTransaction {
  readonly method: string;
  readonly isInvite: boolean;
  /** Branch of the Via we put on the request: the transaction key (RFC 3261 17.1.3). */
  readonly branch: string;
  readonly flow: Flow;
  state: ClientTransactionState;
  /** Status of the last response received; 0 before any. */
  lastStatus = 0;
  /** Where the last response came from (the connection for stream transports). */
  responseSource: SourceInfo | null = null;
  /** Called once when the transaction ends, for whatever reason. */
  onTerminated: ((tx: ClientTransaction) => void) | null = null;

  private req: SipRequest | null;
  private wire: Buffer | null = null;
  private ackWire: Buffer | null = null;
  private handlers: ClientTransactionHandlers;
  private readonly owner: ClientTransactionOwner;
  /** Timer A / E. */
  private retransmitTimer = NO_TIMER;
  private retransmitMs = 0;
  /** Timer B / F, then D / K / M. */
  private endTimer = NO_TIMER;
  private endMs = 0;
  private interval = 0;
  private cancelHandlers: ClientTransactionHandlers | null = null;
  private sendError: ((err: Error) => void) | null = null;

  constructor(owner: ClientTransactionOwner, request: SipRequest, flow: Flow, branch: string, handlers: ClientTransactionHandlers) {
    this.owner = owner;
    this.req = request;
    this.method = request.method;
    this.isInvite = request.method === 'INVITE';
    this.branch = branch;
    this.flow = flow;
    this.handlers = handlers;
    this.state = this.isInvite ? 'calling' : 'trying';
  }

  /**
   * The request sent. Valid until the final response has been handed to the TU (including
   * inside that onResponse call); the transaction then drops it so a completed transaction
   * waiting out Timer K/D holds almost nothing.
   */
  get request(): SipRequest {
    if (this.req === null) {
      throw new TstError('TST_ERR_SIP_TRANSACTION', `${this.method} client transaction is ${this.state}: request released`);
    }
    return this.req;
  }

  get reliable(): boolean {
    return this.flow.transport.reliable;
  }

  /** @internal Send the request and arm Timers A/B or E/F. */
  _start(): void {
    const host = this.owner.host;
    const t = host.timers;
    this.wire = serializeMessage(this.req as SipRequest);
    this.send(this.wire);
    if (this.state === 'terminated') return;
    if (!this.reliable) {
      this.interval = t.t1;
      this.armRetransmit(t.t1);
    }
    this.armEnd(64 * t.t1);
  }

  private send(buf: Buffer): void {
    if (this.sendError === null) this.sendError = (err: Error) => this.transportFailed(err);
    this.owner.host.transmit(buf, this.flow, this.sendError);
  }

  /** @internal A response whose top Via branch and CSeq method match this transaction. */
  _response(res: SipResponse, source: SourceInfo): void {
    const status = res.status;
    const state = this.state;
    if (state === 'terminated') return;
    if (state === 'completed') {
      // A retransmitted final response: the ACK (INVITE) was lost, send it again.
      this.owner.host.counters.responsesAbsorbed++;
      if (this.isInvite && status >= 300 && this.ackWire !== null) {
        this.owner.host.counters.retransmissionsSent++;
        this.send(this.ackWire);
      }
      return;
    }
    if (state === 'accepted') {
      if (status >= 200 && status < 300) this.deliver(res, source);
      else this.owner.host.counters.responsesAbsorbed++;
      return;
    }
    this.lastStatus = status;
    this.responseSource = source;
    const host = this.owner.host;
    if (status < 200) {
      if (this.isInvite) {
        // Proceeding: no more retransmissions, and Timer B only runs in Calling.
        this.clearRetransmitTimer();
        this.clearEndTimer();
        this.state = 'proceeding';
        this.deliver(res, source);
        const cancel = this.cancelHandlers;
        if (cancel !== null && this.state === 'proceeding') {
          this.cancelHandlers = null;
          this.owner.startCancel(this, buildCancel(this.req as SipRequest), cancel);
        }
        return;
      }
      this.state = 'proceeding';
      this.deliver(res, source);
      return;
    }
    this.clearRetransmitTimer();
    this.clearEndTimer();
    this.cancelHandlers = null;
    this.wire = null;
    const t = host.timers;
    if (!this.isInvite) {
      this.state = 'completed';
      if (this.reliable) this.terminate();
      else this.armEnd(t.t4); // Timer K
      this.deliverFinal(res, source);
      return;
    }
    if (status < 300) {
      this.state = 'accepted';
      this.armEnd(64 * t.t1); // Timer M
      this.deliverFinal(res, source);
      return;
    }
    this.state = 'completed';
    this.ackWire = serializeMessage(buildNon2xxAck(this.req as SipRequest, res));
    this.send(this.ackWire);
    if (this.reliable) this.terminate();
    else this.armEnd(timerD(t)); // Timer D
    this.deliverFinal(res, source);
  }

  private deliver(res: SipResponse, _source: SourceInfo): void {
    try {
      this.handlers.onResponse(res, this);
    } catch (e) {
      this.owner.host.tuError('onResponse', e);
    }
  }

  /** Hand the final response over, then release the request. */
  private deliverFinal(res: SipResponse, source: SourceInfo): void {
    this.deliver(res, source);
    if (this.state !== 'accepted') {
      // Timer K/D only absorbs retransmitted answers: the TU's callbacks (and whatever they
      // hold: the request, the response, a promise) are released with the request.
      this.req = null;
      this.handlers = NOOP_HANDLERS;
    }
  }

  /**
   * Ask for a CANCEL of this INVITE (RFC 3261 9.1): sent at once when a provisional response
   * came, else as soon as one comes; nothing when a final response already came. The CANCEL's
   * own responses go to `handlers` (by default nowhere); the INVITE gets its 487 as usual.
   */
  cancel(handlers: ClientTransactionHandlers = NOOP_HANDLERS): void {
    if (!this.isInvite) throw new TstError('TST_ERR_SIP_TRANSACTION', `Only INVITE can be cancelled, not ${this.method}`);
    if (this.state === 'calling') this.cancelHandlers = handlers;
    else if (this.state === 'proceeding') this.owner.startCancel(this, buildCancel(this.req as SipRequest), handlers);
  }

  /** @internal Timer A / E. */
  _retransmitTimerFired(): void {
    this.retransmitTimer = NO_TIMER;
    const state = this.state;
    if (this.wire === null || (state !== 'calling' && state !== 'trying' && state !== 'proceeding')) return;
    this.owner.host.counters.retransmissionsSent++;
    this.send(this.wire);
    if (this.state === 'terminated') return;
    const t2 = this.owner.host.timers.t2;
    if (this.isInvite) this.interval *= 2; // Timer A: no cap
    else this.interval = state === 'proceeding' ? t2 : Math.min(this.interval * 2, t2); // Timer E
    this.armRetransmit(this.interval);
  }

  /** @internal Timer B / F (timeout), or D / K / M (end). */
  _endTimerFired(): void {
    this.endTimer = NO_TIMER;
    const state = this.state;
    if (state === 'calling' || state === 'trying' || state === 'proceeding') {
      this.owner.host.counters.timeouts++;
      this.fail(synthesizeResponse(this.req as SipRequest, 408, 'Request Timeout'), null);
      return;
    }
    this.terminate();
  }

  /** @internal The connection this transaction was sent over closed before a final answer. */
  _connectionClosed(err: Error): void {
    this.transportFailed(err);
  }

  private transportFailed(err: Error): void {
    const state = this.state;
    if (state === 'terminated') return;
    this.owner.host.counters.transportErrors++;
    if (state === 'completed' || state === 'accepted') {
      this.terminate(); // the ACK could not be sent: nothing the TU can do
      return;
    }
    this.fail(synthesizeResponse(this.req as SipRequest, 503, 'Service Unavailable'), err);
  }

  /** Terminate and hand a synthesized response to the TU. */
  private fail(res: SipResponse, err: Error | null): void {
    this.terminate();
    const h = this.handlers;
    try {
      if (err === null && h.onTimeout) h.onTimeout(res, this);
      else if (err !== null && h.onTransportError) h.onTransportError(res, err, this);
      else h.onResponse(res, this);
    } catch (e) {
      this.owner.host.tuError(err === null ? 'onTimeout' : 'onTransportError', e);
    }
    this.req = null;
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

  /** End the transaction now, without telling the TU anything more. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearRetransmitTimer();
    this.clearEndTimer();
    this.wire = null;
    this.ackWire = null;
    this.cancelHandlers = null;
    this.owner.removeClient(this);
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
