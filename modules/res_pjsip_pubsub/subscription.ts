/**
 * One inbound subscription's dialog side (RFC 6665 notifier): its dialog, its expiry, and its
 * NOTIFYs. NOTIFYs of one subscription go out one at a time in order; a change that arrives
 * while one is in flight is coalesced into the next (latest state wins). What a NOTIFY carries
 * comes from the subclass: one resource (ResourceSubscription) or a resource list
 * (ListSubscription). A state-change NOTIFY is sent only when something a subscriber can see
 * changed; refreshes, restores and the first NOTIFY always carry full state. A NOTIFY that fails
 * (408, 481, other non-2xx, transport error) ends the subscription without another NOTIFY, as
 * pjsip does.
 */
import { errorMessage } from '../../core/errors.js';
import type { ExpiryWheel, Expiring } from '../../core/expiry-wheel.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { BodyKind, PubsubEndpoint, SubscriptionHandler, TerminationReason } from '../../core/pubsub/types.js';
import type { Dialog } from '../../core/sip/dialog.js';
import type { SipResponse } from '../../core/sip/message.js';
import { parseUri } from '../../core/sip/uri.js';
import type { PjsipService } from '../res_pjsip/service.js';

export interface SubscriptionInit {
  id: string;
  handler: SubscriptionHandler;
  endpoint: PubsubEndpoint;
  resource: string;
  mediaType: string;
  localUri: string;
  remoteUri: string;
  userAgent: string;
  /** `Event` as the subscriber sent it (with its id parameter). */
  eventHeader: string;
  dialog: Dialog;
  expiresAt: number;
  bodyVersion?: number;
}

export interface SubscriptionHost {
  core: CoreView;
  /** The hard expiries of every subscription (one timer for all of them). */
  expiries: ExpiryWheel<InboundSubscription>;
  pjsip: PjsipService;
  log: Logger;
  /** The subscription ended: forget it everywhere. */
  ended(sub: InboundSubscription): void;
  /** Something to persist changed (CSeq, body version, expiry): save it with the next batch. */
  dirty(sub: InboundSubscription): void;
  /**
   * True while the node stops: state NOTIFYs are held back, since providers unloading before us
   * (func_devstate...) would otherwise show every lamp Unavailable on the way down.
   */
  quiet(): boolean;
  /**
   * Runs a NOTIFY job soon, paced: a fan-out to thousands of watchers must not render and send
   * everything in one turn (the answers would wait behind it and the retransmission timers fire
   * first). The job's promise says when its NOTIFY is answered. One job per key waits at most.
   */
  schedule(key: string, job: () => Promise<void> | void): void;
}

/** What a list subscription keeps across a restart besides its dialog (see ListSubscription). */
export interface PersistedListState {
  /** Per leaf resource: its body version counter (dialog-info) and its handler's persistent data. */
  resources: Record<string, { bodyVersion: number; persistent: Record<string, unknown> }>;
  /** RLMI versions of the nested lists, by list name (the top list's is the record's bodyVersion). */
  lists: Record<string, number>;
}

/** What a subscription persists besides its dialog and identity. */
export interface PersistedContent {
  persistent: Record<string, unknown>;
  list?: PersistedListState;
}

/** One NOTIFY's body, rendered; `commit` runs once the NOTIFY carrying it is built. */
export interface NotifyContent {
  contentType: string;
  text: string;
  commit(): void;
}

/** A body; or nothing changed (no NOTIFY); or no state at all (the resource is gone). */
export type RenderOutcome = NotifyContent | 'unchanged' | 'none';

/** The largest Expires we grant, as Asterisk's package maximum. */
export const MAX_EXPIRES = 3600;

/**
 * The largest NOTIFY body we send over UDP. A datagram holds at most 65,507 bytes; this leaves
 * room for the headers. Asterisk prints NOTIFYs into a PJSIP_MAX_PKT_LEN buffer and drops what
 * does not fit ("too large to send"); we log and drop a body over this on UDP too, but send any
 * size over TCP, TLS and WebSocket, where there is no such limit.
 */
