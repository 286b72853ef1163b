/**
 * Golden: a presence subscription never refreshed ends when its granted time is up, with a
 * terminated NOTIFY. Asterisk's capture uses Expires 60 (= sub_min_expiry); the replay scales
 * it to 2 s (sub_min_expiry too) so the suite stays fast.
 */
import assert from 'node:assert/strict';
import { replayCapture } from './replay.js';

describe('golden: server-side expiry replayed from an Asterisk capture', function () {
  this.timeout(15000);
  it('presence-server-expiry.txt: terminated NOTIFY when the granted time is up', async () => {
    const r = await replayCapture('presence-server-expiry.txt', { shortExpires: { from: 60, to: 2 } });
    assert.deepEqual(r.mismatches, [], 'differences from Asterisk');
    assert.equal(r.compared, 3);
    assert.equal(r.usage.terminationReason, 1, 'the expiry NOTIFY carries reason=timeout');
  });
});
