/**
 * The boot-time unsolicited wave: after a restart, contacts and mailbox counts come back from
 * the store and every endpoint gets its NOTIFY (unless mwi_disable_initial_unsolicited); a big
 * wave is paced so the node keeps answering.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseMessage } from '../../core/sip/parser.js';
import { buildResponse, serializeMessage } from '../../core/sip/serializer.js';
import { startMwi } from '../../modules/res_pjsip_mwi/engine.js';
import { startPjsipNode, type PjsipNode } from '../res_pjsip/pjsip-node.js';
import { TestSipClient } from '../support/sip-client.js';
import { bodyLines, expectNoMoreNotifies, expectedLines, NO_MWI_MODULES_CONF, register, startMwiNode, TRANSPORTS, waitNotifies } from './mwi-node.js';

const CONF = `
[global]
type = global
default_voicemail_extension = *97
${TRANSPORTS}
[mwiuser]
type = endpoint
aors = mwiuser
mailboxes = 2000@default

[mwiuser]
type = aor
max_contacts = 1
`;

describe('res_pjsip_mwi at start-up', function () {
  this.timeout(30000);
  let n: PjsipNode | undefined;
  let c: TestSipClient | undefined;
  afterEach(async () => {
    c?.close();
    c = undefined;
    await n?.stop();
    n = undefined;
  });

  /** First life: a phone registers and the mailbox gets counts; the node stops. */
  async function firstLife(conf: string): Promise<string> {
    n = await startMwiNode(conf);
    c = await TestSipClient.udp(n.udpPort);
    await register(c, n, 'mwiuser', 'mwiuser', 3600);
    await waitNotifies(c, 1);
    await n.run('mwi update 2000@default 3 1');
    await waitNotifies(c, 2);
    const dir = n.dir;
    await n.stop();
    n = undefined;
    return dir;
  }

  it('sends the persisted counts to the persisted contacts once fully booted', async () => {
    const dir = await firstLife(CONF);
    n = await startMwiNode(CONF, dir);
    const got = await waitNotifies(c!, 3);
    assert.equal(got[2]!.uri, `sip:mwiuser@127.0.0.1:${c!.localPort}`);
    assert.deepEqual(bodyLines(got[2]!), expectedLines(3, 1, `sip:*97@127.0.0.1:${n.udpPort}`));
    assert.equal(got[2]!.getHeader('Subscription-State'), 'terminated');
    await expectNoMoreNotifies(c!, 3);
  });

  it('skips the boot wave with mwi_disable_initial_unsolicited, and still follows mailbox changes', async () => {
    const dir = await firstLife(CONF);
    const conf = CONF.replace('default_voicemail_extension = *97', 'default_voicemail_extension = *97\nmwi_disable_initial_unsolicited = yes');
    writeFileSync(path.join(dir, 'pjsip.conf'), conf);
    n = await startMwiNode(conf, dir);
    await expectNoMoreNotifies(c!, 2, 500);
    await n.run('mwi update 2000@default 4 1');
    const got = await waitNotifies(c!, 3);
    assert.deepEqual(bodyLines(got[2]!), expectedLines(4, 1, `sip:*97@127.0.0.1:${n.udpPort}`));
  });

  it('paces a wave of 2000 endpoints: every contact gets its NOTIFY, the event loop stays responsive, in-flight stays bounded', async () => {
    const COUNT = 2000;
    const MAX_IN_FLIGHT = 150;
    // One UDP "phone farm" answers every NOTIFY 200 after 20 ms, so answers overlap.
    const farm = dgram.createSocket('udp4');
    await new Promise<void>((r) => farm.bind(0, '127.0.0.1', r));
    const seen = new Map<string, string>();
    farm.on('message', (buf, rinfo) => {
      const p = parseMessage(buf);
      if (!p.ok || p.message.kind !== 'request') return;
      const req = p.message;
      seen.set(req.uri, req.bodyText());
      setTimeout(() => farm.send(serializeMessage(buildResponse(req, 200)), rinfo.port, rinfo.address), 20);
    });
    let conf = `[global]\ntype = global\ndefault_voicemail_extension = *97\n${TRANSPORTS}`;
    for (let i = 0; i < COUNT; i++) {
      conf += `[ep${i}]\ntype = endpoint\naors = ep${i}\nmailboxes = ${i}\n\n[ep${i}]\ntype = aor\ncontact = sip:ep${i}@127.0.0.1:${farm.address().port}\n\n`;
    }
    n = await startPjsipNode(conf, { 'modules.conf': NO_MWI_MODULES_CONF });
    for (let i = 0; i < COUNT; i += 97) await n.node.core.mailboxes.update(`${i}@default`, { new: i % 5, old: 1 });
    const mwi = startMwi({ core: n.node.core, pjsip: n.pjsip, log: n.node.core.log, pacing: { batchSize: 100, maxInFlight: MAX_IN_FLIGHT } });
    try {
      // Let the FullyBooted wave of startMwi (the node is up: it fires on the next turn) run.
      let maxInFlight = 0;
      const sampler = setInterval(() => (maxInFlight = Math.max(maxInFlight, mwi.unsolicited.queue.inFlight)), 1);
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      const t0 = Date.now();
      // The wave waits for the loop to settle after FullyBooted (loop-settle.ts): tens of ms here.
      while (mwi.unsolicited.queue.size === 0 && mwi.unsolicited.queue.outstanding === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 2));
      assert.ok(mwi.unsolicited.queue.size > 0 || mwi.unsolicited.queue.outstanding > 0, 'the wave started');
      await mwi.unsolicited.queue.idle();
      lag.disable();
      clearInterval(sampler);
      const took = Date.now() - t0;
      assert.equal(seen.size, COUNT, `NOTIFYs received: ${seen.size}`);
      assert.equal(mwi.unsolicited.counters.sent, COUNT);
      assert.equal(mwi.unsolicited.counters.failed, 0);
      assert.ok(maxInFlight <= MAX_IN_FLIGHT && maxInFlight > 10, `max in flight ${maxInFlight}`);
      const maxLagMs = lag.max / 1e6;
      assert.ok(maxLagMs < 250, `event loop held for ${maxLagMs.toFixed(1)} ms`);
      // Spot-check the counts of a few endpoints.
      for (const i of [0, 97, 194, 1940]) {
        assert.ok(seen.get(`sip:ep${i}@127.0.0.1:${farm.address().port}`)!.includes(`Voice-Message: ${i % 5}/1 (0/0)`), `ep${i}`);
      }
      assert.ok(seen.get(`sip:ep1@127.0.0.1:${farm.address().port}`)!.includes('Voice-Message: 0/0 (0/0)'));
      console.log(`      (${COUNT} NOTIFYs in ${took} ms, max in flight ${maxInFlight}, max event-loop delay ${maxLagMs.toFixed(1)} ms)`);
    } finally {
      mwi.stop();
      farm.close();
    }
  });
});
