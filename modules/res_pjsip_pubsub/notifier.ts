/**
 * The notifier framework's SIP side (Asterisk's res_pjsip_pubsub.c, SUBSCRIBE part): the
 * out-of-dialog SUBSCRIBE decision order, resource lists (RFC 4662: a SUBSCRIBE with
 * `Supported: eventlist` to the name of a resource_list of its event), in-dialog refresh and
 * unsubscribe, the table of subscriptions and dialogs, and batched persistence so subscriptions,
 * lists included, survive a restart on the same dialog. It knows no event package: handlers come
 * from the core's registry.
 */
import { ExpiryWheel } from '../../core/expiry-wheel.js';
import { PacedQueue } from '../../core/pacing/paced-queue.js';
import type { Disposer } from '../../core/registry/registry.js';
import { intern, ownString } from '../../core/own-string.js';
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { PubsubEndpoint, SubscriptionHandler, TerminationReason } from '../../core/pubsub/types.js';
import { Dialog, DialogTable, type DialogState } from '../../core/sip/dialog.js';
import { parseDeltaSeconds, parseEvent } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import { generateTag } from '../../core/sip/serializer.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';
import { formatUri } from '../../core/sip/uri.js';
import type { EndpointObject } from '../res_pjsip/object-types.js';
import type { PjsipService, RequestContext } from '../res_pjsip/service.js';
import { negotiateAccept } from './accept.js';
import { SourceRateLimiter } from './rate-limit.js';
import { ListSubscription } from './list-subscription.js';
import { buildResourceTree, listFor, RESOURCE_LIST, type ListSpec, type ResourceListObject, type TreeLookup } from './resource-list.js';
import { ResourceSubscription } from './resource-subscription.js';
import { InboundSubscription, MAX_EXPIRES, type PersistedListState, type SubscriptionHost, type SubscriptionInit } from './subscription.js';

/**
 * An optional handler hook (Asterisk's notifier `get_resource_display_name`): the display name
 * of a resource, for RLMI `<name>` when a list has resource_display_name=yes.
 */
export interface DisplayNameHook {
  getResourceDisplayName?(endpoint: PubsubEndpoint, resource: string): string | undefined;
}

export const PERSISTENCE_FAMILY = 'subscription_persistence';
/** Persisted state is written at most this long after it changed (never once per NOTIFY). */
const PERSIST_INTERVAL_MS = 1000;
/** NOTIFYs of the restore wave started per loop turn (a fan-out starts 16). */
const RESTORE_BATCH = 8;
/**
 * CSeq jump on restore: a NOTIFY sent after the last batch write and before a crash must not be
 * re-used by the restored dialog (a lower CSeq would be refused by the subscriber).
 */
const CSEQ_RESTORE_MARGIN = 100;

interface PersistedSubscription {
  id: string;
  event: string;
  eventHeader: string;
  resource: string;
  endpoint: string;
  mediaType: string;
  localUri: string;
  remoteUri: string;
  userAgent: string;
  expiresAt: number;
  dialog: DialogState;
  persistent: Record<string, unknown>;
  bodyVersion: number;
  /** Present for a list subscription (records written before lists existed have none). */
  list?: PersistedListState;
}

/** `Supported: eventlist` (case-insensitive option tag, any of several Supported headers). */
function supportsEventlist(req: SipRequest): boolean {
  return req.getHeaders('Supported').some((h) => h.split(',').some((t) => t.trim().toLowerCase() === 'eventlist'));
}

let idSeq = 0;

/**
 * A subscription id: the time in ms then a counter (16 hex digits). Ids grow over time, so new
 * records land at the end of the database's B-tree instead of dirtying pages all over it.
 */
function newSubscriptionId(): string {
  idSeq = (idSeq + 1) & 0xffff;
  return ownString(Date.now().toString(16).padStart(12, '0') + idSeq.toString(16).padStart(4, '0'));
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    // A stray '%' is taken literally rather than failing the request.
    return user;
  }
}

