/**
 * onsip SIP.js 0.21.2 in Node (`ws` as its WebSocket) subscribes to presence over the node's
 * `ws` transport with SIP.js's own `Subscriber`, authenticating as bob (digest). SIP.js sends no
 * Accept header, so the node must answer with PIDF. Every NOTIFY has to reach SIP.js over the
 * WebSocket connection the SUBSCRIBE came in on: SIP.js's Contact host is `<random>.invalid`,
 * which cannot be resolved or connected to. Checked: the first NOTIFY is PIDF with basic open;
 * after `devstate change Custom:alice INUSE` a NOTIFY carries rpid on-the-phone; after
 * `unsubscribe()` the node answers 200 and sends the terminated NOTIFY, which SIP.js receives
 * and answers 200. A SUBSCRIBE to an extension without a hint is refused 404 and no NOTIFY
 * comes, which shows the checks can fail.
 */
import assert from 'node:assert/strict';
import { Subscriber, SubscriptionState, UserAgent, type LogLevel, type Notification } from 'sip.js';
import { WebSocket } from 'ws';
import { interopPjsipConf, loggedSipMessages, nodeLogTail, startInteropNode, waitFor, type InteropNode } from '../support/peers.js';

const PASSWORD = 'bob-interop-Pw1';
const EXTENSIONS = '[default]\nexten => alice,hint,Custom:alice\n';

type GlobalWithWs = { WebSocket?: unknown };

interface SeenNotify {
  subscriptionState: string;
  contentType: string;
  body: string;
}

