/**
 * The `outbound_publish` service res_pjsip_outbound_publish provides to event publishers
 * (res_pjsip_exten_state for presence/dialog, res_pjsip_publish_asterisk for
 * asterisk-devicestate/asterisk-mwi), Asterisk's res_pjsip_outbound_publish.h API.
 *
 * A publisher module declares `res_pjsip_outbound_publish` in requires (or optional) and, in
 * load():
 *
 *   const out = ctx.tryUse('outbound_publish');
 *   if (out) ctx.track(out.registerEventPublisher(ctx.core.eventPublishers, {
 *     eventName: 'dialog',
 *     startPublishing(client) { ...check client.extended.body...; keep client; return undefined; },
 *     stopPublishing(client) { ...forget client... },
 *     fullState(client, resource) { return [{ resource: '1000', body: { contentType, text } }, ...]; },
 *   }));
 *
 * and, on every state change, `client.publish(resource, body)` for each client it keeps.
 */
import type { EventPublisher, OutboundPublishClient, PublishBody } from '../../core/pubsub/types.js';
import type { Disposer, RegistryView } from '../../core/registry/registry.js';

/** What an event publisher may add to the core's EventPublisher for res_pjsip_outbound_publish. */
export interface OutboundEventPublisher extends EventPublisher {
  /**
   * Asked right before a modify PUBLISH (`next`: the change) or a refresh (`next` undefined):
   * true when the ESC would not apply it to `published` (the body it holds under our ETag, the
   * last one it answered 2xx to), so the publication must start anew: removed (Expires: 0 with
   * the old ETag), then a new initial PUBLISH carrying `next` (for a refresh, `published`
   * again). res_pjsip_exten_state says so whenever the dialog held is `terminated` (Kamailio
   * ignores every modify and refresh of a terminated dialog). Not asked for initials or removes.
   */
  needsNewPublication?(client: OutboundPublishClient, published: PublishBody, next: PublishBody | undefined): boolean;
}

export interface OutboundPublishService {
  /**
   * Registers `publisher` in the caller's view of the core's eventPublishers registry (so the
   * caller owns the registration) and starts every outbound-publish client of its event. Track
   * the returned disposer (`ctx.track`): it unregisters the publisher and stops those clients,
   * removing their publications (except at `core stop now`).
   */
  registerEventPublisher(registry: RegistryView<EventPublisher>, publisher: EventPublisher): Disposer;
  /** The client of an outbound-publish object, running or not (ast_sip_publish_client_get). */
  client(name: string): OutboundPublishClient | undefined;
  /** Every client, or those of one event package, sorted by name. */
  clients(event?: string): OutboundPublishClient[];
  /**
   * Shorthand for client(name).publish(...) (body) or .remove(resource) (null). False when no
   * running client has that name.
   */
  publish(name: string, resource: string | undefined, body: PublishBody | null, key?: string): boolean;
}

declare module '../../core/services.js' {
  interface ServiceMap {
    outbound_publish: OutboundPublishService;
  }
}
