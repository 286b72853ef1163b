import assert from 'node:assert/strict';
import { parseBindAddress, formatHostPort } from '../../core/sip/transport/bind-address.js';
import { resolveTarget } from '../../core/sip/transport/resolve-target.js';
import { parseMessage } from '../../core/sip/parser.js';
import type { SipRequest } from '../../core/sip/message.js';
import { stampVia } from '../../core/sip/stack.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';

describe('sip stack addressing', () => {
  describe('bind=', () => {
    it('parses address, port and the protocol defaults', () => {
      assert.deepEqual(parseBindAddress('0.0.0.0', 'udp'), { host: '0.0.0.0', port: 5060 });
      assert.deepEqual(parseBindAddress('127.0.0.1:0', 'tcp'), { host: '127.0.0.1', port: 0 });
      assert.deepEqual(parseBindAddress('192.0.2.1', 'tls'), { host: '192.0.2.1', port: 5061 });
      assert.deepEqual(parseBindAddress('[::1]:5070', 'udp'), { host: '::1', port: 5070 });
      assert.deepEqual(parseBindAddress('[::]', 'ws'), { host: '::', port: 8088 });
      assert.deepEqual(parseBindAddress('::', 'wss'), { host: '::', port: 8089 });
      assert.deepEqual(parseBindAddress('', 'udp'), { host: '0.0.0.0', port: 5060 });
    });

    it('refuses host names, bad ports and junk', () => {
      for (const bad of ['example.com:5060', '127.0.0.1:99999', '127.0.0.1:x', '[::1', '[::1]x', '1.2.3:5060']) {
        assert.throws(() => parseBindAddress(bad, 'udp'), (e: Error & { code?: string }) => e.code === 'TST_ERR_SIP_TRANSPORT', bad);
      }
    });

    it('formats IPv6 with brackets', () => {
      assert.equal(formatHostPort('::1', 5060), '[::1]:5060');
      assert.equal(formatHostPort('127.0.0.1', 5060), '127.0.0.1:5060');
    });
  });

  describe('resolveTarget', () => {
    it('uses literal addresses, default ports and transport=', async () => {
      assert.deepEqual(await resolveTarget('sip:alice@192.0.2.1'), { protocol: 'udp', host: '192.0.2.1', port: 5060 });
      assert.deepEqual(await resolveTarget('sip:alice@192.0.2.1:5070;transport=TCP'), { protocol: 'tcp', host: '192.0.2.1', port: 5070 });
      assert.deepEqual(await resolveTarget('sip:alice@[2001:db8::1];transport=tls'), { protocol: 'tls', host: '2001:db8::1', port: 5061 });
      assert.deepEqual(await resolveTarget('sips:alice@192.0.2.1'), { protocol: 'tls', host: '192.0.2.1', port: 5061 });
      assert.deepEqual(await resolveTarget('sips:alice@192.0.2.1;transport=ws'), { protocol: 'wss', host: '192.0.2.1', port: 5061 });
      assert.deepEqual(await resolveTarget('sip:alice@192.0.2.1', 'tcp'), { protocol: 'tcp', host: '192.0.2.1', port: 5060 }, 'hint when no transport=');
      assert.deepEqual(await resolveTarget('sip:alice@192.0.2.1;transport=udp', 'tcp'), { protocol: 'udp', host: '192.0.2.1', port: 5060 }, 'transport= wins');
      assert.deepEqual(await resolveTarget('sip:alice@example.com;maddr=192.0.2.9'), { protocol: 'udp', host: '192.0.2.9', port: 5060 });
    });

    it('resolves localhost to 127.0.0.1', async () => {
      assert.deepEqual(await resolveTarget('sip:alice@localhost:5099'), { protocol: 'udp', host: '127.0.0.1', port: 5099 });
    });

    it('refuses tel:, unknown transports and RFC 7118 .invalid hosts', async () => {
      await assert.rejects(resolveTarget('tel:+15551234'), /tel: URI has no host/);
      await assert.rejects(resolveTarget('sip:a@192.0.2.1;transport=sctp'), /unsupported transport 'sctp'/);
      await assert.rejects(resolveTarget('sip:a@df7jal23ls0d.invalid;transport=ws'), /\.invalid/);
      await assert.rejects(resolveTarget('not a uri'), /not a SIP URI/);
    });
  });

  describe('Via stamping (RFC 3261 18.2.1, RFC 3581)', () => {
    const source: SourceInfo = {
      protocol: 'udp',
      transport: 'udp',
      localAddress: '127.0.0.1',
      localPort: 5060,
      remoteAddress: '192.0.2.7',
      remotePort: 40000,
      connectionId: 0,
    };

    function request(via: string): SipRequest {
      const r = parseMessage(
        Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nVia: ${via}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKlower\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: v\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`),
      );
      assert.ok(r.ok);
      return r.message as SipRequest;
    }

    it('fills rport and adds received when rport is asked for, even from the sent-by address', () => {
      const req = request('SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bKa');
      stampVia(req, source);
      assert.equal(req.getHeader('Via'), 'SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bKa;received=192.0.2.7');
      assert.equal(req.topVia.rport, 40000);
      assert.equal(req.topVia.received, '192.0.2.7');
      assert.equal(req.vias[1].branch, 'z9hG4bKlower', 'lower Vias untouched');
      assert.equal(req.getHeaders('Via')[1], 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKlower');
    });

    it('adds only received when the host differs and rport is absent', () => {
      const req = request('SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bKb');
      stampVia(req, source);
      assert.equal(req.getHeader('Via'), 'SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bKb;received=192.0.2.7');
      assert.equal(req.topVia.rport, null);
    });

    it('changes nothing when the sent-by host is the source address and rport is absent', () => {
      const req = request('SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKc');
      stampVia(req, source);
      assert.equal(req.getHeader('Via'), 'SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKc');
    });

    it('compares IPv6 sent-by without brackets', () => {
      const req = request('SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bKd');
      stampVia(req, { ...source, remoteAddress: '2001:db8::7' });
      assert.equal(req.getHeader('Via'), 'SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bKd');
      stampVia(req, { ...source, remoteAddress: '2001:db8::8' });
      assert.equal(req.getHeader('Via'), 'SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bKd;received=2001:db8::8');
    });
  });
});
