/**
 * application/xpidf+xml and application/cpim-pidf+xml bodies for extension state (Asterisk's
 * res_pjsip_xpidf_body_generator: both types get the XPIDF document). The description is
 * Asterisk's, which says PIDF.
 */
import { defineModule } from '../core/module.js';
import { cpimPidfBodyGenerator, xpidfBodyGenerator } from '../core/pubsub/bodies/xpidf.js';

export default defineModule({
  info: {
    name: 'res_pjsip_xpidf_body_generator',
    description: 'PJSIP Extension State PIDF Provider',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodyGenerators.register(xpidfBodyGenerator.mediaType, xpidfBodyGenerator);
    ctx.core.bodyGenerators.register(cpimPidfBodyGenerator.mediaType, cpimPidfBodyGenerator);
  },
});
