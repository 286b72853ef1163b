/**
 * baresip 1.0.0 (Debian baresip-core), driven by ../shared/peers/baresip.sh, watches the
 * extension `alice` (hint Custom:alice in bob's context) on the node, with digest auth as bob:
 * its `/contacts` shows alice Online (NOT_INUSE: PIDF basic open, note Ready), Busy after
 * `devstate change Custom:alice INUSE` (rpid on-the-phone), and Online again after NOT_INUSE.
 * baresip sends its presence SUBSCRIBE without an Accept header, like linphone: the node must
 * fall back to the package default, application/pidf+xml (baresip answers anything else 415).
 * A watched user without a hint (carol) is refused 404 and never turns Online, which shows the
 * check can fail. Stopping baresip un-SUBSCRIBEs: the node sends the terminated NOTIFY and
 * holds no subscription afterwards. Over UDP and over TCP (baresip.sh sets an outbound proxy
 * ;transport=tcp, so the SUBSCRIBE and every NOTIFY use the TCP connection).
 */
import assert from 'node:assert/strict';
import {
  BARESIP_SH,
  Baresip,
  describeRun,
  interopPjsipConf,
  killStartedPeers,
  loggedSipMessages,
  nodeLogTail,
  requirePeers,
  startInteropNode,
  waitFor,
  type BaresipContact,
  type InteropNode,
  type LoggedSipMessage,
} from '../support/peers.js';

const PASSWORD = 'bob-interop-Pw1';
// bob's context is `default` (interopPjsipConf); carol has no hint on purpose.
const EXTENSIONS = '[default]\nexten => alice,hint,Custom:alice\n';

function header(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'mi').exec(text);
  return m ? m[1] : undefined;
}

