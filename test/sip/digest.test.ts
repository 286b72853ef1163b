import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  answerChallenge,
  buildChallenge,
  computeDigestResponse,
  computeHa1,
  parseDigestAlgorithm,
  verifyCredentials,
  type DigestAlgorithm,
} from '../../core/sip/digest.js';
import { NonceCountState, NonceManager, formatNonceCount, parseNonceCount } from '../../core/sip/digest-nonce.js';
import { formatDigestCredentials, parseDigestChallenge, parseDigestCredentials } from '../../core/sip/header-values.js';
import { isTstError } from '../../core/errors.js';

const NODE: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };
/** An independent H() for expected values, so the tests do not only check the code against itself. */
function H(alg: DigestAlgorithm, s: string): string {
  return createHash(NODE[alg]).update(s).digest('hex');
}

/** A clock the tests move by hand. */
function clock(startMs = 1_700_000_000_000) {
  let t = startMs;
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

describe('sip: digest computation', () => {
  it('matches the RFC 2617 3.5 example (MD5, qop=auth)', () => {
    const p = {
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      nc: '00000001',
      cnonce: '0a4f113b',
      qop: 'auth',
    };
    assert.equal(computeDigestResponse({ ...p, password: 'Circle Of Life' }), '6629fae49393a05397450978507c4ef1');
    // Same answer from a stored H(A1) (md5_cred), upper-case hex tolerated.
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    assert.equal(computeDigestResponse({ ...p, ha1: ha1.toUpperCase() }), '6629fae49393a05397450978507c4ef1');
    // Absent algorithm means MD5.
    assert.equal(computeDigestResponse({ ...p, algorithm: undefined, password: 'Circle Of Life' }), '6629fae49393a05397450978507c4ef1');
  });

  it('matches the RFC 7616 3.9.1 examples (SHA-256 and MD5)', () => {
    const p = {
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      qop: 'auth',
    };
    assert.equal(computeDigestResponse({ ...p, algorithm: 'SHA-256' }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(computeDigestResponse({ ...p, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
  });

  it('computes SHA-512-256 (RFC 8760), the RFC 2069 no-qop form, auth-int and -sess as the formulas say', () => {
    const base = { username: 'alice', realm: 'asterisk', password: 's3cret', method: 'REGISTER', uri: 'sip:pbx.example.com', nonce: 'n1' };
    const ha1 = H('SHA-512-256', 'alice:asterisk:s3cret');
    assert.equal(computeHa1('sha-512-256', 'alice', 'asterisk', 's3cret'), ha1);
    const ha2 = H('SHA-512-256', 'REGISTER:sip:pbx.example.com');
    assert.equal(
      computeDigestResponse({ ...base, algorithm: 'SHA-512-256', qop: 'auth', nc: '00000002', cnonce: 'c' }),
      H('SHA-512-256', `${ha1}:n1:00000002:c:auth:${ha2}`),
    );
    // RFC 2069: response = H(HA1:nonce:HA2), no nc/cnonce.
    const md5ha1 = H('MD5', 'alice:asterisk:s3cret');
    assert.equal(computeDigestResponse(base), H('MD5', `${md5ha1}:n1:${H('MD5', 'REGISTER:sip:pbx.example.com')}`));
    // auth-int covers the body.
    const intHa2 = H('MD5', `REGISTER:sip:pbx.example.com:${H('MD5', 'body')}`);
    assert.equal(
      computeDigestResponse({ ...base, qop: 'auth-int', nc: '00000001', cnonce: 'c', body: 'body' }),
      H('MD5', `${md5ha1}:n1:00000001:c:auth-int:${intHa2}`),
    );
    // -sess: H(A1) also covers nonce and cnonce.
    const sessHa1 = H('SHA-256', `${H('SHA-256', 'alice:asterisk:s3cret')}:n1:c`);
    assert.equal(
      computeDigestResponse({ ...base, algorithm: 'SHA-256-sess', qop: 'auth', nc: '00000001', cnonce: 'c' }),
      H('SHA-256', `${sessHa1}:n1:00000001:c:auth:${H('SHA-256', 'REGISTER:sip:pbx.example.com')}`),
    );
  });

  it('refuses unknown algorithms and qops', () => {
    assert.equal(parseDigestAlgorithm('AKAv1-MD5'), null);
    assert.deepEqual(parseDigestAlgorithm('sha-256'), { base: 'SHA-256', session: false });
    assert.throws(() => computeHa1('SHA-1', 'a', 'b', 'c'), (e: unknown) => isTstError(e, 'TST_ERR_SIP_MESSAGE'));
    assert.throws(
      () => computeDigestResponse({ username: 'a', realm: 'r', password: 'p', method: 'M', uri: 'u', nonce: 'n', qop: 'auth-conf' }),
      (e: unknown) => isTstError(e, 'TST_ERR_SIP_MESSAGE'),
    );
  });

  it('formats and parses nonce counts as 8 hex digits', () => {
    assert.equal(formatNonceCount(1), '00000001');
    assert.equal(formatNonceCount(255), '000000ff');
    assert.equal(parseNonceCount('0000000A'), 10);
    assert.equal(parseNonceCount('1'), null);
    assert.equal(parseNonceCount(undefined), null);
  });
});

describe('sip: digest challenges (res_pjsip_authenticator_digest)', () => {
  it('writes one challenge per algorithm in the configured order, pjproject style', () => {
    const values = buildChallenge({ realm: 'asterisk', algorithms: ['SHA-256', 'MD5', 'SHA-256'], nonce: '1700000000/abc', opaque: 'op' });
    assert.deepEqual(values, [
      'Digest realm="asterisk",nonce="1700000000/abc",opaque="op",algorithm=SHA-256,qop="auth"',
      'Digest realm="asterisk",nonce="1700000000/abc",opaque="op",algorithm=MD5,qop="auth"',
    ]);
    const stale = buildChallenge({ realm: 'r', nonce: 'n', opaque: 'o', stale: true });
    assert.deepEqual(stale, ['Digest realm="r",nonce="n",opaque="o",stale=true,algorithm=MD5,qop="auth"']);
    // Without an opaque each challenge gets a random 16-hex-digit one, like pjsip_auth_srv_challenge2().
    const [a, b] = buildChallenge({ realm: 'r', nonce: 'n', algorithms: ['SHA-256', 'MD5'] }).map((v) => parseDigestChallenge(v)!);
    assert.match(a!.opaque!, /^[0-9a-f]{16}$/);
    assert.match(b!.opaque!, /^[0-9a-f]{16}$/);
    assert.notEqual(a!.opaque, b!.opaque);
    assert.deepEqual(a!.qop, ['auth']);
    assert.equal(a!.algorithm, 'SHA-256');
  });
});

describe('sip: digest nonces and verification', () => {
  const AUTH = { realm: 'asterisk', username: 'alice', password: 'wonderland' };

  function setup(lifetimeSeconds = 32) {
    const c = clock();
    const nonces = new NonceManager({ secret: 'node-secret', lifetimeSeconds, now: c.now });
    return { c, nonces };
  }

  function answer(challenges: string[], extra: Partial<Parameters<typeof answerChallenge>[1]> = {}, ncState?: NonceCountState) {
    const a = answerChallenge(
      challenges,
      { username: 'alice', password: 'wonderland', method: 'REGISTER', uri: 'sip:pbx.example.com', ...extra },
      ncState ? { ncState } : {},
    );
    assert.ok(a, 'client found a challenge to answer');
    return a;
  }

  it('accepts a fresh answer and rejects the same nonce count again (replay), then accepts the next count', () => {
    const { nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk', source: '192.0.2.10' });
    const challenges = buildChallenge({ realm: 'asterisk', nonce, algorithms: ['MD5'] });
    const ncState = new NonceCountState();
    const first = answer(challenges, {}, ncState);
    assert.equal(first.nc, '00000001');
    const params = { ...AUTH, method: 'REGISTER', nonces, source: '192.0.2.10' };
    assert.deepEqual(verifyCredentials({ ...params, authorization: first.value }), {
      status: 'ok',
      stale: false,
      reason: 'authenticated',
      algorithm: 'MD5',
    });
    const again = verifyCredentials({ ...params, authorization: first.value });
    assert.equal(again.status, 'replay');
    assert.equal(again.stale, true);
    const second = answer(challenges, {}, ncState);
    assert.equal(second.nc, '00000002');
    assert.equal(verifyCredentials({ ...params, authorization: second.value }).status, 'ok');
    // A lower count than the highest seen is a replay too.
    assert.equal(verifyCredentials({ ...params, authorization: first.value }).status, 'replay');
    assert.equal(nonces.trackedCount(), 1);
  });

  it('calls an expired but genuine nonce with the right password stale, and with a wrong one bad', () => {
    const { c, nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk' });
    const challenges = buildChallenge({ realm: 'asterisk', nonce });
    const good = answer(challenges);
    const wrong = answer(challenges, { password: 'guess' });
    c.advance(32);
    // Exactly nonce_lifetime old still passes (Asterisk: now - ts > lifetime is stale).
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: good.value }).status, 'ok');
    c.advance(1);
    const stale = verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: good.value });
    assert.equal(stale.status, 'stale');
    assert.equal(stale.stale, true);
    const bad = verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: wrong.value });
    assert.equal(bad.status, 'bad');
    assert.equal(bad.stale, false);
    // A per-auth nonce_lifetime overrides the manager's.
    const later = answer(buildChallenge({ realm: 'asterisk', nonce: nonces.issue({ realm: 'asterisk' }) }));
    c.advance(40);
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: later.value }).status, 'stale');
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, lifetimeSeconds: 60, authorization: later.value }).status, 'ok');
  });

  it('detects forged nonces: tampered signature, another node secret, another source or realm', () => {
    const { c, nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk', source: '192.0.2.10' });
    const tampered = nonce.replace(/^\d+/, (ts) => String(Number(ts) + 100));
    const stranger = new NonceManager({ secret: 'other-secret', now: c.now }).issue({ realm: 'asterisk', source: '192.0.2.10' });
    for (const n of [tampered, stranger, 'just-a-string']) {
      const a = answer(buildChallenge({ realm: 'asterisk', nonce: n }));
      const r = verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, source: '192.0.2.10', authorization: a.value });
      assert.equal(r.status, 'forged', n);
      assert.equal(r.stale, false);
    }
    const genuine = answer(buildChallenge({ realm: 'asterisk', nonce }));
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, source: '198.51.100.7', authorization: genuine.value }).status, 'forged');
    assert.equal(nonces.check(nonce, { realm: 'other', source: '192.0.2.10' }).status, 'forged');
    assert.equal(nonces.check(nonce, { realm: 'asterisk', source: '192.0.2.10' }).status, 'valid');
  });

  it('accepts the legacy RFC 2069 answer (no qop) from old phones while the nonce is fresh', () => {
    const { nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk' });
    const uri = 'sip:pbx.example.com';
    const response = H('MD5', `${H('MD5', 'alice:asterisk:wonderland')}:${nonce}:${H('MD5', `REGISTER:${uri}`)}`);
    const value = formatDigestCredentials({ username: 'alice', realm: 'asterisk', nonce, uri, response });
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: value }).status, 'ok');
    // Nothing to count without qop: the same header passes again while fresh.
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: value }).status, 'ok');
    // A client answering a challenge that had no qop also uses the 2069 form.
    const legacy = answerChallenge(`Digest realm="asterisk", nonce="${nonce}"`, { username: 'alice', password: 'wonderland', method: 'REGISTER', uri });
    assert.ok(legacy);
    assert.equal(legacy.qop, undefined);
    assert.equal(parseDigestCredentials(legacy.value)!.response, response);
    // qop=auth without nc/cnonce is malformed.
    const noNc = formatDigestCredentials({ username: 'alice', realm: 'asterisk', nonce, uri, response, qop: 'auth' });
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: noNc }).status, 'bad');
  });

  it('verifies against md5_cred (H(A1) only, no password) and a client answers with a stored H(A1)', () => {
    const { nonces } = setup();
    const ha1 = computeHa1('MD5', 'alice', 'asterisk', 'wonderland');
    const nonce = nonces.issue({ realm: 'asterisk' });
    const a = answerChallenge(buildChallenge({ realm: 'asterisk', nonce }), {
      username: 'alice',
      ha1,
      method: 'SUBSCRIBE',
      uri: 'sip:1000@pbx',
    });
    assert.ok(a);
    const server = { realm: 'asterisk', username: 'alice', digests: { MD5: ha1 }, method: 'SUBSCRIBE', nonces };
    assert.equal(verifyCredentials({ ...server, authorization: a.value }).status, 'ok');
    // The method is part of the hash.
    const other = answerChallenge(buildChallenge({ realm: 'asterisk', nonce }), { username: 'alice', ha1, method: 'INVITE', uri: 'sip:1000@pbx' });
    assert.equal(verifyCredentials({ ...server, authorization: other!.value }).status, 'bad');
    // An H(A1) for MD5 cannot answer a SHA-256-only challenge.
    assert.equal(answerChallenge(buildChallenge({ realm: 'asterisk', nonce, algorithms: ['SHA-256'] }), { username: 'alice', ha1, method: 'INVITE', uri: 'u' }), null);
  });

  it('round-trips both algorithms: the client takes the first offer it supports, or the strongest if asked', () => {
    const { nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk' });
    const server = { ...AUTH, method: 'REGISTER', nonces, algorithms: ['SHA-256', 'MD5'] as DigestAlgorithm[] };
    const offer = buildChallenge({ realm: 'asterisk', nonce, algorithms: ['SHA-256', 'MD5'] });

    const sha = answer(offer);
    assert.equal(sha.algorithm, 'SHA-256');
    assert.match(sha.value, /algorithm=SHA-256/);
    assert.equal(verifyCredentials({ ...server, authorization: sha.value }).algorithm, 'SHA-256');
    assert.equal(verifyCredentials({ ...server, authorization: sha.value }).status, 'replay');

    const md5 = answer(offer, { algorithms: ['MD5'] });
    assert.equal(md5.algorithm, 'MD5');
    assert.deepEqual(verifyCredentials({ ...server, authorization: md5.value }).status, 'replay'); // same nonce, nc 1 again
    const n2 = nonces.issue({ realm: 'asterisk' });
    const md5b = answer(buildChallenge({ realm: 'asterisk', nonce: n2, algorithms: ['SHA-256', 'MD5'] }), { algorithms: ['MD5'] });
    assert.equal(verifyCredentials({ ...server, authorization: md5b.value }).status, 'ok');

    // Weakest listed first: 'first' follows the server, 'strongest' does not.
    const n3 = nonces.issue({ realm: 'asterisk' });
    const reversed = buildChallenge({ realm: 'asterisk', nonce: n3, algorithms: ['MD5', 'SHA-256'] });
    assert.equal(answer(reversed).algorithm, 'MD5');
    const strongest = answerChallenge(reversed, { username: 'alice', password: 'wonderland', method: 'REGISTER', uri: 'sip:pbx.example.com' }, { pick: 'strongest' });
    assert.equal(strongest!.algorithm, 'SHA-256');
    assert.equal(verifyCredentials({ ...server, authorization: strongest!.value }).status, 'ok');
  });

  it('follows RFC 8760 for SIP: SHA-512-256 REGISTER with opaque echoed and Proxy-Authorization-shaped values', () => {
    const { nonces } = setup();
    const nonce = nonces.issue({ realm: 'sip.example.org' });
    const offer = buildChallenge({ realm: 'sip.example.org', nonce, algorithms: ['SHA-512-256', 'SHA-256', 'MD5'], opaque: 'xyz' });
    const a = answerChallenge(offer, { username: 'bob', password: 'pw', realm: 'sip.example.org', method: 'REGISTER', uri: 'sip:sip.example.org' }, { cnonce: () => 'cn0' });
    assert.ok(a);
    assert.equal(a.algorithm, 'SHA-512-256');
    const c = parseDigestCredentials(a.value)!;
    assert.equal(c.opaque, 'xyz');
    assert.equal(c.algorithm, 'SHA-512-256');
    assert.equal(c.qop, 'auth');
    assert.equal(c.nc, '00000001');
    const ha1 = H('SHA-512-256', 'bob:sip.example.org:pw');
    const ha2 = H('SHA-512-256', 'REGISTER:sip:sip.example.org');
    assert.equal(c.response, H('SHA-512-256', `${ha1}:${nonce}:00000001:cn0:auth:${ha2}`));
    const r = verifyCredentials({
      realm: 'sip.example.org',
      username: 'bob',
      password: 'pw',
      method: 'REGISTER',
      nonces,
      algorithms: ['SHA-512-256', 'SHA-256', 'MD5'],
      authorization: a.value,
    });
    assert.equal(r.status, 'ok');
  });

  it('rejects answers that do not fit the auth object: realm, user, algorithm not offered', () => {
    const { nonces } = setup();
    const nonce = nonces.issue({ realm: 'asterisk' });
    const md5 = answer(buildChallenge({ realm: 'asterisk', nonce }));
    assert.equal(verifyCredentials({ ...AUTH, username: 'bob', method: 'REGISTER', nonces, authorization: md5.value }).status, 'bad');
    assert.equal(verifyCredentials({ ...AUTH, realm: 'other', method: 'REGISTER', nonces, authorization: md5.value }).status, 'bad');
    assert.equal(
      verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, algorithms: ['SHA-256'], authorization: md5.value }).reason,
      "algorithm 'MD5' was not offered",
    );
    assert.equal(verifyCredentials({ ...AUTH, method: 'REGISTER', nonces, authorization: 'Basic YWxpY2U6d29uZGVybGFuZA==' }).status, 'bad');
  });

  it('client skips challenges for other realms, unknown algorithms and unoffered qops', () => {
    const input = { username: 'alice', password: 'pw', method: 'OPTIONS', uri: 'sip:x' };
    assert.equal(answerChallenge('Digest realm="a",nonce="n"', { ...input, realm: 'b' }), null);
    assert.equal(answerChallenge('Digest realm="a",nonce="n",algorithm=AKAv1-MD5', input), null);
    assert.equal(answerChallenge('Digest realm="a",nonce="n",qop="auth-conf"', input), null);
    assert.equal(answerChallenge('Basic realm="a"', input), null);
    const wildcard = answerChallenge(['Digest realm="a",nonce="n",algorithm=MD5-sess', 'Digest realm="a",nonce="n"'], { ...input, realm: '*' });
    assert.equal(wildcard!.algorithm, 'MD5');
    assert.equal(parseDigestCredentials(wildcard!.value)!.algorithm, undefined);
  });

  it('keeps the nonce-count map bounded and lets entries expire with their nonce', () => {
    const c = clock();
    const nonces = new NonceManager({ secret: 's', lifetimeSeconds: 10, now: c.now, maxTracked: 2 });
    const ns = [nonces.issue(), nonces.issue(), nonces.issue()];
    for (const n of ns) {
      const check = nonces.check(n);
      assert.equal(check.status, 'valid');
      assert.equal(nonces.acceptNonceCount(n, 1, (check as { issuedAt: number }).issuedAt, 10), true);
    }
    assert.equal(nonces.trackedCount(), 2);
    c.advance(12);
    assert.equal(nonces.trackedCount(), 0);
    assert.equal(nonces.check(ns[0]!).status, 'expired');
  });
});
