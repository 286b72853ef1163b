/** The RPID `<dm:person>` activities in PIDF (Asterisk's res_pjsip_pidf_eyebeam_body_supplement). */
import { defineModule } from '../core/module.js';
import { EYEBEAM_SUPPLEMENT_PRIORITY, pidfEyebeamBodySupplement } from '../core/pubsub/bodies/pidf-eyebeam-supplement.js';

export default defineModule({
  info: {
    name: 'res_pjsip_pidf_eyebeam_body_supplement',
    description: 'PJSIP PIDF Eyebeam supplement',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodySupplements.register(pidfEyebeamBodySupplement.mediaType, pidfEyebeamBodySupplement, EYEBEAM_SUPPLEMENT_PRIORITY);
  },
});
