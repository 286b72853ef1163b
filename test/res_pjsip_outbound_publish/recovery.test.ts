/**
 * The RFC 3903 client under a difficult ESC: coalescing while a PUBLISH is in flight, 412
 * recovery with the full state, 423 with and without Min-Expires, digest authentication up to
 * max_auth_attempts.
 */
import assert from 'node:assert/strict';
import type { EventPublisher, OutboundPublishClient } from '../../core/pubsub/types.js';
import { TestEsc } from './esc.js';
import { pidf, sleep, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

function conf(esc: TestEsc, extra = ''): string {
  return `${UDP_TRANSPORT}
[pres]
type = outbound-publish
server_uri = sip:alice@127.0.0.1:${esc.port}
event = presence
${extra}
`;
}

const AUTH = `
[escauth]
type = auth
username = pub
password = secret
`;

describe('res_pjsip_outbound_publish: coalescing and recovery', function () {
  let esc: TestEsc;
  let node: PublishNode | undefined;

  beforeEach(async () => {
    esc = await TestEsc.start();
  });

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    esc.close();
  });

  it('coalesces changes queued behind a slow PUBLISH: the latest of each resource goes out', async () => {
    node = await startPublishNode(conf(esc)); // multi_user=no: both resources share one publication
    const pub = new TestPublisher('presence');
    node.register(pub);
    esc.script.push((req, e) => ({ ...e.defaultAnswer(req), delayMs: 700 }));
    pub.set('a', pidf('a', 'a0'));
    await esc.waitForRequests(1);
    for (let i = 1; i <= 50; i++) {
      pub.set('a', pidf('a', `a${i}`));
      pub.set('b', pidf('b', `b${i}`));
    }
    const reqs = await esc.waitForRequests(3);
    await sleep(200);
    assert.equal(esc.requests.length, 3, esc.describe());
    assert.equal(reqs[0]!.bodyText(), pidf('a', 'a0'));
    assert.equal(reqs[1]!.bodyText(), pidf('a', 'a50'));
    assert.equal(reqs[1]!.getHeader('SIP-If-Match'), 'et100');
    assert.equal(reqs[2]!.bodyText(), pidf('b', 'b50'));
    assert.equal(reqs[2]!.getHeader('SIP-If-Match'), 'et101');
  });

  it('412 on a modify: a new initial PUBLISH (new Call-ID) with the current full state of that resource', async () => {
    node = await startPublishNode(conf(esc, 'multi_user = yes'));
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set('1000', pidf('1000', 'one'));
    pub.set('1001', pidf('1001', 'other'));
    await esc.waitForRequests(2);
    await sleep(30);
    esc.publications.clear(); // the ESC restarted and forgot everything
    pub.fullStateCalls.length = 0;
    // While the modify is on its way the state moves on without a change being published (yet):
    // the recovery must carry the state as it is, not the body that failed.
    esc.script.push(() => {
      pub.state.set('1000', { contentType: 'application/pidf+xml', text: pidf('1000', 'three') });
      return undefined;
    });
    pub.set('1000', pidf('1000', 'two'));
    const reqs = await esc.waitForRequests(4);
    const [modify, initial] = [reqs[2]!, reqs[3]!];
    assert.equal(modify.getHeader('SIP-If-Match'), 'et100');
    assert.equal(initial.requestUri?.user, '1000');
    assert.equal(initial.getHeader('SIP-If-Match'), undefined);
    assert.notEqual(initial.callId, modify.callId);
    assert.equal(initial.bodyText(), pidf('1000', 'three'), 'the full state as the publisher tells it now');
    assert.deepEqual(pub.fullStateCalls, ['1000']);
    await sleep(50);
    assert.equal(esc.requests.length, 4, 'the other resource is left alone');
  });

  it('412 on a refresh: the new initial PUBLISH carries a body (Asterisk sends none)', async () => {
    esc.maxExpires = 2;
    node = await startPublishNode(conf(esc));
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'on'));
    await esc.waitForRequests(1);
    esc.publications.clear();
    const reqs = await esc.waitForRequests(3, 4000);
    assert.equal(reqs[1]!.body.length, 0, 'the refresh');
    assert.equal(reqs[1]!.getHeader('SIP-If-Match'), 'et100');
    assert.equal(reqs[2]!.getHeader('SIP-If-Match'), undefined);
    assert.equal(reqs[2]!.getHeader('Content-Type'), 'application/pidf+xml');
    assert.equal(reqs[2]!.bodyText(), pidf('alice', 'on'));
    assert.equal([...esc.publications.values()][0]?.body, pidf('alice', 'on'));
  });

  it('412 with a publisher that cannot tell its full state: the latest body sent goes out again', async () => {
    node = await startPublishNode(conf(esc));
    const clients = new Set<OutboundPublishClient>();
    const bare: EventPublisher = {
      eventName: 'presence',
      startPublishing: (c) => {
        clients.add(c);
        return undefined;
      },
      stopPublishing: (c) => void clients.delete(c),
    };
    node.register(bare);
    const send = (note: string) => {
      for (const c of clients) c.publish(undefined, { contentType: 'application/pidf+xml', text: pidf('alice', note) });
    };
    send('one');
    await esc.waitForRequests(1);
    await sleep(30);
    esc.publications.clear();
    send('two');
    const reqs = await esc.waitForRequests(3);
    assert.equal(reqs[1]!.getHeader('SIP-If-Match'), 'et100');
    assert.equal(reqs[2]!.getHeader('SIP-If-Match'), undefined);
    assert.equal(reqs[2]!.bodyText(), pidf('alice', 'two'));
  });

  it('423: sent again at once with the Min-Expires asked for, which sticks', async () => {
    node = await startPublishNode(conf(esc, 'expiration = 60'));
    const pub = new TestPublisher('presence');
    node.register(pub);
    esc.script.push(() => ({ status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', '1800']] }));
    pub.set(undefined, pidf('alice', 'one'));
    const reqs = await esc.waitForRequests(2);
    assert.equal(reqs[0]!.getHeader('Expires'), '60');
    assert.equal(reqs[1]!.getHeader('Expires'), '1800');
    assert.equal(reqs[1]!.getHeader('SIP-If-Match'), undefined);
    assert.equal(reqs[1]!.bodyText(), pidf('alice', 'one'));
    await sleep(30);
    pub.set(undefined, pidf('alice', 'two'));
    const third = (await esc.waitForRequests(3))[2]!;
    assert.equal(third.getHeader('Expires'), '1800');
    assert.equal(third.getHeader('SIP-If-Match'), 'et100');
  });

  it('423 without Min-Expires stops the publication until a reload', async () => {
    node = await startPublishNode(conf(esc));
    const pub = new TestPublisher('presence');
    node.register(pub);
    esc.script.push(() => ({ status: 423, reason: 'Interval Too Brief' }));
    pub.set(undefined, pidf('alice', 'one'));
    await esc.waitForRequests(1);
    await sleep(50);
    pub.set(undefined, pidf('alice', 'two'));
    await sleep(100);
    assert.equal(esc.requests.length, 1);
    assert.match(await node.run('pjsip show outbound-publishes'), /^pres\s+presence\s+-\s+Failed\s+-\s+423 Interval Too Brief/m);
    assert.ok(node.logs.some((l) => /423 response on outbound publish 'pres' without a usable Min-Expires/.test(l)));
    await node.run('module reload res_pjsip_outbound_publish');
    const again = (await esc.waitForRequests(2))[1]!;
    assert.equal(again.getHeader('SIP-If-Match'), undefined);
    assert.equal(again.bodyText(), pidf('alice', 'two'));
  });

  it('401: answered with the credentials of outbound_auth', async () => {
    esc.credentials = { username: 'pub', password: 'secret', realm: 'esc' };
    node = await startPublishNode(conf(esc, 'outbound_auth = escauth') + AUTH);
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'one'));
    const reqs = await esc.waitForRequests(2);
    assert.equal(reqs[0]!.getHeader('Authorization'), undefined);
    assert.match(reqs[1]!.getHeader('Authorization') ?? '', /^Digest .*username="pub".*realm="esc"/);
    assert.equal(reqs[1]!.cseq.seq, reqs[0]!.cseq.seq + 1);
    assert.equal(reqs[1]!.bodyText(), pidf('alice', 'one'));
    await sleep(30);
    assert.equal(esc.publications.size, 1);
    // Every later PUBLISH is challenged again (this ESC's nonces are single-use) and answered.
    pub.set(undefined, pidf('alice', 'two'));
    const later = await esc.waitForRequests(4);
    assert.equal(later[3]!.getHeader('SIP-If-Match'), 'et100');
    assert.ok(later[3]!.getHeader('Authorization'));
    assert.ok(later[2]!.cseq.seq > reqs[1]!.cseq.seq, 'CSeq goes on after the authenticated retry');
    await sleep(30);
    assert.deepEqual([...esc.publications.values()].map((p) => p.body), [pidf('alice', 'two')]);
  });

  it('401 with wrong credentials: the publication stops after max_auth_attempts answers', async () => {
    esc.credentials = { username: 'pub', password: 'other', realm: 'esc' };
    node = await startPublishNode(conf(esc, 'outbound_auth = escauth\nmax_auth_attempts = 2') + AUTH);
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'one'));
    await esc.waitForRequests(2);
    await sleep(200);
    // Asterisk sends 1 + max_auth_attempts; res_pjsip answers up to 3 per request, so one more is possible.
    const n = esc.requests.length;
    assert.ok(n >= 3 && n <= 4, `${n} requests`);
    assert.ok(node.logs.some((l) => /Reached maximum number of PUBLISH authentication attempts on outbound publish 'pres'/.test(l)));
    pub.set(undefined, pidf('alice', 'two'));
    await sleep(100);
    assert.equal(esc.requests.length, n, 'nothing more until a reload');
  });

  it('401 without usable credentials stops at once', async () => {
    esc.credentials = { username: 'pub', password: 'secret', realm: 'esc' };
    node = await startPublishNode(conf(esc));
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'one'));
    await esc.waitForRequests(1);
    await sleep(100);
    assert.equal(esc.requests.length, 1);
    assert.ok(node.logs.some((l) => /Cannot answer the authentication challenge on outbound publish 'pres'/.test(l)));
  });
});
