/**
 * `type=aor` of pjsip.conf (res/res_pjsip/location.c, ast_sip_initialize_sorcery_location).
 * Contacts learnt by REGISTER are `contact` objects in Asterisk's astdb, not pjsip.conf
 * sections, so the `contact` type is not declared here; `contact=` lines on an AoR are its
 * permanent (static) contacts.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseContactUris, uintInRange, type OptionValues } from './option-parsers.js';

/** What the registrar, res_pjsip_mwi and qualify read. */
const ACTED_ON = {
  max_contacts: { kind: 'uint', default: 0, description: '0 = REGISTER is refused for this AoR' },
  remove_existing: { kind: 'bool', default: false, description: 'over max_contacts, drop the oldest instead of refusing' },
  remove_unavailable: { kind: 'bool', default: false, description: 'over max_contacts, drop unreachable contacts first' },
  minimum_expiration: { kind: 'uint', default: 60, description: 'shorter Expires gets 423 Interval Too Brief' },
  maximum_expiration: { kind: 'uint', default: 7200, description: 'longer Expires is lowered to this' },
  default_expiration: { kind: 'uint', default: 3600, description: 'Expires when the REGISTER has none' },
  contact: {
    kind: 'list',
    multiple: true,
    default: [],
    convert: parseContactUris,
    description: 'permanent contacts; repeated lines and comma lists accumulate',
  },
  mailboxes: { kind: 'list', default: [], description: 'mailboxes served to MWI SUBSCRIBE for this AoR' },
  voicemail_extension: { kind: 'string', default: '', description: 'MWI resource alias and Message-Account user' },
  qualify_frequency: { kind: 'uint', default: 0, convert: uintInRange(0, 86400), description: 'OPTIONS every N s; 0 = never' },
  qualify_timeout: { kind: 'float', default: 3.0, schema: { minimum: 0 }, description: 'seconds to wait for the OPTIONS answer' },
  qualify_2xx_only: { kind: 'bool', default: false, description: 'only a 2xx to OPTIONS counts as reachable' },
  authenticate_qualify: { kind: 'bool', default: false, description: 'authenticate OPTIONS (Asterisk ignores it since 13.x)' },
  outbound_proxy: { kind: 'string', default: '', description: 'Route for requests to these contacts' },
  support_path: { kind: 'bool', default: false, description: 'store Path of REGISTER (RFC 3327)' },
} as const satisfies Record<string, OptionSpec>;

export const AOR_OPTIONS = ACTED_ON;

export type AorObject = SorceryObject & OptionValues<typeof AOR_OPTIONS>;

export const AOR_TYPE: ObjectTypeSpec = {
  type: 'aor',
  file: 'pjsip.conf',
  options: AOR_OPTIONS,
};
