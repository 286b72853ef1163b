/**
 * The `message-summary` subscription handler (Asterisk's mwi_handler / mwi_notifier): which
 * SUBSCRIBEs are accepted, which mailboxes a subscription watches, and the counts its NOTIFYs
 * carry. res_pjsip_pubsub owns the dialogs and calls these.
 *
 * - Resource: an AOR name, or the `voicemail_extension` of one of the endpoint's AORs; an empty
 *   Request-URI user subscribes to all of the endpoint's AORs (200 even when none has
 *   mailboxes, as Asterisk).
 * - 404 for an unknown AOR or one without `mailboxes`; 500 when the endpoint already gets
 *   unsolicited MWI for one of them and `mwi_subscribe_replaces_unsolicited=no`. With `yes`
 *   the unsolicited NOTIFYs for those mailboxes stop while the subscription lives.
 * - Counts: the sums over the AOR's mailboxes. `Message-Account`: the subscription's URI
 *   (Request-URI, user = resource) with the user set to the AOR's `voicemail_extension`, else
 *   the global `default_voicemail_extension`; none for an empty resource (Asterisk finds no AOR
 *   for it).
 * - Every change of a watched mailbox notifies the subscription.
 *
 * Better than Asterisk: AOR and endpoint changes (a reload adding or removing mailboxes, a new
 * voicemail extension) apply to live subscriptions at once; a subscription whose AOR is gone or
 * has no mailboxes left ends with `noresource` instead of silently watching stale mailboxes.
 */
import { MESSAGE_SUMMARY_MEDIA_TYPE } from '../../core/pubsub/bodies/message-summary.js';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import type { PubsubEndpoint, Subscription, SubscriptionHandler } from '../../core/pubsub/types.js';
import type { Disposer } from '../../core/registry/registry.js';
import type { Logger } from '../../core/log.js';
import type { AorObject, EndpointObject } from '../res_pjsip/object-types.js';
import type { PjsipService } from '../res_pjsip/service.js';
import { accumulate, mailboxIds, type MailboxReader } from './mailboxes.js';
import { endpointAors, findAorForResource } from './resource.js';
import { withUser } from './uris.js';

type MwiSubscription = Subscription<'message_accumulator'>;

/** The unsolicited side as the handler sees it. */
export interface UnsolicitedView {
  receivesUnsolicited(endpointId: string, mailbox: string): boolean;
  suppress(endpointId: string, mailboxes: readonly string[]): Disposer;
}

export interface SolicitedDeps {
  pjsip: Pick<PjsipService, 'aor' | 'endpoint' | 'global'>;
  mailboxes: MailboxReader;
  unsolicited: UnsolicitedView;
  log: Logger;
}

/** What a subscription watches, kept in its data map. */
interface Watch {
  mailboxes: string[];
  /** The AOR the resource resolved to (undefined for the all-AORs subscription). */
  aor: string | undefined;
  release: Disposer | undefined;
}

const DATA_KEY = 'res_pjsip_mwi';

export class MwiSubscriptionHandler implements SubscriptionHandler<'message_accumulator'> {
  readonly eventName = 'message-summary';
  readonly bodyKind = 'message_accumulator' as const;
  readonly accept = [MESSAGE_SUMMARY_MEDIA_TYPE] as const;
  readonly defaultAccept = MESSAGE_SUMMARY_MEDIA_TYPE;
  /** Live subscriptions (their count is the module's use count). */
  readonly subscriptions = new Set<MwiSubscription>();
  private readonly watchers = new Map<string, Set<MwiSubscription>>();

  constructor(private readonly deps: SolicitedDeps) {}

  /** The endpoint as configured now (a reload may have changed it since the SUBSCRIBE). */
  private endpointOf(e: PubsubEndpoint): EndpointObject {
    return this.deps.pjsip.endpoint(e.id) ?? (e as unknown as EndpointObject);
  }

  private boxes(aor: AorObject): string[] {
    return mailboxIds(aor.mailboxes, (entry, why) => this.deps.log.warning(`AOR '${aor.id}': ignoring mailbox '${entry}': ${why}`));
  }

  /** Would this subscription take over mailboxes the endpoint gets unsolicited, when that is refused? */
  private conflicts(endpoint: EndpointObject, mailboxes: readonly string[]): boolean {
    if (endpoint.mwi_subscribe_replaces_unsolicited) return false;
    const m = mailboxes.find((b) => this.deps.unsolicited.receivesUnsolicited(endpoint.id, b));
    if (m === undefined) return false;
    this.deps.log.debug(`Endpoint '${endpoint.id}' already configured for unsolicited MWI for mailbox '${m}'. Denying MWI subscription.`);
    return true;
  }

  newSubscribe(e: PubsubEndpoint, resource: string): number {
    const endpoint = this.endpointOf(e);
    const { pjsip } = this.deps;
    if (resource === '') {
      for (const aor of endpointAors(pjsip, endpoint)) if (this.conflicts(endpoint, this.boxes(aor))) return 500;
      return 200;
    }
    const aor = findAorForResource(pjsip, endpoint, resource);
    if (!aor) {
      this.deps.log.debug(`Unable to locate aor ${resource}. MWI subscription failed.`);
      return 404;
    }
    const boxes = this.boxes(aor);
    if (boxes.length === 0) {
      this.deps.log.debug(`AOR ${resource} has no configured mailboxes. MWI subscription failed.`);
      return 404;
    }
    return this.conflicts(endpoint, boxes) ? 500 : 200;
  }

