import assert from 'node:assert/strict';
import { benchSipStack } from '../../bench/sip-stack.js';

describe('sip stack benchmark', function () {
  this.timeout(15000);
  it('runs every scenario briefly and reports positive figures', async () => {
    const results = await benchSipStack(150, 8);
    assert.deepEqual(
      results.map((r) => r.unit),
      ['txn/s', 'us', 'txn/s', 'txn/s'],
    );
    for (const r of results) assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name} = ${r.value}`);
  });
});
