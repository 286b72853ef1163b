/**
 * res_pjsip_publish_asterisk: device and mailbox state exchange between nodes over PUBLISH with
 * Asterisk's JSON bodies (events `asterisk-devicestate` and `asterisk-mwi`). Outbound it feeds
 * the outbound-publish clients of those events (res_pjsip_outbound_publish); inbound it is the
 * publish handler res_pjsip_pubsub's compositor hands the peers' bodies to, configured by
 * `type=asterisk-publication`. The pieces and the differences from Asterisk are in
 * res_pjsip_publish_asterisk/exchange.ts.
 */
import { TstError } from '../core/errors.js';
import { defineModule } from '../core/module.js';
import { ASTERISK_PUBLICATION_TYPE } from './res_pjsip_publish_asterisk/asterisk-publication.js';
import { StateExchange } from './res_pjsip_publish_asterisk/exchange.js';

/** The exchange of each loaded instance (one per node: nodes may share a process). */
const exchanges = new WeakMap<object, StateExchange>();

export default defineModule({
  info: {
    name: 'res_pjsip_publish_asterisk',
    description: 'PJSIP Asterisk Event PUBLISH Support',
    supportLevel: 'extended',
    loadPriority: 65,
    requires: ['res_pjsip', 'res_pjsip_outbound_publish', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    // Asterisk declines without an entity ID: loops could not be told from our own states.
    if (ctx.core.eid.trim() === '') throw new TstError('TST_ERR_MODULE_DECLINED', 'no entity ID ([options] entityid in asterisk.conf)');
    const out = ctx.use('outbound_publish');
    ctx.core.sorcery.registerType(ASTERISK_PUBLICATION_TYPE);
    const ex = new StateExchange(ctx.core, out, ctx.log);
    exchanges.set(ctx, ex);
    ctx.onUnload(() => {
      ex.stop();
      exchanges.delete(ctx);
    });
    ctx.core.publishHandlers.register(ex.deviceHandler.eventName, ex.deviceHandler);
    ctx.core.publishHandlers.register(ex.mwiHandler.eventName, ex.mwiHandler);
    ctx.track(out.registerEventPublisher(ctx.core.eventPublishers, ex.devicePublisher));
    ctx.track(out.registerEventPublisher(ctx.core.eventPublishers, ex.mwiPublisher));
    // Clients start at FullyBooted (their full state goes out first); then ask the peers for theirs.
    ctx.core.onFullyBooted(() => {
      const n = ex.sendRefreshRequests();
      if (n > 0) ctx.log.verbose(`Sent ${n} refresh requests to peers`);
    });
  },
  reload(ctx) {
    ctx.core.config.invalidate('pjsip.conf');
    ctx.core.sorcery.reload('pjsip.conf');
    exchanges.get(ctx)?.sendRefreshRequests();
  },
});