/** Our Contact for a dialog: the address the request came in on (Asterisk: `<sip:127.0.0.1:5160>`). */
export function localContact(source: SourceInfo): string {
  const host = source.localAddress.includes(':') ? `[${source.localAddress}]` : source.localAddress;
  const transport = source.protocol === 'udp' ? '' : `;transport=${source.protocol}`;
  return `sip:${host}:${source.localPort}${transport}`;
}

export class Notifier implements SubscriptionHost {
  readonly subscriptions = new Map<string, InboundSubscription>();
  readonly expiries = new ExpiryWheel<InboundSubscription>();
  private readonly limiter = new SourceRateLimiter();
  /** New SUBSCRIBEs shed with 503 by the per-source limit. */
  floodRefused = 0;
  private floodLoggedAt = 0;
  private readonly dialogs = new DialogTable<InboundSubscription>();
  private readonly dirtySet = new Set<InboundSubscription>();
  private readonly persistTimer: NodeJS.Timeout;
  /** Set while stopping: ended subscriptions keep their records when the node is just restarting. */
  private keepRecords = false;

  constructor(
    readonly core: CoreView,
    readonly pjsip: PjsipService,
    readonly log: Logger,
  ) {
    this.queue = new PacedQueue<() => Promise<void> | void>(
      (job, slot) => {
        const release = slot();
        let p: Promise<void> | void;
        try {
          p = job();
        } catch (e) {
          release();
          this.log.error(`NOTIFY job failed: ${errorMessage(e)}`);
          return;
        }
        if (p) p.then(release, release);
        else release();
      },
      this.log,
      { name: 'pjsip/pubsub', batchSize: 16, maxInFlight: 500, maxOutstanding: 4000, maxQueue: Number.MAX_SAFE_INTEGER, highWater: 100_000 },
    );
    // Records are read back only at start-up: no in-memory mirror of them.
    core.store.coldFamily(PERSISTENCE_FAMILY);
    this.persistTimer = setInterval(() => this.flushDirty(), PERSIST_INTERVAL_MS);
    this.persistTimer.unref();
  }

  // ---- SubscriptionHost ----------------------------------------------------------------

  ended(sub: InboundSubscription): void {
    this.subscriptions.delete(sub.id);
    const d = sub.dialog.state;
    this.dialogs.delete(d.callId, d.localTag, d.remoteTag);
    this.dirtySet.delete(sub);
    if (!this.keepRecords) this.core.store.del(PERSISTENCE_FAMILY, sub.id);
  }

  /** Set by the module: whether the node is stopping. */
  isStopping: () => boolean = () => false;

  quiet(): boolean {
    return this.isStopping();
  }

  /**
   * NOTIFYs to send (fan-out after a state change, restore after a restart): paced by the same
   * queue as unsolicited MWI, a few per event-loop turn and a bounded window waiting for their
   * answers, so a wave never holds the loop nor buries other requests under its own answers
   * (libuv reads 32 datagrams a socket per loop iteration). Bounded by the subscriptions: each
   * has at most one job waiting.
   */
  private readonly queue: PacedQueue<() => Promise<void> | void>;

  schedule(key: string, job: () => Promise<void> | void): void {
    this.queue.push(key, job);
  }

  /**
   * The restore wave at start: NOTIFYs queue up until the event loop has caught up, then go out
   * in smaller turns than a fan-out's (other start-up waves run too, unsolicited MWI, and phones
   * re-register: their requests wait behind every turn).
   */
  holdUntilLoopSettles(onResume: (waitedMs: number) => void): Disposer {
    return this.queue.holdUntilLoopSettles({ batchSize: RESTORE_BATCH, onResume });
  }

  dirty(sub: InboundSubscription): void {
    this.dirtySet.add(sub);
  }

