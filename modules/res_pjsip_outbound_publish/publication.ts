/**
 * One publication: the RFC 3903 client state machine for one (outbound-publish, resource),
 * Asterisk's sip_outbound_publisher. One PUBLISH is in flight at a time.
 *
 * - initial: body, no SIP-If-Match; modify: body + SIP-If-Match; refresh: SIP-If-Match, no body;
 *   remove: SIP-If-Match + Expires: 0. The SIP-ETag of every 2xx replaces the kept one.
 * - Changes that arrive while a PUBLISH is in flight wait in a map keyed by coalescing key:
 *   a newer change replaces an older one with the same key (Asterisk queues every change, so a
 *   slow ESC builds an unbounded queue). The map never holds more than one body per key.
 * - Refresh is sent before expiry, from the Expires the server granted in the 2xx (Asterisk
 *   refreshes at the configured expiration, ignoring a shortened grant, so its refreshes can
 *   arrive after the ESC dropped the publication).
 * - 412: the publication is gone at the ESC; a new one (new Call-ID) starts with an initial
 *   PUBLISH carrying the current full state, asked from the event publisher (Asterisk re-sends the
 *   failed message, which for a refresh is a body-less "initial" the ESC must refuse).
 * - 423: retried at once with the Min-Expires of the answer; without one the publication stops.
 * - 401/407: res_pjsip answers the challenge with outbound_auth. Challenges answered in a row
 *   are counted (from the CSeq the authenticator advanced, one per answer) and a challenge after
 *   max_auth_attempts answers stops the publication until a reload, as in Asterisk.
 * - 408, 5xx and no answer: retried with back-off (1, 2, 4 ... s, at most 300 s, or the server's
 *   Retry-After), the latest body of the key going out, so no state is lost while the ESC is
 *   away and the rate stays bounded. An ESC answering 5xx to six modify/refresh in a row gets a
 *   new publication with the full state. Asterisk drops the message at once and never retries.
 * - Other failures drop the message, as Asterisk does.
 * - stop(unpublish): the refresh is cancelled and, when asked, the publication is removed (right
 *   after the PUBLISH in flight, if any).
 * - Restart (a new publication on purpose): the current one is removed (Expires: 0 with its
 *   ETag) and, once that is answered, the pending changes go out as a new initial PUBLISH (new
 *   Call-ID, no SIP-If-Match), then as modifies. Nothing else is sent in between, and changes
 *   arriving meanwhile coalesce into that initial as into any queued message. It happens when
 *   the event publisher says the ESC would not apply a modify or a refresh to the body it holds
 *   under our ETag (host.needsNewPublication, asked right before each modify and refresh, so it
 *   judges the body the ESC really has, not a state that was coalesced away): Kamailio keeps a
 *   terminated dialog and ignores every modify and refresh of it. For a refresh the held body
 *   itself is published anew. A 412 or another failure to the remove counts as removed;
 *   408/5xx are retried with back-off, and after RETRIES_BEFORE_RESTART + 1 answered failures
 *   the remove is given up and the new publication starts anyway. Asterisk has no such case.
 * - Initial PUBLISHes wait for a slot of the client's InitialPacer (see initial-pacer.ts), so a
 *   start-up dump or a storm of 412s keeps a bounded number in flight.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from '../../core/log.js';
import type { PublicationUris, PublishBody } from '../../core/pubsub/types.js';
import { parseDeltaSeconds } from '../../core/sip/header-values.js';
import type { SipRequest, SipResponse } from '../../core/sip/message.js';
import { generateCallId } from '../../core/sip/serializer.js';
import type { InitialPacer } from './initial-pacer.js';
import { buildPublish, type PublishKind } from './request.js';

/** 5xx answers to a modify/refresh in a row before the publication starts over with full state. */
export const RETRIES_BEFORE_RESTART = 5;
/** Longest wait between retries (a server's Retry-After is capped to it too). */
export const MAX_RETRY_DELAY_S = 300;

