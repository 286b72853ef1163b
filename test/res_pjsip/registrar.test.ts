import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { DeviceState } from '../../core/state/device-state.js';
import { parseContact } from '../../core/sip/header-values.js';
import { serializeMessage } from '../../core/sip/serializer.js';
import { TestSipClient } from '../support/sip-client.js';
import { startPjsipNode, type PjsipNode } from './pjsip-node.js';

const ALICE = { username: 'alice', password: 'wonderland' };

describe('res_pjsip_registrar (RFC 3261 10.3)', function () {
  this.timeout(20000);
  let n: PjsipNode;
  let c: TestSipClient;
  beforeEach(async () => {
    n = await startPjsipNode();
    c = await TestSipClient.udp(n.udpPort);
  });
  afterEach(async () => {
    c.close();
    await n.stop();
  });
  const reg = (contacts: string[], expires?: number, extra: Array<[string, string]> = []) =>
    c.request('REGISTER', `sip:alice@127.0.0.1:${n.udpPort}`, {
      fromUser: 'alice',
      credentials: ALICE,
      headers: [...contacts.map((x) => ['Contact', x] as [string, string]), ...(expires !== undefined ? [['Expires', String(expires)] as [string, string]] : []), ...extra],
    });
  const contactsIn = (r: { getHeaders(n: string): string[] }) =>
    r
      .getHeaders('Contact')
      .map((v) => parseContact(v))
      .map((na) => (na && na !== '*' ? `${na.uri};expires=${na.params.get('expires')}` : '?'))
      .sort();

  it('adds with the header Expires, a contact expires param wins, and 200 lists the bindings', async () => {
    const r = await reg(['<sip:a1@127.0.0.1:5071>', '<sip:a2@127.0.0.1:5072>;expires=300'], 120);
    assert.equal(r.status, 200);
    assert.deepEqual(contactsIn(r), ['sip:a1@127.0.0.1:5071;expires=120', 'sip:a2@127.0.0.1:5072;expires=300']);
    assert.ok(r.getHeader('Date'));
  });

  it('uses default_expiration without any expires, and caps at maximum_expiration', async () => {
    const r = await reg(['<sip:a1@127.0.0.1:5071>', '<sip:a2@127.0.0.1:5072>;expires=99999']);
    assert.deepEqual(contactsIn(r), ['sip:a1@127.0.0.1:5071;expires=3600', 'sip:a2@127.0.0.1:5072;expires=3600']);
  });

  it('answers 423 Interval Too Brief with Min-Expires', async () => {
    const r = await reg(['<sip:a1@127.0.0.1:5071>'], 30);
    assert.equal(r.status, 423);
    assert.equal(r.getHeader('Min-Expires'), '60');
    assert.equal(n.pjsip.location.contacts('alice').length, 0);
  });

  it('refreshes, removes one with expires=0, and removes all with * and Expires: 0', async () => {
    await reg(['<sip:a1@127.0.0.1:5071>', '<sip:a2@127.0.0.1:5072>'], 120);
    const refresh = await reg(['<sip:a1@127.0.0.1:5071>'], 600);
    assert.deepEqual(contactsIn(refresh), ['sip:a1@127.0.0.1:5071;expires=600', 'sip:a2@127.0.0.1:5072;expires=120']);
    const one = await reg(['<sip:a2@127.0.0.1:5072>;expires=0']);
    assert.deepEqual(contactsIn(one), ['sip:a1@127.0.0.1:5071;expires=600']);
    const bad = await reg(['*'], 60);
    assert.equal(bad.status, 400, '* needs Expires: 0');
    const all = await reg(['*'], 0);
    assert.equal(all.status, 200);
    assert.equal(all.getHeaders('Contact').length, 0);
    assert.equal(n.pjsip.location.contacts('alice').length, 0);
  });

  it('refuses more than max_contacts with 403, unless remove_existing drops the oldest', async () => {
    await reg(['<sip:a1@127.0.0.1:5071>', '<sip:a2@127.0.0.1:5072>'], 120);
    const over = await reg(['<sip:a3@127.0.0.1:5073>'], 120);
    assert.equal(over.status, 403);
    assert.equal(n.pjsip.location.contacts('alice').length, 2);
    // bob: max_contacts=1, remove_existing=yes, identified by IP 127.0.0.2 (no auth).
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.2', r));
    const bobClient = await TestSipClient.udp(n.udpPort);
    bobClient.close();
    const send = (uri: string, contact: string) =>
      new Promise<string>((resolve) => {
        const req = bobClient.build('REGISTER', uri, { fromUser: 'bob', headers: [['Contact', contact], ['Expires', '120']] });
        req.setHeader('Via', `SIP/2.0/UDP 127.0.0.2:${sock.address().port};rport;branch=z9hG4bK${Math.random().toString(36).slice(2)}`);
        sock.once('message', (m) => resolve(m.toString()));
        sock.send(serializeMessage(req), n.udpPort, '127.0.0.1');
      });
    assert.match(await send(`sip:bob@127.0.0.1:${n.udpPort}`, '<sip:b1@127.0.0.2:5071>'), /^SIP\/2\.0 200 OK/);
    assert.match(await send(`sip:bob@127.0.0.1:${n.udpPort}`, '<sip:b2@127.0.0.2:5072>'), /^SIP\/2\.0 200 OK/);
    assert.deepEqual(n.pjsip.location.contacts('bob').map((x) => x.uri), ['sip:b2@127.0.0.2:5072']);
    sock.close();
  });

  it('answers 404 for an AOR that is not the endpoint\'s', async () => {
    const r = await c.request('REGISTER', `sip:carol@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', toUri: `sip:carol@127.0.0.1:${n.udpPort}`, credentials: ALICE, headers: [['Contact', '<sip:x@127.0.0.1:5000>']] });
    assert.equal(r.status, 404);
  });

  it('PJSIP/<endpoint> follows the contacts: UNAVAILABLE, NOT_INUSE, UNAVAILABLE', async () => {
    assert.equal(n.node.core.devices.getState('PJSIP/alice'), DeviceState.UNAVAILABLE);
    assert.equal(n.node.core.devices.getState('PJSIP/nosuch'), DeviceState.INVALID);
    await reg(['<sip:a1@127.0.0.1:5071>'], 120);
    assert.equal(n.node.core.devices.getState('PJSIP/alice'), DeviceState.NOT_INUSE);
    assert.match(await n.run('pjsip show endpoints'), /Endpoint:  alice\s+Not in use/);
    await reg(['*'], 0);
    assert.equal(n.node.core.devices.getState('PJSIP/alice'), DeviceState.UNAVAILABLE);
    // carol has a static contact: reachable without registering.
    assert.equal(n.node.core.devices.getState('PJSIP/carol'), DeviceState.NOT_INUSE);
  });

  it('keeps contacts across a restart, and they expire on time after it', async () => {
    await reg(['<sip:a1@127.0.0.1:5071>'], 120);
    await n.node.core.store.flush();
    const dir = n.dir;
    c.close();
    await n.stop();
    n = await startPjsipNode(undefined, {}, dir);
    c = await TestSipClient.udp(n.udpPort);
    const back = n.pjsip.location.contacts('alice');
    assert.equal(back.length, 1);
    assert.equal(back[0]!.uri, 'sip:a1@127.0.0.1:5071');
    assert.ok(back[0]!.expiresAt > Date.now() + 100_000);
    assert.equal(n.node.core.devices.getState('PJSIP/alice'), DeviceState.NOT_INUSE);
    assert.match(await n.run('pjsip show contacts'), /alice\/sip:a1@127\.0\.0\.1:5071\s+Avail\s+expires in 1\d\ds via UDP 127\.0\.0\.1:\d+/);
  });
});
