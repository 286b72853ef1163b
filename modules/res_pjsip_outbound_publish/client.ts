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
 *
 * The start-up state (the dump) is not handed to the publications all at once: with
 * multi_user=yes and 10,000 hints that would be 10,000 initial PUBLISHes in one turn. It waits
 * in a queue and is fed to the publications while the client's InitialPacer has free slots
 * (MAX_INITIALS_IN_FLIGHT initial PUBLISHes in flight), the rest as answers come back. A change
 * of a resource still in the queue replaces its queued state (the change is newer); live
 * changes that need an initial PUBLISH wait for a slot before the rest of the dump.
 *
 * The event publisher may add needsNewPublication (OutboundEventPublisher): asked before each
 * modify and refresh, it makes the publication start anew (see "Restart" in publication.ts).
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { EventPublisher, OutboundPublishClient, PublicationUris, PublishBody, PublishedState } from '../../core/pubsub/types.js';
import { SipResponse, type SipRequest } from '../../core/sip/message.js';
import type { PjsipService } from '../res_pjsip/service.js';
import { InitialPacer, MAX_INITIALS_IN_FLIGHT } from './initial-pacer.js';
import { Publication } from './publication.js';
import type { OutboundEventPublisher } from './service.js';
import type { OutboundPublishObject } from './types-outbound-publish.js';
import { publicationUris } from './uris.js';

export class PublishClient implements OutboundPublishClient {
  readonly data = new Map<string, unknown>();
  private publisher: EventPublisher | undefined;
  private stopped = false;
  private readonly publications = new Map<string, Publication>();
  /** Start-up states not yet handed to a publication, by dumpKey, in the publisher's order. */
  private readonly dump = new Map<string, PublishedState>();
  private feeding = false;
  /** Bounds the initial PUBLISHes in flight; freed slots feed the dump. */
  readonly pacer = new InitialPacer(MAX_INITIALS_IN_FLIGHT, () => this.feedDump());
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
    // Newer than what the dump holds for it.
    this.dump.delete(this.dumpKey(resource, key));
    this.publicationFor(resource).publish(this.coalescingKey(resource, key), body);
  }

  remove(resource?: string): void {
    if (!this.running) return;
    const k = this.publicationKey(resource);
    if (this.dump.size > 0) for (const [dk, s] of this.dump) if (this.publicationKey(s.resource) === k) this.dump.delete(dk);
    this.publications.get(k)?.remove();
  }

  /** Start-up states still waiting for a free initial slot. */
  get dumpQueued(): number {
    return this.dump.size;
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
    for (const s of this.askFullState(undefined) ?? []) this.dump.set(this.dumpKey(s.resource, s.key), s);
    this.feedDump();
    return true;
  }

  /** Stops for good: tells the publisher, then ends every publication (removing them when asked). */
  async stop(unpublish: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const publisher = this.publisher;
    this.publisher = undefined;
    this.dump.clear();
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
    this.pacer.close();
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

  /**
   * Hands queued start-up states to their publications while initial slots are free. A state
   * whose publication already exists goes in as a change and takes no slot.
   */
  private feedDump(): void {
    if (!this.running || this.feeding) return;
    this.feeding = true;
    try {
      while (this.dump.size > 0 && this.pacer.room > 0 && this.running) {
        const [dk, s] = this.dump.entries().next().value as [string, PublishedState];
        this.dump.delete(dk);
        this.publicationFor(s.resource).publish(this.coalescingKey(s.resource, s.key), s.body);
      }
    } finally {
      this.feeding = false;
    }
  }

  private dumpKey(resource: string | undefined, key: string | undefined): string {
    return `${resource ?? ''}\u0000${key ?? ''}`;
  }

  /** The event publisher's needsNewPublication, false when it has none or it fails. */
  private needsNewPublication(published: PublishBody, next: PublishBody | undefined): boolean {
    const p = this.publisher as OutboundEventPublisher | undefined;
    if (!p?.needsNewPublication) return false;
    try {
      return p.needsNewPublication(this, published, next) === true;
    } catch (e) {
      this.log.error(`Event publisher '${this.event}' failed to judge a change for '${this.name}': ${errorMessage(e)}`);
      return false;
    }
  }

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
      pacer: this.pacer,
      needsNewPublication: (published, next) => this.needsNewPublication(published, next),
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
