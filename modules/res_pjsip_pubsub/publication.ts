/**
 * The PUBLISH side of res_pjsip_pubsub (RFC 3903 event state compositor, Asterisk's
 * pubsub_on_rx_publish_request): classification of each PUBLISH, Asterisk's decision order and
 * codes, entity tags, expiry. It knows no event package: the publish handlers registered in the
 * core (res_pjsip_publish_asterisk...) are handed the bodies.
 *
 * Where Asterisk is wrong we follow RFC 3903:
 * - a REMOVE (Expires: 0) without SIP-If-Match is 400 (Asterisk looks up an uninitialised tag, 412);
 * - a MODIFY whose body the handler refuses is answered with the handler's status (400) and the
 *   publication stays as it was (Asterisk answers 200 and deletes it);
 * - an INITIAL body the handler refuses gets the handler's status (400) instead of 500;
 * - ETags are integers as Asterisk's, but counted from a random start so a restarted node does
 *   not hand out an ETag a peer still holds from before the restart;
 * - an ETag only matches a publication of the same event, resource and endpoint;
 * - bodies of another type than the handler takes get 415 with Accept, oversized ones 413.
 */
import { randomInt } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { InboundPublication, PublicationEnd, PublishHandler, PubsubEndpoint } from '../../core/pubsub/types.js';
import { parseDeltaSeconds, parseEvent } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { PjsipService, RequestContext } from '../res_pjsip/service.js';

/** Expires when the PUBLISH has none (Asterisk's default; no Min-Expires, no clamp). */
export const DEFAULT_PUBLISH_EXPIRES = 3600;
/** Biggest Expires we keep a timer for (setTimeout's limit is ~24.8 days). */
const MAX_TIMER_S = 2_000_000;
export const DEFAULT_MAX_BODY = 65536;

export type PublishKind = 'initial' | 'refresh' | 'modify' | 'remove';

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  489: 'Bad Event',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 200 && status < 300 ? 'OK' : 'Error');
}

interface InboundPublicationObject {
  id: string;
  endpoint: string;
  patterned: Record<string, string[]>;
}

class Publication implements InboundPublication {
  readonly data = new Map<string, unknown>();
  etag = '';
  expiresAt = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly eventName: string,
    readonly resource: string,
    readonly configName: string,
    readonly endpoint: PubsubEndpoint,
    readonly handler: PublishHandler,
  ) {}
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

export class PublicationTable {
  /** event (lower-case) → ETag → publication. */
  private readonly byEvent = new Map<string, Map<string, Publication>>();
  private etagSeq: number;
  private idSeq = 0;

  constructor(
    private readonly core: CoreView,
    private readonly pjsip: PjsipService,
    private readonly log: Logger,
  ) {
    this.etagSeq = randomInt(0, 1_000_000_000);
  }

  /** Every live publication (for the CLI and tests). */
  list(event?: string): InboundPublication[] {
    const out: InboundPublication[] = [];
    for (const [ev, t] of this.byEvent) if (event === undefined || ev === event.toLowerCase()) out.push(...t.values());
    return out;
  }

  get size(): number {
    let n = 0;
    for (const t of this.byEvent.values()) n += t.size;
    return n;
  }

  /** Drops everything, telling the handlers (unload). */
  stop(): void {
    for (const t of this.byEvent.values()) {
      for (const p of t.values()) {
        clearTimeout(p.timer);
        this.ended(p, 'shutdown');
      }
    }
    this.byEvent.clear();
  }