  flushDirty(): void {
    for (const sub of this.dirtySet) this.save(sub);
    this.dirtySet.clear();
  }

  private save(sub: InboundSubscription): void {
    const content = sub.persistedContent();
    const rec: PersistedSubscription = {
      id: sub.id,
      event: sub.eventName,
      eventHeader: sub.eventHeader,
      resource: sub.resource,
      endpoint: sub.endpoint.id,
      mediaType: sub.mediaType,
      localUri: sub.localUri,
      remoteUri: sub.remoteUri,
      userAgent: sub.userAgent,
      expiresAt: sub.expiresAt,
      dialog: sub.dialog.state,
      persistent: content.persistent,
      bodyVersion: sub.bodyState.version,
    };
    if (content.list) rec.list = content.list;
    this.core.store.put(PERSISTENCE_FAMILY, sub.id, JSON.stringify(rec));
  }

  // ---- out-of-dialog SUBSCRIBE ----------------------------------------------------------

  /** Asterisk's decision order (reference §1.1), with our documented improvements. */
  handleSubscribe(req: SipRequest, tx: ServerTransaction, ctx: RequestContext): void {
    const endpoint = ctx.endpoint;
    const refuse = (status: number, reason: string, why: string, headers: Array<[string, string]> = []) => {
      this.log.notice(`SUBSCRIBE from ${req.from.uri} (endpoint '${endpoint.id}') to ${req.uri} refused ${status}: ${why}`);
      this.pjsip.reply(tx, status, reason, headers);
    };
    const g = this.pjsip.global();
    if (!this.limiter.take(ctx.source.remoteAddress, g.subscribe_rate_limit, g.subscribe_rate_burst)) {
      this.floodRefused++;
      // One log line per second at most: a flood must not flood the log too.
      const now = Date.now();
      if (now - this.floodLoggedAt > 1000) {
        this.floodLoggedAt = now;
        this.log.warning(`SUBSCRIBE flood from ${ctx.source.remoteAddress}: over ${g.subscribe_rate_limit}/s, answering 503 (${this.floodRefused} so far)`);
      }
      this.pjsip.reply(tx, 503, 'Service Unavailable', [['Retry-After', String(this.limiter.retryAfter(ctx.source.remoteAddress, g.subscribe_rate_limit))]]);
      return;
    }
    if (!endpoint.allow_subscribe) return refuse(603, 'Decline', 'allow_subscribe=no');
    const ruri = req.requestUri;
    if (!ruri || (ruri.scheme !== 'sip' && ruri.scheme !== 'sips')) return refuse(416, 'Unsupported URI Scheme', 'not a sip: URI');
    const expiresHeader = req.getHeader('Expires');
    let expires = expiresHeader === undefined ? MAX_EXPIRES : parseDeltaSeconds(expiresHeader);
    if (expires === null) return refuse(400, 'Bad Request', 'bad Expires');
    if (expires === 0) return refuse(400, 'Bad Request', 'Expires: 0 on an initial SUBSCRIBE');
    if (expires < endpoint.sub_min_expiry) {
      // Asterisk sends 423 without Min-Expires; RFC 3261 wants it.
      return refuse(423, 'Interval Too Brief', `Expires ${expires} < sub_min_expiry`, [['Min-Expires', String(endpoint.sub_min_expiry)]]);
    }
    const allowEvents: Array<[string, string]> = [['Allow-Events', this.core.capabilities.eventPackages().join(', ')]];
    const eventValue = req.getHeader('Event');
    const event = eventValue !== undefined && eventValue.length <= 256 ? parseEvent(eventValue) : null;
    if (!event) return refuse(489, 'Bad Event', 'no or bad Event header', allowEvents);
    const handler = this.core.subscriptionHandlers.get(event.package) as SubscriptionHandler | undefined;
    if (!handler) return refuse(489, 'Bad Event', `no handler for event '${event.package}'`, allowEvents);
    // Any generator of the handler's body kind may serve it, as in Asterisk's find_body_generator
    // (presence with Accept: application/dialog-info+xml gets dialog-info bodies, see the
    // subscribe-errors capture); the handler's own types come first.
    const sameKind = (t: string) => this.core.bodyGenerators.get(t)?.bodyKind === handler.bodyKind;
    const offered = [
      ...handler.accept.filter(sameKind),
      ...this.core.bodyGenerators.keys().filter((t) => !handler.accept.includes(t) && sameKind(t)),
    ];
    const nego = negotiateAccept(req.getHeaders('Accept'), offered, handler.defaultAccept);
    if (!nego.mediaType) return refuse(489, 'Bad Event', `Accept: ${nego.reason ?? 'nothing acceptable'}`, allowEvents);
    let resource = ruri.user ? decodeUser(ruri.user) : '';
    if (this.pjsip.global().ignore_uri_user_options) resource = resource.split(';')[0]!;
    // A list subscription only when the subscriber supports lists and a list of this event has
    // that name (Asterisk's build_resource_tree); otherwise the name is a plain resource.
    const list = supportsEventlist(req) ? listFor(this.treeLookup(endpoint, handler), resource, handler.eventName) : undefined;
    let tree: ListSpec | undefined;
    if (list) {
      tree = buildResourceTree(list, handler.eventName, this.treeLookup(endpoint, handler));
      if (!tree) return refuse(500, 'Server Internal Error', `resource list '${resource}': no list item could be subscribed`);
    } else {
      const status = this.newSubscribe(handler, endpoint, resource);
      if (status < 200 || status >= 300) return refuse(status, status === 404 ? 'Not Found' : 'Server Internal Error', `resource '${resource}'`);
    }

    expires = Math.min(expires, MAX_EXPIRES);
    const localTag = generateTag();
    let dialog: Dialog;
    try {
      dialog = Dialog.asUas(req, {
        localTag,
        localContact: localContact(ctx.source),
        flow: {
          protocol: ctx.source.protocol,
          transport: ctx.source.transport,
          address: ctx.source.remoteAddress,
          port: ctx.source.remotePort,
          ...(ctx.source.connectionId ? { connectionId: ctx.source.connectionId } : {}),
        },
      });
    } catch (e) {
      return refuse(400, 'Bad Request', errorMessage(e));
    }
    const localUri = formatUri({ ...ruri, user: ruri.user, params: new Map(), headers: [] });
    // Own or shared copies of what is kept for an hour (see core/own-string.ts).
    const init: SubscriptionInit = {
      id: newSubscriptionId(),
      handler,
      endpoint,
      resource: intern(resource),
      mediaType: intern(nego.mediaType),
      localUri: intern(localUri),
      remoteUri: dialog.state.remoteUri,
      userAgent: intern(req.getHeader('User-Agent') ?? ''),
      eventHeader: intern(eventValue!),
      dialog,
      expiresAt: Date.now() + expires * 1000,
    };
    const sub =
      list && tree
        ? new ListSubscription(
            { ...init, tree, batchInterval: list.notification_batch_interval, rebuild: () => this.rebuildTree(endpoint, handler, resource) },
            this,
          )
        : new ResourceSubscription(init, this);
    const headers: Array<[string, string]> = [['Expires', String(expires)]];
    if (sub.isList) headers.push(['Require', 'eventlist']);
    headers.push(['Contact', `<${dialog.state.localContact}>`], ['Allow', this.pjsip.allow().join(', ')]);
    this.pjsip.reply(tx, 200, 'OK', headers, undefined, localTag);
    this.add(sub);
    // Written with the next batch (within a second), after its first NOTIFY has taken a CSeq:
    // one write per new subscription instead of two.
    this.dirty(sub);
    this.establish(sub);
  }

