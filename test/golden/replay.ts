/**
 * Golden replay: walks one Asterisk wire capture (../shared/peers/recorded/asterisk/*.txt)
 * against a tsterisk node built from the capture's own configs.
 *
 * - Every message the watcher SENT is a request we re-send with a TestSipClient: the capture's
 *   headers (Event, Accept or none, Expires, User-Agent, Supported...) kept, its ports, Call-ID,
 *   tags and branch rewritten for this run. Its responses to NOTIFYs are checked to be what our
 *   client answers (200).
 * - Every `# CLI> ...` annotation (and the `# precondition: ...` one) runs on the node.
 * - Every message Asterisk SENT is an expectation: our matching response or NOTIFY is compared
 *   on its status code and reason, the headers that matter, and the body PARSED (XML element by
 *   element: names, namespaces, attributes in order, text; simple-message-summary line by line).
 *
 * Only the differences in ALLOWED_DIFFERENCES pass; everything else is collected as a mismatch
 * (one line each, naming the message, the header or XML path, Asterisk's value and ours) so one
 * run reports every difference of a capture instead of stopping at the first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAccept, parseSubscriptionState } from '../../core/sip/header-values.js';
import { SipRequest, type SipMessage, type SipResponse } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { generateBranch, generateCallId, generateTag } from '../../core/sip/serializer.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';
import { TestSipClient } from '../support/sip-client.js';
import { readXml, type XmlNode } from '../support/xml-reader.js';

export const ASTERISK_CAPTURES = path.join(RECORDED_DIR, 'asterisk');

/**
 * The headers compared on every expected message: issue 4's list, plus Min-Expires (see the 423
 * row) and the 401's WWW-Authenticate (see the digest row).
 */
export const HEADERS_THAT_MATTER = ['Expires', 'Min-Expires', 'Subscription-State', 'Event', 'Content-Type', 'Require', 'Allow-Events', 'WWW-Authenticate'] as const;

/** How long a NOTIFY that must come is waited for. */
const NOTIFY_TIMEOUT_MS = 2000;
/**
 * How long we listen for a NOTIFY that may or must not come (Asterisk sent none, or its body did
 * not change). In process over loopback a NOTIFY leaves within a few ms of the change.
 */
const QUIET_MS = 200;
const RESPONSE_TIMEOUT_MS = 3000;

const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';
const DIALOG_INFO_NS = 'urn:ietf:params:xml:ns:dialog-info';

// ---------------------------------------------------------------------------------------------
// What a rule sees

/** Why a NOTIFY was sent: the event that caused it. */
export type NotifyCause = 'initial' | 'change' | 'refresh' | 'unsubscribe' | 'expiry' | 'hint-removed' | 'unload';

/** One capture dialog (keyed by the capture's Call-ID) and its counterpart in this run. */
export interface DialogTrack {
  capCallId: string;
  ourCallId: string;
  ourFromTag: string;
  /** Asterisk's dialog tag (capture) and the node's (this run), learned from the 2xx. */
  capNodeTag?: string;
  ourNodeTag?: string;
  /** The watcher's URI as the SUBSCRIBE's From carried it (`sip:watcher@127.0.0.1`). */
  watcherUri: string;
  /** Granted expiry (s) and when it started (ms; capture clock / this run's clock). */
  capGranted?: number;
  capRefTime?: number;
  ourGranted?: number;
  ourRefTime?: number;
  /** The event the next NOTIFY answers (set by SUBSCRIBEs and CLI actions, used by the NOTIFY). */
  pendingCause?: NotifyCause;
  /** Asterisk's last NOTIFY in this dialog: body with the allowed-to-differ parts blanked, version. */
  capLastBody?: string;
  capLastVersion?: number;
  /** Our last NOTIFY in this dialog. */
  ourLastVersion?: number;
  ourLastCseq?: number;
  /** Set when the dialog cannot be replayed further: its remaining messages are skipped. */
  broken?: string;
}

/** Context of one expected message. */
export interface MessageView {
  /** `#n` of the capture message. */
  label: string;
  dialog: DialogTrack;
  /** For responses: the request it answers, as the capture has it. */
  request?: SipRequest;
  /** For responses: the status Asterisk answered. */
  status?: number;
  /** For NOTIFYs: what caused it. */
  cause?: NotifyCause;
  /** Whether a module is loaded on our node (Allow-Events depends on it). */
  loaded: (module: string) => boolean;
  /** The subscribing endpoint's sub_min_expiry on our node. */
  subMinExpiry: number | undefined;
  /** Ms since the dialog's expiry started, on each side (for Subscription-State expires). */
  capElapsedMs: number;
  ourElapsedMs: number;
}

/** Context of one body comparison. */
export interface BodyView {
  watcherUri: string;
  cause: NotifyCause;
  /** The presentity as this run spells it: Asterisk's `entity` with our ports. */
  presentity: string;
  capLastVersion: number | undefined;
  ourLastVersion: number | undefined;
}

/** A rule's verdict: ok, or what ours should have been. */
export type Outcome = { ok: true } | { ok: false; expected: string };
const OK: Outcome = { ok: true };
const want = (expected: string): Outcome => ({ ok: false, expected });

export interface AllowedDifference {
  /** The documented difference, as issue 4 lists it. */
  difference: string;
  /** Header rule; undefined when it does not apply to this header or message. */
  header?: (name: string, asterisk: readonly string[], ours: readonly string[], m: MessageView) => Outcome | undefined;
  /** XML attribute value rule (Asterisk's value already has our ports). */
  xmlAttr?: (node: XmlNode, attr: string, asterisk: string, ours: string, b: BodyView) => Outcome | undefined;
  /** XML text rule (Asterisk's text already has our ports). */
  xmlText?: (node: XmlNode, parent: XmlNode | null, asterisk: string, ours: string, b: BodyView) => Outcome | undefined;
  /** A NOTIFY Asterisk sent that we may leave out. */
  notifyMayBeAbsent?: (m: MessageView, capBodyUnchanged: boolean) => boolean;
  /** A final status we may answer instead of Asterisk's; `then` is what the replay does next. */
  status?: (asterisk: number, ours: number, m: MessageView) => { then: 'unsubscribe' } | undefined;
}

