/**
 * A subscription to one resource (an extension's hint, a mailbox...): the handler watches it and
 * calls notify() on every change; a NOTIFY goes out only when the body differs from the last one
 * sent (ignoring XPIDF's random atom ids and dialog-info's version counter), which Asterisk does
 * not check (it sends one per callback).
 */
import { InlineHandlerData } from '../../core/pubsub/handler-data.js';
import type { BodyKind, Subscription } from '../../core/pubsub/types.js';
import { lastSentBody, renderResource, stateKey } from './resource-body.js';
import { InboundSubscription, type PersistedContent, type RenderOutcome, type SubscriptionHost, type SubscriptionInit } from './subscription.js';

const NOTHING_SAVED: Readonly<Record<string, unknown>> = Object.freeze({});

export class ResourceSubscription extends InboundSubscription implements Subscription<BodyKind> {
  readonly isList = false;
  readonly data = new InlineHandlerData();
  /** Made on first use: most handlers never persist anything (an empty object per subscription). */
  private saved: Record<string, unknown> | undefined;
  /** The state key of the last body sent (resource-body.ts stateKey), shared with other watchers. */
  lastState: string | undefined;

  constructor(init: SubscriptionInit & { persistent?: Record<string, unknown> }, host: SubscriptionHost) {
    super(init, host);
    this.saved = init.persistent !== undefined && Object.keys(init.persistent).length > 0 ? init.persistent : undefined;
  }

  get persistent(): Record<string, unknown> {
    return (this.saved ??= {});
  }

  /** Handler: the resource changed. */
  notify(): void {
    if (this.active) this.queueNotify(false);
  }

  establish(): void {
    this.handler.subscriptionEstablished(this as never);
  }

  persistedContent(): PersistedContent {
    return { persistent: this.saved ?? NOTHING_SAVED };
  }

  /** The last body sent, rebuilt from its state key (the counter is one past its version). */
  lastBody(): string | undefined {
    return lastSentBody(this.lastState, this.bodyState.version);
  }

  protected renderNotify(full: boolean, final: boolean): RenderOutcome {
    const r = renderResource(this.host, this.handler, this, final, () => this.lastBody());
    if (r === null) return 'none';
    const last = this.lastState;
    const key = stateKey(r.text);
    // Pooled keys: the same state is the same string, compared by reference first.
    if ((final || !full) && last !== undefined && key === last) {
      // Not sent: the version the generator took is given back, so versions on the wire never skip.
      this.bodyState.version = r.versionBefore;
      // The final NOTIFY of an unchanged resource re-sends the last body, as Asterisk's does
      // (dialog-info version repeated); a change since then goes out as the new state.
      return final ? { contentType: this.mediaType, text: this.lastBody()!, commit: () => undefined } : 'unchanged';
    }
    return {
      contentType: this.mediaType,
      text: r.text,
      commit: () => {
        this.lastState = key;
      },
    };
  }

  protected shutdownResources(): void {
    this.handler.subscriptionShutdown?.(this as never);
  }
}
