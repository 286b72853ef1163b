/**
 * HTTP Digest as SIP uses it (RFC 3261 22.4 over RFC 2617, RFC 7616 algorithms, RFC 8760 for
 * SIP): MD5, SHA-256 and SHA-512-256 (the IANA names Asterisk 22 accepts in
 * supported_algorithms_uas/uac and password_digest), with qop=auth, auth-int and the RFC 2069
 * no-qop form old phones still send.
 *
 * Server side (res_pjsip_authenticator_digest): buildChallenge() writes one WWW-Authenticate
 * value per algorithm in the configured order (RFC 7616 3.7: most preferred first), each with
 * qop="auth" and a random opaque as pjproject's pjsip_auth_srv_challenge2() does when Asterisk
 * passes no opaque; verifyCredentials() checks one Authorization value against an auth
 * object's credentials and a NonceManager.
 *
 * Client side (res_pjsip_outbound_authenticator_digest): answerChallenge() picks one challenge
 * and builds the Authorization / Proxy-Authorization value.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TstError } from '../errors.js';
import {
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestChallenge,
  parseDigestCredentials,
  type DigestChallenge,
  type DigestCredentials,
} from './header-values.js';
import { formatNonceCount, parseNonceCount, type NonceContext, type NonceCountState, type NonceManager } from './digest-nonce.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** Weakest first; 'strongest' picking and tests use this order. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256', 'SHA-512-256'];

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Length of a hex H(A1) per algorithm (what password_digest / md5_cred must hold). */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { MD5: 32, 'SHA-256': 64, 'SHA-512-256': 64 };

/** Pre-computed H(A1) = H(username:realm:password) per algorithm, lower-case hex. */
export type PasswordDigests = Partial<Record<DigestAlgorithm, string>>;

export interface ParsedDigestAlgorithm {
  base: DigestAlgorithm;
  /** The `-sess` variant: H(A1) also covers nonce and cnonce. */
  session: boolean;
}

/** The IANA name of an algorithm, case-insensitive; null when unknown (AKAv1-MD5 included). */
export function toDigestAlgorithm(name: string): DigestAlgorithm | null {
  const n = name.trim().toUpperCase();
  return (DIGEST_ALGORITHMS as readonly string[]).includes(n) ? (n as DigestAlgorithm) : null;
}

/** `algorithm=` of a header; absent or empty means MD5 (RFC 2617 3.2.1). */
export function parseDigestAlgorithm(name: string | undefined): ParsedDigestAlgorithm | null {
  if (name === undefined || name.trim() === '') return { base: 'MD5', session: false };
  const n = name.trim();
  const session = /-sess$/i.test(n);
  const base = toDigestAlgorithm(session ? n.slice(0, -5) : n);
  return base === null ? null : { base, session };
}

/** Lower-case hex digest of `data` (strings are UTF-8). */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(NODE_HASH[algorithm]).update(data).digest('hex');
}

function algorithmOrThrow(algorithm: string | undefined): ParsedDigestAlgorithm {
  const a = parseDigestAlgorithm(algorithm);
  if (a === null) throw new TstError('TST_ERR_SIP_MESSAGE', `unsupported digest algorithm '${algorithm ?? ''}'`);
  return a;
}

/** H(A1) = H(username ":" realm ":" password) — what `password_digest` / `md5_cred` store. */
export function computeHa1(algorithm: string, username: string, realm: string, password: string): string {
  return digestHash(algorithmOrThrow(algorithm).base, `${username}:${realm}:${password}`);
}

export interface DigestResponseParams {
  /** As in the header (`MD5`, `SHA-256`, `SHA-512-256`, `-sess` variants); absent = MD5. */
  algorithm?: string | undefined;
  username: string;
  realm: string;
  password?: string | undefined;
  /** H(username:realm:password) in hex, instead of the password (md5_cred / password_digest). */
  ha1?: string | undefined;
  method: string;
  /** The `uri` parameter exactly as sent (digest-uri), not necessarily the Request-URI. */
  uri: string;
  nonce: string;
  /** 8 hex digits; required with qop. */
  nc?: string | undefined;
  cnonce?: string | undefined;
  /** `auth`, `auth-int`, or absent for the RFC 2069 form. */
  qop?: string | undefined;
  /** Message body, for qop=auth-int. */
  body?: string | Uint8Array | undefined;
}

