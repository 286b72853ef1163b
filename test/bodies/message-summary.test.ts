import assert from 'node:assert/strict';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import { MESSAGE_SUMMARY_MEDIA_TYPE, messageSummaryBodyGenerator } from '../../core/pubsub/bodies/message-summary.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import { capturedBodies, ReplayedState } from './capture-bodies.js';

const render = (acc: MessageAccumulator) => renderBody(messageSummaryBodyGenerator, [], acc);

describe('simple-message-summary body generator', () => {
  for (const [file, mailbox] of [
    ['mwi-message-summary.txt', '1000@default'],
    ['mwi-unsolicited.txt', '2000@default'],
  ] as const) {
    it(`reproduces every NOTIFY body of ${file} byte for byte`, () => {
      const state = new ReplayedState();
      let n = 0;
      for (const b of capturedBodies(file)) {
        state.apply(b.notes);
        assert.equal(b.contentType, MESSAGE_SUMMARY_MEDIA_TYPE);
        const counts = state.mailboxes.get(mailbox) ?? { newMsgs: 0, oldMsgs: 0 };
        assert.equal(render({ ...counts, messageAccount: 'sip:*97@127.0.0.1:5160' }), b.body, `#${b.seq}`);
        n++;
      }
      assert.ok(n >= 4, `${n} bodies`);
    });
  }

  it('uses CRLF line ends and no trailing blank line', () => {
    assert.equal(render({ newMsgs: 1, oldMsgs: 3 }), 'Messages-Waiting: yes\r\nVoice-Message: 1/3 (0/0)\r\n');
  });

  it('writes Message-Account only when given', () => {
    assert.ok(!render({ newMsgs: 0, oldMsgs: 0, messageAccount: '' }).includes('Message-Account'));
    assert.equal(
      render({ newMsgs: 0, oldMsgs: 2, messageAccount: 'sip:*97@pbx:5060' }),
      'Messages-Waiting: no\r\nMessage-Account: sip:*97@pbx:5060\r\nVoice-Message: 0/2 (0/0)\r\n',
    );
  });

  it('writes the urgent counts (Asterisk always writes 0/0)', () => {
    assert.equal(render({ newMsgs: 3, oldMsgs: 8, urgentNew: 1, urgentOld: 2 }), 'Messages-Waiting: yes\r\nVoice-Message: 3/8 (1/2)\r\n');
  });

  it('writes bad counts as 0 and keeps the account on one line', () => {
    assert.equal(
      render({ newMsgs: -1, oldMsgs: Number.NaN, urgentNew: 2.7, urgentOld: Infinity, messageAccount: 'sip:a@b\r\nX-Evil: 1' }),
      'Messages-Waiting: no\r\nMessage-Account: sip:a@bX-Evil: 1\r\nVoice-Message: 0/0 (2/0)\r\n',
    );
  });
});
