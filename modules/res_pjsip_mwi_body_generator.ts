/** application/simple-message-summary bodies for MWI (Asterisk's res_pjsip_mwi_body_generator). */
import { defineModule } from '../core/module.js';
import { messageSummaryBodyGenerator } from '../core/pubsub/bodies/message-summary.js';

export default defineModule({
  info: {
    name: 'res_pjsip_mwi_body_generator',
    description: 'PJSIP MWI resource',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodyGenerators.register(messageSummaryBodyGenerator.mediaType, messageSummaryBodyGenerator);
  },
});
