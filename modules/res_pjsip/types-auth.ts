/**
 * `type=auth` of pjsip.conf (res/res_pjsip/config_auth.c, Asterisk 22 with the RFC 8760
 * algorithms): credentials for verifying inbound requests (endpoint `auth=`) and answering
 * challenges (endpoint / outbound-publish `outbound_auth=`).
 *
 * `md5_cred` and `password_digest` share one handler in Asterisk (a value without
 * `<algorithm>:` is MD5), so both convert to the same per-algorithm map; authPasswordDigests()
 * merges them. Empty supported_algorithms_* mean "the global default_auth_algorithms_*".
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';
import type { OptionSpec } from '../../core/registry/sorcery-options.js';
import type { DigestAlgorithm, PasswordDigests } from '../../core/sip/digest.js';
import { parseAlgorithmList, parsePasswordDigests, type OptionValues } from './option-parsers.js';

/** DEFAULT_AUTH_ALGORITHMS_UAS / _UAC of config_global.c, the final fallback. */
export const DEFAULT_AUTH_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5'];

const ACTED_ON = {
  auth_type: {
    kind: 'enum',
    values: ['userpass', 'md5', 'digest', 'google_oauth'],
    default: 'userpass',
    description: 'userpass/digest: password and/or password_digest; md5: md5_cred (older form)',
  },
  username: { kind: 'string', default: '', description: 'required' },
  password: { kind: 'string', default: '', description: 'plain password, usable with every algorithm' },
  md5_cred: { kind: 'string', convert: parsePasswordDigests, description: 'MD5 H(username:realm:password)' },
  password_digest: {
    kind: 'string',
    convert: parsePasswordDigests,
    description: '<algorithm>:<hex H(A1)>[,...], e.g. SHA-256:<64 hex>',
  },
  realm: { kind: 'string', default: '', description: 'challenge realm (empty: global default_realm); outbound: empty or * matches any' },
  nonce_lifetime: { kind: 'uint', default: 32, description: 'seconds a nonce we issued stays fresh' },
  supported_algorithms_uas: {
    kind: 'list',
    default: [],
    convert: parseAlgorithmList,
    description: 'challenge algorithms, most preferred first; empty = global default_auth_algorithms_uas',
  },
  supported_algorithms_uac: {
    kind: 'list',
    default: [],
    convert: parseAlgorithmList,
    description: 'algorithms we answer; empty = global default_auth_algorithms_uac',
  },
} as const satisfies Record<string, OptionSpec>;

/** google_oauth (XMPP/Google Voice): accepted and checked, never used by tsterisk. */
const ACCEPTED = {
  refresh_token: { kind: 'string', default: '' },
  oauth_clientid: { kind: 'string', default: '' },
  oauth_secret: { kind: 'string', default: '' },
} as const satisfies Record<string, OptionSpec>;

export const AUTH_OPTIONS = { ...ACTED_ON, ...ACCEPTED } as const;

export type AuthObject = SorceryObject & OptionValues<typeof AUTH_OPTIONS>;

/** H(A1) per algorithm from md5_cred and password_digest (password_digest wins for the same algorithm). */
export function authPasswordDigests(auth: Pick<AuthObject, 'md5_cred' | 'password_digest'>): PasswordDigests {
  return { ...(auth.md5_cred ?? {}), ...(auth.password_digest ?? {}) };
}

/** An auth's algorithm list, falling back to the global default, then MD5. */
export function effectiveAuthAlgorithms(
  list: readonly DigestAlgorithm[],
  globalDefault: readonly DigestAlgorithm[] = DEFAULT_AUTH_ALGORITHMS,
): DigestAlgorithm[] {
  if (list.length > 0) return [...list];
  return globalDefault.length > 0 ? [...globalDefault] : [...DEFAULT_AUTH_ALGORITHMS];
}

/**
 * auth_apply: a username always; google_oauth needs its three tokens; every algorithm of
 * supported_algorithms_uas/uac needs the password or a digest for it. The global defaults are
 * not known here, so empty lists are checked as MD5 (Asterisk's default); an auth whose global
 * default names another algorithm is re-checked by res_pjsip when it resolves the default.
 * auth_type=md5 without an MD5 digest is refused as older Asterisk did ("no md5_cred").
 */
function checkAuth(o: SorceryObject): string | undefined {
  const a = o as AuthObject;
  if (a.username === '') return 'no authentication username';
  if (a.auth_type === 'google_oauth') {
    if (a.refresh_token === '' || a.oauth_clientid === '' || a.oauth_secret === '') {
      return "'google_oauth' authentication needs refresh_token, oauth_clientid and oauth_secret";
    }
    return undefined;
  }
  const digests = authPasswordDigests(a);
  if (a.auth_type === 'md5' && digests.MD5 === undefined) return "'md5' authentication specified but no md5_cred";
  for (const [which, list] of [
    ['uas', a.supported_algorithms_uas],
    ['uac', a.supported_algorithms_uac],
  ] as const) {
    for (const alg of effectiveAuthAlgorithms(list)) {
      if (a.password === '' && digests[alg] === undefined) {
        return `no plain text or digest password found for algorithm ${alg} in supported_algorithms_${which}`;
      }
    }
  }
  return undefined;
}

export const AUTH_TYPE: ObjectTypeSpec = {
  type: 'auth',
  file: 'pjsip.conf',
  options: AUTH_OPTIONS,
  check: checkAuth,
};
