/**
 * res_pjsip_exten_state publishing to a scripted ESC (TestEsc): the hints of [users] that match
 * @context/@exten are PUBLISHed at start, one publication per extension (multi_user=yes), state
 * changes go out as modify PUBLISHes with SIP-If-Match, except that a dialog leaving
 * `terminated` starts a new publication (remove, then initial: Kamailio ignores modifies of a
 * terminated dialog; see dialog-restart.test.ts for the details), the [other] context and
 * filtered extensions never go out, and after a restart the current states go out again. Bodies
 * are read field by field and laid out as the Asterisk capture exten-state-publish-dialog-info.txt
 * shows.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { SipRequest } from '../../core/sip/message.js';
import { readRecordedMessages, RECORDED_DIR } from '../support/recorded-messages.js';
import { waitFor } from '../support/peers.js';
import { parseMessage } from '../../core/sip/parser.js';
import { TestEsc } from '../res_pjsip_outbound_publish/esc.js';
import { sleep } from '../res_pjsip_outbound_publish/publish-node.js';
import { parseDialogInfo, parsePidf, startExtenStateNode, twoEscConf, type ExtenStateNode } from './exten-state-node.js';

const CAPTURE = path.join(RECORDED_DIR, 'asterisk', 'exten-state-publish-dialog-info.txt');

/** The PUBLISH bodies of the Asterisk capture by `### n`. */
function capturedBody(seq: number): string {
  const m = readRecordedMessages(CAPTURE).find((r) => r.seq === seq);
  if (!m) throw new Error(`no message ${seq} in ${CAPTURE}`);
  const p = parseMessage(m.raw);
  if (!p.ok || p.message.kind !== 'request') throw new Error(`message ${seq} is not a request`);
  return p.message.bodyText();
}

const userOf = (r: SipRequest) => r.requestUri?.user;
const toUser = (r: SipRequest) => /<sip:([^@>]+)@/.exec(r.getHeader('To') ?? '')?.[1];

function conf(dialogEsc: TestEsc, presenceEsc: TestEsc): string {
  return twoEscConf(dialogEsc.uri, presenceEsc.uri, { context: '^users', dialogExten: '^100', presenceExten: '^1000' });
}

