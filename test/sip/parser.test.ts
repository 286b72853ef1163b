import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, isKeepAlive, type ParseFailure } from '../../core/sip/parser.js';
import { serializeMessage, buildResponse } from '../../core/sip/serializer.js';
import type { SipMessage, SipRequest, SipResponse } from '../../core/sip/message.js';
import { parseDigestCredentials, parseDigestChallenge, parseSubscriptionState, parseMediaType, unquote } from '../../core/sip/header-values.js';
import { readRecordedMessages, RECORDED_DIR, type RecordedMessage } from '../support/recorded-messages.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

function subscribe(extra: string[] = [], opts: { omit?: string[]; body?: string; startLine?: string } = {}): Buffer {
  const base = [
    ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc123;rport'],
    ['Max-Forwards', '70'],
    ['From', '<sip:alice@example.com>;tag=ft1'],
    ['To', '<sip:bob@example.com>'],
    ['Call-ID', 'cid-1@192.0.2.10'],
    ['CSeq', '7 SUBSCRIBE'],
    ['Event', 'presence'],
    ['Expires', '600'],
  ].filter(([n]) => !opts.omit?.includes(n));
  const body = opts.body ?? '';
  return crlf([
    opts.startLine ?? 'SUBSCRIBE sip:bob@example.com SIP/2.0',
    ...base.map(([n, v]) => `${n}: ${v}`),
    ...extra,
    ...(extra.some((l) => /^content-length\s*:/i.test(l)) ? [] : [`Content-Length: ${Buffer.byteLength(body)}`]),
    '',
    body,
  ]);
}

function ok(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) assert.fail(`expected a parse, got ${r.error}`);
  return r.message;
}

