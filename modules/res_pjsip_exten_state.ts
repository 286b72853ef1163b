/**
 * res_pjsip_exten_state: the `presence` and `dialog` event packages over hints. A SUBSCRIBE to
 * an extension finds its hint in the endpoint's subscribe_context (else context), watches it,
 * and every extension state change (every RINGING update included), presence change, or hint
 * removal (terminated;reason=noresource) goes to the notifier, which renders the negotiated body.
 */
import { defineModule, type ModuleContext } from '../core/module.js';
import type { ExtenStateData } from '../core/pubsub/body-data.js';
import type { PubsubEndpoint, Subscription, SubscriptionHandler } from '../core/pubsub/types.js';
import type { ExtensionStateChange, ExtensionStateWatcher } from '../core/state/extension-state.js';
import { extenStatePublisher } from './res_pjsip_exten_state/publisher.js';

const WATCHER = 'exten_state_watcher';

/** Live subscriptions per loaded instance: they are this module's use count. */
const live = new WeakMap<object, Set<Subscription<'exten_state'>>>();

function contextOf(endpoint: PubsubEndpoint): string {
  const sub = endpoint.subscribe_context;
  return typeof sub === 'string' && sub !== '' ? sub : typeof endpoint.context === 'string' ? endpoint.context : 'default';
}

/** One function for every subscription's watcher (the subscription comes as its argument). */
function onHintChange(change: ExtensionStateChange, sub: Subscription<'exten_state'>): void {
  if (change.reason === 'removed') sub.terminate('noresource');
  else sub.notify();
}

function handler(ctx: ModuleContext, eventName: string, accept: string[], subs: Set<Subscription<'exten_state'>>): SubscriptionHandler<'exten_state'> {
  const ext = ctx.core.extensions;
  return {
    eventName,
    bodyKind: 'exten_state',
    accept,
    defaultAccept: accept[0]!,
    newSubscribe(endpoint, resource) {
      return ext.getHint(contextOf(endpoint), resource) ? 200 : 404;
    },
    subscriptionEstablished(sub: Subscription<'exten_state'>) {
      const w = ext.addWatcher(contextOf(sub.endpoint), sub.resource, onHintChange, {}, sub);
      if (!w) throw new Error(`no hint for ${sub.resource}@${contextOf(sub.endpoint)}`);
      sub.data.set(WATCHER, w);
      subs.add(sub);
    },
    getNotifyData(sub): ExtenStateData | undefined {
      const s = ext.getState(contextOf(sub.endpoint), sub.resource);
      if (!s) return undefined;
      return {
        exten: sub.resource,
        context: s.context,
        local: sub.localUri,
        remote: sub.remoteUri,
        extenState: s.state,
        presence: s.presence,
        userAgent: sub.userAgent,
        deviceStateInfo: s.devices.map((d) => ({ device: d.device, state: d.state })),
        notifyEarlyInuseRinging: sub.endpoint.notify_early_inuse_ringing === true,
        pidfContactIsWatcher: sub.endpoint.pidf_contact === 'watcher',
        dialogInfo: sub.bodyState,
      };
    },
    getResourceDisplayName(endpoint, resource) {
      return ext.getHint(contextOf(endpoint), resource)?.displayName;
    },
    subscriptionShutdown(sub) {
      (sub.data.get(WATCHER) as ExtensionStateWatcher | undefined)?.dispose();
      sub.data.delete(WATCHER);
      subs.delete(sub);
    },
  };
}

export default defineModule({
  info: {
    name: 'res_pjsip_exten_state',
    description: 'PJSIP Extension State Notifications',
    supportLevel: 'core',
    loadPriority: 65,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
    // Asterisk requires it; here presence works without it and publishing starts when it is loaded.
    optional: ['res_pjsip_outbound_publish'],
  },
  load(ctx) {
    const subs = new Set<Subscription<'exten_state'>>();
    live.set(ctx, subs);
    ctx.core.subscriptionHandlers.register('presence', handler(ctx, 'presence', ['application/pidf+xml', 'application/xpidf+xml', 'application/cpim-pidf+xml'], subs) as never);
    ctx.core.subscriptionHandlers.register('dialog', handler(ctx, 'dialog', ['application/dialog-info+xml'], subs) as never);
    const out = ctx.tryUse('outbound_publish');
    if (out) {
      for (const event of ['presence', 'dialog'] as const) {
        const p = extenStatePublisher(ctx.core, event, ctx.log);
        // While the node stops, the unloads themselves change states (devices go unavailable, hints
        // go away): those are not news for the compositor, the publications just expire there.
        ctx.track(
          ctx.core.extensions.onAnyChange((ch) => {
            if (!ctx.shuttingDown) p.onChange(ch);
          }),
        );
        ctx.track(out.registerEventPublisher(ctx.core.eventPublishers, p.publisher));
      }
    }
  },
  useCount(ctx) {
    return live.get(ctx)?.size ?? 0;
  },
  /** Forced (or at shutdown): the subscriptions end with terminated;reason=deactivated. */
  async unload(ctx) {
    const subs = live.get(ctx);
    if (!subs || subs.size === 0) return;
    // At `core stop now` res_pjsip_pubsub keeps them for the restart; do not end them here.
    if (ctx.shuttingDown && ctx.shutdownMode === 'now') return;
    for (const s of [...subs]) s.terminate('deactivated');
    const deadline = Date.now() + 2000;
    while (subs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  },
});
