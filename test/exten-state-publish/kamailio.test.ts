/**
 * Extension-state publishing with Kamailio as the event state compositor (peers/kamailio.sh on a
 * free port with its own run folder). The node publishes dialog-info and PIDF for hint 1000
 * (Custom:alice); a watcher SUBSCRIBEd at Kamailio sees each state change in its NOTIFYs. When
 * Kamailio restarts (its tables are fresh per start) our next modify gets 412 and the node
 * recovers with a new initial PUBLISH carrying the full state. A missing kamailio fails under CI.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { SipRequest } from '../../core/sip/message.js';
import { PEERS_DIR, describeRun, freePort, requirePeers, runPeer, tempDir, waitFor } from '../support/peers.js';
import { TestSipClient } from '../support/sip-client.js';
import { extenStatePublish, parseDialogInfo, parsePidf, startExtenStateNode, UDP_TRANSPORT, type ExtenStateNode } from './exten-state-node.js';

const KAMAILIO_SH = path.join(PEERS_DIR, 'kamailio.sh');

type Event = 'dialog' | 'presence';
const ACCEPT: Record<Event, string> = { dialog: 'application/dialog-info+xml', presence: 'application/pidf+xml' };

describe('interop: extension-state publishing with Kamailio as the ESC', function () {
  this.timeout(45000);
  let kamPort = 0;
  let runDir = '';
  let env: NodeJS.ProcessEnv = {};
  let node: ExtenStateNode | undefined;
  const watchers: TestSipClient[] = [];

  const kam = (...args: string[]) => runPeer('bash', [KAMAILIO_SH, ...args], { env, timeoutMs: 20000 });

  before(async function () {
    requirePeers(this, { binaries: ['kamailio', 'kamcmd'], files: [KAMAILIO_SH] });
    kamPort = await freePort();
    runDir = tempDir('tst-kam-');
    env = { ...process.env, KAM_PORT: String(kamPort), KAM_RUN_DIR: runDir };
    const r = await kam('start');
    if (r.code !== 0) throw new Error(describeRun('kamailio.sh start', r));
  });

  after(async () => {
    for (const w of watchers) w.close();
    await node?.stop();
    if (runDir !== '') {
      await kam('stop');
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  async function presentities(): Promise<string> {
    const r = await kam('presentities');
    if (r.code !== 0) throw new Error(describeRun('kamailio.sh presentities', r));
    return r.stdout;
  }

  /** A watcher SUBSCRIBEd at Kamailio to 1000 for `event` (200 OK, no authentication). */
  async function subscribe(event: Event): Promise<TestSipClient> {
    const w = await TestSipClient.udp(kamPort);
    watchers.push(w);
    const res = await w.request('SUBSCRIBE', `sip:1000@127.0.0.1:${kamPort}`, {
      fromUser: `watch-${event}`,
      headers: [
        ['Event', event],
        ['Accept', ACCEPT[event]],
        ['Contact', w.contact],
        ['Expires', '300'],
      ],
    });
    assert.equal(res.status, 200, `SUBSCRIBE ${event}: ${res.status} ${res.reason}`);
    return w;
  }

  const notifies = (w: TestSipClient): SipRequest[] => w.received.filter((r) => r.method === 'NOTIFY' && r.body.length > 0);

  /** The first NOTIFY with a body after `from` that satisfies `ok`. */
  const notifyWhere = async (w: TestSipClient, from: number, ok: (body: string) => boolean, what: string) => {
    try {
      return await waitFor(() => notifies(w).slice(from).find((n) => ok(n.bodyText())), what, 8000, 50);
    } catch (e) {
      const seen = w.received.map((r) => `${r.method} ${r.getHeader('Subscription-State') ?? ''}\n${r.bodyText()}`).join('\n----\n');
      const sip = node ? node.logs.filter((l) => /PUBLISH|SIP\/2\.0 \d/.test(l)).slice(-8).join('\n====\n') : '';
      const pres = await presentities();
      const klog = (await kam('log', '300')).stdout
        .split('\n')
        .filter((l) => /PUBLISH|NOTIFY|WARNING|ERROR/.test(l))
        .slice(-30)
        .join('\n');
      throw new Error(`${(e as Error).message}\npresentities:\n${pres}\nkamailio log:\n${klog}\nwatcher got:\n${seen}\nlast SIP of the node:\n${sip}`);
    }
  };

  const dialogStates = (body: string) => parseDialogInfo(body).dialogs.map((d) => d.state);
  const publishesOf = (n: ExtenStateNode, event: Event) =>
    n.logs.filter((l) => /PUBLISH sip:1000@/.test(l) && new RegExp(`^Event: ${event}\\r?$`, 'm').test(l));

  const server = () => `sip:127.0.0.1:${kamPort}`;
  const publishConf = () =>
    UDP_TRANSPORT +
    extenStatePublish('kam-dialog', { server: server(), event: 'dialog', body: 'application/dialog-info+xml', context: '^users$', exten: '^1000$', expiration: 300 }) +
    extenStatePublish('kam-presence', { server: server(), event: 'presence', body: 'application/pidf+xml', context: '^users$', exten: '^1000$', expiration: 300 });

  /** Both publications of 1000 answered 200 with a Kamailio ETag (seen in the CLI: the logger starts later). */
  async function published(n: ExtenStateNode): Promise<void> {
    await waitFor(async () => {
      const t = await n.run('pjsip show outbound-publishes');
      return /^kam-dialog\s+dialog\s+1000\s+Published\s+a\.\S+\s+200 OK/m.test(t) && /^kam-presence\s+presence\s+1000\s+Published\s+a\.\S+\s+200 OK/m.test(t) ? t : undefined;
    }, 'the initial dialog and presence PUBLISHes of 1000 answered 200 with Kamailio ETags', 8000, 100);
  }

  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('PIDF: the watcher at Kamailio sees the idle state, then on-the-phone after devstate change', async () => {
    node = await startExtenStateNode(publishConf());
    await node.run('pjsip set logger on');
    await published(node);
    assert.match(await presentities(), /:1000:127\.0\.0\.1:presence:.*Ready/);
    const pw = await subscribe('presence');
    const p0 = await notifyWhere(pw, 0, (b) => parsePidf(b).notes.includes('Ready'), 'a presence NOTIFY with Ready');
    assert.deepEqual(parsePidf(p0.bodyText()).basic, ['open']);

    const from = notifies(pw).length;
    await node.run('devstate change Custom:alice INUSE');
    const p1 = await notifyWhere(pw, from, (b) => parsePidf(b).activities.includes('on-the-phone'), 'a presence NOTIFY with on-the-phone');
    assert.deepEqual(parsePidf(p1.bodyText()).notes, ['On the phone']);
    // Kamailio's ETag went back as SIP-If-Match: a modify of the same presentity.
    assert.match(publishesOf(node, 'presence').at(-1)!, /SIP-If-Match: a\.\S+/);
    assert.equal((await presentities()).split('\n').filter((l) => /:1000:127\.0\.0\.1:presence:/.test(l)).length, 1, 'one presence presentity');
  });

  it('dialog: after the idle (terminated) state, the watcher at Kamailio sees confirmed on devstate change', async () => {
    // An idle hint is published as a terminated dialog, as Asterisk does, and Kamailio's
    // presence module skips every modify of a terminated dialog presentity ("Trying to update
    // an already terminated state", 200 OK, old body kept). Leaving terminated therefore starts
    // a new publication: a remove (Expires: 0) of the old one, then an initial PUBLISH.
    const r0 = await kam('restart');
    if (r0.code !== 0) throw new Error(describeRun('kamailio.sh restart', r0));
    node = await startExtenStateNode(publishConf());
    await node.run('pjsip set logger on');
    await published(node);
    const dw = await subscribe('dialog');
    await notifyWhere(dw, 0, (b) => dialogStates(b).includes('terminated'), 'a dialog NOTIFY with the idle (terminated) dialog');

    const from = notifies(dw).length;
    await node.run('devstate change Custom:alice INUSE');
    const d1 = await notifyWhere(dw, from, (b) => dialogStates(b).includes('confirmed'), 'a dialog NOTIFY with confirmed');
    assert.equal(d1.getHeader('Content-Type'), 'application/dialog-info+xml');
    const stored = (await presentities()).split('\n').filter((l) => /:1000:127\.0\.0\.1:dialog:/.test(l));
    assert.equal(stored.length, 1, `one dialog presentity for 1000:\n${stored.join('\n')}`);
    assert.match(stored[0]!, /confirmed/);
    // On the wire: the old publication removed with its ETag, then a new initial with the state.
    const sent = publishesOf(node, 'dialog');
    const remove = sent.findIndex((l) => /^Expires: 0\r?$/m.test(l));
    assert.ok(remove >= 0, `a remove PUBLISH:\n${sent.join('\n----\n')}`);
    assert.match(sent[remove]!, /SIP-If-Match: a\./);
    assert.doesNotMatch(sent[remove + 1]!, /SIP-If-Match/);
    assert.ok(sent[remove + 1]!.includes('<state>confirmed</state>'), 'the new initial carries confirmed');

    // The next change is a plain modify of the new publication, and Kamailio takes it.
    const from2 = notifies(dw).length;
    await node.run('devstate change Custom:alice RINGING');
    await notifyWhere(dw, from2, (b) => dialogStates(b).includes('early'), 'a dialog NOTIFY with early');
    assert.match(publishesOf(node, 'dialog').at(-1)!, /SIP-If-Match: a\./);
  });

  it('dialog: an idle hint stays at Kamailio across refreshes (each one a new publication, never skipped, never a 412)', async () => {
    // Kamailio does not extend a terminated dialog on refresh either (and answers an ETag it
    // does not store); the node publishes it anew instead, so it never lapses.
    const r0 = await kam('restart');
    if (r0.code !== 0) throw new Error(describeRun('kamailio.sh restart', r0));
    const skipped = async () => (await kam('log', '100000')).stdout.split('\n').filter((l) => /already terminated state/.test(l)).length;
    const skippedBefore = await skipped();
    const conf = UDP_TRANSPORT + extenStatePublish('kam-dialog', { server: server(), event: 'dialog', body: 'application/dialog-info+xml', context: '^users$', exten: '^1000$', expiration: 8 });
    node = await startExtenStateNode(conf);
    await node.run('pjsip set logger on');
    /** Kamailio's dialog presentities of 1000 as [etag, expires]. */
    const stored = async () =>
      (await presentities())
        .split('\n')
        .filter((l) => /:1000:127\.0\.0\.1:dialog:/.test(l))
        .map((l) => l.split(':').slice(4, 6));
    const first = await waitFor(async () => {
      const t = await stored();
      return t.length === 1 ? t[0]! : undefined;
    }, 'the idle dialog stored', 5000, 100);
    // The refresh is due after 4 s: a remove and a new initial replace the presentity.
    const second = await waitFor(async () => {
      const t = await stored();
      return t.length === 1 && t[0]![0] !== first[0] ? t[0]! : undefined;
    }, 'a new presentity after the refresh time', 9000, 200);
    assert.ok(Number(second[1]) > Number(first[1]), `the new one expires later: ${first[1]} then ${second[1]}`);
    const ours = await node.run('pjsip show outbound-publishes');
    assert.ok(ours.includes(second[0]!), `our ETag is the one Kamailio stores (${second[0]}):\n${ours}`);
    assert.match(await presentities(), /<state>terminated<\/state>/);
    const sent = publishesOf(node, 'dialog');
    assert.ok(sent.some((l) => /^Expires: 0\r?$/m.test(l)), 'a remove went out');
    assert.ok(!sent.some((l) => /SIP-If-Match/.test(l) && !/^Expires: 0\r?$/m.test(l)), 'no modify or refresh of the terminated dialog');
    assert.ok(!node.logs.some((l) => /SIP\/2\.0 412/.test(l)), 'no 412');
    assert.equal(await skipped(), skippedBefore, 'Kamailio skipped nothing');
  });

  it('after Kamailio restarts, the 412 to our modify brings a new initial PUBLISH with the full state (dialog and PIDF)', async () => {
    // alice is in use before the node starts (astdb), so the dialog publication never holds
    // "terminated" (no new publication, see the test above) and the 412 path is what is tested here.
    const pre = await startExtenStateNode(UDP_TRANSPORT);
    await pre.run('devstate change Custom:alice INUSE');
    const dir = pre.dir;
    await pre.stop();
    const r0 = await kam('restart');
    if (r0.code !== 0) throw new Error(describeRun('kamailio.sh restart', r0));

    node = await startExtenStateNode(publishConf(), dir);
    await node.run('pjsip set logger on');
    await published(node);
    assert.match(await presentities(), /:1000:127\.0\.0\.1:dialog:.*confirmed/);
    const dw = await subscribe('dialog');
    const pw = await subscribe('presence');
    await notifyWhere(dw, 0, (b) => dialogStates(b).includes('confirmed'), 'a dialog NOTIFY with confirmed (state at start)');
    await notifyWhere(pw, 0, (b) => parsePidf(b).activities.includes('on-the-phone'), 'a presence NOTIFY with on-the-phone (state at start)');

    // A modify Kamailio accepts: ringing.
    const dFrom = notifies(dw).length;
    await node.run('devstate change Custom:alice RINGING');
    const d1 = await notifyWhere(dw, dFrom, (b) => dialogStates(b).includes('early'), 'a dialog NOTIFY with early');
    assert.doesNotMatch(d1.bodyText(), /confirmed/);

    // Kamailio restarts with empty tables; the watchers' subscriptions are gone with them.
    const r = await kam('restart');
    if (r.code !== 0) throw new Error(describeRun('kamailio.sh restart', r));
    assert.doesNotMatch(await presentities(), /:1000:/);
    const logFrom = node.logs.length;
    const dialogBefore = publishesOf(node, 'dialog').length;
    const presenceBefore = publishesOf(node, 'presence').length;

    await node.run('devstate change Custom:alice ONHOLD');
    const stored = await waitFor(async () => {
      const t = await presentities();
      return /:1000:127\.0\.0\.1:dialog:.*confirmed/.test(t) && /:1000:127\.0\.0\.1:presence:.*On hold/.test(t) ? t : undefined;
    }, 'the on-hold dialog and PIDF stored after the 412 recovery', 8000, 100);
    assert.doesNotMatch(stored, /early/);
    assert.ok(node.logs.slice(logFrom).some((l) => /SIP\/2\.0 412/.test(l)), 'Kamailio answered 412 to a modify');
    for (const [event, before, state] of [
      ['dialog', dialogBefore, '<state>confirmed</state>'],
      ['presence', presenceBefore, 'On hold'],
    ] as const) {
      const sent = publishesOf(node, event).slice(before);
      assert.equal(sent.length, 2, `${event}: a modify (412) then a new initial:\n${sent.join('\n----\n')}`);
      assert.match(sent[0]!, /SIP-If-Match: a\./);
      assert.doesNotMatch(sent[1]!, /SIP-If-Match/);
      assert.ok(sent[1]!.includes(state), `${event}: the new initial carries the full state`);
    }

    // Re-subscribed watchers see the recovered state.
    const dw2 = await subscribe('dialog');
    const pw2 = await subscribe('presence');
    await notifyWhere(dw2, 0, (b) => dialogStates(b).includes('confirmed'), 'a dialog NOTIFY with confirmed after re-SUBSCRIBE');
    await notifyWhere(pw2, 0, (b) => parsePidf(b).notes.includes('On hold'), 'a presence NOTIFY with On hold after re-SUBSCRIBE');

    // The next change after the recovery is a plain modify that Kamailio accepts.
    const from2 = notifies(dw2).length;
    await node.run('devstate change Custom:alice RINGING');
    await notifyWhere(dw2, from2, (b) => dialogStates(b).includes('early'), 'a dialog NOTIFY with early after the recovery');
    assert.match(publishesOf(node, 'dialog').at(-1)!, /SIP-If-Match: a\./);
  });
});
