/**
 * Unsolicited MWI (Asterisk's res_pjsip_mwi.c, the `unsolicited_mwi` container): endpoints with
 * `mailboxes=` get an out-of-dialog NOTIFY at every contact of every one of their AORs, without
 * subscribing, when a mailbox changes, when a contact registers or re-registers, and once the
 * node is fully booted. With `aggregate_mwi=yes` (the default) one NOTIFY carries the sum of all
 * the endpoint's mailboxes, otherwise one NOTIFY goes out per mailbox.
 *
 * Differences from Asterisk, on purpose:
 * - the endpoint index follows the configuration: an endpoint's mailboxes added or removed by a
 *   reload take effect at once (irontec/ivozprovider#367), and its contacts get a NOTIFY with
 *   the new state (a zero one when the last mailbox went away, so no lamp stays lit);
 * - a contact registration notifies the endpoints whose `aors` list the AOR exactly (Asterisk
 *   matches the AOR name as a substring of the list, so `100` also hit `1000`), and only that
 *   contact (Asterisk re-sends to every contact of the endpoint);
 * - mailbox changes reach endpoints even when `mwi_disable_initial_unsolicited` is set (Asterisk
 *   then watched only endpoints that had registered since boot); the option only skips the
 *   boot-time wave;
 * - every NOTIFY goes through a paced, coalescing queue (see paced-queue.ts), so the boot wave
 *   of a big system neither stalls the node nor floods the network, and a burst of changes to
 *   one mailbox sends the latest counts once per contact;
 * - the boot wave is queued at FullyBooted but runs once the event loop has caught up with the
 *   requests that piled up during start-up (loop-settle.ts).
 *
 * As Asterisk with rewrite_contact=no, a NOTIFY goes to the Contact URI: the connection the
 * REGISTER came on is reused only when it is the Contact's, with rewrite_contact=yes, or for a
 * WebSocket contact (contact-flow.ts).
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import type { ObjectEvent } from '../../core/registry/sorcery.js';
import type { Disposer } from '../../core/registry/registry.js';
import type { RequestTarget } from '../../core/sip/stack.js';
import type { ContactEvent } from '../res_pjsip/location.js';
import type { EndpointObject } from '../res_pjsip/object-types.js';
import type { AorContact, PjsipService } from '../res_pjsip/service.js';
import { contactFlow } from './contact-flow.js';
import { localAddressFor } from './local-address.js';
import { accumulate, mailboxIds, type MailboxReader } from './mailboxes.js';
import { PacedQueue, type PacingOptions } from '../../core/pacing/paced-queue.js';
import { endpointAors } from './resource.js';
import { buildUnsolicitedNotify, unsolicitedIdentity } from './unsolicited-request.js';

export interface UnsolicitedDeps {
  pjsip: PjsipService;
  mailboxes: MailboxReader;
  /** The message-summary body for the counts; undefined when no generator is registered. */
  render(data: MessageAccumulator): string | undefined;
  /** Event packages for Allow-Events. */
  allowEvents(): readonly string[];
  log: Logger;
  pacing?: Partial<PacingOptions>;
}

/** What the index keeps of an endpoint with unsolicited MWI. */
interface EndpointMwi {
  mailboxes: string[];
  aggregate: boolean;
  aors: string[];
  /** The options that shape its NOTIFYs: a change re-sends. */
  signature: string;
}

/** One queued NOTIFY round: an endpoint's unit (`*` all, `!` zero after the last mailbox went, or one mailbox), to all its contacts or one. */
interface Job {
  endpoint: string;
  unit: string;
  contact?: { aor: string; uri: string };
}

const ALL = '*';
const CLEAR = '!';

function signatureOf(e: EndpointObject, mailboxes: readonly string[]): string {
  return JSON.stringify([mailboxes, e.aggregate_mwi, e.aors, e.mwi_from_user, e.voicemail_extension, e.from_user, e.from_domain, e.contact_user]);
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  set?.delete(id);
  if (set && set.size === 0) index.delete(key);
}

export class UnsolicitedMwi {
  private readonly byMailbox = new Map<string, Set<string>>();
  /** AOR → endpoints with MWI that list it: a registration finds its endpoints without a scan. */
  private readonly byAor = new Map<string, Set<string>>();
  private readonly endpoints = new Map<string, EndpointMwi>();
  /** endpoint → mailbox → solicited subscriptions that replaced its unsolicited MWI. */
  private readonly suppressed = new Map<string, Map<string, number>>();
  readonly queue: PacedQueue<Job>;
  /** NOTIFYs answered 2xx, and those that failed (error response, timeout, unreachable). */
  readonly counters = { sent: 0, failed: 0 };
  private stopped = false;

  constructor(private readonly deps: UnsolicitedDeps) {
    this.queue = new PacedQueue<Job>((job, slot) => this.run(job, slot), deps.log, {
      highWater: deps.pjsip.global().mwi_tps_queue_high,
      lowWater: deps.pjsip.global().mwi_tps_queue_low,
      ...deps.pacing,
    });
    this.rebuild();
  }

