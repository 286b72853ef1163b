/**
 * Golden: `Event: presence` to sip:1000 (hint Custom:alice) driven through every device state,
 * a repeated state, a refresh and an unsubscribe, once per Accept variant Asterisk was
 * recorded with. Each capture is replayed against tsterisk and compared message by message.
 */
import assert from 'node:assert/strict';
import { replayCapture } from './replay.js';

const CASES: Array<{ file: string; body: string }> = [
  { file: 'presence-pidf-transitions.txt', body: 'PIDF' },
  { file: 'presence-xpidf-transitions.txt', body: 'XPIDF' },
  { file: 'presence-cpim-pidf-transitions.txt', body: 'XPIDF labelled cpim-pidf' },
  { file: 'presence-no-accept-transitions.txt', body: 'PIDF (the default)' },
];

describe('golden: presence transitions replayed from Asterisk captures', function () {
  this.timeout(15000);
  for (const c of CASES) {
    it(`${c.file}: ${c.body} NOTIFYs match Asterisk's`, async () => {
      const r = await replayCapture(c.file);
      assert.deepEqual(r.mismatches, [], `differences from Asterisk in ${c.file}`);
      // 3 responses + 10 NOTIFYs, every CLI action run, and the documented differences exercised.
      assert.equal(r.compared + r.omitted, 13);
      assert.equal(r.commands, 9);
      assert.equal(r.usage.terminationReason, 1, 'the unsubscribe NOTIFY carries reason=timeout');
      // XPIDF says the same for INUSE, RINGING, ONHOLD, BUSY and RINGINUSE: 3 NOTIFYs may go.
      const notifies = r.compared - 3;
      assert.ok(notifies >= 7);
      assert.equal(r.usage.allowEventsServedOnly, notifies, 'Allow-Events without refer on every NOTIFY');
      if (c.body.startsWith('PIDF')) assert.equal(r.usage.pidfContact, notifies, 'PIDF contact is the presentity');
      else assert.equal(r.usage.xpidfAtomId, notifies, 'atom ids differ');
    });
  }
});
