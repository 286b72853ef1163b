import assert from 'node:assert/strict';
import { isTstError } from '../../core/errors.js';
import { normalizeMediaType, OrderedRegistry, Registry } from '../../core/registry/registry.js';

describe('core: registries', () => {
  it('refuses a duplicate and names both owners', () => {
    const r = new Registry<number>('body generator', normalizeMediaType);
    r.register('application/pidf+xml', 1, 'res_a');
    assert.throws(
      () => r.register('Application/PIDF+XML; q=0.5', 2, 'res_b'),
      (e: unknown) => isTstError(e, 'TST_ERR_DUPLICATE_REGISTRATION') && /res_b.*res_a/.test((e as Error).message),
    );
    assert.equal(r.get('APPLICATION/pidf+xml'), 1);
  });

  it('a disposer removes exactly its registration, once, and listeners hear both changes', () => {
    const r = new Registry<string>('handler');
    const heard: string[] = [];
    r.onChange((c) => heard.push(`${c.kind}:${c.registration.key}`));
    const d = r.register('presence', 'p', 'm1');
    d();
    const d2 = r.register('presence', 'p2', 'm2');
    d(); // a second call must not remove m2's registration
    assert.equal(r.get('presence'), 'p2');
    assert.deepEqual(heard, ['added:presence', 'removed:presence', 'added:presence']);
    d2();
    assert.deepEqual(r.snapshot(), []);
  });

  it('a module view owns and tracks what it registers', () => {
    const r = new Registry<number>('thing');
    const tracked: Array<() => void> = [];
    const v = r.view('mod_x', (d) => tracked.push(d));
    v.register('k', 7);
    assert.deepEqual(r.snapshot(), ['thing:k@mod_x']);
    tracked.forEach((d) => d());
    assert.deepEqual(r.snapshot(), []);
  });

  it('ordered registry keeps several values per key by priority then registration order', () => {
    const r = new OrderedRegistry<string>('body supplement', normalizeMediaType);
    const d1 = r.register('application/pidf+xml', 'eyebeam', 'm1', 5);
    r.register('application/pidf+xml', 'digium', 'm2', 0);
    r.register('application/PIDF+xml', 'third', 'm3', 5);
    assert.deepEqual(r.list('application/pidf+xml'), ['digium', 'eyebeam', 'third']);
    d1();
    assert.deepEqual(r.list('application/pidf+xml'), ['digium', 'third']);
  });

  it('normalizes media types without parameters and case', () => {
    assert.equal(normalizeMediaType(' Application/Dialog-Info+XML ;charset=utf-8'), 'application/dialog-info+xml');
  });
});
