import assert from 'node:assert/strict';
import { IpMatcher, parseMatchEntry, resolveHosts } from '../../modules/res_pjsip/ip-match.js';

describe('res_pjsip identify match= entries', () => {
  it('parses addresses, CIDRs, dotted masks, ports, IPv6 and host names', () => {
    assert.deepEqual(parseMatchEntry('192.168.1.10'), { text: '192.168.1.10', kind: 'address', family: 'ipv4', address: '192.168.1.10' });
    assert.deepEqual(parseMatchEntry('10.0.0.0/8'), { text: '10.0.0.0/8', kind: 'subnet', family: 'ipv4', address: '10.0.0.0', prefix: 8 });
    assert.equal(parseMatchEntry('10.1.0.0/255.255.0.0').prefix, 16);
    assert.equal(parseMatchEntry('127.0.0.1:5062').port, 5062);
    assert.deepEqual(parseMatchEntry('[::1]:5060'), { text: '[::1]:5060', kind: 'address', family: 'ipv6', address: '::1', port: 5060 });
    assert.equal(parseMatchEntry('fd00::/8').prefix, 8);
    assert.equal(parseMatchEntry('localhost').kind, 'host');
    for (const bad of ['10.0.0.0/33', '10.0.0.0/255.0.255.0', '1.2.3.4:0', 'bad_host!', '']) assert.throws(() => parseMatchEntry(bad), Error, bad);
  });

  it('matches as configured, with ports only where a port was given', async () => {
    const entries = ['10.0.0.0/8', '192.168.1.10', '127.0.0.2:5062', 'fd00::/8', 'localhost'].map(parseMatchEntry);
    const m = new IpMatcher(entries, await resolveHosts(entries));
    assert.equal(m.matches('10.200.3.4'), true);
    assert.equal(m.matches('11.0.0.1'), false);
    assert.equal(m.matches('192.168.1.10', 1234), true);
    assert.equal(m.matches('192.168.1.11'), false);
    assert.equal(m.matches('127.0.0.2', 5062), true);
    assert.equal(m.matches('127.0.0.2', 5063), false);
    assert.equal(m.matches('fd12::1'), true);
    assert.equal(m.matches('127.0.0.1'), true, 'localhost resolved');
  });
});
