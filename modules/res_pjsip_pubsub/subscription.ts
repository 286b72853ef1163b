/**
 * One inbound subscription (RFC 6665 notifier side): its dialog, its expiry, and its NOTIFYs.
 * NOTIFYs of one subscription go out one at a time in order; a change that arrives while one is
 * in flight is coalesced into the next (latest state wins). A state-change NOTIFY is sent only
 * when the body differs from the last one sent (ignoring XPIDF's random atom ids); refreshes,
 * restores and the first NOTIFY always carry full state. A NOTIFY that fails (408, 481, other
 * non-2xx, transport error) ends the subscription without another NOTIFY, as pjsip does.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { BodyKind, PubsubEndpoint, Subscription, SubscriptionHandler, TerminationReason } from '../../core/pubsub/types.js';
import { Dialog } from '../../core/sip/dialog.js';
import type { SipResponse } from '../../core/sip/message.js';
import type { CoreView } from '../../core/index.js';
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
  persistent?: Record<string, unknown>;
  bodyVersion?: number;
}

export interface SubscriptionHost {
  core: CoreView;
  pjsip: PjsipService;
  log: Logger;
  /** The subscription ended: forget it everywhere. */
  ended(sub: InboundSubscription): void;
  /** Something to persist changed (CSeq, body version, expiry): save it with the next batch. */
  dirty(sub: InboundSubscription): void;
}

/** The largest Expires we grant, as Asterisk's package maximum. */
export const MAX_EXPIRES = 3600;

function comparable(body: string): string {
  // XPIDF carries a random atom id per body: two bodies that differ only there are the same state.
  return body.replace(/atomid="[^"]*"/g, 'atomid=""');
}

export class InboundSubscription implements Subscription<BodyKind> {
  readonly id: string;
  readonly eventName: string;
  readonly bodyKind: BodyKind;
  readonly resource: string;
  readonly endpoint: PubsubEndpoint;
  readonly mediaType: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly userAgent: string;
  readonly data = new Map<string, unknown>();
  readonly persistent: Record<string, unknown>;
  readonly bodyState: { version: number };
  readonly handler: SubscriptionHandler;
  readonly eventHeader: string;
  readonly dialog: Dialog;
  expiresAt: number;
  readonly createdAt = Date.now();
  /** The last body sent (for change detection and `pjsip show subscription`). */
  lastBody: string | undefined;
  notifiesSent = 0;
  private inFlight = false;
  private pending: { full: boolean } | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private state: 'active' | 'terminating' | 'ended' = 'active';

  constructor(
    init: SubscriptionInit,
    private readonly host: SubscriptionHost,
  ) {
    this.id = init.id;
    this.handler = init.handler;
    this.eventName = init.handler.eventName;
    this.bodyKind = init.handler.bodyKind;
    this.resource = init.resource;
    this.endpoint = init.endpoint;
    this.mediaType = init.mediaType;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.userAgent = init.userAgent;
    this.eventHeader = init.eventHeader;
    this.dialog = init.dialog;
    this.expiresAt = init.expiresAt;
    this.persistent = init.persistent ?? {};
    this.bodyState = { version: init.bodyVersion ?? 0 };
    this.armExpiry();
  }

  get active(): boolean {
    return this.state === 'active';
  }

  get remainingSeconds(): number {
    return Math.max(0, Math.floor((this.expiresAt - Date.now()) / 1000));
  }

  /** Handler: the resource changed. */
  notify(): void {
    if (this.state !== 'active') return;
    this.queue(false);
  }

  /** Sends full state now (initial, refresh, restore). */
  notifyFull(): void {
    if (this.state !== 'active') return;
    this.queue(true);
  }

  /** A refresh SUBSCRIBE: new expiry, then full state. */
  refresh(expires: number): void {
    this.expiresAt = Date.now() + expires * 1000;
    this.armExpiry();
    this.host.dirty(this);
    this.notifyFull();
  }