/** What the publication needs from its client: configuration, sending, full state. */
export interface PublicationHost {
  /** For log lines: `pub-blf` or `pub-blf/1000`. */
  readonly label: string;
  readonly log: Logger;
  uris(): PublicationUris;
  event(): string;
  /** Configured expiration in seconds (0 = leave Expires out). */
  expiration(): number;
  maxAuthAttempts(): number;
  outboundProxy(): string;
  userAgent(): string;
  maxForwards(): number;
  /**
   * Sends the request, answering at most `maxChallenges` 401/407 with outbound_auth; `onFinal`
   * gets the final response, a synthesized 408/503 included, with `why` naming a timeout or a
   * transport error.
   */
  send(req: SipRequest, maxChallenges: number, onFinal: (res: SipResponse, why?: string) => void): void;
  /** The current full state of this publication (coalescing key → body), undefined when the publisher cannot tell. */
  fullState(): Array<{ key: string; body: PublishBody }> | undefined;
  /** Nothing published, queued or in flight any more (after a remove): the client may forget it. */
  idle(): void;
  /** The client's bound on initial PUBLISHes in flight. */
  readonly pacer: Pick<InitialPacer, 'take' | 'cancel' | 'release'>;
  /**
   * Asked before a modify (`next`: its body) or a refresh (`next` undefined): true when the ESC
   * would not apply it to `published` (the body it holds under our ETag), so a new publication
   * must carry the state instead (remove, then initial).
   */
  needsNewPublication(published: PublishBody, next: PublishBody | undefined): boolean;
}

export type PublicationState =
  | 'Unpublished'
  | 'Publishing'
  | 'Published'
  | 'Modifying'
  | 'Refreshing'
  | 'Removing'
  /** The remove that ends the publication before a new one (restart) is in flight. */
  | 'Restarting'
  /** An initial PUBLISH waits for a free slot of the client's InitialPacer. */
  | 'Waiting'
  | 'Retrying'
  | 'Failed'
  | 'Stopped';

interface Sent {
  kind: PublishKind;
  key?: string;
  body?: PublishBody;
  cseq: number;
  /** A remove that ends the publication before a new one starts (restart). */
  restart?: boolean;
  /** An initial holding a slot of the pacer, given back at the final answer. */
  slot?: boolean;
}

/** When to refresh: 90 % of the grant, 5 s early when the grant allows it, never before half of it. */
export function refreshDelaySeconds(granted: number): number {
  return Math.max(granted / 2, Math.min(granted * 0.9, granted - 5));
}

function header(res: SipResponse, name: string): string | undefined {
  try {
    return res.getHeader(name);
  } catch {
    return undefined;
  }
}

function cseqOf(res: SipResponse): number | undefined {
  try {
    return res.hasHeader('CSeq') ? res.cseq.seq : undefined;
  } catch {
    return undefined;
  }
}

export class Publication {
  private etag: string | undefined;
  private callId = generateCallId();
  /** The last CSeq used (pjsip starts a client at a random 16-bit number). */
  private cseq = randomInt(1, 65536);
  /** Min-Expires learnt from a 423 (sticks for this publication's life). */
  private minExpires = 0;
  private inFlight: Sent | undefined;
  private readonly pending = new Map<string, PublishBody>();
  /** Latest body per key handed to the ESC: the fallback full state for a 412 without fullState(). */
  private readonly lastBodies = new Map<string, PublishBody>();
  /** The body the ESC accepted last (2xx to an initial or modify): what it holds under our ETag. */
  private published: PublishBody | undefined;
  /** The coalescing key of `published`. */
  private publishedKey: string | undefined;
  private removeWanted = false;
  private restartWanted = false;
  /** Waiting for a pacer slot (the grant the pacer will call). */
  private slotGrant: (() => void) | undefined;
  /** A pacer slot taken and not yet used by an initial PUBLISH. */
  private slotHeld = false;
  private refreshDue = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  private authAttempts = 0;
  private failed = false;
  private stopping: { unpublish: boolean; done: () => void; promise: Promise<void> } | undefined;
  private stopped = false;

  lastResponse = '';
  expiresAt: number | undefined;
  nextRefreshAt: number | undefined;
  /** PUBLISH requests sent (auth retries made by res_pjsip not counted). */
  sentCount = 0;

  constructor(private readonly host: PublicationHost) {}

  get currentEtag(): string | undefined {
    return this.etag;
  }

