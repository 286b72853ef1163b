import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { SipRequest, SipResponse } from '../../core/sip/message.js';
import type { SipStack } from '../../core/sip/stack.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import { Inbox, StreamPeer, TcpServerPeer, UdpPeer, rawRequest, settle, startStack } from './helpers.js';

interface Received {
  req: SipRequest;
  tx: ServerTransaction;
}

describe('sip stack server transactions', function () {
  this.timeout(10000);
  let stack: SipStack;
  let port: number;
  let tcpPort: number;
  let peer: UdpPeer;
  let requests: Inbox<Received>;
  let clock: sinon.SinonFakeTimers | null = null;
  /** What the TU does with each new request (default: nothing, the test answers). */
  let answer: (r: Received) => void;

  beforeEach(async () => {
    const t = await startStack([
      { name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' },
      { name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' },
    ]);
    stack = t.stack;
    port = t.info[0].port;
    tcpPort = t.info[1].port;
    peer = await UdpPeer.open();
    requests = new Inbox<Received>();
    answer = () => {};
    stack.onRequest = (req, tx) => {
      const r = { req, tx };
      requests.push(r);
      answer(r);
    };
  });

  afterEach(async () => {
    clock?.restore();
    clock = null;
    peer.close();
    await stack.close();
  });

  function fakeTimers(): sinon.SinonFakeTimers {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    return clock;
  }

  async function response(): Promise<SipResponse> {
    const m = await peer.next();
    assert.equal(m.kind, 'response');
    return m as SipResponse;
  }

  it('absorbs a retransmitted SUBSCRIBE: the TU sees it once, the peer gets the same final response again', async () => {
    answer = ({ tx }) => tx.reply(200, undefined, { headers: [['Expires', '600']] });
    const sub = rawRequest({ method: 'SUBSCRIBE', sentBy: peer.sentBy, headers: { Event: 'presence', Expires: '600' } });
    peer.send(sub, port);
    const first = await response();
    peer.send(sub, port);
    const second = await response();
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.to.tag, first.to.tag, 'the very same response, same To-tag (one dialog)');
    await settle(30);
    assert.equal(requests.drain().length, 1, 'the TU was called once');
    assert.equal(stack.stats.retransmissionsAbsorbed, 1);
    assert.equal(stack.stats.serverTransactions, 1, 'kept for Timer J');
  });

  it('absorbs a retransmission in Trying silently and answers later ones with the last response', async () => {
    const req = rawRequest({ method: 'PUBLISH', sentBy: peer.sentBy, headers: { Event: 'presence' } });
    peer.send(req, port);
    const { tx } = await requests.next();
    peer.send(req, port);
    await settle(30);
    assert.equal(peer.inbox.length, 0, 'nothing to resend yet');
    tx.reply(183, 'Session Progress');
    assert.equal((await response()).status, 183);
    peer.send(req, port);
    assert.equal((await response()).status, 183, 'last provisional resent');
    tx.reply(200);
    assert.equal((await response()).status, 200);
    assert.throws(() => tx.reply(500), (e: Error & { code?: string }) => e.code === 'TST_ERR_SIP_TRANSACTION');
    assert.equal(requests.length, 0);
  });

  it('keeps a UDP non-INVITE transaction for Timer J (64*T1), a TCP one not at all', async () => {
    const c = fakeTimers();
    answer = ({ tx }) => tx.reply(200);
    const req = rawRequest({ sentBy: peer.sentBy });
    peer.send(req, port);
    await response();
    assert.equal(stack.stats.serverTransactions, 1);
    c.tick(32000 - 1);
    assert.equal(stack.stats.serverTransactions, 1);
    c.tick(1);
    assert.equal(stack.stats.serverTransactions, 0);
    // After Timer J the same bytes are a new request.
    peer.send(req, port);
    await response();
    assert.equal(requests.drain().length, 2);

    const before = stack.stats.serverTransactions;
    const tcp = await StreamPeer.tcp(tcpPort);
    tcp.write(rawRequest({ transport: 'TCP' }));
    assert.equal(((await tcp.next()) as SipResponse).status, 200);
    assert.equal(stack.stats.serverTransactions, before, 'Timer J is 0 on a reliable transport');
    tcp.close();
  });

  it('ends a non-INVITE transaction the TU never answers after 64*T1', async () => {
    const c = fakeTimers();
    peer.send(rawRequest({ sentBy: peer.sentBy }), port);
    const { tx } = await requests.next();
    assert.equal(stack.stats.serverTransactions, 1);
    c.tick(32000);
    assert.equal(stack.stats.serverTransactions, 0);
    assert.equal(tx.state, 'terminated');
  });

  it('answers 501 without a TU and 500 when the TU throws', async () => {
    stack.onRequest = null;
    peer.send(rawRequest({ sentBy: peer.sentBy }), port);
    assert.equal((await response()).status, 501);
    stack.onRequest = () => {
      throw new Error('boom');
    };
    peer.send(rawRequest({ sentBy: peer.sentBy }), port);
    assert.equal((await response()).status, 500);
  });

  describe('INVITE', () => {
    it('answers a retransmitted INVITE with 100 Trying, then with the last provisional', async () => {
      const invite = rawRequest({ method: 'INVITE', sentBy: peer.sentBy, headers: { Contact: '<sip:alice@127.0.0.1>' } });
      peer.send(invite, port);
      const { tx } = await requests.next();
      peer.send(invite, port);
      assert.equal((await response()).status, 100);
      tx.reply(180);
      assert.equal((await response()).status, 180);
      peer.send(invite, port);
      assert.equal((await response()).status, 180);
      assert.equal(requests.length, 0);
    });

    it('sends 100 Trying by itself when the TU is silent for 200 ms', async () => {
      const c = fakeTimers();
      peer.send(rawRequest({ method: 'INVITE', sentBy: peer.sentBy }), port);
      await requests.next();
      c.tick(199);
      await settle(20);
      assert.equal(peer.inbox.length, 0);
      c.tick(1);
      assert.equal((await response()).status, 100);
    });

    it('retransmits a non-2xx final response by Timer G until the ACK, which it absorbs', async () => {
      const c = fakeTimers();
      const sent: number[] = [];
      stack.onMessage = (dir, buf) => {
        if (dir === 'out' && buf.toString().startsWith('SIP/2.0 486')) sent.push(Date.now());
      };
      let acks = 0;
      stack.onAck = () => acks++;
      const invite = rawRequest({ method: 'INVITE', sentBy: peer.sentBy, branch: 'z9hG4bKinv486' });
      peer.send(invite, port);
      const { req, tx } = await requests.next();
      const busy = tx.reply(486);
      c.tick(500 + 1000 + 2000 + 4000 + 4000);
      assert.deepEqual(sent, [0, 500, 1500, 3500, 7500, 11500], 'Timer G: T1, 2T1, 4T1, then T2');
      // The ACK (same branch, To with the tag of the 486).
      const ack = rawRequest({
        method: 'ACK',
        sentBy: peer.sentBy,
        branch: 'z9hG4bKinv486',
        callId: req.callId,
        to: `<sip:bob@127.0.0.1>;tag=${busy.to.tag}`,
      });
      peer.send(ack, port);
      await settle(30);
      assert.equal(tx.state, 'confirmed');
      c.tick(4999);
      assert.equal(sent.length, 6, 'no more retransmissions after the ACK');
      peer.send(ack, port); // a retransmitted ACK in Confirmed: absorbed too
      await settle(30);
      assert.equal(acks, 0, 'the ACK never reached the TU');
      assert.equal(requests.length, 0);
      assert.equal(tx.state, 'confirmed');
      c.tick(1); // Timer I = T4
      assert.equal(tx.state, 'terminated');
      assert.equal(stack.stats.serverTransactions, 0);
    });

    it('reports Timer H when no ACK comes', async () => {
      const c = fakeTimers();
      peer.send(rawRequest({ method: 'INVITE', sentBy: peer.sentBy }), port);
      const { tx } = await requests.next();
      let timedOut = 0;
      tx.onTimeout = () => timedOut++;
      tx.reply(603);
      c.tick(32000);
      assert.equal(timedOut, 1);
      assert.equal(tx.state, 'terminated');
      assert.equal(stack.stats.timeouts, 1);
    });

    it('passes the ACK for a 2xx (a new branch) to onAck, and absorbs INVITE retransmissions in Accepted', async () => {
      const acks = new Inbox<SipRequest>();
      stack.onAck = (ack) => acks.push(ack);
      const invite = rawRequest({ method: 'INVITE', sentBy: peer.sentBy, branch: 'z9hG4bKinv200' });
      peer.send(invite, port);
      const { req, tx } = await requests.next();
      const ok = tx.reply(200, undefined, { headers: [['Contact', '<sip:bob@127.0.0.1>']] });
      assert.equal((await response()).status, 200);
      assert.equal(tx.state, 'accepted');
      peer.send(invite, port);
      assert.equal((await response()).status, 200);
      assert.equal(requests.length, 0);
      peer.send(rawRequest({ method: 'ACK', sentBy: peer.sentBy, branch: 'z9hG4bKack2xx', callId: req.callId, to: `<sip:bob@127.0.0.1>;tag=${ok.to.tag}` }), port);
      const ack = await acks.next();
      assert.equal(ack.method, 'ACK');
    });

    it('CANCEL: 200 for the CANCEL, onCancel, then 487 for the INVITE; 481 for an unknown one', async () => {
      const cancelled = new Inbox<string>();
      stack.onCancel = (inv, cancel) => cancelled.push(`${inv.method}/${cancel.method}`);
      const branch = 'z9hG4bKtocancel';
      const invite = rawRequest({ method: 'INVITE', sentBy: peer.sentBy, branch, callId: 'cancel-me', cseq: 7 });
      peer.send(invite, port);
      const { tx } = await requests.next();
      tx.reply(180);
      assert.equal((await response()).status, 180);
      peer.send(rawRequest({ method: 'CANCEL', sentBy: peer.sentBy, branch, callId: 'cancel-me', cseq: 7 }), port);
      const [a, b] = [await response(), await response()];
      const byMethod = new Map([a, b].map((r) => [r.cseq.method, r.status]));
      assert.equal(byMethod.get('CANCEL'), 200);
      assert.equal(byMethod.get('INVITE'), 487);
      assert.equal(await cancelled.next(), 'INVITE/CANCEL');
      assert.equal(tx.state, 'completed');
      assert.equal(requests.length, 0, 'CANCEL is not a new request for the TU');
      peer.send(rawRequest({ method: 'CANCEL', sentBy: peer.sentBy, branch: 'z9hG4bKnothing', callId: 'nothing', cseq: 1 }), port);
      assert.equal((await response()).status, 481);
    });
  });

  it('matches RFC 2543 requests (branch without the magic cookie) by their headers', async () => {
    answer = ({ tx }) => tx.reply(200);
    const old = rawRequest({ sentBy: peer.sentBy, branch: '1a2b3c', callId: 'rfc2543', rport: false });
    peer.send(old, port);
    const first = await response();
    peer.send(old, port);
    const second = await response();
    assert.equal(second.to.tag, first.to.tag);
    assert.equal(requests.drain().length, 1);
    // Another CSeq is another transaction.
    peer.send(rawRequest({ sentBy: peer.sentBy, branch: '1a2b3c', callId: 'rfc2543', rport: false, cseq: 2 }), port);
    await response();
    assert.equal(requests.drain().length, 1);
  });

  it('matches on sent-by too: the same branch from another sent-by is another transaction', async () => {
    answer = ({ tx }) => tx.reply(200);
    peer.send(rawRequest({ sentBy: peer.sentBy, branch: 'z9hG4bKshared', callId: 'one' }), port);
    await response();
    peer.send(rawRequest({ sentBy: '127.0.0.1:1', branch: 'z9hG4bKshared', callId: 'two' }), port);
    await response();
    assert.deepEqual(requests.drain().map((r) => r.req.callId), ['one', 'two']);
  });

  it('TCP: when the connection is gone, the response goes over a new one to received + sent-by port', async () => {
    const listener = await TcpServerPeer.open();
    const a = await StreamPeer.tcp(tcpPort);
    a.write(rawRequest({ transport: 'TCP', sentBy: `127.0.0.1:${listener.port}` }));
    const { tx } = await requests.next();
    a.close();
    await settle(30);
    tx.reply(200);
    const { msg } = await listener.inbox.next();
    assert.equal((msg as SipResponse).status, 200);
    listener.close();
  });
});
