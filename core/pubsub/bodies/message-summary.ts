/**
 * application/simple-message-summary (RFC 3842) from mailbox counts: Asterisk's
 * res_pjsip_mwi_body_generator.c. CRLF line ends, no blank line at the end:
 *
 *   Messages-Waiting: yes
 *   Message-Account: sip:*97@127.0.0.1:5160
 *   Voice-Message: 2/1 (0/0)
 *
 * `Messages-Waiting` is yes when there are new messages; the `Message-Account` line only when
 * an account is given.
 * Differences from Asterisk, on purpose: the urgent counts are written from the data (Asterisk
 * always writes `(0/0)`), defaulting to 0; counts that are not non-negative integers are
 * written as 0 (fractions truncated); CR and LF are removed from the account so it cannot add
 * lines to the body.
 */
import type { MessageAccumulator } from '../body-data.js';
import type { BodyGenerator } from '../types.js';

export const MESSAGE_SUMMARY_MEDIA_TYPE = 'application/simple-message-summary';

/** The body being built (Asterisk's ast_str). */
export interface MessageSummaryBody {
  text: string;
}

function count(n: number | undefined): number {
  return typeof n === 'number' && n > 0 && Number.isFinite(n) ? Math.floor(n) : 0;
}

const LINE_BREAKS = /[\r\n]/g;

export const messageSummaryBodyGenerator: BodyGenerator<'message_accumulator', MessageSummaryBody> = {
  mediaType: MESSAGE_SUMMARY_MEDIA_TYPE,
  bodyKind: 'message_accumulator',

  allocate(): MessageSummaryBody {
    return { text: '' };
  },

  generate(body: MessageSummaryBody, acc: MessageAccumulator): void {
    const newMsgs = count(acc.newMsgs);
    let text = newMsgs > 0 ? 'Messages-Waiting: yes\r\n' : 'Messages-Waiting: no\r\n';
    const account = acc.messageAccount ? acc.messageAccount.replace(LINE_BREAKS, '') : '';
    if (account !== '') text += 'Message-Account: ' + account + '\r\n';
    text += `Voice-Message: ${newMsgs}/${count(acc.oldMsgs)} (${count(acc.urgentNew)}/${count(acc.urgentOld)})\r\n`;
    body.text += text;
  },

  toString(body: MessageSummaryBody): string {
    return body.text;
  },
};
