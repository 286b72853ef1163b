import assert from 'node:assert/strict';
import {
  formatDigestChallenge,
  formatDigestCredentials,
  formatNameAddr,
  formatVia,
  parseAccept,
  parseAuthHeader,
  parseCallId,
  parseContact,
  parseCSeq,
  parseDeltaSeconds,
  parseDigestChallenge,
  parseDigestCredentials,
  parseEvent,
  parseMediaType,
  parseNameAddr,
  parseParams,
  parseSubscriptionState,
  parseUnsigned,
  parseVia,
  quote,
  unquote,
  withTag,
} from '../../core/sip/header-values.js';
import { splitHeaderList, headerKey, canonicalHeaderName, isListHeader, COMPACT_FORMS } from '../../core/sip/headers.js';

describe('sip header values: name-addr', () => {
  it('reads the four shapes of From/To/Contact', () => {
    const a = parseNameAddr('"Alice Liddell" <sip:alice@atlanta.com>;tag=1928301774');
    assert.deepEqual(
      { d: a?.displayName, u: a?.uri, t: a?.tag },
      { d: 'Alice Liddell', u: 'sip:alice@atlanta.com', t: '1928301774' },
    );
    const b = parseNameAddr('Bob  Smith <sips:bob@biloxi.com:5061;transport=tls> ; tag = a6c85cf');
    assert.equal(b?.displayName, 'Bob  Smith');
    assert.equal(b?.uri, 'sips:bob@biloxi.com:5061;transport=tls');
    assert.equal(b?.tag, 'a6c85cf');
    const c = parseNameAddr('<sip:carol@chicago.com>');
    assert.equal(c?.displayName, null);
    assert.equal(c?.tag, null);
    assert.equal(c?.params.size, 0);
    // addr-spec: the ;tag belongs to the header, not to the URI (RFC 3261 20.10)
    const d = parseNameAddr('sip:+12125551212@server.phone2net.com;tag=887s');
    assert.equal(d?.uri, 'sip:+12125551212@server.phone2net.com');
    assert.equal(d?.tag, '887s');
  });

  it('keeps quoted parameter values and flags', () => {
    const c = parseNameAddr('<sip:bob@127.0.0.1:5062>;expires=600;+sip.instance="<urn:uuid:d4c2eb59>";reg-id=1;lr');
    assert.ok(c);
    assert.equal(c.params.get('expires'), '600');
    assert.equal(c.params.get('+sip.instance'), '"<urn:uuid:d4c2eb59>"');
    assert.equal(unquote(c.params.get('+sip.instance') ?? ''), '<urn:uuid:d4c2eb59>');
    assert.equal(c.params.get('lr'), null);
    assert.equal(c.params.has('lr'), true);
  });

  it('reads a Contact star and rejects broken values', () => {
    assert.equal(parseContact(' * '), '*');
    assert.equal(parseContact('<sip:a@b>;expires=0') === '*', false);
    for (const bad of ['', '<sip:a@b', '"unterminated <sip:a@b>', 'no-uri-here', '<>', 'Bob "x" <sip:a@b>', '<sip:a@b>;=1', '"A" sip:a@b']) {
      assert.equal(parseNameAddr(bad), null, bad);
    }
  });

  it('formats name-addrs with quoting, and adds a tag', () => {
    assert.equal(formatNameAddr({ uri: 'sip:a@b' }), '<sip:a@b>');
    assert.equal(formatNameAddr({ displayName: 'Doe, "J"', uri: 'sip:a@b', params: new Map([['tag', 'x'], ['lr', null]]) }), '"Doe, \\"J\\"" <sip:a@b>;tag=x;lr');
    const na = parseNameAddr('"Doe, \\"J\\"" <sip:a@b>');
    assert.equal(na?.displayName, 'Doe, "J"');
    assert.ok(na);
    const tagged = withTag(na, 't1');
    assert.equal(tagged.tag, 't1');
    assert.equal(na.tag, null);
    assert.equal(formatNameAddr(tagged), '"Doe, \\"J\\"" <sip:a@b>;tag=t1');
    assert.equal(quote('a\\b'), '"a\\\\b"');
  });
});

