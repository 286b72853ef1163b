/**
 * The local address a request to a target leaves from: the transport the stack will pick for it
 * (the named one, else the first of the protocol and address family, as SipStack.pick does).
 * Asterisk asks pjsip's transport manager the same question (pjsip_tpmgr_find_local_addr) to
 * write the From and Contact of out-of-dialog requests.
 */
import os from 'node:os';
import type { RequestTarget, TransportInfo } from '../../core/sip/stack.js';
import type { LocalAddress } from './unsolicited-request.js';

/** A wildcard bind says nothing to the far end: use an interface address, as the stack's Via does. */
function concrete(address: string): string {
  if (address !== '0.0.0.0' && address !== '::') return address;
  const v6 = address === '::';
  for (const list of Object.values(os.networkInterfaces())) {
    for (const ni of list ?? []) {
      if (!ni.internal && (ni.family === 'IPv6') === v6 && !(v6 && ni.address.startsWith('fe80'))) return ni.address;
    }
  }
  return v6 ? '::1' : '127.0.0.1';
}

export function localAddressFor(transports: readonly TransportInfo[], target: RequestTarget): LocalAddress | undefined {
  let t: TransportInfo | undefined;
  if (target.transport !== undefined) t = transports.find((x) => x.name === target.transport);
  else {
    const protocol = target.protocol ?? 'udp';
    const v6 = target.host.includes(':');
    t = transports.find((x) => x.protocol === protocol && x.address.includes(':') === v6);
  }
  if (!t) return undefined;
  return { host: concrete(t.address), port: t.port, protocol: t.protocol };
}
