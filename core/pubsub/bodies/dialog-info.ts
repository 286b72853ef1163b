/**
 * application/dialog-info+xml (RFC 4235) from extension state: Asterisk's
 * res_pjsip_dialog_info_body_generator.c. One `<dialog>` whose id is the extension:
 *
 *   <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="N" state="full" entity="LOCAL">
 *    <dialog id="EXTEN" direction="recipient">          direction only when early
 *     <remote>                                          early, with a ringing channel
 *      <identity display="Bob">sip:201@host</identity>
 *      <target uri="sip:201@host" />
 *     </remote>
 *     <local>                                           early, with per-device info
 *      <identity display="Alice">sip:100@host</identity>
 *      <target uri="LOCAL" />
 *     </local>
 *     <state>early</state>
 *     <local>                                           on hold only
 *      <target uri="LOCAL"><param pname="+sip.rendering" pvalue="no" /></target>
 *     </local>
 *    </dialog>
 *   </dialog-info>
 *
 * The element order (remote, local, state) is Asterisk's, not RFC 4235's schema order; kept
 * because phones are tuned to Asterisk's bodies.
 *
 * `version` comes from `data.dialogInfo` (see DialogInfoVersionState): each generated body
 * takes the next number and advances the counter, like Asterisk's datastore.
 *
 * Ringing identities, as Asterisk: the channel shown is the oldest causing channel of a hint
 * device in RINGING or RINGINUSE. `<remote>`: `sip:<connected-line number>@HOST`
 * (`sip:anonymous@anonymous.invalid` when the number is restricted, user `invalid` when there is
 * none), display = connected-line name (`anonymous` when restricted). `<local>`:
 * `sip:<caller-id number>@HOST` with the caller-id name, or the entity URI when there is no
 * channel. HOST is `identityHost`, default the entity's host without port.
 *
 * Additions over Asterisk (only when the data carries `calls`): the call matching the dialog
 * state (first `early` call when early, first `confirmed` call when confirmed) adds `call-id`,
 * `local-tag`, `remote-tag` and its `direction` to `<dialog>` (directed pickup,
 * asterisk/asterisk#803), and its identities to `<remote>`/`<local>` in any state
 * (mikopbx/Core#1059); an on-hold `<local>` then carries the identity too. Our own assumption
 * where Asterisk's code was not available to read: a ringing channel without a caller-id number
 * shows the entity URI as local identity.
 */
import { TstError } from '../../errors.js';
import { DeviceState } from '../../state/device-state.js';
import { ExtensionState } from '../../state/extension-state.js';
import type {
  CallDetails,
  CausingChannel,
  DeviceStateInfo,
  DialogState,
  ExtenStateData,
  SipIdentity,
} from '../body-data.js';
import type { BodyGenerator } from '../types.js';
import { extenStateToStrings, stripAngleBrackets, uriHost } from './presence-xml.js';
import { printXml, XmlElement } from './xml-writer.js';

export const DIALOG_INFO_MEDIA_TYPE = 'application/dialog-info+xml';
export const DIALOG_INFO_XMLNS = 'urn:ietf:params:xml:ns:dialog-info';

/** Takes the version for this body and advances the counter (unsigned 32-bit, as Asterisk). */
function takeVersion(data: ExtenStateData): number {
  const counter = data.dialogInfo;
  if (counter === undefined) {
    throw new TstError('TST_ERR_BODY_DATA', `dialog-info+xml for ${data.exten}: no version counter (ExtenStateData.dialogInfo)`);
  }
  const v = counter.version >>> 0;
  counter.version = (v + 1) >>> 0;
  return v;
}

/** Asterisk's get_callee_channel: the oldest causing channel of a ringing device. */
export function oldestRingingChannel(devices: readonly DeviceStateInfo[]): CausingChannel | undefined {
  let best: CausingChannel | undefined;
  for (const d of devices) {
    if (d.state !== DeviceState.RINGING && d.state !== DeviceState.RINGINUSE) continue;
    const ch = d.causingChannel;
    if (ch !== undefined && (best === undefined || ch.createdAt < best.createdAt)) best = ch;
  }
  return best;
}

function channelRemoteIdentity(ch: CausingChannel, host: string): SipIdentity {
  const party = ch.connected;
  const uri = party.numberRestricted ? 'sip:anonymous@anonymous.invalid' : `sip:${party.number || 'invalid'}@${host}`;
  const displayName = party.nameRestricted ? 'anonymous' : party.name;
  return displayName ? { uri, displayName } : { uri };
}

function channelLocalIdentity(ch: CausingChannel, host: string, entity: string): SipIdentity {
  const party = ch.caller;
  const uri = party.number ? `sip:${party.number}@${host}` : entity;
  return party.name ? { uri, displayName: party.name } : { uri };
}

function pickCall(calls: readonly CallDetails[] | undefined, state: DialogState): CallDetails | undefined {
  if (calls === undefined || state === 'terminated') return undefined;
  for (const c of calls) if (c.state === state) return c;
  return undefined;
}

function addIdentity(parent: XmlElement, id: SipIdentity): void {
  const identity = parent.addChild('identity');
  if (id.displayName) identity.addAttr('display', id.displayName);
  identity.content = id.uri;
}

export const dialogInfoBodyGenerator: BodyGenerator<'exten_state', XmlElement> = {
  mediaType: DIALOG_INFO_MEDIA_TYPE,
  bodyKind: 'exten_state',

  allocate(): XmlElement {
    return new XmlElement('dialog-info');
  },

  generate(root: XmlElement, data: ExtenStateData): void {
    const version = takeVersion(data);
    const { dialogState } = extenStateToStrings(data.extenState, data.notifyEarlyInuseRinging === true);
    const entity = stripAngleBrackets(data.local);
    root
      .addAttr('xmlns', DIALOG_INFO_XMLNS)
      .addAttr('version', String(version))
      .addAttr('state', 'full')
      .addAttr('entity', entity);

    const dialog = root.addChild('dialog').addAttr('id', data.exten);
    const early = dialogState === 'early';
    const call = pickCall(data.calls, dialogState);
    if (call !== undefined) {
      dialog.addAttr('call-id', call.callId).addAttr('local-tag', call.localTag).addAttr('remote-tag', call.remoteTag);
      dialog.addAttr('direction', call.direction);
    } else if (early) {
      dialog.addAttr('direction', 'recipient');
    }

    let remote = call?.remoteIdentity;
    let local = call?.localIdentity;
    if (early && data.deviceStateInfo !== undefined && (remote === undefined || local === undefined)) {
      const channel = oldestRingingChannel(data.deviceStateInfo);
      const host = data.identityHost ?? uriHost(entity);
      if (remote === undefined && channel !== undefined) remote = channelRemoteIdentity(channel, host);
      if (local === undefined) local = channel !== undefined ? channelLocalIdentity(channel, host, entity) : { uri: entity };
    }

    if (remote !== undefined) {
      const r = dialog.addChild('remote');
      addIdentity(r, remote);
      r.addChild('target').addAttr('uri', remote.uri);
    }
    const onHold = data.extenState === ExtensionState.ONHOLD;
    if (local !== undefined && !onHold) {
      const l = dialog.addChild('local');
      addIdentity(l, local);
      l.addChild('target').addAttr('uri', entity);
    }
    dialog.addChild('state').content = dialogState;
    if (onHold) {
      const l = dialog.addChild('local');
      if (local !== undefined) addIdentity(l, local);
      l.addChild('target').addAttr('uri', entity).addChild('param').addAttr('pname', '+sip.rendering').addAttr('pvalue', 'no');
    }
  },

  toString: printXml,
};