  private newSubscribe(handler: SubscriptionHandler, endpoint: PubsubEndpoint, resource: string): number {
    try {
      return handler.newSubscribe(endpoint, resource);
    } catch (e) {
      this.log.error(`${handler.eventName} handler failed on '${resource}': ${errorMessage(e)}`);
      return 500;
    }
  }

  /** How a tree is built for this endpoint and handler: lists from pjsip.conf, leaves from the handler. */
  private treeLookup(endpoint: PubsubEndpoint, handler: SubscriptionHandler & DisplayNameHook): TreeLookup {
    return {
      list: (name) => this.core.sorcery.retrieve<ResourceListObject>(RESOURCE_LIST, name),
      newSubscribe: (resource) => this.newSubscribe(handler, endpoint, resource),
      displayName: (resource) => {
        try {
          return handler.getResourceDisplayName?.(endpoint, resource);
        } catch (e) {
          this.log.error(`${handler.eventName} handler failed naming '${resource}': ${errorMessage(e)}`);
          return undefined;
        }
      },
      note: (message) => this.log.debug(message),
      warn: (message) => this.log.warning(message),
    };
  }

  /** The list's tree as the configuration says now (refresh, restore), or undefined when nothing is left. */
  private rebuildTree(endpoint: PubsubEndpoint, handler: SubscriptionHandler, resource: string): { tree: ListSpec; batchInterval: number } | undefined {
    const lookup = this.treeLookup(endpoint, handler);
    const list = listFor(lookup, resource, handler.eventName);
    if (!list) {
      this.log.notice(`Resource list '${resource}' (${handler.eventName}) is gone`);
      return undefined;
    }
    const tree = buildResourceTree(list, handler.eventName, lookup);
    if (!tree) {
      this.log.notice(`Resource list '${resource}': no list item can be subscribed any more`);
      return undefined;
    }
    return { tree, batchInterval: list.notification_batch_interval };
  }

