/**
 * The bodies Asterisk sent in the golden captures (peers/recorded/asterisk), with the
 * annotations that caused them, and a replay of the annotated actions into the state a body
 * generator is given (extension state, presence, mailbox counts).
 */
import path from 'node:path';
import { DeviceState, parseDeviceState } from '../../core/state/device-state.js';
import { deviceToExtensionState } from '../../core/state/extension-state.js';
import { parsePresenceState, PresenceState, type PresenceInfo } from '../../core/state/presence-state.js';
import { readRecordedMessages, RECORDED_DIR } from '../support/recorded-messages.js';

export const ASTERISK_CAPTURES = path.join(RECORDED_DIR, 'asterisk');

export interface BodyPart {
  contentType: string;
  body: string;
}

export interface CapturedBody {
  file: string;
  seq: number | null;
  /** NOTIFY or PUBLISH. */
  method: string;
  /** Request-URI. */
  uri: string;
  contentType: string;
  body: string;
  /** multipart/related parts (RLS), else empty. */
  parts: BodyPart[];
  /** Annotations written since the previous message. */
  notes: string[];
}

function header(head: string, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

function splitMultipart(body: Buffer, contentType: string): BodyPart[] {
  const m = /boundary=("?)([^";]+)\1/i.exec(contentType);
  if (m === null) return [];
  const delimiter = Buffer.from(`--${m[2]}`);
  const parts: BodyPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const afterDelim = pos + delimiter.length;
    if (body.subarray(afterDelim, afterDelim + 2).toString() === '--') break;
    const hdrStart = afterDelim + 2;
    const hdrEnd = body.indexOf('\r\n\r\n', hdrStart);
    if (hdrEnd < 0) break;
    const head = body.toString('utf8', hdrStart, hdrEnd);
    const len = Number(header(head, 'Content-Length') ?? 'NaN');
    const start = hdrEnd + 4;
    const end = Number.isFinite(len) ? start + len : body.indexOf(`\r\n--${m[2]}`, start);
    parts.push({ contentType: header(head, 'Content-Type') ?? '', body: body.toString('utf8', start, end) });
    pos = body.indexOf(delimiter, end);
  }
  return parts;
}

/** The NOTIFY and PUBLISH requests with a body, in capture order. */
export function capturedBodies(file: string): CapturedBody[] {
  const out: CapturedBody[] = [];
  let pendingNotes: string[] = [];
  for (const msg of readRecordedMessages(path.join(ASTERISK_CAPTURES, file))) {
    pendingNotes = pendingNotes.concat(msg.notes);
    const hdrEnd = msg.raw.indexOf('\r\n\r\n');
    const head = msg.raw.toString('utf8', 0, hdrEnd);
    const start = /^([A-Z]+) (\S+) SIP\/2\.0/.exec(head);
    const body = msg.raw.subarray(hdrEnd + 4);
    if (start === null || (start[1] !== 'NOTIFY' && start[1] !== 'PUBLISH') || body.length === 0) continue;
    const contentType = header(head, 'Content-Type') ?? '';
    out.push({
      file,
      seq: msg.seq,
      method: start[1],
      uri: start[2],
      contentType,
      body: body.toString('utf8'),
      parts: /^multipart\//i.test(contentType) ? splitMultipart(body, contentType) : [],
      notes: pendingNotes,
    });
    pendingNotes = [];
  }
  return out;
}

/** Every body of the capture, multipart parts flattened, with its media type. */
export function allBodies(file: string): BodyPart[] {
  const out: BodyPart[] = [];
  for (const b of capturedBodies(file)) {
    if (b.parts.length > 0) out.push(...b.parts);
    else out.push({ contentType: b.contentType, body: b.body });
  }
  return out;
}

/** The state the annotations have set so far, as Asterisk's CLI/AMI did. */
export class ReplayedState {
  readonly devices = new Map<string, DeviceState>();
  readonly presence = new Map<string, PresenceInfo>();
  readonly mailboxes = new Map<string, { newMsgs: number; oldMsgs: number }>();

  /** Applies the notes; returns the kinds of state they changed. */
  apply(notes: readonly string[]): Set<'device' | 'presence' | 'mailbox'> {
    const changed = new Set<'device' | 'presence' | 'mailbox'>();
    for (const note of notes) {
      for (const m of note.matchAll(/devstate change (\S+) (\w+)/g)) {
        const s = parseDeviceState(m[2]);
        if (s === undefined) throw new Error(`bad device state in note: ${note}`);
        this.devices.set(m[1], s);
        changed.add('device');
      }
      for (const m of note.matchAll(/presencestate change (\S+) (?:"([^"]*)"|(\w+))/g)) {
        const [state, subtype = '', ...rest] = (m[2] ?? m[3]).split(',');
        const p = parsePresenceState(state);
        if (p === undefined) throw new Error(`bad presence state in note: ${note}`);
        this.presence.set(m[1], { state: p, subtype, message: rest.join(',') });
        changed.add('presence');
      }
      const upd = /MWIUpdate\s+Mailbox:?\s+(\S+)\s+NewMessages:?\s+(\d+)\s+OldMessages:?\s+(\d+)/.exec(note);
      if (upd !== null) {
        this.mailboxes.set(upd[1], { newMsgs: Number(upd[2]), oldMsgs: Number(upd[3]) });
        changed.add('mailbox');
      }
      const del = /MWIDelete\s+Mailbox:?\s+(\S+)/.exec(note);
      if (del !== null) {
        this.mailboxes.delete(del[1]);
        changed.add('mailbox');
      }
    }
    return changed;
  }

  /** The extension state of a one-device hint (the captures' hints have one device each). */
  extenState(device: string): number {
    return deviceToExtensionState(this.devices.get(device) ?? DeviceState.UNKNOWN);
  }

  presenceOf(provider: string): PresenceInfo {
    return this.presence.get(provider) ?? { state: PresenceState.NOT_SET, subtype: '', message: '' };
  }
}
