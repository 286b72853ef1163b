/**
 * The sorcery object types of pjsip.conf that res_pjsip registers: endpoint, aor, auth,
 * identify (res_pjsip_endpoint_identifier_ip in Asterisk), global, system, transport and
 * domain_alias, each with every option Asterisk accepts. Types owned by other modules
 * (resource_list, inbound-publication, outbound-publish, asterisk-publication, registration,
 * ...) are declared by those modules; sorcery leaves their sections alone.
 */
import type { ObjectTypeSpec } from '../../core/registry/sorcery.js';
import { AOR_TYPE } from './types-aor.js';
import { AUTH_TYPE } from './types-auth.js';
import { ENDPOINT_TYPE } from './types-endpoint.js';
import { GLOBAL_TYPE } from './types-global.js';
import { IDENTIFY_TYPE } from './types-identify.js';
import { DOMAIN_ALIAS_TYPE, SYSTEM_TYPE } from './types-system.js';
import { TRANSPORT_TYPE } from './types-transport.js';

export const PJSIP_OBJECT_TYPES: readonly ObjectTypeSpec[] = Object.freeze([
  SYSTEM_TYPE,
  GLOBAL_TYPE,
  TRANSPORT_TYPE,
  AUTH_TYPE,
  AOR_TYPE,
  ENDPOINT_TYPE,
  IDENTIFY_TYPE,
  DOMAIN_ALIAS_TYPE,
]);

export { AOR_OPTIONS, AOR_TYPE, type AorObject } from './types-aor.js';
export {
  AUTH_OPTIONS,
  AUTH_TYPE,
  DEFAULT_AUTH_ALGORITHMS,
  authPasswordDigests,
  effectiveAuthAlgorithms,
  type AuthObject,
} from './types-auth.js';
export { ENDPOINT_OPTIONS, ENDPOINT_TYPE, IDENTIFY_BY_METHODS, type EndpointObject, type IdentifyByMethod } from './types-endpoint.js';
export { DEFAULT_USER_AGENT, GLOBAL_OPTIONS, GLOBAL_TYPE, globalDefaults, globalOrDefaults, type GlobalObject } from './types-global.js';
export {
  IDENTIFY_OPTIONS,
  IDENTIFY_TYPE,
  parseIdentifyHeader,
  parseIdentifyRequestUri,
  type IdentifyObject,
  type IdentifyPattern,
} from './types-identify.js';
export {
  DOMAIN_ALIAS_OPTIONS,
  DOMAIN_ALIAS_TYPE,
  SYSTEM_OPTIONS,
  SYSTEM_TYPE,
  TIMER_T1_MIN,
  effectiveSystemTimers,
  type DomainAliasObject,
  type SystemObject,
} from './types-system.js';
export {
  TRANSPORT_OPTIONS,
  TRANSPORT_PROTOCOLS,
  TRANSPORT_TYPE,
  transportBindPort,
  type TransportObject,
  type TransportProtocol,
} from './types-transport.js';
export { networkContains, type BindAddress, type HostMatch, type NetworkMatch } from './option-parsers.js';
