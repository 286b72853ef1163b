/**
 * res_pjsip: the SIP stack of the node, the pjsip.conf objects (endpoint, aor, auth, global,
 * system, transport, domain_alias; identify belongs to res_pjsip_endpoint_identifier_ip), the
 * contacts, the request distributor, OPTIONS, the `PJSIP/<endpoint>` device state and the
 * `pjsip show` CLI. Everything else plugs in through the `pjsip` service.
 */
import { defineModule } from '../core/module.js';
import { SipStack } from '../core/sip/stack.js';
import { DeviceState } from '../core/state/device-state.js';
import { formatLoggedMessage, pjsipCommands } from './res_pjsip/cli.js';
import type { SourceInfo } from '../core/sip/transport/types.js';
import { PjsipLogger } from './res_pjsip/sip-logger.js';
import { Distributor } from './res_pjsip/distributor.js';
import { Location } from './res_pjsip/location.js';
import { PJSIP_OBJECT_TYPES, type EndpointObject, type TransportObject } from './res_pjsip/object-types.js';
import { PjsipServiceImpl } from './res_pjsip/pjsip-service.js';
import { applyTransportChange, bindTransport } from './res_pjsip/transports.js';
import type { ObjectEvent } from '../core/registry/sorcery.js';
import type { SipRequest } from '../core/sip/message.js';
import type { ServerTransaction } from '../core/sip/transaction/server-transaction.js';

export default defineModule({
  info: {
    name: 'res_pjsip',
    description: 'Basic SIP resource',
    supportLevel: 'core',
    loadPriority: 55,
  },
  async load(ctx) {
    const { core, log } = ctx;
    for (const spec of PJSIP_OBJECT_TYPES) if (spec.type !== 'identify') core.sorcery.registerType(spec);

    const stack = new SipStack({ logger: log });
    ctx.onUnload(() => stack.close());
    const location = new Location(core.store, log);
    ctx.onUnload(() => location.dispose());
    const restored = location.restore();
    if (restored > 0) log.verbose(`Restored ${restored} contacts from the database`);

    const svc = new PjsipServiceImpl(stack, location, core);
    ctx.provide('pjsip', svc);

    // PJSIP/<endpoint>: UNAVAILABLE without contacts, NOT_INUSE with at least one (calls come later).
    const endpointState = (name: string): DeviceState => {
      const e = svc.endpoint(name);
      if (!e) return DeviceState.INVALID;
      return e.aors.some((a) => svc.contacts(a).length > 0) ? DeviceState.NOT_INUSE : DeviceState.UNAVAILABLE;
    };
    ctx.track(core.devices.registerProvider('PJSIP', endpointState));
    const publishEndpoint = (name: string) => core.devices.setState(`PJSIP/${name}`, endpointState(name), { cachable: true });
    // AOR -> endpoints using it, kept by the endpoint observer: a REGISTER touches only those
    // (walking every endpoint per contact change made registration slow with many endpoints).
    const aorIndex = new Map<string, Set<string>>();
    const indexEndpoint = (e: EndpointObject, add: boolean) => {
      for (const a of e.aors) {
        let set = aorIndex.get(a);
        if (!set) aorIndex.set(a, (set = new Set()));
        if (add) set.add(e.id);
        else set.delete(e.id);
      }
    };
    for (const e of svc.endpoints()) indexEndpoint(e, true);
    const publishForAor = (aor: string) => {
      for (const id of aorIndex.get(aor) ?? []) publishEndpoint(id);
    };
    ctx.track(location.onChange((ev) => publishForAor(ev.contact.aor)));
    for (const e of svc.endpoints()) publishEndpoint(e.id);
    core.sorcery.observe('endpoint', (ev: ObjectEvent) => {
      if (ev.previous) indexEndpoint(ev.previous as EndpointObject, false);
      indexEndpoint(ev.object as EndpointObject, ev.kind !== 'deleted');
      publishEndpoint(ev.object.id);
    });
    core.sorcery.observe('aor', (ev: ObjectEvent) => publishForAor(ev.object.id));

    const options = (req: SipRequest, tx: ServerTransaction, _endpoint: EndpointObject | undefined) => {
      const headers: Array<[string, string]> = [
        ['Allow', svc.allow().join(', ')],
        ['Accept', ['application/sdp', ...core.capabilities.acceptTypes()].join(', ')],
      ];
      const events = core.capabilities.eventPackages();
      if (events.length > 0) headers.push(['Allow-Events', events.join(', ')]);
      const supported = svc.supported();
      if (supported.length > 0) headers.push(['Supported', supported.join(', ')]);
      // A request to a user we do not serve still gets 200 for a ping (Asterisk answers 404 only
      // for a Request-URI user that is no extension; without a dialplan there is nothing to check).
      void req;
      svc.reply(tx, 200, 'OK', headers);
    };
    const distributor = new Distributor(
      svc,
      {
        identifiers: svc.identifiers,
        authenticator: () => svc.currentAuthenticator(),
        methodHandlers: svc.methodHandlers,
        dialogHandlers: svc.dialogHandlers,
        options,
      },
      log,
    );
    stack.onRequest = (req, tx, source) => distributor.handle(req, tx, source);

    const logSink = core.logHub.logger('res_pjsip_logger');
    const hook = (direction: 'in' | 'out', data: Buffer, peer: SourceInfo) => {
      if (sipLogger.wants(peer)) logSink.verbose(formatLoggedMessage(direction, data, peer));
    };
    // No hook at all while off: the stack then builds no peer description per message.
    const sipLogger = new PjsipLogger(() => (stack.onMessage = sipLogger.enabled ? hook : null));
    sipLogger.applyDebugOption(svc.global().debug);
    core.sorcery.observe('global', () => sipLogger.applyDebugOption(svc.global().debug));
    for (const cmd of pjsipCommands(core, svc, sipLogger)) core.cli.register(cmd.command, cmd);

    // Transports last: the node says `tsterisk Ready.` only after every transport is bound.
    for (const t of core.sorcery.retrieveAll<TransportObject>('transport')) await bindTransport(stack, t, log);
    let chain = Promise.resolve();
    core.sorcery.observe('transport', (ev: ObjectEvent) => {
      chain = chain.then(() => applyTransportChange(stack, ev as ObjectEvent & { object: TransportObject; previous?: TransportObject }, log));
    });
    ctx.onUnload(() => chain);
  },
  reload(ctx) {
    ctx.core.config.invalidate('pjsip.conf');
    ctx.core.sorcery.reload('pjsip.conf');
  },
});
