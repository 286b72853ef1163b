/**
 * Replays the golden Asterisk RLS captures (rls-presence-list.txt, rls-dialog-list.txt) against
 * a node configured like the capture: the watcher's SUBSCRIBEs go out with the captured headers
 * (Event, the three Accepts, Supported: eventlist, Expires), the captured CLI actions run
 * between them, and each answer and NOTIFY is compared with Asterisk's: status, Expires,
 * Require, Event, Subscription-State, the Content-Type parameters, the RLMI field by field and
 * the whole multipart body byte for byte once the random parts (boundary, Content-IDs, instance
 * ids) and the port are put aside.
 *
 * Known, documented differences the comparison allows: our Content-Type adds `start`; final
 * NOTIFYs say `terminated;reason=...`; a dialog-info body re-sent on refresh is generated again
 * (its version moves on) where Asterisk re-sends the last text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMediaType, parseSubscriptionState, unquote } from '../../core/sip/header-values.js';
import type { SipMessage, SipRequest, SipResponse } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';
import { TestSipClient } from '../support/sip-client.js';
import { parseListBody, type ListBody } from './rls-support.js';

const ASTERISK = path.join(RECORDED_DIR, 'asterisk');
const CAPTURE_PORT = '5160';

// The capture's pjsip.conf, reduced to what these scenarios use; pidf_contact=watcher gives
// Asterisk's PIDF <contact> (we default to the presentity).
const PJSIP = `
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[watcher]
type = endpoint
context = blf
allow_subscribe = yes
sub_min_expiry = 60
pidf_contact = watcher

[blf-list]
type = resource_list
event = presence
list_item = 1000
list_item = 1001

[blf-list-dialog]
type = resource_list
event = dialog
list_item = 1000
list_item = 1001
`;

function parsed(raw: Buffer): SipMessage {
  const r = parseMessage(raw);
  assert.ok(r.ok, 'capture message parses');
  return r.message;
}

/** Boundary, Content-IDs and instance ids replaced by placeholders in order of appearance; our port by the capture's. */
function normalizeBody(body: string, boundary: string, port: string): string {
  const cids = new Map<string, string>();
  return body
    .split(`--${boundary}`)
    .join('--BOUNDARY')
    .split(`127.0.0.1:${port}`)
    .join(`127.0.0.1:${CAPTURE_PORT}`)
    .replace(/\b([a-z]{5})@127\.0\.0\.1\b/g, (_m, id: string) => {
      if (!cids.has(id)) cids.set(id, `CID${cids.size}`);
      return `${cids.get(id)!}@127.0.0.1`;
    })
    .replace(/ id="[a-z]{5}"/g, ' id="ID"')
    // The port's length changes part lengths; each part's length is checked against its bytes
    // when it is parsed, and pjsip's five-column padding here.
    .replace(/Content-Length: ( *\d+)\r\n/g, (_m, v: string) => `Content-Length: ${v.length >= 5 ? 'N' : `BAD(${v})`}\r\n`);
}

function boundaryOf(contentType: string): string {
  const mt = parseMediaType(contentType);
  assert.ok(mt);
  return unquote(mt.params.get('boundary') ?? '');
}

