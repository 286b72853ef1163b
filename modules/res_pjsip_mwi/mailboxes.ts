/**
 * Mailbox lists of endpoints and AORs, and the message counts summed over them (Asterisk's
 * get_message_count callback filling an ast_sip_message_accumulator).
 */
import { errorMessage } from '../../core/errors.js';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import { normalizeMailboxId, type MailboxCounts } from '../../core/state/mailbox-state.js';

/** The part of the mailbox engine MWI reads. */
export interface MailboxReader {
  get(mailbox: string): MailboxCounts;
}

/**
 * A `mailboxes=` list as normalized ids (`1000` → `1000@default`), each once, in order. Entries
 * the mailbox engine refuses (`@ctx`) are reported and left out rather than failing the whole
 * endpoint, as Asterisk skips empty entries.
 */
export function mailboxIds(list: readonly string[], onBad?: (entry: string, why: string) => void): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === '') continue;
    let id: string;
    try {
      id = normalizeMailboxId(entry);
    } catch (e) {
      onBad?.(entry, errorMessage(e));
      continue;
    }
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * The counts of several mailboxes summed. Urgent messages are carried as urgent-new (the
 * mailbox engine keeps one urgent count); Asterisk writes `(0/0)` whatever they are.
 */
export function accumulate(reader: MailboxReader, mailboxes: Iterable<string>): MessageAccumulator {
  const acc: MessageAccumulator = { newMsgs: 0, oldMsgs: 0, urgentNew: 0, urgentOld: 0 };
  for (const m of mailboxes) {
    const c = reader.get(m);
    acc.newMsgs += c.new;
    acc.oldMsgs += c.old;
    acc.urgentNew = (acc.urgentNew ?? 0) + c.urgent;
  }
  return acc;
}
