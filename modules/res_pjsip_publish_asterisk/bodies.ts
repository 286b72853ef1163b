/**
 * The Asterisk-to-Asterisk PUBLISH bodies (Content-Type application/json), with Asterisk's
 * exact fields (res_pjsip_publish_asterisk.c, jansson JSON_COMPACT):
 *
 *   {"type":"devicestate","device":"PJSIP/alice","state":"INUSE","cachable":1,"eid":"00:0c:29:aa:bb:cc"}
 *   {"type":"mailboxstate","uniqueid":"1000@default","old":3,"new":1,"eid":"00:0c:29:aa:bb:cc"}
 *   {"type":"refresh","eid":"00:0c:29:aa:bb:cc"}
 *
 * We write keys in Asterisk's pack order; we read them by name (order never matters). Parsing
 * is strict where Asterisk is lax: a missing or mistyped field is an error (Asterisk reads
 * missing integers as 0 and would publish `(null)` devices), except `cachable`, which defaults
 * to 1 when absent.
 */
import { DeviceState, deviceStateToString, parseDeviceState } from '../../core/state/device-state.js';

export const JSON_TYPE = 'application/json';
/** Bodies are ~110 bytes; anything near this is not from a peer. */
export const MAX_BODY_BYTES = 4096;
/** Longest device name or mailbox id accepted from a peer. */
const MAX_NAME = 256;

/** Six hex octets joined by ':' (Asterisk's ast_eid_to_str), compared lower-case. */
const EID_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function normalizeEid(eid: string): string | undefined {
  const e = eid.trim().toLowerCase();
  return EID_RE.test(e) ? e : undefined;
}

export function deviceStateBody(device: string, state: DeviceState, cachable: boolean, eid: string): string {
  return JSON.stringify({ type: 'devicestate', device, state: deviceStateToString(state), cachable: cachable ? 1 : 0, eid });
}

export function mailboxStateBody(uniqueid: string, counts: { old: number; new: number }, eid: string): string {
  return JSON.stringify({ type: 'mailboxstate', uniqueid, old: counts.old, new: counts.new, eid });
}

export function refreshBody(eid: string): string {
  return JSON.stringify({ type: 'refresh', eid });
}

export type AsteriskEvent =
  | { type: 'devicestate'; eid: string; device: string; state: DeviceState; stateKnown: boolean; cachable: boolean }
  | { type: 'mailboxstate'; eid: string; uniqueid: string; old: number; new: number }
  | { type: 'refresh'; eid: string };

export type ParseResult = { ok: true; event: AsteriskEvent } | { ok: false; error: string };

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME && !/[\u0000-\u001f]/.test(v);
}

export function parseAsteriskBody(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `malformed JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: 'not a JSON object' };
  const o = json as Record<string, unknown>;
  if (typeof o.type !== 'string') return { ok: false, error: "no string 'type'" };
  if (typeof o.eid !== 'string') return { ok: false, error: "no string 'eid'" };
  const eid = normalizeEid(o.eid);
  if (eid === undefined) return { ok: false, error: `malformed eid '${o.eid.slice(0, 40)}'` };
  switch (o.type) {
    case 'devicestate': {
      if (!isName(o.device)) return { ok: false, error: "no valid 'device'" };
      if (typeof o.state !== 'string') return { ok: false, error: "no string 'state'" };
      let cachable = true;
      if (o.cachable !== undefined) {
        if (o.cachable === 0 || o.cachable === false) cachable = false;
        else if (o.cachable === 1 || o.cachable === true) cachable = true;
        else return { ok: false, error: "'cachable' is not 0 or 1" };
      }
      // As Asterisk's ast_devstate_val: a word it does not know is UNKNOWN.
      const parsed = parseDeviceState(o.state);
      return { ok: true, event: { type: 'devicestate', eid, device: o.device, state: parsed ?? DeviceState.UNKNOWN, stateKnown: parsed !== undefined, cachable } };
    }
    case 'mailboxstate': {
      if (!isName(o.uniqueid)) return { ok: false, error: "no valid 'uniqueid'" };
      if (!isCount(o.old)) return { ok: false, error: "'old' is not a count" };
      if (!isCount(o.new)) return { ok: false, error: "'new' is not a count" };
      return { ok: true, event: { type: 'mailboxstate', eid, uniqueid: o.uniqueid, old: o.old, new: o.new } };
    }
    case 'refresh':
      return { ok: true, event: { type: 'refresh', eid } };
    default:
      return { ok: false, error: `unknown type '${o.type.slice(0, 40)}'` };
  }
}
