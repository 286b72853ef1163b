/**
 * One unsolicited MWI NOTIFY, built as Asterisk builds it (res_pjsip_mwi.c
 * send_unsolicited_mwi_notify_to_contact over res_pjsip.c create_out_of_dialog_request and
 * sip_dialog_create_from), header for header as in the golden capture mwi-unsolicited.txt:
 *
 *   NOTIFY sip:mwiuser@127.0.0.1:5170 SIP/2.0
 *   Via: SIP/2.0/UDP 127.0.0.1:5160;rport;branch=...
 *   From: <sip:mwiuser@127.0.0.1>;tag=...
 *   To: <sip:mwiuser@127.0.0.1>
 *   Contact: <sip:mwiuser@127.0.0.1:5160>
 *   Call-ID: ...
 *   CSeq: 27629 NOTIFY
 *   Subscription-State: terminated
 *   Event: message-summary
 *   Allow-Events: message-summary, presence, dialog, refer
 *   Max-Forwards: 70
 *   User-Agent: ...
 *   Content-Type: application/simple-message-summary
 *
 * - From user: the endpoint's `from_user`, else its name; `mwi_from_user` replaces it in From
 *   only (the Contact keeps it, as the capture shows). Host: `from_domain`, else the address
 *   and port of the transport the NOTIFY leaves on, `;transport=TCP` off UDP.
 * - To: the contact URI, printed as pjsip prints From/To (no port, no transport).
 * - `Subscription-State: terminated`: Asterisk builds the per-contact data without a state,
 *   so its switch falls to `terminated`; phones expect exactly this for unsolicited MWI.
 * - `Message-Account`: the From URI (with port) with the user set to the endpoint's
 *   `voicemail_extension`, else the global `default_voicemail_extension`; none when both are
 *   empty.
 */
import { randomInt } from 'node:crypto';
import { SipRequest } from '../../core/sip/message.js';
import { generateCallId, generateTag } from '../../core/sip/serializer.js';
import { MESSAGE_SUMMARY_MEDIA_TYPE } from '../../core/pubsub/bodies/message-summary.js';
import type { EndpointObject, GlobalObject } from '../res_pjsip/object-types.js';
import { escapeUser, fromToUri, withUser } from './uris.js';

/** The local end of the transport a NOTIFY leaves on. */
export interface LocalAddress {
  host: string;
  port: number;
  protocol: string;
}

export interface UnsolicitedIdentity {
  /** The From URI as built (with port), before From/To printing drops parts of it. */
  fromUri: string;
  contactUri: string;
  /** Message-Account URI, absent when no voicemail extension is configured. */
  messageAccount?: string;
}

type IdentityEndpoint = Pick<EndpointObject, 'id' | 'from_user' | 'from_domain' | 'contact_user' | 'mwi_from_user' | 'voicemail_extension'>;
type IdentityGlobal = Pick<GlobalObject, 'default_voicemail_extension' | 'disable_multi_domain'>;

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The user part as sip_dialog_create_from writes it: `user` or, multi-domain, `user@domain`. */
function userPart(user: string): string {
  const at = user.indexOf('@');
  return at < 0 ? escapeUser(user) : `${escapeUser(user.slice(0, at))}@${user.slice(at + 1)}`;
}

export function unsolicitedIdentity(endpoint: IdentityEndpoint, global: IdentityGlobal, local: LocalAddress): UnsolicitedIdentity {
  const user = endpoint.from_user !== '' ? endpoint.from_user : endpoint.id;
  const protocol = local.protocol.toLowerCase();
  const transport = protocol === 'udp' ? '' : `;transport=${protocol.toUpperCase()}`;
  let base: string;
  if (!global.disable_multi_domain && user.includes('@')) base = `sip:${userPart(user)}${transport}`;
  else if (endpoint.from_domain !== '') base = `sip:${userPart(user)}@${endpoint.from_domain}${transport}`;
  else base = `sip:${userPart(user)}@${bracket(local.host)}:${local.port}${transport}`;

  const contactUri = endpoint.contact_user !== '' ? (withUser(base, endpoint.contact_user) ?? base) : base;
  const fromUri = endpoint.mwi_from_user !== '' ? (withUser(base, endpoint.mwi_from_user) ?? base) : base;
  const ext = endpoint.voicemail_extension !== '' ? endpoint.voicemail_extension : global.default_voicemail_extension;
  const identity: UnsolicitedIdentity = { fromUri, contactUri };
  if (ext !== '') {
    const account = withUser(fromUri, ext);
    if (account) identity.messageAccount = account;
  }
  return identity;
}

export interface UnsolicitedNotifyInit {
  /** The contact's URI: Request-URI, and To as pjsip prints it. */
  contactUri: string;
  identity: UnsolicitedIdentity;
  allowEvents: readonly string[];
  maxForwards: number;
  userAgent: string;
  /** The rendered application/simple-message-summary body. */
  body: string;
  /** Endpoint `outbound_proxy`: a Route set of one. */
  outboundProxy?: string;
  callId?: string;
  fromTag?: string;
  cseq?: number;
}

/**
 * The request, Via first: the stack writes the real Via over the placeholder in place
 * (setHeader keeps the position of the first value), so the header order is Asterisk's.
 */
export function buildUnsolicitedNotify(init: UnsolicitedNotifyInit): SipRequest {
  const headers: Array<[string, string]> = [
    ['Via', 'SIP/2.0/UDP invalid;branch=z9hG4bKplaceholder'],
    ['From', `<${fromToUri(init.identity.fromUri)}>;tag=${init.fromTag ?? generateTag()}`],
    ['To', `<${fromToUri(init.contactUri)}>`],
    ['Contact', `<${init.identity.contactUri}>`],
    ['Call-ID', init.callId ?? generateCallId()],
    // pjsip starts an out-of-dialog request's CSeq at a random 16-bit number.
    ['CSeq', `${init.cseq ?? randomInt(1, 65536)} NOTIFY`],
    ['Subscription-State', 'terminated'],
    ['Event', 'message-summary'],
  ];
  if (init.allowEvents.length > 0) headers.push(['Allow-Events', init.allowEvents.join(', ')]);
  if (init.outboundProxy) headers.push(['Route', `<${init.outboundProxy}>`]);
  headers.push(['Max-Forwards', String(init.maxForwards)], ['User-Agent', init.userAgent], ['Content-Type', MESSAGE_SUMMARY_MEDIA_TYPE]);
  return new SipRequest('NOTIFY', init.contactUri, headers, init.body);
}