  // ---- the endpoint index ----------------------------------------------------------------

  /** Re-reads every endpoint (start, module reload). */
  rebuild(): void {
    this.byMailbox.clear();
    this.byAor.clear();
    this.endpoints.clear();
    for (const e of this.deps.pjsip.endpoints()) this.index(e);
  }

  private index(e: EndpointObject): EndpointMwi | undefined {
    this.unindex(e.id);
    const mailboxes = mailboxIds(e.mailboxes, (entry, why) => this.deps.log.warning(`Endpoint '${e.id}': ignoring mailbox '${entry}': ${why}`));
    if (mailboxes.length === 0) return undefined;
    const aors = [...new Set(e.aors.map((a) => a.trim()).filter((a) => a !== ''))];
    const info: EndpointMwi = { mailboxes, aggregate: e.aggregate_mwi, aors, signature: signatureOf(e, mailboxes) };
    this.endpoints.set(e.id, info);
    for (const m of mailboxes) addTo(this.byMailbox, m, e.id);
    for (const a of aors) addTo(this.byAor, a, e.id);
    return info;
  }

  private unindex(id: string): void {
    const old = this.endpoints.get(id);
    if (!old) return;
    this.endpoints.delete(id);
    for (const m of old.mailboxes) removeFrom(this.byMailbox, m, id);
    for (const a of old.aors) removeFrom(this.byAor, a, id);
  }

  /** Asterisk's endpoint_receives_unsolicited_mwi_for_mailbox (before any replacement). */
  receivesUnsolicited(endpointId: string, mailbox: string): boolean {
    return this.endpoints.get(endpointId)?.mailboxes.includes(mailbox) ?? false;
  }

