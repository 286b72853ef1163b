/** application/pidf+xml bodies for extension state (Asterisk's res_pjsip_pidf_body_generator). */
import { defineModule } from '../core/module.js';
import { pidfBodyGenerator } from '../core/pubsub/bodies/pidf.js';

export default defineModule({
  info: {
    name: 'res_pjsip_pidf_body_generator',
    description: 'PJSIP Extension State PIDF Provider',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodyGenerators.register(pidfBodyGenerator.mediaType, pidfBodyGenerator);
  },
});
