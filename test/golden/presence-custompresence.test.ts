/**
 * Golden: presence to sip:1001 (hint Custom:bob,CustomPresence:bob) while presence states and
 * device states change: a Digium phone gets the digium-presence tuple, another phone does not
 * (Asterisk still NOTIFYs it an identical body on every presence change; we may not).
 */
import assert from 'node:assert/strict';
import { replayCapture } from './replay.js';

describe('golden: custom presence replayed from Asterisk captures', function () {
  this.timeout(15000);
  it('presence-pidf-digium-custompresence.txt: digium-presence tuple for a Digium User-Agent', async () => {
    const r = await replayCapture('presence-pidf-digium-custompresence.txt');
    assert.deepEqual(r.mismatches, [], 'differences from Asterisk');
    assert.equal(r.compared + r.omitted, 12);
    assert.equal(r.omitted, 0, 'every presence change changes the Digium body');
    assert.equal(r.commands, 10);
  });

  it('presence-pidf-custompresence-nondigium.txt: no tuple, presence-only changes change nothing', async () => {
    const r = await replayCapture('presence-pidf-custompresence-nondigium.txt');
    assert.deepEqual(r.mismatches, [], 'differences from Asterisk');
    assert.equal(r.compared + r.omitted, 12);
    assert.equal(r.commands, 10);
  });
});
