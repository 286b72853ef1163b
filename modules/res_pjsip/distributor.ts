/**
 * The request distributor (Asterisk's res_pjsip/pjsip_distributor.c): every request the stack
 * hands up goes through here. In-dialog requests go to the dialog handlers (481 when none owns
 * them). Out-of-dialog ones are identified (identifiers in `endpoint_identifier_order`, each
 * limited by the endpoint's `identify_by`), authenticated, then given to the handler of their
 * method. Unidentified requests are challenged (401) like Asterisk's artificial endpoint does,
 * except an out-of-dialog OPTIONS ping, which is answered 200 without authentication.
 */
import type { Logger } from '../../core/log.js';
import type { SipRequest } from '../../core/sip/message.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';
import type { Authenticator, DialogRequestHandler, EndpointIdentifier, MethodHandler, PjsipService, RequestContext } from './service.js';
import type { EndpointObject } from './object-types.js';
import { errorMessage } from '../../core/errors.js';

/** Methods RFC 3261 and its extensions define: others are 501, these without a handler 405. */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

export interface DistributorHooks {
  identifiers: Map<string, EndpointIdentifier>;
  authenticator(): Authenticator | undefined;
  methodHandlers: Map<string, MethodHandler>;
  dialogHandlers: DialogRequestHandler[];
  /** Answers an identified or unidentified out-of-dialog OPTIONS. */
  options(req: SipRequest, tx: ServerTransaction, endpoint: EndpointObject | undefined): void;
}

export class Distributor {
  /** Unidentified requests answered, for `pjsip show` style counters and tests. */
  unidentified = 0;

  constructor(
    private readonly svc: PjsipService,
    private readonly hooks: DistributorHooks,
    private readonly log: Logger,
  ) {}

  handle(req: SipRequest, tx: ServerTransaction, source: SourceInfo): void {
    try {
      this.route(req, tx, source);
    } catch (e) {
      this.log.error(`Failed to handle ${req.method} from ${source.remoteAddress}:${source.remotePort} (Call-ID ${req.callId}): ${errorMessage(e)}`);
      if (!tx.answered) this.svc.reply(tx, 500, 'Server Internal Error');
    }
  }

  private route(req: SipRequest, tx: ServerTransaction, source: SourceInfo): void {
    if (req.to.tag) {
      for (const h of this.hooks.dialogHandlers) if (h(req, tx, source)) return;
      this.svc.reply(tx, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const method = req.method;
    if (!KNOWN_METHODS.has(method)) {
      this.svc.reply(tx, 501, 'Not Implemented', [['Allow', this.svc.allow().join(', ')]]);
      return;
    }
    const found = this.identify(req, source);
    if (!found) {
      if (method === 'OPTIONS') {
        this.hooks.options(req, tx, undefined);
        return;
      }
      this.unidentified++;
      this.log.notice(`Request '${method}' from '${req.from.uri}' failed for '${source.remoteAddress}:${source.remotePort}' (callid: ${req.callId}) - No matching endpoint found`);
      this.challengeUnidentified(req, tx, source);
      return;
    }
    const { endpoint, identifiedBy } = found;
    if (!(method === 'OPTIONS' && endpoint.allow_unauthenticated_options) && endpoint.auth.length > 0) {
      const auth = this.hooks.authenticator();
      if (!auth) {
        this.log.error(`Endpoint '${endpoint.id}' has auth but no authenticator module is loaded; refusing ${method}`);
        this.svc.reply(tx, 403, 'Forbidden');
        return;
      }
      const r = auth.check(endpoint, req, source);
      if (r.result !== 'ok') {
        if (r.result === 'fail') {
          this.log.notice(`Request '${method}' from '${req.from.uri}' failed for '${source.remoteAddress}:${source.remotePort}' (callid: ${req.callId}) - ${r.reason}`);
        }
        tx.respond(r.response);
        return;
      }
    }
    const ctx: RequestContext = { endpoint, source, identifiedBy };
    if (method === 'OPTIONS') {
      this.hooks.options(req, tx, endpoint);
      return;
    }
    const handler = this.hooks.methodHandlers.get(method);
    if (!handler) {
      if (method !== 'ACK') this.svc.reply(tx, 405, 'Method Not Allowed', [['Allow', this.svc.allow().join(', ')]]);
      return;
    }
    handler(req, tx, ctx);
  }

  /** Runs the identifiers in the configured order; an endpoint found must allow that method. */
  identify(req: SipRequest, source: SourceInfo): { endpoint: EndpointObject; identifiedBy: string } | undefined {
    for (const name of this.svc.global().endpoint_identifier_order) {
      const identifier = this.hooks.identifiers.get(name);
      if (!identifier) continue;
      const endpoint = identifier(req, source);
      if (endpoint) return { endpoint, identifiedBy: name };
    }
    // Identifiers not named in the order still run, after it (Asterisk appends them too).
    for (const [name, identifier] of this.hooks.identifiers) {
      if (this.svc.global().endpoint_identifier_order.includes(name)) continue;
      const endpoint = identifier(req, source);
      if (endpoint) return { endpoint, identifiedBy: name };
    }
    return undefined;
  }

  /**
   * Asterisk's artificial endpoint: an unidentified request is challenged, and credentials for it
   * can never be right, so a peer cannot tell an unknown user from a wrong password.
   */
  private challengeUnidentified(req: SipRequest, tx: ServerTransaction, source: SourceInfo): void {
    const auth = this.hooks.authenticator();
    if (!auth) {
      this.svc.reply(tx, 401, 'Unauthorized');
      return;
    }
    const artificial = { id: '', auth: ['\u0000artificial'] } as unknown as EndpointObject;
    const r = auth.check(artificial, req, source);
    if (r.result === 'ok') {
      this.svc.reply(tx, 403, 'Forbidden');
      return;
    }
    tx.respond(r.response);
  }
}
