/**
 * res_pjsip_outbound_publish: the RFC 3903 PUBLISH client (`type=outbound-publish` in
 * pjsip.conf) that event publishers (res_pjsip_exten_state, res_pjsip_publish_asterisk) feed
 * through the `outbound_publish` service. The pieces live in res_pjsip_outbound_publish/:
 * the object type, the per-resource state machine (publication.ts, with the differences from
 * Asterisk), the client per object, the runtime that keeps them in step with the config and the
 * registered publishers, and `pjsip show outbound-publishes`.
 *
 * Publications are removed (PUBLISH Expires: 0) when their object is removed by a reload, when
 * their publisher goes, when this module unloads and at a graceful stop; `core stop now` leaves
 * them to expire at the ESC.
 */
import { defineModule, type ModuleContext } from '../core/module.js';
import type { ObjectEvent } from '../core/registry/sorcery.js';
import { outboundPublishCommands } from './res_pjsip_outbound_publish/cli.js';
import { OutboundPublishRuntime } from './res_pjsip_outbound_publish/runtime.js';
import { OUTBOUND_PUBLISH_TYPE } from './res_pjsip_outbound_publish/types-outbound-publish.js';

/** The runtime of each loaded instance (one per node: nodes may share a process). */
const runtimes = new WeakMap<object, OutboundPublishRuntime>();

function unpublishOnStop(ctx: ModuleContext): boolean {
  return !(ctx.shuttingDown && ctx.shutdownMode === 'now');
}

export default defineModule({
  info: {
    name: 'res_pjsip_outbound_publish',
    description: 'PJSIP Outbound Publish Support',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    ctx.core.sorcery.registerType(OUTBOUND_PUBLISH_TYPE);
    const rt = new OutboundPublishRuntime({ core: ctx.core, pjsip, log: ctx.log, unpublishOnStop: () => unpublishOnStop(ctx) });
    runtimes.set(ctx, rt);
    // A load that fails half-way, or an unload() that did not run, still stops everything.
    ctx.onUnload(() => {
      void rt.stopAll(false);
      runtimes.delete(ctx);
    });
    rt.loadAll();
    ctx.core.sorcery.observe('outbound-publish', (ev: ObjectEvent) => rt.onObjectEvent(ev));
    ctx.provide('outbound_publish', rt.service);
    for (const c of outboundPublishCommands(rt)) ctx.core.cli.register(c.command, c);
    ctx.core.onFullyBooted(() => rt.markBooted());
  },
  reload(ctx) {
    ctx.core.config.invalidate('pjsip.conf');
    ctx.core.sorcery.reload('pjsip.conf');
    runtimes.get(ctx)?.reloaded();
  },
  async unload(ctx) {
    await runtimes.get(ctx)?.stopAll(unpublishOnStop(ctx));
  },
});
