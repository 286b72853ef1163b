import assert from 'node:assert/strict';
import sinon from 'sinon';
import { SipRequest, type SipResponse } from '../../core/sip/message.js';
import { buildResponse, serializeMessage } from '../../core/sip/serializer.js';
import type { SipStack } from '../../core/sip/stack.js';
import type { ClientTransaction, ClientTransactionHandlers } from '../../core/sip/transaction/client-transaction.js';
import { Inbox, TcpServerPeer, UdpPeer, parse, settle, startStack } from './helpers.js';

function request(method: string, port: number, seq = 1): SipRequest {
  return new SipRequest(method, `sip:peer@127.0.0.1:${port}`, [
    ['From', '<sip:tsterisk@127.0.0.1>;tag=uac1'],
    ['To', '<sip:peer@127.0.0.1>'],
    ['Call-ID', `client-${method}-${seq}-${Date.now()}@test`],
    ['CSeq', `${seq} ${method}`],
    ['Contact', '<sip:tsterisk@127.0.0.1>'],
  ]);
}

interface Outcome {
  status: number;
  via: 'response' | 'timeout' | 'error';
}

function recorder(): { inbox: Inbox<Outcome>; handlers: ClientTransactionHandlers } {
  const inbox = new Inbox<Outcome>();
  return {
    inbox,
    handlers: {
      onResponse: (r) => inbox.push({ status: r.status, via: 'response' }),
      onTimeout: (r) => inbox.push({ status: r.status, via: 'timeout' }),
      onTransportError: (r) => inbox.push({ status: r.status, via: 'error' }),
    },
  };
}