/** Event packages Asterisk listed that tsterisk may leave out of Allow-Events. */
function servedByUs(pkg: string, loaded: (m: string) => boolean): boolean {
  if (pkg === 'refer') return false; // no res_pjsip_refer in tsterisk
  if (pkg === 'message-summary') return loaded('res_pjsip_mwi');
  return true;
}

/** `Digest realm="x",nonce="y"` -> [['Digest',''],['realm','"x"'],['nonce','"y"']] (values raw). */
function challengeParams(value: string): Array<[string, string]> {
  const m = /^\s*(\S+)\s*(.*)$/.exec(value);
  if (!m) return [];
  const out: Array<[string, string]> = [[m[1]!, '']];
  const re = /\s*([^=\s,]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*,?/g;
  for (const p of m[2]!.matchAll(re)) out.push([p[1]!.toLowerCase(), p[2]!.trim()]);
  return out;
}

function asSet(values: readonly string[]): string {
  return [...values].map((v) => v.trim().toLowerCase()).sort().join(', ');
}

/** The Subscription-State reason we send for each cause (Asterisk sends none). */
const TERMINATION_REASON: Partial<Record<NotifyCause, string>> = {
  unsubscribe: 'timeout',
  expiry: 'timeout',
  'hint-removed': 'noresource',
  unload: 'deactivated',
};

// ---------------------------------------------------------------------------------------------
// THE TABLE: every difference from Asterisk's wire a golden replay accepts. Nothing else passes.

export const ALLOWED_DIFFERENCES = {
  // Difference: tags, branches, Call-IDs, CSeq numbers and ports differ. Call-IDs and tags are
  // mapped per dialog (ours must stay consistent with the dialog), CSeq must only increase, and
  // every expected value has the capture's ports replaced by this run's (see Rewriter).
  wireIdentifiers: {
    difference: 'tags/branches/Call-IDs/CSeq numbers/ports differ',
  },

  // Timing captures may use a short Expires (issue 4): with ReplayOptions.shortExpires the
  // capture's expiry (Expires, sub_min_expiry) is replayed scaled down, and so are the waits.
  // Applied by the Rewriter to both what we send and what we expect; no other value changes.
  shortExpires: {
    difference: 'timing-based captures (server-side expiry) replayed with a short Expires',
  },

  // Random per challenge on both sides (Asterisk's nonce and opaque differ on every run, like
  // tags): the 401's scheme, parameter names in order, realm, algorithm and qop are compared,
  // nonce and opaque only have to be there.
  digestNonce: {
    difference: 'digest nonce/opaque are random per challenge',
    header(name, asterisk, ours) {
      if (name !== 'WWW-Authenticate' || asterisk.length === 0) return undefined;
      const shape = (v: string) => challengeParams(v).map(([k, x]) => (k === 'nonce' || k === 'opaque' ? `${k}=${x === '' || x === '""' ? '(empty)' : '(random)'}` : `${k}=${x}`)).join(',');
      const expected = asterisk.map(shape).join(' | ');
      return ours.map(shape).join(' | ') === expected ? OK : want(expected);
    },
  },

  // Difference: PIDF <contact> holds the presentity URI, not the watcher's. Asterisk's must be
  // the watcher's (so the row cannot hide another change), ours the presentity (`entity`).
  pidfContact: {
    difference: 'PIDF <contact> holds the presentity URI (not the watcher\'s)',
    xmlText(node, parent, asterisk, ours, b) {
      if (node.namespace !== PIDF_NS || node.localName !== 'contact' || parent?.localName !== 'tuple') return undefined;
      if (asterisk !== b.watcherUri) return undefined;
      return ours === b.presentity ? OK : want(b.presentity);
    },
  },

  // Difference: 423 carries Min-Expires (the endpoint's sub_min_expiry); Asterisk's has none.
  minExpiresOn423: {
    difference: '423 carries Min-Expires',
    header(name, asterisk, ours, m) {
      if (name !== 'Min-Expires' || asterisk.length !== 0 || m.request === undefined) return undefined;
      if (m.status !== 423) return undefined;
      const expected = String(m.subMinExpiry);
      return ours.length === 1 && ours[0] === expected ? OK : want(expected);
    },
  },

  // Difference: 489 carries Allow-Events (the packages we serve); Asterisk's has none.
  allowEventsOn489: {
    difference: '489 carries Allow-Events',
    header(name, asterisk, ours, m) {
      if (name !== 'Allow-Events' || asterisk.length !== 0) return undefined;
      if (m.status !== 489) return undefined;
      const expected = asSet(['presence', 'dialog', ...(m.loaded('res_pjsip_mwi') ? ['message-summary'] : [])]);
      return ours.length > 0 && asSet(ours) === expected ? OK : want(expected);
    },
  },

  // Difference: Allow-Events lists only the packages tsterisk serves (no `refer`;
  // `message-summary` only when res_pjsip_mwi is loaded). Compared as a set: both sides list
  // them in module registration order, which carries no meaning.
  allowEventsServedOnly: {
    difference: 'Allow-Events lists only the packages tsterisk serves (no refer, message-summary only with res_pjsip_mwi)',
    header(name, asterisk, ours, m) {
      if (name !== 'Allow-Events' || asterisk.length === 0) return undefined;
      const expected = asSet(asterisk.filter((p) => servedByUs(p.trim().toLowerCase(), m.loaded)));
      return asSet(ours) === expected ? OK : want(expected);
    },
  },

  // Difference: terminated NOTIFYs carry a reason: timeout on expiry and unsubscribe,
  // noresource when the hint goes away, deactivated on unload/shutdown. Asterisk sends a bare
  // `terminated`.
  terminationReason: {
    difference: 'terminated NOTIFYs carry a reason (timeout / noresource / deactivated)',
    header(name, asterisk, ours, m) {
      if (name !== 'Subscription-State' || asterisk.length !== 1 || asterisk[0]!.trim().toLowerCase() !== 'terminated') return undefined;
      const reason = m.cause !== undefined ? TERMINATION_REASON[m.cause] : undefined;
      if (reason === undefined) return undefined;
      const expected = `terminated;reason=${reason}`;
      const s = ours.length === 1 ? parseSubscriptionState(ours[0]!) : null;
      return s !== null && s.state === 'terminated' && s.reason === reason ? OK : want(expected);
    },
  },

  // Timing, not behaviour: `active;expires=N` is the time left, which depends on how long each
  // run took. Both sides are checked against granted - elapsed (within 1 s); the granted value
  // itself is compared exactly through the 200's Expires.
  subscriptionStateTiming: {
    difference: 'Subscription-State expires= is the time left (runs take different times)',
    header(name, asterisk, ours, m) {
      if (name !== 'Subscription-State' || asterisk.length !== 1) return undefined;
      const a = parseSubscriptionState(asterisk[0]!);
      if (a === null || a.state !== 'active' || a.expires === null) return undefined;
      if (m.dialog.capGranted === undefined || m.dialog.ourGranted === undefined) return undefined;
      // The capture itself must fit the formula, or this row would hide something else.
      if (Math.abs(a.expires - (m.dialog.capGranted - m.capElapsedMs / 1000)) > 1) return undefined;
      const o = ours.length === 1 ? parseSubscriptionState(ours[0]!) : null;
      const left = m.dialog.ourGranted - m.ourElapsedMs / 1000;
      const expected = `active;expires=${Math.floor(left)} (±1)`;
      if (o === null || o.state !== 'active' || o.expires === null || o.reason !== null) return want(expected);
      if ([...o.params.keys()].some((k) => k !== 'expires')) return want(expected);
      return Math.abs(o.expires - left) <= 1 ? OK : want(expected);
    },
  },

  // Difference: a state-change NOTIFY only when the body changed. When Asterisk's body (with the
  // parts this table lets differ blanked) is the same as its previous one, ours may not come.
  notifyOnlyWhenBodyChanged: {
    difference: 'a state-change NOTIFY only when the body changed',
    notifyMayBeAbsent: (m, unchanged) => m.cause === 'change' && unchanged,
  },

  // Difference: refresh NOTIFYs are regenerated (dialog-info version increments instead of
  // repeating). dialog-info `version` is compared as a counter: 0 first, then ours must be our
  // previous + 1 where Asterisk's is its previous + 1 (NOTIFYs we left out under the row above
  // shift the numbers), and may be +1 on a refresh where Asterisk repeats it.
  regeneratedRefresh: {
    difference: 'refresh NOTIFYs are regenerated (dialog-info version increments instead of repeating)',
    xmlAttr(node, attr, asterisk, ours, b) {
      if (node.namespace !== DIALOG_INFO_NS || node.localName !== 'dialog-info' || attr !== 'version') return undefined;
      const a = Number(asterisk);
      let expected: number;
      if (b.capLastVersion === undefined) expected = a;
      else if (b.ourLastVersion === undefined) return undefined;
      else if (a === b.capLastVersion + 1) expected = b.ourLastVersion + 1;
      else if (a === b.capLastVersion && b.cause === 'refresh') expected = b.ourLastVersion + 1;
      else if (a === b.capLastVersion) expected = b.ourLastVersion;
      else return undefined;
      return Number(ours) === expected && /^\d+$/.test(ours) ? OK : want(String(expected));
    },
  },

  // Difference: Accept with q-values matched properly. Asterisk compares the whole Accept string
  // with its generators, so `application/pidf+xml;q=1` gets 489; we may answer 200 when the type
  // (without parameters) is one the package serves. The replay then checks that dialog's first
  // NOTIFY carries that type and unsubscribes it.
  acceptQValues: {
    difference: 'Accept with q-values matched properly',
    status(asterisk, ours, m) {
      if (asterisk !== 489 || ours !== 200 || m.request === undefined) return undefined;
      const accept = m.request.getHeaders('Accept');
      const entries = accept.length > 0 ? parseAccept(accept) : null;
      if (entries === null || !entries.some((e) => e.params.has('q'))) return undefined;
      return { then: 'unsubscribe' };
    },
  },

  // Difference: XPIDF atom ids are random. Any non-empty id passes (Asterisk's differ per body too).
  xpidfAtomId: {
    difference: 'XPIDF atom ids random',
    xmlAttr(node, attr, _asterisk, ours) {
      if (node.localName !== 'atom' || attr !== 'atomid') return undefined;
      return ours.trim() !== '' ? OK : want('a non-empty atomid');
    },
  },
} satisfies Record<string, AllowedDifference>;

type RowName = keyof typeof ALLOWED_DIFFERENCES;
const ROWS = Object.entries(ALLOWED_DIFFERENCES) as Array<[RowName, AllowedDifference]>;

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * The capture's values as this run spells them: its ports replaced by ours everywhere, and with
 * a short Expires (timing captures) its expiry replaced in Expires headers.
 */
export class Rewriter {
  constructor(
    private readonly map: ReadonlyArray<readonly [string, string]>,
    private readonly shortExpires?: { from: number; to: number },
  ) {}

  ports(text: string): string {
    let out = text;
    for (const [from, to] of this.map) out = out.split(from).join(to);
    return out;
  }

  header(name: string, value: string): string {
    const s = this.shortExpires;
    if (s && (name === 'Expires' || name === 'Min-Expires') && value.trim() === String(s.from)) return String(s.to);
    return this.ports(value);
  }
}

export interface Mismatch {
  where: string;
  asterisk: string;
  ours: string;
}

function fmt(m: Mismatch): string {
  return `${m.where}: Asterisk ${m.asterisk} | ours ${m.ours}`;
}

/** Rows used during a replay, for the report (shows which differences were exercised). */
export type Usage = Partial<Record<RowName, number>>;

function used(usage: Usage, row: RowName): void {
  usage[row] = (usage[row] ?? 0) + 1;
}

export function compareHeaders(asterisk: SipMessage, ours: SipMessage, m: MessageView, rw: Rewriter, out: Mismatch[], usage: Usage): void {
  for (const name of HEADERS_THAT_MATTER) {
    const a = asterisk.getHeaders(name).map((v) => rw.header(name, v));
    const o = ours.getHeaders(name);
    let decided = false;
    for (const [row, rule] of ROWS) {
      const verdict = rule.header?.(name, a, o, m);
      if (verdict === undefined) continue;
      decided = true;
      if (verdict.ok) {
        if (a.join(', ') !== o.join(', ')) used(usage, row);
      } else {
        out.push({ where: `${m.label} ${name}`, asterisk: JSON.stringify(a.join(', ')) + ` (ours may be: ${verdict.expected})`, ours: JSON.stringify(o.join(', ')) });
      }
      break;
    }
    if (!decided && a.join(', ') !== o.join(', ')) {
      out.push({ where: `${m.label} ${name}`, asterisk: a.length ? JSON.stringify(a.join(', ')) : '(absent)', ours: o.length ? JSON.stringify(o.join(', ')) : '(absent)' });
    }
  }
}

function nodePath(parentPath: string, node: XmlNode, siblings: readonly XmlNode[]): string {
  const same = siblings.filter((s) => s.name === node.name);
  return same.length > 1 ? `${parentPath}/${node.name}[${same.indexOf(node)}]` : `${parentPath}/${node.name}`;
}

function compareXmlNode(a: XmlNode, o: XmlNode, parent: XmlNode | null, where: string, b: BodyView, rw: Rewriter, out: Mismatch[], usage: Usage): void {
  if (a.name !== o.name || a.namespace !== o.namespace) {
    out.push({ where, asterisk: `<${a.name}> in ${a.namespace ?? 'no namespace'}`, ours: `<${o.name}> in ${o.namespace ?? 'no namespace'}` });
    return;
  }
  const an = a.attributes.map((x) => x.name).join(' ');
  const on = o.attributes.map((x) => x.name).join(' ');
  if (an !== on) out.push({ where: `${where} attributes (in order)`, asterisk: `[${an}]`, ours: `[${on}]` });
  for (const attr of a.attributes) {
    const mine = o.attributes.find((x) => x.name === attr.name);
    if (mine === undefined) continue;
    const av = rw.ports(attr.value);
    let decided = false;
    for (const [row, rule] of ROWS) {
      const verdict = rule.xmlAttr?.(a, attr.name, av, mine.value, b);
      if (verdict === undefined) continue;
      decided = true;
      if (verdict.ok) {
        if (av !== mine.value) used(usage, row);
      } else {
        out.push({ where: `${where}@${attr.name}`, asterisk: `${JSON.stringify(av)} (ours may be: ${verdict.expected})`, ours: JSON.stringify(mine.value) });
      }
      break;
    }
    if (!decided && av !== mine.value) out.push({ where: `${where}@${attr.name}`, asterisk: JSON.stringify(av), ours: JSON.stringify(mine.value) });
  }
  // Whitespace-only text is layout (both sides indent like pj_xml_print); other text is compared whole.
  const at = a.text.trim() === '' ? '' : rw.ports(a.text);
  const ot = o.text.trim() === '' ? '' : o.text;
  let decided = false;
  for (const [row, rule] of ROWS) {
    const verdict = rule.xmlText?.(a, parent, at, ot, b);
    if (verdict === undefined) continue;
    decided = true;
    if (verdict.ok) {
      if (at !== ot) used(usage, row);
    } else {
      out.push({ where: `${where} text`, asterisk: `${JSON.stringify(at)} (ours may be: ${verdict.expected})`, ours: JSON.stringify(ot) });
    }
    break;
  }
  if (!decided && at !== ot) out.push({ where: `${where} text`, asterisk: JSON.stringify(at), ours: JSON.stringify(ot) });
  if (a.children.length !== o.children.length) {
    out.push({ where: `${where} children`, asterisk: `[${a.children.map((c) => c.name).join(', ')}]`, ours: `[${o.children.map((c) => c.name).join(', ')}]` });
  }
  const n = Math.min(a.children.length, o.children.length);
  for (let i = 0; i < n; i++) {
    compareXmlNode(a.children[i]!, o.children[i]!, a, nodePath(where, a.children[i]!, a.children), b, rw, out, usage);
  }
}

/** Compares two bodies of one Content-Type: XML parsed, message-summary by line, others whole. */
export function compareBodies(contentType: string, asterisk: string, ours: string, where: string, b: BodyView, rw: Rewriter, out: Mismatch[], usage: Usage = {}): void {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type.endsWith('+xml') || type.endsWith('/xml')) {
    let ad, od;
    try {
      ad = readXml(asterisk);
    } catch (e) {
      out.push({ where: `${where} body`, asterisk: `unparsable (${(e as Error).message})`, ours: '-' });
      return;
    }
    try {
      od = readXml(ours);
    } catch (e) {
      out.push({ where: `${where} body`, asterisk: 'XML', ours: `unparsable (${(e as Error).message}): ${JSON.stringify(ours.slice(0, 200))}` });
      return;
    }
    if (ad.declaration !== od.declaration) out.push({ where: `${where} body XML declaration`, asterisk: JSON.stringify(ad.declaration), ours: JSON.stringify(od.declaration) });
    compareXmlNode(ad.root, od.root, null, `${where} body /${ad.root.name}`, b, rw, out, usage);
    return;
  }
  if (type === 'application/simple-message-summary') {
    // Lines with their CR kept: the line ends are part of what is compared.
    const al = rw.ports(asterisk).split('\n');
    const ol = ours.split('\n');
    for (let i = 0; i < Math.max(al.length, ol.length); i++) {
      if (al[i] !== ol[i]) out.push({ where: `${where} body line ${i + 1}`, asterisk: JSON.stringify(al[i] ?? '(none)'), ours: JSON.stringify(ol[i] ?? '(none)') });
    }
    return;
  }
  if (rw.ports(asterisk) !== ours) out.push({ where: `${where} body`, asterisk: JSON.stringify(rw.ports(asterisk)), ours: JSON.stringify(ours) });
}

