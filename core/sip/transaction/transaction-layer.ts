/**
 * The transaction tables and the matching rules (RFC 3261 17.1.3 and 17.2.3).
 *
 * Server side, a request with an RFC 3261 branch (magic cookie `z9hG4bK`) is keyed by the
 * branch string itself (no key is built, so a lookup allocates nothing); the match is then
 * confirmed by the sent-by of the top Via and by the method, with ACK matching the INVITE it
 * acknowledges. CANCEL has its own table because it shares the INVITE's branch (9.1). A
 * branch without the cookie (RFC 2543 peers) is keyed by Request-URI, From tag, Call-ID,
 * CSeq number, top Via and method, and an ACK must also carry the To-tag of the response.
 *
 * Client side, our own branches are unique, so the key is the branch, and a response matches
 * when its CSeq method is the transaction's (CANCEL again in its own table).
 */
import { TstError } from '../../errors.js';
import type { SipRequest, SipResponse, Via } from '../message.js';
import { buildResponse } from '../serializer.js';
import type { SourceInfo, Transport } from '../transport/types.js';
import { ClientTransaction, type ClientTransactionHandlers, type ClientTransactionOwner } from './client-transaction.js';
import { ServerTransaction, type ServerTransactionOwner } from './server-transaction.js';
import type { Flow, TransactionHost } from './types.js';
import { ownString } from '../../own-string.js';

export const MAGIC_COOKIE = 'z9hG4bK';