describe('sip stack client transactions', function () {
  this.timeout(10000);
  let stack: SipStack;
  let peer: UdpPeer;
  let clock: sinon.SinonFakeTimers;
  /** Times (fake ms) at which each outgoing message left, by first line. */
  let sent: Array<{ at: number; line: string; data: Buffer }>;

  beforeEach(async () => {
    const t = await startStack([
      { name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' },
      { name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' },
    ]);
    stack = t.stack;
    peer = await UdpPeer.open();
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    sent = [];
    stack.onMessage = (dir, data) => {
      if (dir === 'out') sent.push({ at: Date.now(), line: data.toString('latin1', 0, data.indexOf('\r\n')), data });
    };
  });

  afterEach(async () => {
    clock.restore();
    peer.close();
    await stack.close();
  });

  /** Answer the last request the peer received with `status` (To-tag added by buildResponse). */
  async function answer(status: number): Promise<SipRequest> {
    const got = parse((await peer.inbox.next()).data) as SipRequest;
    peer.send(serializeMessage(buildResponse(got, status)), stack.listTransports()[0].port);
    return got;
  }

  function startTimes(prefix: string): number[] {
    return sent.filter((s) => s.line.startsWith(prefix)).map((s) => s.at);
  }

  it('non-INVITE over UDP: Timer E at 500 ms, 1 s, 2 s, 4 s, 4 s... and Timer F gives a 408 after 64*T1', () => {
    const { inbox, handlers } = recorder();
    stack.sendRequest(request('NOTIFY', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    clock.tick(31999);
    const at = startTimes('NOTIFY');
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    assert.deepEqual(gaps, [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    assert.equal(inbox.length, 0);
    clock.tick(1);
    assert.deepEqual(inbox.drain(), [{ status: 408, via: 'timeout' }]);
    assert.equal(stack.stats.retransmissionsSent, 10);
    assert.equal(stack.stats.timeouts, 1);
    assert.equal(stack.stats.clientTransactions, 0);
    clock.tick(10000);
    assert.equal(startTimes('NOTIFY').length, 11, 'nothing after Timer F');
  });

  it('delivers the synthesized 408 to onResponse when there is no onTimeout', () => {
    const got: SipResponse[] = [];
    const req = request('OPTIONS', peer.port);
    const tx = stack.sendRequest(req, { host: '127.0.0.1', port: peer.port }, { onResponse: (r) => got.push(r) });
    clock.tick(32000);
    assert.equal(got.length, 1);
    assert.equal(got[0].status, 408);
    assert.equal(got[0].reason, 'Request Timeout');
    assert.equal(got[0].to.tag, null, 'nobody answered: no To-tag');
    assert.equal(got[0].callId, req.callId);
    assert.equal(got[0].cseq.method, 'OPTIONS');
    assert.equal(tx.state, 'terminated');
    assert.throws(() => tx.request, /request released/);
  });

  it('after a provisional response, Timer E retransmits every T2', async () => {
    const { inbox, handlers } = recorder();
    stack.sendRequest(request('SUBSCRIBE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    await answer(100);
    await settle(30);
    assert.deepEqual(inbox.drain(), [{ status: 100, via: 'response' }]);
    clock.tick(12000);
    const at = startTimes('SUBSCRIBE');
    assert.deepEqual(at, [0, 500, 4500, 8500, 12500].filter((t) => t <= 12000));
  });

  it('non-INVITE over TCP: no retransmission, 408 after 64*T1', async () => {
    const server = await TcpServerPeer.open();
    const { inbox, handlers } = recorder();
    stack.sendRequest(request('NOTIFY', server.port), { protocol: 'tcp', host: '127.0.0.1', port: server.port }, handlers);
    await server.inbox.next();
    clock.tick(31999);
    assert.equal(startTimes('NOTIFY').length, 1);
    clock.tick(1);
    assert.deepEqual(inbox.drain(), [{ status: 408, via: 'timeout' }]);
    server.close();
  });

  it('Timer K: a completed UDP transaction absorbs retransmitted responses for T4, then ends', async () => {
    const { inbox, handlers } = recorder();
    stack.sendRequest(request('NOTIFY', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    const got = await answer(200);
    await settle(30);
    assert.deepEqual(inbox.drain(), [{ status: 200, via: 'response' }]);
    peer.send(serializeMessage(buildResponse(got, 200)), stack.listTransports()[0].port);
    await settle(30);
    assert.equal(inbox.length, 0, 'the retransmitted 200 is absorbed');
    assert.equal(stack.stats.responsesAbsorbed, 1);
    assert.equal(stack.stats.clientTransactions, 1);
    clock.tick(4999);
    assert.equal(stack.stats.clientTransactions, 1);
    clock.tick(1);
    assert.equal(stack.stats.clientTransactions, 0);
    assert.equal(startTimes('NOTIFY').length, 1, 'no retransmission once answered');
  });

  it('INVITE over UDP: Timer A doubles without a cap, Timer B gives a 408 after 64*T1', () => {
    const { inbox, handlers } = recorder();
    stack.sendRequest(request('INVITE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    clock.tick(32000);
    assert.deepEqual(startTimes('INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(inbox.drain(), [{ status: 408, via: 'timeout' }]);
  });

  it('INVITE: a 1xx stops Timers A and B', async () => {
    const { inbox, handlers } = recorder();
    const tx = stack.sendRequest(request('INVITE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    await answer(180);
    await settle(30);
    assert.equal(tx.state, 'proceeding');
    clock.tick(64000);
    assert.equal(startTimes('INVITE').length, 1);
    assert.deepEqual(inbox.drain(), [{ status: 180, via: 'response' }]);
  });

  it('INVITE: ACKs a 486 itself (same branch, To-tag of the response) and again for each retransmission', async () => {
    const { inbox, handlers } = recorder();
    const tx = stack.sendRequest(request('INVITE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    const invite = parse((await peer.inbox.next()).data) as SipRequest;
    const busy = buildResponse(invite, 486);
    const port = stack.listTransports()[0].port;
    peer.send(serializeMessage(busy), port);
    const ack = parse((await peer.inbox.next()).data) as SipRequest;
    assert.equal(ack.method, 'ACK');
    assert.equal(ack.uri, invite.uri);
    assert.equal(ack.topVia.branch, invite.topVia.branch);
    assert.equal(ack.getHeaders('Via').length, 1);
    assert.equal(ack.cseq.seq, invite.cseq.seq);
    assert.equal(ack.cseq.method, 'ACK');
    assert.equal(ack.to.tag, busy.to.tag);
    assert.equal(ack.from.tag, 'uac1');
    assert.equal(ack.callId, invite.callId);
    assert.deepEqual(inbox.drain(), [{ status: 486, via: 'response' }]);
    assert.equal(tx.state, 'completed');
    peer.send(serializeMessage(busy), port);
    const again = parse((await peer.inbox.next()).data) as SipRequest;
    assert.equal(again.method, 'ACK');
    await settle(20);
    assert.equal(inbox.length, 0, 'the retransmitted 486 is not passed up');
    clock.tick(32000); // Timer D
    assert.equal(tx.state, 'terminated');
  });

  it('INVITE: a 2xx goes to the TU, and its retransmissions too while Accepted (Timer M)', async () => {
    const { inbox, handlers } = recorder();
    const tx = stack.sendRequest(request('INVITE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    const invite = await answer(200);
    await settle(30);
    assert.equal(tx.state, 'accepted');
    assert.equal(tx.request.method, 'INVITE', 'kept while Accepted: the TU builds its ACK from it');
    const ok = buildResponse(invite, 200);
    peer.send(serializeMessage(ok), stack.listTransports()[0].port);
    await settle(30);
    assert.deepEqual(inbox.drain(), [
      { status: 200, via: 'response' },
      { status: 200, via: 'response' },
    ]);
    assert.equal(startTimes('ACK').length, 0, 'the ACK for a 2xx is the TU\'s');
    clock.tick(32000);
    assert.equal(tx.state, 'terminated');
  });

  it('CANCEL waits for a provisional response, then goes with the INVITE branch; the INVITE gets its 487', async () => {
    const { inbox, handlers } = recorder();
    const cancelOutcome = recorder();
    const tx: ClientTransaction = stack.sendRequest(request('INVITE', peer.port), { host: '127.0.0.1', port: peer.port }, handlers);
    const invite = parse((await peer.inbox.next()).data) as SipRequest;
    stack.cancel(tx, cancelOutcome.handlers);
    await settle(30);
    assert.equal(startTimes('CANCEL').length, 0, 'no CANCEL before a provisional (RFC 3261 9.1)');
    const port = stack.listTransports()[0].port;
    peer.send(serializeMessage(buildResponse(invite, 180)), port);
    const cancel = parse((await peer.inbox.next()).data) as SipRequest;
    assert.equal(cancel.method, 'CANCEL');
    assert.equal(cancel.uri, invite.uri);
    assert.equal(cancel.topVia.branch, invite.topVia.branch);
    assert.equal(cancel.cseq.seq, invite.cseq.seq);
    assert.equal(cancel.cseq.method, 'CANCEL');
    assert.equal(cancel.to.tag, null);
    peer.send(serializeMessage(buildResponse(cancel, 200)), port);
    peer.send(serializeMessage(buildResponse(invite, 487)), port);
    assert.deepEqual(await cancelOutcome.inbox.next(), { status: 200, via: 'response' });
    const ack = parse((await peer.inbox.next()).data) as SipRequest;
    assert.equal(ack.method, 'ACK');
    await settle(20);
    assert.deepEqual(inbox.drain(), [
      { status: 180, via: 'response' },
      { status: 487, via: 'response' },
    ]);
  });

  it('refuses to send an ACK in a transaction, and a request to a protocol without a transport', () => {
    assert.throws(() => stack.sendRequest(request('ACK', peer.port), { host: '127.0.0.1', port: peer.port }, { onResponse: () => {} }), /ACK is not sent/);
    assert.throws(
      () => stack.sendRequest(request('OPTIONS', peer.port), { protocol: 'tls', host: '127.0.0.1', port: 5061 }, { onResponse: () => {} }),
      (e: Error & { code?: string }) => e.code === 'TST_ERR_SIP_TRANSPORT' && /No TLS transport/.test(e.message),
    );
  });

  it('sends a stateless ACK for a 2xx with a fresh Via', async () => {
    const ack = request('ACK', peer.port);
    stack.sendStateless(ack, { host: '127.0.0.1', port: peer.port });
    const got = parse((await peer.inbox.next()).data) as SipRequest;
    assert.equal(got.method, 'ACK');
    assert.match(got.topVia.branch ?? '', /^z9hG4bK/);
    assert.equal(stack.stats.clientTransactions, 0);
  });

  it('passes a response without a transaction to onStrayResponse', async () => {
    const stray = new Inbox<number>();
    stack.onStrayResponse = (r) => stray.push(r.status);
    const fake = parse(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnobody\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
    );
    peer.send(serializeMessage(fake), stack.listTransports()[0].port);
    assert.equal(await stray.next(), 200);
    assert.equal(stack.stats.strayResponses, 1);
  });
});
