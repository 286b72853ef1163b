/**
 * res_pjsip_endpoint_identifier_user: finds the endpoint named like the From user
 * (`username`, trying `user@domain` first as Asterisk does) or like the Authorization username
 * (`auth_username`), for endpoints whose identify_by allows it.
 */
import { defineModule } from '../core/module.js';
import { parseDigestCredentials } from '../core/sip/header-values.js';
import type { SipRequest } from '../core/sip/message.js';
import { parseUri } from '../core/sip/uri.js';
import type { EndpointObject } from './res_pjsip/object-types.js';
import type { PjsipService } from './res_pjsip/service.js';

function byName(pjsip: PjsipService, user: string, domain: string | undefined, method: 'username' | 'auth_username'): EndpointObject | undefined {
  for (const name of domain ? [`${user}@${domain}`, user] : [user]) {
    const e = pjsip.endpoint(name);
    if (e && e.identify_by.includes(method)) return e;
  }
  return undefined;
}

export default defineModule({
  info: {
    name: 'res_pjsip_endpoint_identifier_user',
    description: 'PJSIP username endpoint identifier',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    ctx.track(
      pjsip.registerEndpointIdentifier('username', (req: SipRequest) => {
        const u = parseUri(req.from.uri);
        if (!u?.user) return undefined;
        // Request user parameters (;phone-context...) are not part of the name.
        // A malformed escape (`%zz`, `%C0%80`) names no endpoint; decodeURIComponent would throw.
        let user: string; try { user = decodeURIComponent(u.user.split(';')[0]!); } catch { return undefined; }
        return byName(pjsip, user, u.host, 'username');
      }),
    );
    ctx.track(
      pjsip.registerEndpointIdentifier('auth_username', (req: SipRequest) => {
        for (const v of req.getHeaders('Authorization')) {
          const c = parseDigestCredentials(v);
          if (c?.username) {
            const e = byName(pjsip, c.username, c.realm, 'auth_username');
            if (e) return e;
          }
        }
        return undefined;
      }),
    );
  },
});
