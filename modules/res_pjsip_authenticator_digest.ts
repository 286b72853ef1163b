/**
 * res_pjsip_authenticator_digest: challenges requests from endpoints with `auth=` (401 with one
 * WWW-Authenticate per algorithm of supported_algorithms_uas, RFC 8760: MD5 and SHA-256) and
 * verifies the answers. Nonces are signed and time-limited (nonce_lifetime), bound to realm and
 * source address, and each nonce count is accepted once. The signing secret lives in the store,
 * so nonces handed out before a restart still verify after it. Wrong credentials get 403.
 */
import { randomBytes } from 'node:crypto';
import { defineModule } from '../core/module.js';
import { buildChallenge, verifyCredentials, type DigestAlgorithm } from '../core/sip/digest.js';
import { NonceManager } from '../core/sip/digest-nonce.js';
import { buildResponse } from '../core/sip/serializer.js';
import type { SipRequest, SipResponse } from '../core/sip/message.js';
import type { SourceInfo } from '../core/sip/transport/types.js';
import { authPasswordDigests, effectiveAuthAlgorithms, type AuthObject, type EndpointObject } from './res_pjsip/object-types.js';
import type { Authenticator } from './res_pjsip/service.js';

const SECRET_FAMILY = 'res_pjsip_authenticator_digest';

export default defineModule({
  info: {
    name: 'res_pjsip_authenticator_digest',
    description: 'PJSIP authentication resource',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    let secret = ctx.core.store.get(SECRET_FAMILY, 'secret');
    if (!secret) {
      secret = randomBytes(32).toString('base64');
      ctx.core.store.put(SECRET_FAMILY, 'secret', secret);
    }
    const nonces = new NonceManager({ secret });

    const challenge = (req: SipRequest, source: SourceInfo, auths: AuthObject[], stale: boolean): SipResponse => {
      const g = pjsip.global();
      const headers: Array<[string, string]> = [];
      // The same nonce across realms/algorithms of one challenge, as pjsip issues one per request.
      for (const a of auths.length > 0 ? auths : [undefined]) {
        const realm = a?.realm || g.default_realm;
        const nonce = nonces.issue({ realm, source: source.remoteAddress });
        const algorithms = effectiveAuthAlgorithms((a?.supported_algorithms_uas ?? []) as DigestAlgorithm[], g.default_auth_algorithms_uas as DigestAlgorithm[]);
        for (const v of buildChallenge({ realm, algorithms, nonce, stale })) headers.push(['WWW-Authenticate', v]);
      }
      headers.push(['Server', g.user_agent]);
      return buildResponse(req, 401, 'Unauthorized', { headers });
    };

    const authenticator: Authenticator = {
      check(endpoint: EndpointObject, req: SipRequest, source: SourceInfo) {
        const auths = endpoint.auth.map((n) => pjsip.auth(n)).filter((a): a is AuthObject => a !== undefined);
        const given = req.getHeaders('Authorization');
        if (given.length === 0 || auths.length === 0) {
          return { result: 'challenge', response: challenge(req, source, auths, false), reason: 'no credentials' };
        }
        const g = pjsip.global();
        let stale = false;
        let why = 'Failed to authenticate';
        for (const value of given) {
          for (const a of auths) {
            const r = verifyCredentials({
              authorization: value,
              method: req.method,
              realm: a.realm || g.default_realm,
              username: a.username,
              password: a.password,
              digests: authPasswordDigests(a),
              algorithms: effectiveAuthAlgorithms(a.supported_algorithms_uas as DigestAlgorithm[], g.default_auth_algorithms_uas as DigestAlgorithm[]),
              nonces,
              source: source.remoteAddress,
              lifetimeSeconds: a.nonce_lifetime,
              body: req.body,
            });
            if (r.status === 'ok') return { result: 'ok' };
            if (r.stale) stale = true;
            why = r.reason;
          }
        }
        if (stale) return { result: 'challenge', response: challenge(req, source, auths, true), reason: why };
        return { result: 'fail', response: buildResponse(req, 403, 'Forbidden', { headers: [['Server', g.user_agent]] }), reason: `Failed to authenticate (${why})` };
      },
    };
    ctx.track(pjsip.setAuthenticator(authenticator));
  },
});
