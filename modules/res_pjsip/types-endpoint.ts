/**
 * `type=endpoint` of pjsip.conf, with every option Asterisk registers for it in
 * res/res_pjsip/pjsip_configuration.c (ast_res_pjsip_initialize_configuration), its type and its
 * default, so a real Asterisk pjsip.conf loads unchanged. The options tsterisk acts on come
 * first; the rest (media, NAT, calls, codecs, DTLS, T.38, ...) are accepted, type-checked and
 * kept on the object but nothing here uses them.
 *
 * Deliberate differences: yes/no options reject values that are neither (Asterisk's
 * OPT_BOOL_T silently reads them as "no"), and lists are stored as arrays.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import {
  enumList,
  exactEnum,
  parseCallerPresentation,
  parseDtlsVerify,
  parseFromUser,
  parseNetworkList,
  parseSetVar,
  parseTos,
  yesNoOr,
  type OptionValues,
} from './option-parsers.js';

/** identify_by methods (sip_endpoint_identifier_str2type). */
export const IDENTIFY_BY_METHODS = ['username', 'auth_username', 'ip', 'header', 'request_uri'] as const;
export type IdentifyByMethod = (typeof IDENTIFY_BY_METHODS)[number];

/** What res_pjsip_pubsub, res_pjsip_mwi, res_pjsip_exten_state, identification and auth read. */
const ACTED_ON = {
  context: { kind: 'string', default: 'default', description: 'dialplan context (hints for SUBSCRIBE unless subscribe_context)' },
  subscribe_context: { kind: 'string', default: '', description: 'context for SUBSCRIBE hint lookup; empty = context' },
  allow_subscribe: { kind: 'bool', default: true, description: 'no: out-of-dialog SUBSCRIBE gets 603' },
  sub_min_expiry: { kind: 'uint', default: 0, description: 'Expires below this gets 423 (code default 0; the XML doc says 60)' },
  aors: { kind: 'list', default: [], description: 'AoRs of the endpoint (MWI resources, contacts)' },
  auth: { kind: 'list', default: [], description: 'auth objects that verify inbound requests' },
  outbound_auth: { kind: 'list', default: [], description: 'auth objects for 401/407 to our requests' },
  transport: { kind: 'string', default: '', description: 'transport id for requests to the endpoint' },
  outbound_proxy: { kind: 'string', default: '', description: 'full SIP URI; becomes the Route set' },
  identify_by: {
    kind: 'list',
    default: ['username', 'ip'],
    convert: enumList(IDENTIFY_BY_METHODS),
    description: 'which identifiers may find this endpoint, in order',
  },
  from_user: { kind: 'string', default: '', convert: parseFromUser, description: 'user part of From in requests we send' },
  from_domain: { kind: 'string', default: '', description: 'host part of From in requests we send' },
  contact_user: { kind: 'string', default: '', description: 'user part of our Contact' },
  mailboxes: { kind: 'list', default: [], description: 'mailboxes for unsolicited MWI to the contacts' },
  voicemail_extension: { kind: 'string', default: '', description: 'Message-Account user; empty = global default_voicemail_extension' },
  mwi_from_user: { kind: 'string', default: '', description: 'From user of unsolicited MWI NOTIFY' },
  aggregate_mwi: { kind: 'bool', default: true, description: 'one NOTIFY summing all mailboxes' },
  mwi_subscribe_replaces_unsolicited: { kind: 'bool', default: false, description: 'SUBSCRIBE replaces unsolicited MWI instead of 500' },
  incoming_mwi_mailbox: { kind: 'string', default: '', description: 'mailbox@context fed by inbound unsolicited MWI NOTIFY' },
  device_state_busy_at: { kind: 'uint', default: 0, description: 'BUSY once this many channels are up; 0 = never' },
  notify_early_inuse_ringing: { kind: 'bool', default: false, description: 'dialog-info: InUse&Ringing reported as early' },
  allow_unauthenticated_options: { kind: 'bool', default: false, description: 'OPTIONS skip authentication' },
  callerid: { kind: 'string', default: '', description: '"Name" <number> of the endpoint' },
  accountcode: { kind: 'string', default: '' },
  language: { kind: 'string', default: '' },
  tenantid: { kind: 'string', default: '' },
  deny: { kind: 'list', multiple: true, default: [], convert: parseNetworkList, description: 'source ACL, denied networks' },
  permit: { kind: 'list', multiple: true, default: [], convert: parseNetworkList, description: 'source ACL, permitted networks' },
  acl: { kind: 'list', multiple: true, default: [], description: 'named ACLs (acl.conf)' },
  contact_deny: { kind: 'list', multiple: true, default: [], convert: parseNetworkList },
  contact_permit: { kind: 'list', multiple: true, default: [], convert: parseNetworkList },
  contact_acl: { kind: 'list', multiple: true, default: [] },
  // tsterisk's own: Asterisk puts the watcher's URI in the PIDF <contact> (asterisk#1898).
  pidf_contact: {
    kind: 'enum',
    values: ['presentity', 'watcher'],
    default: 'presentity',
    description: "PIDF <contact>: the presentity's URI (RFC 3863), or 'watcher' for Asterisk's behaviour",
  },
} as const satisfies Record<string, OptionSpec>;

