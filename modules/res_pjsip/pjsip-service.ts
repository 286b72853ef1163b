/**
 * The implementation of the `pjsip` service: config object lookups, contacts, the distributor's
 * hooks, and sending requests with User-Agent, Max-Forwards and outbound authentication.
 */
import { TstError } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Disposer } from '../../core/registry/registry.js';
import type { SipRequest, SipResponse } from '../../core/sip/message.js';
import type { RequestTarget, SipStack } from '../../core/sip/stack.js';
import type { ClientTransactionHandlers } from '../../core/sip/transaction/client-transaction.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { TransportProtocol } from '../../core/sip/transport/types.js';
import { parseUri } from '../../core/sip/uri.js';
import type { Location } from './location.js';
import { globalOrDefaults, type AorObject, type AuthObject, type EndpointObject, type GlobalObject } from './object-types.js';
import type {
  AorContact,
  Authenticator,
  DialogRequestHandler,
  EndpointIdentifier,
  MethodHandler,
  OutboundAuthenticator,
  PjsipService,
} from './service.js';

/** Challenges answered for one request at most (a peer cannot make us loop). */
const MAX_AUTH_ATTEMPTS = 3;

export class PjsipServiceImpl implements PjsipService {
  readonly identifiers = new Map<string, EndpointIdentifier>();
  readonly methodHandlers = new Map<string, MethodHandler>();
  readonly dialogHandlers: DialogRequestHandler[] = [];
  private authenticator: Authenticator | undefined;
  private outboundAuthenticator: OutboundAuthenticator | undefined;
  private readonly supportedTags: string[] = [];

  constructor(
    readonly stack: SipStack,
    readonly location: Location,
    private readonly core: CoreView,
  ) {}

  endpoint(name: string): EndpointObject | undefined {
    return this.core.sorcery.retrieve<EndpointObject>('endpoint', name);
  }

  endpoints(): EndpointObject[] {
    return this.core.sorcery.retrieveAll<EndpointObject>('endpoint');
  }

  aor(name: string): AorObject | undefined {
    return this.core.sorcery.retrieve<AorObject>('aor', name);
  }

  auth(name: string): AuthObject | undefined {
    return this.core.sorcery.retrieve<AuthObject>('auth', name);
  }

  global(): GlobalObject {
    return globalOrDefaults(this.core.sorcery.retrieveAll<GlobalObject>('global'));
  }

  contacts(aor: string): AorContact[] {
    const out: AorContact[] = this.location.contacts(aor).map((c) => {
      const ac: AorContact = { aor, uri: c.uri, dynamic: true, expiresAt: c.expiresAt };
      if (c.flow) ac.flow = c.flow;
      return ac;
    });
    for (const uri of this.aor(aor)?.contact ?? []) out.push({ aor, uri, dynamic: false });
    return out;
  }

  currentAuthenticator(): Authenticator | undefined {
    return this.authenticator;
  }

  registerEndpointIdentifier(name: string, identifier: EndpointIdentifier): Disposer {
    if (this.identifiers.has(name)) throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', `endpoint identifier '${name}' is already registered`);
    this.identifiers.set(name, identifier);
    return () => {
      if (this.identifiers.get(name) === identifier) this.identifiers.delete(name);
    };
  }

  setAuthenticator(a: Authenticator): Disposer {
    if (this.authenticator) throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', 'an authenticator is already registered');
    this.authenticator = a;
    return () => {
      if (this.authenticator === a) this.authenticator = undefined;
    };
  }

  setOutboundAuthenticator(a: OutboundAuthenticator): Disposer {
    if (this.outboundAuthenticator) throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', 'an outbound authenticator is already registered');
    this.outboundAuthenticator = a;
    return () => {
      if (this.outboundAuthenticator === a) this.outboundAuthenticator = undefined;
    };
  }

  registerMethodHandler(method: string, handler: MethodHandler): Disposer {
    const m = method.toUpperCase();
    if (this.methodHandlers.has(m)) throw new TstError('TST_ERR_DUPLICATE_REGISTRATION', `a handler for ${m} is already registered`);
    this.methodHandlers.set(m, handler);
    return () => {
      if (this.methodHandlers.get(m) === handler) this.methodHandlers.delete(m);
    };
  }