function compareLists(ours: ListBody, theirs: ListBody, port: string, what: string, mask: (body: string) => string): void {
  const norm = (u: string) => u.split(`127.0.0.1:${port}`).join(`127.0.0.1:${CAPTURE_PORT}`);
  assert.equal(norm(ours.rlmi.uri), theirs.rlmi.uri, `${what}: RLMI uri`);
  assert.equal(ours.rlmi.version, theirs.rlmi.version, `${what}: RLMI version`);
  assert.equal(ours.rlmi.fullState, theirs.rlmi.fullState, `${what}: fullState`);
  assert.equal(ours.rlmi.name, theirs.rlmi.name, `${what}: list name`);
  assert.deepEqual(
    ours.rlmi.resources.map((r) => ({ uri: norm(r.uri), name: r.name, states: r.instances.map((i) => i.state), reasons: r.instances.map((i) => i.reason) })),
    theirs.rlmi.resources.map((r) => ({ uri: r.uri, name: r.name, states: r.instances.map((i) => i.state), reasons: r.instances.map((i) => i.reason) })),
    `${what}: resources`,
  );
  for (const r of theirs.rlmi.resources) {
    const mine = ours.byUri.get(r.uri.split(`127.0.0.1:${CAPTURE_PORT}`).join(`127.0.0.1:${port}`));
    const theirsPart = theirs.byUri.get(r.uri)!;
    assert.ok(mine, `${what}: part for ${r.uri}`);
    assert.equal(mine.contentType, theirsPart.contentType, `${what}: part Content-Type of ${r.uri}`);
    assert.deepEqual([...mine.headers.keys()], [...theirsPart.headers.keys()], `${what}: part header order of ${r.uri}`);
    assert.equal(mask(norm(mine.body)), mask(theirsPart.body), `${what}: body of ${r.uri}`);
  }
}

