import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { parseMessage } from '../../core/sip/parser.js';
import { generateBranch, generateTag, serializeMessage } from '../../core/sip/serializer.js';
import { SipRequest, type SipResponse } from '../../core/sip/message.js';
import { SourceRateLimiter } from '../../modules/res_pjsip_pubsub/rate-limit.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';

const CONF = `
[global]
type = global
subscribe_rate_limit = 5
subscribe_rate_burst = 5

[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[flood]
type = endpoint
identify_by = ip
[flood-ip]
type = identify
endpoint = flood
match = 127.0.0.1

[calm]
type = endpoint
identify_by = ip
[calm-ip]
type = identify
endpoint = calm
match = 127.0.0.3
`;

async function socketOn(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  return s;
}

function subscribe(sock: dgram.Socket, port: number, i: number): Promise<SipResponse> {
  const a = sock.address();
  const req = new SipRequest('SUBSCRIBE', `sip:1000@127.0.0.1:${port}`, [
    ['Via', `SIP/2.0/UDP ${a.address}:${a.port};rport;branch=${generateBranch()}`],
    ['From', `<sip:w${i}@${a.address}>;tag=${generateTag()}`],
    ['To', `<sip:1000@127.0.0.1:${port}>`],
    ['Call-ID', `flood-${i}-${a.address}`],
    ['CSeq', '1 SUBSCRIBE'],
    ['Contact', `<sip:w@${a.address}:${a.port}>`],
    ['Event', 'presence'],
    ['Expires', '600'],
  ]);
  return new Promise((resolve) => {
    const onMsg = (m: Buffer) => {
      const p = parseMessage(m);
      if (p.ok && p.message.kind === 'response' && p.message.callId === req.callId && p.message.status >= 200) {
        sock.off('message', onMsg);
        resolve(p.message);
      }
    };
    sock.on('message', onMsg);
    sock.send(serializeMessage(req), port, '127.0.0.1');
  });
}

describe('res_pjsip_pubsub: a SUBSCRIBE flood from one source', function () {
  this.timeout(20000);
  let n: PjsipNode;
  before(async () => {
    n = await startPjsipNode(CONF, { 'extensions.conf': '[default]\nexten => 1000,hint,Custom:x\n' });
  });
  after(async () => n.stop());

  it('is shed with 503 and Retry-After; another source is unaffected', async () => {
    const flood = await socketOn('127.0.0.1');
    const calm = await socketOn('127.0.0.3');
    // Answer every NOTIFY so subscriptions stay up.
    for (const s of [flood, calm]) {
      s.setMaxListeners(50);
      s.on('message', () => undefined);
    }
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => subscribe(flood, n.udpPort, i)));
      const ok = results.filter((r) => r.status === 200).length;
      const shed = results.filter((r) => r.status === 503);
      assert.equal(ok, 5, 'the burst gets through');
      assert.equal(shed.length, 15);
      assert.ok(shed.every((r) => Number(r.getHeader('Retry-After')) >= 1));
      const other = await subscribe(calm, n.udpPort, 99);
      assert.equal(other.status, 200, 'another address is not limited');
      assert.ok(n.logs.some((l) => /SUBSCRIBE flood from 127\.0\.0\.1: over 5\/s, answering 503/.test(l)));
    } finally {
      flood.close();
      calm.close();
    }
  });

  it('the limiter refills at its rate and stays bounded', () => {
    let t = 0;
    const l = new SourceRateLimiter(() => t);
    for (let i = 0; i < 3; i++) assert.equal(l.take('a', 2, 3), true);
    assert.equal(l.take('a', 2, 3), false);
    assert.equal(l.retryAfter('a', 2), 1);
    t += 500;
    assert.equal(l.take('a', 2, 3), true, 'one token after half a second at 2/s');
    assert.equal(l.take('a', 2, 3), false);
    assert.equal(l.take('b', 0, 0), true, 'rate 0 means no limit');
  });
});
