/**
 * A subscription to a resource list (RFC 4662, Asterisk's subscription tree): one dialog, one
 * NOTIFY stream, and a tree of lists whose leaves are virtual subscriptions the handler sees like
 * any other (LeafSubscription: its own resource, presentity URI, data, persistent data and body
 * version). A leaf's notify() marks it changed and schedules a list NOTIFY (at once, or at the end
 * of the top list's notification_batch_interval); that NOTIFY carries only the leaves whose body
 * really changed (fullState="false"), or nothing is sent. Initial, refresh, restore and final
 * NOTIFYs carry full state; a list with full_state=yes always does, but only when something in
 * it changed.
 *
 * Differences from Asterisk, on purpose:
 *  - Asterisk sends a partial NOTIFY on every handler callback, changed or not; we compare bodies.
 *  - a full_state=yes list is sent whole when one of its resources changed, not on every callback.
 *  - a leaf whose resource disappears (hint removed) is reported `terminated` with
 *    reason="noresource" in a partial NOTIFY and dropped from the list; Asterisk ends the whole
 *    list subscription. Only when no resource is left does the subscription end.
 *  - refresh re-reads the list from the configuration (as Asterisk does) and keeps the state,
 *    watchers and versions of resources that stay.
 */
import { InlineHandlerData } from '../../core/pubsub/handler-data.js';
import { errorMessage } from '../../core/errors.js';
import type { BodyKind, PubsubEndpoint, Subscription, TerminationReason } from '../../core/pubsub/types.js';
import { formatUri, parseUri, type SipUri } from '../../core/sip/uri.js';
import type { LeafSpec, ListSpec } from './resource-list.js';
import { lastSentBody, renderResource, stateKey } from './resource-body.js';
import { buildListBody, IdSource, type BodyPart, type RlmiResource } from './rlmi.js';
import {
  InboundSubscription,
  type PersistedContent,
  type PersistedListState,
  type RenderOutcome,
  type SubscriptionHost,
  type SubscriptionInit,
} from './subscription.js';

/** A tree as read from the configuration now (for refresh), or undefined when nothing is left. */
export type TreeSource = () => { tree: ListSpec; batchInterval: number } | undefined;

export interface ListInit extends SubscriptionInit {
  tree: ListSpec;
  /** The top list's notification_batch_interval (ms); 0 sends at once. */
  batchInterval: number;
  rebuild: TreeSource;
  /** State restored from the store (versions and persistent data per resource). */
  saved?: PersistedListState;
}

// RFC 3261 25.1 user = 1*( unreserved / escaped / user-unreserved ).
const USER_SAFE = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

