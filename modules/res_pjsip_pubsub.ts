/**
 * res_pjsip_pubsub: the notifier framework. SUBSCRIBE per RFC 6665 with Asterisk's decision
 * order and codes, dialogs owned by the notifier, full-state NOTIFYs, refresh and unsubscribe,
 * expiry, persistence across restarts, and resource lists (RFC 4662, `type=resource_list`). It
 * knows no event package: handlers, generators and supplements come from the core's registries
 * (res_pjsip_exten_state, res_pjsip_mwi...). It is also the PUBLISH event state compositor
 * (RFC 3903, `type=inbound-publication`, res_pjsip_pubsub/publication.ts) for the publish
 * handlers of the core's registry (res_pjsip_publish_asterisk).
 */
import { defineModule } from '../core/module.js';
import { pubsubCommands } from './res_pjsip_pubsub/cli.js';
import { Notifier } from './res_pjsip_pubsub/notifier.js';
import { PublicationTable } from './res_pjsip_pubsub/publication.js';
import { INBOUND_PUBLICATION_TYPE, RESOURCE_LIST_TYPE } from './res_pjsip_pubsub/resource-list.js';

/** The notifier of each loaded instance (one per node: nodes may share a process). */
const notifiers = new WeakMap<object, Notifier>();
/** The inbound publications of each loaded instance. */
const publications = new WeakMap<object, PublicationTable>();

export default defineModule({
  info: {
    name: 'res_pjsip_pubsub',
    description: 'PJSIP event resource',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    ctx.core.sorcery.registerType(RESOURCE_LIST_TYPE);
    ctx.core.sorcery.registerType(INBOUND_PUBLICATION_TYPE);
    const notifier = new Notifier(ctx.core, pjsip, ctx.log);
    notifier.isStopping = () => ctx.shuttingDown;
    notifiers.set(ctx, notifier);
    ctx.track(pjsip.registerMethodHandler('SUBSCRIBE', (req, tx, rctx) => notifier.handleSubscribe(req, tx, rctx)));
    ctx.track(pjsip.registerDialogHandler((req, tx) => notifier.handleInDialog(req, tx)));
    // Asterisk adds PUBLISH to Allow whether or not a publish handler is loaded (then: 489).
    const esc = new PublicationTable(ctx.core, pjsip, ctx.log);
    publications.set(ctx, esc);
    ctx.track(pjsip.registerMethodHandler('PUBLISH', (req, tx, rctx) => esc.handlePublish(req, tx, rctx)));
    for (const c of pubsubCommands(notifier)) ctx.core.cli.register(c.command, c);
    // Handlers load after us (they require us): restore once every module is in.
    ctx.core.onFullyBooted(() => {
      // The restored dialogs exist at once (refreshes match them), but their full-state NOTIFYs
      // wait until the loop has caught up with what queued during start-up (see loop-settle.ts).
      let n = 0;
      ctx.onUnload(
        notifier.holdUntilLoopSettles((waitedMs) => {
          if (n > 0) ctx.log.debug(`Sending the restored subscriptions' NOTIFYs (the event loop settled ${Math.round(waitedMs)} ms after FullyBooted)`);
        }),
      );
      n = notifier.restore();
      if (n > 0) ctx.log.verbose(`Restored ${n} subscriptions`);
    });
    ctx.onUnload(() => {
      notifier.stop();
      notifiers.delete(ctx);
      esc.stop();
      publications.delete(ctx);
    });
  },
  useCount(ctx) {
    return notifiers.get(ctx)?.subscriptions.size ?? 0;
  },
  async unload(ctx) {
    const current = notifiers.get(ctx);
    if (!current) return;
    // `core stop now` keeps the records so the next start restores the dialogs; a graceful stop or
    // an unload says goodbye with terminated;reason=deactivated.
    const keep = ctx.shuttingDown && ctx.shutdownMode === 'now';
    await current.terminateAll('deactivated', keep);
  },
});
