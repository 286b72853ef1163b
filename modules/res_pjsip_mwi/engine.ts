/**
 * res_pjsip_mwi put together: the subscription handler, unsolicited MWI and the inbound NOTIFY
 * handler, wired to the mailbox engine, the contacts and the configuration. The module file
 * registers what this returns; tests build it on a running node's core and `pjsip` service.
 */
import type { Logger } from '../../core/log.js';
import { MESSAGE_SUMMARY_MEDIA_TYPE } from '../../core/pubsub/bodies/message-summary.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import type { BodyGenerator, BodySupplement } from '../../core/pubsub/types.js';
import type { Disposer } from '../../core/registry/registry.js';
import type { ObjectObserver } from '../../core/registry/sorcery.js';
import type { MailboxStateEngine } from '../../core/state/mailbox-state.js';
import type { MethodHandler, PjsipService } from '../res_pjsip/service.js';
import { inboundMwiHandler } from './inbound.js';
import type { SettleOptions } from '../../core/pacing/loop-settle.js';
import type { PacingOptions } from '../../core/pacing/paced-queue.js';
import { MwiSubscriptionHandler } from './solicited.js';
import { UnsolicitedMwi } from './unsolicited.js';

/** The parts of the core MWI uses (a module's CoreView and a node's Core both have them). */
export interface MwiCore {
  readonly mailboxes: MailboxStateEngine;
  readonly capabilities: { eventPackages(): readonly string[] };
  readonly bodyGenerators: { get(key: string): BodyGenerator | undefined };
  readonly bodySupplements: { list(key: string): BodySupplement[] };
  readonly sorcery: { observe(type: string, observer: ObjectObserver): Disposer };
  onFullyBooted(fn: () => void): Disposer;
}

export interface MwiOptions {
  core: MwiCore;
  pjsip: PjsipService;
  log: Logger;
  pacing?: Partial<PacingOptions>;
  /** When the boot wave may start after FullyBooted (see loop-settle.ts). */
  settle?: Partial<SettleOptions>;
}

export interface MwiRuntime {
  handler: MwiSubscriptionHandler;
  unsolicited: UnsolicitedMwi;
  /** For `pjsip.registerMethodHandler('NOTIFY', ...)`. */
  inboundNotify: MethodHandler;
  /** Stops watching and sending (registrations made with the results are the caller's). */
  stop(): void;
}

/**
 * The message-summary body as res_pjsip_pubsub would render it: the registered generator and
 * its supplements. Looked up per NOTIFY, so an unloaded generator stops unsolicited MWI (as
 * Asterisk's ast_sip_pubsub_generate_body_content fails then).
 */
function renderer(core: MwiCore): (data: MessageAccumulator) => string | undefined {
  return (data) => {
    const g = core.bodyGenerators.get(MESSAGE_SUMMARY_MEDIA_TYPE) as BodyGenerator<'message_accumulator'> | undefined;
    if (!g || g.bodyKind !== 'message_accumulator') return undefined;
    const sups = core.bodySupplements.list(MESSAGE_SUMMARY_MEDIA_TYPE).filter((s) => s.bodyKind === 'message_accumulator') as BodySupplement<'message_accumulator'>[];
    return renderBody(g, sups, data);
  };
}

export function startMwi(opts: MwiOptions): MwiRuntime {
  const { core, pjsip, log } = opts;
  const unsolicited = new UnsolicitedMwi({
    pjsip,
    mailboxes: core.mailboxes,
    render: renderer(core),
    allowEvents: () => core.capabilities.eventPackages(),
    log,
    ...(opts.pacing ? { pacing: opts.pacing } : {}),
  });
  const handler = new MwiSubscriptionHandler({ pjsip, mailboxes: core.mailboxes, unsolicited, log });
  const disposers: Disposer[] = [];

  disposers.push(
    core.mailboxes.onChange((ev) => {
      unsolicited.mailboxChanged(ev.mailbox);
      handler.mailboxChanged(ev.mailbox);
    }),
  );
  disposers.push(pjsip.location.onChange((ev) => unsolicited.contactChanged(ev)));
  disposers.push(
    core.sorcery.observe('endpoint', (ev) => {
      // Unsolicited first: the handler's conflict checks read its index.
      unsolicited.endpointChanged(ev);
      handler.endpointChanged(ev.object.id);
    }),
  );
  disposers.push(core.sorcery.observe('aor', (ev) => handler.aorChanged(ev.object.id)));
  disposers.push(
    core.sorcery.observe('global', () => {
      const g = pjsip.global();
      unsolicited.queue.opts = { ...unsolicited.queue.opts, highWater: g.mwi_tps_queue_high, lowWater: g.mwi_tps_queue_low };
      handler.globalChanged();
    }),
  );
  disposers.push(
    core.onFullyBooted(() => {
      if (pjsip.global().mwi_disable_initial_unsolicited) {
        log.verbose('Initial unsolicited MWI disabled (mwi_disable_initial_unsolicited)');
        return;
      }
      // Requests queued while start-up held the loop go first, then the wave. Its jobs are
      // queued now, so a phone registering meanwhile is covered by its endpoint's job (one
      // NOTIFY, not two) and mailbox changes coalesce into it.
      disposers.push(
        unsolicited.queue.holdUntilLoopSettles({
          ...(opts.settle ? { settle: opts.settle } : {}),
          onResume: (waitedMs) => log.debug(`Sending initial unsolicited MWI (the event loop settled ${Math.round(waitedMs)} ms after FullyBooted)`),
        }),
      );
      unsolicited.sendAll();
    }),
  );

  return {
    handler,
    unsolicited,
    inboundNotify: inboundMwiHandler({ pjsip, mailboxes: core.mailboxes, log }),
    stop() {
      for (const d of disposers.splice(0)) d();
      unsolicited.stop();
    },
  };
}
