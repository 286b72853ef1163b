/**
 * A publication started anew on the event publisher's word (needsNewPublication): the remove of
 * the old publication and the new initial PUBLISH under a difficult ESC. A 412 to the remove
 * counts as removed, a 500 is retried with back-off before anything else goes out, a remove of
 * the resource or a stop meanwhile ends it without a new initial. The publisher is asked with
 * the body the ESC accepted last and the change about to go out.
 */
import assert from 'node:assert/strict';
import type { PublishBody } from '../../core/pubsub/types.js';
import type { SipRequest } from '../../core/sip/message.js';
import { TestEsc } from './esc.js';
import { pidf, sleep, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

function conf(esc: TestEsc): string {
  return `${UDP_TRANSPORT}
[pres]
type = outbound-publish
server_uri = sip:127.0.0.1:${esc.port}
event = presence
multi_user = yes
`;
}

const GONE = '<note>gone</note>';
/** A publisher whose "gone" state the ESC would not modify (as Kamailio with a terminated dialog). */
const leavesGone = (published: PublishBody, next: PublishBody | undefined) => next !== undefined && published.text.includes(GONE) && !next.text.includes(GONE);
const isRemove = (r: SipRequest) => r.getHeader('Expires') === '0';

describe('res_pjsip_outbound_publish: a new publication on the event publisher\'s word (remove, then initial)', function () {
  this.timeout(20000);
  let esc: TestEsc;
  let node: PublishNode | undefined;
  let pub: TestPublisher;

  beforeEach(async () => {
    esc = await TestEsc.start();
    node = await startPublishNode(conf(esc));
    pub = new TestPublisher('presence');
    pub.newPublicationWhen = leavesGone;
    node.register(pub);
    pub.set('1000', pidf('1000', 'gone'));
    await esc.waitForRequests(1);
    await sleep(30);
  });

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    esc.close();
  });

  it('asks with the body the ESC holds and the change; a 412 to the remove counts as removed and the new initial follows', async () => {
    const [initial] = esc.requests;
    esc.script.push(() => ({ status: 412, reason: 'Conditional Request Failed' }));
    pub.set('1000', pidf('1000', 'back'));
    const [, remove, fresh] = await esc.waitForRequests(3);
    assert.deepEqual(pub.newPublicationAsked, [{ published: pidf('1000', 'gone'), next: pidf('1000', 'back') }]);
    assert.ok(isRemove(remove!));
    assert.equal(remove!.getHeader('SIP-If-Match'), 'et100');
    assert.equal(fresh!.getHeader('SIP-If-Match'), undefined);
    assert.notEqual(fresh!.getHeader('Call-ID'), initial!.getHeader('Call-ID'));
    assert.equal(fresh!.bodyText(), pidf('1000', 'back'));
    // The next change is asked about with "back" held: a plain modify.
    pub.set('1000', pidf('1000', 'again'));
    const modify = (await esc.waitForRequests(4))[3]!;
    assert.equal(modify.getHeader('SIP-If-Match'), 'et101');
    assert.deepEqual(pub.newPublicationAsked.at(-1), { published: pidf('1000', 'back'), next: pidf('1000', 'again') });
  });

  it('a 500 to the remove is retried with back-off, nothing interleaved, and the change made meanwhile is the new initial', async () => {
    esc.script.push(() => ({ status: 500, reason: 'Server Error' }));
    pub.set('1000', pidf('1000', 'back'));
    await esc.waitForRequests(2);
    pub.set('1000', pidf('1000', 'later')); // during the back-off
    const reqs = await esc.waitForRequests(4);
    await sleep(200);
    assert.equal(esc.requests.length, 4, esc.describe());
    assert.ok(isRemove(reqs[1]!) && isRemove(reqs[2]!), esc.describe());
    assert.equal(reqs[2]!.getHeader('SIP-If-Match'), 'et100', 'the same remove again');
    assert.ok(esc.times[2]! - esc.times[1]! >= 900, 'after the 1 s back-off');
    assert.equal(reqs[3]!.getHeader('SIP-If-Match'), undefined);
    assert.equal(reqs[3]!.bodyText(), pidf('1000', 'later'));
  });

  it('the resource removed while the remove is in flight: no new initial, the publication is gone', async () => {
    esc.always = (req, e) => (isRemove(req) ? { ...e.defaultAnswer(req), delayMs: 300 } : undefined);
    pub.set('1000', pidf('1000', 'back'));
    await esc.waitForRequests(2);
    pub.drop('1000');
    await sleep(600);
    assert.equal(esc.requests.length, 2, esc.describe());
    assert.equal(esc.publications.size, 0);
    const cli = await node!.run('pjsip show outbound-publishes');
    assert.doesNotMatch(cli, /^pres\s+presence\s+1000/m, cli);
  });

  it('a stop while the remove is in flight: nothing more goes out', async () => {
    esc.always = (req, e) => (isRemove(req) ? { ...e.defaultAnswer(req), delayMs: 300 } : undefined);
    pub.set('1000', pidf('1000', 'back'));
    await esc.waitForRequests(2);
    await node!.stop();
    node = undefined;
    await sleep(300);
    assert.equal(esc.requests.length, 2, esc.describe());
    assert.equal(esc.publications.size, 0);
  });
});
