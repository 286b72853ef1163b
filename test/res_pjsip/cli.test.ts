import assert from 'node:assert/strict';
import { TestSipClient } from '../support/sip-client.js';
import { BASE_PJSIP, startPjsipNode, type PjsipNode } from './pjsip-node.js';

describe('res_pjsip CLI', function () {
  this.timeout(20000);
  let n: PjsipNode;
  before(async () => {
    n = await startPjsipNode();
  });
  after(async () => n.stop());

  it('pjsip show endpoints / endpoint / aors / auths / transports / identifies', async () => {
    const eps = await n.run('pjsip show endpoints');
    assert.match(eps, /Objects found: 3/);
    assert.match(eps, /Endpoint:  alice\s+Unavailable\s+0 of inf\n\s+InAuth:  alice\/alice\n\s+Aor:  alice\s+2\n/);
    const one = await n.run('pjsip show endpoint alice');
    assert.match(one, /^ allow_subscribe\s+: true$/m);
    assert.match(one, /^ context\s+: default$/m);
    await assert.rejects(n.run('pjsip show endpoint nobody'), /Unable to find object nobody/);
    assert.match(await n.run('pjsip show aors'), /Aor:  carol\s+1\n\s+Contact:  carol\/sip:carol-desk@127\.0\.0\.1:5999\s+NonQual/);
    const auths = await n.run('pjsip show auths');
    assert.match(auths, /Auth:  alice\/alice\s+\(userpass\)/);
    assert.doesNotMatch(auths, /wonderland|sha-only/, 'never a password');
    assert.doesNotMatch(await n.run('pjsip show endpoint alice'), /wonderland/);
    const ts = await n.run('pjsip show transports');
    assert.match(ts, new RegExp(`Transport:  udp\\s+udp\\s+0\\s+0\\s+127\\.0\\.0\\.1:${n.udpPort}`));
    assert.match(ts, new RegExp(`Transport:  tcp\\s+tcp\\s+0\\s+0\\s+127\\.0\\.0\\.1:${n.tcpPort}`));
    assert.match(await n.run('pjsip show identifies'), /Identify:  bob-ip\/bob\s*\n\s+Match:  127\.0\.0\.2\/32/);
  });

  it('pjsip set logger on prints messages both ways, with credentials hidden', async () => {
    assert.equal(await n.run('pjsip set logger on'), 'PJSIP Logging enabled\n');
    const c = await TestSipClient.udp(n.udpPort);
    try {
      const r = await c.request('REGISTER', `sip:alice@127.0.0.1:${n.udpPort}`, { fromUser: 'alice', headers: [['Contact', c.contact]], credentials: { username: 'alice', password: 'wonderland' } });
      assert.equal(r.status, 200);
    } finally {
      c.close();
    }
    await n.run('pjsip set logger off');
    const logged = n.logs.filter((l) => l.includes('res_pjsip_logger'));
    assert.ok(logged.some((l) => /Received SIP message \(\d+ bytes\) from UDP:127\.0\.0\.1:\d+/.test(l) && l.includes('REGISTER sip:alice')));
    assert.ok(logged.some((l) => /Transmitting SIP message/.test(l) && l.includes('SIP/2.0 401 Unauthorized')));
    const auth = logged.find((l) => /Authorization: Digest/.test(l))!;
    assert.match(auth, /response="<hidden>"/);
    assert.ok(!logged.some((l) => l.includes('wonderland')));
    const before = n.logs.length;
    const c2 = await TestSipClient.udp(n.udpPort);
    await c2.request('OPTIONS', `sip:127.0.0.1:${n.udpPort}`);
    c2.close();
    assert.equal(n.logs.slice(before).filter((l) => l.includes('res_pjsip_logger')).length, 0, 'off means off');
  });

  it('[global] debug = yes logs from the start; a reload to a host list logs only those hosts; no turns it off', async () => {
    const fs = await import('node:fs');
    const withDebug = (v: string) => `[global]\ntype = global\ndebug = ${v}\n\n${BASE_PJSIP}`;
    const m = await startPjsipNode(withDebug('yes'));
    try {
      const ping = async () => {
        const from = m.logs.length;
        const c = await TestSipClient.udp(m.udpPort);
        try {
          assert.equal((await c.request('OPTIONS', `sip:127.0.0.1:${m.udpPort}`)).status, 200);
        } finally {
          c.close();
        }
        return m.logs.slice(from).filter((l) => l.includes('res_pjsip_logger'));
      };
      const all = await ping();
      assert.ok(all.some((l) => /Received SIP message \(\d+ bytes\) from UDP:127\.0\.0\.1:\d+/.test(l) && l.includes('OPTIONS sip:')), 'debug = yes logs');
      assert.ok(all.some((l) => /Transmitting SIP message/.test(l) && l.includes('SIP/2.0 200 OK')));

      fs.writeFileSync(`${m.dir}/pjsip.conf`, withDebug('192.0.2.7, 127.0.0.2'));
      await m.run('module reload res_pjsip');
      assert.deepEqual(await ping(), [], 'a host list without 127.0.0.1 logs nothing from it');
      fs.writeFileSync(`${m.dir}/pjsip.conf`, withDebug('192.0.2.7,127.0.0.1'));
      await m.run('module reload res_pjsip');
      assert.ok((await ping()).length >= 2, 'a host list with 127.0.0.1 logs its messages');
      fs.writeFileSync(`${m.dir}/pjsip.conf`, withDebug('no'));
      await m.run('module reload res_pjsip');
      assert.deepEqual(await ping(), [], 'debug = no');
    } finally {
      await m.stop();
    }
  });

  it('usage errors', async () => {
    await assert.rejects(n.run('pjsip set logger maybe'), /Usage: pjsip set logger/);
  });
});
