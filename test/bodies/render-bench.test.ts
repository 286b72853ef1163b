import assert from 'node:assert/strict';
import { benchBodies } from '../../bench/bodies.js';

// The benchmark itself runs in `npm run bench`; here only a short smoke run that it works.
describe('body render benchmark', () => {
  it('renders every body kind and reports positive rates', () => {
    const results = benchBodies(20);
    assert.equal(results.length, 6);
    for (const r of results) assert.ok(Number.isFinite(r.perSecond) && r.perSecond > 0, `${r.name} = ${r.perSecond}`);
  });
});
