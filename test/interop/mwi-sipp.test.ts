/**
 * SIPp 3.6.1 (Debian sip-tester) against the node's MWI (res_pjsip_mwi), identified by address
 * (identify match=127.0.0.1), so no digest is involved. Scenarios (test/interop/sipp/):
 * - mwi-subscribe.xml, solicited: SUBSCRIBE Event: message-summary to the AOR `mwibox`
 *   (mailboxes = 1000@default) → 200 → NOTIFY application/simple-message-summary (200);
 *   un-SUBSCRIBE → 200 → NOTIFY terminated (200). Over UDP and TCP. The bodies carry the counts
 *   set with `mwi update` beforehand. A SUBSCRIBE to an AOR without mailboxes fails (404), which
 *   shows the scenario can fail.
 * - unsolicited: mwi-register.xml REGISTERs a contact pointing at a second SIPp run,
 *   mwi-unsolicited.xml (a UAS "phone"), for the AOR `phone` of the endpoint `sipp`
 *   (mailboxes = 2000@default). The phone gets one out-of-dialog NOTIFY (Subscription-State:
 *   terminated, Event: message-summary) for the registration, and one more for
 *   `mwi update 2000@default 3 2`, each answered 200. Over UDP and TCP.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import {
  freePort,
  killStartedPeers,
  nodeLogTail,
  parseSippMessages,
  requirePeers,
  runSipp,
  SIPP_SCENARIOS,
  startInteropNode,
  waitFor,
  type InteropNode,
  type SippMessage,
  type SippRun,
} from '../support/peers.js';

const PJSIP = `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:0

[tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:0

[sipp]
type = endpoint
context = default
identify_by = ip
aors = phone
mailboxes = 2000@default

[sipp]
type = identify
endpoint = sipp
match = 127.0.0.1

[phone]
type = aor
max_contacts = 5

[mwibox]
type = aor
mailboxes = 1000@default

[nobox]
type = aor
`;

function explain(label: string, run: SippRun): string {
  const r = run.result;
  const screen = r.stdout.split('\n').filter((l) => /-->|<--|Successful call|Failed call|Total-calls|\(UDP\)|\(TCP\)/.test(l)).join('\n');
  return `${label}: sipp exit ${r.code}${r.timedOut ? ' (killed: timed out)' : ''}\n${screen}\n--- stderr ---\n${r.stderr}\n--- unexpected messages ---\n${run.errors.slice(0, 4000)}`;
}

function header(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'mi').exec(text);
  return m ? m[1] : undefined;
}

function bodyOf(text: string): string {
  const i = text.search(/\r?\n\r?\n/);
  return i < 0 ? '' : text.slice(i).trim();
}

const notifies = (msgs: SippMessage[]) => msgs.filter((m) => m.direction === 'received' && /^NOTIFY /.test(m.text));

/** true once something (the SIPp UAS) holds the port: an exclusive bind of it fails. */
function portTaken(port: number, proto: 'udp' | 'tcp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(true);
      });
      s.bind({ address: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(false)));
    } else {
      const s = net.createServer();
      s.once('error', () => resolve(true));
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(false)));
    }
  });
}

