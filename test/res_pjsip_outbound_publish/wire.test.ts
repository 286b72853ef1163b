/**
 * What goes on the wire (RFC 3903 4): initial, modify and refresh PUBLISH header by header,
 * From/To/Request-URI with and without multi_user, outbound_proxy, expiration. The ESC is a
 * real UDP socket (esc.ts); the node is a real in-process node.
 */
import assert from 'node:assert/strict';
import { TestEsc } from './esc.js';
import { pidf, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

function publishConf(name: string, options: Record<string, string | number>): string {
  return `\n[${name}]\ntype = outbound-publish\n${Object.entries(options)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n')}\n`;
}

describe('res_pjsip_outbound_publish: PUBLISH on the wire', function () {
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

  it('sends an initial PUBLISH with the full state as soon as the publisher starts the client', async () => {
    node = await startPublishNode(
      UDP_TRANSPORT +
        publishConf('pres', {
          server_uri: `sip:alice@127.0.0.1:${esc.port}`,
          from_uri: 'sip:pbx@127.0.0.1',
          event: 'presence',
          expiration: 120,
        }),
    );
    const pub = new TestPublisher('presence');
    pub.state.set(undefined, { contentType: 'application/pidf+xml', text: pidf('alice', 'first') });
    node.register(pub);
    const [req] = await esc.waitForRequests(1);
    assert.equal(req!.method, 'PUBLISH');
    assert.equal(req!.uri, `sip:alice@127.0.0.1:${esc.port}`);
    assert.equal(req!.from.uri, 'sip:pbx@127.0.0.1');
    assert.ok(req!.from.tag, 'From has a tag');
    assert.equal(req!.to.uri, `sip:alice@127.0.0.1:${esc.port}`);
    assert.equal(req!.to.tag, null);
    assert.equal(req!.cseq.method, 'PUBLISH');
    assert.equal(req!.getHeader('Event'), 'presence');
    assert.equal(req!.getHeader('Expires'), '120');
    assert.equal(req!.getHeader('SIP-If-Match'), undefined);
    assert.equal(req!.getHeader('Content-Type'), 'application/pidf+xml');
    assert.equal(req!.getHeader('Max-Forwards'), '70');
    assert.match(req!.getHeader('User-Agent') ?? '', /./);
    assert.equal(req!.getHeader('Route'), undefined);
    assert.equal(req!.bodyText(), pidf('alice', 'first'));
    assert.deepEqual(pub.fullStateCalls, [undefined]);
  });

  it('sends a change as a modify: SIP-If-Match with the last SIP-ETag, same Call-ID, next CSeq', async () => {
    node = await startPublishNode(UDP_TRANSPORT + publishConf('pres', { server_uri: `sip:alice@127.0.0.1:${esc.port}`, event: 'presence' }));
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'one'));
    await esc.waitForRequests(1);
    // The first 2xx carried et100; wait until the client has seen it.
    await new Promise((r) => setTimeout(r, 50));
    pub.set(undefined, pidf('alice', 'two'));
    const [first, second] = await esc.waitForRequests(2);
    assert.equal(second!.getHeader('SIP-If-Match'), 'et100');
    assert.equal(second!.callId, first!.callId);
    assert.equal(second!.cseq.seq, first!.cseq.seq + 1);
    assert.equal(second!.getHeader('Expires'), '3600');
    assert.equal(second!.getHeader('Content-Type'), 'application/pidf+xml');
    assert.equal(second!.bodyText(), pidf('alice', 'two'));
    assert.notEqual(second!.from.tag, first!.from.tag);
    assert.deepEqual([...esc.publications.values()].map((p) => p.body), [pidf('alice', 'two')]);
  });

  it('refreshes before the Expires the ESC granted runs out, without a body', async () => {
    esc.maxExpires = 2; // the node asks 3600; the ESC grants 2 s
    node = await startPublishNode(UDP_TRANSPORT + publishConf('pres', { server_uri: `sip:alice@127.0.0.1:${esc.port}`, event: 'presence' }));
    const pub = new TestPublisher('presence');
    node.register(pub);
    const t0 = Date.now();
    pub.set(undefined, pidf('alice', 'one'));
    await esc.waitForRequests(1);
    const reqs = await esc.waitForRequests(2, 3000);
    const elapsed = Date.now() - t0;
    const refresh = reqs[1]!;
    assert.ok(elapsed >= 900 && elapsed < 2000, `refresh after ${elapsed} ms: at half the grant, before it ends`);
    assert.equal(refresh.body.length, 0);
    assert.equal(refresh.getHeader('Content-Type'), undefined);
    assert.equal(refresh.getHeader('SIP-If-Match'), 'et100');
    assert.equal(refresh.getHeader('Expires'), '3600');
    assert.equal(refresh.callId, reqs[0]!.callId);
    // The ESC still holds the body under the new ETag.
    assert.deepEqual([...esc.publications.values()].map((p) => [p.etag, p.body]), [['et101', pidf('alice', 'one')]]);
  });

  it('puts from_uri in From and to_uri in To (Asterisk swaps them)', async () => {
    node = await startPublishNode(
      UDP_TRANSPORT +
        publishConf('devstate', {
          server_uri: `sip:ast-peer@127.0.0.1:${esc.port}`,
          from_uri: 'sip:from-cfg@127.0.0.1:5160',
          to_uri: `sip:to-cfg@127.0.0.1:${esc.port}`,
          event: 'asterisk-devicestate',
          expiration: 30,
        }),
    );
    const pub = new TestPublisher('asterisk-devicestate');
    node.register(pub);
    pub.set(undefined, '{"type":"devicestate"}', 'application/json');
    const [req] = await esc.waitForRequests(1);
    assert.equal(req!.uri, `sip:ast-peer@127.0.0.1:${esc.port}`);
    assert.equal(req!.from.uri, 'sip:from-cfg@127.0.0.1:5160');
    assert.equal(req!.to.uri, `sip:to-cfg@127.0.0.1:${esc.port}`);
    assert.equal(req!.getHeader('Event'), 'asterisk-devicestate');
    assert.equal(req!.getHeader('Expires'), '30');
    assert.equal(req!.getHeader('Content-Type'), 'application/json');
  });

  it('multi_user: one publication per resource, the resource in the Request-URI and To, From as configured', async () => {
    node = await startPublishNode(
      UDP_TRANSPORT +
        publishConf('blf', {
          server_uri: `sip:blf@127.0.0.1:${esc.port}`,
          from_uri: 'sip:pbx-from@127.0.0.1:5160',
          to_uri: `sip:pbx-to@127.0.0.1:${esc.port}`,
          event: 'dialog',
          multi_user: 'yes',
          expiration: 40,
          '@body': 'application/dialog-info+xml',
        }),
    );
    const pub = new TestPublisher('dialog');
    pub.state.set('1000', { contentType: 'application/dialog-info+xml', text: '<dialog-info a="1000"/>' });
    pub.state.set('1001', { contentType: 'application/dialog-info+xml', text: '<dialog-info a="1001"/>' });
    node.register(pub);
    const reqs = await esc.waitForRequests(2);
    const byUser = new Map(reqs.map((r) => [r.requestUri?.user, r]));
    for (const user of ['1000', '1001']) {
      const r = byUser.get(user)!;
      assert.ok(r, `a PUBLISH for ${user}`);
      assert.equal(r.uri, `sip:${user}@127.0.0.1:${esc.port}`);
      assert.equal(r.to.uri, `sip:${user}@127.0.0.1:${esc.port}`);
      assert.equal(r.from.uri, 'sip:pbx-from@127.0.0.1:5160');
      assert.equal(r.getHeader('SIP-If-Match'), undefined);
      assert.equal(r.bodyText(), `<dialog-info a="${user}"/>`);
    }
    assert.notEqual(byUser.get('1000')!.callId, byUser.get('1001')!.callId, 'each resource is its own publication');
    // The client tells the publisher the URIs its bodies name (exten_state's local/remote).
    const client = node.service.client('blf')!;
    assert.equal(client.running, true);
    assert.equal(client.extended.body, 'application/dialog-info+xml');
    assert.deepEqual(client.uris('1000'), {
      requestUri: `sip:1000@127.0.0.1:${esc.port}`,
      fromUri: 'sip:pbx-from@127.0.0.1:5160',
      toUri: `sip:1000@127.0.0.1:${esc.port}`,
      localUri: 'sip:1000@127.0.0.1:5160',
      remoteUri: `sip:1000@127.0.0.1:${esc.port}`,
    });
    // A change of one resource touches only its publication.
    pub.set('1001', '<dialog-info a="1001" v="2"/>', 'application/dialog-info+xml');
    const third = (await esc.waitForRequests(3))[2]!;
    assert.equal(third.requestUri?.user, '1001');
    assert.equal(third.callId, byUser.get('1001')!.callId);
    assert.ok(third.getHeader('SIP-If-Match'));
  });

  it('outbound_proxy: the PUBLISH goes to the proxy with a Route, the Request-URI unchanged', async () => {
    node = await startPublishNode(
      UDP_TRANSPORT +
        publishConf('viaproxy', {
          server_uri: 'sip:carol@presence.example.invalid',
          outbound_proxy: `sip:127.0.0.1:${esc.port}\\;lr`,
          event: 'presence',
        }),
    );
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('carol', 'x'));
    const [req] = await esc.waitForRequests(1);
    assert.equal(req!.uri, 'sip:carol@presence.example.invalid');
    assert.equal(req!.getHeader('Route'), `<sip:127.0.0.1:${esc.port};lr>`);
    assert.equal(req!.to.uri, 'sip:carol@presence.example.invalid');
  });

  it('expiration = 0 leaves Expires out and refreshes by what the ESC grants', async () => {
    node = await startPublishNode(UDP_TRANSPORT + publishConf('pres', { server_uri: `sip:alice@127.0.0.1:${esc.port}`, event: 'presence', expiration: 0 }));
    const pub = new TestPublisher('presence');
    node.register(pub);
    pub.set(undefined, pidf('alice', 'one'));
    const [req] = await esc.waitForRequests(1);
    assert.equal(req!.getHeader('Expires'), undefined);
    assert.equal(esc.publications.get('et100')?.expires, 3600);
  });
});
