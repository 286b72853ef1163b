/**
 * The message-summary subscription handler's decisions and data, called directly the way
 * res_pjsip_pubsub calls them, against a real node's pjsip.conf objects and mailbox engine.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { messageSummaryBodyGenerator } from '../../core/pubsub/bodies/message-summary.js';
import { renderBody } from '../../core/pubsub/bodies/render.js';
import type { MessageAccumulator } from '../../core/pubsub/body-data.js';
import type { PubsubEndpoint, Subscription, TerminationReason } from '../../core/pubsub/types.js';
import { startMwi, type MwiRuntime } from '../../modules/res_pjsip_mwi/engine.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { NO_MWI_MODULES_CONF } from './mwi-node.js';

const TRANSPORTS = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0
`;

const CONF = `
[global]
type = global
default_voicemail_extension = *97
${TRANSPORTS}
[watcher]
type = endpoint
aors = vm1000, vm2000, nobox

[vm1000]
type = aor
mailboxes = 1000@default

[vm2000]
type = aor
mailboxes = 2000, 2001@default
voicemail_extension = 8500

[nobox]
type = aor

[other]
type = endpoint
aors = other-aor

[other-aor]
type = aor
mailboxes = 7000
voicemail_extension = 7000vm

[mixed]
type = endpoint
aors = vm1000
mailboxes = 1000@default

[replacer]
type = endpoint
aors = vm1000, vm2000
mailboxes = 1000@default, 3000@default
mwi_subscribe_replaces_unsolicited = yes
`;

interface FakeSub extends Subscription<'message_accumulator'> {
  notified: number;
  terminated: TerminationReason[];
}

function fakeSub(endpoint: PubsubEndpoint, resource: string, port: number): FakeSub {
  return {
    id: `sub-${resource}`,
    eventName: 'message-summary',
    bodyKind: 'message_accumulator',
    resource,
    endpoint,
    mediaType: 'application/simple-message-summary',
    localUri: resource ? `sip:${resource}@127.0.0.1:${port}` : `sip:127.0.0.1:${port}`,
    remoteUri: 'sip:watcher@127.0.0.1',
    userAgent: 'test',
    data: new Map(),
    persistent: {},
    bodyState: { version: 0 },
    notified: 0,
    terminated: [],
    notify() {
      this.notified++;
    },
    terminate(reason: TerminationReason) {
      this.terminated.push(reason);
    },
  };
}

const body = (acc: MessageAccumulator | undefined) => (acc ? renderBody(messageSummaryBodyGenerator, [], acc) : undefined);

describe('res_pjsip_mwi subscription handler', function () {
  this.timeout(20000);
  let n: PjsipNode;
  let mwi: MwiRuntime;
  const ep = (name: string) => n.pjsip.endpoint(name)! as unknown as PubsubEndpoint;
  const update = (box: string, nw: number, old: number) => n.run(`mwi update ${box} ${nw} ${old}`);

  beforeEach(async () => {
    n = await startPjsipNode(CONF, { 'modules.conf': NO_MWI_MODULES_CONF });
    mwi = startMwi({ core: n.node.core, pjsip: n.pjsip, log: n.node.core.log });
  });
  afterEach(async () => {
    mwi.stop();
    await n.stop();
  });

  describe('newSubscribe', () => {
    it('accepts an AOR with mailboxes by name, also one of another endpoint (as Asterisk)', () => {
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), 'vm1000'), 200);
      assert.equal(mwi.handler.newSubscribe(ep('other'), 'vm1000'), 200);
    });

    it('accepts the voicemail_extension of one of the endpoint\'s AORs, case-insensitively, and only its own', () => {
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), '8500'), 200);
      assert.equal(mwi.handler.newSubscribe(ep('other'), '7000VM'), 200);
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), '7000vm'), 404, 'another endpoint\'s extension');
    });

    it('answers 404 for an unknown AOR and for an AOR without mailboxes', () => {
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), 'vm9999'), 404);
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), 'nobox'), 404);
    });

    it('accepts an empty resource (all the endpoint\'s AORs), even with no mailbox at all', () => {
      assert.equal(mwi.handler.newSubscribe(ep('watcher'), ''), 200);
      assert.equal(mwi.handler.newSubscribe({ id: 'ghost', aors: ['nobox'] } as unknown as PubsubEndpoint, ''), 200);
    });

    it('answers 500 when the endpoint gets those mailboxes unsolicited, unless mwi_subscribe_replaces_unsolicited', () => {
      assert.equal(mwi.handler.newSubscribe(ep('mixed'), 'vm1000'), 500);
      assert.equal(mwi.handler.newSubscribe(ep('mixed'), ''), 500);
      assert.equal(mwi.handler.newSubscribe(ep('replacer'), 'vm1000'), 200);
      assert.equal(mwi.handler.newSubscribe(ep('mixed'), 'vm2000'), 200, 'no overlap');
    });
  });

  describe('getNotifyData', () => {
    it('sums the AOR\'s mailboxes, with Message-Account from the subscription URI and the global default extension', async () => {
      await update('1000@default', 2, 1);
      const sub = fakeSub(ep('watcher'), 'vm1000', 5160);
      mwi.handler.subscriptionEstablished(sub);
      assert.equal(body(mwi.handler.getNotifyData(sub)), 'Messages-Waiting: yes\r\nMessage-Account: sip:*97@127.0.0.1:5160\r\nVoice-Message: 2/1 (0/0)\r\n');
    });

    it('uses the AOR\'s voicemail_extension and sums several mailboxes', async () => {
      await update('2000@default', 1, 4);
      await update('2001@default', 0, 3);
      await update('1000@default', 9, 9);
      for (const resource of ['vm2000', '8500']) {
        const sub = fakeSub(ep('watcher'), resource, 5160);
        mwi.handler.subscriptionEstablished(sub);
        const acc = mwi.handler.getNotifyData(sub)!;
        assert.deepEqual(acc, { newMsgs: 1, oldMsgs: 7, urgentNew: 0, urgentOld: 0, messageAccount: 'sip:8500@127.0.0.1:5160' }, resource);
      }
    });

    it('sums every AOR of the endpoint for an empty resource, without Message-Account', async () => {
      await update('1000@default', 1, 1);
      await update('2000@default', 2, 2);
      await update('2001@default', 3, 3);
      const sub = fakeSub(ep('watcher'), '', 5160);
      mwi.handler.subscriptionEstablished(sub);
      assert.deepEqual(mwi.handler.getNotifyData(sub), { newMsgs: 6, oldMsgs: 6, urgentNew: 0, urgentOld: 0 });
    });

    it('has no Message-Account when no extension is configured', async () => {
      writeFileSync(path.join(n.dir, 'pjsip.conf'), CONF.replace('default_voicemail_extension = *97', ''));
      await n.run('module reload res_pjsip');
      const sub = fakeSub(ep('watcher'), 'vm1000', 5160);
      mwi.handler.subscriptionEstablished(sub);
      assert.equal(mwi.handler.getNotifyData(sub)!.messageAccount, undefined);
    });
  });

  describe('watching', () => {
    it('notifies on every change of a watched mailbox (identical counts too) and on nothing else', async () => {
      const sub = fakeSub(ep('watcher'), 'vm2000', 5160);
      mwi.handler.subscriptionEstablished(sub);
      await update('2000@default', 1, 0);
      await update('2001@default', 1, 0);
      await update('2001@default', 1, 0);
      assert.equal(sub.notified, 3);
      await update('1000@default', 5, 0);
      await update('2002@default', 5, 0);
      assert.equal(sub.notified, 3);
      await n.run('mwi delete mailbox 2000@default');
      assert.equal(sub.notified, 4);
      assert.deepEqual(mwi.handler.getNotifyData(sub), { newMsgs: 1, oldMsgs: 0, urgentNew: 0, urgentOld: 0, messageAccount: 'sip:8500@127.0.0.1:5160' });
      mwi.handler.subscriptionShutdown(sub);
      await update('2000@default', 7, 0);
      assert.equal(sub.notified, 4, 'not after shutdown');
      assert.equal(mwi.handler.subscriptions.size, 0);
    });

    it('applies AOR changes of a reload to live subscriptions (mailbox added, then all removed)', async () => {
      const sub = fakeSub(ep('watcher'), 'vm1000', 5160);
      mwi.handler.subscriptionEstablished(sub);
      await update('1500@default', 4, 0);
      assert.equal(sub.notified, 0);
      writeFileSync(path.join(n.dir, 'pjsip.conf'), CONF.replace('mailboxes = 1000@default\n\n[vm2000]', 'mailboxes = 1000@default, 1500\n\n[vm2000]'));
      await n.run('module reload res_pjsip');
      assert.ok(sub.notified >= 1, 'a NOTIFY for the new mailbox set');
      assert.equal(mwi.handler.getNotifyData(sub)!.newMsgs, 4);
      const before = sub.notified;
      await update('1500@default', 5, 0);
      assert.equal(sub.notified, before + 1, 'the new mailbox is watched');

      writeFileSync(path.join(n.dir, 'pjsip.conf'), CONF.replace('mailboxes = 1000@default\n\n[vm2000]', '\n[vm2000]'));
      await n.run('module reload res_pjsip');
      assert.deepEqual(sub.terminated, ['noresource']);
    });

    it('suppresses the endpoint\'s unsolicited MWI for the subscribed mailboxes while it lives (replaces=yes)', () => {
      const u = mwi.unsolicited;
      assert.equal(u.isSuppressed('replacer', '1000@default'), false);
      const a = fakeSub(ep('replacer'), 'vm1000', 5160);
      const b = fakeSub(ep('replacer'), '', 5160);
      mwi.handler.subscriptionEstablished(a);
      mwi.handler.subscriptionEstablished(b);
      assert.equal(u.isSuppressed('replacer', '1000@default'), true);
      assert.equal(u.isSuppressed('replacer', '3000@default'), false, 'not subscribed: still unsolicited');
      assert.equal(u.isSuppressed('replacer', '2000@default'), false, 'never unsolicited');
      mwi.handler.subscriptionShutdown(a);
      assert.equal(u.isSuppressed('replacer', '1000@default'), true, 'the other subscription still covers it');
      mwi.handler.subscriptionShutdown(b);
      assert.equal(u.isSuppressed('replacer', '1000@default'), false);
    });
  });
});
