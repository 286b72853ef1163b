import assert from 'node:assert/strict';
import { SipRequest, SipResponse } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import {
  buildResponse,
  generateBranch,
  generateCallId,
  generateTag,
  reasonPhrase,
  serializeMessage,
} from '../../core/sip/serializer.js';

function parsedRequest(lines: string[]): SipRequest {
  const r = parseMessage(Buffer.from(lines.join('\r\n')));
  if (!r.ok) assert.fail(r.error);
  assert.equal(r.message.kind, 'request');
  return r.message as SipRequest;
}

const SUBSCRIBE = [
  'SUBSCRIBE sip:1000@127.0.0.1:5160 SIP/2.0',
  'v: SIP/2.0/UDP 127.0.0.1:5170;rport;branch=z9hG4bKtop',
  'Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKlower;received=10.0.0.9',
  'f: "W" <sip:watcher@127.0.0.1>;tag=f0aa574c',
  't: <sip:1000@127.0.0.1:5160>',
  'i: 39de3b7547660458@drive',
  'CSeq: 1 SUBSCRIBE',
  'Timestamp: 54.2',
  'o: presence',
  'Content-Length: 0',
  '',
  '',
];

describe('sip serializer', () => {
  it('writes canonical names, CRLFs and a computed Content-Length', () => {
    const m = new SipRequest('NOTIFY', 'sip:watcher@127.0.0.1:5170', [
      ['v', 'SIP/2.0/UDP 127.0.0.1:5160;rport;branch=z9hG4bK1'],
      ['f', '<sip:1000@127.0.0.1>;tag=x'],
      ['t', '<sip:watcher@127.0.0.1>;tag=y'],
      ['i', 'c1'],
      ['cseq', '2 NOTIFY'],
      ['allow', 'OPTIONS'],
      ['ALLOW', 'NOTIFY, SUBSCRIBE'],
      ['content-length', '999'],
      ['c', 'text/plain'],
    ]);
    m.body = Buffer.from('\u00e9t\u00e9\n');
    const text = serializeMessage(m).toString('utf8');
    assert.equal(
      text,
      [
        'NOTIFY sip:watcher@127.0.0.1:5170 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5160;rport;branch=z9hG4bK1',
        'From: <sip:1000@127.0.0.1>;tag=x',
        'To: <sip:watcher@127.0.0.1>;tag=y',
        'Call-ID: c1',
        'CSeq: 2 NOTIFY',
        'Allow: OPTIONS, NOTIFY, SUBSCRIBE',
        'Content-Length: 6',
        'Content-Type: text/plain',
        '',
        '\u00e9t\u00e9\n',
      ].join('\r\n'),
    );
  });

  it('writes one line per Via/Contact/Route value and appends Content-Length when absent', () => {
    const m = new SipResponse(200, 'OK', [
      ['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'],
      ['Contact', '<sip:a@b>, <sip:c@d>'],
    ]);
    const text = serializeMessage(m).toString();
    assert.equal(
      text,
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nContact: <sip:a@b>\r\nContact: <sip:c@d>\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('cannot be made to inject header lines through a value', () => {
    const m = new SipResponse(200, 'OK\r\nX-Evil: 1', [['Subject', 'a\r\nX-Evil: 2']]);
    const text = serializeMessage(m).toString();
    assert.equal(text.includes('\r\nX-Evil'), false);
    assert.equal(text, 'SIP/2.0 200 OK X-Evil: 1\r\nSubject: a X-Evil: 2\r\nContent-Length: 0\r\n\r\n');
  });

  it('writes binary bodies byte for byte', () => {
    const body = Buffer.from([0, 255, 13, 10, 13, 10, 128]);
    const m = new SipResponse(200, 'OK', [], body);
    const out = serializeMessage(m);
    assert.ok(out.subarray(out.length - body.length).equals(body));
    assert.ok(out.toString('latin1').includes('Content-Length: 7\r\n\r\n'));
  });
});

describe('sip buildResponse (RFC 3261 8.2.6.2)', () => {
  it('copies Vias, From, To, Call-ID and CSeq and adds a To-tag', () => {
    const req = parsedRequest(SUBSCRIBE);
    const res = buildResponse(req, 200, undefined, { toTag: 'srv1', headers: [['Expires', '600'], ['Contact', '<sip:127.0.0.1:5160>']] });
    assert.equal(res.reason, 'OK');
    const text = serializeMessage(res).toString();
    assert.equal(
      text,
      [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 127.0.0.1:5170;rport;branch=z9hG4bKtop',
        'Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKlower;received=10.0.0.9',
        'From: "W" <sip:watcher@127.0.0.1>;tag=f0aa574c',
        'To: <sip:1000@127.0.0.1:5160>;tag=srv1',
        'Call-ID: 39de3b7547660458@drive',
        'CSeq: 1 SUBSCRIBE',
        'Expires: 600',
        'Contact: <sip:127.0.0.1:5160>',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    assert.equal(res.to.tag, 'srv1');
    assert.equal(res.from.tag, 'f0aa574c');
    assert.equal(res.vias.length, 2);
    assert.deepEqual(res.cseq, { seq: 1, method: 'SUBSCRIBE' });
  });

  it('generates a To-tag when none is given, keeps an existing one, adds none on 100', () => {
    const req = parsedRequest(SUBSCRIBE);
    const a = buildResponse(req, 489);
    assert.equal(a.reason, 'Bad Event');
    assert.match(a.to.tag ?? '', /^[0-9a-f]{16}$/);
    assert.equal(a.getHeader('To'), `<sip:1000@127.0.0.1:5160>;tag=${a.to.tag}`);
    const trying = buildResponse(req, 100);
    assert.equal(trying.to.tag, null);
    assert.equal(trying.getHeader('Timestamp'), '54.2');
    assert.equal(a.getHeader('Timestamp'), undefined);
    const inDialog = parsedRequest(SUBSCRIBE.map((l) => (l.startsWith('t:') ? 't: <sip:1000@127.0.0.1:5160>;tag=keep' : l)));
    const b = buildResponse(inDialog, 200, 'OK', { toTag: 'ignored' });
    assert.equal(b.to.tag, 'keep');
    assert.equal(b.getHeader('To'), '<sip:1000@127.0.0.1:5160>;tag=keep');
  });

  it('accepts a plain header list, a body and a custom reason', () => {
    const req = parsedRequest(SUBSCRIBE);
    const r = buildResponse(req, 423, 'Interval Too Brief', [['Min-Expires', '60']]);
    assert.equal(r.getHeader('Min-Expires'), '60');
    const withBody = buildResponse(req, 200, 'Fine', { body: 'hi \u00e9', contentType: 'text/plain' });
    const reparsed = parseMessage(serializeMessage(withBody));
    assert.ok(reparsed.ok);
    assert.equal(reparsed.message.kind, 'response');
    assert.equal(reparsed.message.bodyText(), 'hi \u00e9');
    assert.equal(reparsed.message.getHeader('Content-Length'), '5');
    assert.equal(reparsed.message.kind === 'response' && reparsed.message.reason, 'Fine');
  });

  it('knows the reason phrases this server sends', () => {
    assert.equal(reasonPhrase(202), 'Accepted');
    assert.equal(reasonPhrase(412), 'Conditional Request Failed');
    assert.equal(reasonPhrase(423), 'Interval Too Brief');
    assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
    assert.equal(reasonPhrase(489), 'Bad Event');
    assert.equal(reasonPhrase(513), 'Message Too Large');
    assert.equal(reasonPhrase(299), 'OK');
    assert.equal(reasonPhrase(499), 'Unknown');
  });
});

describe('sip identifiers', () => {
  it('makes unique tags, magic-cookie branches and Call-IDs', () => {
    const tags = new Set(Array.from({ length: 2000 }, generateTag));
    assert.equal(tags.size, 2000);
    for (const t of tags) assert.match(t, /^[0-9a-f]{16}$/);
    const b = generateBranch();
    assert.match(b, /^z9hG4bK[0-9a-f]{24}$/);
    assert.notEqual(generateBranch(), b);
    assert.match(generateCallId(), /^[0-9a-f]{32}$/);
    assert.match(generateCallId('127.0.0.1'), /^[0-9a-f]{32}@127\.0\.0\.1$/);
  });
});