export const MAX_UDP_NOTIFY_BODY = 64000;

export abstract class InboundSubscription implements Expiring {
  readonly id: string;
  readonly resource: string;
  readonly endpoint: PubsubEndpoint;
  readonly mediaType: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly userAgent: string;
  /** The body version counter: dialog-info `version` of one resource, RLMI `version` of a list. */
  readonly bodyState: { version: number };
  readonly handler: SubscriptionHandler;
  readonly eventHeader: string;
  readonly dialog: Dialog;
  expiresAt: number;
  notifiesSent = 0;
  /** Lists carry `Require: eventlist` on the 200 OK and every NOTIFY. */
  abstract readonly isList: boolean;
  private inFlight = false;
  private pending: { full: boolean } | undefined;
  expiryBucket = NaN;
  private state: 'active' | 'terminating' | 'ended' = 'active';

  constructor(
    init: SubscriptionInit,
    protected readonly host: SubscriptionHost,
  ) {
    this.id = init.id;
    this.handler = init.handler;
    this.resource = init.resource;
    this.endpoint = init.endpoint;
    this.mediaType = init.mediaType;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.userAgent = init.userAgent;
    this.eventHeader = init.eventHeader;
    this.dialog = init.dialog;
    this.expiresAt = init.expiresAt;
    this.bodyState = { version: init.bodyVersion ?? 0 };
    this.armExpiry();
  }

  /** Starts watching the resource(s) (after the 200 OK, or on restore); throws when it cannot. */
  abstract establish(): void;
  /** What persists besides the dialog. */
  abstract persistedContent(): PersistedContent;
  /** The body of the next NOTIFY: full state, or only what changed; `final` for the terminated one. */
  protected abstract renderNotify(full: boolean, final: boolean): RenderOutcome;
  /** Stops watching (the subscription ended). */
  protected abstract shutdownResources(): void;
  /** A full-state NOTIFY is about to be queued (lists drop a pending batch). */
  protected beforeFullState(): void {}
  /** A refresh: re-read what is subscribed; false when nothing is left to watch. */
  protected refreshResources(): boolean {
    return true;
  }

  // From the handler rather than stored: two fields less on each of 100,000 subscriptions.
  get eventName(): string {
    return this.handler.eventName;
  }

  get bodyKind(): BodyKind {
    return this.handler.bodyKind;
  }

  get active(): boolean {
    return this.state === 'active';
  }

  get remainingSeconds(): number {
    return Math.max(0, Math.floor((this.expiresAt - Date.now()) / 1000));
  }

  /** Sends full state now (initial, refresh, restore). */
  notifyFull(): void {
    if (this.state !== 'active') return;
    this.beforeFullState();
    this.queueNotify(true);
  }

  /** A refresh SUBSCRIBE: new expiry, then full state. */
  refresh(expires: number): void {
    if (this.state !== 'active') return;
    this.expiresAt = Date.now() + expires * 1000;
    this.armExpiry();
    this.host.dirty(this);
    if (!this.refreshResources()) {
      this.terminate('noresource');
      return;
    }
    this.notifyFull();
  }

  terminate(reason: TerminationReason): void {
    if (this.state !== 'active') return;
    this.state = 'terminating';
    this.host.expiries.cancel(this);
    this.pending = undefined;
    this.beforeFullState();
    void this.sendNotify(true, reason).finally(() => this.end());
  }

  /** Ends without a NOTIFY (the subscriber is gone: NOTIFY failed, connection closed). */
  destroy(why: string): void {
    if (this.state === 'ended') return;
    this.host.log.verbose(`Subscription ${this.id} (${this.eventName} ${this.resource} from ${this.remoteUri}) ended: ${why}`);
    this.end();
  }

