/**
 * Inbound PUBLISH (res_pjsip_pubsub as RFC 3903 ESC + res_pjsip_publish_asterisk handlers) over
 * a real UDP socket, following the publish-asterisk-inbound capture, with our RFC fixes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { DeviceState } from '../../core/state/device-state.js';
import { TestSipClient } from '../support/sip-client.js';
import type { SipResponse } from '../../core/sip/message.js';
import { exchangeConfigDir, sleep, startExchangeNode, transport, waitFor, type ExchangeNode } from './exchange-node.js';

const LOCAL = '02:00:00:00:00:01';
const REMOTE = '02:00:00:00:00:99';

const PJSIP =
  transport(0) +
  `[peerast]\ntype=endpoint\ncontext=default\n\n[other]\ntype=endpoint\n\n` +
  `[peerast]\ntype=inbound-publication\nevent_asterisk-devicestate=peerast\nevent_asterisk-mwi=peerast\n\n` +
  `[peerast]\ntype=asterisk-publication\ndevice_state=yes\nmailbox_state=yes\n\n` +
  `[locked]\ntype=inbound-publication\nendpoint=peerast\nevent_asterisk-devicestate=peerast\n\n` +
  `[nodevice]\ntype=inbound-publication\nevent_asterisk-mwi=peerast\n\n` +
  `[noconfig]\ntype=inbound-publication\nevent_asterisk-devicestate=missing\n\n` +
  `[filtered]\ntype=inbound-publication\nevent_asterisk-devicestate=filtered\nevent_asterisk-mwi=filtered\n\n` +
  `[filtered]\ntype=asterisk-publication\ndevice_state=yes\ndevice_state_filter=^PJSIP/\nmailbox_state=yes\nmailbox_state_filter=^1000\n\n` +
  `[deaf]\ntype=inbound-publication\nevent_asterisk-devicestate=deaf\n\n[deaf]\ntype=asterisk-publication\n`;

function dev(device: string, state: string, eid = REMOTE): string {
  return JSON.stringify({ type: 'devicestate', device, state, cachable: 1, eid });
}

describe('state exchange: inbound PUBLISH (ESC)', function () {
  let n: ExchangeNode;
  let c: TestSipClient;

  before(async () => {
    n = await startExchangeNode(exchangeConfigDir(LOCAL, PJSIP));
    c = await TestSipClient.udp(n.port);
  });
  after(async () => {
    c?.close();
    await n?.stop();
  });

  function publish(o: { to?: string; from?: string; event?: string; expires?: string | null; ifMatch?: string; body?: string; contentType?: string }): Promise<SipResponse> {
    const headers: Array<[string, string]> = [['Event', o.event ?? 'asterisk-devicestate']];
    if (o.expires !== null) headers.push(['Expires', o.expires ?? '600']);
    if (o.ifMatch !== undefined) headers.push(['SIP-If-Match', o.ifMatch]);
    return c.request('PUBLISH', `sip:${o.to ?? 'peerast'}@127.0.0.1:${n.port}`, {
      fromUser: o.from ?? 'peerast',
      headers,
      ...(o.body !== undefined ? { body: o.body, contentType: o.contentType ?? 'application/json' } : {}),
    });
  }
  const remote = (device: string) => n.node.core.devices.getByEid(device).get(REMOTE);
  const logged = (re: RegExp) => n.logs.some((l) => re.test(l));

  it('follows the capture: initial, modify, refresh, stale and bad tags, remove', async () => {
    const r1 = await publish({ body: dev('Custom:alice', 'INUSE') });
    assert.equal(r1.status, 200);
    assert.match(r1.getHeader('SIP-ETag') ?? '', /^[0-9]+$/);
    assert.equal(r1.getHeader('Expires'), '600');
    assert.equal(remote('Custom:alice'), DeviceState.INUSE);
    assert.equal(n.node.core.devices.getState('Custom:alice'), DeviceState.INUSE, 'aggregated with the local (none)');

    const r2 = await publish({ ifMatch: r1.getHeader('SIP-ETag')!, body: dev('Custom:alice', 'NOT_INUSE') });
    assert.equal(r2.status, 200);
    assert.notEqual(r2.getHeader('SIP-ETag'), r1.getHeader('SIP-ETag'), 'a new tag on every 2xx');
    assert.equal(remote('Custom:alice'), DeviceState.NOT_INUSE);

    const r3 = await publish({ ifMatch: r2.getHeader('SIP-ETag')! });
    assert.equal(r3.status, 200, 'refresh without body');
    const tag = r3.getHeader('SIP-ETag')!;

    const stale = await publish({ ifMatch: r1.getHeader('SIP-ETag')!, body: dev('Custom:alice', 'BUSY') });
    assert.equal(stale.status, 412);
    assert.equal(stale.reason, 'Conditional Request Failed');
    assert.equal(remote('Custom:alice'), DeviceState.NOT_INUSE, 'no change');

    const bad = await publish({ ifMatch: 'abc', body: dev('Custom:alice', 'BUSY') });
    assert.equal(bad.status, 400);

    const mwi = await publish({ event: 'asterisk-mwi', body: JSON.stringify({ type: 'mailboxstate', uniqueid: '1000@default', old: 6, new: 5, eid: REMOTE }) });
    assert.equal(mwi.status, 200);
    assert.deepEqual(n.node.core.mailboxes.getByEid('1000@default').get(REMOTE), { new: 5, old: 6, urgent: 0 });

    assert.equal((await publish({})).status, 400, 'no If-Match, no body');
    const r489 = await publish({ event: 'presence', body: '{}' });
    assert.equal(r489.status, 489);
    assert.equal((await publish({ expires: '0' })).status, 400, 'remove without If-Match: 400 (RFC 3903), Asterisk says 412');

    const rm = await publish({ expires: '0', ifMatch: tag });
    assert.equal(rm.status, 200);
    assert.equal(rm.getHeader('Expires'), '0');
    assert.equal(remote('Custom:alice'), undefined, 'the states of that EID are withdrawn');
    assert.equal((await publish({ ifMatch: tag })).status, 412, 'the publication is gone');
  });

  it('accepts an Asterisk body whatever its key order', async () => {
    const body = '{"eid":"02:00:00:00:00:99","cachable":1,"state":"RINGING","device":"PJSIP/order","type":"devicestate"}';
    assert.equal((await publish({ body })).status, 200);
    assert.equal(remote('PJSIP/order'), DeviceState.RINGING);
  });

  it('refuses bad bodies with 400 and a log line, changing nothing', async () => {
    const r = await publish({ body: dev('Custom:good', 'INUSE') });
    const etag = r.getHeader('SIP-ETag')!;
    const cases: Array<[string, string, RegExp]> = [
      ['{"type":"devicestate",', 'malformed', /malformed JSON/],
      ['{"type":"devicestate","device":"Custom:good","state":"BUSY"}', 'no eid', /no string 'eid'/],
      ['{"type":"devicestate","state":"BUSY","eid":"02:00:00:00:00:99"}', 'no device', /no valid 'device'/],
      ['{"type":"weather","eid":"02:00:00:00:00:99"}', 'unknown type', /unknown type 'weather'/],
      ['{"type":"devicestate","device":"Custom:good","state":"BUSY","eid":"not-an-eid"}', 'wrong eid', /malformed eid/],
      ['[1,2]', 'not an object', /not a JSON object/],
      [JSON.stringify({ type: 'mailboxstate', uniqueid: '1000@default', old: 1, new: 1, eid: REMOTE }), 'mailbox on devicestate', /does not belong/],
    ];
    for (const [body, what, re] of cases) {
      const res = await publish({ ifMatch: etag, body });
      assert.equal(res.status, 400, what);
      assert.ok(logged(re), `${what}: log line ${re}`);
      assert.equal(remote('Custom:good'), DeviceState.INUSE, `${what}: no change`);
    }
    const init = await publish({ body: '{"type":"devicestate","device":"Custom:x","state":"BUSY"}' });
    assert.equal(init.status, 400, 'an initial with a bad body: 400 (Asterisk 500)');
    assert.equal(remote('Custom:x'), undefined);
    // The publication survived every refused modify (Asterisk would have deleted it).
    const ok = await publish({ ifMatch: etag, body: dev('Custom:good', 'BUSY') });
    assert.equal(ok.status, 200);
    assert.equal(remote('Custom:good'), DeviceState.BUSY);
  });

  it('refuses huge bodies (413) and other content types (415)', async () => {
    const huge = await publish({ body: dev('Custom:huge', 'INUSE').replace('}', `,"pad":"${'x'.repeat(5000)}"}`) });
    assert.equal(huge.status, 413);
    const xml = await publish({ body: '<x/>', contentType: 'application/pidf+xml' });
    assert.equal(xml.status, 415);
    assert.equal(xml.getHeader('Accept'), 'application/json');
    assert.equal(remote('Custom:huge'), undefined);
  });

  it('refuses our own EID with 403 and an error, and a second EID on one publication', async () => {
    const own = await publish({ body: dev('Custom:clone', 'INUSE', LOCAL) });
    assert.equal(own.status, 403);
    assert.ok(n.logs.some((l) => /ERROR/.test(l) && /our own EID/.test(l)));
    assert.equal(n.node.core.devices.getByEid('Custom:clone').size, 0);
    const r = await publish({ body: dev('Custom:one', 'INUSE') });
    const foreign = await publish({ ifMatch: r.getHeader('SIP-ETag')!, body: dev('Custom:one', 'BUSY', '02:00:00:00:00:77') });
    assert.equal(foreign.status, 403);
    assert.equal(n.node.core.devices.getByEid('Custom:one').get('02:00:00:00:00:77'), undefined);
    const spoof = await publish({ from: 'other', body: dev('Custom:one', 'BUSY') });
    assert.equal(spoof.status, 403, 'an EID another endpoint publishes');
    assert.equal(remote('Custom:one'), DeviceState.INUSE);
  });

  it('answers 404 / 403 for configuration it cannot use', async () => {
    assert.equal((await publish({ to: 'nobody', body: dev('Custom:c', 'INUSE') })).status, 404, 'no inbound-publication');
    assert.equal((await publish({ to: 'nodevice', body: dev('Custom:c', 'INUSE') })).status, 404, 'no event_ option');
    assert.equal((await publish({ to: 'noconfig', body: dev('Custom:c', 'INUSE') })).status, 404, 'no asterisk-publication');
    assert.equal((await publish({ to: 'locked', from: 'other', body: dev('Custom:c', 'INUSE', '02:00:00:00:00:55') })).status, 403, 'endpoint= is someone else');
    assert.equal((await publish({ to: 'locked', body: dev('Custom:c', 'INUSE') })).status, 200, 'the right endpoint');
    assert.equal(n.node.core.devices.getByEid('Custom:c').get('02:00:00:00:00:55'), undefined);
  });

  it('applies device_state=no and the inbound filters (200, ignored)', async () => {
    const E = '02:00:00:00:00:42';
    assert.equal((await publish({ to: 'deaf', from: 'other', body: dev('Custom:deaf', 'INUSE', '02:00:00:00:00:43') })).status, 200);
    assert.equal(n.node.core.devices.getByEid('Custom:deaf').size, 0);
    const r = await publish({ to: 'filtered', from: 'other', body: dev('Custom:nope', 'INUSE', E) });
    assert.equal(r.status, 200);
    assert.equal((await publish({ to: 'filtered', from: 'other', ifMatch: r.getHeader('SIP-ETag')!, body: dev('pjsip/yes', 'INUSE', E) })).status, 200);
    assert.equal(n.node.core.devices.getByEid('Custom:nope').size, 0);
    assert.equal(n.node.core.devices.getByEid('pjsip/yes').get(E), DeviceState.INUSE, 'case-insensitive, like REG_ICASE');
    const m = (id: string) => JSON.stringify({ type: 'mailboxstate', uniqueid: id, old: 0, new: 2, eid: E });
    const r2 = await publish({ to: 'filtered', from: 'other', event: 'asterisk-mwi', body: m('2000@default') });
    assert.equal(r2.status, 200);
    await publish({ to: 'filtered', from: 'other', event: 'asterisk-mwi', ifMatch: r2.getHeader('SIP-ETag')!, body: m('1000@ctx') });
    assert.equal(n.node.core.mailboxes.getByEid('2000@default').size, 0);
    assert.equal(n.node.core.mailboxes.getByEid('1000@ctx').get(E)?.new, 2);
  });

  it('withdraws the states of an EID when its publication expires', async () => {
    const E = '02:00:00:00:00:31';
    const r = await publish({ from: 'other', to: 'peerast', expires: '1', body: dev('Custom:short', 'RINGING', E) });
    assert.equal(r.status, 200);
    assert.equal(r.getHeader('Expires'), '1');
    assert.equal(n.node.core.devices.getByEid('Custom:short').get(E), DeviceState.RINGING);
    await waitFor(() => n.node.core.devices.getByEid('Custom:short').get(E) === undefined, 3000, 'withdrawal');
    assert.ok(logged(/Withdrew the device states learnt from EID 02:00:00:00:00:31/));
    await sleep(10);
    assert.equal((await publish({ from: 'other', ifMatch: r.getHeader('SIP-ETag')! })).status, 412);
  });
});
