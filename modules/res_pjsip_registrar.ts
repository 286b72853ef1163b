/**
 * res_pjsip_registrar (with res_pjsip_registrar_expire's job, done by the contact store's
 * timers): REGISTER per RFC 3261 10.3. The AOR is the To user (tried as `user@domain` first)
 * and must be one of the endpoint's aors. Contacts are added, refreshed and removed (`*` with
 * Expires 0 removes all), per-contact expires params win over the Expires header,
 * `423 Interval Too Brief` carries Min-Expires, max_contacts is enforced (remove_existing drops
 * the soonest to expire), and an older CSeq of the same Call-ID does not undo a newer one.
 */
import { defineModule } from '../core/module.js';
import { parseContact, parseDeltaSeconds } from '../core/sip/header-values.js';
import type { SipRequest } from '../core/sip/message.js';
import type { ServerTransaction } from '../core/sip/transaction/server-transaction.js';
import { parseUri } from '../core/sip/uri.js';
import type { Contact } from './res_pjsip/location.js';
import type { AorObject } from './res_pjsip/object-types.js';
import type { PjsipService, RequestContext } from './res_pjsip/service.js';

interface Binding {
  uri: string;
  expires: number;
}

function findAor(pjsip: PjsipService, req: SipRequest, ctx: RequestContext): AorObject | undefined {
  const to = parseUri(req.to.uri);
  // A malformed escape (`%zz`, `%C0%80`) names no AOR (404); decodeURIComponent would throw.
  let user: string; try { user = to?.user ? decodeURIComponent(to.user) : ''; } catch { return undefined; }
  const names = to && user ? [`${user}@${to.host}`, user] : [];
  for (const n of names) {
    if (!ctx.endpoint.aors.includes(n)) continue;
    const aor = pjsip.aor(n);
    if (aor) return aor;
  }
  return undefined;
}

