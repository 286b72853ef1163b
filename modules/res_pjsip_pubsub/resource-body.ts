/**
 * One resource's body from its handler and generator (what a single-resource NOTIFY carries and
 * what each leaf of a list contributes as a part), and the comparison that decides whether a
 * state change changed anything a subscriber can see.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import { InternPool } from '../../core/own-string.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { BodyKind, Subscription, SubscriptionHandler } from '../../core/pubsub/types.js';

export interface RenderedResource {
  text: string;
  /** The body version counter before this render, to put back when the body is not sent. */
  versionBefore: number;
}

/**
 * The body for `sub` now, or null when there is no state (the resource is gone, the handler
 * failed, the generator was unloaded). `lastBody` stands in for a final NOTIFY of a vanished
 * resource: the last state sent.
 */
export function renderResource(
  env: { core: CoreView; log: Logger },
  handler: SubscriptionHandler,
  sub: Subscription<BodyKind>,
  final: boolean,
  lastBody: () => string | undefined,
): RenderedResource | null {
  const generator = env.core.bodyGenerators.get(sub.mediaType);
  if (!generator) {
    env.log.warning(`No body generator for ${sub.mediaType} any more: subscription ${sub.id} gets no body`);
    return null;
  }
  let data;
  try {
    data = handler.getNotifyData(sub as never);
  } catch (e) {
    env.log.error(`${sub.eventName} handler failed for ${sub.resource}: ${errorMessage(e)}`);
    return null;
  }
  if (data === undefined) {
    const last = final ? lastBody() : undefined;
    return last !== undefined ? { text: last, versionBefore: sub.bodyState.version } : null;
  }
  const versionBefore = sub.bodyState.version;
  const supplements = env.core.bodySupplements.list(sub.mediaType).filter((s) => s.bodyKind === generator.bodyKind);
  return { text: renderBody(generator, supplements, data as never), versionBefore };
}

/**
 * Two bodies show the same state when they differ only in what changes on every render: XPIDF's
 * random atom id and dialog-info's version counter (which the notifier puts back when the body
 * is not sent, so versions on the wire never skip). comparable() is that body without them.
 */
function comparable(body: string): string {
  // Most bodies (PIDF, message-summary) have neither: no regex run, no copy made.
  let out = body;
  if (out.includes('atomid=')) out = out.replace(/atomid="[^"]*"/g, 'atomid=""');
  if (out.includes('<dialog-info')) out = out.replace(/(<dialog-info\b[^>]*?\s)version="\d+"/, '$1version=""');
  return out;
}

/**
 * What a subscription keeps of the last body it sent: its state key, the body without what
 * changes on every render, shared between every subscriber of one state. A thousand watchers
 * of one hint hold one string instead of a thousand copies of the body.
 */
const STATE_POOL = new InternPool(8192);

export function stateKey(body: string): string {
  return STATE_POOL.intern(comparable(body));
}

/**
 * The body a state key stands for, as sent: dialog-info's `version` put back (the version that
 * body carried), a fresh XPIDF atom id (as every XPIDF render has).
 */
export function bodyOfState(key: string, version: number): string {
  let out = key;
  if (out.includes('<dialog-info')) out = out.replace(/(<dialog-info\b[^>]*?\s)version=""/, `$1version="${version >>> 0}"`);
  if (out.includes('atomid=""')) out = out.replace(/atomid=""/g, () => `atomid="${randomUUID()}"`);
  return out;
}

/**
 * The last body a subscription (or a list's leaf) sent, rebuilt from its state key: `counter` is
 * its body-version counter now, one past the version that body carried.
 */
export function lastSentBody(lastState: string | undefined, counter: number): string | undefined {
  return lastState === undefined ? undefined : bodyOfState(lastState, counter - 1);
}
