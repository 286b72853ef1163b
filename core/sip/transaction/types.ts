/**
 * What the transaction layer needs from the stack around it (sending, timers, counters, the
 * transaction user), kept as interfaces so transactions never import the stack.
 */
import type { SipRequest, SipResponse } from '../message.js';
import type { SendErrorCallback, SendTarget, SourceInfo, Transport } from '../transport/types.js';
import type { TimerValues } from './clock.js';
import type { TimerQueues } from './timer-queues.js';
import type { ServerTransaction } from './server-transaction.js';

/** A transport plus where to send on it: the path of a transaction's messages. */
export interface Flow extends SendTarget {
  readonly transport: Transport;
}

/** Counters the transaction layer bumps (the stack exposes them in its stats). */
export interface TransactionCounters {
  /** Requests and responses sent again by Timers A, E, G (and resent for a retransmission). */
  retransmissionsSent: number;
  /** Retransmitted requests a server transaction absorbed (the TU was not called again). */
  retransmissionsAbsorbed: number;
  /** Retransmitted final responses a completed client transaction absorbed. */
  responsesAbsorbed: number;
  /** Timer B / F expiries (408 synthesized) and Timer H expiries (no ACK). */
  timeouts: number;
  /** Sends that failed (503 synthesized for client transactions). */
  transportErrors: number;
  /** Responses matching no client transaction. */
  strayResponses: number;
}

export interface TransactionHost {
  /** Where transactions arm their timers. */
  readonly timerQueues: TimerQueues;
  readonly timers: TimerValues;
  readonly counters: TransactionCounters;
  /** Send bytes over a flow (the stack counts them and feeds the message logger). */
  transmit(buf: Buffer, flow: Flow, onError?: SendErrorCallback): void;
  /** Where responses of a new server transaction go (RFC 3261 18.2.2 and RFC 3581). */
  responseFlow(request: SipRequest, source: SourceInfo): Flow;
  /** A request that starts a new server transaction: hand it to the TU. */
  newRequest(request: SipRequest, tx: ServerTransaction, source: SourceInfo): void;
  /** An ACK matching no INVITE server transaction in Completed (an ACK for a 2xx). */
  strayAck(ack: SipRequest, source: SourceInfo): void;
  /** A CANCEL matched an INVITE server transaction still in Proceeding. */
  cancelled(invite: ServerTransaction, cancel: SipRequest, source: SourceInfo): void;
  /** A response matching no client transaction (e.g. a 2xx retransmitted after Timer M). */
  strayResponse(response: SipResponse, source: SourceInfo): void;
  /** An exception thrown by TU code: logged, never propagated into socket handlers. */
  tuError(where: string, err: unknown): void;
}
