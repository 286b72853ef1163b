/**
 * When publications start and end: publisher registration, reloads that remove, change or keep
 * an outbound-publish object, module unload, graceful and immediate stop, a refusing
 * publisher, and `pjsip show outbound-publishes`.
 */
import assert from 'node:assert/strict';
import { TestEsc } from './esc.js';
import { pidf, sleep, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

function presenceConf(esc: TestEsc, extra = ''): string {
  return `${UDP_TRANSPORT}
[pres]
type = outbound-publish
server_uri = sip:alice@127.0.0.1:${esc.port}
event = presence
${extra}
`;
}

function assertRemove(req: { getHeader(n: string): string | undefined; body: Buffer }, etag: string): void {
  assert.equal(req.getHeader('Expires'), '0');
  assert.equal(req.getHeader('SIP-If-Match'), etag);
  assert.equal(req.body.length, 0);
  assert.equal(req.getHeader('Content-Type'), undefined);
}

describe('res_pjsip_outbound_publish: lifecycle', function () {
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

  async function published(extra = ''): Promise<{ node: PublishNode; pub: TestPublisher }> {
    node = await startPublishNode(presenceConf(esc, extra));
    const pub = new TestPublisher('presence');
    pub.state.set(undefined, { contentType: 'application/pidf+xml', text: pidf('alice', 'on') });
    node.register(pub);
    await esc.waitForRequests(1);
    await sleep(30);
    return { node, pub };
  }

  it('publishes nothing until a publisher for the event registers, and removes when it goes', async () => {
    node = await startPublishNode(presenceConf(esc));
    await sleep(100);
    assert.equal(esc.requests.length, 0);
    assert.equal(node.service.client('pres')?.running, false);
    const pub = new TestPublisher('presence');
    pub.state.set(undefined, { contentType: 'application/pidf+xml', text: pidf('alice', 'on') });
    const unregister = node.register(pub);
    await esc.waitForRequests(1);
    await sleep(30);
    assert.equal(pub.starts, 1);
    assert.equal(node.node.core.eventPublishers.owner('presence'), 'test_publisher');
    unregister();
    assert.equal(pub.stops, 1);
    assert.equal(node.node.core.eventPublishers.has('presence'), false);
    const reqs = await esc.waitForRequests(2);
    assertRemove(reqs[1]!, 'et100');
    assert.equal(esc.publications.size, 0);
    // Registered again: a new start with the full state.
    node.register(pub);
    const again = (await esc.waitForRequests(3))[2]!;
    assert.equal(again.getHeader('SIP-If-Match'), undefined);
    assert.equal(again.bodyText(), pidf('alice', 'on'));
    assert.notEqual(again.callId, reqs[0]!.callId);
  });

  it('removes the publication when a reload removes the object', async () => {
    const { node: n, pub } = await published();
    n.writePjsip(UDP_TRANSPORT);
    await n.run('module reload res_pjsip_outbound_publish');
    const reqs = await esc.waitForRequests(2);
    assertRemove(reqs[1]!, 'et100');
    assert.equal(pub.stops, 1);
    assert.equal(n.service.client('pres'), undefined);
    pub.set(undefined, pidf('alice', 'ignored'));
    await sleep(100);
    assert.equal(esc.requests.length, 2);
  });

  it('a reload that changes from_uri removes the old publication and starts a new one', async () => {
    const { node: n, pub } = await published();
    n.writePjsip(presenceConf(esc, 'from_uri = sip:newpbx@127.0.0.1'));
    await n.run('module reload res_pjsip_outbound_publish');
    const reqs = await esc.waitForRequests(3);
    const remove = reqs.find((r) => r.getHeader('Expires') === '0')!;
    const initial = reqs.slice(1).find((r) => r.getHeader('Expires') !== '0')!;
    assertRemove(remove, 'et100');
    assert.equal(remove.from.uri, `sip:alice@127.0.0.1:${esc.port}`);
    assert.equal(initial.from.uri, 'sip:newpbx@127.0.0.1');
    assert.equal(initial.getHeader('SIP-If-Match'), undefined);
    assert.equal(initial.bodyText(), pidf('alice', 'on'));
    assert.equal(pub.starts, 2);
    assert.equal(pub.stops, 1);
  });

  it('a reload that changes only expiration keeps the publication and asks the new Expires', async () => {
    const { node: n, pub } = await published();
    n.writePjsip(presenceConf(esc, 'expiration = 90'));
    await n.run('module reload res_pjsip_outbound_publish');
    await sleep(100);
    assert.equal(esc.requests.length, 1, 'nothing removed or re-published');
    assert.equal(pub.stops, 0);
    pub.set(undefined, pidf('alice', 'later'));
    const req = (await esc.waitForRequests(2))[1]!;
    assert.equal(req.getHeader('SIP-If-Match'), 'et100');
    assert.equal(req.getHeader('Expires'), '90');
  });

  it('removes the publication when the module unloads', async () => {
    const { node: n, pub } = await published();
    await n.run('module unload res_pjsip_outbound_publish');
    // unload waits for the remove to be answered
    assert.equal(esc.requests.length, 2);
    assertRemove(esc.requests[1]!, 'et100');
    assert.equal(pub.stops, 1);
    assert.equal(n.node.core.services.get('outbound_publish'), undefined);
  });

  it('removes the publication at a graceful stop', async () => {
    const { node: n } = await published();
    await n.node.stop('gracefully');
    node = undefined;
    assert.equal(esc.requests.length, 2);
    assertRemove(esc.requests[1]!, 'et100');
  });

  it('leaves the publication to expire at core stop now', async () => {
    const { node: n } = await published();
    await n.node.stop('now');
    node = undefined;
    await sleep(100);
    assert.equal(esc.requests.length, 1);
    assert.equal(esc.publications.size, 1);
  });

  it('a publisher that refuses the client: nothing is sent, the CLI says why', async () => {
    node = await startPublishNode(presenceConf(esc, '@body = application/nonsense'));
    const pub = new TestPublisher('presence');
    pub.refuse = "no body generator for '@body' application/nonsense";
    pub.state.set(undefined, { contentType: 'application/pidf+xml', text: pidf('alice', 'on') });
    node.register(pub);
    await sleep(100);
    assert.equal(esc.requests.length, 0);
    assert.equal(node.service.client('pres')?.running, false);
    assert.equal(node.service.publish('pres', undefined, { contentType: 'text/plain', text: 'x' }), false);
    const out = await node.run('pjsip show outbound-publishes');
    assert.match(out, /^pres\s+presence\s+-\s+Refused\s+-\s+no body generator/m);
    assert.ok(node.logs.some((l) => /Failed to start outbound publish with event 'presence' for client 'pres'/.test(l)));
  });

  it('pjsip show outbound-publishes: state, ETag, last response, refresh and expiry', async () => {
    esc.maxExpires = 100;
    const { node: n } = await published();
    const out = await n.run('pjsip show outbound-publishes');
    const line = out.split('\n').find((l) => l.startsWith('pres '));
    assert.ok(line, out);
    const cols = line!.split(/\s{2,}|\s(?=\d+$)/).filter((c) => c !== '');
    assert.equal(cols[0], 'pres');
    assert.equal(cols[1], 'presence');
    assert.equal(cols[2], '-');
    assert.equal(cols[3], 'Published');
    assert.equal(cols[4], 'et100');
    assert.equal(cols[5], '200 OK');
    assert.ok(Number(cols[6]) > 85 && Number(cols[6]) <= 90, `refresh in ${cols[6]} s`);
    assert.ok(Number(cols[7]) > 95 && Number(cols[7]) <= 100, `expires in ${cols[7]} s`);
    assert.match(out, /Objects found: 1\n$/);
    assert.match(await n.run('pjsip show outbound-publishes like nomatch'), /Objects found: 0/);
  });
});
