/**
 * Nodes for the state-exchange tests and bench: each with its own temp root, asterisk.conf
 * (directories in that root and its own `[options] entityid`), pjsip.conf on a loopback UDP port.
 */
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PjsipService } from '../../modules/res_pjsip/service.js';
import { startInProcess, type InProcessNode } from '../support/node-harness.js';

export interface ExchangeNode extends InProcessNode {
  dir: string;
  port: number;
  pjsip: PjsipService;
}

/** A UDP port free on 127.0.0.1 right now (so two nodes can name each other before starting). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export function exchangeConfigDir(eid: string, pjsip: string, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tst-sx-'));
  const dir = path.join(root, 'etc');
  mkdirSync(dir);
  const files: Record<string, string> = {
    'asterisk.conf': `[directories]\nastdbdir => ${root}/db\nastrundir => ${root}/run\nastvarlibdir => ${root}/lib\nastspooldir => ${root}/spool\nastlogdir => ${root}/log\n[options]\nentityid = ${eid}\n`,
    'modules.conf': '[modules]\nautoload = yes\n',
    'extensions.conf': '[default]\n',
    'pjsip.conf': pjsip,
    ...extra,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export async function startExchangeNode(dir: string): Promise<ExchangeNode> {
  const n = await startInProcess(dir, { noControlSocket: true });
  const pjsip = n.node.core.services.get('pjsip') as PjsipService;
  const port = pjsip.stack.listTransports().find((t) => t.protocol === 'udp')?.port ?? 0;
  return { ...n, dir, port, pjsip };
}

export function transport(port: number): string {
  return `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${port}\n\n`;
}

/**
 * One side of the seed's bidirectional example ("Exchanging Device and Mailbox State Using
 * PJSIP"), addresses made loopback: `self` publishes to `peer` at `peerPort` using resource
 * `self`, and accepts what `peer` publishes to resource `peer`.
 */
export function seedInstance(o: {
  self: string;
  peer: string;
  port: number;
  peerPort: number;
  inboundExtra?: string;
  publishExtra?: string;
  endpointExtra?: string;
  extra?: string;
}): string {
  return (
    transport(o.port) +
    `[${o.peer}]\ntype=endpoint\n${o.endpointExtra ?? ''}\n` +
    `[${o.peer}-devicestate]\ntype=outbound-publish\nserver_uri=sip:${o.self}@127.0.0.1:${o.peerPort}\nevent=asterisk-devicestate\n${o.publishExtra ?? ''}\n` +
    `[${o.peer}-mwi]\ntype=outbound-publish\nserver_uri=sip:${o.self}@127.0.0.1:${o.peerPort}\nevent=asterisk-mwi\n${o.publishExtra ?? ''}\n` +
    `[${o.peer}]\ntype=inbound-publication\nevent_asterisk-devicestate=${o.peer}\nevent_asterisk-mwi=${o.peer}\n\n` +
    `[${o.peer}]\ntype=asterisk-publication\ndevicestate_publish=${o.peer}-devicestate\nmailboxstate_publish=${o.peer}-mwi\ndevice_state=yes\nmailbox_state=yes\n${o.inboundExtra ?? ''}\n` +
    (o.extra ?? '')
  );
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
