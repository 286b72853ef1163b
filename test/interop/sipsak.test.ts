/**
 * sipsak 0.9.8.1 (Debian sipsak) pings the node with OPTIONS over UDP and TCP: sipsak exits 0
 * (it got a final 2xx) and prints the node's 200 OK with the methods it allows. An OPTIONS ping
 * needs no authentication even for a user with auth (Asterisk answers qualify pings the same way).
 */
import assert from 'node:assert/strict';
import { describeRun, freePort, interopPjsipConf, killStartedPeers, nodeLogTail, requirePeers, runPeer, startInteropNode, type InteropNode } from '../support/peers.js';

describe('interop: sipsak OPTIONS', function () {
  this.timeout(20000);
  let n: InteropNode | undefined;

  before(async function () {
    requirePeers(this, { binaries: ['sipsak'] });
    n = await startInteropNode(interopPjsipConf('bob-interop-Pw1'));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && n) console.log(`--- node log ---\n${nodeLogTail(n)}`);
  });

  after(async () => {
    killStartedPeers();
    await n?.stop();
  });

  // sipsak binds its own ephemeral local port.
  const sipsak = (args: string[]) => runPeer('sipsak', args, { timeoutMs: 15000 });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`gets 200 OK over ${transport.toUpperCase()}`, async () => {
      const port = n!.ports[transport];
      const r = await sipsak(['-v', ...(transport === 'tcp' ? ['-E', 'tcp'] : []), '-s', `sip:bob@127.0.0.1:${port}`]);
      const shown = describeRun(`sipsak ${transport}`, r);
      assert.equal(r.code, 0, shown);
      assert.match(r.stdout, /^SIP\/2\.0 200 OK\r?$/m, shown);
      assert.match(r.stdout, /^CSeq: 1 OPTIONS\r?$/m, shown);
      assert.match(r.stdout, /^Allow: .*\bOPTIONS\b/m, shown);
      assert.match(r.stdout, /^Allow: .*\bREGISTER\b/m, shown);
      assert.match(r.stdout, /^Server: Asterisk PBX tsterisk\r?$/m, shown);
      // The reply came back over the transport sipsak used (its Via names it).
      assert.match(r.stdout, new RegExp(`^Via: SIP/2\\.0/${transport.toUpperCase()} 127\\.0\\.0\\.1:\\d+;.*received=127\\.0\\.0\\.1`, 'm'), shown);
    });
  }

  it('exits non-zero when nothing answers (so the checks above can fail)', async () => {
    const silent = await freePort();
    const r = await sipsak(['-v', '-E', 'tcp', '-s', `sip:bob@127.0.0.1:${silent}`]);
    assert.notEqual(r.code, 0, describeRun('sipsak to a closed port', r));
    assert.doesNotMatch(r.stdout, /200 OK/);
  });
});