function req(buf: Buffer): SipRequest {
  const m = ok(buf);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function fail(buf: Buffer, limits?: Parameters<typeof parseMessage>[1]): ParseFailure {
  const r = parseMessage(buf, limits);
  if (r.ok) assert.fail('expected a parse failure');
  return r;
}

function recordedFiles(): string[] {
  const files: string[] = [];
  for (const dir of [RECORDED_DIR, join(RECORDED_DIR, 'asterisk')]) {
    for (const f of readdirSync(dir)) if (f.endsWith('.txt')) files.push(join(dir, f));
  }
  return files.sort();
}

function recorded(file: string, seq: number): RecordedMessage {
  const m = readRecordedMessages(join(RECORDED_DIR, file)).find((x) => x.seq === seq);
  assert.ok(m, `message ${seq} in ${file}`);
  return m;
}

function startLine(m: SipMessage): string {
  return m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
}

describe('sip parser: recorded wire messages', () => {
  const files = recordedFiles();

  it('finds the capture files and the messages in them', () => {
    assert.ok(files.length >= 19, `found ${files.length} capture files`);
    const counts = files.map((f) => readRecordedMessages(f).length);
    assert.ok(counts.every((c) => c > 0), 'every capture holds messages');
    // 444 '###' entries in the Asterisk captures + 56 in the two sip-listen logs.
    assert.equal(counts.reduce((a, b) => a + b, 0), 500);
  });

  for (const file of files) {
    it(`parse -> serialize -> parse keeps every message of ${file.slice(RECORDED_DIR.length + 1)}`, () => {
      for (const rec of readRecordedMessages(file)) {
        const where = `${rec.file} #${rec.index}`;
        const r1 = parseMessage(rec.raw);
        assert.ok(r1.ok, `${where}: ${r1.ok ? '' : r1.error}`);
        const m1 = r1.message;
        const r2 = parseMessage(serializeMessage(m1));
        assert.ok(r2.ok, `${where} reparse: ${r2.ok ? '' : r2.error}`);
        const m2 = r2.message;
        assert.equal(startLine(m2), startLine(m1), where);
        const noCl = (m: SipMessage): Array<[string, string]> => m.getAllHeaders().filter(([n]) => n !== 'Content-Length');
        assert.deepEqual(noCl(m2), noCl(m1), where);
        assert.ok(m2.body.equals(m1.body), `${where} body`);
        assert.equal(m2.contentLength, m1.contentLength, where);
        const declared = m1.getHeader('Content-Length');
        if (declared !== undefined) assert.equal(m1.body.length, Number(declared.trim()), `${where} Content-Length`);
      }
    });
  }

  it('reads an Asterisk SUBSCRIBE field by field', () => {
    const m = req(recorded('asterisk/presence-pidf-transitions.txt', 1).raw);
    assert.equal(m.method, 'SUBSCRIBE');
    assert.equal(m.uri, 'sip:1000@127.0.0.1:5160');
    assert.equal(m.requestUri?.user, '1000');
    assert.equal(m.requestUri?.port, 5160);
    assert.equal(m.vias.length, 1);
    const via = m.topVia;
    assert.equal(via.protocol, 'SIP/2.0');
    assert.equal(via.transport, 'UDP');
    assert.equal(via.host, '127.0.0.1');
    assert.equal(via.port, 5170);
    assert.equal(via.rport, true);
    assert.equal(via.branch, 'z9hG4bK1026cef278fbd4ba');
    assert.equal(via.received, null);
    assert.equal(m.from.uri, 'sip:watcher@127.0.0.1');
    assert.equal(m.from.tag, 'f0aa574c');
    assert.equal(m.from.displayName, null);
    assert.equal(m.to.uri, 'sip:1000@127.0.0.1:5160');
    assert.equal(m.to.tag, null);
    assert.equal(m.callId, '39de3b7547660458@drive');
    assert.deepEqual(m.cseq, { seq: 1, method: 'SUBSCRIBE' });
    assert.equal(m.getHeader('Event'), 'presence');
    assert.equal(m.getHeader('o'), 'presence');
    assert.equal(m.getHeader('accept'), 'application/pidf+xml');
    assert.equal(m.getHeader('Expires'), '600');
    assert.equal(m.contentLength, 0);
  });

  it('reads an Asterisk 200 OK: rport/received filled in, Allow split, padded Content-Length', () => {
    const m = ok(recorded('asterisk/presence-pidf-transitions.txt', 2).raw) as SipResponse;
    assert.equal(m.kind, 'response');
    assert.equal(m.status, 200);
    assert.equal(m.reason, 'OK');
    assert.equal(m.topVia.rport, 5170);
    assert.equal(m.topVia.received, '127.0.0.1');
    assert.equal(m.to.tag, '3900f517-cf0c-4a53-8087-593cb2ddae92');
    const allow = m.getHeaders('Allow');
    assert.equal(allow.length, 14);
    assert.equal(allow[0], 'OPTIONS');
    assert.equal(allow[13], 'REFER');
    assert.deepEqual(m.getHeaders('Supported'), ['100rel', 'timer', 'replaces', 'norefersub']);
    assert.equal(m.getHeader('Content-Length'), '0');
  });

  it('reads a NOTIFY with a PIDF body of the declared byte length', () => {
    const m = req(recorded('asterisk/presence-pidf-transitions.txt', 3).raw);
    assert.equal(m.method, 'NOTIFY');
    assert.deepEqual(m.cseq, { seq: 29261, method: 'NOTIFY' });
    assert.equal(m.body.length, 393);
    assert.ok(m.bodyText().startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<presence'));
    assert.ok(m.bodyText().endsWith('</presence>\n'));
    const ss = parseSubscriptionState(m.getHeader('Subscription-State') ?? '');
    assert.equal(ss?.state, 'active');
    assert.equal(ss?.expires, 599);
    assert.deepEqual(m.getHeaders('Allow-Events'), ['message-summary', 'presence', 'dialog', 'refer']);
  });

  it('reads an RLS multipart NOTIFY whole (the body holds blank lines)', () => {
    const m = req(recorded('asterisk/rls-presence-list.txt', 3).raw);
    const ct = parseMediaType(m.getHeader('Content-Type') ?? '');
    assert.equal(ct?.mediaType, 'multipart/related');
    assert.equal(unquote(ct?.params.get('type') ?? ''), 'application/rlmi+xml');
    const boundary = ct?.params.get('boundary');
    assert.equal(boundary, 'hepuo');
    assert.equal(m.body.length, 1560);
    assert.ok(m.bodyText().includes('\r\n--hepuo\r\nContent-ID: <vjkav@127.0.0.1>'));
    assert.ok(m.bodyText().trimEnd().endsWith('--hepuo--'));
  });

  it('keeps commas inside Date and WWW-Authenticate (not list headers)', () => {
    const reg = ok(recorded('asterisk/mwi-unsolicited.txt', 2).raw);
    assert.deepEqual(reg.getHeaders('Date'), ['Mon, 23 Nov 2026 15:58:12 GMT']);
    const r401 = ok(recorded('asterisk/subscribe-errors.txt', 18).raw);
    const www = r401.getHeaders('WWW-Authenticate');
    assert.equal(www.length, 1);
    const ch = parseDigestChallenge(www[0]);
    assert.equal(ch?.realm, 'asterisk');
    assert.equal(ch?.nonce, '1795449255/2d511289671d14ebd071e5011cb7f780');
    assert.equal(ch?.opaque, '3724e11f56e4e7a6');
    assert.equal(ch?.algorithm, 'MD5');
    assert.deepEqual(ch?.qop, ['auth']);
    // Asterisk used the request's Via branch as the To-tag of this stateless 401.
    assert.equal(r401.to.tag, r401.topVia.branch);
  });

  it('reads baresip digest credentials and a sip-listen message-summary body with CRLFs', () => {
    const msgs = readRecordedMessages(join(RECORDED_DIR, 'baresip-udp-auth.txt'));
    const withAuth = msgs.map((x) => ok(x.raw)).find((m) => m.hasHeader('Authorization'));
    assert.ok(withAuth);
    const cred = parseDigestCredentials(withAuth.getHeader('Authorization') ?? '');
    assert.equal(cred?.username, 'bob');
    assert.equal(cred?.realm, 'sip-listen');
    assert.equal(cred?.uri, 'sip:127.0.0.1:5060');
    assert.equal(cred?.qop, 'auth');
    assert.equal(cred?.nc, '00000001');
    assert.equal(cred?.response, '3d69b937dcf99ed27eecc62fd86962fc');

    const tcp = readRecordedMessages(join(RECORDED_DIR, 'baresip-tcp.txt'));
    const mwi = tcp.map((x) => ok(x.raw)).find((m) => m.getHeader('Event') === 'message-summary' && m.body.length > 0);
    assert.ok(mwi);
    assert.equal(mwi.bodyText(), 'Messages-Waiting: yes\r\nMessage-Account: sip:bob@127.0.0.1:5060\r\nVoice-Message: 1/2 (0/0)\r\n');
    const reg = ok(tcp[0].raw);
    assert.equal(reg.getHeaders('Route').length, 1);
    assert.equal(reg.topVia.transport, 'TCP');
    const contact = reg.getHeader('Contact') ?? '';
    assert.ok(contact.endsWith('+sip.instance="<urn:uuid:d4c2eb59-ad14-ab12-2996-9046d4147842>"'));
  });
});

describe('sip parser: malformed input', () => {
  interface Case {
    name: string;
    buf: Buffer;
    error: string;
    canRespond: boolean;
    status?: number;
    limits?: Parameters<typeof parseMessage>[1];
  }
  const big = 'x'.repeat(70000);
  const cases: Case[] = [
    { name: 'missing Call-ID', buf: subscribe([], { omit: ['Call-ID'] }), error: 'Missing Call-ID', canRespond: false },
    { name: 'missing Via', buf: subscribe([], { omit: ['Via'] }), error: 'Missing Via', canRespond: false },
    { name: 'missing From', buf: subscribe([], { omit: ['From'] }), error: 'Missing From', canRespond: false },
    { name: 'missing To', buf: subscribe([], { omit: ['To'] }), error: 'Missing To', canRespond: false },
    { name: 'missing CSeq', buf: subscribe([], { omit: ['CSeq'] }), error: 'Missing CSeq', canRespond: false },
    { name: 'bad CSeq number', buf: subscribe(['CSeq: 1x SUBSCRIBE'], { omit: ['CSeq'] }), error: 'Bad CSeq', canRespond: false },
    { name: 'CSeq number above 2^31-1', buf: subscribe(['CSeq: 2147483648 SUBSCRIBE'], { omit: ['CSeq'] }), error: 'Bad CSeq', canRespond: false },
    { name: 'bad Via', buf: subscribe(['Via: SIP/2.0 192.0.2.1'], { omit: ['Via'] }), error: 'Bad Via', canRespond: false },
    { name: 'bad From', buf: subscribe(['From: <sip:alice@example.com;tag=1'], { omit: ['From'] }), error: 'Bad From', canRespond: false },
    {
      name: 'lowercase method in CSeq',
      buf: subscribe(['CSeq: 7 subscribe'], { omit: ['CSeq'] }),
      error: 'CSeq method mismatch',
      canRespond: true,
    },
    {
      name: 'bad SIP version',
      buf: subscribe([], { startLine: 'SUBSCRIBE sip:bob@example.com SIP/3.0' }),
      error: 'Version Not Supported',
      canRespond: true,
      status: 505,
    },
    {
      name: 'Content-Length too big for the datagram',
      buf: subscribe(['Content-Length: 50'], { body: 'short' }),
      error: 'Content-Length mismatch',
      canRespond: true,
    },
    {
      name: 'non-numeric Content-Length',
      buf: subscribe(['Content-Length: ten']),
      error: 'Bad Content-Length',
      canRespond: true,
    },
    {
      name: 'two different Content-Lengths',
      buf: subscribe(['Content-Length: 0', 'l: 3'], { body: 'abc' }),
      error: 'Bad Content-Length',
      canRespond: true,
    },
    { name: 'header without colon', buf: subscribe(['Subject hello']), error: 'Malformed header line', canRespond: true },
    { name: 'header name with a space', buf: subscribe(['Sub ject: hello']), error: 'Malformed header line', canRespond: true },
    {
      name: 'too many headers',
      buf: subscribe(Array.from({ length: 95 }, (_, i) => `X-H${i}: ${i}`)),
      error: 'Too Many Headers',
      canRespond: true,
    },
    {
      name: 'a Via list with more values than the header limit',
      buf: subscribe([`Via: ${Array.from({ length: 120 }, (_, i) => `SIP/2.0/UDP h${i};branch=z9hG4bK${i}`).join(', ')}`]),
      error: 'Too Many Headers',
      canRespond: true,
    },
    { name: 'over-long line', buf: subscribe([`Subject: ${'a'.repeat(9000)}`]), error: 'Line Too Long', canRespond: true },
    {
      name: 'oversize message',
      buf: subscribe([], { body: big }),
      error: 'Message Too Large',
      canRespond: true,
      status: 513,
    },
    {
      name: 'body over the body limit',
      buf: subscribe([], { body: 'y'.repeat(200) }),
      limits: { maxBodySize: 100 },
      error: 'Body Too Large',
      canRespond: true,
      status: 513,
    },
    { name: 'NUL byte in a header', buf: subscribe(['Subject: a\u0000b']), error: 'NUL byte in message', canRespond: true },
    { name: 'garbage', buf: Buffer.from('\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 hello'), error: 'Bad Request-Line', canRespond: false },
    { name: 'all NUL bytes', buf: Buffer.alloc(40), error: 'Bad Request-Line', canRespond: false },
    { name: 'request line without version', buf: crlf(['SUBSCRIBE sip:bob@example.com', 'Call-ID: x', '', '']), error: 'Bad Request-Line', canRespond: false },
    { name: 'bad Request-URI', buf: subscribe([], { startLine: 'SUBSCRIBE bob SIP/2.0' }), error: 'Bad Request-URI', canRespond: true },
    { name: 'empty datagram', buf: Buffer.from('\r\n\r\n'), error: 'Empty message', canRespond: false },
    { name: 'duplicate Call-ID', buf: subscribe(['Call-ID: other']), error: 'Duplicate Call-ID', canRespond: true },
    {
      name: 'response missing Call-ID (responses are never answered)',
      buf: crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'CSeq: 1 NOTIFY', '', '']),
      error: 'Missing Call-ID',
      canRespond: false,
    },
    { name: 'bad status code', buf: crlf(['SIP/2.0 2000 OK', '', '']), error: 'Bad Status-Line', canRespond: false },
    { name: 'response with another version', buf: crlf(['SIP/1.0 200 OK', '', '']), error: 'Version Not Supported', canRespond: false, status: 505 },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.canRespond ? 'answer' : 'drop'} with '${c.error}'`, () => {
      const r = fail(c.buf, c.limits);
      assert.equal(r.error, c.error);
      assert.equal(r.canRespond, c.canRespond);
      assert.equal(r.status, c.status ?? 400);
      if (c.canRespond) {
        assert.ok(r.partial, 'an answerable failure carries the partial request');
        const res = buildResponse(r.partial, r.status, r.error);
        const wire = serializeMessage(res).toString();
        assert.ok(wire.startsWith(`SIP/2.0 ${r.status} ${r.error}\r\n`), wire);
        assert.ok(wire.includes('\r\nCall-ID: cid-1@192.0.2.10\r\n'));
        assert.ok(wire.includes('Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc123;rport\r\n'));
        assert.match(wire, /\r\nTo: <sip:bob@example\.com>;tag=[0-9a-f]+\r\n/);
      } else {
        assert.equal(r.partial, undefined);
      }
    });
  }

  it('the reference SUBSCRIBE of this table parses', () => {
    assert.equal(req(subscribe()).method, 'SUBSCRIBE');
  });

  it('isKeepAlive recognises CRLF and NUL keep-alive datagrams only', () => {
    assert.equal(isKeepAlive(Buffer.from('\r\n\r\n')), true);
    assert.equal(isKeepAlive(Buffer.from('\r\n')), true);
    assert.equal(isKeepAlive(Buffer.alloc(4)), true);
    assert.equal(isKeepAlive(subscribe()), false);
  });
});

describe('sip parser: syntax variants and tolerance', () => {
  it('expands every compact header form', () => {
    const m = req(
      crlf([
        'NOTIFY sip:bob@example.com SIP/2.0',
        'v: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKx',
        'f: "A" <sip:a@example.com>;tag=1',
        't: <sip:b@example.com>;tag=2',
        'i: abc@host',
        'CSeq: 2 NOTIFY',
        'm: <sip:a@192.0.2.1;transport=tcp>',
        'o: presence;id=77',
        'u: presence, dialog',
        'k: eventlist',
        's: hello',
        'e: gzip',
        'c: text/plain',
        'L: 5',
        '',
        'hello',
      ]),
    );
    assert.equal(m.callId, 'abc@host');
    assert.equal(m.from.displayName, 'A');
    assert.equal(m.to.tag, '2');
    assert.equal(m.topVia.transport, 'TCP');
    assert.equal(m.getHeader('Contact'), '<sip:a@192.0.2.1;transport=tcp>');
    assert.equal(m.getHeader('Event'), 'presence;id=77');
    assert.deepEqual(m.getHeaders('Allow-Events'), ['presence', 'dialog']);
    assert.equal(m.getHeader('Supported'), 'eventlist');
    assert.equal(m.getHeader('Subject'), 'hello');
    assert.equal(m.getHeader('Content-Encoding'), 'gzip');
    assert.equal(m.getHeader('Content-Type'), 'text/plain');
    assert.equal(m.bodyText(), 'hello');
    const names = m.getAllHeaders().map(([n]) => n);
    assert.deepEqual(names, [
      'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Event', 'Allow-Events', 'Allow-Events',
      'Supported', 'Subject', 'Content-Encoding', 'Content-Type', 'Content-Length',
    ]);
  });

  it('looks headers up case-insensitively and keeps unknown names as written', () => {
    const m = req(subscribe(['X-Custom-Thing: 1', 'x-custom-thing: 2']));
    assert.deepEqual(m.getHeaders('X-CUSTOM-THING'), ['1', '2']);
    assert.equal(m.getHeader('call-id'), 'cid-1@192.0.2.10');
    assert.equal(m.getHeader('CALL-ID'), 'cid-1@192.0.2.10');
    const names = m.getAllHeaders().map(([n]) => n);
    assert.ok(names.includes('X-Custom-Thing') && names.includes('x-custom-thing'));
  });

  it('unfolds continuation lines', () => {
    const m = req(
      subscribe([
        'Subject: I know you\'re there,',
        '   pick up the phone',
        '\tand talk to me!',
        'Allow-Events: presence,',
        ' dialog',
      ]),
    );
    assert.equal(m.getHeader('Subject'), "I know you're there, pick up the phone and talk to me!");
    assert.deepEqual(m.getHeaders('Allow-Events'), ['presence', 'dialog']);
  });

  it('unfolds a folded Via and still parses it', () => {
    const m = req(subscribe(['Via: SIP/2.0/UDP 192.0.2.99', '  ;branch=z9hG4bKfold'], {}));
    assert.equal(m.vias.length, 2);
    assert.equal(m.vias[1].branch, 'z9hG4bKfold');
  });

  it('splits multi-value Via, Contact and Route but not quoted or bracketed commas', () => {
    const m = req(
      crlf([
        'REGISTER sip:example.com SIP/2.0',
        'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2;received=192.0.2.2',
        'Via: SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK3;rport=5070',
        'From: "Doe, John" <sip:jd@example.com>;tag=x',
        'To: "Doe, John" <sip:jd@example.com>',
        'Call-ID: r1',
        'CSeq: 1 REGISTER',
        'Contact: "Doe, John \\"JD\\"" <sip:jd@192.0.2.4;foo=a,b>;q=0.5, <sip:jd@192.0.2.5>;expires=60',
        'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
        'Route: <sip:p3.example.com;lr>',
        'Authorization: Digest username="jd", realm="example.com", nonce="n,1", uri="sip:example.com", response="abc"',
        'Content-Length: 0',
        '',
        '',
      ]),
    );
    assert.deepEqual(
      m.vias.map((v) => [v.transport, v.host, v.port, v.branch]),
      [
        ['UDP', 'a.example.com', null, 'z9hG4bK1'],
        ['TCP', 'b.example.com', 5061, 'z9hG4bK2'],
        ['UDP', '[2001:db8::9]', 5070, 'z9hG4bK3'],
      ],
    );
    assert.equal(m.vias[1].received, '192.0.2.2');
    assert.equal(m.vias[2].rport, 5070);
    assert.deepEqual(m.getHeaders('Contact'), [
      '"Doe, John \\"JD\\"" <sip:jd@192.0.2.4;foo=a,b>;q=0.5',
      '<sip:jd@192.0.2.5>;expires=60',
    ]);
    assert.deepEqual(m.getHeaders('Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>', '<sip:p3.example.com;lr>']);
    assert.equal(m.getHeaders('Authorization').length, 1);
    assert.equal(m.from.displayName, 'Doe, John');
  });

  it('unescapes quoted display names with escaped quotes, commas and UTF-8', () => {
    const m = req(subscribe(['From: "Bob \\"The Builder\\", Jr. \u00e9" <sip:bob@example.com>;tag=99'], { omit: ['From'] }));
    assert.equal(m.from.displayName, 'Bob "The Builder", Jr. \u00e9');
    assert.equal(m.from.tag, '99');
    assert.equal(m.from.uri, 'sip:bob@example.com');
  });

  it('counts Content-Length in bytes for a UTF-8 body', () => {
    const body = 'Note: caf\u00e9 \u2013 ok';
    assert.equal(body.length, 15);
    const m = req(subscribe(['Content-Type: text/plain;charset=utf-8'], { body }));
    assert.equal(m.getHeader('Content-Length'), '18');
    assert.equal(m.body.length, 18);
    assert.equal(m.bodyText(), body);
    const again = req(serializeMessage(m));
    assert.equal(again.bodyText(), body);
    assert.equal(again.getHeader('Content-Length'), '18');
  });

  it('truncates the body to a smaller Content-Length (RFC 3261 18.3)', () => {
    const m = req(subscribe(['Content-Length: 3'], { body: 'abcdef' }));
    assert.equal(m.bodyText(), 'abc');
  });

  it('takes the rest of the datagram when Content-Length is missing', () => {
    const raw = crlf([
      'MESSAGE sip:b@example.com SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:b@example.com>',
      'Call-ID: m1',
      'CSeq: 1 MESSAGE',
      '',
      'hello\r\nworld',
    ]);
    assert.equal(req(raw).bodyText(), 'hello\r\nworld');
  });

  it('tolerates spaces around the colon, odd LWS in values, double spaces in Authorization', () => {
    const m = req(
      crlf([
        'SUBSCRIBE sip:example.com SIP/2.0',
        'Via  :   SIP / 2.0 / UDP   192.0.2.1:5060 ; branch = z9hG4bKsp ; rport',
        'From:<sip:alice@example.com> ;tag = abc',
        'To :  <sip:bob@example.com>  ',
        'Call-ID:   spaced-call-id   ',
        'CSeq:   12    SUBSCRIBE  ',
        'Authorization: Digest  username="alice",  realm="example.com" ,nonce="abc",  uri="sip:example.com",response="0123"',
        'Content-Length :  0',
        '',
        '',
      ]),
    );
    assert.equal(m.topVia.branch, 'z9hG4bKsp');
    assert.equal(m.topVia.port, 5060);
    assert.equal(m.topVia.rport, true);
    assert.equal(m.from.tag, 'abc');
    assert.equal(m.to.uri, 'sip:bob@example.com');
    assert.equal(m.callId, 'spaced-call-id');
    assert.deepEqual(m.cseq, { seq: 12, method: 'SUBSCRIBE' });
    const cred = parseDigestCredentials(m.getHeader('Authorization') ?? '');
    assert.equal(cred?.username, 'alice');
    assert.equal(cred?.realm, 'example.com');
    assert.equal(cred?.nonce, 'abc');
    assert.equal(cred?.response, '0123');
    // sip: URI with no user part, From/To without port
    assert.equal(m.requestUri?.user, null);
    assert.equal(m.requestUri?.host, 'example.com');
  });

  it('accepts bare-LF line ends and leading CRLFs', () => {
    const lf = Buffer.from(
      '\r\n\r\nOPTIONS sip:example.com SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: lf1\nCSeq: 3 OPTIONS\nContent-Length: 2\n\nok',
    );
    const m = req(lf);
    assert.equal(m.method, 'OPTIONS');
    assert.equal(m.callId, 'lf1');
    assert.equal(m.bodyText(), 'ok');
  });

  it('accepts a message whose header block lacks the final blank line', () => {
    const m = req(Buffer.from('OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: nb\r\nCSeq: 3 OPTIONS\r\n'));
    assert.equal(m.callId, 'nb');
    assert.equal(m.body.length, 0);
  });

  it('keeps an empty Accept header (it means: nothing acceptable)', () => {
    const m = req(subscribe(['Accept:']));
    assert.deepEqual(m.getHeaders('Accept'), ['']);
  });

  it('treats methods as case-sensitive tokens', () => {
    const m = req(subscribe(['CSeq: 7 subscribe'], { omit: ['CSeq'], startLine: 'subscribe sip:bob@example.com SIP/2.0' }));
    assert.equal(m.method, 'subscribe');
    assert.equal(m.cseq.method, 'subscribe');
  });

  it('parses a response with an empty reason phrase', () => {
    const m = ok(crlf(['SIP/2.0 404', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: x', 'CSeq: 1 SUBSCRIBE', '', '']));
    assert.equal(m.kind, 'response');
    assert.equal((m as SipResponse).status, 404);
    assert.equal((m as SipResponse).reason, '');
  });
});
