import assert from 'node:assert/strict';
import { InlineHandlerData } from '../../core/pubsub/handler-data.js';

describe('core: per-subscription handler data', () => {
  it('behaves as a Map for one key and for several', () => {
    const d = new InlineHandlerData();
    assert.equal(d.get('w'), undefined);
    assert.equal(d.has('w'), false);
    d.set('w', 1).set('w', 2);
    assert.equal(d.get('w'), 2);
    d.set('x', 'b').set('y', null);
    assert.deepEqual([d.get('w'), d.get('x'), d.get('y'), d.has('y'), d.has('z')], [2, 'b', null, true, false]);
    assert.equal(d.delete('w'), true);
    assert.equal(d.delete('w'), false);
    assert.equal(d.get('w'), undefined);
    // The inline slot is free again; a key living in the overflow map stays the one place it is.
    d.set('x', 'c');
    assert.equal(d.get('x'), 'c');
    d.set('v', 5);
    assert.deepEqual([d.get('v'), d.get('x'), d.get('y')], [5, 'c', null]);
    assert.equal(d.delete('x'), true);
    assert.equal(d.has('x'), false);
    assert.equal(d.get('v'), 5);
  });
});
