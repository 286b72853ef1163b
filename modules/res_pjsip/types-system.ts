/**
 * `type=system` (res/res_pjsip/config_system.c) and `type=domain_alias`
 * (res/res_pjsip/config_domain_aliases.c) of pjsip.conf. The system object is read once at
 * start (Asterisk registers it without reload); too-small timers are raised with a warning rather
 * than refused, which effectiveSystemTimers() reproduces.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import type { OptionValues } from './option-parsers.js';

/** TIMER_T1_MIN of config_system.c (ms). */
export const TIMER_T1_MIN = 100;

const SYSTEM_ACTED_ON = {
  timer_t1: { kind: 'uint', default: 500, description: 'RFC 3261 T1 in ms (at least 100)' },
  timer_b: { kind: 'uint', default: 32000, description: 'transaction timeout in ms (at least 64*T1)' },
  compact_headers: { kind: 'bool', default: false, description: 'send compact header names' },
  disable_tcp_switch: { kind: 'bool', default: true, description: 'no: large UDP requests switch to TCP (RFC 3261 18.1.1)' },
  disable_rport: { kind: 'bool', default: false, description: 'leave rport out of our Via' },
} as const satisfies Record<string, OptionSpec>;

/** Threading and INVITE media options: accepted, meaningless here. */
const SYSTEM_ACCEPTED = {
  threadpool_initial_size: { kind: 'uint', default: 0 },
  threadpool_auto_increment: { kind: 'uint', default: 5 },
  threadpool_idle_timeout: { kind: 'uint', default: 60 },
  threadpool_max_size: { kind: 'uint', default: 50 },
  follow_early_media_fork: { kind: 'bool', default: true },
  accept_multiple_sdp_answers: { kind: 'bool', default: false },
} as const satisfies Record<string, OptionSpec>;

export const SYSTEM_OPTIONS = { ...SYSTEM_ACTED_ON, ...SYSTEM_ACCEPTED } as const;

export type SystemObject = SorceryObject & OptionValues<typeof SYSTEM_OPTIONS>;

export const SYSTEM_TYPE: ObjectTypeSpec = {
  type: 'system',
  file: 'pjsip.conf',
  options: SYSTEM_OPTIONS,
};

/** system_apply: T1 raised to 100 ms, timer B to 64*T1, with the warnings Asterisk logs. */
export function effectiveSystemTimers(s: Pick<SystemObject, 'timer_t1' | 'timer_b'>): { t1: number; timerB: number; warnings: string[] } {
  const warnings: string[] = [];
  let t1 = s.timer_t1;
  if (t1 < TIMER_T1_MIN) {
    warnings.push(`Timer T1 setting is too low. Setting to ${TIMER_T1_MIN}`);
    t1 = TIMER_T1_MIN;
  }
  let timerB = s.timer_b;
  if (timerB < 64 * t1) {
    warnings.push(`Timer B setting is too low. Setting to ${64 * t1}`);
    timerB = 64 * t1;
  }
  return { t1, timerB, warnings };
}

const DOMAIN_ALIAS_OPTIONS_TABLE = {
  domain: { kind: 'string', default: '', description: 'the domain this alias (the section name) stands for; required' },
} as const satisfies Record<string, OptionSpec>;

export const DOMAIN_ALIAS_OPTIONS = DOMAIN_ALIAS_OPTIONS_TABLE;

export type DomainAliasObject = SorceryObject & OptionValues<typeof DOMAIN_ALIAS_OPTIONS>;

export const DOMAIN_ALIAS_TYPE: ObjectTypeSpec = {
  type: 'domain_alias',
  file: 'pjsip.conf',
  options: DOMAIN_ALIAS_OPTIONS,
  check: (o) => ((o as DomainAliasObject).domain === '' ? 'missing required domain being aliased' : undefined),
};