  /** An out-of-dialog PUBLISH from an identified (and authenticated) endpoint. */
  handlePublish(req: SipRequest, tx: ServerTransaction, ctx: RequestContext): void {
    const endpoint = ctx.endpoint as unknown as PubsubEndpoint;
    const answer = (status: number, why: string | undefined, headers: Array<[string, string]> = []) => {
      if (why !== undefined) this.log.notice(`PUBLISH from ${req.from.uri} (endpoint '${endpoint.id}') to ${req.uri} refused ${status}: ${why}`);
      this.pjsip.reply(tx, status, reasonPhrase(status), headers);
    };

    const eventValue = req.getHeader('Event');
    const event = eventValue !== undefined && eventValue.length <= 256 ? parseEvent(eventValue) : null;
    if (!event) return answer(489, 'no or bad Event header');
    const handler = this.core.publishHandlers.get(event.package);
    if (!handler) return answer(489, `no publish handler for event '${event.package}'`);

    const expiresHeader = req.getHeader('Expires');
    const expires = expiresHeader === undefined ? DEFAULT_PUBLISH_EXPIRES : parseDeltaSeconds(expiresHeader);
    if (expires === null) return answer(400, `bad Expires '${expiresHeader ?? ''}'`);
    const ifMatch = req.getHeader('SIP-If-Match')?.trim();
    // Asterisk reads the tag with %d: anything that is not an integer is a bad request.
    if (ifMatch !== undefined && !/^-?[0-9]{1,15}$/.test(ifMatch)) return answer(400, `bad SIP-If-Match '${ifMatch}'`);
    const hasBody = req.body.length > 0;
    let kind: PublishKind;
    if (expires === 0) kind = 'remove';
    else if (ifMatch === undefined) kind = 'initial';
    else kind = hasBody ? 'modify' : 'refresh';
    if (kind === 'initial' && !hasBody) return answer(400, 'no SIP-If-Match and no body');
    if (kind === 'remove' && ifMatch === undefined) return answer(400, 'Expires: 0 without SIP-If-Match (RFC 3903 6)');

    let body: { contentType: string; text: string } | undefined;
    if (hasBody && kind !== 'remove') {
      const max = handler.maxBodySize ?? DEFAULT_MAX_BODY;
      if (req.body.length > max) return answer(413, `body of ${req.body.length} bytes (at most ${max})`);
      const contentType = (req.getHeader('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (handler.accept && !handler.accept.includes(contentType)) {
        return answer(415, `Content-Type '${contentType}'`, [['Accept', handler.accept.join(', ')]]);
      }
      body = { contentType, text: req.bodyText() };
    }

    const ruri = req.requestUri;
    if (kind !== 'initial') {
      const table = this.byEvent.get(handler.eventName.toLowerCase());
      let pub = table?.get(ifMatch!);
      // A handler that was unloaded (or replaced) took its publications with it.
      if (pub && pub.handler !== handler) {
        table!.delete(pub.etag);
        clearTimeout(pub.timer);
        pub = undefined;
      }
      const resource = ruri?.user ? decodeUser(ruri.user) : '';
      if (!pub || pub.resource !== resource) return answer(412, `unknown entity tag '${ifMatch!}' for ${event.package} of '${resource}'`);
      // The inbound-publication may have been reconfigured since: endpoint= still applies.
      const cfg = this.core.sorcery.retrieve<InboundPublicationObject>('inbound-publication', pub.resource);
      if (pub.endpoint.id !== endpoint.id || (cfg && cfg.endpoint !== '' && cfg.endpoint !== endpoint.id)) {
        return answer(403, `publication '${pub.resource}' belongs to endpoint '${pub.endpoint.id}'`);
      }
      if (kind === 'remove') {
        clearTimeout(pub.timer);
        table!.delete(pub.etag);
        this.ended(pub, 'removed');
        return answer(200, undefined, [['SIP-ETag', this.nextEtag()], ['Expires', '0']]);
      }
      if (kind === 'modify') {
        const status = this.callState(pub, body!);
        if (status < 200 || status >= 300) return answer(status, `body refused by the ${handler.eventName} handler; publication kept`);
      }
      return this.accepted(pub, table!, expires, answer);
    }

    // INITIAL
    if (!ruri || (ruri.scheme !== 'sip' && ruri.scheme !== 'sips')) return answer(416, 'not a sip: URI');
    const resource = ruri.user ? decodeUser(ruri.user) : '';
    const cfg = resource === '' ? undefined : this.core.sorcery.retrieve<InboundPublicationObject>('inbound-publication', resource);
    if (!cfg) return answer(404, `no inbound-publication '${resource}'`);
    if (cfg.endpoint !== '' && cfg.endpoint !== endpoint.id) return answer(403, `inbound-publication '${resource}' is for endpoint '${cfg.endpoint}'`);
    const configName = this.configNameFor(cfg, handler.eventName);
    if (configName === undefined) return answer(404, `inbound-publication '${resource}' has no event_${handler.eventName}`);
    let status = 200;
    try {
      status = handler.newPublication?.(endpoint, resource, configName) ?? 200;
    } catch (e) {
      this.log.error(`Publish handler ${handler.eventName} failed on a new publication to '${resource}': ${errorMessage(e)}`);
      status = 500;
    }
    if (status < 200 || status >= 300) return answer(status, `refused by the ${handler.eventName} handler (configuration '${configName}')`);
    const pub = new Publication(`pub-${++this.idSeq}`, handler.eventName, resource, configName, endpoint, handler);
    status = this.callState(pub, body!);
    if (status < 200 || status >= 300) return answer(status, `body refused by the ${handler.eventName} handler`);
    let table = this.byEvent.get(handler.eventName.toLowerCase());
    if (!table) {
      table = new Map();
      this.byEvent.set(handler.eventName.toLowerCase(), table);
    }
    return this.accepted(pub, table, expires, answer);
  }

  private configNameFor(cfg: InboundPublicationObject, event: string): string | undefined {
    const want = `event_${event}`.toLowerCase();
    for (const [name, values] of Object.entries(cfg.patterned ?? {})) {
      if (name.toLowerCase() === want && values.length > 0) return values[values.length - 1];
    }
    const direct = (cfg as unknown as Record<string, unknown>)[`event_${event}`];
    return typeof direct === 'string' && direct !== '' ? direct : undefined;
  }

  private callState(pub: Publication, body: { contentType: string; text: string }): number {
    try {
      return pub.handler.publicationState(pub, body);
    } catch (e) {
      this.log.error(`Publish handler ${pub.eventName} failed on a body for '${pub.resource}': ${errorMessage(e)}`);
      return 500;
    }
  }

  /** A 2xx: a new ETag (every time, as Asterisk), the expiry timer re-armed. */
  private accepted(pub: Publication, table: Map<string, Publication>, expires: number, answer: (s: number, why: string | undefined, h: Array<[string, string]>) => void): void {
    if (pub.etag !== '') table.delete(pub.etag);
    pub.etag = this.nextEtag();
    table.set(pub.etag, pub);
    pub.expiresAt = Date.now() + expires * 1000;
    clearTimeout(pub.timer);
    pub.timer = setTimeout(() => this.expire(pub, table), Math.min(expires, MAX_TIMER_S) * 1000);
    pub.timer.unref();
    answer(200, undefined, [['SIP-ETag', pub.etag], ['Expires', String(expires)]]);
  }

  private expire(pub: Publication, table: Map<string, Publication>): void {
    if (table.get(pub.etag) !== pub) return;
    table.delete(pub.etag);
    this.log.verbose(`Publication '${pub.resource}' (${pub.eventName}, endpoint '${pub.endpoint.id}') expired`);
    this.ended(pub, 'expired');
  }

  private ended(pub: Publication, why: PublicationEnd): void {
    // A handler no longer registered is not called back.
    if (this.core.publishHandlers.get(pub.eventName) !== pub.handler) return;
    try {
      pub.handler.publicationEnded?.(pub, why);
    } catch (e) {
      this.log.error(`Publish handler ${pub.eventName} failed on the end of '${pub.resource}': ${errorMessage(e)}`);
    }
  }

  private nextEtag(): string {
    this.etagSeq = (this.etagSeq + 1) % 2_000_000_000;
    return String(this.etagSeq);
  }
}
