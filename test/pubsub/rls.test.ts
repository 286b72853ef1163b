import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { SipResponse } from '../../core/sip/message.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { TestSipClient } from '../support/sip-client.js';
import { attr } from '../support/xml-reader.js';
import { childText, parseListBody, partXml, readListNotify, type ListBody } from './rls-support.js';

const RLS_PJSIP = `
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
allow_subscribe = yes

[blf-list]
type = resource_list
event = presence
list_item = 1000,1001
list_item = 1002

[blf-dialog]
type = resource_list
event = dialog
list_item = 1000, 1001, 1002

[full-list]
type = resource_list
event = presence
full_state = yes
list_item = 1000,1001,1002

[outer]
type = resource_list
event = presence
list_item = 1000,inner

[inner]
type = resource_list
event = presence
list_item = 1001,1002,outer

[self]
type = resource_list
event = presence
list_item = self,1000,1001,1000

[batched]
type = resource_list
event = presence
notification_batch_interval = 300
list_item = 1000,1001,1002

[dead-list]
type = resource_list
event = presence
list_item = 9998,9999

[part-dead]
type = resource_list
event = presence
list_item = 9999,1000

[no-items]
type = resource_list
event = presence
`;

const RLS_EXT = '[blf]\nexten => 1000,hint,Custom:alice\nexten => 1001,hint,Custom:bob,CustomPresence:bob\nexten => 1002,hint,Custom:carol\n';

