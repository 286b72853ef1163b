/**
 * The kinds of things that plug into the notifier framework, as Asterisk's res_pjsip_pubsub.h
 * names them. Core owns the registries; res_pjsip_pubsub and the handler/generator modules use
 * them. Body data is typed per body kind rather than a void pointer with a string tag.
 */

import type { HandlerData } from './handler-data.js';
import type { ExtenStateData, MessageAccumulator } from './body-data.js';

/** The body kinds Asterisk names (`AST_SIP_EXTEN_STATE_DATA`, `AST_SIP_MESSAGE_ACCUMULATOR`). */
export interface BodyDataMap {
  exten_state: ExtenStateData;
  message_accumulator: MessageAccumulator;
}
export type BodyKind = keyof BodyDataMap;

/** Produces one media type's body from typed data (ast_sip_pubsub_body_generator). */
export interface BodyGenerator<K extends BodyKind = BodyKind, B = unknown> {
  /** `type/subtype`, lower-case. */
  mediaType: string;
  bodyKind: K;
  /** Makes an empty body document for the data. */
  allocate(data: BodyDataMap[K]): B;
  /** Fills it from the data. */
  generate(body: B, data: BodyDataMap[K]): void;
  /** Serializes it. */
  toString(body: B): string;
}

/**
 * Adds to a generated body before it is serialized (ast_sip_pubsub_body_supplement).
 * Supplements for one media type run in registration-priority order after generate().
 */
export interface BodySupplement<K extends BodyKind = BodyKind, B = unknown> {
  mediaType: string;
  /** The data kind it reads: must equal its generator's, which the notifier can check. */
  bodyKind: K;
  supplement(body: B, data: BodyDataMap[K]): void;
}

/** What the notifier tells a handler about the subscriber's endpoint (res_pjsip's endpoint object). */
export interface PubsubEndpoint {
  readonly id: string;
  readonly [option: string]: unknown;
}

/** Why a subscription ended; goes out as `Subscription-State: terminated;reason=...` (RFC 6665 4.1.3). */
export type TerminationReason = 'timeout' | 'noresource' | 'deactivated' | 'rejected' | 'giveup' | 'probation';

/** One inbound subscription as a handler sees it (ast_sip_subscription). */
export interface Subscription<K extends BodyKind = BodyKind> {
  readonly id: string;
  readonly eventName: string;
  readonly bodyKind: K;
  /** The resource subscribed to: the Request-URI user (an extension, an AOR...). */
  readonly resource: string;
  readonly endpoint: PubsubEndpoint;
  /** The negotiated body type. */
  readonly mediaType: string;
  /** The presentity: the Request-URI with the resource as user (e.g. `sip:1000@127.0.0.1:5160`). */
  readonly localUri: string;
  /** The watcher (the From URI of the SUBSCRIBE). */
  readonly remoteUri: string;
  readonly userAgent: string;
  /** Handler state kept for the subscription's life (watcher handles...). */
  readonly data: HandlerData;
  /**
   * Handler state that must survive a restart with the subscription (JSON values only, e.g.
   * the dialog-info version). Saved with the subscription, in batches, never per NOTIFY.
   */
  readonly persistent: Record<string, unknown>;
  /**
   * The body version counter the generator advances (dialog-info `version`, RLMI `version`). The
   * notifier owns it: it is persisted with the subscription and put back when a rendered body
   * is not sent (unchanged), so versions on the wire never skip.
   */
  readonly bodyState: { version: number };
  /** The resource changed: a NOTIFY goes out if the body differs from the last one sent. */
  notify(): void;
  /** Ends the subscription with a final NOTIFY carrying the reason. */
  terminate(reason: TerminationReason): void;
}

/** An event package the notifier serves (ast_sip_subscription_handler with its notifier). */
export interface SubscriptionHandler<K extends BodyKind = BodyKind> {
  eventName: string;
  bodyKind: K;
  /** Media types this handler can be asked for, best first. */
  accept: readonly string[];
  /** The body type used when the SUBSCRIBE has no Accept (baresip and linphone send none). */
  defaultAccept: string;
  /** Whether the resource exists for this endpoint: 200, or the status to refuse with (404...). */
  newSubscribe(endpoint: PubsubEndpoint, resource: string): number;
  /** The subscription is set up (or restored): start watching the resource. */
  subscriptionEstablished(sub: Subscription<K>): void;
  /** Current state for a NOTIFY body; undefined when the resource is gone. */
  getNotifyData(sub: Subscription<K>): BodyDataMap[K] | undefined;
  /** The subscription ended: stop watching. */
  subscriptionShutdown?(sub: Subscription<K>): void;
  /** A resource's display name for RLMI `<name>` with resource_display_name=yes (a hint's name). */
  getResourceDisplayName?(endpoint: PubsubEndpoint, resource: string): string | undefined;
}

/**
 * One inbound publication (RFC 3903 event state at the ESC) as a publish handler sees it
 * (ast_sip_publication). It lives from the 2xx to an INITIAL PUBLISH until it is removed
 * (Expires: 0) or expires; its ETag changes on every 2xx.
 */
export interface InboundPublication {
  /** Stable for the publication's life (the ETag is not). */
  readonly id: string;
  readonly eventName: string;
  /** The `inbound-publication` object's name: the Request-URI user of the INITIAL PUBLISH. */
  readonly resource: string;
  /** The value of its `event_<package>` option (e.g. the `asterisk-publication` name). */
  readonly configName: string;
  /** The endpoint that created it. */
  readonly endpoint: PubsubEndpoint;
  /** The current entity tag. */
  readonly etag: string;
  /** Date.now() at which it expires. */
  readonly expiresAt: number;
  /** Handler state kept for the publication's life (the EID it carries...). */
  readonly data: Map<string, unknown>;
}

