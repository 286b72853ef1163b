/**
 * The kinds of things that plug into the notifier framework, as Asterisk's res_pjsip_pubsub.h
 * names them. Core owns the registries; res_pjsip_pubsub and the handler/generator modules use
 * them. Body data is typed per body kind rather than a void pointer with a string tag.
 */

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

/** An event package the notifier serves (ast_sip_subscription_handler). */
export interface SubscriptionHandler {
  eventName: string;
  bodyKind: BodyKind;
  /** Media types this handler can be asked for, best first; the first is the default when Accept is absent. */
  accept: readonly string[];
  defaultAccept: string;
}

/** Consumer of inbound PUBLISH bodies for one event package (ast_sip_publish_handler). */
export interface PublishHandler {
  eventName: string;
}

/** Producer of outbound PUBLISH for one event package (ast_sip_event_publisher_handler). */
export interface EventPublisher {
  eventName: string;
}
