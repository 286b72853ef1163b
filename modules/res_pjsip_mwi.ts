/**
 * res_pjsip_mwi: message-waiting indication over SIP (Asterisk's res/res_pjsip_mwi.c, plus the
 * inbound MWI NOTIFY that Asterisk keeps in res_pjsip_pubsub.c).
 * - solicited: the `message-summary` subscription handler (resources are AORs);
 * - unsolicited: out-of-dialog NOTIFYs to the contacts of endpoints with `mailboxes=`;
 * - inbound: an out-of-dialog NOTIFY from an endpoint with `incoming_mwi_mailbox` updates it.
 * The pieces live in res_pjsip_mwi/; see each file for the differences from Asterisk.
 */
import { defineModule } from '../core/module.js';
import { startMwi, type MwiRuntime } from './res_pjsip_mwi/engine.js';

/** The runtime of each loaded instance (one per node: nodes may share a process). */
const runtimes = new WeakMap<object, MwiRuntime>();

export default defineModule({
  info: {
    name: 'res_pjsip_mwi',
    description: 'PJSIP MWI resource',
    supportLevel: 'core',
    loadPriority: 65,
    requires: ['res_pjsip', 'res_pjsip_pubsub', 'res_pjsip_mwi_body_generator'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    const mwi = startMwi({ core: ctx.core, pjsip, log: ctx.log });
    runtimes.set(ctx, mwi);
    ctx.onUnload(() => {
      mwi.stop();
      runtimes.delete(ctx);
    });
    ctx.core.subscriptionHandlers.register(mwi.handler.eventName, mwi.handler);
    ctx.track(pjsip.registerMethodHandler('NOTIFY', mwi.inboundNotify));
  },
  reload(ctx) {
    // Endpoint and AOR changes reach us through sorcery as res_pjsip reloads pjsip.conf; a
    // module reload re-reads the endpoint index from scratch and sends nothing (as Asterisk).
    runtimes.get(ctx)?.unsolicited.rebuild();
  },
  useCount(ctx) {
    return runtimes.get(ctx)?.handler.subscriptions.size ?? 0;
  },
  /** Forced (or at shutdown): live subscriptions end with terminated;reason=deactivated. */
  async unload(ctx) {
    const mwi = runtimes.get(ctx);
    if (!mwi || mwi.handler.subscriptions.size === 0) return;
    // At `core stop now` res_pjsip_pubsub keeps them for the restart; do not end them here.
    if (ctx.shuttingDown && ctx.shutdownMode === 'now') return;
    mwi.handler.terminateAll();
    const deadline = Date.now() + 2000;
    while (mwi.handler.subscriptions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  },
});
