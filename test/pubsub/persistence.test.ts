import assert from 'node:assert/strict';
import type { SipRequest } from '../../core/sip/message.js';
import { readXml, attr } from '../support/xml-reader.js';
import { TestSipClient } from '../support/sip-client.js';
import { startPjsipNode, BASE_PJSIP, type PjsipNode } from '../res_pjsip/pjsip-node.js';

const EXT = '[default]\nexten => 1001,hint,Custom:bob\n';
const CRED = { username: 'alice', password: 'wonderland' };

describe('res_pjsip_pubsub: restarts, unloads, expiry', function () {
  this.timeout(30000);
  let n: PjsipNode | undefined;
  let c: TestSipClient;
  beforeEach(async () => {
    n = await startPjsipNode(BASE_PJSIP, { 'extensions.conf': EXT });
    c = await TestSipClient.udp(n.udpPort);
  });
  afterEach(async () => {
    c.close();
    await n?.stop();
  });
  const subscribe = (expires: number) =>
    c.request('SUBSCRIBE', `sip:1001@127.0.0.1:${n!.udpPort}`, {
      fromUser: 'alice',
      credentials: CRED,
      headers: [['Contact', c.contact], ['Event', 'dialog'], ['Expires', String(expires)]],
    });
  const nextNotify = (after: number, pred: (r: SipRequest) => boolean = () => true) =>
    c.waitForRequest((r) => r.method === 'NOTIFY' && c.received.indexOf(r) >= after && pred(r));

  it('survives a restart on the same dialog: same tags, higher CSeq, dialog-info version continues', async () => {
    const ok = await subscribe(600);
    assert.equal(ok.status, 200);
    const n1 = await nextNotify(0);
    await n!.run('devstate change Custom:bob INUSE');
    const n2 = await nextNotify(c.received.indexOf(n1) + 1);
    assert.equal(attr(readXml(n2.bodyText()).root, 'version'), '1');
    const dir = n!.dir;
    await n!.stop();
    n = undefined;
    const mark = c.received.length;
    n = await startPjsipNode(BASE_PJSIP, {}, dir);
    const n3 = await nextNotify(mark);
    assert.equal(n3.callId, ok.callId);
    assert.equal(n3.from.tag, ok.to.tag, 'our local tag is the same');
    assert.equal(n3.to.tag, ok.from.tag);
    assert.ok(n3.cseq.seq > n2.cseq.seq, `CSeq continues (${n3.cseq.seq} > ${n2.cseq.seq})`);
    const doc = readXml(n3.bodyText()).root;
    assert.equal(attr(doc, 'version'), '2');
    assert.match(n3.getHeader('Subscription-State')!, /^active;expires=(59\d|600)$/);
    assert.match(await n.run('pjsip list subscriptions inbound'), /alice\s+1001\s+dialog/);
  });

  it('a restored subscription still expires on time (no zombies)', async () => {
    assert.equal((await subscribe(2)).status, 200);
    await nextNotify(0);
    const dir = n!.dir;
    await n!.stop();
    n = await startPjsipNode(BASE_PJSIP, {}, dir);
    const mark = c.received.length;
    const fin = await nextNotify(mark, (r) => r.getHeader('Subscription-State')!.startsWith('terminated'));
    assert.equal(fin.getHeader('Subscription-State'), 'terminated;reason=timeout');
    await new Promise((r) => setTimeout(r, 50));
    assert.match(await n.run('pjsip list subscriptions inbound'), /Objects found: 0/);
  });

  it('module unload is refused while subscriptions live; -f ends them with reason=deactivated', async () => {
    assert.equal((await subscribe(600)).status, 200);
    await nextNotify(0);
    await assert.rejects(n!.run('module unload res_pjsip_exten_state'), /Soft unload failed, 'res_pjsip_exten_state' has use count 1/);
    const mark = c.received.length;
    await n!.run('module unload -f res_pjsip_exten_state');
    const fin = await nextNotify(mark);
    assert.equal(fin.getHeader('Subscription-State'), 'terminated;reason=deactivated');
    // With the handler gone, a new SUBSCRIBE for the package is a 489.
    assert.equal((await subscribe(600)).status, 489);
    await n!.run('module load res_pjsip_exten_state');
    assert.equal((await subscribe(600)).status, 200);
  });

  it('a subscriber that answers NOTIFY with 481 loses its subscription, silently', async () => {
    c.answerWith = 481;
    assert.equal((await subscribe(600)).status, 200);
    await nextNotify(0);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(await n!.run('pjsip list subscriptions inbound'), /Objects found: 0/);
    const mark = c.received.length;
    await n!.run('devstate change Custom:bob INUSE');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(c.received.length, mark, 'no NOTIFY after the subscription ended');
  });
});
