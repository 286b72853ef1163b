/**
 * 408, 5xx and silence: retried with back-off, the latest body going out, Retry-After honoured,
 * and a fresh publication after repeated 5xx to conditional requests. Sinon's fake timers jump
 * over the waits (shouldAdvanceTime keeps the node's own timers moving); sockets stay real.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TestEsc } from './esc.js';
import { pidf, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

function conf(esc: TestEsc): string {
  return `${UDP_TRANSPORT}
[pres]
type = outbound-publish
server_uri = sip:alice@127.0.0.1:${esc.port}
event = presence
`;
}

/** Advances fake time in steps until `n` PUBLISH have arrived (real I/O happens between steps). */
async function tickUntil(clock: sinon.SinonFakeTimers, esc: TestEsc, n: number, maxMs: number, stepMs = 250): Promise<void> {
  for (let spent = 0; esc.requests.length < n; spent += stepMs) {
    if (spent > maxMs) throw new Error(`only ${esc.requests.length} of ${n} PUBLISH after ${maxMs} ms of fake time:\n${esc.describe()}`);
    await clock.tickAsync(stepMs);
    await new Promise((r) => setImmediate(r));
  }
}

describe('res_pjsip_outbound_publish: retries with back-off', function () {
  let esc: TestEsc;
  let node: PublishNode | undefined;
  let clock: sinon.SinonFakeTimers | undefined;
  let pub: TestPublisher;

  beforeEach(async () => {
    esc = await TestEsc.start();
    node = await startPublishNode(conf(esc));
    pub = new TestPublisher('presence');
    node.register(pub);
    clock = sinon.useFakeTimers({
      now: Date.now(),
      shouldAdvanceTime: true,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    });
  });

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await node?.stop();
    node = undefined;
    esc.close();
  });

  it('500: retried after 1, 2, 4 s, and the retry carries the latest body', async () => {
    let failures = 3;
    esc.always = () => (failures-- > 0 ? { status: 500, reason: 'Server Internal Error' } : undefined);
    pub.set(undefined, pidf('alice', 'one'));
    await tickUntil(clock!, esc, 1, 1000);
    await clock!.tickAsync(100); // the 500 is in; the retry waits
    pub.set(undefined, pidf('alice', 'two')); // queued behind the back-off: replaces 'one'
    await tickUntil(clock!, esc, 4, 10000);
    const gaps = esc.times.slice(1).map((t, i) => t - esc.times[i]!);
    assert.ok(gaps[0]! >= 1000 && gaps[0]! < 1600, `first retry after ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 2000 && gaps[1]! < 2600, `second retry after ${gaps[1]} ms`);
    assert.ok(gaps[2]! >= 4000 && gaps[2]! < 4600, `third retry after ${gaps[2]} ms`);
    const bodies = esc.requests.map((r) => r.bodyText());
    assert.deepEqual(bodies, [pidf('alice', 'one'), pidf('alice', 'two'), pidf('alice', 'two'), pidf('alice', 'two')]);
    assert.ok(esc.requests.every((r) => r.getHeader('SIP-If-Match') === undefined), 'still the initial PUBLISH');
    await clock!.tickAsync(500);
    assert.equal(esc.publications.size, 1);
    assert.match(await node!.run('pjsip show outbound-publishes'), /^pres\s+presence\s+-\s+Published\s+et100\s+200 OK/m);
  });

  it('503 with Retry-After: waits what the server asked', async () => {
    esc.script.push(() => ({ status: 503, reason: 'Service Unavailable', headers: [['Retry-After', '7']] }));
    pub.set(undefined, pidf('alice', 'one'));
    await tickUntil(clock!, esc, 2, 9000);
    const gap = esc.times[1]! - esc.times[0]!;
    assert.ok(gap >= 7000 && gap < 7600, `retry after ${gap} ms`);
  });

  it('no answer at all: Timer F ends the transaction, then the PUBLISH is retried', async () => {
    esc.script.push(() => null);
    pub.set(undefined, pidf('alice', 'one'));
    await tickUntil(clock!, esc, 2, 40000, 1000);
    const gap = esc.times[1]! - esc.times[0]!;
    assert.ok(gap >= 32000 + 1000 && gap < 36000, `retry ${gap} ms after the first try`);
    assert.equal(esc.requests[1]!.bodyText(), pidf('alice', 'one'));
    assert.equal(esc.requests[1]!.callId, esc.requests[0]!.callId);
    assert.equal(esc.requests[1]!.cseq.seq, esc.requests[0]!.cseq.seq + 1);
    assert.ok(node!.logs.some((l) => /No response received for outbound publish 'pres'/.test(l)));
  });

  it('an ESC answering 5xx to every modify: after six, a new publication with the full state', async () => {
    pub.set(undefined, pidf('alice', 'one'));
    await tickUntil(clock!, esc, 1, 1000);
    await clock!.tickAsync(50);
    esc.always = (req) => (req.getHeader('SIP-If-Match') !== undefined ? { status: 500, reason: 'Server Internal Error' } : undefined);
    pub.set(undefined, pidf('alice', 'two'));
    // modify + 5 retries (1+2+4+8+16 s), then a new initial 32 s later
    await tickUntil(clock!, esc, 8, 80000, 1000);
    const modifies = esc.requests.slice(1, 7);
    assert.ok(modifies.every((r) => r.getHeader('SIP-If-Match') === 'et100'), esc.describe());
    const fresh = esc.requests[7]!;
    assert.equal(fresh.getHeader('SIP-If-Match'), undefined);
    assert.notEqual(fresh.callId, esc.requests[0]!.callId);
    assert.equal(fresh.bodyText(), pidf('alice', 'two'));
  });
});