/** Accepted for compatibility, ignored by tsterisk (no media, no calls). Types and defaults as Asterisk's. */
const ACCEPTED = {
  // codecs and negotiation
  allow: { kind: 'list', multiple: true, default: [], description: 'ignored: codecs' },
  disallow: { kind: 'list', multiple: true, default: [], description: 'ignored: codecs' },
  codec_prefs_incoming_offer: { kind: 'string', default: 'prefer: pending, operation: intersect, keep: all, transcode: allow' },
  codec_prefs_outgoing_offer: { kind: 'string', default: 'prefer: pending, operation: union, keep: all, transcode: allow' },
  codec_prefs_incoming_answer: { kind: 'string', default: 'prefer: pending, operation: intersect, keep: all' },
  codec_prefs_outgoing_answer: { kind: 'string', default: 'prefer: pending, operation: intersect, keep: all' },
  incoming_call_offer_pref: { kind: 'enum', values: ['local', 'local_first', 'remote', 'remote_first'], default: 'local' },
  outgoing_call_offer_pref: {
    kind: 'enum',
    values: ['local', 'local_merge', 'local_first', 'remote', 'remote_merge', 'remote_first'],
    default: 'remote_merge',
  },
  preferred_codec_only: { kind: 'bool', default: false },
  asymmetric_rtp_codec: { kind: 'bool', default: false },
  max_audio_streams: { kind: 'uint', default: 1 },
  max_video_streams: { kind: 'uint', default: 1 },
  g726_non_standard: { kind: 'bool', default: false },
  // DTMF, RTP, media addressing
  dtmf_mode: { kind: 'enum', values: ['rfc4733', 'inband', 'info', 'none', 'auto', 'auto_info'], default: 'rfc4733' },
  rtp_ipv6: { kind: 'bool', default: false },
  rtp_symmetric: { kind: 'bool', default: false },
  ice_support: { kind: 'bool', default: false },
  use_ptime: { kind: 'bool', default: false },
  rtp_engine: { kind: 'string', default: 'asterisk' },
  rtp_keepalive: { kind: 'uint', default: 0 },
  rtp_timeout: { kind: 'uint', default: 0 },
  rtp_timeout_hold: { kind: 'uint', default: 0 },
  rtcp_mux: { kind: 'bool', default: false },
  bundle: { kind: 'bool', default: false },
  webrtc: { kind: 'bool', default: false },
  use_avpf: { kind: 'bool', default: false },
  force_avp: { kind: 'bool', default: false },
  media_use_received_transport: { kind: 'bool', default: false },
  media_address: { kind: 'string', default: '' },
  bind_rtp_to_media_address: { kind: 'bool', default: false },
  media_encryption: { kind: 'enum', values: ['no', 'sdes', 'dtls'], default: 'no' },
  media_encryption_optimistic: { kind: 'bool', default: false },
  srtp_tag_32: { kind: 'bool', default: false },
  sdp_owner: { kind: 'string', default: '-' },
  sdp_session: { kind: 'string', default: 'Asterisk' },
  tos_audio: { kind: 'uint', default: 0, convert: parseTos },
  tos_video: { kind: 'uint', default: 0, convert: parseTos },
  cos_audio: { kind: 'uint', default: 0 },
  cos_video: { kind: 'uint', default: 0 },
  follow_early_media_fork: { kind: 'bool', default: true },
  accept_multiple_sdp_answers: { kind: 'bool', default: false },
  ignore_183_without_sdp: { kind: 'bool', default: false },
  suppress_moh_on_sendonly: { kind: 'bool', default: false },
  // DTLS (ast_rtp_dtls_cfg_parse)
  dtls_verify: { kind: 'string', default: 'no', convert: parseDtlsVerify },
  dtls_rekey: { kind: 'uint', default: 0 },
  dtls_auto_generate_cert: { kind: 'bool', default: false },
  dtls_cert_file: { kind: 'string', default: '' },
  dtls_private_key: { kind: 'string', default: '' },
  dtls_cipher: { kind: 'string', default: '' },
  dtls_ca_file: { kind: 'string', default: '' },
  dtls_ca_path: { kind: 'string', default: '' },
  dtls_setup: { kind: 'enum', values: ['active', 'passive', 'actpass'] },
  dtls_fingerprint: { kind: 'enum', values: ['SHA-256', 'SHA-1'] },
  // NAT and session
  force_rport: { kind: 'bool', default: true },
  rewrite_contact: { kind: 'bool', default: false },
  '100rel': { kind: 'string', default: 'yes', convert: yesNoOr(['peer_supported', 'required'] as const) },
  timers: { kind: 'string', default: 'yes', convert: yesNoOr(['required', 'always'] as const, { forced: 'always' }) },
  timers_min_se: { kind: 'uint', default: 90 },
  timers_sess_expires: { kind: 'uint', default: 1800 },
  direct_media: { kind: 'bool', default: true },
  direct_media_method: { kind: 'enum', values: ['invite', 'reinvite', 'update'], default: 'invite' },
  direct_media_glare_mitigation: { kind: 'enum', values: ['none', 'outgoing', 'incoming'], default: 'none' },
  disable_direct_media_on_nat: { kind: 'bool', default: false },
  moh_suggest: { kind: 'string', default: 'default' },
  moh_passthrough: { kind: 'bool', default: false },
  inband_progress: { kind: 'bool', default: false },
  allow_overlap: { kind: 'bool', default: true },
  overlap_context: { kind: 'string', default: '' },
  allow_transfer: { kind: 'bool', default: true },
  refer_blind_progress: { kind: 'bool', default: true },
  redirect_method: { kind: 'enum', values: ['user', 'uri_core', 'uri_pjsip'], default: 'user' },
  user_eq_phone: { kind: 'bool', default: false },
  suppress_q850_reason_headers: { kind: 'bool', default: false },
  send_aoc: { kind: 'bool', default: false },
  message_context: { kind: 'string', default: '' },
  set_var: { kind: 'string', multiple: true, default: [], convert: parseSetVar },
  // caller identity
  callerid_privacy: { kind: 'string', default: 'allowed_not_screened', convert: parseCallerPresentation },
  callerid_tag: { kind: 'string', default: '' },
  trust_id_inbound: { kind: 'bool', default: false },
  trust_id_outbound: { kind: 'bool', default: false },
  trust_connected_line: { kind: 'bool', default: true },
  send_connected_line: { kind: 'bool', default: true },
  connected_line_method: { kind: 'enum', values: ['invite', 'reinvite', 'update'], default: 'invite' },
  send_pai: { kind: 'bool', default: false },
  send_rpid: { kind: 'bool', default: false },
  rpid_immediate: { kind: 'bool', default: false },
  send_diversion: { kind: 'bool', default: true },
  send_history_info: { kind: 'bool', default: false },
  // pickup, recording, fax
  call_group: { kind: 'string', default: '' },
  pickup_group: { kind: 'string', default: '' },
  named_call_group: { kind: 'string', default: '' },
  named_pickup_group: { kind: 'string', default: '' },
  one_touch_recording: { kind: 'bool', default: false },
  record_on_feature: { kind: 'string', default: 'automixmon' },
  record_off_feature: { kind: 'string', default: 'automixmon' },
  tone_zone: { kind: 'string', default: '' },
  fax_detect: { kind: 'bool', default: false },
  fax_detect_timeout: { kind: 'uint', default: 0 },
  t38_udptl: { kind: 'bool', default: false },
  t38_udptl_ec: { kind: 'string', default: 'none', convert: exactEnum(['none', 'fec', 'redundancy'] as const) },
  t38_udptl_maxdatagram: { kind: 'uint', default: 0 },
  t38_udptl_nat: { kind: 'bool', default: false },
  t38_udptl_ipv6: { kind: 'bool', default: false },
  t38_bind_udptl_to_media_address: { kind: 'bool', default: false },
  // STIR/SHAKEN, geolocation, security agreements
  stir_shaken: { kind: 'string', description: 'ignored by Asterisk too (use stir_shaken_profile)' },
  stir_shaken_profile: { kind: 'string', default: '' },
  geoloc_incoming_call_profile: { kind: 'string', default: '' },
  geoloc_outgoing_call_profile: { kind: 'string', default: '' },
  security_mechanisms: { kind: 'string', default: '' },
  security_negotiation: { kind: 'enum', values: ['no', 'mediasec'], default: 'no' },
} as const satisfies Record<string, OptionSpec>;

export const ENDPOINT_OPTIONS = { ...ACTED_ON, ...ACCEPTED } as const;

export type EndpointObject = SorceryObject & OptionValues<typeof ENDPOINT_OPTIONS>;

/** sip_endpoint_apply_handler's checks that concern configuration. */
function checkEndpoint(o: SorceryObject): string | undefined {
  const e = o as EndpointObject;
  if (e.timers_min_se < 90) return 'timers_min_se must be 90 or greater';
  if (e.timers_sess_expires < e.timers_min_se) return 'timers_sess_expires must not be less than timers_min_se';
  if (e.preferred_codec_only && e.incoming_call_offer_pref !== 'local') {
    return 'preferred_codec_only and incoming_call_offer_pref cannot both be set';
  }
  return undefined;
}

export const ENDPOINT_TYPE: ObjectTypeSpec = {
  type: 'endpoint',
  file: 'pjsip.conf',
  options: ENDPOINT_OPTIONS,
  check: checkEndpoint,
};