describe('interop: baresip watches an extension (presence, PIDF)', function () {
  this.timeout(30000);
  let n: InteropNode | undefined;
  const peers: Baresip[] = [];

  before(async function () {
    requirePeers(this, { binaries: ['baresip', 'bash'], files: [BARESIP_SH, '/usr/lib/baresip/modules/presence.so'] });
    n = await startInteropNode(interopPjsipConf(PASSWORD), { 'extensions.conf': EXTENSIONS });
  });

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const b of peers.splice(0)) {
      const r = await b.stop().catch((e: unknown) => ({ code: -1, signal: null, stdout: '', stderr: String(e), timedOut: false }));
      if (failed) console.log(`--- baresip log (${b.runDir}) ---\n${b.log().split('\n').slice(-120).join('\n')}\n${r ? describeRun('baresip.sh stop', r) : ''}`);
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
    it(`over ${transport.toUpperCase()}: alice Online, Busy on INUSE, Online again; no Accept gets PIDF; stop un-SUBSCRIBEs`, async () => {
      const node = n!;
      await node.run('devstate change Custom:alice NOT_INUSE');
      const server = `127.0.0.1:${node.ports[transport]}`;
      const b = new Baresip({ server, user: 'bob', password: PASSWORD, transport, watch: transport === 'udp' ? ['alice', 'carol'] : ['alice'] });
      peers.push(b);
      const started = await b.start();
      assert.equal(started.code, 0, describeRun('baresip.sh start', started));
      // baresip is the node's only peer here; over TCP it connects from an ephemeral port.
      const fromBaresip = (m: LoggedSipMessage) => m.peer.startsWith(`${transport.toUpperCase()}:127.0.0.1:`);

      const contactOf = async (user: string): Promise<{ line: BaresipContact | undefined; text: string }> => {
        const c = await b.contacts();
        return { line: c.contacts.find((x) => x.uri === `sip:${user}@${server}`), text: c.text };
      };
      const waitStatus = async (status: string, what: string) => {
        let last = '';
        try {
          return await waitFor(
            async () => {
              const c = await contactOf('alice');
              last = c.text;
              return c.line?.status === status ? c.line : false;
            },
            what,
            10000,
            200,
          );
        } catch (e) {
          throw new Error(`${(e as Error).message}; last /contacts:\n${last}`);
        }
      };

      // 1. Online: Custom:alice NOT_INUSE → PIDF open ("Ready"), no rpid activity.
      const online = await waitStatus('Online', 'baresip to show alice Online');
      console.log(`      baresip /contacts (${transport}, NOT_INUSE): ${online.status} ${online.name} <${online.uri}>`);

      // The node's view of the subscription: PIDF chosen without any Accept, baresip's User-Agent.
      const list = await node.run('pjsip show subscriptions inbound like alice');
      const id = /Id: ([0-9a-f]+)\s+Resource: alice\s+Event: presence\s+Type: application\/pidf\+xml/.exec(list)?.[1];
      assert.ok(id, `a presence subscription to alice with PIDF:\n${list}`);
      const shown = await node.run(`pjsip show subscription inbound ${id}`);
      assert.match(shown, /^Accept\s+: application\/pidf\+xml$/m);
      assert.match(shown, /^User-Agent\s+: baresip v1\.0\.0/m);
      assert.match(shown, /^Endpoint\s+: bob$/m);

      // On the wire (node's SIP logger): baresip's SUBSCRIBE has Event: presence and no Accept.
      const msgs = () => loggedSipMessages(node).filter(fromBaresip);
      const subs = msgs().filter((m) => m.direction === 'received' && /^SUBSCRIBE sip:alice@/.test(m.text));
      assert.ok(subs.length > 0, 'the node logged baresip\'s SUBSCRIBE');
      for (const s of subs) {
        assert.equal(header(s.text, 'Event'), 'presence');
        assert.equal(header(s.text, 'Accept'), undefined, `baresip sent no Accept:\n${s.text}`);
      }
      const notifies = () => msgs().filter((m) => m.direction === 'sent' && /^NOTIFY /.test(m.text) && /^Event: presence/m.test(m.text));
      const first = notifies()[0];
      assert.ok(first, 'the node sent a NOTIFY to baresip');
      assert.equal(header(first.text, 'Content-Type'), 'application/pidf+xml');
      assert.match(first.text, /<basic>open<\/basic>/);
      assert.match(first.text, /<note>Ready<\/note>/);
      assert.doesNotMatch(first.text, /<rpid:activities>/);
      // baresip answered 200 (not 415): it accepted the body type.
      await waitFor(
        () => msgs().some((m) => m.direction === 'received' && /^SIP\/2\.0 200 /.test(m.text) && /^CSeq: \d+ NOTIFY/m.test(m.text)),
        'baresip to answer the NOTIFY 200',
        3000,
      );
      assert.ok(!msgs().some((m) => m.direction === 'received' && /^SIP\/2\.0 415 /.test(m.text)), 'baresip refused no NOTIFY with 415');

      if (transport === 'udp') {
        // carol has no hint: 404, and baresip never shows her Online.
        await waitFor(
          () => msgs().some((m) => m.direction === 'sent' && /^SIP\/2\.0 404 /.test(m.text) && /^To: <sip:carol@/m.test(m.text)),
          'the node to answer 404 to the SUBSCRIBE for carol',
          8000,
        );
        const carol = await contactOf('carol');
        assert.ok(carol.line, `carol is listed:\n${carol.text}`);
        assert.notEqual(carol.line.status, 'Online');
        console.log(`      baresip /contacts (carol, no hint): ${carol.line.status} ${carol.line.name} <${carol.line.uri}>`);
      }

      // 2. Busy: INUSE → PIDF open, note "On the phone", <rpid:on-the-phone />.
      const before = notifies().length;
      await node.run('devstate change Custom:alice INUSE');
      const busy = await waitStatus('Busy', 'baresip to show alice Busy after INUSE');
      console.log(`      baresip /contacts (${transport}, INUSE): ${busy.status} ${busy.name} <${busy.uri}>`);
      const inUse = notifies().slice(before).find((m) => /<rpid:on-the-phone/.test(m.text));
      assert.ok(inUse, 'a NOTIFY with rpid on-the-phone');
      assert.match(inUse.text, /<note>On the phone<\/note>/);

      // 3. Online again.
      await node.run('devstate change Custom:alice NOT_INUSE');
      const again = await waitStatus('Online', 'baresip to show alice Online again after NOT_INUSE');
      console.log(`      baresip /contacts (${transport}, NOT_INUSE again): ${again.status} ${again.name} <${again.uri}>`);

      // 4. baresip stops: un-SUBSCRIBE (Expires: 0) → 200 → NOTIFY terminated; nothing left.
      const stopped = await b.stop();
      assert.equal(stopped?.code, 0, stopped ? describeRun('baresip.sh stop', stopped) : 'not started');
      const listed = await waitFor(async () => {
        const out = await node.run('pjsip list subscriptions inbound');
        return /Objects found: 0/.test(out) ? out : false;
      }, 'the node to hold no subscription after baresip stopped', 5000);
      assert.match(listed, /Objects found: 0/);
      const final = notifies().find((m) => /^Subscription-State: terminated/m.test(m.text));
      assert.ok(final, 'the node sent a terminated NOTIFY after the un-SUBSCRIBE');
      assert.equal(node.node.core.extensions.listHints().find((h) => h.exten === 'alice')?.watchers, 0);
    });
  }
});
