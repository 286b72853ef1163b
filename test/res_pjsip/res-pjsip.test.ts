import assert from 'node:assert/strict';
import { parseDigestChallenge } from '../../core/sip/header-values.js';
import { TestSipClient } from '../support/sip-client.js';
import { startPjsipNode, type PjsipNode } from './pjsip-node.js';

describe('res_pjsip over real UDP and TCP sockets', function () {
  this.timeout(20000);
  let n: PjsipNode;
  const clients: TestSipClient[] = [];
  before(async () => {
    n = await startPjsipNode();
  });
  after(async () => {
    for (const c of clients) c.close();
    await n.stop();
  });
  async function udp(): Promise<TestSipClient> {
    const c = await TestSipClient.udp(n.udpPort);
    clients.push(c);
    return c;
  }

  it('binds both transports on ephemeral ports and logs each one', () => {
    assert.ok(n.udpPort > 0 && n.tcpPort > 0);
    assert.ok(n.logs.some((l) => l.includes(`Transport 'udp' bound to UDP 127.0.0.1:${n.udpPort}`)));
    assert.ok(n.logs.some((l) => l.includes(`Transport 'tcp' bound to TCP 127.0.0.1:${n.tcpPort}`)));
  });

  it('answers an out-of-dialog OPTIONS ping from an unknown peer with 200, Allow, Accept and Server', async () => {
    const c = await udp();
    const r = await c.request('OPTIONS', `sip:127.0.0.1:${n.udpPort}`, { fromUser: 'stranger' });
    assert.equal(r.status, 200);
    assert.deepEqual([...r.getHeaders('Allow')].sort(), ['NOTIFY', 'OPTIONS', 'PUBLISH', 'REGISTER', 'SUBSCRIBE'], 'the methods with a handler (autoload)');
    assert.ok(r.getHeaders('Accept').includes('application/sdp'));
    assert.equal(r.getHeader('Server'), 'Asterisk PBX tsterisk');
    assert.equal(r.topVia.received, '127.0.0.1', 'RFC 3581: received= even when equal to sent-by, as Asterisk sends it');
    assert.equal(r.topVia.rport, c.localPort);
  });

  it('challenges a request from no identified endpoint (401) and never accepts credentials for it', async () => {
    const c = await udp();
    const r = await c.request('REGISTER', `sip:127.0.0.1:${n.udpPort}`, { fromUser: 'nobody', credentials: { username: 'nobody', password: 'x' } });
    assert.equal(r.status, 401);
  });

  it('challenges alice with MD5, accepts the right password, refuses a wrong one with 403', async () => {
    const c = await udp();
    const first = await c.request('REGISTER', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', headers: [['Contact', c.contact]] });
    assert.equal(first.status, 401);
    const ch = parseDigestChallenge(first.getHeader('WWW-Authenticate')!)!;
    assert.equal(ch.realm, 'asterisk');
    assert.equal(ch.algorithm, 'MD5');
    assert.deepEqual(ch.qop, ['auth']);
    const bad = await c.request('REGISTER', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', headers: [['Contact', c.contact]], credentials: { username: 'alice', password: 'nope' } });
    assert.equal(bad.status, 403);
    const ok = await c.request('REGISTER', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', headers: [['Contact', c.contact], ['Expires', '120']], credentials: { username: 'alice', password: 'wonderland' } });
    assert.equal(ok.status, 200);
    assert.match(ok.getHeader('Contact')!, new RegExp(`^<sip:test@127\\.0\\.0\\.1:${c.localPort}>;expires=1(19|20)$`));
    assert.equal(n.pjsip.location.contacts('alice').length, 1);
  });

  it('offers SHA-256 only where supported_algorithms_uas says so and accepts a SHA-256 answer (RFC 8760)', async () => {
    const c = await udp();
    const first = await c.request('REGISTER', `sip:carol@127.0.0.1:${n.udpPort}`, { fromUser: 'carol', headers: [['Contact', c.contact]] });
    assert.deepEqual(first.getHeaders('WWW-Authenticate').map((h) => parseDigestChallenge(h)!.algorithm), ['SHA-256']);
    const ok = await c.request('REGISTER', `sip:carol@127.0.0.1:${n.udpPort}`, { fromUser: 'carol', headers: [['Contact', c.contact]], credentials: { username: 'carol', password: 'sha-only' } });
    assert.equal(ok.status, 200);
    // carol's static contact is listed with the registered one.
    assert.equal(n.pjsip.contacts('carol').length, 2);
  });

  it('answers unknown methods 501 and known methods without a handler 405 with Allow', async () => {
    const c = await TestSipClient.udp(n.udpPort);
    clients.push(c);
    // bob is identified by IP 127.0.0.2 only; use alice with credentials.
    const r501 = await c.request('FROB', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice' });
    assert.equal(r501.status, 501);
    const r405 = await c.request('MESSAGE', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', credentials: { username: 'alice', password: 'wonderland' } });
    assert.equal(r405.status, 405);
    assert.deepEqual([...r405.getHeaders('Allow')].sort(), ['NOTIFY', 'OPTIONS', 'PUBLISH', 'REGISTER', 'SUBSCRIBE']);
  });

  it('answers an in-dialog request that matches no dialog with 481', async () => {
    const c = await udp();
    const r = await c.request('NOTIFY', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', toTag: 'nosuchdialog' });
    assert.equal(r.status, 481);
  });

  it('answers a malformed but answerable request with 400 naming the fault, and keeps serving', async () => {
    const c = await udp();
    const req = c.build('OPTIONS', `sip:127.0.0.1:${n.udpPort}`);
    const raw = Buffer.from(
      Buffer.from(`${[`OPTIONS sip:127.0.0.1:${n.udpPort} SIP/2.0`, ...req.getAllHeaders().map(([k, v]) => `${k}: ${v}`), 'Content-Length: abc'].join('\r\n')}\r\n\r\n`),
    );
    const got = new Promise<string>((resolve) => {
      const sock = (c as unknown as { onData: (b: Buffer) => void });
      const orig = sock.onData.bind(c);
      sock.onData = (b: Buffer) => {
        resolve(b.toString());
        orig(b);
      };
    });
    c.sendBuffer(raw);
    assert.match(await got, /^SIP\/2\.0 400 Bad Content-Length\r\n/);
    assert.equal((await c.request('OPTIONS', `sip:127.0.0.1:${n.udpPort}`)).status, 200);
  });

  it('serves the same over TCP', async () => {
    const c = await TestSipClient.tcp(n.tcpPort);
    clients.push(c);
    const r = await c.request('REGISTER', `sip:alice@127.0.0.1:${n.tcpPort}`, { fromUser: 'alice', headers: [['Contact', c.contact]], credentials: { username: 'alice', password: 'wonderland' } });
    assert.equal(r.status, 200);
    const contact = n.pjsip.location.contacts('alice').find((x) => x.uri.includes(String(c.localPort)))!;
    assert.equal(contact.flow?.protocol, 'tcp');
    assert.ok(contact.flow?.connectionId, 'the TCP flow is remembered for requests back to the phone');
  });
});