describe('res_pjsip_exten_state: publishing extension state to an ESC', function () {
  this.timeout(20000);
  let dialogEsc: TestEsc;
  let presenceEsc: TestEsc;
  let node: ExtenStateNode | undefined;

  beforeEach(async () => {
    dialogEsc = await TestEsc.start();
    presenceEsc = await TestEsc.start();
  });

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    dialogEsc.close();
    presenceEsc.close();
  });

  /** The newest PUBLISH for `exten` at `esc`, after `from`. */
  const lastFor = (esc: TestEsc, exten: string, from = 0) => esc.requests.slice(from).filter((r) => userOf(r) === exten).at(-1);
  const etagOf = (esc: TestEsc, exten: string) => [...esc.publications.values()].find((p) => p.resource === exten)?.etag;

  it('publishes the matching hints at start, one publication per extension, and no other context', async () => {
    node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
    const reqs = await dialogEsc.waitForRequests(2);
    await sleep(300);
    assert.equal(dialogEsc.requests.length, 2, `only 1000 and 1001 of [users]:\n${dialogEsc.describe()}`);
    assert.deepEqual(reqs.map(userOf).sort(), ['1000', '1001']);
    for (const r of reqs) {
      const exten = userOf(r)!;
      assert.equal(toUser(r), exten, 'To user is the extension');
      assert.equal(r.getHeader('Event'), 'dialog');
      assert.equal(r.getHeader('SIP-If-Match'), undefined, 'an initial PUBLISH');
      assert.equal(r.getHeader('Content-Type'), 'application/dialog-info+xml');
      const d = parseDialogInfo(r.bodyText());
      assert.equal(d.namespace, 'urn:ietf:params:xml:ns:dialog-info');
      assert.equal(d.version, 0, `first version of ${exten}`);
      assert.equal(d.state, 'full');
      assert.equal(d.entity, `sip:${exten}@127.0.0.1:${dialogEsc.port}`);
      assert.deepEqual(d.dialogs.map((x) => [x.id, x.state, x.hasLocal]), [[exten, 'terminated', false]]);
    }
    // Different Call-IDs: each extension is its own publication.
    assert.notEqual(reqs[0]!.getHeader('Call-ID'), reqs[1]!.getHeader('Call-ID'));

    const p = await presenceEsc.waitForRequests(1);
    await sleep(200);
    assert.deepEqual(presenceEsc.requests.map(userOf), ['1000'], `@exten=^1000 leaves 1001 out:\n${presenceEsc.describe()}`);
    assert.equal(p[0]!.getHeader('Event'), 'presence');
    assert.equal(p[0]!.getHeader('Content-Type'), 'application/pidf+xml');
    const pidf = parsePidf(p[0]!.bodyText());
    assert.deepEqual(pidf.basic, ['open']);
    assert.deepEqual(pidf.notes, ['Ready']);
    assert.equal(pidf.entity, `sip:1000@127.0.0.1:${presenceEsc.port}`);

    // carol (1000@other) and bob (1001, filtered for presence) change: nothing new at either ESC for them.
    await node.run('devstate change Custom:carol INUSE');
    await node.run('devstate change Custom:bob INUSE');
    // bob leaves terminated: his publication is removed, then published anew.
    const bob = await dialogEsc.waitForRequests(4);
    await sleep(300);
    assert.equal(dialogEsc.requests.length, 4, `only bob's change at the dialog ESC:\n${dialogEsc.describe()}`);
    assert.deepEqual(bob.slice(2).map(userOf), ['1001', '1001']);
    assert.equal(bob[2]!.getHeader('Expires'), '0');
    assert.equal(parseDialogInfo(bob[3]!.bodyText()).dialogs[0]!.state, 'confirmed');
    assert.equal(presenceEsc.requests.length, 1, `presence ESC got more:\n${presenceEsc.describe()}`);
  });

  it('a state change is a modify PUBLISH (SIP-If-Match) with the new state and the next version', async () => {
    node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
    await dialogEsc.waitForRequests(2);
    await presenceEsc.waitForRequests(1);
    const presenceEtag = etagOf(presenceEsc, '1000');
    assert.ok(presenceEtag);

    // Idle to in use: the terminated dialog is replaced by a new publication (remove, initial).
    await node.run('devstate change Custom:alice INUSE');
    const [remove, d] = (await dialogEsc.waitForRequests(4)).slice(2);
    assert.deepEqual([userOf(remove!), userOf(d!)], ['1000', '1000']);
    assert.equal(remove!.getHeader('Expires'), '0');
    assert.equal(d!.getHeader('SIP-If-Match'), undefined);
    const di = parseDialogInfo(d!.bodyText());
    assert.equal(di.version, 1);
    assert.deepEqual(di.dialogs.map((x) => [x.id, x.state, x.hasLocal]), [['1000', 'confirmed', false]]);
    const dialogEtag = etagOf(dialogEsc, '1000');
    assert.ok(dialogEtag);

    const p = (await presenceEsc.waitForRequests(2))[1]!;
    assert.equal(p.getHeader('SIP-If-Match'), presenceEtag);
    const pidf = parsePidf(p.bodyText());
    assert.deepEqual(pidf.basic, ['open']);
    assert.deepEqual(pidf.notes, ['On the phone']);
    assert.ok(pidf.activities.includes('on-the-phone'), `activities: ${pidf.activities.join(',')}`);

    // Ringing: a modify of the new publication; early, direction=recipient and no <local> (as
    // the capture, ### 13).
    await node.run('devstate change Custom:alice RINGING');
    const r = (await dialogEsc.waitForRequests(5))[4]!;
    assert.equal(r.getHeader('SIP-If-Match'), dialogEtag);
    assert.equal(r.getHeader('Call-ID'), d!.getHeader('Call-ID'), 'same publication');
    assert.ok(r.cseq.seq > d!.cseq.seq);
    const ri = parseDialogInfo(r.bodyText());
    assert.equal(ri.version, 2);
    assert.deepEqual(ri.dialogs.map((x) => [x.id, x.direction, x.state, x.hasLocal]), [['1000', 'recipient', 'early', false]]);
    // 1001's version is its own.
    await node.run('devstate change Custom:bob INUSE');
    const b = (await dialogEsc.waitForRequests(7))[6]!;
    assert.equal(userOf(b), '1001');
    assert.equal(parseDialogInfo(b.bodyText()).version, 1);
  });

  it('bodies are laid out as the Asterisk capture (idle, confirmed, ringing, on hold)', async () => {
    node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
    await dialogEsc.waitForRequests(2);
    const ours = new Map<string, string>();
    ours.set('idle', lastFor(dialogEsc, '1000')!.bodyText());
    const steps: Array<[string, string]> = [
      ['INUSE', 'inuse'],
      ['RINGING', 'ringing'],
      ['ONHOLD', 'onhold'],
    ];
    for (const [state, key] of steps) {
      const n = dialogEsc.requests.length;
      await node.run(`devstate change Custom:alice ${state}`);
      // Leaving idle is a remove (no body) and a new initial: the body is in the last request.
      const want = state === 'INUSE' ? n + 2 : n + 1;
      ours.set(key, (await dialogEsc.waitForRequests(want))[want - 1]!.bodyText());
    }
    const captured: Record<string, number> = { idle: 3, inuse: 11, ringing: 13, onhold: 15 };
    for (const [key, seq] of Object.entries(captured)) {
      const theirs = parseDialogInfo(capturedBody(seq));
      const mine = parseDialogInfo(ours.get(key)!);
      assert.equal(mine.namespace, theirs.namespace, key);
      assert.deepEqual(mine.attributeOrder, theirs.attributeOrder, `${key}: root attributes`);
      assert.equal(mine.state, theirs.state, key);
      // The capture's entity is the extension at the from_uri host:port.
      assert.equal(mine.entity!.replace(/:\d+$/, ''), theirs.entity!.replace(/:\d+$/, ''), `${key}: entity`);
      assert.deepEqual(
        mine.dialogs,
        theirs.dialogs,
        `${key}: dialog elements\nours:\n${ours.get(key)}\ncapture:\n${capturedBody(seq)}`,
      );
      // Element layout: declaration, one space indentation per level, as in the capture.
      assert.equal(ours.get(key)!.replace(/version="\d+"/, '').replace(/:\d+"/g, '"').trim(), capturedBody(seq).replace(/version="\d+"/, '').replace(/:\d+"/g, '"').trim(), `${key}: text`);
    }
  });

  it('after a restart the current states are PUBLISHed at start, not only later changes', async () => {
    node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
    await dialogEsc.waitForRequests(2);
    await presenceEsc.waitForRequests(1);
    await node.run('devstate change Custom:alice INUSE');
    await dialogEsc.waitForRequests(4); // remove and new initial of 1000 (it leaves terminated)
    await presenceEsc.waitForRequests(2);

    const dFrom = dialogEsc.requests.length;
    const pFrom = presenceEsc.requests.length;
    const callIds = new Set([...dialogEsc.requests, ...presenceEsc.requests].map((r) => r.getHeader('Call-ID')));
    node = await node.restart();
    // What the old node still sends on its way out (its device states going unavailable while
    // modules unload) is left aside: the new node's publications have new Call-IDs.
    const fresh = (esc: TestEsc, from: number) => esc.requests.slice(from).filter((r) => !callIds.has(r.getHeader('Call-ID')));
    const after = await waitFor(() => {
      const f = fresh(dialogEsc, dFrom);
      return new Set(f.map(userOf)).size === 2 ? f : undefined;
    }, `new publications of 1000 and 1001:\n${dialogEsc.describe()}`);
    // The first requests after a restart carry the full state: 1000 in use, 1001 idle.
    const byExten = new Map(after.map((r) => [userOf(r)!, r]));
    assert.equal(parseDialogInfo(byExten.get('1000')!.bodyText()).dialogs[0]!.state, 'confirmed');
    assert.equal(parseDialogInfo(byExten.get('1001')!.bodyText()).dialogs[0]!.state, 'terminated');
    assert.equal(byExten.get('1000')!.getHeader('SIP-If-Match'), undefined, 'a new initial PUBLISH');
    const p = await waitFor(() => fresh(presenceEsc, pFrom)[0], 'a new presence publication');
    assert.equal(userOf(p), '1000');
    assert.deepEqual(parsePidf(p.bodyText()).notes, ['On the phone']);

    // And changes keep going out after the restart.
    const n = dialogEsc.requests.length;
    await node.run('devstate change Custom:alice NOT_INUSE');
    const c = (await dialogEsc.waitForRequests(n + 1))[n]!;
    assert.equal(userOf(c), '1000');
    assert.ok(c.getHeader('SIP-If-Match'));
    assert.equal(parseDialogInfo(c.bodyText()).dialogs[0]!.state, 'terminated');
  });
});
