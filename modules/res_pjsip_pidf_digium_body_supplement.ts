/** The `digium-presence` PIDF tuple for Digium/Sangoma phones (Asterisk's res_pjsip_pidf_digium_body_supplement). */
import { defineModule } from '../core/module.js';
import { DIGIUM_SUPPLEMENT_PRIORITY, pidfDigiumBodySupplement } from '../core/pubsub/bodies/pidf-digium-supplement.js';

export default defineModule({
  info: {
    name: 'res_pjsip_pidf_digium_body_supplement',
    description: 'PJSIP PIDF Digium presence supplement',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodySupplements.register(pidfDigiumBodySupplement.mediaType, pidfDigiumBodySupplement, DIGIUM_SUPPLEMENT_PRIORITY);
  },
});
