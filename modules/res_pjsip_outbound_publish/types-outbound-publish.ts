/**
 * `type=outbound-publish` of pjsip.conf (res/res_pjsip_outbound_publish.c load_module), every
 * option with Asterisk's default, plus the `@name` extended options its event publishers read
 * (`@body`, `@context`, `@exten`, `@device_state_filter`, `@mailbox_state_filter`).
 *
 * The whole-object check is validate_publish_config: server_uri and event are required, and
 * server_uri, from_uri, to_uri must be sip:/sips: URIs (Asterisk also checks pjproject's URL
 * length limit, which we do not have). outbound_proxy must be a SIP URI too (Asterisk fails
 * later, when the client is created).
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import { parseUri } from '../../core/sip/uri.js';
import type { OptionValues } from '../res_pjsip/option-parsers.js';

export const OUTBOUND_PUBLISH_OPTIONS = {
  server_uri: { kind: 'string', default: '', description: 'Request-URI (required); multi_user replaces its user' },
  from_uri: { kind: 'string', default: '', description: 'From URI; empty = server_uri' },
  to_uri: { kind: 'string', default: '', description: 'To URI; empty = server_uri (multi_user replaces its user)' },
  event: { kind: 'string', default: '', description: 'Event header and the event publisher that feeds it (required)' },
  expiration: { kind: 'uint', default: 3600, description: 'Expires asked for on every PUBLISH; 0 = none (the server decides)' },
  outbound_auth: { kind: 'list', default: [], description: 'auth objects answering 401/407' },
  outbound_proxy: { kind: 'string', default: '', description: 'full SIP URI of a proxy: the Route of every PUBLISH (add \\;lr)' },
  max_auth_attempts: { kind: 'uint', default: 5, description: 'challenges answered in a row before the publication stops' },
  transport: { kind: 'string', default: '', description: 'transport to send on; empty = the first of the URI\'s protocol' },
  multi_user: { kind: 'bool', default: false, description: 'one publication per resource (Request-URI/To user)' },
} as const satisfies Record<string, OptionSpec>;

export type OutboundPublishObject = SorceryObject & OptionValues<typeof OUTBOUND_PUBLISH_OPTIONS>;

function sipUri(value: string): boolean {
  const u = parseUri(value);
  return u !== null && (u.scheme === 'sip' || u.scheme === 'sips');
}

function checkOutboundPublish(o: SorceryObject): string | undefined {
  const p = o as OutboundPublishObject;
  if (p.server_uri === '') return 'No server URI specified';
  if (!sipUri(p.server_uri)) return `Server URI '${p.server_uri}' is not a sip(s) URI`;
  if (p.event.trim() === '') return 'No event type specified';
  if (p.from_uri !== '' && !sipUri(p.from_uri)) return `From URI '${p.from_uri}' is not a sip(s) URI`;
  if (p.to_uri !== '' && !sipUri(p.to_uri)) return `To URI '${p.to_uri}' is not a sip(s) URI`;
  if (p.outbound_proxy !== '' && !sipUri(p.outbound_proxy)) return `Outbound proxy '${p.outbound_proxy}' is not a sip(s) URI`;
  return undefined;
}

export const OUTBOUND_PUBLISH_TYPE: ObjectTypeSpec = {
  type: 'outbound-publish',
  file: 'pjsip.conf',
  options: OUTBOUND_PUBLISH_OPTIONS,
  extended: true,
  check: checkOutboundPublish,
};

/**
 * Options whose change needs a new client (old publications removed, new ones made), as
 * Asterisk's can_reuse_publish plus multi_user; we add the extended options, which Asterisk
 * leaves stale until the next restart (a changed `@body` kept the old body type). The others
 * (expiration, max_auth_attempts, transport) apply to the next PUBLISH in place.
 */
export function needsNewClient(a: OutboundPublishObject, b: OutboundPublishObject): boolean {
  return (
    a.server_uri !== b.server_uri ||
    a.from_uri !== b.from_uri ||
    a.to_uri !== b.to_uri ||
    a.outbound_proxy !== b.outbound_proxy ||
    a.event.toLowerCase() !== b.event.toLowerCase() ||
    a.multi_user !== b.multi_user ||
    a.outbound_auth.join(',') !== b.outbound_auth.join(',') ||
    JSON.stringify(a.extended) !== JSON.stringify(b.extended)
  );
}
