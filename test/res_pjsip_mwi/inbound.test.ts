/** Inbound MWI end to end: a voicemail server NOTIFYs us out of dialog; the mailbox follows. */
import assert from 'node:assert/strict';
import type { PjsipNode } from '../res_pjsip/pjsip-node.js';
import { TestSipClient } from '../support/sip-client.js';
import { bodyLines, expectedLines, register, startMwiNode, TRANSPORTS, waitNotifies } from './mwi-node.js';

const CONF = `
[global]
type = global
default_voicemail_extension = *97
${TRANSPORTS}
[vmserver]
type = endpoint
incoming_mwi_mailbox = 3000@default

[nomailbox]
type = endpoint

[defaultctx]
type = endpoint
incoming_mwi_mailbox = 3100

[secure]
type = endpoint
auth = secure
incoming_mwi_mailbox = 3200@default

[secure]
type = auth
username = secure
password = s3cret

[phone]
type = endpoint
aors = phone
mailboxes = 3000@default

[phone]
type = aor
max_contacts = 1
`;

const BODY = 'Messages-Waiting: yes\r\nMessage-Account: sip:*97@vm.example\r\nVoice-Message: 5/2 (1/0)\r\n';
const SMS = 'application/simple-message-summary';

describe('res_pjsip_mwi inbound MWI NOTIFY', function () {
  this.timeout(20000);
  let n: PjsipNode;
  let vm: TestSipClient;
  beforeEach(async () => {
    n = await startMwiNode(CONF);
    vm = await TestSipClient.udp(n.udpPort);
  });
  afterEach(async () => {
    vm.close();
    await n.stop();
  });

  const notify = (fromUser: string, o: { body?: string; type?: string; event?: string | null; credentials?: { username: string; password: string } } = {}) =>
    vm.request('NOTIFY', `sip:pbx@127.0.0.1:${n.udpPort}`, {
      fromUser,
      body: o.body ?? BODY,
      contentType: o.type ?? SMS,
      headers: o.event === null ? [] : [['Event', o.event ?? 'message-summary'], ['Subscription-State', 'terminated']],
      ...(o.credentials ? { credentials: o.credentials } : {}),
    });

  it('updates incoming_mwi_mailbox from the body, and the mailbox\'s phones are told', async () => {
    const phone = await TestSipClient.udp(n.udpPort);
    try {
      await register(phone, n, 'phone');
      await waitNotifies(phone, 1);
      const res = await notify('vmserver');
      assert.equal(res.status, 200);
      assert.deepEqual(n.node.core.mailboxes.get('3000@default'), { new: 5, old: 2, urgent: 1 });
      const got = await waitNotifies(phone, 2);
      assert.deepEqual(bodyLines(got[1]!).map((l) => l.replace(/\(1\/0\)/, '(0/0)')), expectedLines(5, 2, `sip:*97@127.0.0.1:${n.udpPort}`));
      assert.match(bodyLines(got[1]!)[2]!, /\(1\/0\)$/, 'the urgent count travels on');
      // Persisted like `mwi update`: `mwi show` lists it as local.
      assert.match(await n.run('mwi show'), /\s5\s+2\s+1 3000@default/);
    } finally {
      phone.close();
    }
  });

  it('takes a body without an Event header, and a mailbox without a context as @default', async () => {
    assert.equal((await notify('defaultctx', { event: null, body: 'Voice-Message: 0/9\r\n' })).status, 200);
    assert.deepEqual(n.node.core.mailboxes.get('3100@default'), { new: 0, old: 9, urgent: 0 });
  });

  it('answers 404 without incoming_mwi_mailbox, 400 for a body without counts, 415 for another body, 489 for another event', async () => {
    assert.equal((await notify('nomailbox')).status, 404);
    assert.equal((await notify('vmserver', { body: 'Messages-Waiting: yes\r\n\r\n' })).status, 400);
    const r415 = await notify('vmserver', { type: 'text/plain' });
    assert.equal(r415.status, 415);
    assert.equal(r415.getHeader('Accept'), SMS);
    assert.equal((await notify('vmserver', { event: 'check-sync' })).status, 489);
    assert.equal(n.node.core.mailboxes.has('3000@default'), false, 'nothing was stored');
  });

  it('is identified and authenticated first: unknown senders and wrong passwords never reach the mailbox', async () => {
    assert.equal((await notify('stranger')).status, 401);
    assert.equal((await notify('secure')).status, 401);
    assert.equal((await notify('secure', { credentials: { username: 'secure', password: 'wrong' } })).status, 403);
    assert.equal(n.node.core.mailboxes.has('3200@default'), false);
    assert.equal((await notify('secure', { credentials: { username: 'secure', password: 's3cret' } })).status, 200);
    assert.deepEqual(n.node.core.mailboxes.get('3200@default'), { new: 5, old: 2, urgent: 1 });
  });
});
