/**
 * Two tsterisk nodes on loopback with the seed's configurations (bidirectional example, the
 * filtering example, digest auth on the publications), each with its own entityid.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { DeviceState } from '../../core/state/device-state.js';
import { exchangeConfigDir, freeUdpPort, seedInstance, sleep, startExchangeNode, waitFor, type ExchangeNode } from './exchange-node.js';

const EID1 = '02:00:00:00:00:01';
const EID2 = '02:00:00:00:00:02';

describe('state exchange: two nodes (seed configurations)', function () {
  const nodes: ExchangeNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop().catch(() => undefined);
  });

  async function pair(o: { one?: Partial<Parameters<typeof seedInstance>[0]>; two?: Partial<Parameters<typeof seedInstance>[0]> } = {}) {
    const p1 = await freeUdpPort();
    const p2 = await freeUdpPort();
    // Instance #1 publishes to instance #2 as resource 'instance1', and the other way round.
    const d1 = exchangeConfigDir(EID1, seedInstance({ self: 'instance1', peer: 'instance2', port: p1, peerPort: p2, ...o.one }));
    const d2 = exchangeConfigDir(EID2, seedInstance({ self: 'instance2', peer: 'instance1', port: p2, peerPort: p1, ...o.two }));
    const n1 = await startExchangeNode(d1);
    nodes.push(n1);
    const n2 = await startExchangeNode(d2);
    nodes.push(n2);
    return { n1, n2, d2 };
  }
  const dev = (n: ExchangeNode, device: string, eid: string) => n.node.core.devices.getByEid(device).get(eid);
  const box = (n: ExchangeNode, mb: string, eid: string) => n.node.core.mailboxes.getByEid(mb).get(eid);

  it('exchanges device and mailbox states both ways, without loops', async () => {
    const { n1, n2 } = await pair();
    await n1.run('devstate change Custom:alice INUSE');
    await n2.run('devstate change Custom:bob RINGING');
    await n1.run('mwi update 1000@default 2 1');
    await waitFor(() => dev(n2, 'Custom:alice', EID1) === DeviceState.INUSE, 5000, 'alice at node 2');
    await waitFor(() => dev(n1, 'Custom:bob', EID2) === DeviceState.RINGING, 5000, 'bob at node 1');
    await waitFor(() => box(n2, '1000@default', EID1)?.new === 2, 5000, 'mailbox at node 2');
    assert.equal(n2.node.core.devices.getState('Custom:alice'), DeviceState.INUSE);
    // Node 2 also sets alice locally: the aggregate (INUSE + RINGING) is RINGINUSE there.
    await n2.run('devstate change Custom:alice RINGING');
    assert.equal(n2.node.core.devices.getState('Custom:alice'), DeviceState.RINGINUSE);
    await waitFor(() => dev(n1, 'Custom:alice', EID2) === DeviceState.RINGING, 5000, 'alice from node 2');
    await sleep(200);
    // Loop prevention: node 1 never learnt its own EID's state back from node 2.
    assert.equal(dev(n1, 'Custom:alice', EID1), DeviceState.INUSE);
    assert.equal(n1.node.core.devices.getByEid('Custom:alice').size, 2);
    assert.equal(n2.node.core.devices.getByEid('Custom:bob').size, 1, 'bob only from node 2 itself');
    const list = await n2.run('devstate list');
    assert.match(list, /Custom:alice/);
    assert.ok(list.includes(EID1), `devstate list shows the peer's EID:\n${list}`);
  });

  it('applies the seed\'s filters: inbound device_state_filter/mailbox_state_filter, outbound @filters', async () => {
    const { n1, n2 } = await pair({
      two: { inboundExtra: 'device_state_filter=^PJSIP/\nmailbox_state_filter=^1000\n' },
      one: { publishExtra: '@device_state_filter=^Custom:keep|^PJSIP/\n' },
    });
    await n1.run('devstate change Custom:keep INUSE');
    await n1.run('devstate change Custom:drop INUSE');
    await n1.run('mwi update 1000@default 1 0');
    await n1.run('mwi update 2000@default 1 0');
    n1.node.core.devices.setState('PJSIP/alice', DeviceState.BUSY);
    n2.node.core.devices.setState('PJSIP/carol', DeviceState.INUSE);
    await waitFor(() => dev(n2, 'PJSIP/alice', EID1) === DeviceState.BUSY, 5000, 'PJSIP/alice at node 2');
    await waitFor(() => box(n2, '1000@default', EID1)?.new === 1, 5000, '1000 at node 2');
    await waitFor(() => dev(n1, 'PJSIP/carol', EID2) === DeviceState.INUSE, 5000, 'carol at node 1');
    await sleep(200);
    assert.equal(dev(n2, 'Custom:keep', EID1), undefined, 'sent (outbound filter passes it) but dropped by the inbound ^PJSIP/');
    assert.equal(dev(n2, 'Custom:drop', EID1), undefined);
    assert.equal(box(n2, '2000@default', EID1), undefined, 'dropped by ^1000');
    assert.ok(n2.logs.some((l) => /Custom:keep filtered out by device_state_filter/.test(l)), 'keep reached node 2');
    assert.ok(!n2.logs.some((l) => /Custom:drop/.test(l)), 'drop never left node 1 (@device_state_filter)');
  });

  it('brings a restarted node up to date (its own states out, a refresh request answered)', async () => {
    const { n1, n2, d2 } = await pair();
    await n2.run('devstate change Custom:two NOT_INUSE');
    await n2.run('mwi update 2000@default 4 4');
    await waitFor(() => dev(n1, 'Custom:two', EID2) === DeviceState.NOT_INUSE, 5000, 'two at node 1');
    await n2.stop();
    nodes.splice(nodes.indexOf(n2), 1);
    // Changes while node 2 is down; node 2 learnt nothing of them.
    await n1.run('devstate change Custom:one BUSY');
    await n1.run('mwi update 1000@default 3 0');
    const again = await startExchangeNode(d2);
    nodes.push(again);
    await waitFor(() => dev(again, 'Custom:one', EID1) === DeviceState.BUSY, 8000, 'node 1 states after the refresh');
    await waitFor(() => box(again, '1000@default', EID1)?.new === 3, 8000, 'node 1 mailbox after the refresh');
    assert.equal(dev(n1, 'Custom:two', EID2), DeviceState.NOT_INUSE, 'node 2 republished its own');
    assert.ok(again.logs.some((l) => /Sent 2 refresh requests/.test(l)));
  });

  it('works with digest auth on the publications', async () => {
    const auth = (user: string) => `[${user}-auth]\ntype=auth\nusername=${user}\npassword=s3cret-${user}\n\n`;
    const { n1, n2 } = await pair({
      // node 1 challenges node 2 (endpoint instance2 has auth) and answers node 2's challenges.
      one: { endpointExtra: 'auth=instance2-auth\n', publishExtra: 'outbound_auth=instance1-auth\n', extra: auth('instance2') + auth('instance1') },
      two: { endpointExtra: 'auth=instance1-auth\n', publishExtra: 'outbound_auth=instance2-auth\n', extra: auth('instance1') + auth('instance2') },
    });
    await n1.run('devstate change Custom:secure INUSE');
    await n2.run('devstate change Custom:back ONHOLD');
    await waitFor(() => dev(n2, 'Custom:secure', EID1) === DeviceState.INUSE, 5000, 'secure at node 2');
    await waitFor(() => dev(n1, 'Custom:back', EID2) === DeviceState.ONHOLD, 5000, 'back at node 1');
  });

  it('refuses a peer with a wrong password (nothing learnt)', async () => {
    const { n1, n2 } = await pair({
      two: { endpointExtra: 'auth=instance1-auth\n', extra: '[instance1-auth]\ntype=auth\nusername=instance1\npassword=right\n\n' },
      one: { publishExtra: 'outbound_auth=instance1-auth\n', extra: '[instance1-auth]\ntype=auth\nusername=instance1\npassword=wrong\n\n' },
    });
    await n1.run('devstate change Custom:intruder INUSE');
    await sleep(500);
    assert.equal(dev(n2, 'Custom:intruder', EID1), undefined);
    void n1;
  });
});
