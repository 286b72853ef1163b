/**
 * Which AOR a message-summary SUBSCRIBE is for (Asterisk's find_aor_for_resource): the
 * Request-URI user names an AOR directly, or is the `voicemail_extension` of one of the
 * subscribing endpoint's AORs; an empty user means all of the endpoint's AORs.
 */
import type { AorObject, EndpointObject } from '../res_pjsip/object-types.js';

/** The lookups resolution needs (the `pjsip` service has them). */
export interface AorLookup {
  aor(name: string): AorObject | undefined;
}

/**
 * The AOR a resource names. As in Asterisk a direct match may be any AOR, not only one of the
 * endpoint's; the voicemail extension is compared case-insensitively (strcasecmp).
 */
export function findAorForResource(pjsip: AorLookup, endpoint: Pick<EndpointObject, 'aors'> | undefined, resource: string): AorObject | undefined {
  if (resource === '') return undefined;
  const direct = pjsip.aor(resource);
  if (direct) return direct;
  if (!endpoint) return undefined;
  const wanted = resource.toLowerCase();
  for (const name of endpoint.aors) {
    const aor = pjsip.aor(name.trim());
    if (aor && aor.voicemail_extension !== '' && aor.voicemail_extension.toLowerCase() === wanted) return aor;
  }
  return undefined;
}

/** The endpoint's AORs that exist, each once, in configured order. */
export function endpointAors(pjsip: AorLookup, endpoint: Pick<EndpointObject, 'aors'>): AorObject[] {
  const out: AorObject[] = [];
  const seen = new Set<string>();
  for (const raw of endpoint.aors) {
    const name = raw.trim();
    if (name === '' || seen.has(name)) continue;
    seen.add(name);
    const aor = pjsip.aor(name);
    if (aor) out.push(aor);
  }
  return out;
}
