/**
 * `type=global` of pjsip.conf (res/res_pjsip/config_global.c). Asterisk keeps a single global
 * object (`single_object=yes,explicit_name=global`): each section is applied as it loads, so with
 * more than one the last stays in effect and an error is logged; with none the defaults apply. Counting sections is the res_pjsip
 * module's business (sorcery checks one object at a time); globalOrDefaults() gives the
 * all-defaults object.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseAlgorithmList, type OptionValues } from './option-parsers.js';

/** Asterisk sends `Asterisk PBX <version>`; we say what we are in the same shape. */
export const DEFAULT_USER_AGENT = 'Asterisk PBX tsterisk';

const ACTED_ON = {
  user_agent: { kind: 'string', default: DEFAULT_USER_AGENT, description: 'User-Agent of requests, Server of responses' },
  max_forwards: { kind: 'uint', default: 70, description: 'Max-Forwards of requests we send' },
  default_outbound_endpoint: { kind: 'string', default: 'default_outbound_endpoint', description: 'endpoint for requests to bare URIs' },
  debug: { kind: 'string', default: 'no', description: 'SIP message logging: yes, no or a host to log only' },
  endpoint_identifier_order: {
    kind: 'list',
    default: ['ip', 'username', 'anonymous'],
    description: 'identifier names in the order they run (unknown names are ignored, as in Asterisk)',
  },
  default_from_user: { kind: 'string', default: 'asterisk', description: 'From user when nothing better is known; not empty' },
  default_realm: { kind: 'string', default: 'asterisk', description: 'challenge realm of auths without realm' },
  default_voicemail_extension: { kind: 'string', default: '', description: 'Message-Account user fallback; empty = no line' },
  keep_alive_interval: { kind: 'uint', default: 90, description: 's between CRLF keep-alives on connection transports; 0 = off' },
  max_initial_qualify_time: { kind: 'uint', default: 0, description: 'spread startup qualifies over this many s' },
  contact_expiration_check_interval: { kind: 'uint', default: 30, description: 's between sweeps for expired contacts' },
  disable_multi_domain: { kind: 'bool', default: false, description: 'yes: ignore domains when identifying' },
  unidentified_request_count: { kind: 'uint', default: 5, description: 'unidentified requests from one IP before a security event' },
  unidentified_request_period: { kind: 'uint', default: 5, description: 'window (s) for unidentified_request_count' },
  unidentified_request_prune_interval: { kind: 'uint', default: 30, description: 's between prunes of that table' },
  mwi_tps_queue_high: { kind: 'uint', default: 500, description: 'MWI serializer queue high-water alert' },
  mwi_tps_queue_low: { kind: 'int', default: -1, description: 'MWI queue low-water; -1 = 90% of high' },
  mwi_disable_initial_unsolicited: { kind: 'bool', default: false, description: 'skip the boot-time unsolicited MWI burst' },
  ignore_uri_user_options: { kind: 'bool', default: false, description: 'cut Request-URI user at the first ; before lookups' },
  send_contact_status_on_update_registration: { kind: 'bool', default: false, description: 'AMI ContactStatus on every re-REGISTER' },
  // tsterisk's own: a per-source limit on new SUBSCRIBEs (503 + Retry-After beyond it).
  subscribe_rate_limit: { kind: 'uint', default: 500, description: 'new SUBSCRIBEs per second from one address; 0 = no limit' },
  subscribe_rate_burst: { kind: 'uint', default: 1000, description: 'SUBSCRIBEs one address may send at once before the rate applies' },
  taskprocessor_overload_trigger: {
    kind: 'enum',
    values: ['none', 'global', 'pjsip_only'],
    default: 'global',
    description: 'which queue overloads make the distributor refuse new dialogs',
  },
  norefersub: { kind: 'bool', default: true, description: 'advertise norefersub in Supported' },
  default_auth_algorithms_uas: { kind: 'list', default: ['MD5'], convert: parseAlgorithmList, description: 'for auths without supported_algorithms_uas' },
  default_auth_algorithms_uac: { kind: 'list', default: ['MD5'], convert: parseAlgorithmList, description: 'for auths without supported_algorithms_uac' },
} as const satisfies Record<string, OptionSpec>;

/** Call-related, accepted and ignored. */
const ACCEPTED = {
  regcontext: { kind: 'string', default: '', description: 'ignored: dialplan context of registered endpoints' },
  allow_sending_180_after_183: { kind: 'bool', default: false },
  use_callerid_contact: { kind: 'bool', default: false },
  all_codecs_on_empty_reinvite: { kind: 'bool', default: false },
} as const satisfies Record<string, OptionSpec>;

export const GLOBAL_OPTIONS = { ...ACTED_ON, ...ACCEPTED } as const;

export type GlobalObject = SorceryObject & OptionValues<typeof GLOBAL_OPTIONS>;

/** global_apply: debug and default_from_user may not be empty. */
function checkGlobal(o: SorceryObject): string | undefined {
  const g = o as GlobalObject;
  if (g.debug.trim() === '') return "option 'debug' can't be empty; remove it to accept 'no'";
  if (g.default_from_user === '') return "option 'default_from_user' can't be empty; remove it to accept 'asterisk'";
  return undefined;
}

export const GLOBAL_TYPE: ObjectTypeSpec = {
  type: 'global',
  file: 'pjsip.conf',
  options: GLOBAL_OPTIONS,
  check: checkGlobal,
};

/** The global object Asterisk applies when pjsip.conf has no `type=global` section. */
export function globalDefaults(): GlobalObject {
  const g: Record<string, unknown> = {
    id: 'global',
    type: 'global',
    source: { file: 'pjsip.conf', line: 0 },
    extended: {},
    patterned: {},
  };
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
    g[name] = Array.isArray(spec.default) ? [...(spec.default as readonly unknown[])] : spec.default;
  }
  return g as GlobalObject;
}

/** The global object in effect: the last configured one (the caller logs when there are several), else defaults. */
export function globalOrDefaults(configured: readonly GlobalObject[]): GlobalObject {
  return configured.length > 0 ? configured[configured.length - 1]! : globalDefaults();
}
