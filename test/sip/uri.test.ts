import assert from 'node:assert/strict';
import { parseUri, formatUri, uriEquals } from '../../core/sip/uri.js';

describe('sip uri: parse and format', () => {
  it('splits a full SIP URI into its parts', () => {
    const u = parseUri('sip:alice:secretword@atlanta.com:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    assert.ok(u);
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'secretword');
    assert.equal(u.host, 'atlanta.com');
    assert.equal(u.port, 5061);
    assert.deepEqual([...u.params], [['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
    assert.deepEqual(u.headers, [['subject', 'project%20x'], ['priority', 'urgent']]);
  });

  it('parses sips, no-user, IPv6 and tel-style users', () => {
    const s = parseUri('SIPS:bob@biloxi.com');
    assert.equal(s?.scheme, 'sips');
    const noUser = parseUri('sip:127.0.0.1:5060;transport=tcp');
    assert.equal(noUser?.user, null);
    assert.equal(noUser?.host, '127.0.0.1');
    assert.equal(noUser?.port, 5060);
    const v6 = parseUri('sip:alice@[2001:db8::10]:5070');
    assert.equal(v6?.host, '[2001:db8::10]');
    assert.equal(v6?.port, 5070);
    const telUser = parseUri('sip:+1-212-555-1212;phone-context=example.com@gateway.com;user=phone');
    assert.equal(telUser?.user, '+1-212-555-1212;phone-context=example.com');
    assert.equal(telUser?.host, 'gateway.com');
    assert.equal(telUser?.params.get('user'), 'phone');
  });

  it('parses tel URIs', () => {
    const t = parseUri('tel:+1-201-555-0123;ext=1234');
    assert.ok(t);
    assert.equal(t.scheme, 'tel');
    assert.equal(t.user, '+1-201-555-0123');
    assert.equal(t.params.get('ext'), '1234');
    assert.equal(formatUri(t), 'tel:+1-201-555-0123;ext=1234');
    assert.equal(parseUri('tel:7042;phone-context=example.com')?.user, '7042');
  });

  it('rejects what is not a sip/sips/tel URI or is malformed', () => {
    for (const bad of [
      'http://example.com',
      'sip:',
      'sip:@host',
      'sip:alice@',
      'sip:alice@host:',
      'sip:alice@host:99999',
      'sip:alice@ho st',
      'sip:alice@host;=x',
      'sip:alice@host?noequals',
      'sip:alice@[::1',
      'tel:',
      'mailto:a@b',
      'alice@example.com',
    ]) {
      assert.equal(parseUri(bad), null, bad);
    }
  });

  it('formats back to the same text (parameter names lower-cased)', () => {
    for (const s of [
      'sip:alice@atlanta.com',
      'sips:alice:pw@atlanta.com:5061;transport=tcp;lr',
      'sip:127.0.0.1:5060;transport=tcp;lr',
      'sip:alice@[2001:db8::10]:5070;maddr=x',
      'sip:biloxi.com;method=REGISTER?to=sip:bob%40biloxi.com',
    ]) {
      const u = parseUri(s);
      assert.ok(u, s);
      assert.equal(formatUri(u), s);
    }
    const u = parseUri('sip:a@b;Transport=TCP');
    assert.ok(u);
    assert.equal(formatUri(u), 'sip:a@b;transport=TCP');
    u.port = 5062;
    u.params.set('lr', null);
    assert.equal(formatUri(u), 'sip:a@b:5062;transport=TCP;lr');
  });
});

describe('sip uri: equality (RFC 3261 19.1.4)', () => {
  const equal: Array<[string, string]> = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
    ['tel:+1-201-555-0123', 'tel:+1.201.555.0123'],
    ['tel:7042;phone-context=EXAMPLE.com', 'tel:7042;Phone-Context=example.com'],
  ];
  const notEqual: Array<[string, string]> = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
    ['sip:atlanta.com', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com', 'sip:alice:pw@atlanta.com'],
    ['sip:alice@atlanta.com;maddr=10.0.0.1', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com', 'sip:alice@atlanta.com;user=phone'],
    ['sip:alice@atlanta.com;ttl=1', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com;method=INVITE', 'sip:alice@atlanta.com'],
    ['sip:alice@atlanta.com?subject=a', 'sip:alice@atlanta.com?subject=b'],
    ['tel:+1-201-555-0123', 'tel:+1-201-555-0124'],
    ['tel:7042;phone-context=example.com', 'tel:7042'],
  ];

  for (const [a, b] of equal) {
    it(`${a} == ${b}`, () => {
      assert.equal(uriEquals(a, b), true);
      assert.equal(uriEquals(b, a), true);
    });
  }
  for (const [a, b] of notEqual) {
    it(`${a} != ${b}`, () => {
      assert.equal(uriEquals(a, b), false);
      assert.equal(uriEquals(b, a), false);
    });
  }

  it('keeps reserved escapes distinct from the character (%40 is not @ in a user part)', () => {
    assert.equal(uriEquals('sip:a%40b@host', 'sip:a%40b@host'), true);
    assert.equal(uriEquals('sip:a%3bb@host', 'sip:a%3Bb@host'), true);
    assert.equal(uriEquals('sip:a%3Bb@host', 'sip:a;b@host'), false);
  });

  it('accepts parsed URIs and compares unparseable strings by identity', () => {
    const u = parseUri('sip:alice@atlanta.com');
    assert.ok(u);
    assert.equal(uriEquals(u, 'sip:alice@ATLANTA.com'), true);
    assert.equal(uriEquals('urn:x', 'urn:x'), true);
    assert.equal(uriEquals('urn:x', 'urn:y'), false);
    assert.equal(uriEquals('urn:x', 'sip:x@y'), false);
  });
});
