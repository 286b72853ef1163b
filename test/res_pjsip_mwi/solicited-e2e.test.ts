/**
 * Solicited MWI end to end through res_pjsip_pubsub: a phone SUBSCRIBEs `Event: message-summary`
 * to an AOR, replaying mwi-message-summary.txt (the Asterisk capture) step by step.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { SipRequest } from '../../core/sip/message.js';
import { parseMessage } from '../../core/sip/parser.js';
import type { PjsipNode } from '../res_pjsip/pjsip-node.js';
import { RECORDED_DIR, readRecordedMessages } from '../support/recorded-messages.js';
import { TestSipClient } from '../support/sip-client.js';
import { bodyLines, expectNoMoreNotifies, expectedLines, notifies, startMwiNode, TRANSPORTS, waitNotifies } from './mwi-node.js';

/** The capture's pjsip.conf, on ephemeral ports. */
const CONF = `
[global]
type = global
default_voicemail_extension = *97
${TRANSPORTS}
[watcher]
type = endpoint
context = blf
allow_subscribe = yes
sub_min_expiry = 60
aors = vm1000, empty

[vm1000]
type = aor
mailboxes = 1000@default

[empty]
type = aor
`;

/** Each step of the capture: the CLI equivalent of its AMI action and the body Asterisk then sent. */
function captureSteps(): Array<{ cli: string; body: string }> {
  const steps: Array<{ cli: string; body: string }> = [];
  let pending: string | undefined;
  for (const m of readRecordedMessages(path.join(RECORDED_DIR, 'asterisk', 'mwi-message-summary.txt'))) {
    for (const note of m.notes) {
      const upd = /MWIUpdate\s+Mailbox:\s+(\S+)\s+NewMessages:\s+(\d+)\s+OldMessages:\s+(\d+)/.exec(note);
      const del = /MWIDelete\s+Mailbox:\s+(\S+)/.exec(note);
      if (upd) pending = `mwi update ${upd[1]} ${upd[2]} ${upd[3]}`;
      else if (del) pending = `mwi delete mailbox ${del[1]}`;
    }
    const p = parseMessage(m.raw);
    if (pending && p.ok && p.message.kind === 'request' && p.message.method === 'NOTIFY') {
      steps.push({ cli: pending, body: p.message.bodyText() });
      pending = undefined;
    }
  }
  return steps;
}

describe('res_pjsip_mwi solicited, through res_pjsip_pubsub', function () {
  this.timeout(20000);
  let n: PjsipNode;
  let c: TestSipClient;
  beforeEach(async () => {
    n = await startMwiNode(CONF);
    c = await TestSipClient.udp(n.udpPort);
  });
  afterEach(async () => {
    c.close();
    await n.stop();
  });

  const subscribe = (resource: string, o: { expires?: number; toTag?: string; callId?: string; fromTag?: string; cseq?: number } = {}) =>
    c.request('SUBSCRIBE', `sip:${resource}@127.0.0.1:${n.udpPort}`, {
      fromUser: 'watcher',
      headers: [
        ['Contact', `<sip:watcher@127.0.0.1:${c.localPort}>`],
        ['Event', 'message-summary'],
        ['Accept', 'application/simple-message-summary'],
        ['Expires', String(o.expires ?? 600)],
      ],
      ...(o.toTag ? { toTag: o.toTag } : {}),
      ...(o.callId ? { callId: o.callId } : {}),
      ...(o.fromTag ? { fromTag: o.fromTag } : {}),
      ...(o.cseq ? { cseq: o.cseq } : {}),
    });

  it('replays mwi-message-summary.txt: SUBSCRIBE, every count change, refresh and unsubscribe', async () => {
    const steps = captureSteps();
    assert.equal(steps.length, 6, 'MWIUpdate 2/1, 3/1, 3/1, 0/4, MWIDelete, 1/0');
    const account = `sip:*97@127.0.0.1:${n.udpPort}`;
    const ours = (body: string) => body.replace('127.0.0.1:5160', `127.0.0.1:${n.udpPort}`);

    const ok = await subscribe('vm1000');
    assert.equal(ok.status, 200);
    assert.equal(ok.getHeader('Expires'), '600');
    const [first] = await waitNotifies(c, 1);
    assert.equal(first!.getHeader('Event'), 'message-summary');
    assert.match(first!.getHeader('Subscription-State')!, /^active;expires=(599|600)$/);
    assert.equal(first!.getHeader('Content-Type'), 'application/simple-message-summary');
    assert.deepEqual(bodyLines(first!), expectedLines(0, 0, account));

    let count = 1;
    let last = first!.bodyText();
    for (const step of steps) {
      await n.run(step.cli);
      if (ours(step.body) === last) {
        // Asterisk sends a NOTIFY even for identical counts (3/1 twice in the capture);
        // res_pjsip_pubsub may skip an unchanged body. Either way nothing new is said.
        await new Promise((r) => setTimeout(r, 200));
        count = notifies(c).length;
        for (const r of notifies(c).slice(-1)) assert.equal(r.bodyText(), last);
        continue;
      }
      const got = await waitNotifies(c, count + 1);
      count++;
      const r = got[count - 1]!;
      assert.equal(r.bodyText(), ours(step.body), step.cli);
      assert.equal(r.callId, first!.callId, 'in the dialog');
      last = r.bodyText();
    }
    assert.deepEqual(bodyLines(notifies(c).at(-1)!), expectedLines(1, 0, account));

    // In-dialog refresh (Expires 300): 200, then a full-state NOTIFY.
    const dialog = { toTag: ok.to.tag!, callId: ok.callId, fromTag: ok.from.tag! };
    const refresh = await subscribe('vm1000', { ...dialog, expires: 300, cseq: 2 });
    assert.equal(refresh.status, 200);
    const afterRefresh = await waitNotifies(c, count + 1);
    count++;
    assert.match(afterRefresh[count - 1]!.getHeader('Subscription-State')!, /^active;expires=(299|300)$/);
    assert.deepEqual(bodyLines(afterRefresh[count - 1]!), expectedLines(1, 0, account));

    // Unsubscribe: the final NOTIFY still carries the counts.
    const bye = await subscribe('vm1000', { ...dialog, expires: 0, cseq: 3 });
    assert.equal(bye.status, 200);
    const final = (await waitNotifies(c, count + 1))[count]!;
    assert.match(final.getHeader('Subscription-State')!, /^terminated/);
    assert.deepEqual(bodyLines(final), expectedLines(1, 0, account));
    await n.run('mwi update 1000@default 9 9');
    await expectNoMoreNotifies(c, count + 1);
  });

  it('answers 404 to an unknown AOR and to an AOR without mailboxes', async () => {
    assert.equal((await subscribe('vm9999')).status, 404);
    assert.equal((await subscribe('empty')).status, 404);
    await expectNoMoreNotifies(c, 0, 100);
  });

  it('keeps the module loaded while a subscription lives; a forced unload ends it with deactivated', async () => {
    assert.equal((await subscribe('vm1000')).status, 200);
    await waitNotifies(c, 1);
    await assert.rejects(n.run('module unload res_pjsip_mwi'), /use count 1/);
    await n.run('module unload -f res_pjsip_mwi');
    const got: SipRequest[] = await waitNotifies(c, 2);
    assert.equal(got[1]!.getHeader('Subscription-State'), 'terminated;reason=deactivated');
    assert.equal(n.node.core.subscriptionHandlers.has('message-summary'), false);
    assert.equal(n.pjsip.allow().includes('NOTIFY'), false);
    await n.run('mwi update 1000@default 1 1');
    await expectNoMoreNotifies(c, 2);
  });
});
