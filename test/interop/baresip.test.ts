/**
 * baresip 1.0.0 (Debian baresip-core), driven by ../shared/peers/baresip.sh, registers to the
 * node with digest authentication: baresip says it is registered (its /reginfo shows OK), the
 * node holds its contact (`pjsip show contacts`, the location) and PJSIP/bob turns Not in use;
 * stopping baresip un-registers it and the endpoint turns Unavailable again. A wrong password
 * leaves baresip unregistered and the node without a contact.
 */
import assert from 'node:assert/strict';
import { DeviceState } from '../../core/state/device-state.js';
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

const PASSWORD = 'bob-interop-Pw1';

describe('interop: baresip registers with digest auth', function () {
  this.timeout(30000);
  let n: InteropNode | undefined;
  const peers: Baresip[] = [];

  before(async function () {
    requirePeers(this, { binaries: ['baresip', 'bash'], files: [BARESIP_SH, '/usr/lib/baresip/modules/presence.so'] });
    n = await startInteropNode(interopPjsipConf(PASSWORD));
  });

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const b of peers.splice(0)) {
      const r = await b.stop().catch((e: unknown) => ({ code: -1, signal: null, stdout: '', stderr: String(e), timedOut: false }));
      if (failed) console.log(`--- baresip log (${b.runDir}) ---\n${b.log().split('\n').slice(-80).join('\n')}\n${r ? describeRun('baresip.sh stop', r) : ''}`);
      b.removeRunDir();
    }
    if (failed && n) console.log(`--- node log ---\n${nodeLogTail(n)}`);
  });

  after(async () => {
    for (const b of peers.splice(0)) {
      await b.stop().catch(() => undefined);
      b.removeRunDir();
    }
    killStartedPeers();
    await n?.stop();
  });

  const contactsOfBob = () => n!.pjsip.location.contacts('bob');

  for (const transport of ['udp', 'tcp'] as const) {
    it(`over ${transport.toUpperCase()}: registered on both sides, un-registered when baresip stops`, async () => {
      const node = n!;
      // Over TCP baresip.sh sets an outbound proxy sip:<server>;transport=tcp, so the AOR's
      // domain is the node's TCP address.
      const b = new Baresip({ server: `127.0.0.1:${node.ports[transport]}`, user: 'bob', password: PASSWORD, transport });
      peers.push(b);
      assert.equal(node.node.core.devices.getState('PJSIP/bob'), DeviceState.UNAVAILABLE, 'no contact before baresip starts');

      const started = await b.start();
      assert.equal(started.code, 0, describeRun('baresip.sh start', started));

      // baresip's view: its user agent is registered, and it saw our Server header in the 200.
      const reginfo = await waitFor(async () => {
        const out = await b.reginfo();
        return /sip:bob@127\.0\.0\.1:\d+\s+OK\b/.test(out) ? out : false;
      }, 'baresip /reginfo to show OK', 8000, 200);
      console.log(`      baresip /reginfo: ${reginfo.split('\n').find((l) => l.includes('sip:bob@'))!.trim()}`);
      assert.match(reginfo, /Asterisk PBX tsterisk/, 'baresip shows the registrar it registered with');

      // The node's view: one contact from baresip's SIP port, over the transport it used.
      const contacts = await waitFor(() => (contactsOfBob().length === 1 ? contactsOfBob() : false), 'the node to hold bob\'s contact');
      const c = contacts[0]!;
      assert.match(c.uri, new RegExp(`^sip:bob-[^@]+@127\\.0\\.0\\.1:${b.sipPort}\\b`));
      assert.equal(c.flow?.protocol, transport);
      assert.equal(c.endpoint, 'bob');
      assert.match(c.userAgent ?? '', /^baresip v1\.0\.0/);
      assert.equal(c.expires, 600);
      const shown = await node.run('pjsip show contacts');
      assert.match(shown, new RegExp(`bob/sip:bob-[^ ]+@127\\.0\\.0\\.1:${b.sipPort}`));
      assert.match(shown, new RegExp(`via ${transport.toUpperCase()} 127\\.0\\.0\\.1:\\d+`));
      assert.match(shown, /Objects found: 1/);
      assert.equal(node.node.core.devices.getState('PJSIP/bob'), DeviceState.NOT_INUSE);
      assert.match(await node.run('pjsip show endpoint bob'), /Endpoint:\s+bob\s+Not in use/);

      // baresip asked for credentials only once it was challenged: the node sent a 401 first.
      const log = b.log();
      assert.match(log, /SIP\/2\.0 401 Unauthorized/);
      assert.match(log, /Authorization: Digest username="bob"/);

      const stopped = await b.stop();
      assert.equal(stopped?.code, 0, stopped ? describeRun('baresip.sh stop', stopped) : 'not started');
      await waitFor(() => contactsOfBob().length === 0, 'bob\'s contact to be removed by baresip\'s un-REGISTER');
      await waitFor(() => node.node.core.devices.getState('PJSIP/bob') === DeviceState.UNAVAILABLE, 'PJSIP/bob to be UNAVAILABLE');
      assert.match(await node.run('pjsip show contacts'), /Objects found: 0/);
    });
  }

  it('with a wrong password: baresip is refused (403) and the node keeps no contact', async () => {
    const node = n!;
    const b = new Baresip({ server: `127.0.0.1:${node.ports.udp}`, user: 'bob', password: 'not-the-password' });
    peers.push(b);
    const started = await b.start();
    assert.equal(started.code, 0, describeRun('baresip.sh start', started));
    const log = await waitFor(() => (/SIP\/2\.0 403 Forbidden/.test(b.log()) ? b.log() : false), 'the node to answer 403', 8000, 100);
    assert.match(log, /SIP\/2\.0 401 Unauthorized/);
    assert.doesNotMatch(await b.reginfo(), /sip:bob@127\.0\.0\.1:\d+\s+OK\b/);
    assert.equal(contactsOfBob().length, 0);
    assert.equal(node.node.core.devices.getState('PJSIP/bob'), DeviceState.UNAVAILABLE);
  });
});
