/**
 * `type=resource_list` of pjsip.conf (RFC 4662 resource lists, Asterisk's res_pjsip_pubsub.c
 * apply_list_configuration) and the resource tree a list SUBSCRIBE builds from it
 * (build_resource_tree): depth first over `list_item`s, every name visited once (the list itself
 * included), so a list that names itself, two lists that name each other, or an item listed
 * twice cannot loop or duplicate. A leaf is kept when the handler's newSubscribe answers 2xx; a
 * nested list is kept when at least one of its children was.
 */
import type { ObjectTypeSpec, SorceryObject } from '../../core/registry/sorcery.js';

export const RESOURCE_LIST = 'resource_list';

export interface ResourceListObject extends SorceryObject {
  event: string;
  list_item: string[];
  full_state: boolean;
  notification_batch_interval: number;
  resource_display_name: boolean;
}

export const RESOURCE_LIST_TYPE: ObjectTypeSpec = {
  type: RESOURCE_LIST,
  file: 'pjsip.conf',
  options: {
    // Asterisk keeps the event in a char[32]: 31 characters at most.
    event: { kind: 'string', default: '', schema: { maxLength: 31 }, description: 'required: the event package the list serves (presence, dialog, message-summary)' },
    list_item: { kind: 'list', multiple: true, default: [], description: 'required: resources or other lists of the same event; repeatable, comma lists' },
    full_state: { kind: 'bool', default: false, description: 'every NOTIFY carries the whole list (else only what changed)' },
    notification_batch_interval: { kind: 'uint', default: 0, description: 'ms to gather changes into one NOTIFY (top list only)' },
    resource_display_name: { kind: 'bool', default: false, description: 'RLMI <name> of a resource is its display name (hint) when it has one' },
  },
  // Asterisk's resource_list_apply_handler: a list without event or items is not applied.
  check(obj) {
    const list = obj as ResourceListObject;
    if (list.event.trim() === '') return 'no event set';
    if (list.list_item.length === 0) return 'no list items';
    return undefined;
  },
};

/**
 * `type=inbound-publication` (the PUBLISH side of res_pjsip_pubsub): which endpoint may publish
 * to a resource, and `event_<package>=<configuration name>` per event package. Registered here,
 * where Asterisk registers it; the PUBLISH handling itself belongs to the publish handlers.
 */
export const INBOUND_PUBLICATION_TYPE: ObjectTypeSpec = {
  type: 'inbound-publication',
  file: 'pjsip.conf',
  options: {
    endpoint: { kind: 'string', default: '', description: 'if set, only this endpoint may publish (else 403)' },
  },
  optionPatterns: [{ pattern: /^event_/, spec: { kind: 'string', description: 'event package → handler configuration name' } }],
};

/** A bound on one tree, whatever the configuration: lists are walked at most this deep... */
export const MAX_TREE_DEPTH = 16;
/** ...and hold at most this many resources (leaves and lists) in all. */
export const MAX_TREE_RESOURCES = 1000;

export interface LeafSpec {
  kind: 'leaf';
  name: string;
  /** `resource_display_name=yes` on the list holding it and the handler knows one. */
  displayName?: string;
}

export interface ListSpec {
  kind: 'list';
  name: string;
  fullState: boolean;
  children: Array<LeafSpec | ListSpec>;
}

export interface TreeLookup {
  /** The resource_list of that name, if any (any event). */
  list(name: string): ResourceListObject | undefined;
  /** The handler's answer for a leaf (200 to keep it). */
  newSubscribe(resource: string): number;
  /** The handler's display name for a leaf, if it has one. */
  displayName?(resource: string): string | undefined;
  /** Why something was skipped that is normal (loops, duplicates, refused items). */
  note?(message: string): void;
  /** A configuration worth fixing (a list of another event, limits reached). */
  warn?(message: string): void;
}

/**
 * The list of that name serving that event, or undefined: a list of another event is not a list
 * for this SUBSCRIBE (Asterisk warns and treats the name as a plain resource).
 */
export function listFor(lookup: TreeLookup, name: string, event: string): ResourceListObject | undefined {
  const list = lookup.list(name);
  if (!list) return undefined;
  if (list.event !== event) {
    (lookup.warn ?? lookup.note)?.(`Found resource list ${name}, but its event type (${list.event}) does not match SUBSCRIBE's (${event})`);
    return undefined;
  }
  return list;
}

/**
 * The tree of a list SUBSCRIBE to `root` (which must be a list of `event`), or undefined when no
 * child survived (the SUBSCRIBE is answered 500, as Asterisk does).
 */
export function buildResourceTree(root: ResourceListObject, event: string, lookup: TreeLookup): ListSpec | undefined {
  const visited = new Set<string>([root.id]);
  const budget = { left: MAX_TREE_RESOURCES };
  const tree: ListSpec = { kind: 'list', name: root.id, fullState: root.full_state, children: [] };
  buildChildren(root, tree, event, lookup, visited, budget, 1);
  return tree.children.length > 0 ? tree : undefined;
}

function buildChildren(
  list: ResourceListObject,
  parent: ListSpec,
  event: string,
  lookup: TreeLookup,
  visited: Set<string>,
  budget: { left: number },
  depth: number,
): void {
  for (const item of list.list_item) {
    if (visited.has(item)) {
      lookup.note?.(`Resource list ${list.id}: already visited resource ${item}; skipped (duplicate or loop)`);
      continue;
    }
    if (budget.left <= 0) {
      (lookup.warn ?? lookup.note)?.(`Resource list ${list.id}: more than ${MAX_TREE_RESOURCES} resources in the tree; ${item} and the rest skipped`);
      return;
    }
    visited.add(item);
    budget.left--;
    const child = listFor(lookup, item, event);
    if (!child) {
      const status = lookup.newSubscribe(item);
      if (status < 200 || status >= 300) {
        lookup.note?.(`Resource list ${list.id}: subscription to ${item} refused with ${status}; skipped`);
        continue;
      }
      const leaf: LeafSpec = { kind: 'leaf', name: item };
      if (list.resource_display_name) {
        const dn = lookup.displayName?.(item);
        if (dn !== undefined && dn !== '') leaf.displayName = dn;
      }
      parent.children.push(leaf);
      continue;
    }
    if (depth >= MAX_TREE_DEPTH) {
      (lookup.warn ?? lookup.note)?.(`Resource list ${list.id}: lists nested deeper than ${MAX_TREE_DEPTH}; ${item} skipped`);
      continue;
    }
    const node: ListSpec = { kind: 'list', name: item, fullState: child.full_state, children: [] };
    buildChildren(child, node, event, lookup, visited, budget, depth + 1);
    if (node.children.length > 0) parent.children.push(node);
    else lookup.note?.(`Resource list ${item} had no successful children; pruned`);
  }
}

/** Every leaf name of a tree, depth first. */
export function leafNames(tree: ListSpec): string[] {
  const out: string[] = [];
  const walk = (n: ListSpec) => {
    for (const c of n.children) {
      if (c.kind === 'leaf') out.push(c.name);
      else walk(c);
    }
  };
  walk(tree);
  return out;
}