  /**
   * A solicited subscription of the endpoint now covers these mailboxes
   * (`mwi_subscribe_replaces_unsolicited=yes`): no unsolicited NOTIFY for them until released.
   */
  suppress(endpointId: string, mailboxes: readonly string[]): Disposer {
    if (mailboxes.length === 0) return () => undefined;
    let per = this.suppressed.get(endpointId);
    if (!per) this.suppressed.set(endpointId, (per = new Map()));
    for (const m of mailboxes) per.set(m, (per.get(m) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const cur = this.suppressed.get(endpointId);
      if (!cur) return;
      for (const m of mailboxes) {
        const n = (cur.get(m) ?? 0) - 1;
        if (n > 0) cur.set(m, n);
        else cur.delete(m);
      }
      if (cur.size === 0) this.suppressed.delete(endpointId);
    };
  }

  isSuppressed(endpointId: string, mailbox: string): boolean {
    return (this.suppressed.get(endpointId)?.get(mailbox) ?? 0) > 0;
  }

  // ---- triggers ----------------------------------------------------------------------------

  /** An endpoint created, changed or deleted (reload): re-index, and re-send when it matters. */
  endpointChanged(ev: ObjectEvent): void {
    const id = ev.object.id;
    const before = this.endpoints.get(id);
    if (ev.kind === 'deleted') {
      this.unindex(id);
      this.queue.dropPrefix(`${id}\u0000`);
      return;
    }
    const after = this.index(ev.object as EndpointObject);
    if (before?.signature === after?.signature) return;
    if (after) this.enqueueEndpoint(id);
    else if (before) this.queue.push(`${id}\u0000${CLEAR}\u0000`, { endpoint: id, unit: CLEAR });
  }

  /** A mailbox's counts changed: every endpoint with it, unless a subscription replaced it. */
  mailboxChanged(mailbox: string): void {
    const ids = this.byMailbox.get(mailbox);
    if (!ids) return;
    for (const id of ids) {
      if (this.isSuppressed(id, mailbox)) continue;
      const info = this.endpoints.get(id)!;
      const unit = info.aggregate ? ALL : mailbox;
      this.queue.push(`${id}\u0000${unit}\u0000`, { endpoint: id, unit });
    }
  }

  /** A contact registered or re-registered: NOTIFY it from each endpoint that lists its AOR. */
  contactChanged(ev: ContactEvent): void {
    if (ev.kind !== 'added' && ev.kind !== 'updated') return;
    const { aor, uri } = ev.contact;
    for (const id of this.byAor.get(aor) ?? []) {
      const info = this.endpoints.get(id)!;
      for (const unit of this.units(info)) {
        // A whole-endpoint round already waiting covers this contact.
        if (this.queue.has(`${id}\u0000${unit}\u0000`)) continue;
        this.queue.push(`${id}\u0000${unit}\u0000${aor}\u0000${uri}`, { endpoint: id, unit, contact: { aor, uri } });
      }
    }
  }

  /** The boot-time wave (FullyBooted): every endpoint with mailboxes, paced. */
  sendAll(): void {
    for (const id of this.endpoints.keys()) this.enqueueEndpoint(id);
  }

  /** Queues every unit of one endpoint to all its contacts. */
  enqueueEndpoint(id: string): void {
    const info = this.endpoints.get(id);
    if (!info) return;
    for (const unit of this.units(info)) this.queue.push(`${id}\u0000${unit}\u0000`, { endpoint: id, unit });
  }

  private units(info: EndpointMwi): string[] {
    return info.aggregate ? [ALL] : [...info.mailboxes];
  }

  stop(): void {
    this.stopped = true;
    this.queue.stop();
  }

  // ---- sending -----------------------------------------------------------------------------

  private run(job: Job, slot: () => () => void): void {
    const { pjsip, log } = this.deps;
    const endpoint = pjsip.endpoint(job.endpoint);
    if (!endpoint) {
      log.warning(`Unable to send unsolicited MWI to ${job.endpoint} because endpoint does not exist`);
      return;
    }
    let mailboxes: string[];
    if (job.unit === CLEAR) mailboxes = [];
    else {
      const info = this.endpoints.get(job.endpoint);
      if (!info) return;
      const wanted = job.unit === ALL ? info.mailboxes : info.mailboxes.filter((m) => m === job.unit);
      mailboxes = wanted.filter((m) => !this.isSuppressed(job.endpoint, m));
      if (mailboxes.length === 0) return;
    }
    const contacts = this.targets(endpoint, job);
    if (contacts.length === 0) {
      log.debug(`No contacts bound to the AORs of endpoint ${endpoint.id}. Cannot send unsolicited MWI until a contact registers.`);
      return;
    }
    const counts = accumulate(this.deps.mailboxes, mailboxes);
    log.debug(`Sending unsolicited MWI NOTIFY to endpoint ${endpoint.id}, new messages: ${counts.newMsgs}, old messages: ${counts.oldMsgs}`);
    for (const c of contacts) {
      const release = slot();
      this.sendOne(endpoint, counts, c).then(
        (ok) => {
          if (ok) this.counters.sent++;
          else this.counters.failed++;
          release();
        },
        (e: unknown) => {
          this.counters.failed++;
          log.warning(`Unable to send unsolicited MWI NOTIFY to endpoint ${endpoint.id} URI ${c.uri}: ${errorMessage(e)}`);
          release();
        },
      );
    }
  }

  private targets(endpoint: EndpointObject, job: Job): AorContact[] {
    const { pjsip } = this.deps;
    if (job.contact) {
      const { aor, uri } = job.contact;
      const c = pjsip.contacts(aor).find((x) => x.uri === uri);
      return c ? [c] : [];
    }
    const out: AorContact[] = [];
    for (const aor of endpointAors(pjsip, endpoint)) out.push(...pjsip.contacts(aor.id));
    return out;
  }

  /** Resolves, builds and sends one NOTIFY; true when answered 2xx. */
  private async sendOne(endpoint: EndpointObject, counts: MessageAccumulator, contact: AorContact): Promise<boolean> {
    const { pjsip, log } = this.deps;
    let target: RequestTarget = await pjsip.resolve(contact.uri, contactFlow(endpoint, contact));
    if (endpoint.outbound_proxy !== '') target = await pjsip.resolve(endpoint.outbound_proxy);
    if (endpoint.transport !== '' && target.connectionId === undefined) target = { ...target, transport: endpoint.transport };
    if (this.stopped) return false;
    const local = localAddressFor(pjsip.stack.listTransports(), target);
    if (!local) throw new Error(`no ${target.protocol ?? 'udp'} transport to reach ${target.host}:${target.port}`);
    const global = pjsip.global();
    const identity = unsolicitedIdentity(endpoint, global, local);
    const data: MessageAccumulator = { ...counts };
    if (identity.messageAccount) data.messageAccount = identity.messageAccount;
    const body = this.deps.render(data);
    if (body === undefined) {
      log.warning('Unable to generate SIP MWI NOTIFY body.');
      return false;
    }
    const req = buildUnsolicitedNotify({
      contactUri: contact.uri,
      identity,
      allowEvents: this.deps.allowEvents(),
      maxForwards: global.max_forwards,
      userAgent: global.user_agent,
      body,
      ...(endpoint.outbound_proxy !== '' ? { outboundProxy: endpoint.outbound_proxy } : {}),
    });
    return new Promise<boolean>((resolve) => {
      pjsip.sendRequest(
        req,
        target,
        {
          onResponse: (res) => {
            if (res.status < 200) return;
            if (res.status >= 300) log.debug(`Unsolicited MWI NOTIFY to ${contact.uri} (endpoint ${endpoint.id}) answered ${res.status} ${res.reason}`);
            resolve(res.status < 300);
          },
        },
        { outboundAuth: endpoint.outbound_auth },
      );
    });
  }
}
