/**
 * Requests and responses the transaction layer builds itself: CANCEL (RFC 3261 9.1), the ACK
 * for a non-2xx final response to an INVITE (17.1.1.3), and the responses it synthesizes for
 * the TU when no real one arrives (408 on Timer B/F, 503 on a transport failure, 8.1.3.1).
 */
import { SipRequest, type SipResponse } from '../message.js';
import { buildResponse } from '../serializer.js';

/** Copy the given headers' values, in order, from one message to another. */
function copy(from: SipRequest, to: SipRequest, name: string): void {
  for (const v of from.getHeaders(name)) to.addHeader(name, v);
}

/**
 * CANCEL for a request we sent (RFC 3261 9.1): same Request-URI, Call-ID, From, To, CSeq
 * number and Route set; a single Via equal to the top Via of the request (so the branch
 * matches its transaction); CSeq method CANCEL.
 */
export function buildCancel(request: SipRequest): SipRequest {
  const cancel = new SipRequest('CANCEL', request.uri);
  const via = request.getHeader('Via');
  if (via !== undefined) cancel.addHeader('Via', via);
  copy(request, cancel, 'Route');
  cancel.addHeader('Max-Forwards', '70');
  copy(request, cancel, 'From');
  copy(request, cancel, 'To');
  copy(request, cancel, 'Call-ID');
  cancel.addHeader('CSeq', `${request.cseq.seq} CANCEL`);
  return cancel;
}

/**
 * ACK for a 300-699 response to an INVITE (RFC 3261 17.1.1.3): built by the client
 * transaction, with the INVITE's Request-URI, Call-ID, From, CSeq number, top Via and Route
 * set, and the To of the response (it carries the UAS's tag).
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uri);
  const via = invite.getHeader('Via');
  if (via !== undefined) ack.addHeader('Via', via);
  copy(invite, ack, 'Route');
  ack.addHeader('Max-Forwards', '70');
  copy(invite, ack, 'From');
  const to = response.getHeader('To') ?? invite.getHeader('To');
  if (to !== undefined) ack.addHeader('To', to);
  copy(invite, ack, 'Call-ID');
  ack.addHeader('CSeq', `${invite.cseq.seq} ACK`);
  return ack;
}

/**
 * A response the transaction layer makes up for the TU (no such response was received):
 * 408 when Timer B/F fired, 503 when the transport failed. Unlike a real response it gets no
 * To-tag: nobody answered, so there is no remote tag.
 */
export function synthesizeResponse(request: SipRequest, status: number, reason: string): SipResponse {
  const res = buildResponse(request, status, reason);
  const to = request.getHeader('To');
  if (to !== undefined && request.to.tag === null) res.setHeader('To', to);
  return res;
}