  terminate(reason: TerminationReason): void {
    if (this.state !== 'active') return;
    this.state = 'terminating';
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.pending = undefined;
    void this.sendNotify(true, reason).finally(() => this.end());
  }

  /** Ends without a NOTIFY (the subscriber is gone: NOTIFY failed, connection closed). */
  destroy(why: string): void {
    if (this.state === 'ended') return;
    this.host.log.verbose(`Subscription ${this.id} (${this.eventName} ${this.resource} from ${this.remoteUri}) ended: ${why}`);
    this.end();
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    try {
      this.handler.subscriptionShutdown?.(this);
    } catch (e) {
      this.host.log.error(`subscription shutdown of ${this.id} failed: ${errorMessage(e)}`);
    }
    this.host.ended(this);
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const ms = Math.max(0, this.expiresAt - Date.now());
    // One hard expiry per subscription, restored ones included: no zombies.
    this.expiryTimer = setTimeout(() => this.terminate('timeout'), Math.min(ms, 2 ** 31 - 1));
    this.expiryTimer.unref();
  }

  private queue(full: boolean): void {
    if (this.inFlight) {
      this.pending = { full: full || (this.pending?.full ?? false) };
      return;
    }
    void this.sendNotify(full);
  }

  /** Renders and sends one NOTIFY; resolves when it is answered (or was not needed). */
  private async sendNotify(full: boolean, terminated?: TerminationReason): Promise<void> {
    this.inFlight = true;
    try {
      const body = this.render(terminated !== undefined);
      if (body === null) {
        // The resource is gone: say so, once.
        if (terminated === undefined) {
          this.inFlight = false;
          this.terminate('noresource');
          return;
        }
      }
      if (terminated === undefined && !full && body !== null && this.lastBody !== undefined && comparable(body.text) === comparable(this.lastBody)) {
        this.bodyState.version = body.versionBefore;
        return;
      }
      const headers: Array<[string, string]> = [
        ['Event', this.eventHeader],
        ['Subscription-State', terminated !== undefined ? `terminated;reason=${terminated}` : `active;expires=${this.remainingSeconds}`],
      ];
      const events = this.host.core.capabilities.eventPackages();
      if (events.length > 0) headers.push(['Allow-Events', events.join(', ')]);
      if (body !== null) headers.push(['Content-Type', this.mediaType]);
      const req = this.dialog.createRequest('NOTIFY', headers, body?.text);
      if (body !== null) this.lastBody = body.text;
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
      if (res.status >= 300 && terminated === undefined) this.destroy(`NOTIFY answered ${res.status} ${res.reason}`);
    } catch (e) {
      if (terminated === undefined) this.destroy(`NOTIFY could not be sent: ${errorMessage(e)}`);
    } finally {
      this.inFlight = false;
      const next = this.pending;
      this.pending = undefined;
      if (next && this.state === 'active') this.queue(next.full);
    }
  }

  /** The body for this NOTIFY, or null when there is no state (resource gone, generator unloaded). */
  private render(final: boolean): { text: string; versionBefore: number } | null {
    const generator = this.host.core.bodyGenerators.get(this.mediaType);
    if (!generator) {
      this.host.log.warning(`No body generator for ${this.mediaType} any more: subscription ${this.id} gets no body`);
      return null;
    }
    let data;
    try {
      data = this.handler.getNotifyData(this);
    } catch (e) {
      this.host.log.error(`${this.eventName} handler failed for ${this.resource}: ${errorMessage(e)}`);
      return null;
    }
    if (data === undefined) {
      // A final NOTIFY for a vanished resource still carries the last state we sent.
      return final && this.lastBody !== undefined ? { text: this.lastBody, versionBefore: this.bodyState.version } : null;
    }
    const versionBefore = this.bodyState.version;
    const supplements = this.host.core.bodySupplements.list(this.mediaType).filter((s) => s.bodyKind === generator.bodyKind);
    return { text: renderBody(generator, supplements, data as never), versionBefore };
  }
}
