/**
 * Digium phones' presence tuple: Asterisk's res_pjsip_pidf_digium_body_supplement.c. Only for
 * watchers whose User-Agent contains `digium` or `sangoma` (any case):
 *
 *   <tuple id="digium-presence">
 *    <status>
 *     <digium_presence type="away" subtype="lunch">back at 2</digium_presence>
 *    </status>
 *   </tuple>
 *
 * `type` is the presence state's name (not_set, unavailable, available, away, xa, chat, dnd);
 * `subtype` only when non-empty; the message is the content only when non-empty.
 * Difference from Asterisk: the INVALID presence state prints `type=""` where Asterisk's
 * printer writes a bare `type` (not XML).
 */
import { presenceStateToString } from '../../state/presence-state.js';
import type { ExtenStateData } from '../body-data.js';
import type { BodySupplement } from '../types.js';
import { PIDF_MEDIA_TYPE } from './pidf.js';
import type { XmlElement } from './xml-writer.js';

/** After the eyebeam supplement (see EYEBEAM_SUPPLEMENT_PRIORITY). */
export const DIGIUM_SUPPLEMENT_PRIORITY = 10;

/** Whether a User-Agent is a Digium (or Sangoma) phone. */
export function isDigiumUserAgent(userAgent: string | undefined): boolean {
  if (userAgent === undefined || userAgent === '') return false;
  const ua = userAgent.toLowerCase();
  return ua.includes('digium') || ua.includes('sangoma');
}

export const pidfDigiumBodySupplement: BodySupplement<'exten_state', XmlElement> = {
  mediaType: PIDF_MEDIA_TYPE,
  bodyKind: 'exten_state',
  supplement(pres: XmlElement, data: ExtenStateData): void {
    if (!isDigiumUserAgent(data.userAgent)) return;
    const tuple = pres.addChild('tuple').addAttr('id', 'digium-presence');
    const dp = tuple.addChild('status').addChild('digium_presence');
    const { state, subtype, message } = data.presence;
    if (message) dp.content = message;
    dp.addAttr('type', presenceStateToString(state));
    if (subtype) dp.addAttr('subtype', subtype);
  },
};
