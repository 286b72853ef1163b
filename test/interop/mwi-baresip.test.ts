/**
 * baresip 1.0.0 (Debian baresip-core), driven by ../shared/peers/baresip.sh with BS_MWI=yes,
 * registers as bob (digest auth) and SUBSCRIBEs to its own AOR for message-summary; the AOR bob
 * has `mailboxes = bob@default`. baresip prints every MWI NOTIFY body in its log under
 * "----- MWI for sip:bob@... -----". After `mwi update bob@default 2 1` the log shows
 * `Messages-Waiting: yes` / `Voice-Message: 2/1`; after `mwi update bob@default 0 3` it shows
 * `Messages-Waiting: no` / `Voice-Message: 0/3`. The node's view (`pjsip show subscriptions
 * inbound`) lists baresip's message-summary subscription to bob. Over UDP and TCP.
 */
import assert from 'node:assert/strict';
import {
  BARESIP_SH,
  Baresip,
  describeRun,
  interopPjsipConf,
  killStartedPeers,
  nodeLogTail,
  requirePeers,
  startInteropNode,
  waitFor,
  type InteropNode,
} from '../support/peers.js';

const PASSWORD = 'bob-mwi-Pw1';
// interopPjsipConf ends with bob's AOR section: the line below belongs to it.
const PJSIP = `${interopPjsipConf(PASSWORD)}mailboxes = bob@default\n`;

/** Every MWI body baresip printed, in order ("----- MWI for <uri> -----" then the body). */
function mwiBodies(log: string): Array<{ uri: string; body: string }> {
  const out: Array<{ uri: string; body: string }> = [];
  const parts = log.split(/^.*----- MWI for (\S+) -----.*$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    // The body is the run of message-summary lines after the marker; other log lines follow it.
    const lines: string[] = [];
    for (const raw of parts[i + 1]!.split(/\r?\n/)) {
      const l = raw.trim();
      if (l === '' && lines.length === 0) continue;
      if (!/^(Messages-Waiting|Message-Account|[A-Za-z]+-Message):/.test(l)) break;
      lines.push(l);
    }
    out.push({ uri: parts[i]!, body: lines.join('\n') });
  }
  return out;
}

describe('interop: baresip subscribes to its own message-summary (solicited MWI)', function () {
  this.timeout(40000);
  let n: InteropNode | undefined;
  const peers: Baresip[] = [];

  before(async function () {
    requirePeers(this, { binaries: ['baresip', 'bash'], files: [BARESIP_SH, '/usr/lib/baresip/modules/mwi.so'] });
    n = await startInteropNode(PJSIP);
  });

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const b of peers.splice(0)) {
      const r = await b.stop().catch((e: unknown) => ({ code: -1, signal: null, stdout: '', stderr: String(e), timedOut: false }));
      if (failed) console.log(`--- baresip log (${b.runDir}) ---\n${b.log().split('\n').slice(-150).join('\n')}\n${r ? describeRun('baresip.sh stop', r) : ''}`);
      b.removeRunDir();
    }
    if (failed && n) console.log(`--- node log ---\n${nodeLogTail(n, 160)}`);
  });

  after(async () => {
    for (const b of peers.splice(0)) {
      await b.stop().catch(() => undefined);
      b.removeRunDir();
    }
    killStartedPeers();
    await n?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`over ${transport.toUpperCase()}: mwi update 2 1 shows Messages-Waiting yes 2/1, then 0 3 shows no 0/3`, async () => {
      const node = n!;
      // Start from a known state: the mailbox may hold counts from the other transport's run.
      await node.run('mwi update bob@default 0 0');
      const server = `127.0.0.1:${node.ports[transport]}`;
      const b = new Baresip({ server, user: 'bob', password: PASSWORD, transport, mwi: true, watch: [] });
      peers.push(b);
      const started = await b.start();
      assert.equal(started.code, 0, describeRun('baresip.sh start', started));

      // The node holds baresip's subscription once the first NOTIFY (0/0) has gone out.
      await waitFor(
        async () => /Resource: bob\s+Event: message-summary/.test(await node.run('pjsip show subscriptions inbound')),
        'the node to hold baresip\'s message-summary subscription to bob',
        10000,
        100,
      );
      await waitFor(() => mwiBodies(b.log()).length >= 1, 'baresip to print the initial MWI NOTIFY', 10000, 100);
      const before = mwiBodies(b.log()).length;
      assert.match(mwiBodies(b.log())[0]!.body, /Messages-Waiting: no/);

      await node.run('mwi update bob@default 2 1');
      const yes = await waitFor(
        () => mwiBodies(b.log()).slice(before).find((m) => /Messages-Waiting: yes/.test(m.body)),
        'baresip to print Messages-Waiting: yes',
        10000,
        100,
      );
      assert.match(yes.uri, /^sip:bob@127\.0\.0\.1/);
      assert.match(yes.body, /Voice-Message: 2\/1 \(0\/0\)/);
      console.log(`      baresip (${transport}) MWI for ${yes.uri}: ${yes.body.replace(/\n/g, ' | ')}`);

      const afterYes = mwiBodies(b.log()).length;
      await node.run('mwi update bob@default 0 3');
      const no = await waitFor(
        () => mwiBodies(b.log()).slice(afterYes).find((m) => /Messages-Waiting: no/.test(m.body)),
        'baresip to print Messages-Waiting: no',
        10000,
        100,
      );
      assert.match(no.body, /Voice-Message: 0\/3 \(0\/0\)/);
      console.log(`      baresip (${transport}) MWI for ${no.uri}: ${no.body.replace(/\n/g, ' | ')}`);
    });
  }
});
