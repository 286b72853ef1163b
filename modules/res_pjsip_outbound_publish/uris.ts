/**
 * The URIs of one publication. Asterisk (sip_outbound_publisher_set_uris) replaces the user of
 * server_uri, to_uri and from_uri with the publisher's user, then hands From and To to pjsip in
 * swapped order, so the wire From carries to_uri and To carries from_uri (visible in the golden
 * capture publish-asterisk-outbound.txt: `From: <sip:to-cfg@...>`, `To: <sip:from-cfg@...>`).
 *
 * Here From and To go where configured. With multi_user the resource becomes the user of the
 * Request-URI and To (the presentity, RFC 3903 4.1); From stays the configured publisher identity
 * (from_uri, else server_uri), so an ESC that identifies the sender by From (an Asterisk ESC
 * matching endpoints by user) still recognises us. From and To keep the configured port.
 */
import type { PublicationUris } from '../../core/pubsub/types.js';
import { formatUri, parseUri } from '../../core/sip/uri.js';

/** Characters RFC 3261 25.1 allows unescaped in a user part (unreserved and user-unreserved). */
const USER_CHARS = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

export function escapeUser(user: string): string {
  let out = '';
  for (const ch of user) {
    if (USER_CHARS.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The URI with its user replaced; the URI unchanged when it does not parse (checked at load). */
export function withUser(uri: string, user: string | undefined): string {
  if (user === undefined || user === '') return uri;
  const u = parseUri(uri);
  if (!u || u.scheme === 'tel') return uri;
  return formatUri({ ...u, user: escapeUser(user), password: null });
}

export interface UriConfig {
  server_uri: string;
  from_uri: string;
  to_uri: string;
  multi_user: boolean;
}

export function publicationUris(cfg: UriConfig, resource: string | undefined): PublicationUris {
  const user = cfg.multi_user ? resource : undefined;
  const from = cfg.from_uri !== '' ? cfg.from_uri : cfg.server_uri;
  const to = cfg.to_uri !== '' ? cfg.to_uri : cfg.server_uri;
  return {
    requestUri: withUser(cfg.server_uri, user),
    fromUri: from,
    toUri: withUser(to, user),
    localUri: withUser(from, resource),
    remoteUri: withUser(to, resource),
  };
}
