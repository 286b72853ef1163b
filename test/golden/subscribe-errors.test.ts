/**
 * Golden: one SUBSCRIBE per refusal Asterisk was recorded with (404, 489, 423, 603, 400, 401),
 * the Expires cap at 3600, and cross-package body types, replayed against tsterisk.
 */
import assert from 'node:assert/strict';
import { replayCapture } from './replay.js';

describe('golden: SUBSCRIBE errors replayed from an Asterisk capture', function () {
  this.timeout(15000);
  it('subscribe-errors.txt: status codes and headers match Asterisk\'s', async () => {
    const r = await replayCapture('subscribe-errors.txt');
    assert.deepEqual(r.mismatches, [], 'differences from Asterisk');
    assert.equal(r.usage.minExpiresOn423, 1, '423 carries Min-Expires');
    assert.equal(r.usage.allowEventsOn489, 3, 'each 489 carries Allow-Events');
    assert.equal(r.usage.acceptQValues, 1, 'Accept with ;q=1 is negotiated');
    assert.equal(r.usage.digestNonce, 1, 'the 401 challenge has the same shape');
  });
});
