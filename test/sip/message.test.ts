import assert from 'node:assert/strict';
import { SipRequest, SipResponse, type SipMessage } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { isTstError } from '../../core/errors.js';

function request(): SipRequest {
  return new SipRequest('SUBSCRIBE', 'sip:bob@example.com', [
    ['v', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1'],
    ['From', '<sip:alice@example.com>;tag=a1'],
    ['To', '<sip:bob@example.com>'],
    ['i', 'call-1'],
    ['CSeq', '1 SUBSCRIBE'],
    ['Allow', 'SUBSCRIBE, NOTIFY'],
    ['X-Thing', 'one'],
  ]);
}

describe('sip message: header accessors', () => {
  it('stores compact names in canonical form and finds them under any spelling', () => {
    const m = request();
    assert.deepEqual(m.getAllHeaders().map(([n]) => n), ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Allow', 'Allow', 'X-Thing']);
    assert.equal(m.getHeader('call-id'), 'call-1');
    assert.equal(m.getHeader('I'), 'call-1');
    assert.equal(m.getHeader('x-thing'), 'one');
    assert.equal(m.getHeader('Nope'), undefined);
    assert.deepEqual(m.getHeaders('allow'), ['SUBSCRIBE', 'NOTIFY']);
    assert.deepEqual(m.getHeaders('Nope'), []);
    assert.equal(m.hasHeader('v'), true);
    assert.equal(m.headerCount, 8);
  });

  it('setHeader replaces all values in place; addHeader appends; removeHeader counts', () => {
    const m = request();
    m.setHeader('allow', 'INVITE, ACK, BYE');
    assert.deepEqual(m.getHeaders('Allow'), ['INVITE', 'ACK', 'BYE']);
    assert.deepEqual(m.getAllHeaders().map(([n]) => n).slice(5, 8), ['Allow', 'Allow', 'Allow']);
    m.setHeader('Expires', '600');
    assert.deepEqual(m.getAllHeaders().at(-1), ['Expires', '600']);
    m.addHeader('x-thing', 'two');
    assert.deepEqual(m.getHeaders('X-Thing'), ['one', 'two']);
    m.setHeader('X-Thing', ['three', 'four']);
    assert.deepEqual(m.getHeaders('X-Thing'), ['three', 'four']);
    assert.equal(m.removeHeader('Allow'), 3);
    assert.equal(m.removeHeader('Allow'), 0);
    assert.equal(m.hasHeader('Allow'), false);
    m.prependHeader('Via', 'SIP/2.0/TCP 192.0.2.9;branch=z9hG4bK0');
    assert.deepEqual(m.vias.map((v) => v.host), ['192.0.2.9', '192.0.2.1']);
  });

  it('parses the convenience fields lazily and refreshes them after a change', () => {
    const m = request();
    assert.equal(m.callId, 'call-1');
    assert.deepEqual(m.cseq, { seq: 1, method: 'SUBSCRIBE' });
    assert.equal(m.from.tag, 'a1');
    assert.equal(m.to.tag, null);
    assert.equal(m.topVia.branch, 'z9hG4bK1');
    m.setHeader('To', '<sip:bob@example.com>;tag=b2');
    assert.equal(m.to.tag, 'b2');
    m.setHeader('CSeq', '2 SUBSCRIBE');
    assert.equal(m.cseq.seq, 2);
    m.setHeader('f', '"Al" <sip:al@example.com>;tag=z');
    assert.equal(m.from.displayName, 'Al');
    m.setHeader('Call-ID', 'call-2');
    assert.equal(m.callId, 'call-2');
  });

  it('throws TST_ERR_SIP_MESSAGE for a missing or malformed essential header', () => {
    const m = new SipRequest('OPTIONS', 'sip:a@b');
    const expectCode = (fn: () => unknown, text: string): void => {
      assert.throws(fn, (e: unknown) => isTstError(e, 'TST_ERR_SIP_MESSAGE') && e.message === text);
    };
    expectCode(() => m.from, 'Missing From');
    expectCode(() => m.callId, 'Missing Call-ID');
    expectCode(() => m.vias, 'Missing Via');
    m.setHeader('CSeq', 'x OPTIONS');
    expectCode(() => m.cseq, 'Bad CSeq');
    m.setHeader('To', 'garbage');
    expectCode(() => m.to, 'Bad To');
  });

  it('narrows on kind and keeps bodies as bytes', () => {
    const res = new SipResponse(200, 'OK', [], 'caf\u00e9');
    const msgs: SipMessage[] = [request(), res];
    assert.deepEqual(msgs.map((m) => (m.kind === 'request' ? m.method : m.status)), ['SUBSCRIBE', 200]);
    assert.equal(res.body.length, 5);
    assert.equal(res.contentLength, 5);
    assert.equal(res.bodyText(), 'caf\u00e9');
    res.setBody(Buffer.from([1, 2, 3]), 'application/octet-stream');
    assert.equal(res.contentLength, 3);
    assert.equal(res.getHeader('c'), 'application/octet-stream');
  });

  it('clones independently', () => {
    const m = request();
    const c = m.clone();
    c.setHeader('Call-ID', 'other');
    c.uri = 'sip:carol@example.com';
    assert.equal(m.callId, 'call-1');
    assert.equal(c.callId, 'other');
    assert.equal(m.requestUri?.user, 'bob');
    assert.equal(c.requestUri?.user, 'carol');
  });

  it('the parser caches the same objects the getters return', () => {
    const raw = Buffer.from(
      'NOTIFY sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 5 NOTIFY\r\nContent-Length: 0\r\n\r\n',
    );
    const r = parseMessage(raw);
    assert.ok(r.ok);
    assert.equal(r.message.from, r.message.from);
    assert.equal(r.message.vias, r.message.vias);
  });
});