  get state(): PublicationState {
    if (this.stopped) return 'Stopped';
    if (this.failed) return 'Failed';
    if (this.inFlight) {
      switch (this.inFlight.kind) {
        case 'initial':
          return 'Publishing';
        case 'modify':
          return 'Modifying';
        case 'refresh':
          return 'Refreshing';
        case 'remove':
          return this.inFlight.restart ? 'Restarting' : 'Removing';
      }
    }
    if (this.retryTimer) return 'Retrying';
    if (this.slotGrant) return 'Waiting';
    return this.etag !== undefined ? 'Published' : 'Unpublished';
  }

  /** Changes waiting behind the PUBLISH in flight (one per key). */
  get queued(): number {
    return this.pending.size;
  }

  get active(): boolean {
    return !this.stopped && !this.failed && this.stopping === undefined;
  }

  publish(key: string, body: PublishBody): void {
    if (!this.active) return;
    this.removeWanted = false;
    // Map.set on an existing key keeps its place in the queue and replaces the older body.
    this.pending.set(key, body);
    this.pump();
  }

  remove(): void {
    if (!this.active) return;
    this.pending.clear();
    this.refreshDue = false;
    this.restartWanted = false;
    this.removeWanted = true;
    this.pump();
  }

  /** After a reload: a publication stopped by auth or 423 failures tries again with full state. */
  revive(): void {
    if (!this.failed || this.stopped || this.stopping) return;
    this.failed = false;
    this.authAttempts = 0;
    this.retries = 0;
    this.etag = undefined;
    this.recover(undefined);
    this.pump();
  }

