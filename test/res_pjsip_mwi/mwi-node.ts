/** A res_pjsip node with res_pjsip_mwi loaded from its built file, and SIP helpers for MWI tests. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SipRequest, SipResponse } from '../../core/sip/message.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import type { TestSipClient } from '../support/sip-client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/modules/res_pjsip_mwi.js */
export const MWI_MODULE = path.resolve(here, '..', '..', 'modules', 'res_pjsip_mwi.js');

export const MODULES_CONF = `[modules]\nautoload = yes\nload => ${MWI_MODULE}\n`;

/** For tests that run their own MWI engine (startMwi) against a node: the module stays out. */
export const NO_MWI_MODULES_CONF = '[modules]\nautoload = yes\nnoload => res_pjsip_mwi\n';

export const TRANSPORTS = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0
`;

/** A node whose modules.conf loads res_pjsip_mwi by path (it is not in the catalogue yet). */
export function startMwiNode(pjsipConf: string, dir?: string): Promise<PjsipNode> {
  return startPjsipNode(pjsipConf, { 'modules.conf': MODULES_CONF }, dir);
}

export const isNotify = (r: SipRequest) => r.method === 'NOTIFY';

export function notifies(c: TestSipClient): SipRequest[] {
  return c.received.filter(isNotify);
}

/** Waits until the client has received `count` NOTIFYs in all, and returns them. */
export async function waitNotifies(c: TestSipClient, count: number, timeoutMs = 5000): Promise<SipRequest[]> {
  const deadline = Date.now() + timeoutMs;
  while (notifies(c).length < count) {
    if (Date.now() > deadline) assert.fail(`expected ${count} NOTIFYs, got ${notifies(c).length}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return notifies(c);
}

/** Resolves after `ms` of quiet, then checks no more NOTIFYs than `count` arrived. */
export async function expectNoMoreNotifies(c: TestSipClient, count: number, ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  assert.equal(notifies(c).length, count, `NOTIFYs: ${notifies(c).map((n) => n.bodyText().replace(/\r\n/g, ' | ')).join(' // ')}`);
}

/** REGISTERs `user` (From user = endpoint, To = the AOR) with the client's own address as contact. */
export async function register(c: TestSipClient, n: PjsipNode, endpoint: string, aor = endpoint, expires = 120): Promise<SipResponse> {
  const transport = c.protocol === 'tcp' ? ';transport=tcp' : '';
  const res = await c.request('REGISTER', `sip:127.0.0.1:${c.protocol === 'tcp' ? n.tcpPort : n.udpPort}`, {
    fromUser: endpoint,
    toUri: `sip:${aor}@127.0.0.1`,
    headers: [
      ['Contact', `<sip:${endpoint}@127.0.0.1:${c.localPort}${transport}>`],
      ['Expires', String(expires)],
    ],
  });
  assert.equal(res.status, 200, `REGISTER ${endpoint} to ${aor}: ${res.status} ${res.reason}`);
  return res;
}

/** A message-summary body split into its lines (CRLF line ends, checked). */
export function bodyLines(req: SipRequest): string[] {
  const body = req.bodyText();
  assert.ok(body.endsWith('\r\n'), `body ends with CRLF: ${JSON.stringify(body)}`);
  return body.slice(0, -2).split('\r\n');
}

/** The three lines Asterisk writes for these counts. */
export function expectedLines(nw: number, old: number, account?: string): string[] {
  return [`Messages-Waiting: ${nw > 0 ? 'yes' : 'no'}`, ...(account ? [`Message-Account: ${account}`] : []), `Voice-Message: ${nw}/${old} (0/0)`];
}