/** A resource name as the user part of a SIP URI (list items are free text in pjsip.conf). */
export function escapeUser(name: string): string {
  let out = '';
  for (const ch of name) {
    if (USER_SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** One resource of a list, as its handler sees it (Asterisk's virtual ast_sip_subscription). */
export class LeafSubscription implements Subscription<BodyKind> {
  readonly id: string;
  readonly eventName: string;
  readonly bodyKind: BodyKind;
  readonly endpoint: PubsubEndpoint;
  readonly mediaType: string;
  readonly remoteUri: string;
  readonly userAgent: string;
  readonly data = new InlineHandlerData();
  readonly persistent: Record<string, unknown>;
  readonly bodyState: { version: number };
  /** RLMI `<name>`: the display name when the list asks for it and there is one. */
  displayName: string | undefined;
  /** The state key of the body last sent for this resource (resource-body.ts stateKey). */
  lastState: string | undefined;
  /** The handler reported a change not yet carried by a NOTIFY. */
  changed = true;
  state: 'active' | 'terminating' | 'ended' = 'active';
  reason: TerminationReason | undefined;

  constructor(
    private readonly owner: ListSubscription,
    readonly resource: string,
    readonly localUri: string,
    saved: { bodyVersion: number; persistent: Record<string, unknown> } | undefined,
  ) {
    this.id = `${owner.id}/${resource}`;
    this.eventName = owner.eventName;
    this.bodyKind = owner.bodyKind;
    this.endpoint = owner.endpoint;
    this.mediaType = owner.mediaType;
    this.remoteUri = owner.remoteUri;
    this.userAgent = owner.userAgent;
    this.bodyState = { version: saved?.bodyVersion ?? 0 };
    this.persistent = saved?.persistent ?? {};
  }

  /** The body last sent for this resource. */
  lastBody(): string | undefined {
    return lastSentBody(this.lastState, this.bodyState.version);
  }

  /** Handler: the resource changed. */
  notify(): void {
    if (this.state !== 'active') return;
    this.changed = true;
    this.owner.leafChanged();
  }

  /** Handler: the resource is gone (or the handler is going away). */
  terminate(reason: TerminationReason): void {
    this.owner.leafTerminated(this, reason);
  }
}

interface ListNode {
  name: string;
  uri: string;
  fullState: boolean;
  version: { version: number };
  children: Array<ListNode | LeafSubscription>;
}

/** One leaf's contribution to the NOTIFY being built. */
interface LeafRender {
  text: string | undefined;
  /** State key of a newly rendered body (remembered once it is sent). */
  key?: string;
  /** Its state differs from the last one sent (or it is new, or it just ended). */
  changed: boolean;
  versionBefore: number | undefined;
  included: boolean;
}

export class ListSubscription extends InboundSubscription {
  readonly isList = true;
  private readonly leaves = new Map<string, LeafSubscription>();
  private readonly listVersions = new Map<string, { version: number }>();
  private tree: ListNode;
  private batchInterval: number;
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly uriTemplate: SipUri;
  private readonly rebuild: TreeSource;
  private fresh: LeafSubscription[];
  /** Set by the first full-state NOTIFY: a change reported while the leaves are being watched waits for it. */
  private started = false;

  constructor(init: ListInit, host: SubscriptionHost) {
    super(init, host);
    // The notifier formats localUri from the Request-URI, so it parses; the fallback only keeps a
    // damaged persisted record from throwing half-way through construction.
    this.uriTemplate = parseUri(init.localUri) ?? { scheme: 'sip', user: null, password: null, host: 'invalid', port: null, params: new Map(), headers: [] };
    this.batchInterval = init.batchInterval;
    this.rebuild = init.rebuild;
    for (const [name, v] of Object.entries(init.saved?.lists ?? {})) this.listVersions.set(name, { version: v });
    const applied = this.apply(init.tree, init.saved);
    this.tree = applied.node;
    this.fresh = applied.fresh;
  }

  /** The leaf resources, in tree order (for the CLI). */
  resources(): string[] {
    return [...this.leaves.keys()];
  }

  establish(): void {
    const fresh = this.fresh;
    this.fresh = [];
    this.watch(fresh);
    if (this.leaves.size === 0) throw new Error(`no resource of list ${this.resource} can be watched`);
  }

  persistedContent(): PersistedContent {
    const resources: PersistedListState['resources'] = {};
    for (const [name, leaf] of this.leaves) resources[name] = { bodyVersion: leaf.bodyState.version, persistent: leaf.persistent };
    const lists: Record<string, number> = {};
    for (const [name, v] of this.listVersions) lists[name] = v.version;
    return { persistent: {}, list: { resources, lists } };
  }

  /** A leaf changed: a partial NOTIFY now, or at the end of the batch window. */
  leafChanged(): void {
    // Before the first full-state NOTIFY, that NOTIFY will carry the change.
    if (!this.active || !this.started) return;
    if (this.batchInterval <= 0) {
      this.queueNotify(false);
      return;
    }
    if (this.batchTimer) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      this.queueNotify(false);
    }, this.batchInterval);
    this.batchTimer.unref();
  }

  /** A leaf's resource is gone: report it terminated; the last one ends the subscription. */
  leafTerminated(leaf: LeafSubscription, reason: TerminationReason): void {
    if (leaf.state !== 'active' || !this.active) return;
    leaf.state = 'terminating';
    leaf.reason = reason;
    for (const l of this.leaves.values()) {
      if (l.state === 'active') {
        this.leafChanged();
        return;
      }
    }
    this.terminate(reason);
  }

  protected override beforeFullState(): void {
    this.started = true;
    // Full state carries every change: a pending batch has nothing left to say.
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
  }

  protected override refreshResources(): boolean {
    const built = this.rebuild();
    if (!built) return false;
    this.batchInterval = built.batchInterval;
    const { node, fresh } = this.apply(built.tree);
    this.tree = node;
    this.watch(fresh);
    return this.leaves.size > 0;
  }

  protected renderNotify(full: boolean, final: boolean): RenderOutcome {
    const ids = new IdSource();
    const renders = new Map<LeafSubscription, LeafRender>();
    const part = this.renderList(this.tree, full, false, final, ids, renders);
    for (const [leaf, r] of renders) {
      if (r.included) continue;
      // Rendered but not sent: give the version back; an unchanged leaf has nothing pending.
      if (r.versionBefore !== undefined) leaf.bodyState.version = r.versionBefore;
      if (!r.changed) leaf.changed = false;
    }
    if (!part) return final ? 'none' : 'unchanged';
    return {
      contentType: part.contentType,
      text: part.body,
      commit: () => {
        for (const [leaf, r] of renders) {
          if (!r.included) continue;
          leaf.changed = false;
          if (r.key !== undefined) leaf.lastState = r.key;
          if (leaf.state === 'terminating' && !final) this.removeLeaf(leaf, true);
        }
      },
    };
  }

  protected shutdownResources(): void {
    this.beforeFullState();
    for (const leaf of [...this.leaves.values()]) this.removeLeaf(leaf, true);
  }

  // ---- the tree ------------------------------------------------------------------------

  private uriFor(name: string): string {
    return formatUri({ ...this.uriTemplate, user: escapeUser(name) });
  }

  private versionOf(name: string): { version: number } {
    let v = this.listVersions.get(name);
    if (!v) {
      v = { version: 0 };
      this.listVersions.set(name, v);
    }
    return v;
  }

  /**
   * Makes the live tree match `spec`: leaves that stay keep their state and watchers, new ones
   * are created (to be watched by the caller), leaves no longer listed are shut down.
   */
  private apply(spec: ListSpec, saved?: PersistedListState): { node: ListNode; fresh: LeafSubscription[] } {
    const fresh: LeafSubscription[] = [];
    const kept = new Set<LeafSubscription>();
    const lists = new Set<string>();
    const build = (s: ListSpec, top: boolean): ListNode => {
      if (!top) lists.add(s.name);
      const node: ListNode = {
        name: s.name,
        uri: this.uriFor(s.name),
        fullState: s.fullState,
        version: top ? this.bodyState : this.versionOf(s.name),
        children: [],
      };
      for (const c of s.children) node.children.push(c.kind === 'list' ? build(c, false) : leafFor(c));
      return node;
    };
    const leafFor = (c: LeafSpec): LeafSubscription => {
      let leaf = this.leaves.get(c.name);
      if (!leaf || leaf.state !== 'active') {
        if (leaf) this.removeLeaf(leaf, true);
        leaf = new LeafSubscription(this, c.name, this.uriFor(c.name), saved?.resources[c.name]);
        this.leaves.set(c.name, leaf);
        fresh.push(leaf);
      }
      leaf.displayName = c.displayName;
      kept.add(leaf);
      return leaf;
    };
    const node = build(spec, true);
    for (const leaf of [...this.leaves.values()]) if (!kept.has(leaf)) this.removeLeaf(leaf, true, false);
    for (const name of [...this.listVersions.keys()]) if (!lists.has(name)) this.listVersions.delete(name);
    // Map order is insertion order; keep it the tree's for `resources()`.
    const ordered = [...this.leaves.entries()];
    this.leaves.clear();
    const inTree: string[] = [];
    const walk = (n: ListNode) => {
      for (const c of n.children) {
        if (c instanceof LeafSubscription) inTree.push(c.resource);
        else walk(c);
      }
    };
    walk(node);
    const byName = new Map(ordered);
    for (const name of inTree) this.leaves.set(name, byName.get(name)!);
    return { node, fresh };
  }

  /** Starts the handler's watch of new leaves; a leaf it cannot watch is dropped. */
  private watch(leaves: LeafSubscription[]): void {
    for (const leaf of leaves) {
      try {
        this.handler.subscriptionEstablished(leaf as never);
      } catch (e) {
        this.host.log.warning(`List ${this.resource}: ${this.eventName} handler could not watch '${leaf.resource}': ${errorMessage(e)}`);
        this.removeLeaf(leaf, false);
      }
    }
  }

  /** Takes a leaf out of the tree (and lists left empty with it), ending its handler watch. */
  private removeLeaf(leaf: LeafSubscription, shutdown: boolean, prune = true): void {
    if (leaf.state === 'ended') return;
    leaf.state = 'ended';
    if (this.leaves.get(leaf.resource) === leaf) this.leaves.delete(leaf.resource);
    if (prune) pruneLeaf(this.tree, leaf);
    if (!shutdown) return;
    try {
      this.handler.subscriptionShutdown?.(leaf as never);
    } catch (e) {
      this.host.log.error(`subscription shutdown of ${leaf.id} failed: ${errorMessage(e)}`);
    }
  }

  // ---- rendering ---------------------------------------------------------------------------

  /**
   * One list's multipart body, or null when it has nothing to say. `forced`: a full-state NOTIFY
   * (initial, refresh, restore, final); `inherited`: a full_state list above this one.
   */
  private renderList(
    node: ListNode,
    forced: boolean,
    inherited: boolean,
    final: boolean,
    ids: IdSource,
    renders: Map<LeafSubscription, LeafRender>,
  ): BodyPart | null {
    const full = forced || inherited || node.fullState;
    const entries: Array<{ resource: RlmiResource; leaf?: LeafRender }> = [];
    let anyChanged = false;
    for (const child of node.children) {
      if (child instanceof LeafSubscription) {
        if (child.state === 'ended') continue;
        // Partial state skips unchanged leaves without rendering them: a change to one resource
        // of a long list costs one body, not one per resource.
        if (!full && !final && child.state === 'active' && !child.changed) continue;
        const r = this.renderLeaf(child, final, renders);
        anyChanged ||= r.changed;
        if (!full && !r.changed) continue;
        const ended = final || child.state === 'terminating';
        const resource: RlmiResource = { uri: child.localUri, name: child.displayName ?? child.resource, state: ended ? 'terminated' : 'active' };
        if (child.state === 'terminating' && !final && child.reason !== undefined) resource.reason = child.reason;
        if (r.text !== undefined) resource.part = { contentType: child.mediaType, body: r.text };
        entries.push({ resource, leaf: r });
      } else {
        const part = this.renderList(child, forced, full, final, ids, renders);
        if (!part) continue;
        anyChanged = true;
        entries.push({ resource: { uri: child.uri, name: child.name, state: final ? 'terminated' : 'active', part } });
      }
    }
    if (entries.length === 0) return null;
    // A full_state list in a partial NOTIFY is sent whole, but only when something in it changed.
    if (!forced && !anyChanged) return null;
    for (const e of entries) if (e.leaf) e.leaf.included = true;
    const version = node.version.version;
    node.version.version = (version + 1) >>> 0;
    return buildListBody({ uri: node.uri, name: node.name, version, fullState: full, resources: entries.map((e) => e.resource) }, this.cidHost(), ids);
  }

  private renderLeaf(leaf: LeafSubscription, final: boolean, renders: Map<LeafSubscription, LeafRender>): LeafRender {
    const seen = renders.get(leaf);
    if (seen) return seen;
    let r: LeafRender;
    if (leaf.state === 'terminating') {
      // The resource is gone: its last state goes with the news.
      r = { text: leaf.lastBody(), changed: true, versionBefore: undefined, included: false };
    } else {
      const body = renderResource(this.host, this.handler, leaf, final, () => leaf.lastBody());
      if (body === null) r = { text: undefined, changed: false, versionBefore: undefined, included: false };
      else {
        const key = stateKey(body.text);
        const changed = key !== leaf.lastState;
        if (final && !changed) {
          // The final NOTIFY re-sends an unchanged resource's last body, as Asterisk's does.
          leaf.bodyState.version = body.versionBefore;
          r = { text: leaf.lastBody(), changed, versionBefore: undefined, included: false };
        } else r = { text: body.text, key, changed, versionBefore: body.versionBefore, included: false };
      }
    }
    renders.set(leaf, r);
    return r;
  }

  /** The right-hand side of Content-IDs: the Request-URI host, as Asterisk's. */
  private cidHost(): string {
    return this.uriTemplate.host;
  }
}

function pruneLeaf(node: ListNode, leaf: LeafSubscription): boolean {
  const i = node.children.indexOf(leaf);
  if (i >= 0) {
    node.children.splice(i, 1);
    return true;
  }
  for (let j = 0; j < node.children.length; j++) {
    const c = node.children[j]!;
    if (c instanceof LeafSubscription) continue;
    if (pruneLeaf(c, leaf)) {
      if (c.children.length === 0) node.children.splice(j, 1);
      return true;
    }
  }
  return false;
}
