/**
 * Inputs the fuzz campaigns found (bench/fuzz.ts isolates them), replayed as regression tests:
 * each must get an ordinary answer (not 500) and leave no ERROR line in the node's log.
 *
 * - A From user with a malformed %-escape (`%zz`, `%:z`, `to%cfg`: %CF starts no valid UTF-8
 *   sequence there) made res_pjsip_endpoint_identifier_user's decodeURIComponent throw: 500
 *   and `ERROR ... Failed to handle SUBSCRIBE ...: URI malformed` (seeds 1, 2, 3).
 * - The same in the To user of a REGISTER made the registrar's AOR lookup throw.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { makeConfigDir, startInProcess, type InProcessNode } from '../support/node-harness.js';
import type { PjsipService } from '../../modules/res_pjsip/service.js';
import { FUZZ_PJSIP_CONF } from './campaign.js';

/** Exact inputs isolated by `npm run fuzz -- --seed S` (their top Via asks for rport). */
const ISOLATED: Array<{ name: string; base64: string }> = [
  {
    name: 'seed 1 #2715: SUBSCRIBE, From <sip:%:z@127.0.0.1>',
    base64:
      'U1VCU0NSSUJFIHNpcDoxMDAwQDEyNy4wLjAuMTo1MTYwIFNJUC8yLjANClZpYTogU0lQLzIuMC9VRFAgMTI3LjAuMC4xOjUxNzA7cnBvcnQ7YnJhbmNoPXo5aEc0Yks2NjAwNTEzNmRkYzlmMDQzDQpNYXgtRm9yd2FyZHM6IDcwDQpGcm9tOiA8c2lwOiU6ekAxMjcuMC4wLjE+O3RhZz0xDQpUbzogPHNpcDoxMDAwQDEyNy4wLjAuMTo1MTYwPg0KQ2FsbC1JRDogMzdmZDM2ZDI2NDZjOTgxMkBkcml2ZQ0KQ1NlcTogMSBTVUJTQ1JJQkUNCkNvbnRhY3Q6IDxzaXA6d2F0Y2hlckAxMjcuMC4wLjE6NTA3MD4NCkV2ZW50OiBwcmVzZW5jZQ0KQXV0aG9yaXphdGlvbjogRGlnZXN0ICwsLCwsLCwsDQpBY2NlcHQ6IGFwcGxpY2F0aW9uL2RpYWxvZy1pbmZvK3htbA0KRXhwaXJlczogNjAwDQpDb250ZW50LUxlbmd0aDogMA0KDQo=',
  },
  {
    name: 'seed 2 #22563: SUBSCRIBE, From <sip:%zz@127.0.0.1>',
    base64:
      'U1VCU0NSSUJFIHNpcDoxMDAwSDEyNy4wLjAuMTo1MTYwIFNJUC8yLjANClZpYTogU0lQLzIuMC9VRFAgMTI3LjAuMC4xOjUxNzA7cnBvcnQ7YnJhbmNoPXo5aEc0YksxMDI2Y2FmMjc4ZmJkNGJhDQpNYXgtRm9yd2FyZHM6IDYwDQpGcm9tOiA8c2lwOiV6ekAxMjcuMC4wLjE+O3RhZz0xDQpUbzogPHNpcDoxMDAwQDEyNy4wLjAuMTo1MTYwPg0KQ2FsbC1JRDogMzlkZTNiNzU0NzY2MDQ1OEBkcml2ZQ0KQ1NlcTogMSBTVUJTQ1JJQkUNCkNvbnRhY3Q6IDxzeXA6d2F0Y2hlckAxMjcuMC4wLjE6NTE3MD4NCkV2ZW50OiBwcmVzZW5jZQ0KQWNjZXB0OiBhcHBsaWNhdGlvbi9waWRmK3htbA0KRXhwaXJlczogNjAwDQpDb250ZW50LUxlbmd0aDogMA0KDQo=',
  },
  {
    name: 'seed 3 #32913: PUBLISH, From <sip:to%cfg@127.0.0.1> (bit flip)',
    base64:
      'UFVCTElTSCBzaXA6YXN0LXBlZXJAMTI3LjAuMC4xOjUxNjEgU0lQLzIuMA0KVmlhOiBTSVAvMi4wL1VEUCAxMjcuMC4wLjE6NTE2MDtycG9ydDticmFuY2g9ejloRzRiS3BqZDViODNjMzgtMTM3NS00NDJkLTg4MzMtNWQwZWQxOGY4NzMzDQpGcm9tOiA8c2lwOnRvJWNmZ0AxMjcuMC4wLjE+O3RhZz01OTAwMTFgMi1iZTc3LTRiYmQtOGFhZi0yYWNiOTIyYTAzNTUNClRvOiA8c2lwOmZyb20tY2ZnQDEyNy4wLjAuMT4NCkNhbGwtSUQ6IDQyNWI0MWIyLTFlMjktNGFkZC04NTI5LTIwOTNlMzA1NjhjNA0KQ1NlcTogNDQ0MjMgUFVCTElTSA0KRXZlbnQ6IGFzdGVyaXNrLWRldmljZXN0YXRlDQpTSVAtSWYtTWF0Y2g6IGV0MTIyDQpFeHBpcmVzOiAzMA0KTWF4LUZvcndhcmRzOiA3MA0KVXNlci1BZ2VudDogQXNkZXJpc2sgUEJYIEdJVC1tYXN0ZXItZjBjMWMxYTdiNw0KQ29udGVudC1UeXBlOiBhcHBsaWNhdGlvbi9qc29uDQpDb250ZW50LUxlbmd0aDogICAxMDUNCg0KeyJ0eXBlIjoiZGV2aWNlc3RhdGUiLCJkZXZpY2UiOiJDdXN0b206YWxpY2UiLCJzdGF0ZSI6Ik5PVF9JTlVTRSIsImNhY2hhYmxlIjoxLCJlaWQiOiIwMjowMDowMDowMDowMDowMSJ9',
  },
];

