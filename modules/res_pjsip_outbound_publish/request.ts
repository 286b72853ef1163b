/**
 * One PUBLISH request (RFC 3903 4), header order as pjsip's publishc writes it in the golden
 * captures (exten-state-publish-dialog-info.txt):
 *
 *   PUBLISH sip:1000@127.0.0.1:5162 SIP/2.0
 *   Via: ...
 *   From: <sip:...>;tag=...
 *   To: <sip:1000@...>
 *   Call-ID: ...
 *   CSeq: 27362 PUBLISH
 *   Event: dialog
 *   SIP-If-Match: et115            (modify, refresh, remove)
 *   Expires: 40                    (0 for remove)
 *   Max-Forwards: 70
 *   User-Agent: ...
 *   Content-Type: application/dialog-info+xml   (initial, modify)
 */
import type { PublishBody } from '../../core/pubsub/types.js';
import { SipRequest } from '../../core/sip/message.js';
import { generateTag } from '../../core/sip/serializer.js';

/** RFC 3903 4.1: initial (body, no If-Match), modify (body + If-Match), refresh (If-Match only), remove (If-Match, Expires 0). */
export type PublishKind = 'initial' | 'modify' | 'refresh' | 'remove';

export interface PublishRequestInit {
  kind: PublishKind;
  requestUri: string;
  fromUri: string;
  toUri: string;
  callId: string;
  cseq: number;
  event: string;
  etag?: string;
  /** Seconds; undefined leaves Expires out (the server picks its default). Ignored for remove (0). */
  expires?: number;
  body?: PublishBody;
  /** outbound_proxy: a Route set of one. */
  route?: string;
  maxForwards: number;
  userAgent: string;
}

export function buildPublish(init: PublishRequestInit): SipRequest {
  const headers: Array<[string, string]> = [
    // A placeholder the stack overwrites in place, so Via stays first.
    ['Via', 'SIP/2.0/UDP invalid;branch=z9hG4bKplaceholder'],
  ];
  if (init.route !== undefined && init.route !== '') headers.push(['Route', `<${init.route}>`]);
  headers.push(
    ['From', `<${init.fromUri}>;tag=${generateTag()}`],
    ['To', `<${init.toUri}>`],
    ['Call-ID', init.callId],
    ['CSeq', `${init.cseq} PUBLISH`],
    ['Event', init.event],
  );
  if (init.kind !== 'initial' && init.etag !== undefined) headers.push(['SIP-If-Match', init.etag]);
  if (init.kind === 'remove') headers.push(['Expires', '0']);
  else if (init.expires !== undefined) headers.push(['Expires', String(init.expires)]);
  headers.push(['Max-Forwards', String(init.maxForwards)], ['User-Agent', init.userAgent]);
  const withBody = (init.kind === 'initial' || init.kind === 'modify') && init.body !== undefined;
  if (withBody) headers.push(['Content-Type', init.body!.contentType]);
  return new SipRequest('PUBLISH', init.requestUri, headers, withBody ? init.body!.text : undefined);
}
