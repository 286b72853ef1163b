/**
 * SIPp 3.6.1 (Debian sip-tester) runs our own scenarios against the node, over UDP (`-t u1`)
 * and TCP (`-t t1`), several calls at a rate:
 * - sipp/register-auth.xml: REGISTER → 401, REGISTER with digest credentials → 200 listing the
 *   contact, un-REGISTER (Expires: 0) reusing the nonce with nc=2 → 200. Afterwards the node
 *   holds no contact of bob: every call's binding was added and removed again.
 * - sipp/options.xml: OPTIONS → 200 with Allow (OPTIONS, REGISTER) and Accept.
 * A run passes when SIPp exits 0 and its statistics count every call successful and none failed.
 * With a wrong password the same scenario fails (403), which shows the check can fail.
 */
import assert from 'node:assert/strict';
import { DeviceState } from '../../core/state/device-state.js';
import { interopPjsipConf, killStartedPeers, nodeLogTail, requirePeers, runSipp, SIPP_SCENARIOS, startInteropNode, type InteropNode, type SippRun } from '../support/peers.js';
import path from 'node:path';

const PASSWORD = 'bob-interop-Pw1';

function explain(label: string, run: SippRun): string {
  const r = run.result;
  const screen = r.stdout.split('\n').filter((l) => /-->|<--|Successful call|Failed call|Total-calls|\(UDP\)|\(TCP\)/.test(l)).join('\n');
  return `${label}: sipp exit ${r.code}${r.timedOut ? ' (killed: timed out)' : ''}\n${screen}\n--- stderr ---\n${r.stderr}\n--- unexpected messages ---\n${run.errors.slice(0, 4000)}`;
}

describe('interop: SIPp scenarios of our own (REGISTER with auth, OPTIONS)', function () {
  this.timeout(40000);
  let n: InteropNode | undefined;

  before(async function () {
    requirePeers(this, { binaries: ['sipp'], files: [path.join(SIPP_SCENARIOS, 'register-auth.xml'), path.join(SIPP_SCENARIOS, 'options.xml')] });
    n = await startInteropNode(interopPjsipConf(PASSWORD, 20));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && n) console.log(`--- node log ---\n${nodeLogTail(n, 80)}`);
  });

  after(async () => {
    killStartedPeers();
    await n?.stop();
  });

  const transports = [
    { name: 'UDP', sipp: 'u1', port: () => n!.ports.udp },
    { name: 'TCP', sipp: 't1', port: () => n!.ports.tcp },
  ] as const;

  for (const t of transports) {
    it(`register-auth.xml over ${t.name}: 10 registrations with digest auth, each removed again`, async () => {
      const calls = 10;
      const seen = { added: new Set<string>(), removed: new Set<string>() };
      const unwatch = n!.pjsip.location.onChange((ev) => {
        if (ev.kind === 'added') seen.added.add(ev.contact.uri);
        if (ev.kind === 'removed') seen.removed.add(ev.contact.uri);
      });
      const run = await runSipp('register-auth.xml', {
        transport: t.sipp,
        remotePort: t.port(),
        service: 'bob',
        calls,
        rate: 20,
        extra: ['-au', 'bob', '-ap', PASSWORD],
      });
      const why = explain(`register-auth ${t.name}`, run);
      assert.equal(run.result.code, 0, why);
      assert.equal(run.stats['SuccessfulCall(C)'], String(calls), why);
      assert.equal(run.stats['FailedCall(C)'], '0', why);
      console.log(`      sipp register-auth ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed, ${run.stats['Retransmissions(C)']} retransmissions`);
      unwatch();
      // One binding per call (sip:bob-<call number>@…), each added by the authenticated
      // REGISTER and removed by the un-REGISTER.
      assert.equal(seen.added.size, calls, [...seen.added].join(', '));
      assert.deepEqual([...seen.removed].sort(), [...seen.added].sort());
      for (const uri of seen.added) assert.match(uri, new RegExp(`^sip:bob-\\d+@127\\.0\\.0\\.1:\\d+;transport=${t.name}$`, 'i'));
      assert.equal(n!.pjsip.location.contacts('bob').length, 0, 'every un-REGISTER removed its binding');
      assert.equal(n!.node.core.devices.getState('PJSIP/bob'), DeviceState.UNAVAILABLE);
    });

    it(`options.xml over ${t.name}: 50 pings answered 200`, async () => {
      const calls = 50;
      const run = await runSipp('options.xml', { transport: t.sipp, remotePort: t.port(), service: 'bob', calls, rate: 200 });
      const why = explain(`options ${t.name}`, run);
      assert.equal(run.result.code, 0, why);
      assert.equal(run.stats['SuccessfulCall(C)'], String(calls), why);
      assert.equal(run.stats['FailedCall(C)'], '0', why);
      console.log(`      sipp options ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed`);
    });
  }

  it('register-auth.xml with a wrong password fails every call (403), and binds nothing', async () => {
    const calls = 3;
    const run = await runSipp('register-auth.xml', {
      transport: 'u1',
      remotePort: n!.ports.udp,
      service: 'bob',
      calls,
      rate: 20,
      extra: ['-au', 'bob', '-ap', 'not-the-password'],
      timeoutSeconds: 10,
    });
    const why = explain('register-auth wrong password', run);
    assert.notEqual(run.result.code, 0, why);
    assert.equal(run.stats['SuccessfulCall(C)'], '0', why);
    assert.equal(run.stats['FailedCall(C)'], String(calls), why);
    assert.match(run.errors, /SIP\/2\.0 403 Forbidden/, why);
    assert.equal(n!.pjsip.location.contacts('bob').length, 0);
  });
});