function sameSentBy(tx: ServerTransaction, via: Via): boolean {
  if ((via.port ?? 0) !== tx.viaPort) return false;
  const a = via.host;
  const b = tx.viaHost;
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/**
 * RFC 2543 transaction key (17.2.3, last paragraph). It starts with \x01, which no branch can
 * contain, so both kinds share one table. ACK is keyed as the INVITE it acknowledges.
 */
function rfc2543Key(req: SipRequest, method: string): string {
  const via = req.topVia;
  return `\u0001${method}\u0000${req.uri}\u0000${req.from.tag ?? ''}\u0000${req.callId}\u0000${req.cseq.seq}\u0000${via.host}:${via.port ?? ''}\u0000${via.branch ?? ''}`;
}

/** Key used when two different transactions claim the same branch (a broken peer). */
function collisionKey(branch: string, method: string, via: Via): string {
  return `${branch}\u0000${method}\u0000${via.host}:${via.port ?? ''}`;
}

export class TransactionLayer implements ServerTransactionOwner, ClientTransactionOwner {
  readonly host: TransactionHost;
  private readonly server = new Map<string, ServerTransaction>();
  private readonly serverCancel = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  private readonly clientCancel = new Map<string, ClientTransaction>();

  constructor(host: TransactionHost) {
    this.host = host;
  }

  get serverCount(): number {
    return this.server.size + this.serverCancel.size;
  }

  /**
   * A stream connection closed: client transactions sent over it can get no answer any more and
   * fail now with a transport error (as pjsip does), not after Timer B/F (32 s). Only those bound
   * to that connection by id; a close is rare, so a scan is fine.
   */
  connectionClosed(transport: Transport, connectionId: number): number {
    const hit: ClientTransaction[] = [];
    for (const table of [this.client, this.clientCancel]) {
      for (const tx of table.values()) if (tx.flow.transport === transport && tx.flow.connectionId === connectionId) hit.push(tx);
    }
    const err = new TstError('TST_ERR_SIP_TRANSPORT', `Transport '${transport.name}': connection ${connectionId} closed`);
    for (const tx of hit) tx._connectionClosed(err);
    return hit.length;
  }

  get clientCount(): number {
    return this.client.size + this.clientCancel.size;
  }

  // ------------------------------------------------------------------------------------------
  // Server side

  /** Find the server transaction a request belongs to (ACK -> its INVITE), or undefined. */
  findServer(req: SipRequest): ServerTransaction | undefined {
    const via = req.topVia;
    const branch = via.branch;
    const method = req.method;
    const table = method === 'CANCEL' ? this.serverCancel : this.server;
    const txMethod = method === 'ACK' ? 'INVITE' : method;
    if (branch !== null && branch.startsWith(MAGIC_COOKIE)) {
      const tx = table.get(branch);
      if (tx !== undefined && tx.method === txMethod && sameSentBy(tx, via)) return tx;
      if (tx === undefined) return undefined;
      const other = table.get(collisionKey(branch, txMethod, via));
      return other !== undefined && other.method === txMethod ? other : undefined;
    }
    const tx = table.get(rfc2543Key(req, txMethod));
    if (tx === undefined) return undefined;
    if (method === 'ACK' && tx.toTag !== null && req.to.tag !== tx.toTag) return undefined;
    return tx;
  }

  /** The key a new server transaction for this request gets in its table. */
  private newServerKey(req: SipRequest, table: Map<string, ServerTransaction>): string {
    const via = req.topVia;
    const branch = via.branch;
    if (branch !== null && branch.startsWith(MAGIC_COOKIE)) {
      return table.has(branch) ? collisionKey(branch, req.method, via) : ownString(branch);
    }
    return rfc2543Key(req, req.method);
  }

  /**
   * A request arrived (Via already stamped with received/rport). Retransmissions are absorbed
   * here; ACKs go to their INVITE transaction or to the TU; CANCEL is answered here; anything
   * else starts a server transaction and goes to the TU.
   */
  receiveRequest(req: SipRequest, source: SourceInfo): void {
    const method = req.method;
    const existing = this.findServer(req);
    if (method === 'ACK') {
      if (existing === undefined || !existing._ack()) this.host.strayAck(req, source);
      return;
    }
    if (existing !== undefined) {
      existing._retransmission();
      return;
    }
    const table = method === 'CANCEL' ? this.serverCancel : this.server;
    const key = this.newServerKey(req, table);
    const tx = new ServerTransaction(this, req, source, this.host.responseFlow(req, source), key);
    table.set(key, tx);
    if (method === 'CANCEL') {
      this.serverCancelled(req, tx, source);
      return;
    }
    this.host.newRequest(req, tx, source);
    if (tx.state === 'trying' || tx.state === 'proceeding') tx._guardUnanswered();
  }

  /**
   * RFC 3261 9.2: a CANCEL gets 481 when it matches no transaction, else 200; an INVITE still
   * in Proceeding is then offered to the TU (onCancel) and, unless the TU answered it there,
   * gets 487 Request Terminated.
   */
  private serverCancelled(cancel: SipRequest, tx: ServerTransaction, source: SourceInfo): void {
    const via = cancel.topVia;
    const branch = via.branch;
    let target: ServerTransaction | undefined;
    if (branch !== null && branch.startsWith(MAGIC_COOKIE)) {
      const t = this.server.get(branch);
      if (t !== undefined && sameSentBy(t, via)) target = t;
    } else {
      target = this.server.get(rfc2543Key(cancel, 'INVITE'));
    }
    if (target === undefined) {
      tx.reply(481, 'Call/Transaction Does Not Exist');
      return;
    }
    // 200 whenever it matched, even if the request was already answered (9.2): then, and for
    // a non-INVITE, the CANCEL has no effect.
    tx.reply(200);
    if (!target.isInvite || target.answered) return;
    this.host.cancelled(target, cancel, source);
    if (!target.answered && target.request !== null) {
      target.respond(buildResponse(target.request, 487, 'Request Terminated'));
    }
  }

  /** @internal */
  removeServer(tx: ServerTransaction): void {
    const table = tx.method === 'CANCEL' ? this.serverCancel : this.server;
    if (table.get(tx.key) === tx) table.delete(tx.key);
  }

  // ------------------------------------------------------------------------------------------
  // Client side

  /**
   * Start a client transaction for a request whose top Via already carries our branch. ACK is
   * refused: it is never a transaction of its own (send it statelessly).
   */
  sendRequest(req: SipRequest, flow: Flow, handlers: ClientTransactionHandlers): ClientTransaction {
    const method = req.method;
    if (method === 'ACK') throw new TstError('TST_ERR_SIP_TRANSACTION', 'ACK is not sent in a client transaction');
    const branch = req.topVia.branch;
    if (branch === null || !branch.startsWith(MAGIC_COOKIE)) {
      throw new TstError('TST_ERR_SIP_TRANSACTION', `Request has no RFC 3261 branch in its top Via`);
    }
    const table = method === 'CANCEL' ? this.clientCancel : this.client;
    if (table.has(branch)) throw new TstError('TST_ERR_SIP_TRANSACTION', `A ${method} client transaction with branch ${branch} already exists`);
    const tx = new ClientTransaction(this, req, flow, branch, handlers);
    table.set(branch, tx);
    tx._start();
    return tx;
  }

  /** A response arrived: hand it to its client transaction, or report it as stray. */
  receiveResponse(res: SipResponse, source: SourceInfo): void {
    const branch = res.topVia.branch;
    const method = res.cseq.method;
    const tx = branch === null ? undefined : (method === 'CANCEL' ? this.clientCancel : this.client).get(branch);
    if (tx === undefined || tx.method !== method) {
      this.host.counters.strayResponses++;
      this.host.strayResponse(res, source);
      return;
    }
    tx._response(res, source);
  }

  /** @internal */
  startCancel(invite: ClientTransaction, cancel: SipRequest, handlers: ClientTransactionHandlers): void {
    try {
      this.sendRequest(cancel, invite.flow, handlers);
    } catch (e) {
      // A CANCEL for this INVITE is already under way.
      this.host.tuError('cancel', e);
    }
  }

  /** @internal */
  removeClient(tx: ClientTransaction): void {
    const table = tx.method === 'CANCEL' ? this.clientCancel : this.client;
    if (table.get(tx.branch) === tx) table.delete(tx.branch);
  }

  /** Terminate everything without telling anyone (the stack is shutting down). */
  clear(): void {
    for (const table of [this.server, this.serverCancel]) {
      for (const tx of [...table.values()]) {
        tx.onTerminated = null;
        tx.terminate();
      }
    }
    for (const table of [this.client, this.clientCancel]) {
      for (const tx of [...table.values()]) {
        tx.onTerminated = null;
        tx.terminate();
      }
    }
  }
}
