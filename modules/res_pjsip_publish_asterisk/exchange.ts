/**
 * Device and mailbox state exchange between nodes (Asterisk's res_pjsip_publish_asterisk):
 *
 * Outbound, two event publishers (`asterisk-devicestate`, `asterisk-mwi`) feed every
 * outbound-publish client of their event with our own states only (the local EID: states learnt
 * from peers never go out again, which is what prevents loops), filtered by the client's
 * `@device_state_filter` / `@mailbox_state_filter`. A client that starts gets the whole local
 * cache at once (after a restart too), and at load and reload a `refresh` request goes out
 * through every `devicestate_publish` / `mailboxstate_publish` of every asterisk-publication so
 * peers send theirs back.
 *
 * Inbound, two publish handlers take the peers' JSON bodies and record the states under the
 * peer's EID, so the core aggregates them with ours. Better than Asterisk:
 * - a body carrying our own EID is refused 403 with an error (cloned machines would otherwise
 *   break loop prevention and aggregation silently);
 * - a publication carries one EID: a body with another one is refused 403, and an EID another
 *   endpoint is publishing is refused 403;
 * - when the last publication carrying an EID expires or is removed, the states learnt from it
 *   are withdrawn (they stop counting in aggregation) instead of staying cached for ever;
 * - bad bodies are 400 with a log line and change nothing (Asterisk: 500, or 200 then delete).
 */
import { errorMessage } from '../../core/errors.js';
import type { CoreView } from '../../core/index.js';
import type { Logger } from '../../core/log.js';
import type { EventPublisher, InboundPublication, OutboundPublishClient, PublicationEnd, PublishedState, PublishHandler, PubsubEndpoint } from '../../core/pubsub/types.js';
import type { DeviceEidUpdate } from '../../core/state/device-state.js';
import type { MailboxChange } from '../../core/state/mailbox-state.js';
import type { OutboundPublishService } from '../res_pjsip_outbound_publish/service.js';
import { ASTERISK_PUBLICATION, compileFilter, type AsteriskPublicationObject } from './asterisk-publication.js';
import { deviceStateBody, JSON_TYPE, mailboxStateBody, MAX_BODY_BYTES, normalizeEid, parseAsteriskBody, refreshBody } from './bodies.js';

export const DEVICESTATE_EVENT = 'asterisk-devicestate';
export const MWI_EVENT = 'asterisk-mwi';

/** Coalescing key of the refresh request: device names and mailbox ids never start with NUL. */
const REFRESH_KEY = '\u0000refresh';
const FILTER = 'publish_asterisk.filter';
const PUB_EID = 'publish_asterisk.eid';

type Kind = 'device' | 'mailbox';

interface KindSpec {
  event: string;
  extendedFilter: string;
  label: string;
}

const KINDS: Record<Kind, KindSpec> = {
  device: { event: DEVICESTATE_EVENT, extendedFilter: 'device_state_filter', label: 'device' },
  mailbox: { event: MWI_EVENT, extendedFilter: 'mailbox_state_filter', label: 'mailbox' },
};

/** Which endpoint publishes an EID, and through which publications. */
interface EidHolder {
  endpoint: string;
  publications: Set<string>;
}

export class StateExchange {
  readonly localEid: string;
  private readonly clients: Record<Kind, Set<OutboundPublishClient>> = { device: new Set(), mailbox: new Set() };
  private readonly holders: Record<Kind, Map<string, EidHolder>> = { device: new Map(), mailbox: new Map() };
  private readonly disposers: Array<() => void> = [];

  readonly devicePublisher: EventPublisher;
  readonly mwiPublisher: EventPublisher;
  readonly deviceHandler: PublishHandler;
  readonly mwiHandler: PublishHandler;

  constructor(
    private readonly core: CoreView,
    private readonly out: OutboundPublishService,
    private readonly log: Logger,
  ) {
    this.localEid = normalizeEid(core.eid) ?? core.eid.toLowerCase();
    this.devicePublisher = this.publisher('device');
    this.mwiPublisher = this.publisher('mailbox');
    this.deviceHandler = this.handler('device');
    this.mwiHandler = this.handler('mailbox');
    this.disposers.push(core.devices.onEidUpdate((ev) => this.onDeviceUpdate(ev)));
    this.disposers.push(core.mailboxes.onChange((ev) => this.onMailboxChange(ev)));
  }

  /** Stops listening and withdraws every state learnt from peers (we no longer hear about them). */
  stop(): void {
    for (const d of this.disposers.splice(0)) d();
    for (const kind of ['device', 'mailbox'] as const) {
      for (const eid of [...this.holders[kind].keys()]) this.withdraw(kind, eid, 'module unloaded');
      this.clients[kind].clear();
    }
  }