describe('interop: SIPp solicited and unsolicited MWI (UDP, TCP)', function () {
  this.timeout(60000);
  let n: InteropNode | undefined;

  before(async function () {
    requirePeers(this, { binaries: ['sipp'], files: ['mwi-subscribe.xml', 'mwi-register.xml', 'mwi-unsolicited.xml'].map((f) => path.join(SIPP_SCENARIOS, f)) });
    n = await startInteropNode(PJSIP);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && n) console.log(`--- node log ---\n${nodeLogTail(n, 120)}`);
  });

  after(async () => {
    killStartedPeers();
    await n?.stop();
  });

  function assertAllPassed(label: string, run: SippRun, calls: number): void {
    const why = explain(label, run);
    assert.equal(run.result.code, 0, why);
    assert.equal(run.stats['SuccessfulCall(C)'], String(calls), why);
    assert.equal(run.stats['FailedCall(C)'], '0', why);
  }

  const transports = [
    { name: 'UDP', sipp: 'u1', proto: 'udp', port: () => n!.ports.udp },
    { name: 'TCP', sipp: 't1', proto: 'tcp', port: () => n!.ports.tcp },
  ] as const;

  for (const t of transports) {
    it(`mwi-subscribe.xml over ${t.name}: 3 message-summary subscriptions to an AOR, counts 4/1, un-SUBSCRIBE ends each`, async () => {
      const node = n!;
      await node.run('mwi update 1000@default 4 1');
      const calls = 3;
      const run = await runSipp('mwi-subscribe.xml', { transport: t.sipp, remotePort: t.port(), service: 'mwibox', calls, rate: 20, messages: true });
      assertAllPassed(`mwi-subscribe ${t.name}`, run, calls);
      const got = notifies(parseSippMessages(run.messages));
      assert.equal(got.length, 2 * calls, 'one active and one terminated NOTIFY per subscription');
      for (const m of got) {
        assert.equal(header(m.text, 'Event'), 'message-summary');
        assert.equal(header(m.text, 'Content-Type'), 'application/simple-message-summary');
        assert.match(bodyOf(m.text), /^Messages-Waiting: yes\r?\n/);
        assert.match(m.text, /^Voice-Message: 4\/1 \(0\/0\)\r?$/m);
      }
      const states = got.map((m) => header(m.text, 'Subscription-State')!);
      assert.equal(states.filter((s) => /^active;expires=\d+$/.test(s)).length, calls);
      assert.equal(states.filter((s) => /^terminated\b/.test(s)).length, calls);
      console.log(`      sipp mwi-subscribe ${t.name}: exit 0, ${run.stats['SuccessfulCall(C)']} successful, ${run.stats['FailedCall(C)']} failed; states ${[...new Set(states.map((s) => s.replace(/expires=\d+/, 'expires=N')))].join(' | ')}; body ${JSON.stringify(bodyOf(got[0]!.text))}`);
      await waitFor(async () => /Objects found: 0/.test(await node.run('pjsip list subscriptions inbound')), 'the node to hold no subscription', 3000);
    });
  }

  it('mwi-subscribe.xml to an AOR without mailboxes fails (404): the scenario can fail', async () => {
    const run = await runSipp('mwi-subscribe.xml', { transport: 'u1', remotePort: n!.ports.udp, service: 'nobox', calls: 1, rate: 10, timeoutSeconds: 5 });
    assert.notEqual(run.result.code, 0, explain('mwi-subscribe nobox', run));
    assert.match(run.errors, /SIP\/2\.0 404 /, explain('mwi-subscribe nobox', run));
  });

  for (const t of transports) {
    // Over TCP the REGISTER comes from another SIPp run than the phone, on a connection that run
    // closes as soon as it has its 200: the NOTIFYs must go to the Contact (a new connection to
    // the phone, as Asterisk with rewrite_contact=no), not into the REGISTER's connection, where
    // the registration NOTIFY used to vanish while the phone waited for it.
    it(`unsolicited over ${t.name}: REGISTER a SIPp UAS phone, NOTIFY on registration, NOTIFY after mwi update 3 2`, async () => {
      const node = n!;
      await node.run('mwi update 2000@default 0 0');
      const phonePort = await freePort();
      // The phone: a SIPp UAS on a known port, expecting two out-of-dialog NOTIFYs.
      const phone = runSipp('mwi-unsolicited.xml', { transport: t.sipp, remotePort: t.port(), service: 'phone', calls: 2, rate: 1, messages: true, localPort: phonePort, timeoutSeconds: 10 });
      await waitFor(() => portTaken(phonePort, t.proto), `SIPp UAS to listen on ${t.proto} ${phonePort}`, 5000, 50);

      const reg = await runSipp('mwi-register.xml', { transport: t.sipp, remotePort: t.port(), service: 'phone', calls: 1, rate: 1, extra: ['-key', 'phone_port', String(phonePort), '-key', 'expires', '600'], timeoutSeconds: 10 });
      assertAllPassed(`mwi-register ${t.name}`, reg, 1);
      const contacts = await node.run('pjsip show contacts');
      assert.match(contacts, new RegExp(`phone/sip:sipp@127\\.0\\.0\\.1:${phonePort}`), contacts);

      // Let the registration's NOTIFY reach the phone first, so the two stay in order.
      await waitFor(() => node.logs.some((l) => new RegExp(`NOTIFY sip:sipp@127\\.0\\.0\\.1:${phonePort}`).test(l)), 'the registration NOTIFY', 5000);
      await new Promise((r) => setTimeout(r, 200));
      await node.run('mwi update 2000@default 3 2');
      const run = await phone;
      if (run.result.code !== 0 && t.proto === 'tcp') {
        // The contact was registered over a TCP connection SIPp has since closed: the node must
        // then reach the Contact URI (as Asterisk with rewrite_contact=no), not redial the
        // REGISTER's ephemeral source port.
        const redial = node.logs.find((l) => /connect ECONNREFUSED/.test(l));
        if (redial) assert.fail(`UNSOLICITED NOTIFY WENT TO THE CLOSED REGISTER FLOW, not to the Contact sip:sipp@127.0.0.1:${phonePort};transport=tcp: ${redial}\n${explain(`mwi-unsolicited ${t.name}`, run)}`);
      }
      assertAllPassed(`mwi-unsolicited ${t.name}`, run, 2);

      const got = notifies(parseSippMessages(run.messages));
      assert.equal(got.length, 2);
      for (const m of got) {
        assert.match(m.text, new RegExp(`^NOTIFY sip:sipp@127\\.0\\.0\\.1:${phonePort}`));
        assert.equal(header(m.text, 'Event'), 'message-summary');
        assert.equal(header(m.text, 'Subscription-State'), 'terminated');
        assert.equal(header(m.text, 'Content-Type'), 'application/simple-message-summary');
      }
      assert.match(bodyOf(got[0]!.text), /^Messages-Waiting: no\r?\n/);
      assert.match(got[0]!.text, /^Voice-Message: 0\/0 \(0\/0\)\r?$/m);
      assert.match(bodyOf(got[1]!.text), /^Messages-Waiting: yes\r?\n/);
      assert.match(got[1]!.text, /^Voice-Message: 3\/2 \(0\/0\)\r?$/m);
      console.log(`      sipp unsolicited ${t.name}: register 200, phone answered ${run.stats['SuccessfulCall(C)']} NOTIFYs; bodies ${got.map((m) => JSON.stringify(bodyOf(m.text))).join(' then ')}`);

      // Remove the contact so the next transport's phone is the only one.
      const unreg = await runSipp('mwi-register.xml', { transport: t.sipp, remotePort: t.port(), service: 'phone', calls: 1, rate: 1, extra: ['-key', 'phone_port', String(phonePort), '-key', 'expires', '0'], timeoutSeconds: 10 });
      assertAllPassed(`mwi-register expires=0 ${t.name}`, unreg, 1);
    });
  }
});
