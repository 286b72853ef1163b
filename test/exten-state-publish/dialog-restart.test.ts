/**
 * While the ESC holds a `terminated` dialog, every change and refresh of it starts a new
 * publication (res_pjsip_exten_state's needsNewPublication, the Publication's restart), checked
 * request by request at a scripted ESC (TestEsc on a real UDP socket): the old publication is
 * removed (Expires: 0, SIP-If-Match of its ETag), and only once that is answered a new initial
 * PUBLISH (new Call-ID, no SIP-If-Match) carries the state. Changes arriving while the remove
 * is in flight coalesce into that initial, changes during the initial go in the follow-up
 * modify. The trigger is the body the ESC holds, not the previous change. Presence (PIDF) is
 * never restarted. Refreshes run on sinon's fake clock (sockets stay real).
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { SipRequest } from '../../core/sip/message.js';
import { TestEsc } from '../res_pjsip_outbound_publish/esc.js';
import { sleep } from '../res_pjsip_outbound_publish/publish-node.js';
import { parseDialogInfo, parsePidf, startExtenStateNode, twoEscConf, type ExtenStateNode } from './exten-state-node.js';

const isRemove = (r: SipRequest) => r.getHeader('Expires') === '0';
const isInitial = (r: SipRequest) => r.getHeader('SIP-If-Match') === undefined && r.body.length > 0;
const dialogState = (r: SipRequest) => parseDialogInfo(r.bodyText()).dialogs.map((d) => d.state).join(',');

function conf(dialogEsc: TestEsc, presenceEsc: TestEsc): string {
  return twoEscConf(dialogEsc.uri, presenceEsc.uri, { context: '^users$', dialogExten: '^1000$', presenceExten: '^1000$' });
}

describe('res_pjsip_exten_state: a dialog leaving terminated is published anew (remove, then initial)', function () {
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

  /**
   * Delays the ESC's answers to the requests `which` picks (retransmissions stay unanswered
   * meanwhile); the map gets the SIP-ETag answered to each request.
   */
  function delay(esc: TestEsc, which: (r: SipRequest) => boolean, ms: number): Map<SipRequest, string> {
    const etags = new Map<SipRequest, string>();
    esc.always = (req, e) => {
      const answer = e.defaultAnswer(req);
      const etag = answer.headers?.find(([n]) => n === 'SIP-ETag')?.[1];
      if (etag !== undefined) etags.set(req, etag);
      return which(req) ? { ...answer, delayMs: ms } : answer;
    };
    return etags;
  }

  /** The ESC's publications of 1000 (one when nothing is interleaved). */
  const held = (esc: TestEsc) => [...esc.publications.values()].filter((p) => p.resource === '1000');

  async function started(): Promise<{ initial: SipRequest; etag: string }> {
    node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
    const [initial] = await dialogEsc.waitForRequests(1);
    await presenceEsc.waitForRequests(1);
    assert.equal(dialogState(initial!), 'terminated', 'an idle hint is a terminated dialog');
    const etag = held(dialogEsc)[0]?.etag;
    assert.ok(etag);
    return { initial: initial!, etag };
  }

  it('idle to in use: PUBLISH Expires 0 with the old ETag, then, once answered, an initial with confirmed; later changes are modifies', async () => {
    const { initial, etag } = await started();
    delay(dialogEsc, isRemove, 300);

    await node!.run('devstate change Custom:alice INUSE');
    const remove = (await dialogEsc.waitForRequests(2))[1]!;
    assert.equal(remove.getHeader('Expires'), '0');
    assert.equal(remove.getHeader('SIP-If-Match'), etag);
    assert.equal(remove.body.length, 0);
    assert.equal(remove.getHeader('Content-Type'), undefined);
    assert.equal(remove.getHeader('Call-ID'), initial.getHeader('Call-ID'), 'the remove ends the old publication');
    assert.ok(remove.cseq.seq > initial.cseq.seq);
    await sleep(150);
    assert.equal(dialogEsc.requests.length, 2, `nothing else while the remove is in flight:\n${dialogEsc.describe()}`);

    const fresh = (await dialogEsc.waitForRequests(3))[2]!;
    assert.ok(dialogEsc.times[2]! - dialogEsc.times[1]! >= 280, 'the initial waited for the answer to the remove');
    assert.equal(fresh.getHeader('SIP-If-Match'), undefined, 'a new initial PUBLISH');
    assert.notEqual(fresh.getHeader('Call-ID'), initial.getHeader('Call-ID'), 'a new publication');
    assert.notEqual(fresh.getHeader('Expires'), '0');
    assert.equal(fresh.getHeader('Content-Type'), 'application/dialog-info+xml');
    assert.equal(parseDialogInfo(fresh.bodyText()).state, 'full');
    assert.equal(dialogState(fresh), 'confirmed');
    await sleep(100);
    const now = held(dialogEsc);
    assert.equal(now.length, 1, 'the ESC holds one publication of 1000');
    assert.notEqual(now[0]!.etag, etag);
    assert.match(now[0]!.body, /<state>confirmed<\/state>/);

    // PIDF has no such case: a plain modify.
    const p = (await presenceEsc.waitForRequests(2))[1]!;
    assert.ok(p.getHeader('SIP-If-Match'));
    assert.deepEqual(parsePidf(p.bodyText()).notes, ['On the phone']);

    // Ringing, then idle again: modifies of the new publication (leaving confirmed needs nothing).
    await node!.run('devstate change Custom:alice RINGING');
    const ringing = (await dialogEsc.waitForRequests(4))[3]!;
    assert.equal(ringing.getHeader('SIP-If-Match'), now[0]!.etag);
    assert.equal(ringing.getHeader('Call-ID'), fresh.getHeader('Call-ID'));
    assert.equal(dialogState(ringing), 'early');
    await node!.run('devstate change Custom:alice NOT_INUSE');
    const idle = (await dialogEsc.waitForRequests(5))[4]!;
    assert.ok(idle.getHeader('SIP-If-Match'));
    assert.notEqual(idle.getHeader('Expires'), '0');
    assert.equal(dialogState(idle), 'terminated');
    await sleep(200);
    assert.equal(dialogEsc.requests.length, 5, dialogEsc.describe());
    assert.equal(presenceEsc.requests.filter(isRemove).length, 0, 'presence never removed');
  });

  it('changes during the remove coalesce into the new initial, changes during the initial go in the next modify; the latest state wins', async () => {
    const { etag } = await started();
    const etags = delay(dialogEsc, (r) => isRemove(r) || isInitial(r), 400);

    await node!.run('devstate change Custom:alice INUSE');
    const remove = (await dialogEsc.waitForRequests(2))[1]!;
    assert.equal(remove.getHeader('SIP-If-Match'), etag);
    // While the remove is in flight: ringing, then on hold. Only the latest goes out.
    await node!.run('devstate change Custom:alice RINGING');
    await node!.run('devstate change Custom:alice ONHOLD');
    const fresh = (await dialogEsc.waitForRequests(3))[2]!;
    assert.ok(isInitial(fresh), `an initial after the remove:\n${dialogEsc.describe()}`);
    assert.equal(dialogState(fresh), 'confirmed');
    assert.match(fresh.bodyText(), /\+sip\.rendering/, 'the on-hold body, not in use or ringing');

    // While the new initial is in flight: ringing. It follows as a modify of the new ETag.
    await node!.run('devstate change Custom:alice RINGING');
    const next = (await dialogEsc.waitForRequests(4))[3]!;
    assert.ok(dialogEsc.times[3]! - dialogEsc.times[2]! >= 380, 'the modify waited for the answer to the initial');
    assert.equal(next.getHeader('SIP-If-Match'), etags.get(fresh), 'SIP-If-Match: the ETag answered to the new initial');
    assert.equal(next.getHeader('Call-ID'), fresh.getHeader('Call-ID'));
    assert.equal(dialogState(next), 'early');
    await sleep(300);
    assert.equal(dialogEsc.requests.length, 4, `nothing more:\n${dialogEsc.describe()}`);
    const now = held(dialogEsc);
    assert.equal(now.length, 1);
    assert.match(now[0]!.body, /<state>early<\/state>/, 'the ESC holds the latest state');
  });

  it('the trigger is the body the ESC holds: an idle state coalesced away before it was sent starts nothing new', async () => {
    await started();
    // A new publication with confirmed first (idle to in use).
    await node!.run('devstate change Custom:alice INUSE');
    await dialogEsc.waitForRequests(3);
    await sleep(50);
    const etag = held(dialogEsc)[0]!.etag;

    // Ringing goes out (answer delayed); idle, then in use again, wait behind it and coalesce.
    delay(dialogEsc, (r) => r.body.length > 0, 300);
    await node!.run('devstate change Custom:alice RINGING');
    await dialogEsc.waitForRequests(4);
    await node!.run('devstate change Custom:alice NOT_INUSE');
    await node!.run('devstate change Custom:alice INUSE');
    const inUse = (await dialogEsc.waitForRequests(5))[4]!;
    await sleep(400);
    assert.equal(dialogEsc.requests.length, 5, `a modify, no remove:\n${dialogEsc.describe()}`);
    assert.equal(dialogEsc.requests.filter(isRemove).length, 1, 'only the first restart removed');
    assert.ok(inUse.getHeader('SIP-If-Match'));
    assert.notEqual(inUse.getHeader('SIP-If-Match'), etag, 'the ETag of the ringing modify');
    assert.equal(dialogState(inUse), 'confirmed');
  });

  it('terminated to terminated (idle to unavailable) is published anew too: Kamailio skips any modify of a terminated dialog', async () => {
    const { etag } = await started();
    await node!.run('devstate change Custom:alice UNAVAILABLE');
    const [, remove, fresh] = await dialogEsc.waitForRequests(3);
    assert.ok(isRemove(remove!));
    assert.equal(remove!.getHeader('SIP-If-Match'), etag);
    assert.ok(isInitial(fresh!));
    assert.equal(dialogState(fresh!), 'terminated');
    await sleep(200);
    assert.equal(dialogEsc.requests.length, 3, dialogEsc.describe());
  });

  describe('refreshes', () => {
    let clock: sinon.SinonFakeTimers | undefined;

    afterEach(() => {
      clock?.restore();
      clock = undefined;
    });

    /** Advances fake time in steps until `n` PUBLISH have arrived (real I/O happens between steps). */
    async function tickUntil(n: number, maxMs: number, stepMs = 1000): Promise<void> {
      for (let spent = 0; dialogEsc.requests.length < n; spent += stepMs) {
        if (spent > maxMs) throw new Error(`only ${dialogEsc.requests.length} of ${n} PUBLISH after ${maxMs} ms of fake time:\n${dialogEsc.describe()}`);
        await clock!.tickAsync(stepMs);
        await new Promise((r) => setImmediate(r));
      }
    }

    it('the refresh of a terminated dialog is a new publication with the same body; a confirmed one is refreshed plainly', async () => {
      dialogEsc.maxExpires = 60; // refresh after 54 s
      // The whole node on the fake clock (shouldAdvanceTime keeps it moving with real time).
      clock = sinon.useFakeTimers({ now: Date.now(), shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
      node = await startExtenStateNode(conf(dialogEsc, presenceEsc));
      const [initial] = await dialogEsc.waitForRequests(1);
      await sleep(100);
      const etag = held(dialogEsc)[0]!.etag;

      await tickUntil(3, 60000);
      const [, remove, fresh] = dialogEsc.requests;
      assert.ok(isRemove(remove!), `a remove instead of a refresh:\n${dialogEsc.describe()}`);
      assert.equal(remove!.getHeader('SIP-If-Match'), etag);
      assert.ok(isInitial(fresh!));
      assert.notEqual(fresh!.getHeader('Call-ID'), initial!.getHeader('Call-ID'));
      assert.equal(fresh!.bodyText(), initial!.bodyText(), 'the body the ESC held, again');
      await clock.tickAsync(100);
      assert.equal(held(dialogEsc).length, 1);

      // In use: published anew (the ESC held terminated); its refresh is a plain refresh.
      await node.run('devstate change Custom:alice INUSE');
      await tickUntil(5, 5000, 100);
      assert.equal(dialogState(dialogEsc.requests[4]!), 'confirmed');
      await tickUntil(6, 60000);
      const refresh = dialogEsc.requests[5]!;
      assert.ok(refresh.getHeader('SIP-If-Match'));
      assert.equal(refresh.body.length, 0, 'a refresh: no body');
      assert.equal(refresh.getHeader('Expires'), '3600');
      assert.equal(refresh.getHeader('Call-ID'), dialogEsc.requests[4]!.getHeader('Call-ID'));
    });
  });
});
