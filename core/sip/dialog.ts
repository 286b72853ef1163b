/**
 * Dialogs (RFC 3261 12): the state both ends share after a dialog-creating request (here mostly
 * SUBSCRIBE, answered 200 by the notifier). A dialog builds in-dialog requests (NOTIFY) with the
 * right From/To tags, Call-ID, CSeq, Request-URI and Route set, and checks the CSeq order of
 * requests it receives. The state is plain data so it can be persisted and restored, which is
 * how subscriptions survive a restart on the same dialog.
 */
import { TstError } from '../errors.js';
import { intern, ownString } from '../own-string.js';
import { formatNameAddr, parseContact, parseNameAddr } from './header-values.js';
import { SipRequest } from './message.js';
import { parseUri } from './uri.js';

/** Where the dialog-creating request came from: in-dialog requests may need the same flow. */
export interface DialogFlow {
  protocol: string;
  transport: string;
  address: string;
  port: number;
  connectionId?: number;
}

export interface DialogState {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our identity (the To of the request, without its tag). */
  localUri: string;
  localDisplayName: string | null;
  /** Their identity (the From of the request, without its tag). */
  remoteUri: string;
  remoteDisplayName: string | null;
  /** The next CSeq we use is localCseq + 1. */
  localCseq: number;
  /** The highest CSeq seen from the peer; -1 before any. */
  remoteCseq: number;
  /** Their Contact: the Request-URI of our requests. */
  remoteTarget: string;
  /** Route set, in the order our requests carry it (RFC 3261 12.1.1: Record-Route as received). */
  routeSet: string[];
  /** Our Contact for the dialog. */
  localContact: string;
  secure: boolean;
  flow?: DialogFlow;
}

const NO_ROUTES: string[] = [];

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

export class Dialog {
  constructor(readonly state: DialogState) {}

  get id(): string {
    return dialogKey(this.state.callId, this.state.localTag, this.state.remoteTag);
  }

  /**
   * The UAS side of a dialog created by `req` (RFC 3261 12.1.1). Throws TST_ERR_SIP_MESSAGE when
   * the request lacks what a dialog needs (a From tag, a usable Contact).
   */
  static asUas(req: SipRequest, opts: { localTag: string; localContact: string; flow?: DialogFlow; initialLocalCseq?: number }): Dialog {
    const from = req.from;
    const to = req.to;
    if (!from.tag) throw new TstError('TST_ERR_SIP_MESSAGE', 'Missing From tag');
    const contactValue = req.getHeader('Contact');
    const contact = contactValue !== undefined ? parseContact(contactValue) : null;
    if (!contact || contact === '*') throw new TstError('TST_ERR_SIP_MESSAGE', 'Missing or bad Contact');
    const uri = req.requestUri;
    const recordRoutes = req.getHeaders('Record-Route');
    // Most dialogs have no route set: one shared empty array (it is never modified in place).
    const routeSet = recordRoutes.length === 0 ? NO_ROUTES : recordRoutes.map((rr) => {
      const na = parseNameAddr(rr);
      if (!na) throw new TstError('TST_ERR_SIP_MESSAGE', 'Bad Record-Route');
      return intern(formatNameAddr({ displayName: na.displayName, uri: na.uri, params: na.params }));
    });
    // Own copies: a dialog lives for an hour, the request's text should not (see own-string.ts).
    const own = (s: string | null): string | null => (s === null ? null : ownString(s));
    const state: DialogState = {
      callId: ownString(req.callId),
      localTag: opts.localTag,
      remoteTag: ownString(from.tag),
      localUri: intern(to.uri),
      localDisplayName: own(to.displayName),
      remoteUri: ownString(from.uri),
      remoteDisplayName: own(from.displayName),
      // RFC 3261 allows any start; a random one makes a restarted node's CSeq unguessable but
      // restored dialogs continue from their persisted value.
      localCseq: opts.initialLocalCseq ?? Math.floor(Math.random() * 30000) + 1,
      remoteCseq: req.cseq.seq,
      remoteTarget: ownString(contact.uri),
      routeSet,
      localContact: intern(opts.localContact),
      secure: uri?.scheme === 'sips',
    };
    if (opts.flow) {
      const f = opts.flow;
      state.flow = { protocol: intern(f.protocol), transport: intern(f.transport), address: intern(f.address), port: f.port };
      if (f.connectionId !== undefined) state.flow.connectionId = f.connectionId;
    }
    return new Dialog(state);
  }

