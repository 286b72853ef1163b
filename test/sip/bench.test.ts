import assert from 'node:assert/strict';
import { benchSipParse, TYPICAL_NOTIFY, TYPICAL_SUBSCRIBE } from '../../bench/sip-parse.js';
import { parseMessage } from '../../core/sip/parser.js';

describe('sip parse benchmark', () => {
  it('uses messages that parse, and reports four positive figures', async () => {
    assert.ok(parseMessage(TYPICAL_SUBSCRIBE).ok);
    const notify = parseMessage(TYPICAL_NOTIFY);
    assert.ok(notify.ok);
    assert.ok(notify.message.bodyText().includes('<rpid:on-the-phone />'));
    const results = await benchSipParse(20);
    assert.deepEqual(
      results.map((r) => r.name),
      ['sip parse SUBSCRIBE', 'sip serialize SUBSCRIBE', 'sip parse NOTIFY+PIDF', 'sip serialize NOTIFY+PIDF'],
    );
    for (const r of results) {
      assert.equal(r.unit, 'msg/s');
      assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name} = ${r.value}`);
    }
  });
});
