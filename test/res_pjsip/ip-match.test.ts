import assert from 'node:assert/strict';
import { IpMatcher, resolveHosts } from '../../modules/res_pjsip/ip-match.js';
import { parseIdentifyMatch } from '../../modules/res_pjsip/option-parsers.js';

describe('res_pjsip identify match= matching', () => {
  it('matches addresses, subnets, ports, IPv6, host names and exceptions as configured', async () => {
    const entries = parseIdentifyMatch('10.0.0.0/8, !10.9.0.0/16, 192.168.1.10, 127.0.0.2:5062, fd00::/8, localhost, 172.16.0.0/255.240.0.0');
    const m = new IpMatcher(entries, await resolveHosts(entries));
    assert.equal(m.matches('10.200.3.4'), true);
    assert.equal(m.matches('10.9.3.4'), false, '! makes an exception');
    assert.equal(m.matches('11.0.0.1'), false);
    assert.equal(m.matches('192.168.1.10', 1234), true);
    assert.equal(m.matches('192.168.1.11'), false);
    assert.equal(m.matches('127.0.0.2', 5062), true);
    assert.equal(m.matches('127.0.0.2', 5063), false, 'a port in match= must match');
    assert.equal(m.matches('fd12::1'), true);
    assert.equal(m.matches('127.0.0.1'), true, 'localhost resolved');
    assert.equal(m.matches('172.31.255.1'), true, 'dotted netmask');
    assert.equal(m.matches('172.32.0.1'), false);
  });

  it('refuses what is neither an address, a network nor a host name (at config load)', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/255.0.255.0', 'bad_host!']) assert.throws(() => parseIdentifyMatch(bad), Error, bad);
  });
});