  /**
   * Checks an in-dialog request's CSeq (RFC 3261 12.2.2): lower than the last seen is out of
   * order (the caller answers 500). Updates the remote target on a refresh with a new Contact.
   */
  acceptRequest(req: SipRequest): 'ok' | 'out-of-order' {
    const seq = req.cseq.seq;
    if (this.state.remoteCseq >= 0 && seq < this.state.remoteCseq) return 'out-of-order';
    this.state.remoteCseq = seq;
    const c = req.getHeader('Contact');
    if (c !== undefined) {
      const na = parseContact(c);
      if (na && na !== '*' && na.uri !== this.state.remoteTarget) this.state.remoteTarget = ownString(na.uri);
    }
    return 'ok';
  }

  /** A new in-dialog request (RFC 3261 12.2.1.1) with the next CSeq. Via is the stack's job. */
  createRequest(method: string, headers: ReadonlyArray<readonly [string, string]> = [], body?: Buffer | string): SipRequest {
    const s = this.state;
    s.localCseq += 1;
    let requestUri = s.remoteTarget;
    const routes = [...s.routeSet];
    if (routes.length > 0) {
      const first = parseNameAddr(routes[0]!);
      const firstUri = first ? parseUri(first.uri) : null;
      // A strict router (no ;lr) takes the Request-URI; the remote target goes last (12.2.1.1).
      if (first && firstUri && !firstUri.params.has('lr')) {
        requestUri = first.uri;
        routes.shift();
        routes.push(`<${s.remoteTarget}>`);
      }
    }
    const all: Array<[string, string]> = [
      ['From', `${formatNameAddr({ displayName: s.localDisplayName, uri: s.localUri })};tag=${s.localTag}`],
      ['To', `${formatNameAddr({ displayName: s.remoteDisplayName, uri: s.remoteUri })};tag=${s.remoteTag}`],
      ['Call-ID', s.callId],
      ['CSeq', `${s.localCseq} ${method}`],
      ['Contact', `<${s.localContact}>`],
      ['Max-Forwards', '70'],
    ];
    for (const r of routes) all.push(['Route', r]);
    for (const h of headers) all.push([h[0], h[1]]);
    return new SipRequest(method, requestUri, all, body);
  }

  /** Where our in-dialog requests go: the first Route's URI, else the remote target. */
  nextHopUri(): string {
    if (this.state.routeSet.length > 0) {
      const na = parseNameAddr(this.state.routeSet[0]!);
      if (na) return na.uri;
    }
    return this.state.remoteTarget;
  }
}

interface DialogEntry<T> {
  callId: string;
  remoteTag: string;
  value: T;
  /** Another dialog with the same local tag (only if a peer reused one of ours). */
  next: DialogEntry<T> | undefined;
}

/**
 * Dialogs by (Call-ID, local tag, remote tag): O(1) matching of in-dialog requests. Keyed by the
 * local tag, which we generate (64 random bits) and so is unique in practice; Call-ID and remote
 * tag are compared on the entry. Why not one joined key: that string was built on every lookup
 * and, kept as a Map key, cost a tree of concatenated strings per held dialog.
 */
export class DialogTable<T> {
  private readonly map = new Map<string, DialogEntry<T>>();
  private count = 0;

  add(callId: string, localTag: string, remoteTag: string, value: T): void {
    const head = this.map.get(localTag);
    for (let e = head; e; e = e.next) {
      if (e.callId === callId && e.remoteTag === remoteTag) {
        e.value = value;
        return;
      }
    }
    this.map.set(localTag, { callId, remoteTag, value, next: head });
    this.count++;
  }

  /** The dialog an incoming in-dialog request belongs to (its To tag is our local tag). */
  match(req: SipRequest): T | undefined {
    const localTag = req.to.tag;
    const remoteTag = req.from.tag;
    if (!localTag || !remoteTag) return undefined;
    return this.get(req.callId, localTag, remoteTag);
  }

  get(callId: string, localTag: string, remoteTag: string): T | undefined {
    for (let e = this.map.get(localTag); e; e = e.next) {
      if (e.callId === callId && e.remoteTag === remoteTag) return e.value;
    }
    return undefined;
  }

  delete(callId: string, localTag: string, remoteTag: string): boolean {
    let prev: DialogEntry<T> | undefined;
    for (let e = this.map.get(localTag); e; prev = e, e = e.next) {
      if (e.callId !== callId || e.remoteTag !== remoteTag) continue;
      if (prev) prev.next = e.next;
      else if (e.next) this.map.set(localTag, e.next);
      else this.map.delete(localTag);
      this.count--;
      return true;
    }
    return false;
  }

  get size(): number {
    return this.count;
  }

  *values(): IterableIterator<T> {
    for (const head of this.map.values()) for (let e: DialogEntry<T> | undefined = head; e; e = e.next) yield e.value;
  }
}