  private add(sub: InboundSubscription): void {
    this.subscriptions.set(sub.id, sub);
    const d = sub.dialog.state;
    this.dialogs.add(d.callId, d.localTag, d.remoteTag, sub);
  }

  private establish(sub: InboundSubscription): void {
    try {
      sub.establish();
    } catch (e) {
      this.log.error(`${sub.eventName} handler could not watch '${sub.resource}': ${errorMessage(e)}`);
      sub.terminate('noresource');
      return;
    }
    sub.notifyFull();
  }

  // ---- in-dialog SUBSCRIBE ---------------------------------------------------------------

  /** Refresh or unsubscribe (RFC 6665 4.2.1.2 / 4.2.1.4); returns false when not ours. */
  handleInDialog(req: SipRequest, tx: ServerTransaction): boolean {
    const sub = this.dialogs.match(req);
    if (!sub) return false;
    if (req.method !== 'SUBSCRIBE') {
      this.pjsip.reply(tx, req.method === 'NOTIFY' ? 489 : 405, req.method === 'NOTIFY' ? 'Bad Event' : 'Method Not Allowed');
      return true;
    }
    if (sub.dialog.acceptRequest(req) === 'out-of-order') {
      this.pjsip.reply(tx, 500, 'Server Internal Error', [['Retry-After', '1']]);
      return true;
    }
    const expiresHeader = req.getHeader('Expires');
    const asked = expiresHeader === undefined ? MAX_EXPIRES : parseDeltaSeconds(expiresHeader);
    if (asked === null) {
      this.pjsip.reply(tx, 400, 'Bad Request');
      return true;
    }
    // Lists carry Require: eventlist on every 200 of the dialog, as Asterisk's.
    const require: Array<[string, string]> = sub.isList ? [['Require', 'eventlist']] : [];
    if (asked === 0) {
      this.pjsip.reply(tx, 200, 'OK', [...require, ['Expires', '0'], ['Contact', `<${sub.dialog.state.localContact}>`]]);
      sub.terminate('timeout');
      return true;
    }
    const expires = Math.min(asked, MAX_EXPIRES);
    this.pjsip.reply(tx, 200, 'OK', [...require, ['Expires', String(expires)], ['Contact', `<${sub.dialog.state.localContact}>`]]);
    sub.refresh(expires);
    return true;
  }