  /** The AOR and mailboxes the subscription stands for now; undefined when its resource is gone. */
  private resolve(sub: MwiSubscription): { aor: AorObject | undefined; mailboxes: string[] } | undefined {
    const endpoint = this.endpointOf(sub.endpoint);
    if (sub.resource === '') {
      const mailboxes: string[] = [];
      for (const aor of endpointAors(this.deps.pjsip, endpoint)) for (const m of this.boxes(aor)) if (!mailboxes.includes(m)) mailboxes.push(m);
      return { aor: undefined, mailboxes };
    }
    const aor = findAorForResource(this.deps.pjsip, endpoint, sub.resource);
    if (!aor) return undefined;
    const mailboxes = this.boxes(aor);
    return mailboxes.length > 0 ? { aor, mailboxes } : undefined;
  }

  subscriptionEstablished(sub: MwiSubscription): void {
    const r = this.resolve(sub);
    this.subscriptions.add(sub);
    this.watch(sub, r?.mailboxes ?? [], r?.aor?.id);
  }

  private watch(sub: MwiSubscription, mailboxes: string[], aor: string | undefined): void {
    const old = sub.data.get(DATA_KEY) as Watch | undefined;
    if (old) this.unwatch(sub, old);
    const endpoint = this.endpointOf(sub.endpoint);
    let release: Disposer | undefined;
    if (endpoint.mwi_subscribe_replaces_unsolicited) {
      const taken = mailboxes.filter((m) => this.deps.unsolicited.receivesUnsolicited(endpoint.id, m));
      if (taken.length > 0) release = this.deps.unsolicited.suppress(endpoint.id, taken);
    }
    for (const m of mailboxes) {
      let set = this.watchers.get(m);
      if (!set) this.watchers.set(m, (set = new Set()));
      set.add(sub);
    }
    sub.data.set(DATA_KEY, { mailboxes, aor, release } satisfies Watch);
  }

  private unwatch(sub: MwiSubscription, w: Watch): void {
    for (const m of w.mailboxes) {
      const set = this.watchers.get(m);
      set?.delete(sub);
      if (set && set.size === 0) this.watchers.delete(m);
    }
    w.release?.();
    sub.data.delete(DATA_KEY);
  }

  getNotifyData(sub: MwiSubscription): MessageAccumulator | undefined {
    const w = sub.data.get(DATA_KEY) as Watch | undefined;
    const r = w ? undefined : this.resolve(sub);
    const mailboxes = w ? w.mailboxes : r?.mailboxes;
    if (!mailboxes) return undefined;
    const acc = accumulate(this.deps.mailboxes, mailboxes);
    const aorName = w ? w.aor : r?.aor?.id;
    const aor = aorName !== undefined ? this.deps.pjsip.aor(aorName) : undefined;
    if (aor) {
      const ext = aor.voicemail_extension !== '' ? aor.voicemail_extension : this.deps.pjsip.global().default_voicemail_extension;
      const account = ext !== '' ? withUser(sub.localUri, ext) : undefined;
      if (account) acc.messageAccount = account;
    }
    return acc;
  }

  subscriptionShutdown(sub: MwiSubscription): void {
    this.subscriptions.delete(sub);
    const w = sub.data.get(DATA_KEY) as Watch | undefined;
    if (w) this.unwatch(sub, w);
  }

  /** A mailbox changed: NOTIFY every subscription watching it. */
  mailboxChanged(mailbox: string): void {
    const set = this.watchers.get(mailbox);
    if (!set) return;
    for (const sub of [...set]) sub.notify();
  }

  /**
   * Configuration changed (an AOR, an endpoint, the global object): re-resolve the affected
   * subscriptions, re-watch, and NOTIFY (the notifier sends only when the body changed).
   */
  private configChanged(affects: (sub: MwiSubscription, watch: Watch | undefined) => boolean): void {
    for (const sub of [...this.subscriptions]) {
      const w = sub.data.get(DATA_KEY) as Watch | undefined;
      if (!affects(sub, w)) continue;
      const r = this.resolve(sub);
      if (!r) {
        this.deps.log.verbose(`MWI subscription of endpoint '${sub.endpoint.id}' to '${sub.resource}' ends: the AOR is gone or has no mailboxes`);
        // The notifier sends the final NOTIFY (with the last body) and calls subscriptionShutdown.
        sub.terminate('noresource');
        continue;
      }
      this.watch(sub, r.mailboxes, r.aor?.id);
      sub.notify();
    }
  }

  aorChanged(aorName: string): void {
    this.configChanged((sub, w) => {
      if (w?.aor === aorName || sub.resource === aorName) return true;
      // Voicemail-extension and all-AORs subscriptions go through the endpoint's AOR list.
      return this.endpointOf(sub.endpoint).aors.some((a) => a.trim() === aorName);
    });
  }

  endpointChanged(endpointId: string): void {
    this.configChanged((sub) => sub.endpoint.id === endpointId);
  }

  /** default_voicemail_extension may have changed: every subscription's account may differ. */
  globalChanged(): void {
    this.configChanged(() => true);
  }

  /** Ends every subscription (the module is unloading); each leaves the set once its final NOTIFY is over. */
  terminateAll(): void {
    for (const sub of [...this.subscriptions]) sub.terminate('deactivated');
  }
}
