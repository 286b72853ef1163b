/**
 * What the presence bodies say for an extension state, and the URI helpers they share:
 * Asterisk's res/res_pjsip/presence_xml.c (`ast_sip_presence_exten_state_to_str`,
 * `ast_strip_quoted`). The table is the one the golden captures show (Asterisk f0c1c1a7b7):
 *
 * | ext state             | dialog-info | PIDF basic | PIDF note    | rpid activity | XPIDF              |
 * |-----------------------|-------------|------------|--------------|---------------|--------------------|
 * | NOT_INUSE and others  | terminated  | open       | Ready        | none          | open / online      |
 * | INUSE                 | confirmed   | open       | On the phone | on-the-phone  | inuse / onthephone |
 * | BUSY                  | confirmed   | open       | On the phone | on-the-phone  | inuse / onthephone |
 * | UNAVAILABLE           | terminated  | closed     | Unavailable  | none          | closed / offline   |
 * | RINGING               | early       | open       | Ringing      | on-the-phone  | inuse / onthephone |
 * | INUSE|RINGING         | confirmed * | open       | Ringing      | on-the-phone  | inuse / onthephone |
 * | ONHOLD                | confirmed   | open       | On hold      | on-the-phone  | inuse / onthephone |
 *
 * (*) `early` with the endpoint's notify_early_inuse_ringing. "Others" includes InUse&Hold (17),
 * REMOVED (-2) and DEACTIVATED (-1): Asterisk's switch has no case for them.
 */
import { ExtensionState } from '../../state/extension-state.js';

export interface ExtenStateStrings {
  /** dialog-info `<state>`. */
  readonly dialogState: 'early' | 'confirmed' | 'terminated';
  /** PIDF `<basic>`. */
  readonly pidfBasic: 'open' | 'closed';
  /** PIDF `<note>`. */
  readonly pidfNote: string;
  /** RPID activity for the eyebeam `<dm:person>`, undefined for none. */
  readonly rpidActivity: 'on-the-phone' | undefined;
  /** XPIDF `<status status>`. */
  readonly xpidfStatus: 'open' | 'inuse' | 'closed';
  /** XPIDF `<msnsubstatus substatus>`. */
  readonly xpidfSubstatus: 'online' | 'onthephone' | 'offline';
}

function row(
  dialogState: ExtenStateStrings['dialogState'],
  pidfBasic: ExtenStateStrings['pidfBasic'],
  pidfNote: string,
  inUse: boolean,
): ExtenStateStrings {
  return Object.freeze({
    dialogState,
    pidfBasic,
    pidfNote,
    rpidActivity: inUse ? 'on-the-phone' : undefined,
    xpidfStatus: inUse ? 'inuse' : pidfBasic === 'open' ? 'open' : 'closed',
    xpidfSubstatus: inUse ? 'onthephone' : pidfBasic === 'open' ? 'online' : 'offline',
  });
}

const READY = row('terminated', 'open', 'Ready', false);
const INUSE = row('confirmed', 'open', 'On the phone', true);
const UNAVAILABLE = row('terminated', 'closed', 'Unavailable', false);
const RINGING = row('early', 'open', 'Ringing', true);
const INUSE_RINGING = row('confirmed', 'open', 'Ringing', true);
const INUSE_RINGING_EARLY = row('early', 'open', 'Ringing', true);
const ONHOLD = row('confirmed', 'open', 'On hold', true);

/**
 * Asterisk's `ast_sip_presence_exten_state_to_str`. Returns shared frozen objects, so the
 * per-NOTIFY cost is one switch.
 */
export function extenStateToStrings(state: number, notifyEarlyInuseRinging = false): ExtenStateStrings {
  switch (state) {
    case ExtensionState.RINGING:
      return RINGING;
    case ExtensionState.INUSE | ExtensionState.RINGING:
      return notifyEarlyInuseRinging ? INUSE_RINGING_EARLY : INUSE_RINGING;
    case ExtensionState.INUSE:
    case ExtensionState.BUSY:
      return INUSE;
    case ExtensionState.UNAVAILABLE:
      return UNAVAILABLE;
    case ExtensionState.ONHOLD:
      return ONHOLD;
    default:
      return READY;
  }
}

/** Asterisk's `ast_strip_quoted(uri, "<", ">")`: `<sip:a@b>` -> `sip:a@b`, after trimming. */
export function stripAngleBrackets(uri: string): string {
  const s = uri.trim();
  return s.length >= 2 && s.charCodeAt(0) === 0x3c && s.charCodeAt(s.length - 1) === 0x3e ? s.slice(1, -1) : s;
}

/**
 * The host of a SIP URI without port: `sip:1000@127.0.0.1:5160;transport=tcp` -> `127.0.0.1`,
 * `sip:[::1]:5060` -> `[::1]`. Empty when there is none.
 */
export function uriHost(uri: string): string {
  const s = stripAngleBrackets(uri);
  const colon = s.indexOf(':');
  // `pbx:5060` is a host and port, `sip:pbx` a scheme and host.
  const isScheme = colon >= 0 && /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(s.slice(0, colon)) && !/^\d+(?:[;?>]|$)/.test(s.slice(colon + 1));
  let start = isScheme ? colon + 1 : 0;
  const at = s.indexOf('@', start);
  if (at >= 0) start = at + 1;
  if (s.charCodeAt(start) === 0x5b) {
    const close = s.indexOf(']', start);
    return close >= 0 ? s.slice(start, close + 1) : s.slice(start);
  }
  let end = start;
  while (end < s.length) {
    const c = s[end];
    if (c === ':' || c === ';' || c === '?' || c === '>') break;
    end++;
  }
  return s.slice(start, end);
}