describe('sip header values: Via, CSeq, Call-ID, integers', () => {
  it('reads Via sent-protocol, sent-by and params', () => {
    const v = parseVia('SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds ;received=192.0.2.1;rport=5066');
    assert.deepEqual(
      v && { p: v.protocol, t: v.transport, h: v.host, port: v.port, b: v.branch, r: v.received, rp: v.rport },
      { p: 'SIP/2.0', t: 'UDP', h: 'pc33.atlanta.com', port: null, b: 'z9hG4bK776asdhds', r: '192.0.2.1', rp: 5066 },
    );
    const w = parseVia('sip / 2.0 / tcp [2001:db8::1]:5061;rport;branch=z9hG4bKx;alias');
    assert.equal(w?.protocol, 'SIP/2.0');
    assert.equal(w?.transport, 'TCP');
    assert.equal(w?.host, '[2001:db8::1]');
    assert.equal(w?.port, 5061);
    assert.equal(w?.rport, true);
    assert.equal(w?.params.get('alias'), null);
    assert.equal(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx')?.transport, 'WSS');
    for (const bad of ['SIP/2.0/UDP', 'SIP/2.0 host', 'SIP/2.0/UDPhost', 'SIP/2.0/UDP host;rport=abc', 'SIP/2.0/UDP host:99999', 'SIP/2.0/UDP host;branch="x']) {
      assert.equal(parseVia(bad), null, bad);
    }
    assert.equal(formatVia({ transport: 'UDP', host: '192.0.2.1', port: 5060, params: new Map([['branch', 'z9hG4bK1'], ['rport', null]]) }), 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport');
    assert.equal(formatVia({ transport: 'TCP', host: 'h' }), 'SIP/2.0/TCP h');
  });

  it('reads CSeq and refuses bad ones', () => {
    assert.deepEqual(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
    assert.deepEqual(parseCSeq('  0\tNOTIFY  '), { seq: 0, method: 'NOTIFY' });
    assert.deepEqual(parseCSeq('2147483647 X'), { seq: 2147483647, method: 'X' });
    for (const bad of ['', 'INVITE', '1', '1INVITE', '-1 INVITE', 'a INVITE', '1 INVITE extra', '2147483648 INVITE', '1 IN(VITE']) {
      assert.equal(parseCSeq(bad), null, bad);
    }
  });

  it('reads Call-ID and integers', () => {
    assert.equal(parseCallId(' f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com '), 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com');
    assert.equal(parseCallId('a b'), null);
    assert.equal(parseCallId(''), null);
    assert.equal(parseUnsigned(' 393 '), 393);
    assert.equal(parseUnsigned('0'), 0);
    assert.equal(parseUnsigned('12a'), null);
    assert.equal(parseUnsigned('-1'), null);
    assert.equal(parseUnsigned(''), null);
    assert.equal(parseDeltaSeconds('600'), 600);
    assert.equal(parseDeltaSeconds('99999999999999'), 4294967295);
    assert.equal(parseDeltaSeconds('1.5'), null);
  });
});

describe('sip header values: digest, Event, Subscription-State, media types', () => {
  it('reads credentials with double spaces, LWS around = and token values', () => {
    const c = parseDigestCredentials(
      'Digest  username="bob",  realm = "sip-listen" ,nonce="7882a65c",   uri="sip:127.0.0.1:5060", response="3d69",  cnonce="6d0a", qop=auth,  nc=00000001,algorithm=MD5',
    );
    assert.ok(c);
    assert.equal(c.scheme, 'Digest');
    assert.equal(c.username, 'bob');
    assert.equal(c.realm, 'sip-listen');
    assert.equal(c.nonce, '7882a65c');
    assert.equal(c.uri, 'sip:127.0.0.1:5060');
    assert.equal(c.response, '3d69');
    assert.equal(c.cnonce, '6d0a');
    assert.equal(c.qop, 'auth');
    assert.equal(c.nc, '00000001');
    assert.equal(c.algorithm, 'MD5');
    assert.equal(parseDigestCredentials('Basic dXNlcjpwYXNz'), null);
    assert.equal(parseDigestCredentials('Digest username="unterminated'), null);
    assert.equal(parseAuthHeader('Digest username="a\\"b"')?.params.get('username'), 'a"b');
  });

  it('round-trips challenges and credentials through format and parse', () => {
    const ch = formatDigestChallenge({ realm: 'asterisk', nonce: '1795449255/2d51', opaque: '3724', algorithm: 'MD5', qop: 'auth' });
    assert.equal(ch, 'Digest realm="asterisk",nonce="1795449255/2d51",opaque="3724",algorithm=MD5,qop="auth"');
    const parsed = parseDigestChallenge(ch);
    assert.equal(parsed?.realm, 'asterisk');
    assert.deepEqual(parsed?.qop, ['auth']);
    assert.equal(parsed?.stale, false);
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth,auth-int", stale=TRUE')?.stale, true);
    assert.deepEqual(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth,auth-int"')?.qop, ['auth', 'auth-int']);
    const cr = formatDigestCredentials({ username: 'bob', realm: 'r', nonce: 'n', uri: 'sip:a@b', response: 'abc', algorithm: 'MD5', cnonce: 'c', qop: 'auth', nc: '00000001' });
    assert.equal(cr, 'Digest username="bob",realm="r",nonce="n",uri="sip:a@b",response="abc",algorithm=MD5,cnonce="c",qop=auth,nc=00000001');
    assert.equal(parseDigestCredentials(cr)?.nc, '00000001');
  });

  it('reads Event with package, template and id', () => {
    assert.deepEqual(
      (({ package: p, id }) => ({ p, id }))(parseEvent('presence;id=1234') ?? { package: '', id: null }),
      { p: 'presence', id: '1234' },
    );
    assert.equal(parseEvent('presence.winfo')?.package, 'presence.winfo');
    assert.equal(parseEvent('message-summary')?.id, null);
    assert.equal(parseEvent('dialog ; id = "x1"')?.id, 'x1');
    assert.equal(parseEvent(''), null);
    assert.equal(parseEvent('pres ence'), null);
  });

  it('reads Subscription-State', () => {
    const a = parseSubscriptionState('active;expires=599');
    assert.equal(a?.state, 'active');
    assert.equal(a?.expires, 599);
    assert.equal(a?.reason, null);
    const t = parseSubscriptionState('Terminated;reason=Timeout;retry-after=30');
    assert.equal(t?.state, 'terminated');
    assert.equal(t?.reason, 'timeout');
    assert.equal(t?.retryAfter, 30);
    assert.equal(parseSubscriptionState('active;expires=soon'), null);
    assert.equal(parseSubscriptionState(''), null);
  });

  it('reads Accept with q-values and rejects malformed ones', () => {
    const list = parseAccept(['application/pidf+xml;q=1', 'Application/XPIDF+XML;q=0.5, multipart/related', 'application/*;q=0']);
    assert.ok(list);
    assert.deepEqual(
      list.map((e) => [e.mediaType, e.q]),
      [['application/pidf+xml', 1], ['application/xpidf+xml', 0.5], ['multipart/related', 1], ['application/*', 0]],
    );
    assert.equal(list[0].params.get('q'), '1');
    assert.deepEqual(parseAccept(''), []);
    assert.deepEqual(parseAccept('application/pidf+xml;q=0.125')?.map((e) => e.q), [0.125]);
    for (const bad of ['application/pidf+xml;q=2', 'application/pidf+xml;q=0.1234', 'application/pidf+xml;q=1.5', 'application/pidf+xml;q', 'pidf', 'text/']) {
      assert.equal(parseAccept(bad), null, bad);
    }
  });

  it('reads media types with parameters', () => {
    const m = parseMediaType('multipart/related;type="application/rlmi+xml";boundary=hepuo');
    assert.equal(m?.mediaType, 'multipart/related');
    assert.equal(m?.params.get('boundary'), 'hepuo');
    assert.equal(unquote(m?.params.get('type') ?? ''), 'application/rlmi+xml');
    assert.equal(parseMediaType('Application/PIDF+XML')?.mediaType, 'application/pidf+xml');
    assert.equal(parseMediaType('text'), null);
    assert.deepEqual([...(parseParams('a=1;b;C="x y"') ?? [])], [['a', '1'], ['b', null], ['c', '"x y"']]);
  });
});

describe('sip headers: name table and list splitting', () => {
  it('maps every compact form and any case to the canonical name', () => {
    const expected: Record<string, string> = {
      i: 'Call-ID', m: 'Contact', f: 'From', t: 'To', v: 'Via', l: 'Content-Length', c: 'Content-Type',
      k: 'Supported', e: 'Content-Encoding', s: 'Subject', o: 'Event', u: 'Allow-Events',
    };
    for (const [letter, name] of Object.entries(expected)) {
      assert.equal(COMPACT_FORMS[letter], name);
      assert.equal(canonicalHeaderName(letter), name);
      assert.equal(canonicalHeaderName(letter.toUpperCase()), name);
      assert.equal(headerKey(letter), name);
    }
    assert.equal(canonicalHeaderName('call-id'), 'Call-ID');
    assert.equal(canonicalHeaderName('CSEQ'), 'CSeq');
    assert.equal(canonicalHeaderName('www-authenticate'), 'WWW-Authenticate');
    assert.equal(canonicalHeaderName('X-Foo'), 'X-Foo');
    assert.equal(headerKey('X-Foo'), 'x-foo');
    assert.equal(isListHeader('Via'), true);
    assert.equal(isListHeader('Authorization'), false);
    assert.equal(isListHeader('Date'), false);
  });

  it('splits at commas outside quotes and angle brackets', () => {
    assert.deepEqual(splitHeaderList('a, b ,c'), ['a', 'b', 'c']);
    assert.deepEqual(splitHeaderList('"x, \\"y\\", z" <sip:a@b;p=1,2>;q=1, <sip:c@d>'), ['"x, \\"y\\", z" <sip:a@b;p=1,2>;q=1', '<sip:c@d>']);
    assert.deepEqual(splitHeaderList('a,,b,'), ['a', 'b']);
    assert.deepEqual(splitHeaderList(''), []);
  });
});