const ACCEPT_PIDF = ['application/pidf+xml', 'application/rlmi+xml', 'multipart/related'];
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('res_pjsip_pubsub: resource lists (RFC 4662)', function () {
  this.timeout(30000);
  let n: PjsipNode | undefined;
  let c: TestSipClient;
  let port: number;
  const uri = (user: string) => `sip:${user}@127.0.0.1:${port}`;

  beforeEach(async () => {
    n = await startPjsipNode(RLS_PJSIP, { 'extensions.conf': RLS_EXT });
    port = n.udpPort;
    c = await TestSipClient.udp(n.udpPort);
    for (const d of ['alice', 'bob', 'carol']) await n.run(`devstate change Custom:${d} NOT_INUSE`);
    await n.run('presencestate change CustomPresence:bob AVAILABLE');
  });
  afterEach(async () => {
    c.close();
    await n?.stop();
    n = undefined;
  });

  const subscribe = (resource: string, event: string, o: { eventlist?: boolean; accept?: string[]; expires?: number } = {}) =>
    c.request('SUBSCRIBE', uri(resource), {
      fromUser: 'watcher',
      headers: [
        ['Contact', c.contact],
        ['Event', event],
        ...(o.accept ?? []).map((a) => ['Accept', a] as [string, string]),
        ...(o.eventlist === false ? [] : [['Supported', 'eventlist'] as [string, string]]),
        ['Expires', String(o.expires ?? 600)],
      ],
    });
  const inDialog = (ok: SipResponse, resource: string, event: string, expires: number, cseq: number) =>
    c.request('SUBSCRIBE', uri(resource), {
      fromUser: 'watcher',
      callId: ok.callId,
      fromTag: ok.from.tag!,
      toTag: ok.to.tag!,
      cseq,
      headers: [['Contact', c.contact], ['Event', event], ['Supported', 'eventlist'], ['Expires', String(expires)]],
    });
  const notifyAfter = (mark: number, ok?: SipResponse) =>
    c.waitForRequest((r) => r.method === 'NOTIFY' && c.received.indexOf(r) >= mark && (!ok || r.callId === ok.callId));
  const notifiesSince = (mark: number) => c.received.slice(mark).filter((r) => r.method === 'NOTIFY');
  const uris = (l: ListBody) => l.rlmi.resources.map((r) => r.uri);

  it('presence list of three hints: 200 with Require, full RLMI NOTIFY, then a partial NOTIFY with just the changed resource', async () => {
    const ok = await subscribe('blf-list', 'presence', { accept: ACCEPT_PIDF });
    assert.equal(ok.status, 200);
    assert.equal(ok.getHeader('Require'), 'eventlist');
    assert.equal(ok.getHeader('Expires'), '600');
    const n1 = await notifyAfter(0);
    assert.equal(n1.getHeader('Event'), 'presence');
    assert.match(n1.getHeader('Subscription-State')!, /^active;expires=(599|600)$/);
    assert.match(n1.getHeader('Content-Type')!, /^multipart\/related;type="application\/rlmi\+xml";start="<[a-z]{5}@127\.0\.0\.1>";boundary=[a-z]{5}$/);
    const l1 = readListNotify(n1);
    assert.equal(l1.rlmi.uri, uri('blf-list'));
    assert.equal(l1.rlmi.version, 0);
    assert.equal(l1.rlmi.fullState, 'true');
    assert.equal(l1.rlmi.name, 'blf-list');
    assert.deepEqual(uris(l1), [uri('1000'), uri('1001'), uri('1002')]);
    assert.deepEqual(l1.rlmi.resources.map((r) => r.name), ['1000', '1001', '1002']);
    for (const r of l1.rlmi.resources) {
      assert.equal(r.instances.length, 1);
      assert.equal(r.instances[0]!.state, 'active');
      assert.match(r.instances[0]!.cid!, /^[a-z]{5}@127\.0\.0\.1$/);
      assert.equal(r.instances[0]!.reason, undefined);
      const part = l1.byUri.get(r.uri)!;
      assert.equal(part.contentType, 'application/pidf+xml');
      assert.equal(part.contentId, r.instances[0]!.cid);
      const pidf = partXml(l1, r.uri);
      assert.equal(pidf.localName, 'presence');
      assert.equal(attr(pidf, 'entity'), r.uri, 'each leaf has its own presentity');
      assert.equal(childText(pidf, 'note'), 'Ready');
    }

    const mark = c.received.length;
    await n!.run('devstate change Custom:alice INUSE');
    const n2 = await notifyAfter(mark);
    const l2 = readListNotify(n2);
    assert.equal(l2.rlmi.version, 1);
    assert.equal(l2.rlmi.fullState, 'false');
    assert.deepEqual(uris(l2), [uri('1000')]);
    assert.equal(childText(partXml(l2, uri('1000')), 'note'), 'On the phone');
    assert.ok(n2.cseq.seq > n1.cseq.seq);
  });

  it('nothing visible changed: no NOTIFY, and neither the RLMI nor a leaf version skips', async () => {
    const ok = await subscribe('blf-dialog', 'dialog', { accept: ['application/dialog-info+xml', 'application/rlmi+xml', 'multipart/related'] });
    assert.equal(ok.status, 200);
    const l1 = readListNotify(await notifyAfter(0));
    assert.deepEqual(uris(l1), [uri('1000'), uri('1001'), uri('1002')]);
    for (const r of l1.rlmi.resources) {
      const d = partXml(l1, r.uri);
      assert.equal(d.localName, 'dialog-info');
      assert.equal(attr(d, 'version'), '0', 'each leaf counts its own dialog-info versions');
      assert.equal(attr(d, 'entity'), r.uri);
    }
    let mark = c.received.length;
    await n!.run('devstate change Custom:alice INUSE');
    const l2 = readListNotify(await notifyAfter(mark));
    assert.equal(l2.rlmi.version, 1);
    assert.deepEqual(uris(l2), [uri('1000')]);
    assert.equal(attr(partXml(l2, uri('1000')), 'version'), '1');

    // 1001's hint watches CustomPresence:bob: its handler is called, but dialog-info shows no presence.
    mark = c.received.length;
    await n!.run('presencestate change CustomPresence:bob AWAY');
    await quiet(300);
    assert.equal(notifiesSince(mark).length, 0, 'no NOTIFY for a change nobody can see');

    await n!.run('devstate change Custom:bob RINGING');
    const l3 = readListNotify(await notifyAfter(mark));
    assert.equal(l3.rlmi.version, 2, 'RLMI version continues without a gap');
    assert.deepEqual(uris(l3), [uri('1001')]);
    const d = partXml(l3, uri('1001'));
    assert.equal(attr(d, 'version'), '1', 'the unsent render gave its dialog-info version back');
    const dialog = d.children.find((x) => x.localName === 'dialog')!;
    assert.equal(childText(dialog, 'state'), 'early');
  });

  it('full_state=yes: every NOTIFY carries the whole list', async () => {
    assert.equal((await subscribe('full-list', 'presence')).status, 200);
    readListNotify(await notifyAfter(0));
    const mark = c.received.length;
    await n!.run('devstate change Custom:bob INUSE');
    const l2 = readListNotify(await notifyAfter(mark));
    assert.equal(l2.rlmi.version, 1);
    assert.equal(l2.rlmi.fullState, 'true');
    assert.deepEqual(uris(l2), [uri('1000'), uri('1001'), uri('1002')]);
    assert.equal(childText(partXml(l2, uri('1001')), 'note'), 'On the phone');
    assert.equal(childText(partXml(l2, uri('1000')), 'note'), 'Ready');
  });

  it('nested lists: a list part holds its own RLMI; the loop back to the outer list is cut; partial state reaches into the nested list', async () => {
    assert.equal((await subscribe('outer', 'presence')).status, 200);
    const l1 = readListNotify(await notifyAfter(0));
    assert.deepEqual(uris(l1), [uri('1000'), uri('inner')]);
    assert.deepEqual(l1.rlmi.resources.map((r) => r.name), ['1000', 'inner']);
    const innerPart = l1.byUri.get(uri('inner'))!;
    assert.match(innerPart.contentType, /^multipart\/related;type="application\/rlmi\+xml"/);
    const inner = parseListBody(innerPart.contentType, innerPart.body);
    assert.equal(inner.rlmi.uri, uri('inner'));
    assert.equal(inner.rlmi.name, 'inner');
    assert.equal(inner.rlmi.fullState, 'true');
    assert.deepEqual(uris(inner), [uri('1001'), uri('1002')], 'outer is not visited twice');
    assert.notEqual(inner.multipart.boundary, l1.multipart.boundary);

    const mark = c.received.length;
    await n!.run('devstate change Custom:carol INUSE');
    const l2 = readListNotify(await notifyAfter(mark));
    assert.equal(l2.rlmi.version, 1);
    assert.equal(l2.rlmi.fullState, 'false');
    assert.deepEqual(uris(l2), [uri('inner')]);
    const p = l2.byUri.get(uri('inner'))!;
    const inner2 = parseListBody(p.contentType, p.body);
    assert.equal(inner2.rlmi.version, 1);
    assert.equal(inner2.rlmi.fullState, 'false');
    assert.deepEqual(uris(inner2), [uri('1002')]);
    assert.equal(childText(partXml(inner2, uri('1002')), 'note'), 'On the phone');
  });

  it('a list that includes itself (and an item twice) still works, each resource once', async () => {
    const ok = await subscribe('self', 'presence');
    assert.equal(ok.status, 200);
    const l1 = readListNotify(await notifyAfter(0));
    assert.deepEqual(uris(l1), [uri('1000'), uri('1001')]);
    const mark = c.received.length;
    await n!.run('devstate change Custom:alice RINGING');
    const l2 = readListNotify(await notifyAfter(mark));
    assert.deepEqual(uris(l2), [uri('1000')]);
    assert.equal(childText(partXml(l2, uri('1000')), 'note'), 'Ringing');
  });

  it('notification_batch_interval: two quick changes make one NOTIFY with both; a full-state NOTIFY cancels a pending batch', async () => {
    const ok = await subscribe('batched', 'presence');
    assert.equal(ok.status, 200);
    const l1 = readListNotify(await notifyAfter(0));
    assert.equal(l1.rlmi.resources.length, 3);
    let mark = c.received.length;
    const t0 = Date.now();
    await n!.run('devstate change Custom:alice INUSE');
    await n!.run('devstate change Custom:carol RINGING');
    const n2 = await notifyAfter(mark);
    assert.ok(Date.now() - t0 >= 250, `sent after the batch window (${Date.now() - t0} ms)`);
    const l2 = readListNotify(n2);
    assert.equal(l2.rlmi.version, 1);
    assert.deepEqual(uris(l2), [uri('1000'), uri('1002')]);
    assert.equal(childText(partXml(l2, uri('1000')), 'note'), 'On the phone');
    assert.equal(childText(partXml(l2, uri('1002')), 'note'), 'Ringing');
    await quiet(400);
    assert.equal(notifiesSince(mark).length, 1, 'one NOTIFY for both changes');

    // A change, then a refresh within the window: the full NOTIFY has it; no batch NOTIFY follows.
    mark = c.received.length;
    await n!.run('devstate change Custom:bob INUSE');
    const re = await inDialog(ok, 'batched', 'presence', 600, 50);
    assert.equal(re.status, 200);
    assert.equal(re.getHeader('Require'), 'eventlist');
    const l3 = readListNotify(await notifyAfter(mark));
    assert.equal(l3.rlmi.fullState, 'true');
    assert.equal(childText(partXml(l3, uri('1001')), 'note'), 'On the phone');
    await quiet(500);
    assert.equal(notifiesSince(mark).length, 1, 'the pending batch was dropped');
  });

  it('refuses as Asterisk does: no Supported: eventlist → plain resource (404), no surviving item → 500, list of another event → plain, list without items rejected', async () => {
    assert.equal((await subscribe('blf-list', 'presence', { eventlist: false })).status, 404);
    const dead = await subscribe('dead-list', 'presence');
    assert.equal(dead.status, 500);
    assert.equal(dead.getHeader('Require'), undefined);
    assert.equal((await subscribe('blf-list', 'dialog')).status, 404, 'a presence list is no list for Event: dialog');
    assert.equal((await subscribe('no-items', 'presence')).status, 404);
    const issues = n!.node.core.sorcery.issues('resource_list');
    assert.ok(issues.some((i) => i.section === 'no-items' && /no list items/.test(i.message)), JSON.stringify(issues));
    // A list with one refused item keeps the others.
    assert.equal((await subscribe('part-dead', 'presence')).status, 200);
    const l = readListNotify(await notifyAfter(0));
    assert.deepEqual(uris(l), [uri('1000')]);
    assert.match(await n!.run('pjsip list subscriptions inbound'), /watcher\s+part-dead\s+presence/);
  });

  it('a hint removed by a reload: the resource is reported terminated (noresource) and dropped; the list lives on; unsubscribe ends it in full state', async () => {
    const ok = await subscribe('blf-list', 'presence');
    assert.equal(ok.status, 200);
    await notifyAfter(0);
    let mark = c.received.length;
    writeFileSync(`${n!.dir}/extensions.conf`, '[blf]\nexten => 1000,hint,Custom:alice\nexten => 1001,hint,Custom:bob,CustomPresence:bob\n');
    await n!.run('dialplan reload');
    const n2 = await notifyAfter(mark);
    assert.match(n2.getHeader('Subscription-State')!, /^active/);
    const l2 = readListNotify(n2);
    assert.equal(l2.rlmi.fullState, 'false');
    assert.deepEqual(uris(l2), [uri('1002')]);
    assert.equal(l2.rlmi.resources[0]!.instances[0]!.state, 'terminated');
    assert.equal(l2.rlmi.resources[0]!.instances[0]!.reason, 'noresource');

    mark = c.received.length;
    await n!.run('devstate change Custom:alice INUSE');
    assert.deepEqual(uris(readListNotify(await notifyAfter(mark))), [uri('1000')]);

    mark = c.received.length;
    const un = await inDialog(ok, 'blf-list', 'presence', 0, 60);
    assert.equal(un.status, 200);
    assert.equal(un.getHeader('Require'), 'eventlist');
    const fin = await notifyAfter(mark);
    assert.match(fin.getHeader('Subscription-State')!, /^terminated/);
    const lf = readListNotify(fin);
    assert.equal(lf.rlmi.fullState, 'true');
    assert.deepEqual(uris(lf), [uri('1000'), uri('1001')]);
    assert.ok(lf.rlmi.resources.every((r) => r.instances[0]!.state === 'terminated'));
    await quiet(50);
    assert.ok(n!.node.core.extensions.listHints().every((h) => h.watchers === 0), 'every leaf stopped watching');
  });

  it('refresh re-reads the list from the configuration: full state with the current items', async () => {
    const ok = await subscribe('blf-list', 'presence');
    assert.equal(ok.status, 200);
    await notifyAfter(0);
    const conf = RLS_PJSIP.replace('list_item = 1000,1001\nlist_item = 1002', 'list_item = 1002,1001');
    writeFileSync(`${n!.dir}/pjsip.conf`, conf);
    await n!.run('core reload');
    const mark = c.received.length;
    const re = await inDialog(ok, 'blf-list', 'presence', 300, 70);
    assert.equal(re.status, 200);
    const l = readListNotify(await notifyAfter(mark));
    assert.equal(l.rlmi.fullState, 'true');
    assert.equal(l.rlmi.version, 1);
    assert.deepEqual(uris(l), [uri('1002'), uri('1001')]);
    await quiet(50);
    const h1000 = n!.node.core.extensions.listHints().find((h) => h.exten === '1000')!;
    assert.equal(h1000.watchers, 0, 'the dropped item stopped watching');
  });

  it('the handler module is in use by every leaf; a forced unload ends the list with reason=deactivated', async () => {
    const ok = await subscribe('blf-list', 'presence');
    assert.equal(ok.status, 200);
    await notifyAfter(0);
    await assert.rejects(n!.run('module unload res_pjsip_exten_state'), /use count 3/);
    const mark = c.received.length;
    await n!.run('module unload -f res_pjsip_exten_state');
    await quiet(100);
    const fin = notifiesSince(mark).find((r) => r.getHeader('Subscription-State')!.startsWith('terminated'));
    assert.ok(fin, 'a final NOTIFY');
    assert.equal(fin.getHeader('Subscription-State'), 'terminated;reason=deactivated');
    assert.match(await n!.run('pjsip list subscriptions inbound'), /Objects found: 0/);
    assert.ok(n!.node.core.extensions.listHints().every((h) => h.watchers === 0));
  });

  it('a list subscription survives a restart: same dialog, full state, RLMI and leaf versions continue', async () => {
    const ok = await subscribe('blf-dialog', 'dialog');
    assert.equal(ok.status, 200);
    const n1 = await notifyAfter(0);
    let mark = c.received.length;
    await n!.run('devstate change Custom:alice INUSE');
    const n2 = await notifyAfter(mark);
    assert.equal(readListNotify(n2).rlmi.version, 1);
    const dir = n!.dir;
    await n!.stop();
    n = undefined;
    mark = c.received.length;
    n = await startPjsipNode(RLS_PJSIP, {}, dir);
    port = n.udpPort;
    const n3 = await notifyAfter(mark);
    assert.equal(n3.callId, ok.callId);
    assert.equal(n3.from.tag, ok.to.tag);
    assert.ok(n3.cseq.seq > n2.cseq.seq && n2.cseq.seq > n1.cseq.seq);
    const l3 = readListNotify(n3);
    assert.equal(l3.rlmi.version, 2);
    assert.equal(l3.rlmi.fullState, 'true');
    assert.equal(l3.rlmi.resources.length, 3);
    const versions = l3.rlmi.resources.map((r) => attr(partXml(l3, r.uri), 'version'));
    assert.deepEqual(versions, ['2', '1', '1'], 'each leaf continues its own dialog-info version');
    assert.equal(childText(partXml(l3, l3.rlmi.resources[0]!.uri).children.find((x) => x.localName === 'dialog')!, 'state'), 'confirmed');
    mark = c.received.length;
    await n.run('devstate change Custom:carol RINGING');
    const l4 = readListNotify(await notifyAfter(mark));
    assert.equal(l4.rlmi.version, 3);
    assert.equal(l4.rlmi.resources.length, 1);
    assert.match(await n.run('pjsip show subscription inbound ' + (await firstSubscriptionId(n))), /List resources\s+: 1000, 1001, 1002/);
  });
});

async function firstSubscriptionId(n: PjsipNode): Promise<string> {
  const out = await n.run('pjsip show subscriptions inbound');
  const m = /Id: ([0-9a-f]+)/.exec(out);
  assert.ok(m, out);
  return m[1]!;
}

