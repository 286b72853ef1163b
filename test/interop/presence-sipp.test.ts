/**
 * SIPp 3.6.1 (Debian sip-tester) subscribes to the node over UDP (`-t u1`) and TCP (`-t t1`),
 * several subscriptions at a rate, each one SUBSCRIBE → 200 → NOTIFY (200), un-SUBSCRIBE
 * (Expires: 0) → 200 → NOTIFY terminated (200). SIPp is identified by its address (identify
 * match=127.0.0.1, identify_by=ip), so no digest is involved. Scenarios (test/interop/sipp/):
 * - subscribe-presence.xml: Event presence, PIDF with basic open (alice is NOT_INUSE);
 * - subscribe-dialog.xml: Event dialog, dialog-info state="full", here `confirmed` (carol INUSE);
 * - subscribe-list.xml: `Supported: eventlist` to the resource_list `buddies` (alice, carol):
 *   200 with `Require: eventlist`, a multipart/related NOTIFY (RLMI + one PIDF per item);
 * - ../shared/peers/sipp/subscribe.xml, the shared peer scenario, run as it is.
 * A run passes when SIPp exits 0 and counts every call successful; afterwards the node holds no
 * subscription and no hint watcher. A subscription to an extension without a hint fails (404),
 * which shows the checks can fail.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ipIdentifiedPjsipConf,
  killStartedPeers,
  nodeLogTail,
  parseSippMessages,
  PEERS_DIR,
  requirePeers,
  runSipp,
  SIPP_SCENARIOS,
  startInteropNode,
  waitFor,
  type InteropNode,
  type SippMessage,
  type SippRun,
} from '../support/peers.js';

const SHARED_SUBSCRIBE = path.join(PEERS_DIR, 'sipp', 'subscribe.xml');
const PJSIP = `${ipIdentifiedPjsipConf('sipp', { context: 'presence' })}
[buddies]
type = resource_list
event = presence
list_item = alice
list_item = carol
`;
const EXTENSIONS = '[presence]\nexten => alice,hint,Custom:alice\nexten => carol,hint,Custom:carol\n';

function explain(label: string, run: SippRun): string {
  const r = run.result;
  const screen = r.stdout.split('\n').filter((l) => /-->|<--|Successful call|Failed call|Total-calls|\(UDP\)|\(TCP\)/.test(l)).join('\n');
  return `${label}: sipp exit ${r.code}${r.timedOut ? ' (killed: timed out)' : ''}\n${screen}\n--- stderr ---\n${r.stderr}\n--- unexpected messages ---\n${run.errors.slice(0, 4000)}`;
}

function header(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'mi').exec(text);
  return m ? m[1] : undefined;
}

const notifies = (msgs: SippMessage[]) => msgs.filter((m) => m.direction === 'received' && /^NOTIFY /.test(m.text));

describe('interop: SIPp presence, dialog and resource-list subscriptions (UDP, TCP)', function () {
  this.timeout(40000);
  let n: InteropNode | undefined;

  before(async function () {
    requirePeers(this, {
      binaries: ['sipp'],
      files: ['subscribe-presence.xml', 'subscribe-dialog.xml', 'subscribe-list.xml'].map((f) => path.join(SIPP_SCENARIOS, f)).concat(SHARED_SUBSCRIBE),
    });
    n = await startInteropNode(PJSIP, { 'extensions.conf': EXTENSIONS });
    await n.run('devstate change Custom:alice NOT_INUSE');
    await n.run('devstate change Custom:carol INUSE');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && n) console.log(`--- node log ---\n${nodeLogTail(n, 100)}`);
  });

  after(async () => {
    killStartedPeers();
    await n?.stop();
  });

  /** Every subscription ended: none listed, no hint watched any more. */
  async function assertNothingLeft(): Promise<void> {
    const node = n!;
    await waitFor(async () => /Objects found: 0/.test(await node.run('pjsip list subscriptions inbound')), 'the node to hold no subscription', 3000);
    for (const h of node.node.core.extensions.listHints()) assert.equal(h.watchers, 0, `hint ${h.exten}@${h.context} still watched`);
  }

  function assertAllPassed(label: string, run: SippRun, calls: number): void {
    const why = explain(label, run);
    assert.equal(run.result.code, 0, why);
    assert.equal(run.stats['SuccessfulCall(C)'], String(calls), why);
    assert.equal(run.stats['FailedCall(C)'], '0', why);
  }

  const transports = [
    { name: 'UDP', sipp: 'u1', port: () => n!.ports.udp },
    { name: 'TCP', sipp: 't1', port: () => n!.ports.tcp },
  ] as const;

  for (const t of transports) {
    it(`subscribe-presence.xml over ${t.name}: 5 presence subscriptions, PIDF open, un-SUBSCRIBE ends each`, async () => {
      const calls = 5;
      const run = await runSipp('subscribe-presence.xml', { transport: t.sipp, remotePort: t.port(), service: 'alice', calls, rate: 20, messages: true });
      assertAllPassed(`subscribe-presence ${t.name}`, run, calls);
      const got = notifies(parseSippMessages(run.messages));
      assert.equal(got.length, 2 * calls, 'one active and one terminated NOTIFY per subscription');
      for (const m of got) {
        assert.equal(header(m.text, 'Content-Type'), 'application/pidf+xml');
        assert.match(m.text, /<basic>open<\/basic>/);
        assert.match(m.text, /<note>Ready<\/note>/);
      }
      const states = got.map((m) => header(m.text, 'Subscription-State')!);
      assert.equal(states.filter((s) => /^active;expires=\d+$/.test(s)).length, calls);
      assert.equal(states.filter((s) => /^terminated\b/.test(s)).length, calls);
      console.log(`      sipp subscribe-presence ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed, ${run.stats['Retransmissions(C)']} retransmissions; NOTIFY states: ${[...new Set(states.map((s) => s.replace(/expires=\d+/, 'expires=N')))].join(' | ')}`);
      await assertNothingLeft();
    });

    it(`subscribe-dialog.xml over ${t.name}: 5 dialog subscriptions, dialog-info confirmed for an INUSE hint`, async () => {
      const calls = 5;
      const run = await runSipp('subscribe-dialog.xml', { transport: t.sipp, remotePort: t.port(), service: 'carol', calls, rate: 20, messages: true });
      assertAllPassed(`subscribe-dialog ${t.name}`, run, calls);
      const got = notifies(parseSippMessages(run.messages));
      assert.equal(got.length, 2 * calls);
      for (const m of got) {
        assert.equal(header(m.text, 'Content-Type'), 'application/dialog-info+xml');
        assert.match(m.text, /<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="\d+" state="full" entity="sip:carol@127\.0\.0\.1:\d+">/);
        assert.match(m.text, /<dialog id="carol">\s*<state>confirmed<\/state>/);
      }
      // The final NOTIFY re-sends the unchanged last body, so its dialog-info version repeats (as Asterisk).
      const versions = got.map((m) => /version="(\d+)"/.exec(m.text)![1]).sort();
      assert.deepEqual([...new Set(versions)], ['0']);
      console.log(`      sipp subscribe-dialog ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed; bodies: dialog-info full, state confirmed, versions 0 and 0 (final repeats the last body)`);
      await assertNothingLeft();
    });

    // Resource lists (RFC 4662, type=resource_list) live in res_pjsip_pubsub. Were they missing
    // (or the list not loaded), the node would answer 404 for `buddies` (no hint of that name):
    // the test then fails with a message that says so, instead of a bare SIPp error.
    it(`subscribe-list.xml over ${t.name}: resource list (RFC 4662) buddies = alice, carol: Require eventlist, multipart RLMI + PIDF parts`, async () => {
      const calls = 2;
      const run = await runSipp('subscribe-list.xml', { transport: t.sipp, remotePort: t.port(), service: 'buddies', calls, rate: 20, messages: true, timeoutSeconds: 10 });
      if (run.result.code !== 0 && /SIP\/2\.0 404 Not Found[\s\S]*To: <sip:buddies@/.test(run.errors)) {
        assert.fail(`RESOURCE LIST NOT HANDLED: the node answered 404 to SUBSCRIBE sip:buddies (Supported: eventlist) instead of 200 with Require: eventlist; is type=resource_list implemented and loaded?\n${explain(`subscribe-list ${t.name}`, run)}`);
      }
      assertAllPassed(`subscribe-list ${t.name}`, run, calls);
      const msgs = parseSippMessages(run.messages);
      const ok = msgs.filter((m) => m.direction === 'received' && /^SIP\/2\.0 200 /.test(m.text) && /^CSeq: 1 SUBSCRIBE/m.test(m.text));
      assert.equal(ok.length, calls);
      for (const m of ok) assert.match(header(m.text, 'Require') ?? '', /\beventlist\b/);
      const first = notifies(msgs).filter((m) => /^Subscription-State: active/m.test(m.text));
      assert.equal(first.length, calls);
      for (const m of first) {
        const ctype = header(m.text, 'Content-Type') ?? '';
        assert.match(ctype, /^multipart\/related;/);
        assert.match(ctype, /type="application\/rlmi\+xml"/);
        const boundary = /boundary="?([^";]+)"?/.exec(ctype)?.[1];
        assert.ok(boundary, `a boundary in ${ctype}`);
        const body = m.text.slice(m.text.search(/\r?\n\r?\n/));
        // RLMI part first, then one part per list item, each with a Content-ID.
        const parts = body.split(`--${boundary}`).slice(1, -1);
        assert.equal(parts.length, 3, `RLMI + alice + carol:\n${body}`);
        assert.match(parts[0]!, /Content-Type: application\/rlmi\+xml/);
        assert.match(parts[0]!, /<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:buddies@127\.0\.0\.1:\d+" version="0" fullState="true">/);
        for (const item of ['alice', 'carol']) assert.match(parts[0]!, new RegExp(`<resource uri="sip:${item}@127\\.0\\.0\\.1:\\d+">`));
        const cids = [...parts[0]!.matchAll(/cid="([^"]+)"/g)].map((x) => x[1]);
        assert.equal(cids.length, 2, 'one instance (cid) per item');
        for (const p of parts.slice(1)) {
          assert.match(p, /Content-Type: application\/pidf\+xml/);
          assert.ok(cids.some((c) => p.includes(`Content-ID: <${c}>`)), `part's Content-ID is one of the RLMI cids ${cids.join(', ')}:\n${p}`);
          assert.match(p, /<basic>open<\/basic>/);
        }
        assert.ok(parts.some((p) => /entity="sip:alice@/.test(p) && /<note>Ready<\/note>/.test(p)), 'alice: Ready');
        assert.ok(parts.some((p) => /entity="sip:carol@/.test(p) && /<note>On the phone<\/note>/.test(p)), 'carol: On the phone');
      }
      console.log(`      sipp subscribe-list ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful; 200 Require: eventlist; NOTIFY multipart/related RLMI + 2 PIDF parts`);
      await assertNothingLeft();
    });

    it(`../shared/peers/sipp/subscribe.xml as it is, over ${t.name}: 3 presence subscriptions`, async () => {
      const calls = 3;
      const run = await runSipp(SHARED_SUBSCRIBE, {
        transport: t.sipp,
        remotePort: t.port(),
        service: 'alice',
        calls,
        rate: 20,
        extra: ['-set', 'event', 'presence', '-set', 'accept', 'application/pidf+xml'],
      });
      assertAllPassed(`shared subscribe.xml ${t.name}`, run, calls);
      console.log(`      sipp shared subscribe.xml ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed`);
      await assertNothingLeft();
    });
  }

  it('subscribe-presence.xml to an extension without a hint: every call fails (404), nothing is kept', async () => {
    const calls = 2;
    const run = await runSipp('subscribe-presence.xml', { transport: 'u1', remotePort: n!.ports.udp, service: 'nobody', calls, rate: 20, timeoutSeconds: 10 });
    const why = explain('subscribe-presence to nobody', run);
    assert.notEqual(run.result.code, 0, why);
    assert.equal(run.stats['SuccessfulCall(C)'], '0', why);
    assert.equal(run.stats['FailedCall(C)'], String(calls), why);
    assert.match(run.errors, /SIP\/2\.0 404 Not Found/, why);
    await assertNothingLeft();
  });
});
