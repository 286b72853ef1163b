/**
 * Eyebeam's RPID extension to PIDF: Asterisk's res_pjsip_pidf_eyebeam_body_supplement.c.
 * Always applied when loaded: adds `xmlns:dm` and `xmlns:rpid` to the root and a
 * `<dm:person>` holding `<rpid:activities><rpid:on-the-phone /></rpid:activities>` when the
 * extension is in use, ringing or on hold, and empty (`<dm:person />`) otherwise.
 */
import type { ExtenStateData } from '../body-data.js';
import type { BodySupplement } from '../types.js';
import { PIDF_MEDIA_TYPE } from './pidf.js';
import { extenStateToStrings } from './presence-xml.js';
import type { XmlElement } from './xml-writer.js';

export const PIDF_DM_XMLNS = 'urn:ietf:params:xml:ns:pidf:data-model';
export const PIDF_RPID_XMLNS = 'urn:ietf:params:xml:ns:pidf:rpid';

/**
 * Registration priority: runs before the Digium supplement, so `<dm:person>` precedes the
 * `digium-presence` tuple as on Asterisk's wire (where the order is only the load order).
 */
export const EYEBEAM_SUPPLEMENT_PRIORITY = 0;

export const pidfEyebeamBodySupplement: BodySupplement<'exten_state', XmlElement> = {
  mediaType: PIDF_MEDIA_TYPE,
  bodyKind: 'exten_state',
  supplement(pres: XmlElement, data: ExtenStateData): void {
    const person = pres.addChild('dm:person');
    const activity = extenStateToStrings(data.extenState).rpidActivity;
    if (activity !== undefined) person.addChild('rpid:activities').addChild('rpid:' + activity);
    pres.addAttr('xmlns:dm', PIDF_DM_XMLNS).addAttr('xmlns:rpid', PIDF_RPID_XMLNS);
  },
};
