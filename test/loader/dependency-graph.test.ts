import assert from 'node:assert/strict';
import { computeStartOrder, type GraphNode } from '../../loader/dependency-graph.js';

function n(name: string, opts: Partial<GraphNode> = {}): GraphNode {
  return { name, requires: [], optional: [], loadPriority: 128, preload: false, ...opts };
}

describe('loader: start order', () => {
  it('puts dependencies first regardless of priority (main/loader.c: a dependency is started first)', () => {
    const { order, declined } = computeStartOrder([
      n('res_pjsip_exten_state', { loadPriority: 65, requires: ['res_pjsip', 'res_pjsip_pubsub'] }),
      n('res_pjsip_pubsub', { loadPriority: 60, requires: ['res_pjsip'] }),
      n('res_pjsip', { loadPriority: 70 }),
    ]);
    assert.deepEqual(order, ['res_pjsip', 'res_pjsip_pubsub', 'res_pjsip_exten_state']);
    assert.equal(declined.size, 0);
  });

  it('orders independent modules by preload, then priority, then name (deterministic ties)', () => {
    const { order } = computeStartOrder([n('b', { loadPriority: 10 }), n('a', { loadPriority: 10 }), n('z', { loadPriority: 5 }), n('p', { preload: true, loadPriority: 200 })]);
    assert.deepEqual(order, ['p', 'z', 'a', 'b']);
  });

  it('starts a present optional dependency first and ignores an absent one', () => {
    const { order, declined } = computeStartOrder([n('a', { loadPriority: 1, optional: ['b', 'missing'] }), n('b', { loadPriority: 99 })]);
    assert.deepEqual(order, ['b', 'a']);
    assert.equal(declined.size, 0);
  });

  it('declines a module with a missing dependency, and its dependents recursively', () => {
    const { order, declined } = computeStartOrder([n('a', { requires: ['nothere'] }), n('b', { requires: ['a'] }), n('c')]);
    assert.deepEqual(order, ['c']);
    assert.match(declined.get('a')!, /missing dependency nothere/);
    assert.match(declined.get('b')!, /dependency a declined/);
  });

  it('declines a dependency cycle and names it', () => {
    const { order, declined } = computeStartOrder([n('a', { requires: ['b'] }), n('b', { requires: ['c'] }), n('c', { requires: ['a'] }), n('d', { requires: ['a'] }), n('e')]);
    assert.deepEqual(order, ['e']);
    assert.match(declined.get('a')!, /dependency cycle: /);
    assert.match(declined.get('d')!, /depends on a dependency cycle/);
    assert.equal(declined.size, 4);
  });

  it('counts already running modules as met dependencies', () => {
    const { order, declined } = computeStartOrder([n('x', { requires: ['core_mod'] })], new Set(['core_mod']));
    assert.deepEqual(order, ['x']);
    assert.equal(declined.size, 0);
  });
});