  // ---- restart and stop --------------------------------------------------------------------

  /** Re-creates persisted subscriptions: same dialog, continuing CSeq, full-state NOTIFY. */
  restore(): number {
    let n = 0;
    for (const e of this.core.store.list(PERSISTENCE_FAMILY)) {
      let rec: PersistedSubscription;
      try {
        rec = JSON.parse(e.value) as PersistedSubscription;
      } catch {
        this.core.store.del(PERSISTENCE_FAMILY, e.key);
        continue;
      }
      const drop = (why: string) => {
        this.log.verbose(`Not restoring subscription ${e.key}: ${why}`);
        this.core.store.del(PERSISTENCE_FAMILY, e.key);
      };
      if (rec.expiresAt <= Date.now()) {
        drop('expired');
        continue;
      }
      const endpoint = this.pjsip.endpoint(rec.endpoint) as EndpointObject | undefined;
      if (!endpoint) {
        drop(`endpoint '${rec.endpoint}' is gone`);
        continue;
      }
      const handler = this.core.subscriptionHandlers.get(rec.event) as SubscriptionHandler | undefined;
      if (!handler || !this.core.bodyGenerators.get(rec.mediaType)) {
        drop(`no handler or body generator for ${rec.event} ${rec.mediaType}`);
        continue;
      }
      rec.dialog.localCseq += CSEQ_RESTORE_MARGIN;
      const init: SubscriptionInit = {
        id: rec.id,
        handler,
        endpoint,
        resource: rec.resource,
        mediaType: rec.mediaType,
        localUri: rec.localUri,
        remoteUri: rec.remoteUri,
        userAgent: rec.userAgent,
        eventHeader: rec.eventHeader,
        dialog: new Dialog(rec.dialog),
        expiresAt: rec.expiresAt,
        bodyVersion: rec.bodyVersion,
      };
      let sub: InboundSubscription;
      if (rec.list) {
        // The list as configured now; resources that stay keep their versions and data.
        const built = this.rebuildTree(endpoint, handler, rec.resource);
        if (!built) {
          drop(`resource list '${rec.resource}' is gone or empty`);
          continue;
        }
        sub = new ListSubscription(
          { ...init, tree: built.tree, batchInterval: built.batchInterval, saved: rec.list, rebuild: () => this.rebuildTree(endpoint, handler, rec.resource) },
          this,
        );
      } else {
        if (handler.newSubscribe(endpoint, rec.resource) !== 200) {
          drop(`resource '${rec.resource}' is gone`);
          continue;
        }
        sub = new ResourceSubscription({ ...init, persistent: rec.persistent }, this);
      }
      this.add(sub);
      this.save(sub);
      this.establish(sub);
      n++;
    }
    return n;
  }

  /**
   * Ends every subscription. `deactivated` on unload: the subscriber may come back at once.
   * At a restart (`keepRecords`) the records stay so the next start restores the dialogs.
   */
  async terminateAll(reason: TerminationReason, keepRecords: boolean): Promise<void> {
    this.flushDirty();
    this.keepRecords = keepRecords;
    const subs = [...this.subscriptions.values()];
    if (keepRecords) for (const s of subs) s.destroy('node stopping; kept for restore');
    else for (const s of subs) s.terminate(reason);
    // One poll for all of them (not a timer per subscription), bounded: a subscriber that never
    // answers its final NOTIFY cannot hold the stop for more than two seconds.
    const deadline = Date.now() + 2000;
    while (subs.some((s) => this.subscriptions.has(s.id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.queue.stop();
    clearInterval(this.persistTimer);
    this.flushDirty();
    this.expiries.clear();
  }
}
