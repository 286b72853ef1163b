import assert from 'node:assert/strict';
import type { SipResponse } from '../../core/sip/message.js';
import type { SipStack } from '../../core/sip/stack.js';
import { StreamPeer, UdpPeer, rawRequest, settle, startStack } from './helpers.js';

describe('sip stack malformed input', function () {
  this.timeout(10000);
  let stack: SipStack;
  let logs: string[];
  let udpPort: number;
  let tcpPort: number;
  let tuCalls: number;
  const peers: Array<{ close(): void }> = [];

  beforeEach(async () => {
    const t = await startStack(
      [
        { name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' },
        { name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' },
      ],
      { limits: { maxMessageSize: 4096, maxBodySize: 2048 } },
    );
    stack = t.stack;
    logs = t.logs;
    udpPort = t.info[0].port;
    tcpPort = t.info[1].port;
    tuCalls = 0;
    stack.onRequest = (_req, tx) => {
      tuCalls++;
      tx.reply(200);
    };
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await stack.close();
  });

  async function udp(): Promise<UdpPeer> {
    const p = await UdpPeer.open();
    peers.push(p);
    return p;
  }

  async function tcp(): Promise<StreamPeer> {
    const p = await StreamPeer.tcp(tcpPort);
    peers.push(p);
    return p;
  }

  /** A valid request from a fresh client still gets its 200. */
  async function stillServing(): Promise<void> {
    const u = await udp();
    u.send(rawRequest({ sentBy: u.sentBy }), udpPort);
    assert.equal(((await u.next()) as SipResponse).status, 200);
    const t = await tcp();
    t.write(rawRequest({ transport: 'TCP' }));
    assert.equal(((await t.next()) as SipResponse).status, 200);
  }

  it('UDP: answers a bad Content-Length with 400 and the parser\'s phrase, and logs the fault', async () => {
    const p = await udp();
    p.send(rawRequest({ sentBy: p.sentBy, headers: { 'Content-Length': 'abc' } }), udpPort);
    const res = (await p.next()) as SipResponse;
    assert.equal(res.status, 400);
    assert.equal(res.reason, 'Bad Content-Length');
    assert.equal(res.topVia.rport, p.port, 'Via stamped like any response');
    assert.equal(stack.stats.parseErrorsAnswered, 1);
    assert.equal(tuCalls, 0);
    assert.equal(logs.filter((l) => l.includes('Bad Content-Length (answered 400)')).length, 1, logs.join('\n'));
    await stillServing();
  });

  it('UDP: drops and counts a request without Call-ID (it cannot be answered)', async () => {
    const p = await udp();
    p.send(rawRequest({ sentBy: p.sentBy, headers: { 'Call-ID': null } }), udpPort);
    assert.ok(await p.inbox.quiet(80), 'no answer');
    assert.equal(stack.stats.parseErrorsDropped, 1);
    assert.equal(stack.stats.parseErrorsAnswered, 0);
    assert.ok(logs.some((l) => /Missing Call-ID \(dropped\)/.test(l)), logs.join('\n'));
    await stillServing();
  });

  it('UDP: answers a request with an unsupported SIP version 505, never a malformed ACK', async () => {
    const p = await udp();
    p.send(rawRequest({ sentBy: p.sentBy }).replace('SIP/2.0\r\n', 'SIP/3.0\r\n'), udpPort);
    const res = (await p.next()) as SipResponse;
    assert.equal(res.status, 505);
    p.send(rawRequest({ method: 'ACK', sentBy: p.sentBy, headers: { 'Content-Length': 'abc' } }), udpPort);
    assert.ok(await p.inbox.quiet(80));
    assert.equal(stack.stats.parseErrorsDropped, 1);
  });

  it('UDP: drops a datagram over maxMessageSize before parsing it', async () => {
    const p = await udp();
    p.send(rawRequest({ sentBy: p.sentBy, method: 'MESSAGE', body: 'x'.repeat(5000) }), udpPort);
    assert.ok(await p.inbox.quiet(80));
    assert.equal(stack.stats.oversizeDropped, 1);
    assert.equal(tuCalls, 0);
  });

  it('UDP: ignores CRLF keep-alives', async () => {
    const p = await udp();
    p.send('\r\n\r\n', udpPort);
    assert.ok(await p.inbox.quiet(50));
    assert.equal(stack.stats.keepAlives, 1);
    assert.equal(stack.stats.parseErrorsDropped, 0);
  });

  it('TCP: answers Content-Length: abc with 400 Bad Content-Length, then closes the connection', async () => {
    const t = await tcp();
    // A good message first, then the bad one in the same write: the answer must find the right one.
    t.write(rawRequest({ transport: 'TCP', callId: 'good' }) + rawRequest({ transport: 'TCP', callId: 'bad', headers: { 'Content-Length': 'abc' } }));
    const ok = (await t.next()) as SipResponse;
    assert.equal(ok.status, 200);
    const res = (await t.next()) as SipResponse;
    assert.equal(res.status, 400);
    assert.equal(res.reason, 'Bad Content-Length');
    assert.equal(res.callId, 'bad');
    assert.ok(await t.closesWithin(3000), 'connection closed');
    assert.equal(stack.stats.framingErrors, 1);
    assert.ok(logs.some((l) => /closing connection from 127\.0\.0\.1:\d+: Bad Content-Length \(answered\)/.test(l)), logs.join('\n'));
    await stillServing();
  });

  it('TCP: a header block split over writes with a bad Content-Length is still answered', async () => {
    const t = await tcp();
    const bad = rawRequest({ transport: 'TCP', callId: 'split', headers: { 'Content-Length': '12x' } });
    for (let i = 0; i < bad.length; i += 20) {
      t.write(bad.slice(i, i + 20));
      await settle(1);
    }
    const res = (await t.next()) as SipResponse;
    assert.equal(res.status, 400);
    assert.equal(res.callId, 'split');
    assert.ok(await t.closesWithin(3000));
  });

  it('TCP: a framed request without Call-ID is dropped, the connection stays usable', async () => {
    const t = await tcp();
    t.write(rawRequest({ transport: 'TCP', headers: { 'Call-ID': null } }));
    await settle(50);
    assert.equal(t.inbox.length, 0);
    assert.equal(stack.stats.parseErrorsDropped, 1);
    t.write(rawRequest({ transport: 'TCP' }));
    assert.equal(((await t.next()) as SipResponse).status, 200);
    assert.ok(!t.closed);
  });

  it('TCP: a header block over the size limit closes the connection without an answer', async () => {
    const t = await tcp();
    t.write(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n${'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(200)}`);
    assert.ok(await t.closesWithin(3000), 'connection closed');
    assert.equal(t.inbox.length, 0);
    assert.equal(stack.stats.framingErrors, 1);
    assert.ok(logs.some((l) => /Message Too Large/.test(l)), logs.join('\n'));
    await stillServing();
  });

  it('TCP: a body over maxBodySize is answered 513 and the connection closed', async () => {
    const t = await tcp();
    t.write(rawRequest({ transport: 'TCP', method: 'MESSAGE', headers: { 'Content-Length': '3000' } }));
    const res = (await t.next()) as SipResponse;
    assert.equal(res.status, 513);
    assert.equal(res.reason, 'Body Too Large');
    assert.ok(await t.closesWithin(3000));
  });
});
