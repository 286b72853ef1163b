/** application/dialog-info+xml bodies for extension state (Asterisk's res_pjsip_dialog_info_body_generator). */
import { defineModule } from '../core/module.js';
import { dialogInfoBodyGenerator } from '../core/pubsub/bodies/dialog-info.js';

export default defineModule({
  info: {
    name: 'res_pjsip_dialog_info_body_generator',
    description: 'PJSIP Extension State Dialog Info+XML Provider',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip', 'res_pjsip_pubsub'],
  },
  load(ctx) {
    ctx.core.bodyGenerators.register(dialogInfoBodyGenerator.mediaType, dialogInfoBodyGenerator);
  },
});
