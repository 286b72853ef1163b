import assert from 'node:assert/strict';
import net from 'node:net';
import type { PubsubEndpoint, SubscriptionHandler } from '../../core/pubsub/types.js';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { buildResponse, generateBranch, generateTag, serializeMessage } from '../../core/sip/serializer.js';
import { SipStreamFramer } from '../../core/sip/stream-framer.js';
import type { DisplayNameHook } from '../../modules/res_pjsip_pubsub/notifier.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { TestSipClient } from '../support/sip-client.js';
import { childText, partXml, readListNotify } from './rls-support.js';

const BIG = 150;
const bigItems = Array.from({ length: BIG }, (_, i) => String(2000 + i));

const PJSIP = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[watcher]
type = endpoint
context = blf

[blf-list]
type = resource_list
event = presence
list_item = 1000,1001,1002

[named]
type = resource_list
event = x-named-presence
resource_display_name = yes
list_item = 1000,1001

[big]
type = resource_list
event = presence
list_item = ${bigItems.join(',')}
`;

const EXT =
  '[blf]\nexten => 1000,hint,Custom:alice(Alice Anders)\nexten => 1001,hint,Custom:bob\nexten => 1002,hint,Custom:carol\n' +
  bigItems.map((e) => `exten => ${e},hint,Custom:big\n`).join('');

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bare TCP subscriber whose framer takes messages of any size (the test client stops at 64 KiB). */
async function tcpSubscribe(port: number, resource: string): Promise<{ notifies: SipRequest[]; status: Promise<number>; close(): void }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  const limits = { maxMessageSize: 1 << 20, maxBodySize: 1 << 20 };
  const framer = new SipStreamFramer(limits);
  const notifies: SipRequest[] = [];
  let gotStatus: (s: number) => void = () => undefined;
  const status = new Promise<number>((r) => (gotStatus = r));
  sock.on('data', (chunk) => {
    for (const ev of framer.push(chunk)) {
      if (ev.type !== 'message') continue;
      const p = parseMessage(ev.data, limits);
      if (!p.ok) continue;
      if (p.message.kind === 'response') gotStatus(p.message.status);
      else {
        notifies.push(p.message);
        sock.write(serializeMessage(buildResponse(p.message, 200)));
      }
    }
  });
  sock.on('error', () => undefined);
  const local = sock.localPort!;
  sock.write(
    `SUBSCRIBE sip:${resource}@127.0.0.1:${port};transport=tcp SIP/2.0\r\n` +
      `Via: SIP/2.0/TCP 127.0.0.1:${local};rport;branch=${generateBranch()}\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:watcher@127.0.0.1>;tag=${generateTag()}\r\n` +
      `To: <sip:${resource}@127.0.0.1:${port}>\r\n` +
      `Call-ID: big-${generateTag()}@test\r\n` +
      'CSeq: 1 SUBSCRIBE\r\n' +
      `Contact: <sip:watcher@127.0.0.1:${local};transport=tcp>\r\n` +
      'Event: presence\r\nSupported: eventlist\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n',
  );
  return { notifies, status, close: () => sock.destroy() };
}

describe('res_pjsip_pubsub: resource lists, limits and extensions', function () {
  this.timeout(30000);
  let n: PjsipNode;
  let c: TestSipClient;
  beforeEach(async () => {
    n = await startPjsipNode(PJSIP, { 'extensions.conf': EXT });
    c = await TestSipClient.udp(n.udpPort);
    for (const d of ['alice', 'bob', 'carol', 'big']) await n.run(`devstate change Custom:${d} NOT_INUSE`);
  });
  afterEach(async () => {
    c.close();
    await n.stop();
  });

  const subscribe = (resource: string, event = 'presence') =>
    c.request('SUBSCRIBE', `sip:${resource}@127.0.0.1:${n.udpPort}`, {
      fromUser: 'watcher',
      headers: [['Contact', c.contact], ['Event', event], ['Supported', 'eventlist'], ['Expires', '600']],
    });

  it('a list NOTIFY too large for a UDP datagram is logged and not sent; over TCP the same list goes out whole', async () => {
    const ok = await subscribe('big');
    assert.equal(ok.status, 200);
    await quiet(400);
    assert.equal(c.received.filter((r) => r.method === 'NOTIFY').length, 0, 'nothing sent over UDP');
    assert.ok(n.logs.some((l) => /ERROR.*not sent: its \d+-byte body does not fit a UDP datagram \(64000 bytes at most\)/.test(l)), 'the drop is logged');

    const t = await tcpSubscribe(n.tcpPort, 'big');
    try {
      assert.equal(await t.status, 200);
      const deadline = Date.now() + 5000;
      while (t.notifies.length === 0 && Date.now() < deadline) await quiet(20);
      assert.equal(t.notifies.length, 1);
      assert.ok(t.notifies[0]!.body.length > 64000, `the body is ${t.notifies[0]!.body.length} bytes`);
      const l = readListNotify(t.notifies[0]!);
      assert.equal(l.rlmi.resources.length, BIG);
      assert.equal(l.byUri.size, BIG);
    } finally {
      t.close();
    }
  });

  it('resource_display_name=yes: RLMI <name> from the handler (hint display name) where there is one', async () => {
    const base = n.node.core.subscriptionHandlers.get('presence')!;
    const named: SubscriptionHandler & DisplayNameHook = {
      ...base,
      eventName: 'x-named-presence',
      getResourceDisplayName: (endpoint: PubsubEndpoint, resource: string) =>
        n.node.core.extensions.getHint(String(endpoint.context), resource)?.displayName,
    };
    const dispose = n.node.core.subscriptionHandlers.register('x-named-presence', named, 'test');
    try {
      assert.equal((await subscribe('named', 'x-named-presence')).status, 200);
      const l = readListNotify(await c.waitForRequest((r) => r.method === 'NOTIFY'));
      assert.equal(l.rlmi.name, 'named', 'the list <name> is its id');
      assert.deepEqual(
        l.rlmi.resources.map((r) => r.name),
        ['Alice Anders', '1001'],
      );
    } finally {
      dispose();
    }
  });

  it('NOTIFYs of one list subscription stay in order under a burst of changes, coalesced, ending on the last state', async () => {
    const ok = await subscribe('blf-list');
    assert.equal(ok.status, 200);
    await c.waitForRequest((r) => r.method === 'NOTIFY');
    const runs: Array<Promise<string>> = [];
    for (let i = 0; i < 40; i++) runs.push(n.run(`devstate change Custom:${['alice', 'bob', 'carol'][i % 3]} ${i % 2 ? 'NOT_INUSE' : 'INUSE'}`));
    await Promise.all(runs);
    await n.run('devstate change Custom:alice RINGING');
    await quiet(500);
    const notifies = c.received.filter((r) => r.method === 'NOTIFY' && r.callId === ok.callId);
    const seqs = notifies.map((r) => r.cseq.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'received in CSeq order');
    const versions = notifies.map((r) => readListNotify(r).rlmi.version);
    assert.deepEqual(versions, versions.map((_, i) => i), 'RLMI versions 0, 1, 2... without gaps');
    assert.ok(notifies.length < 42, `coalesced (${notifies.length} NOTIFYs for 41 changes)`);
    const lastWith1000 = [...notifies].reverse().find((r) => readListNotify(r).byUri.has(`sip:1000@127.0.0.1:${n.udpPort}`))!;
    assert.equal(childText(partXml(readListNotify(lastWith1000), `sip:1000@127.0.0.1:${n.udpPort}`), 'note'), 'Ringing');
  });
});
