/**
 * `type=asterisk-publication` (pjsip.conf), Asterisk's res_pjsip_publish_asterisk object: what
 * a peer publishing to us may change, and which outbound-publish objects carry our refresh
 * request and our answers to the peer's.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';

export const ASTERISK_PUBLICATION = 'asterisk-publication';

/** Asterisk compiles filters as POSIX extended, case-insensitive, unanchored: the same in JS for the usual patterns. */
export function compileFilter(raw: string): RegExp | undefined {
  if (raw === '') return undefined;
  try {
    return new RegExp(raw, 'i');
  } catch {
    throw new Error(`'${raw}' is not a valid regular expression`);
  }
}

export interface AsteriskPublicationObject extends SorceryObject {
  devicestate_publish: string;
  mailboxstate_publish: string;
  device_state: boolean;
  device_state_filter: RegExp | undefined;
  mailbox_state: boolean;
  mailbox_state_filter: RegExp | undefined;
}

export const ASTERISK_PUBLICATION_TYPE: ObjectTypeSpec = {
  type: ASTERISK_PUBLICATION,
  file: 'pjsip.conf',
  options: {
    devicestate_publish: { kind: 'string', default: '', description: 'outbound-publish that sends our refresh request and answers the peer\'s (asterisk-devicestate)' },
    mailboxstate_publish: { kind: 'string', default: '', description: 'the same for mailbox state (asterisk-mwi)' },
    device_state: { kind: 'bool', default: false, description: 'accept device states published by the peer' },
    device_state_filter: { kind: 'regex', convert: compileFilter, description: 'only devices matching this regex (ERE, case-insensitive) are accepted' },
    mailbox_state: { kind: 'bool', default: false, description: 'accept mailbox states published by the peer' },
    mailbox_state_filter: { kind: 'regex', convert: compileFilter, description: 'only mailboxes (uniqueid) matching this regex are accepted' },
  },
};
