/**
 * The outbound publish clients of one node and their synchronisation with the configuration
 * (sorcery differences on reload) and with the event publishers registered in the core
 * (Asterisk's sip_outbound_publish_synchronize): a client runs while a publisher for its event
 * is registered and accepts it.
 *
 * Clients start only once the node is fully booted, so an event publisher whose body
 * generators load after it does not see a half-loaded node.
 *
 * Event publishers register through the service; the disposer they track reaches the runtime
 * of the node that is current when it runs (a module reload of ours makes a new runtime, and a
 * publisher registered before it must still be stopped when it goes).
 */
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { EventPublisher, OutboundPublishClient, PublishBody } from '../../core/pubsub/types.js';
import type { Disposer, RegistryView } from '../../core/registry/registry.js';
import type { ObjectEvent } from '../../core/registry/sorcery.js';
import type { PjsipService } from '../res_pjsip/service.js';
import { PublishClient } from './client.js';
import type { OutboundPublishService } from './service.js';
import { needsNewClient, type OutboundPublishObject } from './types-outbound-publish.js';

/** How long unload waits for the removing PUBLISHes to be answered. */
export const UNLOAD_WAIT_MS = 5000;

/** The current runtime per node, keyed by an object every module of the node shares. */
const current = new WeakMap<object, OutboundPublishRuntime>();

export interface RuntimeOptions {
  core: CoreView;
  pjsip: PjsipService;
  log: Logger;
  /** False at `core stop now`: publications are left to expire. */
  unpublishOnStop: () => boolean;
}

export class OutboundPublishRuntime {
  readonly clients = new Map<string, PublishClient>();
  private readonly draining = new Set<Promise<void>>();
  private alive = true;
  private booted = false;
  readonly service: OutboundPublishService;
  private readonly nodeKey: object;

  constructor(private readonly opts: RuntimeOptions) {
    this.nodeKey = opts.core.config;
    current.set(this.nodeKey, this);
    const nodeKey = this.nodeKey;
    this.service = {
      registerEventPublisher: (registry: RegistryView<EventPublisher>, publisher: EventPublisher): Disposer => {
        const unregister = registry.register(publisher.eventName, publisher);
        current.get(nodeKey)?.sync();
        let done = false;
        return () => {
          if (done) return;
          done = true;
          unregister();
          current.get(nodeKey)?.sync();
        };
      },
      client: (name) => (this.alive ? this.clients.get(name) : undefined),
      clients: (event) => this.list(event),
      publish: (name, resource, body, key) => this.publish(name, resource, body, key),
    };
  }

  /** Creates a client for every configured object; they start at boot (markBooted). */
  loadAll(): void {
    for (const o of this.opts.core.sorcery.retrieveAll<OutboundPublishObject>('outbound-publish')) this.clients.set(o.id, this.newClient(o));
  }

  markBooted(): void {
    this.booted = true;
    this.sync();
  }

  /** A difference found by a reload of pjsip.conf. */
  onObjectEvent(ev: ObjectEvent): void {
    if (!this.alive) return;
    const obj = ev.object as OutboundPublishObject;
    const existing = this.clients.get(obj.id);
    switch (ev.kind) {
      case 'created':
        if (existing) this.retire(existing, true);
        this.clients.set(obj.id, this.newClient(obj));
        break;
      case 'deleted':
        this.clients.delete(obj.id);
        if (existing) this.retire(existing, true);
        break;
      case 'updated':
        if (!existing || needsNewClient(existing.config, obj)) {
          if (existing) this.retire(existing, true);
          this.clients.set(obj.id, this.newClient(obj));
        } else {
          // expiration, max_auth_attempts and transport apply to the next PUBLISH.
          existing.config = obj;
          existing.revive();
        }
        break;
    }
    this.sync();
  }

  /** After a module reload: failed publications try again, refused clients are offered again. */
  reloaded(): void {
    for (const c of this.clients.values()) c.revive();
    this.sync();
  }

  /** Starts clients whose publisher is registered; stops those whose publisher went away. */
  sync(): void {
    if (!this.alive || !this.booted) return;
    for (const [name, c] of [...this.clients]) {
      const publisher = this.opts.core.eventPublishers.get(c.event);
      let client = c;
      if (c.running && c.eventPublisher !== publisher) {
        this.retire(c, this.opts.unpublishOnStop());
        client = this.newClient(c.config);
        this.clients.set(name, client);
      }
      if (!client.running && publisher) client.start(publisher);
    }
  }

  /** Stops every client (removing the publications when `unpublish`), waiting at most UNLOAD_WAIT_MS. */
  async stopAll(unpublish: boolean): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    if (current.get(this.nodeKey) === this) current.delete(this.nodeKey);
    for (const c of this.clients.values()) this.retire(c, unpublish);
    this.clients.clear();
    if (this.draining.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), UNLOAD_WAIT_MS)));
    const outcome = await Promise.race([Promise.all([...this.draining]).then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.opts.log.warning(`Unload incomplete: ${this.draining.size} outbound publications were not removed in time`);
  }

  list(event?: string): PublishClient[] {
    if (!this.alive) return [];
    const e = event?.toLowerCase();
    return [...this.clients.values()].filter((c) => e === undefined || c.event === e).sort((a, b) => a.name.localeCompare(b.name));
  }

  private publish(name: string, resource: string | undefined, body: PublishBody | null, key?: string): boolean {
    const c: OutboundPublishClient | undefined = this.alive ? this.clients.get(name) : undefined;
    if (!c?.running) return false;
    if (body === null) c.remove(resource);
    else c.publish(resource, body, key);
    return true;
  }

  private newClient(o: OutboundPublishObject): PublishClient {
    return new PublishClient(o, this.opts.pjsip, this.opts.log);
  }

  private retire(c: PublishClient, unpublish: boolean): void {
    const p = c.stop(unpublish).catch((e: unknown) => this.opts.log.error(`Stopping outbound publish '${c.name}' failed: ${errorMessage(e)}`));
    this.draining.add(p);
    void p.finally(() => this.draining.delete(p));
  }
}