  /** Stops for good; with `unpublish`, removes the publication first. Resolves when done. */
  stop(unpublish: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.stopping) return this.stopping.promise;
    let done!: () => void;
    const promise = new Promise<void>((r) => (done = r));
    this.stopping = { unpublish, done, promise };
    this.clearTimer('refresh');
    this.clearTimer('retry');
    this.pending.clear();
    this.refreshDue = false;
    this.restartWanted = false;
    this.removeWanted = unpublish && !this.failed;
    this.dropSlot();
    if (!this.inFlight) this.pump();
    return promise;
  }

  // ------------------------------------------------------------------------------------------

  private finishStop(): void {
    const s = this.stopping;
    if (!s) return;
    this.stopped = true;
    this.stopping = undefined;
    this.clearTimer('refresh');
    this.clearTimer('retry');
    this.dropSlot();
    this.expiresAt = undefined;
    this.nextRefreshAt = undefined;
    s.done();
  }

  private pump(): void {
    if (this.stopped || this.inFlight || this.retryTimer) return;
    if (this.stopping) {
      if (this.removeWanted && this.etag !== undefined) {
        this.removeWanted = false;
        this.send('remove');
      } else {
        this.finishStop();
      }
      return;
    }
    if (this.failed) return;
    if (this.removeWanted) {
      this.removeWanted = false;
      if (this.etag !== undefined) this.send('remove');
      else this.becomeUnpublished();
      return;
    }
    if (this.etag !== undefined && !this.restartWanted && this.published !== undefined) {
      const change = this.pending.values().next();
      if (!change.done) {
        if (this.host.needsNewPublication(this.published, change.value)) {
          // Routine (every idle hint leaving idle): debug, not verbose. The pending changes stay
          // queued (and keep coalescing) for the new publication.
          this.host.log.debug(`PUBLISH for '${this.host.label}': the ESC would not apply this change as a modify; publishing anew`);
          this.restartWanted = true;
        }
      } else if (this.refreshDue && this.host.needsNewPublication(this.published, undefined)) {
        // The ESC would not extend it: the body it holds goes out again in a new publication.
        this.host.log.debug(`PUBLISH for '${this.host.label}': the ESC would not apply a refresh; publishing anew`);
        this.refreshDue = false;
        this.pending.set(this.publishedKey ?? '', this.published);
        this.restartWanted = true;
      }
    }
    const next = this.pending.entries().next();
    if (this.restartWanted) {
      if (this.etag !== undefined) {
        this.send('remove', undefined, undefined, true);
        return;
      }
      // Nothing published to remove: the next PUBLISH is an initial all the same.
      this.startNewPublication();
    }
    if (!next.done) {
      const [key, body] = next.value;
      if (this.etag === undefined && !this.initialSlot()) return;
      this.pending.delete(key);
      this.send(this.etag !== undefined ? 'modify' : 'initial', key, body);
      return;
    }
    if (this.refreshDue) {
      this.refreshDue = false;
      if (this.etag !== undefined) this.send('refresh');
      else {
        this.recover(undefined);
        this.pump();
      }
    }
  }

  private requestedExpires(): number | undefined {
    const configured = this.host.expiration();
    if (configured === 0 && this.minExpires === 0) return undefined;
    return Math.max(configured, this.minExpires);
  }

  /** True when this publication may send an initial PUBLISH now (a pacer slot is held). */
  private initialSlot(): boolean {
    if (this.slotHeld) return true;
    if (this.slotGrant !== undefined) return false;
    const grant = (): void => {
      if (this.slotGrant !== grant) {
        this.host.pacer.release();
        return;
      }
      this.slotGrant = undefined;
      this.slotHeld = true;
      this.pump();
      // Not used (stopped, removed, or nothing to publish any more): give it back.
      if (this.slotHeld) this.dropSlot();
    };
    if (this.host.pacer.take(grant)) {
      this.slotHeld = true;
      return true;
    }
    this.slotGrant = grant;
    return false;
  }

  /** Gives back an unused slot and stops waiting for one. */
  private dropSlot(): void {
    if (this.slotGrant !== undefined) {
      this.host.pacer.cancel(this.slotGrant);
      this.slotGrant = undefined;
    }
    if (this.slotHeld) {
      this.slotHeld = false;
      this.host.pacer.release();
    }
  }

  private send(kind: PublishKind, key?: string, body?: PublishBody, restart = false): void {
    const uris = this.host.uris();
    this.cseq += 1;
    const sent: Sent = { kind, cseq: this.cseq };
    if (restart) sent.restart = true;
    if (kind === 'initial' && this.slotHeld) {
      sent.slot = true;
      this.slotHeld = false;
    }
    if (key !== undefined) sent.key = key;
    if (body !== undefined) {
      sent.body = body;
      this.lastBodies.set(key ?? '', body);
    }
    const expires = this.requestedExpires();
    const req = buildPublish({
      kind,
      requestUri: uris.requestUri,
      fromUri: uris.fromUri,
      toUri: uris.toUri,
      callId: this.callId,
      cseq: this.cseq,
      event: this.host.event(),
      ...(this.etag !== undefined ? { etag: this.etag } : {}),
      ...(expires !== undefined ? { expires } : {}),
      ...(body !== undefined ? { body } : {}),
      route: this.host.outboundProxy(),
      maxForwards: this.host.maxForwards(),
      userAgent: this.host.userAgent(),
    });
    this.inFlight = sent;
    this.sentCount++;
    this.host.send(req, Math.max(0, this.host.maxAuthAttempts() - this.authAttempts), (res, why) => {
      if (sent.slot) {
        sent.slot = false;
        this.host.pacer.release();
      }
      if (this.inFlight !== sent) return;
      this.inFlight = undefined;
      this.onFinal(sent, res, why);
    });
  }

  private onFinal(sent: Sent, res: SipResponse, why: string | undefined): void {
    const answeredCseq = cseqOf(res);
    if (answeredCseq !== undefined && answeredCseq > this.cseq) this.cseq = answeredCseq;
    this.lastResponse = why ?? `${res.status} ${res.reason}`;
    const s = res.status;
    if (s >= 200 && s < 300) this.onSuccess(sent, res);
    else if (s === 401 || s === 407) this.onChallenge(sent, answeredCseq);
    else if (s === 412) this.onConditionFailed(sent);
    else if (s === 423) this.onIntervalTooBrief(sent, res);
    else if (s === 408 || (s >= 500 && s < 600)) this.onTransient(sent, res, why);
    else this.onRejected(sent, res);
    if (s !== 401 && s !== 407) this.authAttempts = 0;
    this.pump();
  }

  private onSuccess(sent: Sent, res: SipResponse): void {
    this.retries = 0;
    if (sent.kind === 'remove') {
      this.removed(sent);
      return;
    }
    this.etag = header(res, 'SIP-ETag')?.trim() || undefined;
    if (sent.body !== undefined) {
      this.published = sent.body;
      this.publishedKey = sent.key ?? '';
    }
    const fromServer = header(res, 'Expires');
    const granted = (fromServer !== undefined ? parseDeltaSeconds(fromServer) : null) ?? this.requestedExpires() ?? 3600;
    if (this.etag === undefined || granted <= 0) {
      // RFC 3903 says a 2xx carries both; without them nothing can be refreshed or modified.
      this.host.log.warning(`PUBLISH for '${this.host.label}' answered ${res.status} without ${this.etag === undefined ? 'SIP-ETag' : 'a lasting Expires'}`);
      this.etag = undefined;
      this.published = undefined;
      this.clearTimer('refresh');
      this.expiresAt = undefined;
      this.nextRefreshAt = undefined;
      return;
    }
    this.refreshDue = false;
    this.armRefresh(granted);
  }

  private onChallenge(sent: Sent, answeredCseq: number | undefined): void {
    // res_pjsip answered the challenges it could, each with CSeq + 1; this one it did not.
    const answered = answeredCseq !== undefined && answeredCseq > sent.cseq ? answeredCseq - sent.cseq : 0;
    this.authAttempts += answered;
    if (answered === 0 && this.authAttempts < this.host.maxAuthAttempts()) {
      // No credentials of outbound_auth fit the challenge: asking again cannot help.
      this.fail(`Cannot answer the authentication challenge on outbound publish '${this.host.label}' (check outbound_auth)`);
      return;
    }
    if (this.authAttempts >= this.host.maxAuthAttempts()) {
      this.fail(`Reached maximum number of PUBLISH authentication attempts on outbound publish '${this.host.label}'`);
      return;
    }
    // res_pjsip stops answering after a few challenges per request; go on up to max_auth_attempts.
    this.requeue(sent);
  }

  private onConditionFailed(sent: Sent): void {
    this.etag = undefined;
    this.clearTimer('refresh');
    this.expiresAt = undefined;
    this.nextRefreshAt = undefined;
    if (sent.kind === 'remove') {
      // The ESC no longer has it: removed all the same.
      this.removed(sent);
      return;
    }
    this.host.log.verbose(`PUBLISH for '${this.host.label}' got 412; publishing the current state anew`);
    this.recover(sent);
  }

  private onIntervalTooBrief(sent: Sent, res: SipResponse): void {
    const raw = header(res, 'Min-Expires');
    const min = raw !== undefined ? parseDeltaSeconds(raw) : null;
    const asked = this.requestedExpires() ?? 0;
    if (min === null || min === 0 || min <= asked) {
      this.fail(`Received 423 response on outbound publish '${this.host.label}' without a usable Min-Expires header`);
      return;
    }
    this.minExpires = min;
    this.requeue(sent);
  }

  private onTransient(sent: Sent, res: SipResponse, why: string | undefined): void {
    if (this.stopping) return; // one try at goodbye; pump() ends the stop
    this.retries += 1;
    this.requeue(sent);
    if (this.retries === RETRIES_BEFORE_RESTART + 1 && why === undefined && sent.restart) {
      // The ESC answers but will not remove the old publication: start the new one anyway.
      this.host.log.warning(`PUBLISH (remove) for '${this.host.label}' failed ${RETRIES_BEFORE_RESTART + 1} times (${this.lastResponse}); publishing anew without it`);
      this.startNewPublication();
    }
    if (this.retries === RETRIES_BEFORE_RESTART + 1 && why === undefined && (sent.kind === 'modify' || sent.kind === 'refresh')) {
      // The ESC answers, but keeps failing our conditional request (Kamailio answers 500 to an
      // ETag it cannot parse): start a new publication with the full state.
      this.host.log.warning(`PUBLISH (${sent.kind}) for '${this.host.label}' failed ${RETRIES_BEFORE_RESTART + 1} times (${this.lastResponse}); publishing the current state anew`);
      this.etag = undefined;
      this.clearTimer('refresh');
      this.expiresAt = undefined;
      this.nextRefreshAt = undefined;
      this.recover(sent);
    }
    const after = header(res, 'Retry-After');
    const serverDelay = after !== undefined ? parseInt(after, 10) : NaN;
    const backoff = 2 ** Math.min(this.retries - 1, 16);
    const delay = Math.min(Number.isFinite(serverDelay) && serverDelay >= 0 ? serverDelay : backoff, MAX_RETRY_DELAY_S);
    this.host.log.notice(`${this.lastResponse} for outbound publish '${this.host.label}' (${sent.kind}); retry ${this.retries} in ${delay} s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay * 1000);
    this.retryTimer.unref();
  }

  private onRejected(sent: Sent, res: SipResponse): void {
    this.retries = 0;
    this.host.log.warning(`PUBLISH (${sent.kind}) for '${this.host.label}' rejected: ${res.status} ${res.reason}`);
    if (sent.kind === 'remove') this.removed(sent);
  }

  /** The ESC answered a remove (or can no longer have the publication). */
  private removed(sent: Sent): void {
    if (sent.restart && !this.stopping) this.startNewPublication();
    else this.becomeUnpublished();
  }

  /**
   * The old publication is gone (restart): a new identity, no ETag, and the pending changes
   * are its first PUBLISHes. Nothing pending (remove() came meanwhile): unpublished.
   */
  private startNewPublication(): void {
    this.restartWanted = false;
    this.etag = undefined;
    this.published = undefined;
    this.publishedKey = undefined;
    this.clearTimer('refresh');
    this.expiresAt = undefined;
    this.nextRefreshAt = undefined;
    this.refreshDue = false;
    this.callId = generateCallId();
    this.cseq = randomInt(1, 65536);
    if (this.pending.size === 0) this.becomeUnpublished();
  }

  /** Puts a message back in front, unless a newer one of its key is already waiting. */
  private requeue(sent: Sent): void {
    if (this.stopping) {
      if (sent.kind === 'remove') this.removeWanted = true;
      return;
    }
    switch (sent.kind) {
      case 'remove':
        if (sent.restart) this.restartWanted = this.pending.size > 0;
        else if (this.pending.size === 0) this.removeWanted = true;
        return;
      case 'refresh':
        this.refreshDue = true;
        return;
      default: {
        const key = sent.key ?? '';
        if (this.pending.has(key) || sent.body === undefined) return;
        const rest = [...this.pending];
        this.pending.clear();
        this.pending.set(key, sent.body);
        for (const [k, b] of rest) this.pending.set(k, b);
      }
    }
  }

  /**
   * A new publication (new Call-ID, no ETag) carrying the current full state: the publisher's
   * if it can tell, else the last body of every key. Nothing to carry: the publication stays
   * unpublished until the next change.
   */
  private recover(sent: Sent | undefined): void {
    this.callId = generateCallId();
    this.cseq = randomInt(1, 65536);
    this.refreshDue = false;
    // A new publication, which is what a pending restart wanted too.
    this.restartWanted = false;
    this.published = undefined;
    const full = this.host.fullState();
    const rest = [...this.pending];
    this.pending.clear();
    if (full !== undefined) {
      for (const { key, body } of full) this.pending.set(key, body);
      // Changes queued after the full state was taken would be newer, but fullState() is the
      // present; only keys it does not know are kept.
      for (const [k, b] of rest) if (!this.pending.has(k)) this.pending.set(k, b);
    } else {
      for (const [k, b] of this.lastBodies) this.pending.set(k, b);
      for (const [k, b] of rest) this.pending.set(k, b);
      if (sent?.body !== undefined && !rest.some(([k]) => k === (sent.key ?? ''))) this.pending.set(sent.key ?? '', sent.body);
    }
    if (this.pending.size === 0) this.becomeUnpublished();
  }

  private becomeUnpublished(): void {
    this.etag = undefined;
    this.published = undefined;
    this.clearTimer('refresh');
    this.expiresAt = undefined;
    this.nextRefreshAt = undefined;
    this.lastBodies.clear();
    if (this.pending.size === 0 && !this.stopping) this.host.idle();
  }

  private fail(message: string): void {
    this.host.log.error(message);
    this.failed = true;
    this.pending.clear();
    this.refreshDue = false;
    this.removeWanted = false;
    this.restartWanted = false;
    this.dropSlot();
    this.clearTimer('refresh');
    this.clearTimer('retry');
    this.nextRefreshAt = undefined;
  }

  private armRefresh(granted: number): void {
    this.clearTimer('refresh');
    const now = Date.now();
    const delay = refreshDelaySeconds(granted);
    this.expiresAt = now + granted * 1000;
    this.nextRefreshAt = now + delay * 1000;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshDue = true;
      this.pump();
    }, delay * 1000);
    this.refreshTimer.unref();
  }

  private clearTimer(which: 'refresh' | 'retry'): void {
    if (which === 'refresh') {
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
    } else {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }
}
