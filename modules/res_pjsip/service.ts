/**
 * The `pjsip` service res_pjsip provides to the modules that declare it in `requires`
 * (identifiers, authenticators, registrar, pubsub...): the SIP stack, the config objects, the
 * contacts, and the hooks of the request distributor. Asterisk spreads this over
 * ast_sip_register_service, ast_sip_register_endpoint_identifier_with_name,
 * ast_sip_register_authenticator and the location API.
 */
import type { Disposer } from '../../core/registry/registry.js';
import type { SipRequest, SipResponse } from '../../core/sip/message.js';
import type { SipStack, RequestTarget } from '../../core/sip/stack.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';
import type { ClientTransactionHandlers } from '../../core/sip/transaction/client-transaction.js';
import type { Location } from './location.js';
import type { AorObject, AuthObject, EndpointObject, GlobalObject } from './object-types.js';

/** What the distributor knows about an out-of-dialog request once it is identified. */
export interface RequestContext {
  endpoint: EndpointObject;
  source: SourceInfo;
  /** The identifier that found the endpoint (`username`, `ip`...). */
  identifiedBy: string;
}

/** Finds the endpoint a request comes from, or nothing (ast_sip_endpoint_identifier). */
export type EndpointIdentifier = (req: SipRequest, source: SourceInfo) => EndpointObject | undefined;

/** ast_sip_authenticator: decides whether a request must authenticate and checks it. */
export interface Authenticator {
  /**
   * `challenge`: answer with the response (401 with challenges); `ok`: go on; `fail`: credentials
   * given and wrong (403).
   */
  check(endpoint: EndpointObject, req: SipRequest, source: SourceInfo): { result: 'ok' } | { result: 'challenge' | 'fail'; response: SipResponse; reason: string };
}

/** ast_sip_outbound_authenticator: builds the retry of a request challenged with 401/407. */
export interface OutboundAuthenticator {
  /** A new request carrying credentials, or undefined when it cannot (or should not) answer. */
  retry(authNames: readonly string[], challenge: SipResponse, original: SipRequest, attempt: number): SipRequest | undefined;
}

/** Handles an identified (and authenticated) out-of-dialog request of one method. */
export type MethodHandler = (req: SipRequest, tx: ServerTransaction, ctx: RequestContext) => void;

/** Handles in-dialog requests: returns true when it owned the request (answered it). */
export type DialogRequestHandler = (req: SipRequest, tx: ServerTransaction, source: SourceInfo) => boolean;

/** A contact an AOR reaches: dynamic (registered) or static (aor contact=). */
export interface AorContact {
  aor: string;
  uri: string;
  dynamic: boolean;
  expiresAt?: number;
  flow?: { protocol: string; transport: string; address: string; port: number; connectionId?: number };
}

export interface PjsipService {
  readonly stack: SipStack;
  readonly location: Location;
  endpoint(name: string): EndpointObject | undefined;
  endpoints(): EndpointObject[];
  aor(name: string): AorObject | undefined;
  auth(name: string): AuthObject | undefined;
  global(): GlobalObject;
  /** Dynamic then static contacts of an AOR. */
  contacts(aor: string): AorContact[];
  /** Registers an identifier under its name (`username`, `ip`, `anonymous`, `header`...). */
  registerEndpointIdentifier(name: string, identifier: EndpointIdentifier): Disposer;
  setAuthenticator(a: Authenticator): Disposer;
  setOutboundAuthenticator(a: OutboundAuthenticator): Disposer;
  /** The handler of out-of-dialog requests of a method; the method joins Allow. */
  registerMethodHandler(method: string, handler: MethodHandler): Disposer;
  /** Tried in registration order for requests with a To tag. */
  registerDialogHandler(handler: DialogRequestHandler): Disposer;
  /** Adds an option tag to Supported. */
  addSupported(tag: string): Disposer;
  /** Methods we answer (the Allow header). */
  allow(): string[];
  supported(): string[];
  /** A response with Server added, as every response we send carries. */
  /** `toTag`: the To tag of a dialog-creating response (our local tag). */
  reply(tx: ServerTransaction, status: number, reason?: string, headers?: ReadonlyArray<readonly [string, string]>, body?: { type: string; text: string }, toTag?: string): SipResponse;
  /**
   * Sends a request out of dialog or in dialog through the stack, adding User-Agent and
   * Max-Forwards, answering 401/407 through the outbound authenticator with `outboundAuth`.
   */
  /** `maxAuthAttempts`: challenges answered at most (default 3). */
  sendRequest(req: SipRequest, target: RequestTarget, handlers: ClientTransactionHandlers, opts?: { outboundAuth?: readonly string[]; maxAuthAttempts?: number }): void;
  /** Resolves a URI (or a dialog's next hop) to a stack target, preferring a known flow. */
  resolve(uri: string, flow?: AorContact['flow']): Promise<RequestTarget>;
}

declare module '../../core/services.js' {
  interface ServiceMap {
    pjsip: PjsipService;
  }
}