function crafted(port: number, branch: string, first: string, from: string, to: string, method: string): Buffer {
  return Buffer.from(
    `${first}\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=${branch}\r\nMax-Forwards: 70\r\n` +
      `From: ${from};tag=f${branch}\r\nTo: ${to}\r\nCall-ID: ${branch}@findings\r\nCSeq: 1 ${method}\r\n` +
      `Contact: <sip:w@127.0.0.1:${port}>\r\nEvent: presence\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n`,
  );
}

describe('fuzz findings: inputs that once broke request handling', function () {
  this.timeout(20000);
  let node: InProcessNode;
  let port: number;
  let sock: dgram.Socket;
  let dir: string;

  before(async () => {
    dir = makeConfigDir({
      'modules.conf': '[modules]\nautoload=yes\n',
      'pjsip.conf': FUZZ_PJSIP_CONF,
      'extensions.conf': '[blf]\nexten => 1000,hint,Custom:alice\n',
    });
    node = await startInProcess(dir, { noControlSocket: true });
    const pjsip = node.node.core.services.get('pjsip') as PjsipService;
    port = pjsip.stack.listTransports().find((t) => t.protocol === 'udp')!.port;
    sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  });

  after(async () => {
    sock.close();
    await node.stop();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  /** Sends one datagram; resolves with the status of the first final response. */
  async function answer(data: Buffer): Promise<{ status: number; errors: string[] }> {
    const before = node.logs.length;
    const status = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no final response within 3 s')), 3000);
      const onMessage = (m: Buffer): void => {
        const s = Number(/^SIP\/2\.0 (\d{3})/.exec(m.toString('latin1', 0, 16))?.[1] ?? 0);
        if (s < 200) return;
        clearTimeout(t);
        sock.off('message', onMessage);
        resolve(s);
      };
      sock.on('message', onMessage);
      sock.send(data, port, '127.0.0.1');
    });
    return { status, errors: node.logs.slice(before).filter((l) => /\] ERROR\[/.test(l)) };
  }

  for (const input of ISOLATED) {
    it(`${input.name}: answered without 500 or ERROR`, async () => {
      const r = await answer(Buffer.from(input.base64, 'base64'));
      assert.notEqual(r.status, 500);
      assert.deepEqual(r.errors, []);
    });
  }

  it('SUBSCRIBE from an undecodable From user is challenged like an unknown one', async () => {
    const me = sock.address().port;
    const r = await answer(crafted(me, 'z9hG4bKfind1', 'SUBSCRIBE sip:1000@127.0.0.1 SIP/2.0', '<sip:%C0%80@127.0.0.1>', '<sip:1000@127.0.0.1>', 'SUBSCRIBE'));
    assert.equal(r.status, 401);
    assert.deepEqual(r.errors, []);
  });

  it('REGISTER to an undecodable To user finds no AOR (404)', async () => {
    const me = sock.address().port;
    const r = await answer(crafted(me, 'z9hG4bKfind2', 'REGISTER sip:127.0.0.1 SIP/2.0', '<sip:watcher@127.0.0.1>', '<sip:%zz@127.0.0.1>', 'REGISTER'));
    assert.equal(r.status, 404);
    assert.deepEqual(r.errors, []);
  });
});