export default defineModule({
  info: {
    name: 'res_pjsip_registrar',
    description: 'PJSIP Registrar Support',
    supportLevel: 'core',
    loadPriority: 60,
    requires: ['res_pjsip'],
  },
  load(ctx) {
    const pjsip = ctx.use('pjsip');
    const log = ctx.log;

    const handle = (req: SipRequest, tx: ServerTransaction, rctx: RequestContext) => {
      const aor = findAor(pjsip, req, rctx);
      if (!aor) {
        log.warning(`AOR '${req.to.uri}' not found for endpoint '${rctx.endpoint.id}' (${rctx.source.remoteAddress}:${rctx.source.remotePort})`);
        pjsip.reply(tx, 404, 'Not Found');
        return;
      }
      if (aor.max_contacts === 0) {
        log.warning(`AOR '${aor.id}' has no configured max_contacts. Endpoint '${rctx.endpoint.id}' unable to register`);
        pjsip.reply(tx, 403, 'Forbidden');
        return;
      }
      const expiresHeader = req.getHeader('Expires');
      const headerExpires = expiresHeader !== undefined ? parseDeltaSeconds(expiresHeader) : null;
      if (expiresHeader !== undefined && headerExpires === null) {
        pjsip.reply(tx, 400, 'Bad Expires');
        return;
      }
      const bindings: Binding[] = [];
      let star = false;
      for (const v of req.getHeaders('Contact')) {
        const c = parseContact(v);
        if (c === null) {
          pjsip.reply(tx, 400, 'Bad Contact');
          return;
        }
        if (c === '*') {
          star = true;
          continue;
        }
        const p = c.params.get('expires');
        let expires = p !== undefined && p !== null ? parseDeltaSeconds(p) : headerExpires;
        if (p !== undefined && expires === null) {
          pjsip.reply(tx, 400, 'Bad Contact expires');
          return;
        }
        expires ??= aor.default_expiration;
        bindings.push({ uri: c.uri, expires });
      }
      if (star) {
        // RFC 3261 10.3 step 6: `*` only alone and only with Expires: 0.
        if (bindings.length > 0 || headerExpires !== 0) {
          pjsip.reply(tx, 400, 'Bad Request');
          return;
        }
        for (const c of pjsip.location.contacts(aor.id)) pjsip.location.remove(aor.id, c.uri);
        log.verbose(`Removed all contacts of AOR '${aor.id}'`);
        reply200(tx, aor);
        return;
      }
      for (const b of bindings) {
        if (b.expires !== 0 && b.expires < aor.minimum_expiration) {
          pjsip.reply(tx, 423, 'Interval Too Brief', [['Min-Expires', String(aor.minimum_expiration)]]);
          return;
        }
        if (b.expires > aor.maximum_expiration) b.expires = aor.maximum_expiration;
      }
      const now = Date.now();
      const existing = new Map(pjsip.location.contacts(aor.id).map((c) => [c.uri, c]));
      const adds = bindings.filter((b) => b.expires > 0 && !existing.has(b.uri)).length;
      const removes = bindings.filter((b) => b.expires === 0 && existing.has(b.uri)).length;
      let overflow = existing.size - removes + adds - aor.max_contacts;
      if (overflow > 0 && !aor.remove_existing) {
        log.warning(`Registration attempt from endpoint '${rctx.endpoint.id}' to AOR '${aor.id}' will exceed max contacts of ${aor.max_contacts}`);
        pjsip.reply(tx, 403, 'Forbidden');
        return;
      }
      const cseq = req.cseq.seq;
      for (const b of bindings) {
        const old = existing.get(b.uri);
        // RFC 3261 10.3 step 7: a request older than the binding (same Call-ID) changes nothing.
        if (old && old.callId === req.callId && old.cseq !== undefined && old.cseq > cseq) continue;
        if (b.expires === 0) {
          if (old) pjsip.location.remove(aor.id, b.uri);
          continue;
        }
        const c: Contact = {
          aor: aor.id,
          uri: b.uri,
          expires: b.expires,
          expiresAt: now + b.expires * 1000,
          registeredAt: now,
          endpoint: rctx.endpoint.id,
          callId: req.callId,
          cseq,
          flow: {
            protocol: rctx.source.protocol,
            transport: rctx.source.transport,
            address: rctx.source.remoteAddress,
            port: rctx.source.remotePort,
            ...(rctx.source.connectionId ? { connectionId: rctx.source.connectionId } : {}),
          },
        };
        const ua = req.getHeader('User-Agent');
        if (ua !== undefined) c.userAgent = ua;
        const kind = pjsip.location.upsert(c);
        if (kind === 'added') log.verbose(`Added contact '${b.uri}' to AOR '${aor.id}' with expiration of ${b.expires} seconds`);
      }
      // remove_existing: the contacts closest to expiring make room (Asterisk drops the oldest).
      if (overflow > 0) {
        const fresh = new Set(bindings.map((b) => b.uri));
        const victims = pjsip.location
          .contacts(aor.id)
          .filter((c) => !fresh.has(c.uri))
          .sort((a, b) => a.expiresAt - b.expiresAt);
        for (const v of victims) {
          if (overflow-- <= 0) break;
          pjsip.location.remove(aor.id, v.uri);
          log.verbose(`Removed contact '${v.uri}' from AOR '${aor.id}' due to remove_existing`);
        }
      }
      reply200(tx, aor);
    };

    const reply200 = (tx: ServerTransaction, aor: AorObject) => {
      const now = Date.now();
      const headers: Array<[string, string]> = pjsip.location
        .contacts(aor.id)
        .map((c) => ['Contact', `<${c.uri}>;expires=${Math.max(0, Math.round((c.expiresAt - now) / 1000))}`] as [string, string]);
      headers.push(['Date', new Date(now).toUTCString()]);
      pjsip.reply(tx, 200, 'OK', headers);
    };

    ctx.track(pjsip.registerMethodHandler('REGISTER', handle));
  },
});