  /** `{"type":"refresh"}` through every devicestate_publish / mailboxstate_publish client. */
  sendRefreshRequests(): number {
    let sent = 0;
    for (const cfg of this.core.sorcery.retrieveAll<AsteriskPublicationObject>(ASTERISK_PUBLICATION)) {
      for (const [kind, name] of [['device', cfg.devicestate_publish], ['mailbox', cfg.mailboxstate_publish]] as const) {
        if (name === '') continue;
        const client = this.out.client(name);
        if (!client?.running || client.event !== KINDS[kind].event || !this.clients[kind].has(client)) {
          this.log.debug(`asterisk-publication '${cfg.id}': ${name} is not a started ${KINDS[kind].event} outbound-publish; no refresh request`);
          continue;
        }
        client.publish(undefined, { contentType: JSON_TYPE, text: refreshBody(this.localEid) }, REFRESH_KEY);
        sent++;
      }
    }
    return sent;
  }

  // ---- outbound --------------------------------------------------------------------------

  private publisher(kind: Kind): EventPublisher {
    const spec = KINDS[kind];
    return {
      eventName: spec.event,
      startPublishing: (client) => {
        let filter: RegExp | undefined;
        try {
          filter = compileFilter(client.extended[spec.extendedFilter] ?? '');
        } catch (e) {
          return `@${spec.extendedFilter}: ${errorMessage(e)}`;
        }
        client.data.set(FILTER, filter);
        this.clients[kind].add(client);
        return undefined;
      },
      stopPublishing: (client) => {
        this.clients[kind].delete(client);
      },
      fullState: (client) => this.localState(kind, client),
    };
  }

  private passes(client: OutboundPublishClient, name: string): boolean {
    const f = client.data.get(FILTER);
    return !(f instanceof RegExp) || f.test(name);
  }

  /** Our own cached states (local EID), one body per device or mailbox, filtered for the client. */
  private localState(kind: Kind, client: OutboundPublishClient): PublishedState[] {
    const out: PublishedState[] = [];
    if (kind === 'device') {
      for (const s of this.core.devices.list()) {
        if (s.eid !== this.core.eid || !this.passes(client, s.device)) continue;
        out.push({ key: s.device, body: { contentType: JSON_TYPE, text: deviceStateBody(s.device, s.state, true, this.localEid) } });
      }
    } else {
      for (const m of this.core.mailboxes.list()) {
        if (m.eid !== this.core.eid || !this.passes(client, m.mailbox)) continue;
        out.push({ key: m.mailbox, body: { contentType: JSON_TYPE, text: mailboxStateBody(m.mailbox, m, this.localEid) } });
      }
    }
    return out;
  }

  private dump(kind: Kind, client: OutboundPublishClient): number {
    const states = this.localState(kind, client);
    for (const s of states) client.publish(undefined, s.body, s.key);
    return states.length;
  }

  private onDeviceUpdate(ev: DeviceEidUpdate): void {
    // Loop prevention: only what this node itself knows goes out.
    if (ev.eid !== this.core.eid || this.clients.device.size === 0) return;
    const body = { contentType: JSON_TYPE, text: deviceStateBody(ev.device, ev.state, ev.cachable, this.localEid) };
    for (const c of this.clients.device) if (this.passes(c, ev.device)) c.publish(undefined, body, ev.device);
  }

  private onMailboxChange(ev: MailboxChange): void {
    if (ev.eid !== this.core.eid || this.clients.mailbox.size === 0) return;
    // The event carries the counts shown (latest of any EID): ours are what we publish; a
    // deleted local mailbox goes out as 0/0 so the peer's lamp goes off.
    const own = this.core.mailboxes.getByEid(ev.mailbox).get(this.core.eid) ?? { new: 0, old: 0 };
    const body = { contentType: JSON_TYPE, text: mailboxStateBody(ev.mailbox, own, this.localEid) };
    for (const c of this.clients.mailbox) if (this.passes(c, ev.mailbox)) c.publish(undefined, body, ev.mailbox);
  }

  // ---- inbound ---------------------------------------------------------------------------

  private handler(kind: Kind): PublishHandler {
    const spec = KINDS[kind];
    return {
      eventName: spec.event,
      accept: [JSON_TYPE],
      maxBodySize: MAX_BODY_BYTES,
      newPublication: (endpoint: PubsubEndpoint, resource: string, configName: string) => {
        if (this.core.sorcery.retrieve(ASTERISK_PUBLICATION, configName)) return 200;
        this.log.warning(`${spec.event} PUBLISH from endpoint '${endpoint.id}' to '${resource}': no asterisk-publication '${configName}'`);
        return 404;
      },
      publicationState: (pub, body) => this.onBody(kind, pub, body.text),
      publicationEnded: (pub, why) => this.onEnded(kind, pub, why),
    };
  }

