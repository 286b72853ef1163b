import assert from 'node:assert/strict';
import { TestSipClient } from '../support/sip-client.js';
import { waitFor } from '../support/peers.js';
import { startPjsipNode, BASE_PJSIP, type PjsipNode } from '../res_pjsip/pjsip-node.js';

const EXT = '[default]\nexten => 1000,hint,Custom:alice\n';

/**
 * A subscriber over TCP that stops answering and closes its connection while a NOTIFY waits for
 * its answer: the NOTIFY's transaction fails at once with a transport error (as pjsip's does)
 * and the subscription ends then, not 32 s later when Timer F fires.
 */
describe('res_pjsip_pubsub: a TCP subscriber whose connection closes under an unanswered NOTIFY', function () {
  this.timeout(20000);
  let n: PjsipNode;
  before(async () => {
    n = await startPjsipNode(BASE_PJSIP, { 'extensions.conf': EXT });
  });
  after(async () => n.stop());

  it('ends the subscription within a second of the close', async () => {
    const c = await TestSipClient.tcp(n.tcpPort);
    const ok = await c.request('SUBSCRIBE', `sip:1000@127.0.0.1:${n.tcpPort};transport=tcp`, {
      fromUser: 'alice',
      credentials: { username: 'alice', password: 'wonderland' },
      headers: [['Contact', c.contact], ['Event', 'presence'], ['Expires', '600']],
    });
    assert.equal(ok.status, 200);
    await c.waitForRequest((r) => r.method === 'NOTIFY');
    assert.match(await n.run('pjsip list subscriptions inbound'), /Objects found: 1/);

    c.answerWith = null;
    const before = c.received.length;
    await n.run('devstate change Custom:alice INUSE');
    await c.waitForRequest((r) => r.method === 'NOTIFY' && c.received.indexOf(r) >= before);
    const closedAt = Date.now();
    c.close();
    await waitFor(async () => /Objects found: 0/.test(await n.run('pjsip list subscriptions inbound')), 'the subscription to end', 3000, 50);
    assert.ok(Date.now() - closedAt < 1500, `ended ${Date.now() - closedAt} ms after the close`);
    assert.ok(n.logs.some((l) => /Subscription \S+ \(presence 1000 .*\) ended: NOTIFY/.test(l)), 'ended by the failed NOTIFY');
  });
});
