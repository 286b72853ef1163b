/**
 * res_pjsip_outbound_authenticator_digest: answers 401/407 challenges to requests we send with
 * the credentials of the endpoint's (or outbound-publish's) outbound_auth, choosing among the
 * algorithms the auth supports (supported_algorithms_uac). The caller bounds the attempts.
 */
import { defineModule } from '../core/module.js';
import { answerChallenge, type DigestAlgorithm } from '../core/sip/digest.js';
import { NonceCountState } from '../core/sip/digest-nonce.js';
import type { SipRequest, SipResponse } from '../core/sip/message.js';
import { authPasswordDigests, effectiveAuthAlgorithms } from './res_pjsip/object-types.js';
import type { OutboundAuthenticator } from './res_pjsip/service.js';

export default defineModule({
  info: {
    name: 'res_pjsip_outbound_authenticator_digest',
    description: 'PJSIP authentication resource',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    const ncState = new NonceCountState();
    const authenticator: OutboundAuthenticator = {
      retry(authNames: readonly string[], challenge: SipResponse, original: SipRequest): SipRequest | undefined {
        const proxy = challenge.status === 407;
        const challenges = challenge.getHeaders(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
        if (challenges.length === 0) return undefined;
        const g = pjsip.global();
        for (const name of authNames) {
          const a = pjsip.auth(name);
          if (!a) continue;
          const answer = answerChallenge(
            challenges,
            {
              username: a.username,
              ...(a.password ? { password: a.password } : {}),
              ha1: authPasswordDigests(a),
              ...(a.realm ? { realm: a.realm } : {}),
              algorithms: effectiveAuthAlgorithms(a.supported_algorithms_uac as DigestAlgorithm[], g.default_auth_algorithms_uac as DigestAlgorithm[]),
              method: original.method,
              uri: original.uri,
              body: original.body,
            },
            { ncState },
          );
          if (!answer) continue;
          const retry = original.clone();
          retry.removeHeader('Via');
          const cseq = original.cseq;
          retry.setHeader('CSeq', `${cseq.seq + 1} ${cseq.method}`);
          retry.setHeader(proxy ? 'Proxy-Authorization' : 'Authorization', answer.value);
          return retry;
        }
        return undefined;
      },
    };
    ctx.track(pjsip.setOutboundAuthenticator(authenticator));
  },
});