  registerDialogHandler(handler: DialogRequestHandler): Disposer {
    this.dialogHandlers.push(handler);
    return () => {
      const i = this.dialogHandlers.indexOf(handler);
      if (i >= 0) this.dialogHandlers.splice(i, 1);
    };
  }

  addSupported(tag: string): Disposer {
    this.supportedTags.push(tag);
    return () => {
      const i = this.supportedTags.indexOf(tag);
      if (i >= 0) this.supportedTags.splice(i, 1);
    };
  }

  allow(): string[] {
    return ['OPTIONS', ...[...this.methodHandlers.keys()].filter((m) => m !== 'OPTIONS')];
  }

  supported(): string[] {
    return [...new Set(this.supportedTags)];
  }

  reply(tx: ServerTransaction, status: number, reason?: string, headers: ReadonlyArray<readonly [string, string]> = [], body?: { type: string; text: string }, toTag?: string): SipResponse {
    const all: Array<[string, string]> = headers.map((h) => [h[0], h[1]]);
    all.push(['Server', this.global().user_agent]);
    return tx.reply(status, reason, { headers: all, ...(body ? { body: body.text, contentType: body.type } : {}), ...(toTag !== undefined ? { toTag } : {}) });
  }

  sendRequest(req: SipRequest, target: RequestTarget, handlers: ClientTransactionHandlers, opts: { outboundAuth?: readonly string[]; maxAuthAttempts?: number } = {}): void {
    const g = this.global();
    if (!req.hasHeader('User-Agent')) req.setHeader('User-Agent', g.user_agent);
    if (!req.hasHeader('Max-Forwards')) req.setHeader('Max-Forwards', String(g.max_forwards));
    this.sendWithAuth(req, target, handlers, opts.outboundAuth ?? [], 0, opts.maxAuthAttempts ?? MAX_AUTH_ATTEMPTS);
  }

  private sendWithAuth(req: SipRequest, target: RequestTarget, handlers: ClientTransactionHandlers, auths: readonly string[], attempt: number, max: number): void {
    this.stack.sendRequest(req, target, {
      onResponse: (res, tx) => {
        if ((res.status === 401 || res.status === 407) && auths.length > 0 && this.outboundAuthenticator && attempt < max) {
          const retry = this.outboundAuthenticator.retry(auths, res, req, attempt + 1);
          if (retry) {
            this.sendWithAuth(retry, target, handlers, auths, attempt + 1, max);
            return;
          }
        }
        handlers.onResponse(res, tx);
      },
      ...(handlers.onTimeout ? { onTimeout: handlers.onTimeout } : {}),
      ...(handlers.onTransportError ? { onTransportError: handlers.onTransportError } : {}),
    });
  }

  async resolve(uri: string, flow?: AorContact['flow']): Promise<RequestTarget> {
    const u = parseUri(uri);
    if (flow && flow.protocol !== 'udp') {
      // A TCP/TLS/WS peer behind NAT is reached over the connection it registered on, while that
      // connection lives; once it is gone, the Contact URI is dialled (a WebSocket peer, whose
      // Contact host is `.invalid`, can only be reached over its connection).
      const open = flow.connectionId !== undefined && this.stack.hasConnection(flow.transport, flow.connectionId);
      if (open || !u || u.host.endsWith('.invalid')) {
        const t: RequestTarget = { host: flow.address, port: flow.port, protocol: flow.protocol as TransportProtocol, transport: flow.transport };
        return flow.connectionId !== undefined ? { ...t, connectionId: flow.connectionId } : t;
      }
    }
    if (!u) throw new TstError('TST_ERR_SIP_MESSAGE', `cannot send to '${uri}': not a SIP URI`);
    const resolved = await this.stack.resolveTarget(uri);
    return { host: resolved.host, port: resolved.port, protocol: resolved.protocol };
  }
}
