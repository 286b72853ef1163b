/**
 * The client of one `type=outbound-publish` object (Asterisk's ast_sip_outbound_publish_client
 * with its publishers): what event publishers talk to. It holds one Publication per resource
 * (multi_user=yes: per Request-URI user; no: a single one), created on the first change and
 * dropped once removed.
 *
 * A client runs from start(publisher), when the event publisher of its event accepts it, to
 * stop(). Right after start it asks the publisher for the full current state and publishes it
 * (Asterisk's exten_state publishes nothing until the next change, so a restart leaves the ESC
 * with whatever it had). A stopped client never runs again: a restart makes a new client.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { EventPublisher, OutboundPublishClient, PublicationUris, PublishBody, PublishedState } from '../../core/pubsub/types.js';
import { SipResponse, type SipRequest } from '../../core/sip/message.js';
import type { PjsipService } from '../res_pjsip/service.js';
import { Publication } from './publication.js';
import type { OutboundPublishObject } from './types-outbound-publish.js';
import { publicationUris } from './uris.js';

export class PublishClient implements OutboundPublishClient {
  readonly data = new Map<string, unknown>();
  private publisher: EventPublisher | undefined;
  private stopped = false;
  private readonly publications = new Map<string, Publication>();
  /** Why the last start was refused, for the CLI. */
  startError: string | undefined;

  constructor(
    public config: OutboundPublishObject,
    private readonly pjsip: PjsipService,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.config.id;
  }

  get event(): string {
    return this.config.event.trim().toLowerCase();
  }

  get multiUser(): boolean {
    return this.config.multi_user;
  }

  get extended(): Readonly<Record<string, string>> {
    return this.config.extended;
  }

  get running(): boolean {
    return this.publisher !== undefined;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The publisher it runs for (undefined when not started). */
  get eventPublisher(): EventPublisher | undefined {
    return this.publisher;
  }

  uris(resource?: string): PublicationUris {
    return publicationUris(this.config, resource);
  }

  publish(resource: string | undefined, body: PublishBody, key?: string): void {
    if (!this.running) return;
    this.publicationFor(resource).publish(this.coalescingKey(resource, key), body);
  }

  remove(resource?: string): void {
    if (!this.running) return;
    this.publications.get(this.publicationKey(resource))?.remove();
  }

  /** Offers the client to its publisher; false (and logged) when the publisher refuses it. */
  start(publisher: EventPublisher): boolean {
    if (this.stopped || this.publisher) return false;
    let refusal: string | undefined;
    try {
      refusal = publisher.startPublishing?.(this);
    } catch (e) {
      refusal = errorMessage(e);
    }
    if (refusal !== undefined) {
      if (refusal !== this.startError) this.log.error(`Failed to start outbound publish with event '${this.event}' for client '${this.name}': ${refusal}`);
      this.startError = refusal;
      return false;
    }
    this.startError = undefined;
    this.publisher = publisher;
    this.log.verbose(`Outbound publish '${this.name}' started (event ${this.event})`);
    for (const s of this.askFullState(undefined) ?? []) this.publish(s.resource, s.body, s.key);
    return true;
  }

  /** Stops for good: tells the publisher, then ends every publication (removing them when asked). */
  async stop(unpublish: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const publisher = this.publisher;
    this.publisher = undefined;
    if (publisher) {
      try {
        publisher.stopPublishing?.(this);
      } catch (e) {
        this.log.error(`Event publisher '${this.event}' failed to stop '${this.name}': ${errorMessage(e)}`);
      }
    }
    const pubs = [...this.publications.values()];
    this.publications.clear();
    await Promise.all(pubs.map((p) => p.stop(unpublish)));
  }

  /** After a reload: publications stopped by auth or 423 failures try again. */
  revive(): void {
    for (const p of this.publications.values()) p.revive();
  }

  /** (resource, publication), resource '' for the user-less one, sorted by resource. */
  listPublications(): Array<[string, Publication]> {
    return [...this.publications.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }

  // ------------------------------------------------------------------------------------------

  private publicationKey(resource: string | undefined): string {
    return this.config.multi_user ? (resource ?? '') : '';
  }

  /** With one publication for every resource, the resource is part of the key so each keeps its latest state. */
  private coalescingKey(resource: string | undefined, key: string | undefined): string {
    return this.config.multi_user ? (key ?? '') : `${resource ?? ''}\u0000${key ?? ''}`;
  }

  private askFullState(resource: string | undefined): PublishedState[] | undefined {
    const p = this.publisher;
    if (!p?.fullState) return undefined;
    try {
      return p.fullState(this, resource);
    } catch (e) {
      this.log.error(`Event publisher '${this.event}' failed to give the state for '${this.name}': ${errorMessage(e)}`);
      return undefined;
    }
  }

  private publicationFor(resource: string | undefined): Publication {
    const k = this.publicationKey(resource);
    const existing = this.publications.get(k);
    if (existing) return existing;
    const user = this.config.multi_user ? resource : undefined;
    const pub: Publication = new Publication({
      label: user !== undefined && user !== '' ? `${this.name}/${user}` : this.name,
      log: this.log,
      uris: () => this.uris(user),
      event: () => this.config.event.trim(),
      expiration: () => this.config.expiration,
      maxAuthAttempts: () => this.config.max_auth_attempts,
      outboundProxy: () => this.config.outbound_proxy,
      userAgent: () => this.pjsip.global().user_agent,
      maxForwards: () => this.pjsip.global().max_forwards,
      send: (req, answer, onFinal) => this.send(req, answer, onFinal),
      fullState: () => {
        // multi_user: this publication's resource only; otherwise everything the client carries.
        const all = this.askFullState(this.config.multi_user ? user : undefined);
        if (all === undefined) return undefined;
        return all
          .filter((s) => !this.config.multi_user || (s.resource ?? '') === (user ?? ''))
          .map((s) => ({ key: this.coalescingKey(s.resource, s.key), body: s.body }));
      },
      idle: () => {
        if (this.publications.get(k) === pub) this.publications.delete(k);
      },
    });
    this.publications.set(k, pub);
    return pub;
  }

  private send(req: SipRequest, maxChallenges: number, onFinal: (res: SipResponse, why?: string) => void): void {
    const cfg = this.config;
    // maxAuthAttempts bounds res_pjsip's own answering loop (it answers up to 3 per request when
    // it does not read the option); the publication counts the answers either way.
    const authOpts: { outboundAuth?: readonly string[]; maxAuthAttempts?: number } =
      maxChallenges > 0 ? { outboundAuth: cfg.outbound_auth, maxAuthAttempts: maxChallenges } : {};
    const destination = cfg.outbound_proxy !== '' ? cfg.outbound_proxy : req.uri;
    this.pjsip
      .resolve(destination)
      .then((target) => {
        this.pjsip.sendRequest(
          req,
          cfg.transport !== '' ? { ...target, transport: cfg.transport } : target,
          {
            onResponse: (res) => {
              if (res.status >= 200) onFinal(res);
            },
            onTimeout: (res) => onFinal(res, 'No response received'),
            onTransportError: (res, err) => onFinal(res, `Transport error: ${err.message}`),
          },
          authOpts,
        );
      })
      .catch((e: unknown) => onFinal(new SipResponse(503, 'Service Unavailable'), `Cannot send: ${errorMessage(e)}`));
  }
}