/** Why a publication ended. */
export type PublicationEnd = 'expired' | 'removed' | 'shutdown';

/**
 * Consumer of inbound PUBLISH bodies for one event package (ast_sip_publish_handler),
 * registered in the core's `publishHandlers` registry under its event name. res_pjsip_pubsub
 * does the RFC 3903 bookkeeping (classification, ETags, expiry) and calls it for the state.
 */
export interface PublishHandler {
  eventName: string;
  /** Body types it takes; another Content-Type is answered 415 with Accept (default: any). */
  accept?: readonly string[];
  /** Largest body in bytes; a bigger one is answered 413 (default 65536). */
  maxBodySize?: number;
  /**
   * An INITIAL PUBLISH to `resource` whose inbound-publication maps this event to `configName`:
   * 200 to accept, else the status to refuse with (404 when `configName` names nothing).
   */
  newPublication?(endpoint: PubsubEndpoint, resource: string, configName: string): number;
  /**
   * A body arrived (INITIAL or MODIFY; refreshes carry none and are not passed on). 2xx accepts
   * it; any other status refuses it and the publication stays as it was (an INITIAL one is not
   * created). A handler logs why it refused.
   */
  publicationState(pub: InboundPublication, body: PublishBody): number;
  /** The publication ended: removed by its publisher, expired, or dropped at unload. */
  publicationEnded?(pub: InboundPublication, why: PublicationEnd): void;
}

/** A PUBLISH body an event publisher hands to an outbound publish client. */
export interface PublishBody {
  /** `type/subtype`, e.g. `application/pidf+xml`. */
  readonly contentType: string;
  readonly text: string;
}

/** One piece of current state, as an event publisher reports it (EventPublisher.fullState). */
export interface PublishedState {
  /**
   * The resource: with multi_user=yes the user of the Request-URI and To (an extension...);
   * undefined for the client's user-less publication.
   */
  readonly resource?: string;
  /**
   * Coalescing key within the resource. Queued changes with the same (resource, key) replace
   * each other (latest wins); undefined means the resource's whole state. A publisher that
   * sends several independent items through one publication (asterisk-devicestate: one JSON
   * per device) gives each item its own key so none is lost.
   */
  readonly key?: string;
  readonly body: PublishBody;
}

/** The URIs of one publication, as they go on the wire, plus those an event body names. */
export interface PublicationUris {
  /** server_uri, its user replaced by the resource (multi_user). */
  readonly requestUri: string;
  /** from_uri (else server_uri), as configured. */
  readonly fromUri: string;
  /** to_uri (else server_uri), its user replaced by the resource (multi_user). */
  readonly toUri: string;
  /** from_uri (else server_uri) with the resource as user: the body's local/entity URI (exten_state). */
  readonly localUri: string;
  /** to_uri (else server_uri) with the resource as user: the body's remote URI (exten_state). */
  readonly remoteUri: string;
}

/**
 * One `type=outbound-publish` object as an event publisher sees it
 * (ast_sip_outbound_publish_client). It exists while the object is configured; `running` while
 * it is started (a publisher for its event is registered and accepted it).
 */
export interface OutboundPublishClient {
  /** The outbound-publish object's name. */
  readonly name: string;
  /** Its `event` (lower-case). */
  readonly event: string;
  readonly multiUser: boolean;
  /** Its `@name` options, without the `@` (`body`, `context`, `exten`, `device_state_filter`...). */
  readonly extended: Readonly<Record<string, string>>;
  readonly running: boolean;
  /** Publisher state kept for the client's life (dialog-info versions, compiled filters...). */
  readonly data: Map<string, unknown>;
  uris(resource?: string): PublicationUris;
  /**
   * Publishes a state change of `resource` (ignored unless running). One PUBLISH is in flight
   * per publication; changes queued meanwhile are coalesced per (resource, key), latest wins.
   * With multi_user=no every resource shares the client's single publication.
   */
  publish(resource: string | undefined, body: PublishBody, key?: string): void;
  /** Ends the publication carrying `resource` (PUBLISH Expires: 0); a later publish() starts a new one. */
  remove(resource?: string): void;
}

/**
 * Producer of outbound PUBLISH for one event package (ast_sip_event_publisher_handler),
 * registered in the core's `eventPublishers` registry under its event name, through the
 * `outbound_publish` service's registerEventPublisher so that clients start and stop with it.
 */
export interface EventPublisher {
  eventName: string;
  /**
   * An outbound-publish client of this event starts: check its extended options (`@body`...)
   * and prepare. Return an error message to refuse it (it stays not started, as Asterisk's
   * "Failed to start outbound publish"); it is offered again at the next reload.
   */
  startPublishing?(client: OutboundPublishClient): string | undefined;
  /** The client stopped (object removed or changed, publisher or module unloaded, shutdown). */
  stopPublishing?(client: OutboundPublishClient): void;
  /**
   * The current full state the client should carry: everything when `resource` is undefined,
   * else that resource's state. Asked when the client starts (nothing is waited for: the state
   * goes out at once, unlike Asterisk which publishes only on the next change), and after a 412
   * (the new initial PUBLISH carries it). Without it, a 412 re-sends the last bodies sent.
   */
  fullState?(client: OutboundPublishClient, resource?: string): PublishedState[];
}
