/**
 * res_pjsip_endpoint_identifier_ip: the `identify` objects. A request is identified by its
 * source address (match=, with host names resolved when the object loads), by a header
 * (match_header) or by its Request-URI (match_request_uri), for endpoints whose identify_by
 * allows ip / header / request_uri.
 */
import { defineModule } from '../core/module.js';
import type { ObjectEvent } from '../core/registry/sorcery.js';
import type { SipRequest } from '../core/sip/message.js';
import type { SourceInfo } from '../core/sip/transport/types.js';
import { IpMatcher, resolveHosts } from './res_pjsip/ip-match.js';
import { IDENTIFY_TYPE, type EndpointObject, type IdentifyObject } from './res_pjsip/object-types.js';

export default defineModule({
  info: {
    name: 'res_pjsip_endpoint_identifier_ip',
    description: 'PJSIP IP endpoint identifier',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  async load(ctx) {
    const pjsip = ctx.use('pjsip');
    ctx.core.sorcery.registerType(IDENTIFY_TYPE);
    const matchers = new Map<string, IpMatcher>();
    const compile = async (i: IdentifyObject) => matchers.set(i.id, new IpMatcher(i.match, await resolveHosts(i.match)));
    await Promise.all(ctx.core.sorcery.retrieveAll<IdentifyObject>('identify').map(compile));
    ctx.core.sorcery.observe('identify', (ev: ObjectEvent) => {
      if (ev.kind === 'deleted') matchers.delete(ev.object.id);
      else void compile(ev.object as IdentifyObject);
    });
    const identifies = () => ctx.core.sorcery.retrieveAll<IdentifyObject>('identify');
    const allowed = (name: string, method: 'ip' | 'header' | 'request_uri'): EndpointObject | undefined => {
      const e = pjsip.endpoint(name);
      return e && e.identify_by.includes(method) ? e : undefined;
    };
    ctx.track(
      pjsip.registerEndpointIdentifier('ip', (_req: SipRequest, source: SourceInfo) => {
        for (const i of identifies()) {
          if (matchers.get(i.id)?.matches(source.remoteAddress, source.remotePort)) {
            const e = allowed(i.endpoint, 'ip');
            if (e) return e;
          }
        }
        return undefined;
      }),
    );
    ctx.track(
      pjsip.registerEndpointIdentifier('header', (req: SipRequest) => {
        for (const i of identifies()) {
          if (!i.match_header) continue;
          const colon = i.match_header.indexOf(':');
          const name = i.match_header.slice(0, colon).trim();
          const want = i.match_header.slice(colon + 1).trim();
          const hit = req.getHeaders(name).some((v) => (want.length > 1 && want.startsWith('/') && want.endsWith('/') ? new RegExp(want.slice(1, -1)).test(v) : v.trim() === want));
          if (hit) {
            const e = allowed(i.endpoint, 'header');
            if (e) return e;
          }
        }
        return undefined;
      }),
    );
  },
});
