/**
 * The notifier framework's SIP side (Asterisk's res_pjsip_pubsub.c, SUBSCRIBE part): the
 * out-of-dialog SUBSCRIBE decision order, in-dialog refresh and unsubscribe, the table of
 * subscriptions and dialogs, and batched persistence so subscriptions survive a restart on the
 * same dialog. It knows no event package: handlers come from the core's registry.
 */
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { SubscriptionHandler, TerminationReason } from '../../core/pubsub/types.js';
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
import { InboundSubscription, MAX_EXPIRES, type SubscriptionHost } from './subscription.js';

export const PERSISTENCE_FAMILY = 'subscription_persistence';
/** Persisted state is written at most this long after it changed (never once per NOTIFY). */
const PERSIST_INTERVAL_MS = 1000;
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
}

/** Our Contact for a dialog: the address the request came in on (Asterisk: `<sip:127.0.0.1:5160>`). */
export function localContact(source: SourceInfo): string {
  const host = source.localAddress.includes(':') ? `[${source.localAddress}]` : source.localAddress;
  const transport = source.protocol === 'udp' ? '' : `;transport=${source.protocol}`;
  return `sip:${host}:${source.localPort}${transport}`;
}

export class Notifier implements SubscriptionHost {
  readonly subscriptions = new Map<string, InboundSubscription>();
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

  dirty(sub: InboundSubscription): void {
    this.dirtySet.add(sub);
  }

  flushDirty(): void {
    for (const sub of this.dirtySet) this.save(sub);
    this.dirtySet.clear();
  }

  private save(sub: InboundSubscription): void {
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
      persistent: sub.persistent,
      bodyVersion: sub.bodyState.version,
    };
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
    const offered = handler.accept.filter((t) => {
      const g = this.core.bodyGenerators.get(t);
      return g !== undefined && g.bodyKind === handler.bodyKind;
    });
    const nego = negotiateAccept(req.getHeaders('Accept'), offered, handler.defaultAccept);
    if (!nego.mediaType) return refuse(489, 'Bad Event', `Accept: ${nego.reason ?? 'nothing acceptable'}`, allowEvents);
    let resource = ruri.user ? decodeURIComponent(ruri.user) : '';
    if (this.pjsip.global().ignore_uri_user_options) resource = resource.split(';')[0]!;
    let status: number;
    try {
      status = handler.newSubscribe(endpoint, resource);
    } catch (e) {
      this.log.error(`${event.package} handler failed on '${resource}': ${errorMessage(e)}`);
      status = 500;
    }
    if (status < 200 || status >= 300) return refuse(status, status === 404 ? 'Not Found' : 'Server Internal Error', `resource '${resource}'`);

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
    const sub = new InboundSubscription(
      {
        id: randomBytes(8).toString('hex'),
        handler,
        endpoint,
        resource,
        mediaType: nego.mediaType,
        localUri,
        remoteUri: req.from.uri,
        userAgent: req.getHeader('User-Agent') ?? '',
        eventHeader: eventValue!,
        dialog,
        expiresAt: Date.now() + expires * 1000,
      },
      this,
    );
    this.pjsip.reply(tx, 200, 'OK', [
      ['Expires', String(expires)],
      ['Contact', `<${dialog.state.localContact}>`],
      ['Allow', this.pjsip.allow().join(', ')],
    ], undefined, localTag);
    this.add(sub);
    this.save(sub);
    this.establish(sub);
  }

  private add(sub: InboundSubscription): void {
    this.subscriptions.set(sub.id, sub);
    const d = sub.dialog.state;
    this.dialogs.add(d.callId, d.localTag, d.remoteTag, sub);
  }

  private establish(sub: InboundSubscription): void {
    try {
      sub.handler.subscriptionEstablished(sub as never);
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
    if (asked === 0) {
      this.pjsip.reply(tx, 200, 'OK', [['Expires', '0'], ['Contact', `<${sub.dialog.state.localContact}>`]]);
      sub.terminate('timeout');
      return true;
    }
    const expires = Math.min(asked, MAX_EXPIRES);
    this.pjsip.reply(tx, 200, 'OK', [['Expires', String(expires)], ['Contact', `<${sub.dialog.state.localContact}>`]]);
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
      if (handler.newSubscribe(endpoint, rec.resource) !== 200) {
        drop(`resource '${rec.resource}' is gone`);
        continue;
      }
      rec.dialog.localCseq += CSEQ_RESTORE_MARGIN;
      const sub = new InboundSubscription(
        {
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
          persistent: rec.persistent,
          bodyVersion: rec.bodyVersion,
        },
        this,
      );
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
    const waits = subs.map(
      (s) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          const check = setInterval(() => {
            if (!this.subscriptions.has(s.id)) {
              clearInterval(check);
              clearTimeout(t);
              resolve();
            }
          }, 10);
        }),
    );
    if (keepRecords) for (const s of subs) s.destroy('node stopping; kept for restore');
    else for (const s of subs) s.terminate(reason);
    await Promise.all(waits);
  }

  stop(): void {
    clearInterval(this.persistTimer);
    this.flushDirty();
  }
}