describe('interop: SIP.js Subscriber watches presence over WebSocket', function () {
  this.timeout(20000);
  let n: InteropNode | undefined;
  let savedWebSocket: unknown;
  const agents: UserAgent[] = [];
  const uaLog: string[] = [];

  before(async () => {
    // SIP.js's Web transport calls `new WebSocket(server, "sip")`; Node 20 has no global one.
    const g = globalThis as GlobalWithWs;
    savedWebSocket = g.WebSocket;
    g.WebSocket = WebSocket;
    n = await startInteropNode(interopPjsipConf(PASSWORD), { 'extensions.conf': EXTENSIONS });
  });

  afterEach(async function () {
    for (const ua of agents.splice(0)) await ua.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed') {
      console.log(`--- SIP.js log ---\n${uaLog.slice(-80).join('\n')}`);
      if (n) console.log(`--- node log ---\n${nodeLogTail(n, 160)}`);
    }
    uaLog.length = 0;
  });

  after(async () => {
    for (const ua of agents.splice(0)) await ua.stop().catch(() => undefined);
    await n?.stop();
    const g = globalThis as GlobalWithWs;
    if (savedWebSocket === undefined) delete g.WebSocket;
    else g.WebSocket = savedWebSocket;
  });

  function makeAgent(): UserAgent {
    const uri = UserAgent.makeURI('sip:bob@127.0.0.1');
    assert.ok(uri);
    const ua = new UserAgent({
      uri,
      transportOptions: { server: `ws://127.0.0.1:${n!.ports.ws}/ws`, connectionTimeout: 5, traceSip: true },
      authorizationUsername: 'bob',
      authorizationPassword: PASSWORD,
      userAgentString: 'SIP.js interop (tsterisk)',
      logBuiltinEnabled: false,
      logLevel: 'debug',
      logConnector: (level: LogLevel, category: string, _label: string | undefined, content: string) => uaLog.push(`${level} ${category} ${content}`),
    });
    agents.push(ua);
    return ua;
  }

  /** NOTIFYs as SIP.js's WebSocket transport received them (traceSip), in order. */
  const notifiesReceivedBySipJs = () => uaLog.filter((l) => /Received WebSocket text message:\s+NOTIFY /.test(l));

  function subscriberFor(ua: UserAgent, user: string, seen: SeenNotify[]): Subscriber {
    const target = UserAgent.makeURI(`sip:${user}@127.0.0.1`);
    assert.ok(target);
    const s = new Subscriber(ua, target, 'presence', { expires: 300 });
    s.delegate = {
      onNotify(notification: Notification) {
        void notification.accept();
        const m = notification.request;
        seen.push({ subscriptionState: m.getHeader('Subscription-State') ?? '', contentType: m.getHeader('Content-Type') ?? '', body: m.body });
      },
    };
    return s;
  }

  it('PIDF open, then on-the-phone after INUSE; unsubscribe gets 200 and a terminated NOTIFY over the WebSocket', async () => {
    const node = n!;
    await node.run('devstate change Custom:alice NOT_INUSE');
    const ua = makeAgent();
    await ua.start();
    assert.equal(ua.isConnected(), true);
    const seen: SeenNotify[] = [];
    const subscriber = subscriberFor(ua, 'alice', seen);
    const states: SubscriptionState[] = [];
    subscriber.stateChange.addListener((s) => states.push(s));
    await subscriber.subscribe();

    // 1. The first NOTIFY: PIDF, basic open.
    const first = await waitFor(() => seen[0], 'the first NOTIFY to reach SIP.js over the WebSocket', 5000);
    console.log(`      SIP.js notification 1: ${first.subscriptionState} ${first.contentType} basic=${/<basic>([^<]*)<\/basic>/.exec(first.body)?.[1]}`);
    assert.equal(first.contentType, 'application/pidf+xml');
    assert.match(first.subscriptionState, /^active;expires=\d+$/);
    assert.match(first.body, /<presence entity="sip:alice@127\.0\.0\.1" xmlns="urn:ietf:params:xml:ns:pidf"/);
    assert.match(first.body, /<basic>open<\/basic>/);
    assert.doesNotMatch(first.body, /on-the-phone/);
    assert.equal(subscriber.state, SubscriptionState.Subscribed);

    // The node's side: the SUBSCRIBE came over WS with no Accept; the NOTIFY went back over WS.
    const wire = loggedSipMessages(node).filter((m) => m.peer.startsWith('WS:'));
    const sub = wire.find((m) => m.direction === 'received' && /^SUBSCRIBE sip:alice@127\.0\.0\.1 /.test(m.text) && /^Authorization: Digest/m.test(m.text));
    assert.ok(sub, 'the node logged SIP.js\'s authenticated SUBSCRIBE over WS');
    assert.doesNotMatch(sub.text, /^Accept:/im, 'SIP.js sent no Accept');
    assert.match(sub.text, /^Contact: <sip:[^@]+@[^;>]+\.invalid;transport=ws>/m);
    assert.ok(wire.some((m) => m.direction === 'sent' && /^NOTIFY sip:[^@]+@[^;\s]+\.invalid;transport=ws SIP\/2\.0/.test(m.text)), 'the NOTIFY went to the .invalid contact over WS');

    // 2. INUSE: a NOTIFY with rpid on-the-phone.
    await node.run('devstate change Custom:alice INUSE');
    const busy = await waitFor(() => seen.find((s) => /<rpid:on-the-phone/.test(s.body)), 'a NOTIFY with on-the-phone', 5000);
    console.log(`      SIP.js notification ${seen.indexOf(busy) + 1}: ${busy.subscriptionState} ${busy.contentType} basic=${/<basic>([^<]*)<\/basic>/.exec(busy.body)?.[1]} note=${/<note>([^<]*)<\/note>/.exec(busy.body)?.[1]} rpid=on-the-phone`);
    assert.equal(busy.contentType, 'application/pidf+xml');
    assert.match(busy.body, /<basic>open<\/basic>/);
    assert.match(busy.body, /<note>On the phone<\/note>/);

    // 3. unsubscribe(): SUBSCRIBE Expires: 0 → 200, then NOTIFY terminated (SIP.js has already
    // disposed of the Subscriber, so it answers that NOTIFY itself without calling the delegate:
    // read it from its transport trace and from the node's log).
    const beforeUnsub = notifiesReceivedBySipJs().length;
    await subscriber.unsubscribe();
    assert.equal(subscriber.state, SubscriptionState.Terminated);
    const finalSeen = await waitFor(
      () => notifiesReceivedBySipJs().slice(beforeUnsub).find((l) => /Subscription-State: terminated/.test(l)),
      'SIP.js to receive the terminated NOTIFY over the WebSocket',
      5000,
    );
    console.log(`      SIP.js received after unsubscribe: ${/Subscription-State: [^\r\n]*/.exec(finalSeen)![0]}`);
    await waitFor(async () => /Objects found: 0/.test(await node.run('pjsip list subscriptions inbound')), 'the node to end the subscription', 5000);
    const after = loggedSipMessages(node).filter((m) => m.peer.startsWith('WS:'));
    const unsub = after.find((m) => m.direction === 'received' && /^SUBSCRIBE /.test(m.text) && /^Expires: 0\r?$/m.test(m.text));
    assert.ok(unsub, 'SIP.js sent SUBSCRIBE Expires: 0');
    const unsubCseq = /^CSeq: (\d+) SUBSCRIBE/m.exec(unsub.text)![1];
    assert.ok(
      after.some((m) => m.direction === 'sent' && /^SIP\/2\.0 200 /.test(m.text) && new RegExp(`^CSeq: ${unsubCseq} SUBSCRIBE`, 'm').test(m.text)),
      'the node answered the un-SUBSCRIBE 200',
    );
    const fin = after.find((m) => m.direction === 'sent' && /^NOTIFY /.test(m.text) && /^Subscription-State: terminated/m.test(m.text));
    assert.ok(fin, 'the node sent a terminated NOTIFY');
    const finCseq = /^CSeq: (\d+) NOTIFY/m.exec(fin.text)![1];
    await waitFor(
      () => loggedSipMessages(node).some((m) => m.direction === 'received' && m.peer.startsWith('WS:') && /^SIP\/2\.0 200 /.test(m.text) && new RegExp(`^CSeq: ${finCseq} NOTIFY`, 'm').test(m.text)),
      'SIP.js to answer the terminated NOTIFY 200',
      5000,
    );
    console.log(`      SIP.js Subscriber states: ${states.join(' -> ')}; notifications to the delegate: ${seen.length}`);
    assert.equal(node.node.core.extensions.listHints().find((h) => h.exten === 'alice')?.watchers, 0);
    await ua.stop();
  });

  it('an extension without a hint: 404, no NOTIFY, the Subscriber ends', async () => {
    const ua = makeAgent();
    await ua.start();
    const seen: SeenNotify[] = [];
    const subscriber = subscriberFor(ua, 'nobody', seen);
    await subscriber.subscribe();
    await waitFor(
      () => loggedSipMessages(n!).some((m) => m.direction === 'sent' && m.peer.startsWith('WS:') && /^SIP\/2\.0 404 /.test(m.text) && /^To: <sip:nobody@/m.test(m.text)),
      'the node to answer 404',
      5000,
    );
    await waitFor(() => subscriber.state === SubscriptionState.Terminated, 'the Subscriber to end after the 404', 5000);
    assert.equal(seen.length, 0);
    assert.match(await n!.run('pjsip list subscriptions inbound'), /Objects found: 0/);
    await ua.stop();
  });
});