  /** Queues a NOTIFY behind the one in flight (coalesced: one pending at most, full wins). */
  protected queueNotify(full: boolean): void {
    if (this.state !== 'active' || this.host.quiet()) return;
    if (this.inFlight) {
      this.pending = { full: full || (this.pending?.full ?? false) };
      return;
    }
    // Reserved now, rendered when its turn comes: changes until then coalesce into it.
    this.inFlight = true;
    this.host.schedule(this.id, () => {
      if (this.state !== 'active') return;
      const next = this.pending;
      this.pending = undefined;
      return this.sendNotify(full || (next?.full ?? false));
    });
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.host.expiries.cancel(this);
    try {
      this.shutdownResources();
    } catch (e) {
      this.host.log.error(`subscription shutdown of ${this.id} failed: ${errorMessage(e)}`);
    }
    this.host.ended(this);
  }

  private armExpiry(): void {
    // One hard expiry per subscription, restored ones included: no zombies.
    this.host.expiries.schedule(this, this.expiresAt);
  }

  onExpiry(): void {
    this.terminate('timeout');
  }

  /** The NOTIFY goes over UDP (the SUBSCRIBE's flow, else the remote target's transport). */
  private overUdp(): boolean {
    const flow = this.dialog.state.flow;
    if (flow) return flow.protocol.toLowerCase() === 'udp';
    const transport = parseUri(this.dialog.state.remoteTarget)?.params.get('transport');
    return transport === undefined || transport === null || transport.toLowerCase() === 'udp';
  }

  /** Renders and sends one NOTIFY; resolves when it is answered (or was not needed). */
  private async sendNotify(full: boolean, terminated?: TerminationReason): Promise<void> {
    this.inFlight = true;
    try {
      const final = terminated !== undefined;
      const outcome = this.renderNotify(full || final, final);
      if (outcome === 'none' && !final) {
        // The resource is gone: say so, once.
        this.inFlight = false;
        this.terminate('noresource');
        return;
      }
      if (outcome === 'unchanged' && !final) return;
      let content = typeof outcome === 'object' ? outcome : undefined;
      if (content && this.overUdp()) {
        const bytes = Buffer.byteLength(content.text, 'utf8');
        if (bytes > MAX_UDP_NOTIFY_BODY) {
          this.host.log.error(
            `NOTIFY for subscription ${this.id} (${this.eventName} ${this.resource}) not sent: its ${bytes}-byte body does not fit a UDP datagram (${MAX_UDP_NOTIFY_BODY} bytes at most); use TCP for lists this large`,
          );
          if (!final) return;
          // The final NOTIFY still goes out, without a body: the subscriber learns it ended.
          content = undefined;
        }
      }
      const headers: Array<[string, string]> = [
        ['Event', this.eventHeader],
        ['Subscription-State', final ? `terminated;reason=${terminated}` : `active;expires=${this.remainingSeconds}`],
      ];
      const events = this.host.core.capabilities.eventPackages();
      if (events.length > 0) headers.push(['Allow-Events', events.join(', ')]);
      if (this.isList) headers.push(['Require', 'eventlist']);
      if (content) headers.push(['Content-Type', content.contentType]);
      const req = this.dialog.createRequest('NOTIFY', headers, content?.text);
      content?.commit();
      this.notifiesSent++;
      this.host.dirty(this);
      const target = await this.host.pjsip.resolve(this.dialog.nextHopUri(), this.dialog.state.flow);
      const res = await new Promise<SipResponse>((resolve) => {
        this.host.pjsip.sendRequest(req, target, {
          onResponse: (r) => {
            if (r.status >= 200) resolve(r);
          },
          onTimeout: (r) => resolve(r),
          onTransportError: (r) => resolve(r),
        });
      });
      if (res.status >= 300 && !final) this.destroy(`NOTIFY answered ${res.status} ${res.reason}`);
    } catch (e) {
      if (terminated === undefined) this.destroy(`NOTIFY could not be sent: ${errorMessage(e)}`);
    } finally {
      this.inFlight = false;
      const next = this.pending;
      this.pending = undefined;
      if (next && this.state === 'active') this.queueNotify(next.full);
    }
  }
}
