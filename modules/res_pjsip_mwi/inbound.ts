/**
 * Inbound MWI (Asterisk's res_pjsip_pubsub.c pubsub_on_rx_mwi_notify_request): an out-of-dialog
 * NOTIFY carrying application/simple-message-summary from an endpoint with
 * `incoming_mwi_mailbox` sets that mailbox's counts, which then reach every watcher of the
 * mailbox (our own subscribers, unsolicited MWI, state exchange). A voicemail server or an
 * upstream PBX feeds us this way.
 *
 * Deliberate differences from Asterisk:
 * - the body parser reads each line within its length and needs a real `Voice-Message` line
 *   (Asterisk's sscanf had an unbounded `%s`, a stack overflow fixed in 2026, and counts an
 *   empty line as a match because sscanf returns EOF there); a body without counts gets 400,
 *   not 404;
 * - negative or absurd counts are refused (400) instead of being published;
 * - a mailbox without `@context` means context `default` (Asterisk answers 404);
 * - a NOTIFY with another Event package gets 489 and one with another body type 415 with
 *   Accept (Asterisk lets them fall through unhandled);
 * - the urgent-new count is kept as the mailbox's urgent count (Asterisk drops it);
 * - the 200 goes out once the counts are on disk, so an acknowledged update survives a crash.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { MESSAGE_SUMMARY_MEDIA_TYPE } from '../../core/pubsub/bodies/message-summary.js';
import { parseEvent, parseMediaType } from '../../core/sip/header-values.js';
import type { SipRequest } from '../../core/sip/message.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import { normalizeMailboxId } from '../../core/state/mailbox-state.js';
import type { MethodHandler, PjsipService, RequestContext } from '../res_pjsip/service.js';

/** RFC 3842 section 5.2, as far as MWI uses it. */
export interface SimpleMessageSummary {
  messagesWaiting?: boolean;
  messageAccount?: string;
  newMsgs: number;
  oldMsgs: number;
  urgentNew: number;
  urgentOld: number;
}

/** Counts above this are not messages but garbage (Asterisk's %d would overflow anyway). */
const MAX_COUNT = 999999999;
const MAX_LINE = 1024;

const VOICE_MESSAGE = /^voice-message\s*:\s*(\d{1,9})\s*\/\s*(\d{1,9})(?:\s*\(\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*\))?\s*$/i;
const MESSAGES_WAITING = /^messages-waiting\s*:\s*(yes|no)\s*$/i;
const MESSAGE_ACCOUNT = /^message-account\s*:\s*(\S+)\s*$/i;

/**
 * Parses a simple-message-summary body; undefined when it has no valid `Voice-Message` line
 * (the line for the voice message class, which is all MWI counts). Later lines win, as in
 * Asterisk; lines of other message classes (fax-message...) are ignored.
 */
export function parseSimpleMessageSummary(body: string): SimpleMessageSummary | undefined {
  let found: SimpleMessageSummary | undefined;
  let waiting: boolean | undefined;
  let account: string | undefined;
  for (const raw of body.split(/\r\n|\n|\r/)) {
    if (raw.length > MAX_LINE) continue;
    const line = raw.trim();
    let m = VOICE_MESSAGE.exec(line);
    if (m) {
      const nums = [m[1], m[2], m[3] ?? '0', m[4] ?? '0'].map(Number);
      if (nums.some((n) => n > MAX_COUNT)) continue;
      found = { newMsgs: nums[0]!, oldMsgs: nums[1]!, urgentNew: nums[2]!, urgentOld: nums[3]! };
      continue;
    }
    if ((m = MESSAGES_WAITING.exec(line))) waiting = m[1]!.toLowerCase() === 'yes';
    else if ((m = MESSAGE_ACCOUNT.exec(line))) account = m[1];
  }
  if (!found) return undefined;
  if (waiting !== undefined) found.messagesWaiting = waiting;
  if (account !== undefined) found.messageAccount = account;
  return found;
}

export interface InboundMwiDeps {
  pjsip: Pick<PjsipService, 'reply'>;
  mailboxes: { update(mailbox: string, counts: { new: number; old: number; urgent?: number }): Promise<void> };
  log: Logger;
}

/** The out-of-dialog NOTIFY handler (the distributor has identified and authenticated it). */
export function inboundMwiHandler(deps: InboundMwiDeps): MethodHandler {
  const { pjsip, log } = deps;
  return (req: SipRequest, tx: ServerTransaction, ctx: RequestContext) => {
    const endpoint = ctx.endpoint;
    const refuse = (status: number, reason: string, why: string, headers: Array<[string, string]> = []) => {
      log.debug(`Incoming MWI: endpoint '${endpoint.id}': ${why}; answering ${status}`);
      pjsip.reply(tx, status, reason, headers);
    };
    const eventValue = req.getHeader('Event');
    if (eventValue !== undefined) {
      const ev = parseEvent(eventValue);
      if (!ev || ev.package.toLowerCase() !== 'message-summary') {
        return refuse(489, 'Bad Event', `unsolicited NOTIFY for event '${eventValue}'`, [['Allow-Events', 'message-summary']]);
      }
    }
    const ct = req.getHeader('Content-Type');
    const mt = ct !== undefined ? parseMediaType(ct) : null;
    if (req.body.length === 0 || !mt || mt.mediaType !== MESSAGE_SUMMARY_MEDIA_TYPE) {
      return refuse(415, 'Unsupported Media Type', `body of type '${ct ?? 'none'}'`, [['Accept', MESSAGE_SUMMARY_MEDIA_TYPE]]);
    }
    const configured = endpoint.incoming_mwi_mailbox.trim();
    if (configured === '') return refuse(404, 'Not Found', 'no incoming_mwi_mailbox configured');
    let mailbox: string;
    try {
      mailbox = normalizeMailboxId(configured);
    } catch (e) {
      return refuse(404, 'Not Found', `bad incoming_mwi_mailbox '${configured}': ${errorMessage(e)}`);
    }
    const summary = parseSimpleMessageSummary(req.bodyText());
    if (!summary) return refuse(400, 'Bad Request', 'no Voice-Message counts in the body');
    deps.mailboxes.update(mailbox, { new: summary.newMsgs, old: summary.oldMsgs, urgent: summary.urgentNew }).then(
      () => {
        log.debug(
          `Incoming MWI: Endpoint: '${endpoint.id}' Mailbox: ${mailbox} Message-Account: ${summary.messageAccount ?? ''} ` +
            `Voice-Messages: ${summary.newMsgs}/${summary.oldMsgs} (${summary.urgentNew}/${summary.urgentOld})`,
        );
        pjsip.reply(tx, 200, 'OK');
      },
      (e: unknown) => {
        log.error(`Incoming MWI: Endpoint: '${endpoint.id}' could not store mailbox ${mailbox}: ${errorMessage(e)}`);
        pjsip.reply(tx, 500, 'Server Internal Error');
      },
    );
  };
}
