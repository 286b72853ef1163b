/**
 * The start-up dump of a multi_user=yes extension-state publish is paced: with 500 hints the
 * ESC (TestEsc on a real UDP socket, answering each PUBLISH 50 ms late) never has more than
 * MAX_INITIALS_IN_FLIGHT initial PUBLISHes unanswered, yet every hint is published once, several
 * at a time. A hint that changes while its start-up state is still queued goes out once, with
 * the new state, ahead of the rest of the dump.
 */
import assert from 'node:assert/strict';
import type { PublishClient } from '../../modules/res_pjsip_outbound_publish/client.js';
import { MAX_INITIALS_IN_FLIGHT } from '../../modules/res_pjsip_outbound_publish/initial-pacer.js';
import type { OutboundPublishService } from '../../modules/res_pjsip_outbound_publish/service.js';
import { TestEsc } from '../res_pjsip_outbound_publish/esc.js';
import { sleep } from '../res_pjsip_outbound_publish/publish-node.js';
import { extenStatePublish, parseDialogInfo, startExtenStateNode, UDP_TRANSPORT, type ExtenStateNode } from './exten-state-node.js';

const HINTS = 500;
const FIRST = 2000;
const ANSWER_DELAY_MS = 50;

function extensions(): string {
  let text = '[users]\n';
  for (let i = 0; i < HINTS; i++) text += `exten => ${FIRST + i},hint,Custom:d${i}\n`;
  return text;
}

describe('res_pjsip_outbound_publish: the start-up dump of 500 hints is paced', function () {
  this.timeout(30000);
  let esc: TestEsc;
  let node: ExtenStateNode | undefined;

  beforeEach(async () => {
    esc = await TestEsc.start();
  });

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    esc.close();
  });

  it(`keeps at most ${MAX_INITIALS_IN_FLIGHT} initial PUBLISHes in flight and publishes every hint once`, async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    esc.always = (req, e) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Registered before the ESC's own timer of the same delay: counted down as it answers.
      setTimeout(() => inFlight--, ANSWER_DELAY_MS);
      return { ...e.defaultAnswer(req), delayMs: ANSWER_DELAY_MS };
    };
    const conf = UDP_TRANSPORT + extenStatePublish('esc-dialog', { server: esc.uri, event: 'dialog', body: 'application/dialog-info+xml', context: '^users$', exten: '^2' });
    node = await startExtenStateNode(conf, undefined, extensions());
    const service = node.node.core.services.get('outbound_publish') as OutboundPublishService;
    const client = service.client('esc-dialog') as PublishClient;

    // The last hint changes while its start-up state still waits in the queue.
    const last = String(FIRST + HINTS - 1);
    await esc.waitForRequests(1);
    assert.ok(client.dumpQueued > 0, 'the dump is still being fed');
    assert.ok(!client.listPublications().some(([r]) => r === last), `${last} not handed to a publication yet`);
    await node.run(`devstate change Custom:d${HINTS - 1} INUSE`);

    const reqs = await esc.waitForRequests(HINTS, 20000);
    await sleep(3 * ANSWER_DELAY_MS);
    assert.equal(esc.requests.length, HINTS, 'one PUBLISH per hint, nothing more');
    const users = reqs.map((r) => r.requestUri?.user);
    assert.equal(new Set(users).size, HINTS, 'every hint once');
    assert.ok(reqs.every((r) => r.getHeader('SIP-If-Match') === undefined), 'all initial PUBLISHes');

    assert.ok(maxInFlight <= MAX_INITIALS_IN_FLIGHT, `at most ${MAX_INITIALS_IN_FLIGHT} unanswered at the ESC, saw ${maxInFlight}`);
    assert.ok(maxInFlight >= MAX_INITIALS_IN_FLIGHT / 2, `several at a time, saw ${maxInFlight}`);
    assert.ok(client.pacer.maxInFlight <= MAX_INITIALS_IN_FLIGHT, `client held ${client.pacer.maxInFlight} slots`);
    assert.equal(client.pacer.held, 0, 'every slot given back');
    assert.equal(client.dumpQueued, 0);

    // The changed hint: one initial with the new state, not the queued idle one, before the dump ended.
    const lastReqs = reqs.filter((r) => r.requestUri?.user === last);
    assert.equal(lastReqs.length, 1);
    assert.deepEqual(parseDialogInfo(lastReqs[0]!.bodyText()).dialogs.map((d) => d.state), ['confirmed']);
    assert.ok(users.indexOf(last) < HINTS - MAX_INITIALS_IN_FLIGHT, `${last} went ahead of the rest of the dump (index ${users.indexOf(last)})`);
    assert.equal(parseDialogInfo(reqs[0]!.bodyText()).dialogs[0]!.state, 'terminated');
  });
});
