/**
 * URI printing the way pjsip prints them in the places MWI NOTIFYs show them (pjsip's
 * sip_uri.c pjsip_url_print): in From/To the port, `transport`, `maddr`, `ttl`, `method`, `lr`
 * and header components are left out (RFC 3261 19.1.1 table 1), which is why Asterisk's
 * unsolicited NOTIFY says `To: <sip:mwiuser@127.0.0.1>` to a contact at port 5170.
 */
import { formatUri, parseUri, type SipUri } from '../../core/sip/uri.js';

const NOT_IN_FROM_TO = ['transport', 'maddr', 'ttl', 'method', 'lr'];

/** The URI as pjsip prints it inside From/To; unparsable text is returned as it is. */
export function fromToUri(uri: string): string {
  const u = parseUri(uri);
  if (!u || u.scheme === 'tel') return uri;
  const params = new Map(u.params);
  for (const p of NOT_IN_FROM_TO) params.delete(p);
  return formatUri({ ...u, port: null, params, headers: [] });
}

/** Characters RFC 3261 25.1 allows unescaped in a user part (unreserved and user-unreserved). */
const USER_CHARS = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

/** Escapes a configured user (endpoint name, voicemail extension) for the user part of a URI. */
export function escapeUser(user: string): string {
  let out = '';
  for (const ch of user) {
    if (USER_CHARS.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The URI with its user part replaced (Asterisk's set_voicemail_extension on a cloned URI). */
export function withUser(uri: string | SipUri, user: string): string | undefined {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  if (!u || u.scheme === 'tel') return undefined;
  return formatUri({ ...u, user: escapeUser(user), password: null, headers: [] });
}