async function replay(file: string, dialogInfo: boolean): Promise<void> {
  const n: PjsipNode = await startPjsipNode(PJSIP, { 'extensions.conf': readFileSync(path.join(ASTERISK, 'configs', 'extensions.conf'), 'utf8') });
  const c = await TestSipClient.udp(n.udpPort);
  const port = String(n.udpPort);
  try {
    // The capture's precondition.
    await n.run('devstate change Custom:alice NOT_INUSE');
    await n.run('devstate change Custom:bob NOT_INUSE');
    await n.run('presencestate change CustomPresence:bob AVAILABLE');
    const recorded = readRecordedMessages(path.join(ASTERISK, file));
    assert.ok(recorded.length >= 18, 'capture read');
    let ok: SipResponse | undefined;
    let pendingResponse: Promise<SipResponse> | undefined;
    let notifies = 0;
    let subscribes = 0;
    let regenerated = false;
    const lastVersion = new Map<string, number>();
    const nthNotify = (k: number) => c.waitForRequest(() => c.received.filter((r) => r.method === 'NOTIFY').length >= k).then(() => c.received.filter((r) => r.method === 'NOTIFY')[k - 1]!);
    for (const rec of recorded) {
      for (const note of rec.notes) if (note.startsWith('CLI> ')) await n.run(note.slice(5));
      const m = parsed(rec.raw);
      const what = `${file} #${rec.seq}`;
      if (rec.direction === 'SENT') {
        if (m.kind !== 'request') continue; // our client answers NOTIFYs itself
        assert.equal(m.method, 'SUBSCRIBE');
        subscribes++;
        const headers: Array<[string, string]> = [['Contact', c.contact]];
        for (const h of ['Event', 'Accept', 'Supported', 'Expires']) for (const v of m.getHeaders(h)) headers.push([h, v]);
        const user = m.requestUri!.user!;
        pendingResponse = c.request('SUBSCRIBE', `sip:${user}@127.0.0.1:${port}`, {
          fromUser: 'watcher',
          headers,
          cseq: m.cseq.seq,
          ...(ok ? { callId: ok.callId, fromTag: ok.from.tag!, toTag: ok.to.tag! } : {}),
        });
        continue;
      }
      if (m.kind === 'response') {
        const res = await pendingResponse!;
        if (!ok) ok = res;
        assert.equal(res.status, m.status, `${what}: status`);
        assert.equal(res.getHeader('Expires'), m.getHeader('Expires'), `${what}: Expires`);
        assert.equal(res.getHeader('Require'), m.getHeader('Require'), `${what}: Require`);
        continue;
      }
      const theirs = m as SipRequest;
      assert.equal(theirs.method, 'NOTIFY');
      const ours = await nthNotify(++notifies);
      assert.equal(ours.callId, ok!.callId, `${what}: in the dialog`);
      assert.equal(ours.getHeader('Event'), theirs.getHeader('Event'), `${what}: Event`);
      assert.equal(ours.getHeader('Require'), theirs.getHeader('Require'), `${what}: Require`);
      const sOurs = parseSubscriptionState(ours.getHeader('Subscription-State')!)!;
      const sTheirs = parseSubscriptionState(theirs.getHeader('Subscription-State')!)!;
      assert.equal(sOurs.state, sTheirs.state, `${what}: Subscription-State`);
      if (sTheirs.expires !== undefined && sTheirs.expires !== null) assert.ok(Math.abs(sOurs.expires! - sTheirs.expires) <= 1, `${what}: expires ${sOurs.expires} vs ${sTheirs.expires}`);
      const ctOurs = parseMediaType(ours.getHeader('Content-Type')!)!;
      const ctTheirs = parseMediaType(theirs.getHeader('Content-Type')!)!;
      assert.equal(ctOurs.mediaType, ctTheirs.mediaType, `${what}: Content-Type`);
      assert.equal(ctOurs.params.get('type'), ctTheirs.params.get('type'), `${what}: type parameter`);
      assert.match(ctOurs.params.get('boundary') ?? '', /^[a-z]{5}$/, `${what}: boundary`);
      assert.match(unquote(ctOurs.params.get('start') ?? ''), /^<[a-z]{5}@127\.0\.0\.1>$/, `${what}: start (ours only)`);
      const lOurs = parseListBody(ours.getHeader('Content-Type')!, ours.bodyText());
      const lTheirs = parseListBody(theirs.getHeader('Content-Type')!, theirs.bodyText());
      // Asterisk re-sends the last dialog-info text on refresh; we render again, so from the
      // refresh on our dialog-info versions run one ahead: compared as counters (+1 on the
      // refresh, repeated on the final NOTIFY), the rest of each body byte for byte.
      const refresh = dialogInfo && lTheirs.rlmi.fullState === 'true' && lTheirs.rlmi.version > 0 && sTheirs.state === 'active';
      if (refresh) regenerated = true;
      const maskVersions: boolean = dialogInfo && regenerated;
      const mask = (t: string): string => (maskVersions ? t.replace(/(<dialog-info [^>]*)version="\d+"/g, '$1version="V"') : t);
      compareLists(lOurs, lTheirs, port, what, mask);
      if (dialogInfo) {
        for (const r of lOurs.rlmi.resources) {
          const v = Number(/<dialog-info [^>]*version="(\d+)"/.exec(lOurs.byUri.get(r.uri)!.body)![1]);
          const before = lastVersion.get(r.uri);
          if (refresh) assert.equal(v, before! + 1, `${what}: ${r.uri} regenerated on refresh`);
          else if (sOurs.state === 'terminated') assert.equal(v, before, `${what}: ${r.uri} repeated on the final NOTIFY`);
          lastVersion.set(r.uri, v);
        }
      }
      const a = mask(normalizeBody(ours.bodyText(), boundaryOf(ours.getHeader('Content-Type')!), port));
      const b = mask(normalizeBody(theirs.bodyText(), boundaryOf(theirs.getHeader('Content-Type')!), CAPTURE_PORT));
      assert.equal(a, b, `${what}: the multipart body, byte for byte`);
      const atCapturePort = ours.bodyText().split(`127.0.0.1:${port}`).join(`127.0.0.1:${CAPTURE_PORT}`);
      assert.equal(Buffer.byteLength(atCapturePort), Number(theirs.getHeader('Content-Length')), `${what}: body length`);
    }
    assert.equal(subscribes, 3);
    assert.equal(notifies, 6);
  } finally {
    c.close();
    await n.stop();
  }
}

describe('res_pjsip_pubsub: resource lists against the Asterisk captures', function () {
  this.timeout(30000);

  it('rls-presence-list.txt: SUBSCRIBE, three partial changes, refresh, unsubscribe', async () => {
    await replay('rls-presence-list.txt', false);
  });

  it('rls-dialog-list.txt: the same with dialog-info parts', async () => {
    await replay('rls-dialog-list.txt', true);
  });
});
