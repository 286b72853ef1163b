import assert from 'node:assert/strict';
import { buildResourceTree, leafNames, MAX_TREE_DEPTH, MAX_TREE_RESOURCES, type ListSpec, type ResourceListObject, type TreeLookup } from '../../modules/res_pjsip_pubsub/resource-list.js';
import { escapeUser } from '../../modules/res_pjsip_pubsub/list-subscription.js';

function list(id: string, items: string[], o: Partial<ResourceListObject> = {}): ResourceListObject {
  return {
    id,
    type: 'resource_list',
    source: { file: 'pjsip.conf', line: 1 },
    extended: {},
    patterned: {},
    event: 'presence',
    list_item: items,
    full_state: false,
    notification_batch_interval: 0,
    resource_display_name: false,
    ...o,
  };
}

function lookup(lists: ResourceListObject[], refuse: string[] = [], names: Record<string, string> = {}): TreeLookup & { notes: string[]; asked: string[] } {
  const byId = new Map(lists.map((l) => [l.id, l]));
  const notes: string[] = [];
  const asked: string[] = [];
  return {
    notes,
    asked,
    list: (n) => byId.get(n),
    newSubscribe: (r) => {
      asked.push(r);
      return refuse.includes(r) ? 404 : 200;
    },
    displayName: (r) => names[r],
    note: (m) => notes.push(m),
  };
}

const shape = (t: ListSpec): unknown => t.children.map((c) => (c.kind === 'leaf' ? c.name : { [c.name]: shape(c) }));

describe('res_pjsip_pubsub: resource tree (build_resource_tree)', () => {
  it('depth first, in list_item order; nested lists keep their own full_state', () => {
    const lists = [list('top', ['a', 'sub', 'b']), list('sub', ['c', 'd'], { full_state: true })];
    const t = buildResourceTree(lists[0]!, 'presence', lookup(lists))!;
    assert.deepEqual(shape(t), ['a', { sub: ['c', 'd'] }, 'b']);
    assert.equal((t.children[1] as ListSpec).fullState, true);
    assert.equal(t.fullState, false);
    assert.deepEqual(leafNames(t), ['a', 'c', 'd', 'b']);
  });

  it('loops and duplicates: every name once, the root included; the handler is never asked about a list', () => {
    const lists = [list('a', ['a', 'x', 'b', 'x']), list('b', ['y', 'a', 'b', 'x', 'z'])];
    const l = lookup(lists);
    const t = buildResourceTree(lists[0]!, 'presence', l)!;
    assert.deepEqual(shape(t), ['x', { b: ['y', 'z'] }]);
    assert.deepEqual(l.asked, ['x', 'y', 'z']);
    assert.ok(l.notes.some((n) => /already visited resource a/.test(n)));
  });

  it('refused leaves are dropped, a list with no survivor is pruned, no survivor at all gives no tree', () => {
    const lists = [list('top', ['bad1', 'sub', 'ok']), list('sub', ['bad2', 'bad3'])];
    const t = buildResourceTree(lists[0]!, 'presence', lookup(lists, ['bad1', 'bad2', 'bad3']))!;
    assert.deepEqual(shape(t), ['ok']);
    assert.equal(buildResourceTree(lists[1]!, 'presence', lookup(lists, ['bad2', 'bad3'])), undefined);
  });

  it('a nested list of another event is a plain resource for this one (as Asterisk)', () => {
    const lists = [list('top', ['d']), list('d', ['x'], { event: 'dialog' })];
    const l = lookup(lists);
    const t = buildResourceTree(lists[0]!, 'presence', l)!;
    assert.deepEqual(shape(t), ['d']);
    assert.deepEqual(l.asked, ['d']);
    assert.ok(l.notes.some((n) => /does not match/.test(n)));
  });

  it('display names only where the holding list asks for them', () => {
    const lists = [list('top', ['a', 'sub'], { resource_display_name: true }), list('sub', ['b'])];
    const t = buildResourceTree(lists[0]!, 'presence', lookup(lists, [], { a: 'Alice', b: 'Bob' }))!;
    assert.deepEqual(t.children[0], { kind: 'leaf', name: 'a', displayName: 'Alice' });
    assert.deepEqual((t.children[1] as ListSpec).children[0], { kind: 'leaf', name: 'b' });
  });

  it('bounded whatever the configuration: depth and resource count', () => {
    const chain: ResourceListObject[] = [];
    for (let i = 0; i < MAX_TREE_DEPTH + 10; i++) chain.push(list(`l${i}`, [`leaf${i}`, `l${i + 1}`]));
    const l = lookup(chain);
    const t = buildResourceTree(chain[0]!, 'presence', l)!;
    assert.equal(leafNames(t).length, MAX_TREE_DEPTH);
    assert.ok(l.notes.some((n) => /nested deeper/.test(n)));

    const many = Array.from({ length: MAX_TREE_RESOURCES + 50 }, (_, i) => `r${i}`);
    const l2 = lookup([list('big', many)]);
    const t2 = buildResourceTree(list('big', many), 'presence', l2)!;
    assert.equal(leafNames(t2).length, MAX_TREE_RESOURCES);
    assert.equal(l2.asked.length, MAX_TREE_RESOURCES);
  });

  it('list items become URI user parts, escaped where RFC 3261 requires', () => {
    assert.equal(escapeUser('1000'), '1000');
    assert.equal(escapeUser('a b@c'), 'a%20b%40c');
    assert.equal(escapeUser('müller'), 'm%C3%BCller');
    assert.equal(escapeUser("x-_.!~*'()&=+$,;?/"), "x-_.!~*'()&=+$,;?/");
  });
});
