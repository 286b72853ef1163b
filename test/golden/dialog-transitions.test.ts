/**
 * Golden: `Event: dialog` to sip:1000 (hint Custom:alice) through every device state, a
 * repeated state, a refresh and an unsubscribe, with and without an Accept header.
 */
import assert from 'node:assert/strict';
import { replayCapture } from './replay.js';

describe('golden: dialog-info transitions replayed from Asterisk captures', function () {
  this.timeout(15000);
  for (const file of ['dialog-info-transitions.txt', 'dialog-no-accept-transitions.txt']) {
    it(`${file}: dialog-info NOTIFYs match Asterisk's`, async () => {
      const r = await replayCapture(file);
      assert.deepEqual(r.mismatches, [], `differences from Asterisk in ${file}`);
      assert.equal(r.compared + r.omitted, 13);
      assert.equal(r.commands, 9);
      assert.equal(r.usage.terminationReason, 1, 'the unsubscribe NOTIFY carries reason=timeout');
      assert.ok((r.usage.regeneratedRefresh ?? 0) >= 1, 'the refresh NOTIFY has a new version');
    });
  }
});
