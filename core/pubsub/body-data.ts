/**
 * The typed inputs of the body generators, as Asterisk's res_pjsip_body_generator_types.h
 * names them: `ast_sip_exten_state_data` (presence and dialog bodies) and
 * `ast_sip_message_accumulator` (message-summary bodies).
 *
 * They are plain data: the notifier fills them from the extension-state and mailbox engines and
 * the subscription, and the generators only read them, with one exception on purpose: the
 * dialog-info version counter (see DialogInfoVersionState) is advanced by the generator, as
 * Asterisk's per-subscription datastore is, so that no caller can forget to.
 */
import type { DeviceState } from '../state/device-state.js';
import type { PresenceInfo } from '../state/presence-state.js';

/** One party of a channel (Asterisk's `ast_party_id`: caller id or connected line). */
export interface PartyIdentity {
  name?: string;
  number?: string;
  /** The name's presentation is restricted: shown as `anonymous`. */
  nameRestricted?: boolean;
  /** The number's presentation is restricted: shown as `sip:anonymous@anonymous.invalid`. */
  numberRestricted?: boolean;
}

/**
 * The channel that caused a device's state (Asterisk's `causing_channel`), with what the
 * dialog-info generator reads from it when the extension is ringing.
 */
export interface CausingChannel {
  /** Creation time (ms since the epoch): the oldest ringing channel is the one shown. */
  createdAt: number;
  /** The channel's own caller id: the ringing device's side (dialog-info `<local>`). */
  caller: PartyIdentity;
  /** The connected line: who is calling the ringing device (dialog-info `<remote>`). */
  connected: PartyIdentity;
}

/** One device of the hint (Asterisk's `ast_device_state_info`). */
export interface DeviceStateInfo {
  device: string;
  state: DeviceState;
  causingChannel?: CausingChannel;
}

/** A SIP identity for dialog-info `<identity>`: the URI and an optional display name. */
export interface SipIdentity {
  uri: string;
  displayName?: string;
}

/** RFC 4235 dialog states. */
export type DialogState = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';

/**
 * One SIP call of the extension's devices, for the dialog-info fields Asterisk does not send
 * (asterisk/asterisk#803: call-id and tags let phones do directed pickup; mikopbx/Core#1059:
 * identities outside ringing). Optional: without it the body is Asterisk's.
 */
export interface CallDetails {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** `recipient` when the extension's device is being called, `initiator` when it called. */
  direction: 'initiator' | 'recipient';
  state: DialogState;
  remoteIdentity?: SipIdentity;
  localIdentity?: SipIdentity;
}

/**
 * The dialog-info `version` counter of one subscription (or of one outbound publisher, which
 * Asterisk shares between all its extensions), Asterisk's `dialog-info+xml` datastore.
 *
 * `version` is the NEXT version to send: a new subscription starts it at 0, and every
 * dialog-info body generated takes the value and advances it by one (wrapping at 2^32 as
 * Asterisk's unsigned int). The owner keeps the same object for the subscription's life,
 * persists `version` as is with the subscription, and restores it after a restart. A NOTIFY
 * that re-sends the last body (a refresh) must not generate a new one, so its version repeats,
 * as Asterisk's does.
 */
export interface DialogInfoVersionState {
  version: number;
}

/** Asterisk's `ast_sip_exten_state_data`. */
export interface ExtenStateData {
  /** The extension (tuple id, dialog id, atom id). */
  exten: string;
  context?: string;
  /**
   * The presentity: the notifier's resource URI (`sip:1000@127.0.0.1:5160`), optionally in
   * `<>`. PIDF `entity`, dialog-info `entity`, XPIDF `presentity`. For outbound PUBLISH: the
   * publish From URI with the user set to the extension.
   */
  local: string;
  /**
   * The watcher's URI (`sip:watcher@127.0.0.1`), without `<>` or display name. XPIDF
   * `address`; PIDF `<contact>` only when pidfContactIsWatcher is set.
   */
  remote: string;
  /**
   * The extension state: Asterisk's `enum ast_extension_states` bit flags (ExtensionState:
   * REMOVED=-2, DEACTIVATED=-1, NOT_INUSE=0, INUSE=1, BUSY=2, UNAVAILABLE=4, RINGING=8,
   * ONHOLD=16, combined as INUSE|RINGING=9 and INUSE|ONHOLD=17).
   */
  extenState: number;
  /**
   * The hint's presence: `state` is Asterisk's `enum ast_presence_state` as the presence engine
   * hands it out (PresenceState: NOT_SET=0 .. DND=6, INVALID=7), so a change passes straight
   * through; its name (`away`, `dnd`, ...) is taken at render time. `subtype` and `message`
   * are raw text (empty when unset); the generators escape them.
   */
  presence: PresenceInfo;
  /** The SUBSCRIBE's User-Agent, any case (the Digium supplement lower-cases it). */
  userAgent?: string;
  /**
   * Per-device states of the hint with their causing channels (Asterisk's extended watcher).
   * Absent for outbound PUBLISH, whose watcher is not extended: then a ringing dialog-info has
   * no `<local>`. An empty array (devices without channels, e.g. Custom:) gives the `<local>`
   * with the entity URI, as Asterisk does.
   */
  deviceStateInfo?: readonly DeviceStateInfo[];
  /** Endpoint `notify_early_inuse_ringing`: INUSE|RINGING is `early` in dialog-info. Default no. */
  notifyEarlyInuseRinging?: boolean;
  /**
   * Asterisk compatibility: the PIDF `<contact>` holds the watcher's URI as Asterisk sends it
   * (asterisk/asterisk#1898). Default (false): the presentity's URI, which is what the contact
   * of a presence tuple means (RFC 3863) and what clients correlate on.
   */
  pidfContactIsWatcher?: boolean;
  /** Calls of the extension's devices, oldest first (see CallDetails). */
  calls?: readonly CallDetails[];
  /** The dialog-info version counter; required by the dialog-info generator. */
  dialogInfo?: DialogInfoVersionState;
  /**
   * Host for the `sip:<number>@<host>` identities built from a ringing channel. Asterisk uses
   * the host of the subscription dialog's local URI (the SUBSCRIBE's To), without port; the
   * default here is the host of `local` without port.
   */
  identityHost?: string;
}

/** Asterisk's `ast_sip_message_accumulator`. */
export interface MessageAccumulator {
  newMsgs: number;
  oldMsgs: number;
  /** Urgent new messages (RFC 3842 `(urgent-new/urgent-old)`); Asterisk always writes 0. */
  urgentNew?: number;
  urgentOld?: number;
  /** The `Message-Account` URI; the line is left out when absent or empty. */
  messageAccount?: string;
}
