/**
 * `type=identify` of pjsip.conf (res_pjsip_endpoint_identifier_ip.c): which endpoint a request
 * belongs to by source address (`match`), by a header (`match_header`) or by Request-URI
 * (`match_request_uri`). Host names in `match` are kept as such; resolving them (with SRV when
 * srv_lookups=yes and no port is given) is the identifier module's job.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseIdentifyMatch, type OptionValues } from './option-parsers.js';

const ACTED_ON = {
  endpoint: { kind: 'string', default: '', description: 'required: the endpoint this identifies' },
  match: {
    kind: 'list',
    multiple: true,
    default: [],
    convert: parseIdentifyMatch,
    description: 'IPs, networks (/bits or /netmask, ! to exclude, optional :port) and host names; lines accumulate',
  },
  match_header: { kind: 'string', default: '', description: 'Name: value, or Name: /regex/' },
  match_request_uri: { kind: 'string', default: '', description: 'exact Request-URI, or /regex/' },
  srv_lookups: { kind: 'bool', default: true, description: 'resolve host names in match via SRV first' },
} as const satisfies Record<string, OptionSpec>;

export const IDENTIFY_OPTIONS = ACTED_ON;

export type IdentifyObject = SorceryObject & OptionValues<typeof IDENTIFY_OPTIONS>;

/** A literal value or a `/regex/` (POSIX ERE in Asterisk; the common subset is JavaScript-compatible). */
export type IdentifyPattern = { literal: string } | { regex: RegExp };

function pattern(value: string): IdentifyPattern {
  // "//" is an empty regex, the same as an empty literal.
  if (value === '//') return { literal: '' };
  if (value.length > 2 && value.startsWith('/') && value.endsWith('/')) return { regex: new RegExp(value.slice(1, -1)) };
  return { literal: value };
}

/** `match_header` split into header name and value pattern; throws a message when malformed. */
export function parseIdentifyHeader(matchHeader: string): { name: string; value: IdentifyPattern } {
  const colon = matchHeader.indexOf(':');
  if (colon === -1) throw new Error(`missing ':' separator in match_header '${matchHeader}'`);
  const name = matchHeader.slice(0, colon).trim();
  if (name === '') throw new Error(`no SIP header to match in match_header '${matchHeader}'`);
  try {
    return { name, value: pattern(matchHeader.slice(colon + 1).trim()) };
  } catch {
    throw new Error(`match_header regex in '${matchHeader}' does not compile`);
  }
}

/** `match_request_uri` as a pattern; throws a message when the regex does not compile. */
export function parseIdentifyRequestUri(matchRequestUri: string): IdentifyPattern {
  try {
    return pattern(matchRequestUri);
  } catch {
    throw new Error(`match_request_uri regex '${matchRequestUri}' does not compile`);
  }
}

/** ip_identify_apply: an endpoint, something to match, and well-formed header / URI patterns. */
function checkIdentify(o: SorceryObject): string | undefined {
  const i = o as IdentifyObject;
  if (i.endpoint === '') return 'missing required endpoint name';
  if (i.match.length === 0 && i.match_header === '' && i.match_request_uri === '') return 'not configured to match anything';
  try {
    if (i.match_header !== '') parseIdentifyHeader(i.match_header);
    if (i.match_request_uri !== '') parseIdentifyRequestUri(i.match_request_uri);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

export const IDENTIFY_TYPE: ObjectTypeSpec = {
  type: 'identify',
  file: 'pjsip.conf',
  options: IDENTIFY_OPTIONS,
  check: checkIdentify,
};
