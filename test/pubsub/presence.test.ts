import assert from 'node:assert/strict';
import { readXml, attr, type XmlNode } from '../support/xml-reader.js';
import { parseSubscriptionState } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import { TestSipClient } from '../support/sip-client.js';
import { startPjsipNode, BASE_PJSIP, type PjsipNode } from '../res_pjsip/pjsip-node.js';

const EXT = '[default]\nexten => 1000,hint,Custom:alice,CustomPresence:alice\nexten => 1001,hint,Custom:bob\n';
const CRED = { username: 'alice', password: 'wonderland' };

function first(n: XmlNode, local: string): XmlNode {
  const hit = n.children.find((c) => c.localName === local);
  assert.ok(hit, `no <${local}> in <${n.name}>`);
  return hit;
}

describe('res_pjsip_pubsub + res_pjsip_exten_state: presence and dialog subscriptions', function () {
  this.timeout(20000);
  let n: PjsipNode;
  let c: TestSipClient;
  beforeEach(async () => {
    n = await startPjsipNode(BASE_PJSIP, { 'extensions.conf': EXT });
    c = await TestSipClient.udp(n.udpPort);
  });
  afterEach(async () => {
    c.close();
    await n.stop();
  });

  const subscribe = (exten: string, event: string, accept: string | undefined, expires = 600, callId?: string) =>
    c.request('SUBSCRIBE', `sip:${exten}@127.0.0.1:${n.udpPort}`, {
      fromUser: 'alice',
      credentials: CRED,
      ...(callId ? { callId } : {}),
      headers: [['Contact', c.contact], ['Event', event], ['Expires', String(expires)], ...(accept ? [['Accept', accept] as [string, string]] : [])],
    });

  it('PIDF: 200 with Expires, an immediate full-state NOTIFY, a NOTIFY per change, terminated on unsubscribe', async () => {
    await n.run('devstate change Custom:alice NOT_INUSE');
    const ok = await subscribe('1000', 'presence', undefined);
    assert.equal(ok.status, 200);
    assert.equal(ok.getHeader('Expires'), '600');
    assert.ok(ok.to.tag, 'the 200 carries our dialog tag');
    const n1 = await c.waitForRequest((r) => r.method === 'NOTIFY');
    assert.equal(n1.getHeader('Event'), 'presence');
    assert.equal(n1.getHeader('Content-Type'), 'application/pidf+xml');
    const st = parseSubscriptionState(n1.getHeader('Subscription-State')!)!;
    assert.equal(st.state, 'active');
    assert.ok(st.expires! >= 598 && st.expires! <= 600);
    assert.equal(n1.from.tag, ok.to.tag);
    assert.deepEqual([...n1.getHeaders('Allow-Events')].sort(), ['dialog', 'message-summary', 'presence']);
    let doc = readXml(n1.bodyText()).root;
    assert.equal(doc.localName, 'presence');
    assert.equal(attr(doc, 'entity'), `sip:1000@127.0.0.1:${n.udpPort}`);
    const tuple = first(doc, 'tuple');
    assert.equal(first(first(tuple, 'status'), 'basic').text, 'open');
    assert.equal(first(doc, 'note').text, 'Ready');
    assert.equal(first(tuple, 'contact').text, `sip:1000@127.0.0.1:${n.udpPort}`, 'contact is the presentity (documented difference)');

    await n.run('devstate change Custom:alice INUSE');
    const n2 = await c.waitForRequest((r) => r.method === 'NOTIFY' && r !== n1);
    doc = readXml(n2.bodyText()).root;
    assert.equal(first(doc, 'note').text, 'On the phone');
    assert.ok(n2.cseq.seq > n1.cseq.seq);

  });

  it('unsubscribe in the dialog: 200, then terminated;reason=timeout', async () => {
    const ok = await subscribe('1000', 'presence', 'application/pidf+xml');
    assert.equal(ok.status, 200);
    await c.waitForRequest((r) => r.method === 'NOTIFY');
    const before = c.received.length;
    const un = await c.request('SUBSCRIBE', `sip:1000@127.0.0.1:${n.udpPort}`, {
      fromUser: 'alice',
      callId: ok.callId,
      fromTag: ok.from.tag!,
      toTag: ok.to.tag!,
      cseq: 100,
      headers: [['Contact', c.contact], ['Event', 'presence'], ['Expires', '0']],
    });
    assert.equal(un.status, 200);
    const fin = await c.waitForRequest((r, ) => r.method === 'NOTIFY' && c.received.indexOf(r) >= before);
    assert.equal(fin.getHeader('Subscription-State'), 'terminated;reason=timeout');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(n.node.core.extensions.listHints().find((h) => h.exten === '1000')!.watchers, 0);
  });

  it('dialog-info: version counts up per NOTIFY, states follow the hint', async () => {
    const ok = await subscribe('1001', 'dialog', undefined);
    assert.equal(ok.status, 200);
    const n1 = await c.waitForRequest((r) => r.method === 'NOTIFY');
    assert.equal(n1.getHeader('Content-Type'), 'application/dialog-info+xml');
    const d1 = readXml(n1.bodyText()).root;
    assert.equal(attr(d1, 'version'), '0');
    assert.equal(attr(d1, 'state'), 'full');
    assert.equal(first(first(d1, 'dialog'), 'state').text, 'terminated');
    await n.run('devstate change Custom:bob RINGING');
    const n2 = await c.waitForRequest((r) => r.method === 'NOTIFY' && r !== n1);
    const d2 = readXml(n2.bodyText()).root;
    assert.equal(attr(d2, 'version'), '1');
    assert.equal(first(first(d2, 'dialog'), 'state').text, 'early');
  });

  it('refuses as Asterisk does: 404 no hint, 489 unknown event (with Allow-Events), 489 unacceptable Accept, 400 Expires 0, 603 allow_subscribe=no', async () => {
    assert.equal((await subscribe('9999', 'presence', undefined)).status, 404);
    const r489 = await subscribe('1000', 'as-feature-event', undefined);
    assert.equal(r489.status, 489);
    assert.deepEqual([...r489.getHeaders('Allow-Events')].sort(), ['dialog', 'message-summary', 'presence']);
    assert.equal((await subscribe('1000', 'presence', 'text/plain')).status, 489);
    assert.equal((await subscribe('1000', 'presence', undefined, 0)).status, 400);
  });

  it('negotiates Accept with q-values: highest q wins, q=0 excluded', async () => {
    const ok = await subscribe('1000', 'presence', 'application/pidf+xml;q=0.2, application/xpidf+xml;q=0.9, application/cpim-pidf+xml;q=0');
    assert.equal(ok.status, 200);
    const n1 = await c.waitForRequest((r: SipRequest) => r.method === 'NOTIFY');
    assert.equal(n1.getHeader('Content-Type'), 'application/xpidf+xml');
  });

  it('a hint removed by a dialplan reload ends the subscription with reason=noresource; a kept hint keeps it', async () => {
    const a = await subscribe('1000', 'presence', undefined);
    const b = await subscribe('1001', 'presence', undefined);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const before = c.received.length;
    const fs = await import('node:fs');
    fs.writeFileSync(`${n.dir}/extensions.conf`, '[default]\nexten => 1001,hint,Custom:bob\n');
    await n.run('dialplan reload');
    const fin = await c.waitForRequest((r) => r.method === 'NOTIFY' && c.received.indexOf(r) >= before && r.getHeader('Subscription-State')!.startsWith('terminated'));
    assert.equal(fin.getHeader('Subscription-State'), 'terminated;reason=noresource');
    assert.equal(fin.callId, a.callId);
    assert.match(await n.run('pjsip list subscriptions inbound'), /alice\s+1001\s+presence/);
  });

  it("pidf_contact = watcher gives Asterisk's PIDF <contact> (the watcher's URI)", async () => {
    c.close();
    await n.stop();
    n = await startPjsipNode(BASE_PJSIP.replace('[alice]\ntype = endpoint\n', '[alice]\ntype = endpoint\npidf_contact = watcher\n'), { 'extensions.conf': EXT });
    c = await TestSipClient.udp(n.udpPort);
    assert.equal((await subscribe('1000', 'presence', undefined)).status, 200);
    const n1 = await c.waitForRequest((r) => r.method === 'NOTIFY');
    const doc = readXml(n1.bodyText()).root;
    assert.equal(first(first(doc, 'tuple'), 'contact').text, 'sip:alice@127.0.0.1');
  });
});
