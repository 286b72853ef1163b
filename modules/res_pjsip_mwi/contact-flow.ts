/**
 * Which registration flow, if any, an unsolicited NOTIFY to a contact may reuse.
 *
 * Asterisk sends it to the contact's URI and pjsip's transport manager looks a connection up by
 * the destination address, so the connection the REGISTER came on is only reused when the
 * Contact names that connection's far end:
 * - `rewrite_contact=yes` stores the REGISTER's source address as the contact URI (res_pjsip_nat),
 *   so the NOTIFY goes back over the REGISTER's connection (the NAT case);
 * - a WebSocket contact is always rewritten to its source (res_pjsip_transport_websocket): its
 *   `.invalid` host can only be reached over the connection it registered on;
 * - otherwise (the default) the Contact URI is dialled. The REGISTER may come from another
 *   process than the phone (a registration proxy, SIPp's registering run, a softphone's helper),
 *   or from a short-lived connection its sender is already closing: writing the NOTIFY into it
 *   loses it. A phone that registers from its listening port is still reached over its own
 *   connection, because the transport reuses an open connection to the same address and port.
 */
import type { EndpointObject } from '../res_pjsip/object-types.js';
import type { AorContact } from '../res_pjsip/service.js';

export function contactFlow(endpoint: Pick<EndpointObject, 'rewrite_contact'>, contact: AorContact): AorContact['flow'] {
  const flow = contact.flow;
  if (!flow) return undefined;
  if (endpoint.rewrite_contact) return flow;
  const proto = flow.protocol.toLowerCase();
  return proto === 'ws' || proto === 'wss' ? flow : undefined;
}