/** The `response` value (lower-case hex). Throws TstError for an unknown algorithm or qop. */
export function computeDigestResponse(p: DigestResponseParams): string {
  const { base, session } = algorithmOrThrow(p.algorithm);
  let ha1: string;
  if (p.ha1 !== undefined) ha1 = p.ha1.toLowerCase();
  else if (p.password !== undefined) ha1 = digestHash(base, `${p.username}:${p.realm}:${p.password}`);
  else throw new TstError('TST_ERR_SIP_MESSAGE', 'digest response needs a password or H(A1)');
  if (session) ha1 = digestHash(base, `${ha1}:${p.nonce}:${p.cnonce ?? ''}`);

  const qop = p.qop === undefined || p.qop === '' ? undefined : p.qop.toLowerCase();
  let ha2: string;
  if (qop === 'auth-int') ha2 = digestHash(base, `${p.method}:${p.uri}:${digestHash(base, p.body ?? '')}`);
  else if (qop === undefined || qop === 'auth') ha2 = digestHash(base, `${p.method}:${p.uri}`);
  else throw new TstError('TST_ERR_SIP_MESSAGE', `unsupported digest qop '${p.qop ?? ''}'`);

  if (qop === undefined) return digestHash(base, `${ha1}:${p.nonce}:${ha2}`);
  return digestHash(base, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${qop}:${ha2}`);
}

// ---------------------------------------------------------------------------------------------
// Server: challenges

export interface ChallengeParams {
  realm: string;
  /** supported_algorithms_uas, in the order the challenges go out; default MD5 only. */
  algorithms?: readonly DigestAlgorithm[];
  nonce: string;
  /** Omitted: a fresh random 16-hex-digit opaque per challenge, as pjproject does for Asterisk. */
  opaque?: string;
  stale?: boolean;
}

/** One WWW-Authenticate (or Proxy-Authenticate) value per algorithm: `Digest realm=..,nonce=..,opaque=..,algorithm=..,qop="auth"`. */
export function buildChallenge(p: ChallengeParams): string[] {
  const algorithms = p.algorithms === undefined || p.algorithms.length === 0 ? (['MD5'] as const) : p.algorithms;
  const seen = new Set<DigestAlgorithm>();
  const out: string[] = [];
  for (const algorithm of algorithms) {
    // RFC 7616 3.7 / Asterisk: never two challenges for the same realm and algorithm.
    if (seen.has(algorithm)) continue;
    seen.add(algorithm);
    out.push(
      formatDigestChallenge({
        realm: p.realm,
        nonce: p.nonce,
        opaque: p.opaque ?? randomBytes(8).toString('hex'),
        stale: p.stale === true,
        algorithm,
        qop: 'auth',
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Server: verification

/**
 * - `ok`: credentials right, nonce ours and fresh, nonce count new.
 * - `stale`: credentials right but the nonce is past its lifetime: challenge again with stale=true.
 * - `replay`: credentials right but the nonce count was already used with this nonce.
 * - `forged`: the nonce was not issued by this node (or for another realm / source). Asterisk
 *   answers a bad nonce with right credentials as stale; we do not, so a node secret that changes
 *   on restart turns outstanding nonces into one extra failed round trip (keep the secret).
 * - `bad`: wrong response, or the header does not fit this auth object (malformed, other realm,
 *   other user, algorithm not offered, qop not offered).
 */
export type DigestVerifyStatus = 'ok' | 'stale' | 'replay' | 'forged' | 'bad';

export interface DigestVerifyResult {
  status: DigestVerifyStatus;
  /** Whether the next challenge should carry stale=true (a client then retries without asking its user). */
  stale: boolean;
  /** Why, for the log line. */
  reason: string;
  algorithm?: DigestAlgorithm;
}

export interface VerifyCredentialsParams {
  /** One Authorization / Proxy-Authorization value, raw or parsed. */
  authorization: string | DigestCredentials;
  /** Request method (CSeq method; for ACK/CANCEL the INVITE's rules are the caller's business). */
  method: string;
  /** The realm this auth object challenges with (auth realm or global default_realm). */
  realm: string;
  /** The auth object's username. */
  username: string;
  password?: string | undefined;
  /** md5_cred / password_digest. */
  digests?: PasswordDigests | undefined;
  /** supported_algorithms_uas; default MD5 only. */
  algorithms?: readonly DigestAlgorithm[] | undefined;
  nonces: NonceManager;
  /** What the nonce was bound to when issued (realm is added from `realm`). */
  source?: string | undefined;
  /** The auth object's nonce_lifetime; default the manager's. */
  lifetimeSeconds?: number | undefined;
  /** For qop=auth-int. */
  body?: string | Uint8Array | undefined;
}

function fail(status: DigestVerifyStatus, reason: string, algorithm?: DigestAlgorithm): DigestVerifyResult {
  const r: DigestVerifyResult = { status, stale: status === 'stale' || status === 'replay', reason };
  if (algorithm !== undefined) r.algorithm = algorithm;
  return r;
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks one Authorization value. Order: shape, realm, username, algorithm, qop, nonce
 * signature, response, nonce age, nonce count — the response is computed before age and count
 * are judged so a stale nonce with a wrong password is `bad`, not `stale` (as Asterisk: stale
 * only when pjsip_auth_srv_verify() succeeded).
 */
export function verifyCredentials(p: VerifyCredentialsParams): DigestVerifyResult {
  const c = typeof p.authorization === 'string' ? parseDigestCredentials(p.authorization) : p.authorization;
  if (c === null) return fail('bad', 'not a Digest authorization');
  if (c.username === undefined || c.realm === undefined || c.nonce === undefined || c.uri === undefined || c.response === undefined) {
    return fail('bad', 'authorization lacks username, realm, nonce, uri or response');
  }
  if (c.realm !== p.realm) return fail('bad', `realm '${c.realm}' is not '${p.realm}'`);
  if (c.username !== p.username) return fail('bad', `username '${c.username}' mismatch`);

  const alg = parseDigestAlgorithm(c.algorithm);
  if (alg === null || alg.session) return fail('bad', `unsupported algorithm '${c.algorithm ?? ''}'`);
  const offered = p.algorithms === undefined || p.algorithms.length === 0 ? ['MD5'] : p.algorithms;
  if (!offered.includes(alg.base)) return fail('bad', `algorithm '${alg.base}' was not offered`, alg.base);
  const ha1 = p.digests?.[alg.base];
  if (ha1 === undefined && (p.password === undefined || p.password === '')) {
    return fail('bad', `no password or ${alg.base} digest for this auth`, alg.base);
  }

  // We offer qop="auth" only; no qop at all is RFC 2069, which old phones still answer with.
  const qop = c.qop === undefined || c.qop === '' ? undefined : c.qop.toLowerCase();
  let nc: number | null = null;
  if (qop !== undefined) {
    if (qop !== 'auth') return fail('bad', `qop '${c.qop ?? ''}' was not offered`, alg.base);
    nc = parseNonceCount(c.nc);
    if (nc === null || c.cnonce === undefined || c.cnonce === '') return fail('bad', 'qop=auth without a valid nc and cnonce', alg.base);
  }

  const context: NonceContext = { realm: p.realm };
  if (p.source !== undefined) context.source = p.source;
  const nonce = p.nonces.check(c.nonce, context, p.lifetimeSeconds);
  if (nonce.status === 'forged') return fail('forged', 'nonce was not issued here', alg.base);

  const expected = computeDigestResponse({
    algorithm: alg.base,
    username: c.username,
    realm: c.realm,
    password: p.password,
    ha1,
    method: p.method,
    uri: c.uri,
    nonce: c.nonce,
    nc: c.nc,
    cnonce: c.cnonce,
    qop,
    body: p.body,
  });
  if (!safeEqualHex(expected, c.response)) return fail('bad', 'wrong response (password mismatch)', alg.base);

  if (nonce.status === 'expired') return fail('stale', `nonce is ${nonce.ageSeconds}s old`, alg.base);
  if (nc !== null && !p.nonces.acceptNonceCount(c.nonce, nc, nonce.issuedAt, p.lifetimeSeconds)) {
    return fail('replay', `nonce count ${c.nc ?? ''} already used`, alg.base);
  }
  return { status: 'ok', stale: false, reason: 'authenticated', algorithm: alg.base };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface ChallengeAnswerInput {
  username: string;
  password?: string | undefined;
  /** H(A1): a string is an MD5 one (md5_cred); a map gives one per algorithm (password_digest). */
  ha1?: string | PasswordDigests | undefined;
  /** The auth object's realm; empty or `*` answers any realm (Asterisk's wildcard auth). */
  realm?: string | undefined;
  /** supported_algorithms_uac; default: every algorithm we hold a credential for. */
  algorithms?: readonly DigestAlgorithm[] | undefined;
  method: string;
  /** Request-URI of the request being resent, used as digest-uri. */
  uri: string;
  body?: string | Uint8Array | undefined;
}

export interface ChallengeAnswerOptions {
  /** Per-nonce counters shared by the requests of one client (reused nonces count up). */
  ncState?: NonceCountState;
  /** cnonce generator (tests); default 16 random bytes in hex. */
  cnonce?: () => string;
  /**
   * `first` (default, Asterisk and RFC 7616 3.7: the server lists its preference first) or
   * `strongest` (SHA-512-256 over SHA-256 over MD5 among the acceptable challenges).
   */
  pick?: 'first' | 'strongest';
}

export interface DigestAnswer {
  /** The Authorization / Proxy-Authorization header value. */
  value: string;
  realm: string;
  algorithm: DigestAlgorithm;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

function credentialFor(input: ChallengeAnswerInput, algorithm: DigestAlgorithm): { ha1?: string; password?: string } | undefined {
  const digests: PasswordDigests = typeof input.ha1 === 'string' ? { MD5: input.ha1 } : (input.ha1 ?? {});
  const ha1 = digests[algorithm];
  if (ha1 !== undefined) return { ha1 };
  if (input.password !== undefined) return { password: input.password };
  return undefined;
}

/**
 * Answers the challenges of one 401/407 (all its WWW-Authenticate or Proxy-Authenticate values,
 * in message order). Returns null when none can be answered with these credentials.
 */
export function answerChallenge(
  challenges: string | DigestChallenge | ReadonlyArray<string | DigestChallenge>,
  input: ChallengeAnswerInput,
  options: ChallengeAnswerOptions = {},
): DigestAnswer | null {
  const list: ReadonlyArray<string | DigestChallenge> =
    typeof challenges === 'string' || !Array.isArray(challenges) ? [challenges as string | DigestChallenge] : challenges;
  const wildcard = input.realm === undefined || input.realm === '' || input.realm === '*';
  let chosen: { challenge: DigestChallenge; algorithm: DigestAlgorithm; qop: string | undefined } | undefined;
  for (const raw of list) {
    const ch = typeof raw === 'string' ? parseDigestChallenge(raw) : raw;
    if (ch === null || ch.realm === undefined || ch.nonce === undefined) continue;
    if (!wildcard && ch.realm.toLowerCase() !== (input.realm ?? '').toLowerCase()) continue;
    const alg = parseDigestAlgorithm(ch.algorithm);
    // pjproject knows no -sess algorithms, so Asterisk skips such challenges; so do we.
    if (alg === null || alg.session) continue;
    if (input.algorithms !== undefined && !input.algorithms.includes(alg.base)) continue;
    if (credentialFor(input, alg.base) === undefined) continue;
    const qops = ch.qop.map((q) => q.toLowerCase());
    let qop: string | undefined;
    if (qops.length === 0) qop = undefined;
    else if (qops.includes('auth')) qop = 'auth';
    else if (qops.includes('auth-int')) qop = 'auth-int';
    else continue;
    if (chosen === undefined) {
      chosen = { challenge: ch, algorithm: alg.base, qop };
      if (options.pick !== 'strongest') break;
    } else if (DIGEST_ALGORITHMS.indexOf(alg.base) > DIGEST_ALGORITHMS.indexOf(chosen.algorithm)) {
      chosen = { challenge: ch, algorithm: alg.base, qop };
    }
  }
  if (chosen === undefined) return null;

  const ch = chosen.challenge;
  const realm = ch.realm as string;
  const nonce = ch.nonce as string;
  const cred = credentialFor(input, chosen.algorithm)!;
  let nc: string | undefined;
  let cnonce: string | undefined;
  if (chosen.qop !== undefined) {
    nc = formatNonceCount(options.ncState ? options.ncState.next(nonce) : 1);
    cnonce = options.cnonce ? options.cnonce() : randomBytes(16).toString('hex');
  }
  const response = computeDigestResponse({
    algorithm: chosen.algorithm,
    username: input.username,
    realm,
    password: cred.password,
    ha1: cred.ha1,
    method: input.method,
    uri: input.uri,
    nonce,
    nc,
    cnonce,
    qop: chosen.qop,
    body: input.body,
  });
  const value = formatDigestCredentials({
    username: input.username,
    realm,
    nonce,
    uri: input.uri,
    response,
    // Echo the token as the server wrote it; a challenge without one stays without one.
    ...(ch.algorithm !== undefined ? { algorithm: ch.algorithm } : {}),
    ...(cnonce !== undefined ? { cnonce } : {}),
    ...(ch.opaque !== undefined ? { opaque: ch.opaque } : {}),
    ...(chosen.qop !== undefined ? { qop: chosen.qop } : {}),
    ...(nc !== undefined ? { nc } : {}),
  });
  const answer: DigestAnswer = { value, realm, algorithm: chosen.algorithm, nonce };
  if (chosen.qop !== undefined) answer.qop = chosen.qop;
  if (nc !== undefined) answer.nc = nc;
  if (cnonce !== undefined) answer.cnonce = cnonce;
  return answer;
}
