/**
 * Interop with a real event state compositor: Kamailio's presence module (peers/kamailio.sh,
 * on a free port with its own run folder). Our node PUBLISHes a PIDF document for carol; a
 * watcher SUBSCRIBEd to Kamailio sees it in NOTIFY, then the modification, then its removal;
 * Kamailio's presentity table shows the same. A missing kamailio fails under CI=true.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { PEERS_DIR, freePort, requirePeers, runPeer, tempDir, waitFor, describeRun } from '../support/peers.js';
import { TestSipClient } from '../support/sip-client.js';
import type { SipRequest } from '../../core/sip/message.js';
import { pidf, startPublishNode, TestPublisher, UDP_TRANSPORT, type PublishNode } from './publish-node.js';

const KAMAILIO_SH = path.join(PEERS_DIR, 'kamailio.sh');

function dialogInfo(exten: string, version: number, state: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="sip:${exten}@127.0.0.1">\n` +
    ` <dialog id="${exten}">\n  <state>${state}</state>\n </dialog>\n</dialog-info>\n`
  );
}

describe('interop: res_pjsip_outbound_publish with Kamailio as the ESC', function () {
  this.timeout(30000);
  let kamPort = 0;
  let runDir = '';
  let env: NodeJS.ProcessEnv = {};
  let node: PublishNode | undefined;
  let watcher: TestSipClient | undefined;

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
    watcher?.close();
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

  it('publishes, modifies and removes a PIDF presentity that a watcher sees through Kamailio', async () => {
    node = await startPublishNode(`${UDP_TRANSPORT}
[kam]
type = outbound-publish
server_uri = sip:carol@127.0.0.1:${kamPort}
from_uri = sip:pbx@127.0.0.1
event = presence
expiration = 300
`);
    await node.run('pjsip set logger on');
    const pub = new TestPublisher('presence');
    const unregister = node.register(pub);
    pub.set(undefined, pidf('carol', 'first-note'));

    const stored = await waitFor(async () => {
      const t = await presentities();
      return /first-note/.test(t) ? t : undefined;
    }, 'the presentity in Kamailio', 5000, 100);
    assert.match(stored, /carol/);
    assert.match(await node.run('pjsip show outbound-publishes'), /^kam\s+presence\s+-\s+Published\s+a\.\S+\s+200 OK/m);

    watcher = await TestSipClient.udp(kamPort);
    const notifies = (): SipRequest[] => watcher!.received.filter((r) => r.method === 'NOTIFY');
    const sub = await watcher.request('SUBSCRIBE', `sip:carol@127.0.0.1:${kamPort}`, {
      fromUser: 'watcher',
      headers: [
        ['Event', 'presence'],
        ['Accept', 'application/pidf+xml'],
        ['Contact', watcher.contact],
        ['Expires', '120'],
      ],
    });
    assert.equal(sub.status, 200);
    await waitFor(() => notifies().find((n) => n.bodyText().includes('first-note')), 'a NOTIFY with the published note');

    pub.set(undefined, pidf('carol', 'second-note'));
    await waitFor(() => notifies().find((n) => n.bodyText().includes('second-note')), 'a NOTIFY with the modified note');
    await waitFor(async () => {
      const t = await presentities();
      return /second-note/.test(t) && !/first-note/.test(t) ? t : undefined;
    }, 'the modified presentity replacing the first', 5000, 100);

    // The publisher goes: the publication is removed (Expires: 0 with the ETag Kamailio gave).
    const before = notifies().length;
    unregister();
    await waitFor(async () => {
      const t = await presentities();
      return !/second-note/.test(t) ? t : undefined;
    }, 'the presentity gone from Kamailio', 5000, 100);
    const last = await waitFor(() => notifies().length > before && notifies()[notifies().length - 1], 'a NOTIFY after the removal');
    assert.ok(!last.bodyText().includes('second-note'), `NOTIFY after removal still carries the note:\n${last.bodyText()}`);
    assert.match(last.bodyText(), /<basic>closed<\/basic>/);
    const wire = node.logs.filter((l) => /PUBLISH sip:carol@/.test(l)).length;
    assert.ok(wire >= 3, 'initial, modify and remove went out');
  });

  it('dialog, multi_user: after Kamailio restarts, the 412 to our modify brings a new initial PUBLISH with the state', async () => {
    await node?.stop();
    node = await startPublishNode(`${UDP_TRANSPORT}
[blf]
type = outbound-publish
server_uri = sip:blf@127.0.0.1:${kamPort}
from_uri = sip:pbx@127.0.0.1
event = dialog
multi_user = yes
expiration = 300
@body = application/dialog-info+xml
`);
    await node.run('pjsip set logger on');
    const pub = new TestPublisher('dialog');
    node.register(pub);
    pub.set('1000', dialogInfo('1000', 0, 'confirmed'), 'application/dialog-info+xml');
    await waitFor(async () => {
      const t = await presentities();
      return /:1000:127\.0\.0\.1:dialog:.*confirmed/.test(t) ? t : undefined;
    }, 'the dialog of 1000 stored', 5000, 100);

    // The ESC restarts with empty tables: our ETag means nothing to it any more.
    const r = await kam('restart');
    if (r.code !== 0) throw new Error(describeRun('kamailio.sh restart', r));
    assert.doesNotMatch(await presentities(), /:1000:/);

    pub.set('1000', dialogInfo('1000', 1, 'early'), 'application/dialog-info+xml');
    const stored = await waitFor(async () => {
      const t = await presentities();
      return /:1000:127\.0\.0\.1:dialog:.*early/.test(t) ? t : undefined;
    }, 'the early dialog stored after the 412 recovery', 5000, 100);
    assert.doesNotMatch(stored, /confirmed/);
    assert.ok(node.logs.some((l) => /SIP\/2\.0 412/.test(l)), 'Kamailio answered 412 to the modify');
    const publishes = node.logs.filter((l) => /PUBLISH sip:1000@/.test(l));
    assert.equal(publishes.length, 3, 'initial, modify (412), new initial');
    assert.match(publishes[1]!, /SIP-If-Match: a\./);
    assert.doesNotMatch(publishes[2]!, /SIP-If-Match/);
    assert.match(publishes[2]!, /<state>early<\/state>/);
    assert.match(await node.run('pjsip show outbound-publishes'), /^blf\s+dialog\s+1000\s+Published\s+a\.\S+\s+200 OK/m);
  });
});