/** Asterisk's body with every part a table row lets differ blanked: for "did the body change". */
function blankedBody(body: string): string {
  return body.replace(/atomid="[^"]*"/g, 'atomid=""').replace(/(<dialog-info\b[^>]*?\bversion=")\d+"/, '$1"');
}

function dialogInfoVersion(contentType: string | undefined, body: string): number | undefined {
  if (contentType?.toLowerCase() !== 'application/dialog-info+xml') return undefined;
  const m = /<dialog-info\b[^>]*?\bversion="(\d+)"/.exec(body);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The capture and its configuration

export type Step =
  | { kind: 'cli'; command: string; label: string }
  | { kind: 'message'; label: string; time: number; direction: 'SENT' | 'RECEIVED'; msg: SipMessage };

export interface Capture {
  file: string;
  steps: Step[];
  /** The watcher's and Asterisk's `ip:port` in the capture. */
  watcherAddr: string;
  asteriskAddr: string;
}

export function loadCapture(file: string): Capture {
  const full = path.join(ASTERISK_CAPTURES, file);
  const recs = readRecordedMessages(full);
  if (recs.length === 0) throw new Error(`${file}: no messages read`);
  const steps: Step[] = [];
  let cliNotes = 0;
  for (const r of recs) {
    for (const note of r.notes) {
      const pre = /^precondition: (.*?)(?: \(before capture start\))?$/.exec(note);
      if (pre) for (const c of pre[1]!.split(';')) steps.push({ kind: 'cli', command: c.trim(), label: `precondition of #${r.seq}` });
      const cli = /^CLI> (.*)$/.exec(note);
      if (cli) {
        cliNotes++;
        steps.push({ kind: 'cli', command: cli[1]!, label: `before #${r.seq}` });
      }
    }
    const parsed = parseMessage(r.raw);
    if (!parsed.ok) throw new Error(`${file} #${r.seq}: unparsable capture message`);
    steps.push({ kind: 'message', label: `${file} #${r.seq}`, time: r.time, direction: r.direction, msg: parsed.message });
  }
  // Annotations after the last message would be lost by the reader: make sure there are none.
  const inFile = (readFileSync(full, 'utf8').match(/^# CLI> /gm) ?? []).length;
  if (inFile !== cliNotes) throw new Error(`${file}: ${inFile} CLI annotations in the file, ${cliNotes} attached to a message`);
  const first = recs.find((r) => r.direction === 'SENT')!;
  return { file, steps, watcherAddr: first.src!, asteriskAddr: first.dst! };
}

export interface ReplayOptions {
  /**
   * Timing captures: the capture's expiry of `from` seconds is replayed as `to` seconds. Every
   * Expires `from` (sent and expected) and the config's sub_min_expiry=`from` become `to`, and
   * waits between messages scale by to/from.
   */
  shortExpires?: { from: number; to: number };
}

/** The capture's configs, only the ports changed: pjsip.conf binds ephemeral ports. */
export function captureConfig(opts: ReplayOptions = {}): { pjsip: string; extensions: string; modules: string } {
  const dir = path.join(ASTERISK_CAPTURES, 'configs');
  let pjsip = readFileSync(path.join(dir, 'pjsip.conf'), 'utf8').replace(/^(bind\s*=\s*127\.0\.0\.1):\d+$/gm, '$1:0');
  if (opts.shortExpires) {
    pjsip = pjsip.replace(new RegExp(`^(sub_min_expiry\\s*=\\s*)${opts.shortExpires.from}$`, 'gm'), `$1${opts.shortExpires.to}`);
  }
  return {
    pjsip,
    extensions: readFileSync(path.join(dir, 'extensions.conf'), 'utf8'),
    modules: readFileSync(path.join(dir, 'modules.conf'), 'utf8'),
  };
}

// ---------------------------------------------------------------------------------------------
// The replay

export interface ReplayReport {
  mismatches: string[];
  /** How often each table row let a difference pass. */
  usage: Usage;
  /** Expected messages compared, NOTIFYs we left out (allowed), CLI commands run. */
  compared: number;
  omitted: number;
  commands: number;
}

function noteCli(command: string): NotifyCause {
  if (/^(module unload|core stop)/.test(command)) return 'unload';
  if (/^(dialplan reload|core reload|module reload)/.test(command)) return 'hint-removed';
  return 'change';
}

function withTag(headerValue: string, tag: string | undefined): string {
  const bare = headerValue.replace(/;\s*tag=[^;>\s]*/i, '');
  return tag === undefined ? bare : `${bare};tag=${tag}`;
}

export async function replayCapture(file: string, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const cap = loadCapture(file);
  const conf = captureConfig(opts);
  const node: PjsipNode = await startPjsipNode(conf.pjsip, { 'extensions.conf': conf.extensions, 'modules.conf': conf.modules });
  const client = await TestSipClient.udp(node.udpPort);
  try {
    return await new Replay(cap, node, client, opts).run();
  } finally {
    client.close();
    await node.stop();
  }
}

interface Pending {
  request: SipRequest;
  dialog: DialogTrack;
  sentAt: number;
  capTime: number;
  result: Promise<SipResponse | Error>;
}

class Replay {
  private readonly out: Mismatch[] = [];
  private readonly usage: Usage = {};
  private readonly dialogs = new Map<string, DialogTrack>();
  private readonly pending = new Map<string, Pending>();
  private readonly consumed = new Set<string>();
  /** Our Call-IDs whose NOTIFYs are not expectations any more (dialogs we ended on our own). */
  private readonly ignoredCallIds = new Set<string>();
  private readonly rw: Rewriter;
  private readonly scale: number;
  private compared = 0;
  private omitted = 0;
  private commands = 0;
  private lastCapTime = 0;

  constructor(
    private readonly cap: Capture,
    private readonly node: PjsipNode,
    private readonly client: TestSipClient,
    opts: ReplayOptions,
  ) {
    this.rw = new Rewriter(
      [
        [cap.asteriskAddr, `127.0.0.1:${node.udpPort}`],
        [cap.watcherAddr, `127.0.0.1:${client.localPort}`],
      ],
      opts.shortExpires,
    );
    this.scale = opts.shortExpires ? opts.shortExpires.to / opts.shortExpires.from : 1;
  }

  private mismatch(where: string, asterisk: string, ours: string): void {
    this.out.push({ where, asterisk, ours });
  }

  private loaded = (module: string): boolean => this.node.node.loader.get(module) !== undefined;

  async run(): Promise<ReplayReport> {
    const steps = this.cap.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.kind === 'cli') {
        await this.runCli(step.command, step.label);
        // Asterisk sent nothing after this action (the next message is the watcher's, or the
        // capture ends): neither may we.
        const next = steps.slice(i + 1).find((s) => s.kind === 'message');
        if (next === undefined || next.direction === 'SENT') await this.expectSilence(`after CLI> ${step.command}`);
        continue;
      }
      const msg = step.msg;
      if (step.direction === 'SENT') {
        if (msg.kind === 'request') await this.send(msg, step);
        else this.checkOurAnswer(msg, step.label);
      } else if (msg.kind === 'response') {
        await this.expectResponse(msg, step.label);
      } else {
        await this.expectNotify(msg, step);
      }
      this.lastCapTime = step.time;
    }
    await this.expectSilence('at the end of the capture');
    return { mismatches: this.out.map(fmt), usage: this.usage, compared: this.compared, omitted: this.omitted, commands: this.commands };
  }

  private async runCli(command: string, label: string): Promise<void> {
    this.commands++;
    try {
      await this.node.run(command);
    } catch (e) {
      this.mismatch(`${this.cap.file} ${label} CLI> ${command}`, 'runs', `fails: ${(e as Error).message}`);
    }
    for (const d of this.dialogs.values()) d.pendingCause ??= noteCli(command);
  }

  // ---- the watcher's side ----------------------------------------------------------------

  private dialogFor(msg: SipMessage): DialogTrack {
    let d = this.dialogs.get(msg.callId);
    if (!d) {
      d = {
        capCallId: msg.callId,
        ourCallId: generateCallId('golden'),
        ourFromTag: generateTag(),
        watcherUri: msg.kind === 'request' ? msg.from.uri : msg.to.uri,
      };
      this.dialogs.set(msg.callId, d);
    }
    return d;
  }

  private async send(cap: SipRequest, step: Extract<Step, { kind: 'message' }>): Promise<void> {
    const d = this.dialogFor(cap);
    if (d.broken) return;
    if (cap.to.tag && d.ourNodeTag === undefined) {
      d.broken = `${step.label}: in-dialog request, but our node never established this dialog`;
      this.mismatch(step.label, 'in-dialog request in an established dialog', 'no dialog (see above)');
      return;
    }
    const req = new SipRequest(cap.method, this.rw.ports(cap.uri), cap.getAllHeaders(), cap.body.length > 0 ? cap.body : undefined);
    req.setHeader('Via', `SIP/2.0/UDP 127.0.0.1:${this.client.localPort};rport;branch=${generateBranch()}`);
    req.setHeader('Call-ID', d.ourCallId);
    req.setHeader('From', withTag(this.rw.ports(cap.getHeader('From')!), d.ourFromTag));
    req.setHeader('To', withTag(this.rw.ports(cap.getHeader('To')!), cap.to.tag ? d.ourNodeTag : undefined));
    const contact = cap.getHeader('Contact');
    if (contact !== undefined) req.setHeader('Contact', this.rw.ports(contact));
    const exp = cap.getHeader('Expires');
    if (exp !== undefined) req.setHeader('Expires', this.rw.header('Expires', exp));
    if (cap.method === 'SUBSCRIBE') {
      const e = exp === undefined ? undefined : Number(exp);
      d.pendingCause = !cap.to.tag ? 'initial' : e === 0 ? 'unsubscribe' : 'refresh';
    }
    const sentAt = Date.now();
    const result = this.client.send(req, RESPONSE_TIMEOUT_MS).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    this.pending.set(`${cap.callId} ${cap.cseq.seq} ${cap.method}`, { request: cap, dialog: d, sentAt, capTime: step.time, result });
  }

  /** The watcher's response to a NOTIFY: our client answers it (with 200) by itself. */
  private checkOurAnswer(res: SipResponse, label: string): void {
    if (res.status !== this.client.answerWith) this.mismatch(label, `watcher answered ${res.status}`, `our client answers ${String(this.client.answerWith)}`);
  }

  // ---- Asterisk's side ---------------------------------------------------------------------

  private view(label: string, d: DialogTrack, capTime: number, extra: Partial<MessageView> = {}): MessageView {
    const endpointId = /^sip:([^@]+)@/.exec(d.watcherUri)?.[1] ?? '';
    const ep = this.node.pjsip.endpoint(endpointId);
    return {
      label,
      dialog: d,
      loaded: this.loaded,
      subMinExpiry: ep === undefined ? undefined : Number(ep.sub_min_expiry),
      capElapsedMs: d.capRefTime === undefined ? 0 : (capTime - d.capRefTime) * 1000,
      ourElapsedMs: d.ourRefTime === undefined ? 0 : Date.now() - d.ourRefTime,
      ...extra,
    };
  }

  private async expectResponse(capRes: SipResponse, label: string): Promise<void> {
    const key = `${capRes.callId} ${capRes.cseq.seq} ${capRes.cseq.method}`;
    const p = this.pending.get(key);
    if (!p) {
      const d = this.dialogs.get(capRes.callId);
      if (d?.broken) return;
      throw new Error(`${label}: a response to a request the replay did not send`);
    }
    this.pending.delete(key);
    const ours = await p.result;
    if (ours instanceof Error) {
      this.mismatch(label, `${capRes.status} ${capRes.reason}`, ours.message);
      p.dialog.broken = `${label}: no response`;
      return;
    }
    this.compared++;
    const d = p.dialog;
    const m = this.view(label, d, p.capTime, { request: p.request, status: capRes.status });
    let follow: { then: 'unsubscribe' } | undefined;
    if (capRes.status !== ours.status) {
      for (const [row, rule] of ROWS) {
        follow = rule.status?.(capRes.status, ours.status, m);
        if (follow) {
          used(this.usage, row);
          break;
        }
      }
      if (!follow) this.mismatch(`${label} status`, `${capRes.status} ${capRes.reason}`, `${ours.status} ${ours.reason}`);
    } else {
      if (capRes.reason !== ours.reason) this.mismatch(`${label} reason phrase`, JSON.stringify(capRes.reason), JSON.stringify(ours.reason));
      compareHeaders(capRes, ours, m, this.rw, this.out, this.usage);
    }
    if (follow?.then === 'unsubscribe') {
      await this.unsubscribeDeviation(p, ours, label);
      return;
    }
    const capOk = capRes.status >= 200 && capRes.status < 300;
    const ourOk = ours.status >= 200 && ours.status < 300;
    if (capOk && !ourOk) {
      d.broken = `${label}: our node refused`;
      return;
    }
    if (!capOk && ourOk) {
      // We created a subscription Asterisk refused (already reported): end it so its NOTIFYs do
      // not stand in for later expectations.
      await this.endStray(p, ours);
      return;
    }
    if (capOk && p.request.method === 'SUBSCRIBE') {
      if (!p.request.to.tag) {
        d.capNodeTag = capRes.to.tag ?? undefined;
        d.ourNodeTag = ours.to.tag ?? undefined;
      }
      const granted = Number(capRes.getHeader('Expires'));
      if (granted > 0) {
        d.capGranted = granted;
        d.capRefTime = p.capTime;
        d.ourGranted = Number(ours.getHeader('Expires'));
        d.ourRefTime = p.sentAt;
      }
    }
  }

  /** Ends a subscription only we accepted: un-SUBSCRIBE, and its NOTIFYs are no expectations. */
  private async endStray(p: Pending, ours: SipResponse): Promise<void> {
    this.ignoredCallIds.add(p.dialog.ourCallId);
    const un = this.client.build('SUBSCRIBE', this.rw.ports(p.request.uri), {
      callId: p.dialog.ourCallId,
      fromUser: /^sip:([^@]+)@/.exec(p.dialog.watcherUri)?.[1] ?? 'watcher',
      fromTag: p.dialog.ourFromTag,
      toTag: ours.to.tag ?? '',
      cseq: p.request.cseq.seq + 1,
      headers: [['Contact', `<sip:watcher@127.0.0.1:${this.client.localPort}>`], ['Event', p.request.getHeader('Event') ?? 'presence'], ['Expires', '0']],
    });
    await this.client.send(un, RESPONSE_TIMEOUT_MS).catch(() => undefined);
    await new Promise((r) => setTimeout(r, QUIET_MS));
  }

  /** The Accept q-value row: our first NOTIFY must carry the accepted type; then unsubscribe. */
  private async unsubscribeDeviation(p: Pending, ours: SipResponse, label: string): Promise<void> {
    const entries = parseAccept(p.request.getHeaders('Accept')) ?? [];
    const types = entries.filter((e) => e.q > 0).map((e) => e.mediaType.toLowerCase());
    const first = await this.nextNotify(NOTIFY_TIMEOUT_MS, p.dialog.ourCallId);
    if (!first) this.mismatch(`${label} (accepted with q-values)`, '(489)', 'no NOTIFY after our 200');
    else if (!types.includes((first.getHeader('Content-Type') ?? '').toLowerCase())) {
      this.mismatch(`${label} (accepted with q-values) NOTIFY Content-Type`, `one of ${types.join(', ')}`, String(first.getHeader('Content-Type')));
    }
    await this.endStray(p, ours);
  }

  /** Next NOTIFY we received and did not use yet (retransmissions and ignored dialogs skipped). */
  private async nextNotify(timeoutMs: number, onlyCallId?: string): Promise<SipRequest | undefined> {
    const key = (r: SipRequest) => `${r.callId} ${r.cseq.seq}`;
    const pred = (r: SipRequest) => {
      if (r.method !== 'NOTIFY' || this.consumed.has(key(r))) return false;
      if (onlyCallId !== undefined) return r.callId === onlyCallId;
      return !this.ignoredCallIds.has(r.callId);
    };
    try {
      const r = await this.client.waitForRequest(pred, timeoutMs);
      this.consumed.add(key(r));
      return r;
    } catch {
      return undefined;
    }
  }

  private async expectSilence(when: string): Promise<void> {
    const extra = await this.nextNotify(QUIET_MS);
    if (extra) {
      this.mismatch(`${this.cap.file} ${when}`, 'no NOTIFY', `NOTIFY ${extra.getHeader('Subscription-State') ?? ''} ${JSON.stringify(extra.bodyText().slice(0, 300))}`);
    }
  }

  private async expectNotify(capReq: SipRequest, step: Extract<Step, { kind: 'message' }>): Promise<void> {
    const label = step.label;
    if (capReq.method !== 'NOTIFY') throw new Error(`${label}: Asterisk sent ${capReq.method}; the replay knows only NOTIFY`);
    const d = this.dialogs.get(capReq.callId);
    if (!d) throw new Error(`${label}: NOTIFY in a dialog the capture never opened`);
    if (d.broken) return;
    const capState = parseSubscriptionState(capReq.getHeader('Subscription-State') ?? '');
    let cause = d.pendingCause;
    if (cause === undefined) cause = capState?.state === 'terminated' ? 'expiry' : 'change';
    d.pendingCause = undefined;
    const capBody = capReq.bodyText();
    const unchanged = d.capLastBody !== undefined && blankedBody(capBody) === d.capLastBody;
    const m = this.view(label, d, step.time, { cause });
    const mayBeAbsent = ROWS.find(([, rule]) => rule.notifyMayBeAbsent?.(m, unchanged));
    const gapMs = Math.max(0, (step.time - this.lastCapTime) * 1000 * this.scale);
    const ours = await this.nextNotify(mayBeAbsent ? QUIET_MS : Math.max(NOTIFY_TIMEOUT_MS, gapMs + 1500));
    const capVersion = dialogInfoVersion(capReq.getHeader('Content-Type'), capBody);
    d.capLastBody = blankedBody(capBody);
    if (!ours) {
      if (mayBeAbsent) {
        used(this.usage, mayBeAbsent[0]);
        this.omitted++;
        if (capVersion !== undefined) d.capLastVersion = capVersion;
        return;
      }
      this.mismatch(label, `NOTIFY ${capReq.getHeader('Subscription-State') ?? ''}`, 'no NOTIFY');
      d.broken = `${label}: NOTIFY missing`;
      return;
    }
    this.compared++;
    if (ours.callId !== d.ourCallId) {
      this.mismatch(`${label} Call-ID`, `this dialog (${d.ourCallId})`, `${ours.callId} ${ours.getHeader('Subscription-State') ?? ''}`);
      return;
    }
    if (ours.uri !== this.rw.ports(capReq.uri)) this.mismatch(`${label} Request-URI`, this.rw.ports(capReq.uri), ours.uri);
    if (d.ourNodeTag !== undefined && ours.from.tag !== d.ourNodeTag) this.mismatch(`${label} From tag`, 'the tag of our 200', String(ours.from.tag));
    if (ours.to.tag !== d.ourFromTag) this.mismatch(`${label} To tag`, 'the watcher\'s From tag', String(ours.to.tag));
    if (d.ourLastCseq !== undefined && ours.cseq.seq <= d.ourLastCseq) this.mismatch(`${label} CSeq`, `> ${d.ourLastCseq}`, String(ours.cseq.seq));
    d.ourLastCseq = ours.cseq.seq;
    compareHeaders(capReq, ours, m, this.rw, this.out, this.usage);
    if (cause === 'expiry' && d.ourGranted !== undefined && d.ourRefTime !== undefined) {
      // Asterisk ends it when the granted time is up (t=+60.002 for Expires 60): so must we.
      const took = Date.now() - d.ourRefTime;
      if (took < d.ourGranted * 1000 - 50 || took > d.ourGranted * 1000 + 1000) {
        this.mismatch(`${label} expiry time`, `${d.ourGranted * 1000} ms after the SUBSCRIBE`, `${took} ms`);
      }
    }
    const type = capReq.getHeader('Content-Type');
    const ourType = ours.getHeader('Content-Type');
    if (type !== undefined && ourType !== undefined && type.toLowerCase() === ourType.toLowerCase()) {
      const entity = /\bentity="([^"]*)"/.exec(capBody)?.[1] ?? /<presentity uri="([^";]*)/.exec(capBody)?.[1] ?? '';
      const b: BodyView = {
        watcherUri: d.watcherUri,
        cause,
        presentity: this.rw.ports(entity),
        capLastVersion: d.capLastVersion,
        ourLastVersion: d.ourLastVersion,
      };
      compareBodies(type, capBody, ours.bodyText(), label, b, this.rw, this.out, this.usage);
    }
    // A different Content-Type is reported by the header comparison; its body is not compared.
    if (capVersion !== undefined) d.capLastVersion = capVersion;
    const ourVersion = dialogInfoVersion(ourType, ours.bodyText());
    if (ourVersion !== undefined) d.ourLastVersion = ourVersion;
  }
}
