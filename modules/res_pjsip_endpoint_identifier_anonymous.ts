/**
 * res_pjsip_endpoint_identifier_anonymous: requests nothing else identified go to the endpoint
 * named `anonymous`, when one is configured (Asterisk's guest access).
 */
import { defineModule } from '../core/module.js';

export default defineModule({
  info: {
    name: 'res_pjsip_endpoint_identifier_anonymous',
    description: 'PJSIP Anonymous endpoint identifier',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    ctx.track(pjsip.registerEndpointIdentifier('anonymous', () => pjsip.endpoint('anonymous')));
  },
});
