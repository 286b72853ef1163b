/**
 * application/pidf+xml from extension state: Asterisk's res_pjsip_pidf_body_generator.c over
 * pjproject's pidf.c. The document before supplements:
 *
 *   <presence entity="LOCAL" xmlns="urn:ietf:params:xml:ns:pidf">
 *    <note>Ready</note>
 *    <tuple id="EXTEN">
 *     <status><basic>open</basic></status>
 *     <contact priority="1">CONTACT</contact>
 *    </tuple>
 *   </presence>
 *
 * Difference from Asterisk, on purpose: CONTACT is the presentity's URI (what RFC 3863 means
 * by a tuple's contact, and what clients correlate on) unless the data asks for Asterisk's
 * watcher URI with `pidfContactIsWatcher` (asterisk/asterisk#1898).
 */
import type { ExtenStateData } from '../body-data.js';
import type { BodyGenerator } from '../types.js';
import { extenStateToStrings, stripAngleBrackets } from './presence-xml.js';
import { printXml, XmlElement } from './xml-writer.js';

export const PIDF_MEDIA_TYPE = 'application/pidf+xml';
export const PIDF_XMLNS = 'urn:ietf:params:xml:ns:pidf';

export const pidfBodyGenerator: BodyGenerator<'exten_state', XmlElement> = {
  mediaType: PIDF_MEDIA_TYPE,
  bodyKind: 'exten_state',

  /** pjpidf_create: the root with `entity` then `xmlns`. */
  allocate(data: ExtenStateData): XmlElement {
    return new XmlElement('presence').addAttr('entity', stripAngleBrackets(data.local)).addAttr('xmlns', PIDF_XMLNS);
  },

  generate(pres: XmlElement, data: ExtenStateData): void {
    const s = extenStateToStrings(data.extenState);
    pres.addChild('note').content = s.pidfNote;
    const tuple = pres.addChild('tuple').addAttr('id', data.exten);
    tuple.addChild('status').addChild('basic').content = s.pidfBasic;
    const contact = tuple.addChild('contact');
    contact.content = data.pidfContactIsWatcher === true ? data.remote : stripAngleBrackets(data.local);
    contact.addAttr('priority', '1');
  },

  toString: printXml,
};