  private onBody(kind: Kind, pub: InboundPublication, text: string): number {
    const spec = KINDS[kind];
    const from = `${spec.event} PUBLISH from endpoint '${pub.endpoint.id}' to '${pub.resource}'`;
    const cfg = this.core.sorcery.retrieve<AsteriskPublicationObject>(ASTERISK_PUBLICATION, pub.configName);
    if (!cfg) {
      this.log.warning(`${from}: asterisk-publication '${pub.configName}' no longer exists`);
      return 404;
    }
    const parsed = parseAsteriskBody(text);
    if (!parsed.ok) {
      this.log.warning(`${from}: refused, ${parsed.error}`);
      return 400;
    }
    const ev = parsed.event;
    if (ev.eid === this.localEid) {
      this.log.error(`${from}: carries our own EID ${ev.eid}; refused (two nodes share one entityid? set [options] entityid in asterisk.conf)`);
      return 403;
    }
    const bound = pub.data.get(PUB_EID);
    if (typeof bound === 'string' && bound !== ev.eid) {
      this.log.warning(`${from}: EID ${ev.eid} on a publication that carries EID ${bound}; refused`);
      return 403;
    }
    const holder = this.holders[kind].get(ev.eid);
    if (holder && holder.endpoint !== pub.endpoint.id && holder.publications.size > 0) {
      this.log.warning(`${from}: EID ${ev.eid} is published by endpoint '${holder.endpoint}'; refused`);
      return 403;
    }

    let status = 200;
    if (ev.type === 'refresh') {
      const name = kind === 'device' ? cfg.devicestate_publish : cfg.mailboxstate_publish;
      const client = name === '' ? undefined : this.out.client(name);
      if (client && this.clients[kind].has(client)) {
        const n = this.dump(kind, client);
        this.log.verbose(`${from}: refresh requested by EID ${ev.eid}; ${n} ${spec.label} states sent through '${name}'`);
      } else {
        this.log.debug(`${from}: refresh requested by EID ${ev.eid}, but no started outbound-publish for it`);
      }
    } else if (kind === 'device' && ev.type === 'devicestate') {
      if (!cfg.device_state) {
        this.log.debug(`${from}: device_state=no; ${ev.device} ignored`);
      } else if (cfg.device_state_filter && !cfg.device_state_filter.test(ev.device)) {
        this.log.debug(`${from}: ${ev.device} filtered out by device_state_filter`);
      } else {
        if (!ev.stateKnown) this.log.notice(`${from}: unknown state for ${ev.device}; taken as UNKNOWN`);
        this.core.devices.setState(ev.device, ev.state, { eid: ev.eid, cachable: ev.cachable, source: `peer ${pub.endpoint.id}` });
      }
    } else if (kind === 'mailbox' && ev.type === 'mailboxstate') {
      if (!cfg.mailbox_state) {
        this.log.debug(`${from}: mailbox_state=no; ${ev.uniqueid} ignored`);
      } else if (cfg.mailbox_state_filter && !cfg.mailbox_state_filter.test(ev.uniqueid)) {
        this.log.debug(`${from}: ${ev.uniqueid} filtered out by mailbox_state_filter`);
      } else {
        try {
          void this.core.mailboxes.update(ev.uniqueid, { new: ev.new, old: ev.old }, { eid: ev.eid });
        } catch (e) {
          this.log.warning(`${from}: refused, ${errorMessage(e)}`);
          status = 400;
        }
      }
    } else {
      this.log.warning(`${from}: refused, type '${ev.type}' does not belong to this event`);
      status = 400;
    }
    if (status === 200) this.bind(kind, pub, ev.eid);
    return status;
  }

  private bind(kind: Kind, pub: InboundPublication, eid: string): void {
    if (pub.data.get(PUB_EID) === eid) return;
    pub.data.set(PUB_EID, eid);
    let holder = this.holders[kind].get(eid);
    if (!holder) {
      holder = { endpoint: pub.endpoint.id, publications: new Set() };
      this.holders[kind].set(eid, holder);
    }
    holder.endpoint = pub.endpoint.id;
    holder.publications.add(pub.id);
  }

  private onEnded(kind: Kind, pub: InboundPublication, why: PublicationEnd): void {
    const eid = pub.data.get(PUB_EID);
    if (typeof eid !== 'string') return;
    const holder = this.holders[kind].get(eid);
    if (!holder) return;
    holder.publications.delete(pub.id);
    // Another live publication (a peer that restarted before its old one expired) still speaks for it.
    if (holder.publications.size > 0) return;
    this.withdraw(kind, eid, `publication from endpoint '${pub.endpoint.id}' ${why}`);
  }

  private withdraw(kind: Kind, eid: string, why: string): void {
    this.holders[kind].delete(eid);
    if (kind === 'device') this.core.devices.removeEid(eid);
    else this.core.mailboxes.removeEid(eid);
    this.log.verbose(`Withdrew the ${KINDS[kind].label} states learnt from EID ${eid}: ${why}`);
  }
}
