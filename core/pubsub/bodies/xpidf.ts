/**
 * application/xpidf+xml from extension state: Asterisk's res_pjsip_xpidf_body_generator.c over
 * pjproject's xpidf.c. Asterisk registers the same generator for application/cpim-pidf+xml
 * too, so a watcher asking for CPIM-PIDF gets this XPIDF document labelled cpim-pidf (a quirk
 * kept on purpose: clients that ask for it are tuned to it).
 *
 *   <presence>
 *    <presentity uri="LOCAL;method=SUBSCRIBE" />
 *    <atom atomid="UNIQUE" id="EXTEN">
 *     <address uri="REMOTE;user=ip" priority="0.80000">
 *      <status status="open" />
 *      <msnsubstatus substatus="online" />
 *     </address>
 *    </atom>
 *   </presence>
 *
 * `atomid` is a fresh unique string per generated body (pj_create_unique_string: a UUID on
 * Linux, as on the wire); tests may inject their own.
 */
import { randomUUID } from 'node:crypto';
import type { ExtenStateData } from '../body-data.js';
import type { BodyGenerator } from '../types.js';
import { extenStateToStrings, stripAngleBrackets } from './presence-xml.js';
import { printXml, XmlElement } from './xml-writer.js';

export const XPIDF_MEDIA_TYPE = 'application/xpidf+xml';
export const CPIM_PIDF_MEDIA_TYPE = 'application/cpim-pidf+xml';

export interface XpidfGeneratorOptions {
  /** Makes the `atomid` of each body; default crypto.randomUUID. */
  atomId?: () => string;
}

export function createXpidfGenerator(
  mediaType: string,
  opts: XpidfGeneratorOptions = {},
): BodyGenerator<'exten_state', XmlElement> {
  const atomId = opts.atomId ?? randomUUID;
  return {
    mediaType,
    bodyKind: 'exten_state',

    /** pjxpidf_create: presentity, atom with its atomid, address and an `open` status. */
    allocate(data: ExtenStateData): XmlElement {
      const local = stripAngleBrackets(data.local);
      const pres = new XmlElement('presence');
      pres.addChild('presentity').addAttr('uri', local + ';method=SUBSCRIBE');
      const address = pres.addChild('atom').addAttr('atomid', atomId()).addChild('address').addAttr('uri', local);
      address.addChild('status').addAttr('status', 'open');
      return pres;
    },

    generate(pres: XmlElement, data: ExtenStateData): void {
      const s = extenStateToStrings(data.extenState);
      const atom = pres.findOrAddChild('atom').setAttr('id', data.exten);
      const address = atom.findOrAddChild('address').setAttr('uri', data.remote + ';user=ip');
      address.addAttr('priority', '0.80000');
      address.findOrAddChild('status').setAttr('status', s.xpidfStatus);
      address.findOrAddChild('msnsubstatus').setAttr('substatus', s.xpidfSubstatus);
    },

    toString: printXml,
  };
}

export const xpidfBodyGenerator = createXpidfGenerator(XPIDF_MEDIA_TYPE);
export const cpimPidfBodyGenerator = createXpidfGenerator(CPIM_PIDF_MEDIA_TYPE);
