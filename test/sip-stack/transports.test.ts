import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { SipRequest, type SipResponse } from '../../core/sip/message.js';
import { buildResponse, serializeMessage } from '../../core/sip/serializer.js';
import { targetFromSource, type SipStack } from '../../core/sip/stack.js';
import type { ServerTransaction } from '../../core/sip/transaction/server-transaction.js';
import type { SourceInfo } from '../../core/sip/transport/types.js';
import {
  Inbox,
  StreamPeer,
  TcpServerPeer,
  UdpPeer,
  WsPeer,
  makeCertificate,
  parse,
  rawRequest,
  settle,
  startStack,
  type TestCertificate,
} from './helpers.js';

interface Received {
  req: SipRequest;
  tx: ServerTransaction;
  source: SourceInfo;
}

/** Route the stack's new requests into an inbox; answer each with `status` when given. */
function collect(stack: SipStack, status?: number): Inbox<Received> {
  const inbox = new Inbox<Received>();
  stack.onRequest = (req, tx, source) => {
    if (status !== undefined) tx.reply(status);
    inbox.push({ req, tx, source });
  };
  return inbox;
}

function newRequest(method: string, uri: string, seq = 1): SipRequest {
  return new SipRequest(method, uri, [
    ['From', '<sip:tsterisk@127.0.0.1>;tag=srv1'],
    ['To', '<sip:alice@127.0.0.1>;tag=cli1'],
    ['Call-ID', `out-${seq}-${Date.now()}@test`],
    ['CSeq', `${seq} ${method}`],
  ]);
}

describe('sip stack transports', function () {
  this.timeout(10000);
  let cert: TestCertificate;
  const stacks: SipStack[] = [];
  const cleanups: Array<() => void> = [];

  before(() => {
    cert = makeCertificate();
  });
  after(() => {
    fs.rmSync(cert.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    for (const s of stacks.splice(0)) await s.close();
  });

  async function stackWith(...configs: Parameters<typeof startStack>[0]): Promise<Awaited<ReturnType<typeof startStack>>> {
    const t = await startStack(configs);
    stacks.push(t.stack);
    return t;
  }

  describe('UDP', () => {
    it('binds an ephemeral port, logs it, and answers over the same flow with received/rport', async () => {
      const { stack, info, logs } = await stackWith({ name: 'transport-udp', protocol: 'udp', bind: '127.0.0.1:0' });
      assert.equal(info[0].address, '127.0.0.1');
      assert.ok(info[0].port > 0 && info[0].port !== 5060);
      assert.ok(logs.includes(`VERBOSE: Transport 'transport-udp' bound to UDP 127.0.0.1:${info[0].port}`), logs.join('\n'));
      const inbox = collect(stack, 200);
      const peer = await UdpPeer.open();
      cleanups.push(() => peer.close());
      // sent-by names another host and port: the rport flag still sends the answer to the source.
      peer.send(rawRequest({ sentBy: 'phone.example.com:5999' }), info[0].port);
      const got = await inbox.next();
      assert.equal(got.source.protocol, 'udp');
      assert.equal(got.source.transport, 'transport-udp');
      assert.equal(got.source.remoteAddress, '127.0.0.1');
      assert.equal(got.source.remotePort, peer.port);
      assert.equal(got.source.localPort, info[0].port);
      assert.equal(got.req.topVia.received, '127.0.0.1');
      assert.equal(got.req.topVia.rport, peer.port);
      const res = (await peer.next()) as SipResponse;
      assert.equal(res.status, 200);
      assert.equal(res.getHeader('Via'), `SIP/2.0/UDP phone.example.com:5999;rport=${peer.port};branch=${got.req.topVia.branch};received=127.0.0.1`);
    });

    it('without rport, answers to the received address and the sent-by port (RFC 3261 18.2.2)', async () => {
      const { stack, info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const sender = await UdpPeer.open();
      const listener = await UdpPeer.open();
      cleanups.push(() => sender.close(), () => listener.close());
      sender.send(rawRequest({ sentBy: `host.invalid:${listener.port}`, rport: false }), info[0].port);
      const got = await inbox.next();
      assert.equal(got.req.topVia.received, '127.0.0.1');
      assert.equal(got.req.topVia.rport, null);
      const res = await listener.next();
      assert.equal((res as SipResponse).status, 200);
      assert.ok(await sender.inbox.quiet(50), 'nothing goes back to the source port');
    });

    it('leaves the Via alone when sent-by is the source address and rport is not asked for', async () => {
      const { stack, info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const peer = await UdpPeer.open();
      cleanups.push(() => peer.close());
      peer.send(rawRequest({ sentBy: peer.sentBy, rport: false, branch: 'z9hG4bKplain' }), info[0].port);
      const got = await inbox.next();
      assert.equal(got.req.getHeader('Via'), `SIP/2.0/UDP ${peer.sentBy};branch=z9hG4bKplain`);
      assert.equal(((await peer.next()) as SipResponse).status, 200);
    });

    it('works on IPv6 loopback (bracketed sent-by in the Via)', async () => {
      const { stack, info } = await stackWith({ name: 'udp6', protocol: 'udp', bind: '[::1]:0' });
      assert.equal(info[0].address, '::1');
      const inbox = collect(stack, 200);
      const sock = dgram.createSocket('udp6');
      await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
      cleanups.push(() => sock.close());
      const replies = new Inbox<Buffer>();
      sock.on('message', (m) => replies.push(m));
      sock.send(rawRequest({ sentBy: `[::1]:${sock.address().port}` }), info[0].port, '::1');
      const got = await inbox.next();
      assert.equal(got.source.remoteAddress, '::1');
      assert.equal(got.req.topVia.received, '::1');
      const res = parse(await replies.next()) as SipResponse;
      assert.equal(res.status, 200);
      const out = new Inbox<Buffer>();
      sock.removeAllListeners('message');
      sock.on('message', (m) => out.push(m));
      stack.sendRequest(newRequest('OPTIONS', `sip:x@[::1]:${sock.address().port}`), { host: '::1', port: sock.address().port }, { onResponse: () => {} });
      const sent = parse(await out.next()) as SipRequest;
      assert.match(sent.getHeader('Via') ?? '', new RegExp(`^SIP/2\\.0/UDP \\[::1\\]:${info[0].port};rport;branch=`));
    });

    it('feeds every message in and out to the onMessage logger hook', async () => {
      const { stack, info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' });
      collect(stack, 200);
      const seen: string[] = [];
      stack.onMessage = (dir, data, p) => seen.push(`${dir} ${p.protocol} ${p.remoteAddress}:${p.remotePort} ${data.toString().split('\r\n')[0]}`);
      const peer = await UdpPeer.open();
      cleanups.push(() => peer.close());
      peer.send(rawRequest({ sentBy: peer.sentBy }), info[0].port);
      await peer.next();
      assert.deepEqual(seen, [
        `in udp 127.0.0.1:${peer.port} OPTIONS sip:bob@127.0.0.1 SIP/2.0`,
        `out udp 127.0.0.1:${peer.port} SIP/2.0 200 OK`,
      ]);
      assert.equal(stack.stats.received, 1);
      assert.equal(stack.stats.sent, 1);
    });

    it('applies recvBufferSize to the socket', async () => {
      const { stack } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0', recvBufferSize: 262144 });
      const t = stack.getTransport('udp') as unknown as { recvBufferSize: number };
      // Linux doubles the value (and caps it at rmem_max): it must at least have moved off 0.
      assert.ok(t.recvBufferSize >= 131072, String(t.recvBufferSize));
    });

    it('refuses a second transport on a port already bound', async () => {
      const { info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' });
      const other = await startStack([]);
      stacks.push(other.stack);
      await assert.rejects(
        other.stack.addTransport({ name: 'udp2', protocol: 'udp', bind: `127.0.0.1:${info[0].port}` }),
        (e: Error & { code?: string }) => e.code === 'TST_ERR_SIP_TRANSPORT' && /failed to bind UDP/.test(e.message),
      );
    });

    it('sends a request with its own Via (sent-by, rport, branch) and matches the response', async () => {
      const { stack, info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' });
      const peer = await UdpPeer.open();
      cleanups.push(() => peer.close());
      const responses = new Inbox<SipResponse>();
      const req = newRequest('NOTIFY', `sip:alice@127.0.0.1:${peer.port}`);
      req.addHeader('Via', 'SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKstale');
      stack.sendRequest(req, { host: '127.0.0.1', port: peer.port }, { onResponse: (r) => responses.push(r) });
      const got = await peer.inbox.next();
      const sent = parse(got.data) as SipRequest;
      assert.equal(got.port, info[0].port, 'sent from the transport socket');
      assert.equal(sent.getHeaders('Via').length, 1, 'only our Via');
      assert.match(sent.getHeader('Via') ?? '', new RegExp(`^SIP/2.0/UDP 127\\.0\\.0\\.1:${info[0].port};rport;branch=z9hG4bK[0-9a-f]{24}$`));
      assert.equal(sent.getHeader('Max-Forwards'), '70');
      assert.equal(sent.getHeader('Content-Length'), '0');
      peer.send(serializeMessage(buildResponse(sent, 200)), info[0].port);
      const res = await responses.next();
      assert.equal(res.status, 200);
    });
  });

  describe('TCP', () => {
    it('answers over the connection the request came on, with received/rport', async () => {
      const { stack, info, logs } = await stackWith({ name: 'transport-tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      assert.ok(logs.includes(`VERBOSE: Transport 'transport-tcp' bound to TCP 127.0.0.1:${info[0].port}`));
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => peer.close());
      peer.write(rawRequest({ transport: 'TCP', sentBy: 'phone.invalid:5060' }));
      const got = await inbox.next();
      assert.equal(got.source.protocol, 'tcp');
      assert.ok(got.source.connectionId > 0);
      assert.equal(got.source.remotePort, peer.socket.localPort);
      assert.equal(got.req.topVia.received, '127.0.0.1');
      assert.equal(got.req.topVia.rport, peer.socket.localPort);
      const res = (await peer.next()) as SipResponse;
      assert.equal(res.status, 200);
      assert.equal(stack.stats.connections, 1);
    });

    it('frames a message split across many writes and two messages in one write', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => peer.close());
      const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
      const one = rawRequest({ method: 'MESSAGE', transport: 'TCP', body, headers: { 'Content-Type': 'text/plain' } });
      for (let i = 0; i < one.length; i += 7) {
        peer.write(one.slice(i, i + 7));
        await new Promise((r) => setImmediate(r));
      }
      const first = await inbox.next();
      assert.equal(first.req.bodyText(), body);
      peer.write(rawRequest({ transport: 'TCP', callId: 'two-a' }) + rawRequest({ transport: 'TCP', callId: 'two-b' }));
      assert.equal((await inbox.next()).req.callId, 'two-a');
      assert.equal((await inbox.next()).req.callId, 'two-b');
      const statuses = [await peer.next(), await peer.next(), await peer.next()].map((m) => (m as SipResponse).status);
      assert.deepEqual(statuses, [200, 200, 200]);
    });

    it('answers a CRLF CRLF keep-alive with CRLF', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const peer = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => peer.close());
      peer.write('\r\n\r\n');
      await settle(50);
      assert.equal(Buffer.concat(peer.raw).toString(), '\r\n');
      assert.equal(stack.stats.keepAlives, 1);
    });

    it('opens a connection for an outbound request and reuses it for the next one', async () => {
      const { stack } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const server = await TcpServerPeer.open();
      cleanups.push(() => server.close());
      const responses = new Inbox<SipResponse>();
      for (const seq of [1, 2]) {
        stack.sendRequest(newRequest('OPTIONS', `sip:peer@127.0.0.1:${server.port};transport=tcp`, seq), { protocol: 'tcp', host: '127.0.0.1', port: server.port }, {
          onResponse: (r) => responses.push(r),
        });
        const { msg, conn } = await server.inbox.next();
        assert.match(msg.getHeader('Via') ?? '', /^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK/);
        conn.write(serializeMessage(buildResponse(msg as SipRequest, 200)));
        assert.equal((await responses.next()).status, 200);
      }
      assert.equal(server.connections.length, 1, 'one connection for both requests');
    });

    it('sends an in-dialog request to a TCP client over the connection it opened', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => peer.close());
      // The Contact points to a port nobody listens on: only the existing flow reaches the client.
      peer.write(rawRequest({ method: 'SUBSCRIBE', transport: 'TCP', headers: { Contact: '<sip:alice@127.0.0.1:1;transport=tcp>', Event: 'presence' } }));
      const sub = await inbox.next();
      assert.equal(((await peer.next()) as SipResponse).status, 200);
      const responses = new Inbox<SipResponse>();
      const contact = 'sip:alice@127.0.0.1:1;transport=tcp';
      const target = await stack.targetFor(contact, sub.source);
      assert.equal(target.connectionId, sub.source.connectionId);
      stack.sendRequest(newRequest('NOTIFY', contact), target, { onResponse: (r) => responses.push(r) });
      const notify = (await peer.next()) as SipRequest;
      assert.equal(notify.method, 'NOTIFY');
      peer.write(serializeMessage(buildResponse(notify, 200)));
      assert.equal((await responses.next()).status, 200);
      assert.equal(stack.stats.connections, 1);
      // Once the connection is gone, the Contact is all that is left.
      peer.close();
      await settle(30);
      assert.deepEqual(await stack.targetFor(contact, sub.source), { protocol: 'tcp', host: '127.0.0.1', port: 1 });
      await assert.rejects(stack.targetFor('sip:alice@abc.invalid;transport=tcp', sub.source), /\.invalid/);
    });

    it('gives a synthesized 503 when the connection cannot be opened', async () => {
      const { stack } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const closed = await TcpServerPeer.open();
      const port = closed.port;
      closed.close();
      await settle();
      const got = new Inbox<{ status: number; error: string }>();
      stack.sendRequest(newRequest('OPTIONS', `sip:x@127.0.0.1:${port}`), { protocol: 'tcp', host: '127.0.0.1', port }, {
        onResponse: () => assert.fail('onTransportError should be used'),
        onTransportError: (res, err) => got.push({ status: res.status, error: err.message }),
      });
      const r = await got.next();
      assert.equal(r.status, 503);
      assert.match(r.error, /ECONNREFUSED/);
      assert.equal(stack.stats.transportErrors, 1);
    });

    it('refuses connections over maxConnections and closes idle ones', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', maxConnections: 1, idleTimeoutMs: 200 });
      const a = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => a.close());
      await settle();
      const b = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => b.close());
      assert.ok(await b.closesWithin(1000), 'second connection refused');
      assert.equal(stack.stats.connectionsRefused, 1);
      assert.ok(!a.closed);
      assert.ok(await a.closesWithin(1500), 'idle connection closed');
      assert.equal(stack.stats.idleTimeouts, 1);
      assert.equal(stack.stats.connections, 0);
    });

    it('lets the TU check and close a connection', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tcp(info[0].port);
      cleanups.push(() => peer.close());
      peer.write(rawRequest({ transport: 'TCP' }));
      const { source } = await inbox.next();
      assert.ok(stack.hasConnection('tcp', source.connectionId));
      stack.closeConnection('tcp', source.connectionId);
      assert.ok(!stack.hasConnection('tcp', source.connectionId));
      assert.ok(await peer.closesWithin(1000));
    });

    it('reports a closed connection to the TU', async () => {
      const { stack, info } = await stackWith({ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
      const closed = new Inbox<{ transport: string; id: number }>();
      stack.onConnectionClosed = (transport, id) => closed.push({ transport, id });
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tcp(info[0].port);
      peer.write(rawRequest({ transport: 'TCP' }));
      const got = await inbox.next();
      peer.close();
      const ev = await closed.next();
      assert.deepEqual(ev, { transport: 'tcp', id: got.source.connectionId });
    });
  });

  describe('TLS', () => {
    it('accepts a TLS connection with the configured certificate and answers over it', async () => {
      const { stack, info, logs } = await stackWith({
        name: 'transport-tls',
        protocol: 'tls',
        bind: '127.0.0.1:0',
        cert_file: cert.certFile,
        priv_key_file: cert.keyFile,
      });
      assert.ok(logs.includes(`VERBOSE: Transport 'transport-tls' bound to TLS 127.0.0.1:${info[0].port}`));
      const inbox = collect(stack, 200);
      const peer = await StreamPeer.tls(info[0].port, cert.cert);
      cleanups.push(() => peer.close());
      peer.write(rawRequest({ transport: 'TLS', sentBy: 'phone.invalid:5061' }));
      const got = await inbox.next();
      assert.equal(got.source.protocol, 'tls');
      assert.equal(got.req.topVia.received, '127.0.0.1');
      assert.equal(((await peer.next()) as SipResponse).status, 200);
    });

    it('connects out over TLS, verifying the server with ca_list_file', async () => {
      const server = await stackWith({ name: 'tls', protocol: 'tls', bind: '127.0.0.1:0', cert_file: cert.certFile, priv_key_file: cert.keyFile });
      collect(server.stack, 200);
      const client = await stackWith({
        name: 'tls',
        protocol: 'tls',
        bind: '127.0.0.1:0',
        cert_file: cert.certFile,
        priv_key_file: cert.keyFile,
        ca_list_file: cert.certFile,
        verify_server: true,
      });
      const responses = new Inbox<number>();
      const port = server.info[0].port;
      client.stack.sendRequest(newRequest('OPTIONS', `sips:x@localhost:${port}`), { protocol: 'tls', host: '127.0.0.1', port, serverName: 'localhost' }, {
        onResponse: (r) => responses.push(r.status),
      });
      assert.equal(await responses.next(), 200);
    });

    it('verify_client refuses a client without a certificate', async () => {
      const { stack, info } = await stackWith({
        name: 'tls',
        protocol: 'tls',
        bind: '127.0.0.1:0',
        cert_file: cert.certFile,
        priv_key_file: cert.keyFile,
        ca_list_file: cert.certFile,
        verify_client: true,
      });
      const inbox = collect(stack, 200);
      let failed = false;
      try {
        const peer = await StreamPeer.tls(info[0].port, cert.cert);
        cleanups.push(() => peer.close());
        peer.write(rawRequest({ transport: 'TLS' }));
        failed = await peer.closesWithin(2000);
      } catch {
        failed = true;
      }
      assert.ok(failed, 'handshake or connection refused');
      assert.equal(inbox.length, 0);
    });

    it('fails to start without certificate files', async () => {
      const t = await startStack([]);
      stacks.push(t.stack);
      await assert.rejects(
        t.stack.addTransport({ name: 'tls', protocol: 'tls', bind: '127.0.0.1:0', cert_file: '/nonexistent/cert.pem', priv_key_file: cert.keyFile }),
        /cannot read cert_file/,
      );
      await assert.rejects(t.stack.addTransport({ name: 'tls2', protocol: 'tls', bind: '127.0.0.1:0' }), /needs cert_file and priv_key_file/);
    });
  });

  describe('WebSocket', () => {
    it('accepts the sip subprotocol on /ws, one message per frame, answering over the socket', async () => {
      const { stack, info, logs } = await stackWith({ name: 'transport-ws', protocol: 'ws', bind: '127.0.0.1:0' });
      assert.ok(logs.includes(`VERBOSE: Transport 'transport-ws' bound to WS 127.0.0.1:${info[0].port}`));
      const inbox = collect(stack, 200);
      const peer = await WsPeer.open(`ws://127.0.0.1:${info[0].port}/ws`);
      cleanups.push(() => peer.close());
      assert.equal(peer.ws.protocol, 'sip');
      // RFC 7118 clients: Via transport WS with a made-up .invalid host, no Content-Length needed.
      peer.send(rawRequest({ transport: 'WS', sentBy: 'df7jal23ls0d.invalid', headers: { 'Content-Length': null } }));
      const got = await inbox.next();
      assert.equal(got.source.protocol, 'ws');
      assert.equal(got.source.remotePort, peer.localPort);
      assert.equal(got.req.topVia.received, '127.0.0.1');
      assert.equal(got.req.topVia.rport, peer.localPort);
      const { msg, binary } = await peer.inbox.next();
      assert.equal((msg as SipResponse).status, 200);
      assert.equal(binary, false, 'sent as a text frame');
    });

    it('refuses the upgrade without the sip subprotocol, and on another path', async () => {
      const { stack, info } = await stackWith({ name: 'ws', protocol: 'ws', bind: '127.0.0.1:0' });
      await assert.rejects(WsPeer.open(`ws://127.0.0.1:${info[0].port}/ws`, []), /upgrade refused: 400/);
      await assert.rejects(WsPeer.open(`ws://127.0.0.1:${info[0].port}/ws`, ['chat']), /upgrade refused: 400/);
      await assert.rejects(WsPeer.open(`ws://127.0.0.1:${info[0].port}/other`, 'sip'), /upgrade refused: 404/);
      assert.equal(stack.stats.upgradesRefused, 3);
      const ok = await WsPeer.open(`ws://127.0.0.1:${info[0].port}/ws?token=1`, ['chat', 'sip']);
      assert.equal(ok.ws.protocol, 'sip');
      ok.close();
    });

    it('sends a request to a WebSocket client over its connection, and fails without one', async () => {
      const { stack, info } = await stackWith({ name: 'ws', protocol: 'ws', bind: '127.0.0.1:0' });
      const inbox = collect(stack, 200);
      const peer = await WsPeer.open(`ws://127.0.0.1:${info[0].port}/ws`);
      cleanups.push(() => peer.close());
      peer.send(rawRequest({ method: 'SUBSCRIBE', transport: 'WS', sentBy: 'abc.invalid', headers: { Event: 'presence', Contact: '<sip:x@abc.invalid;transport=ws>' } }));
      const sub = await inbox.next();
      await peer.next();
      const responses = new Inbox<number>();
      stack.sendRequest(newRequest('NOTIFY', 'sip:x@abc.invalid;transport=ws'), targetFromSource(sub.source), { onResponse: (r) => responses.push(r.status) });
      const notify = (await peer.next()) as SipRequest;
      assert.match(notify.getHeader('Via') ?? '', /^SIP\/2\.0\/WS 127\.0\.0\.1:\d+;rport;branch=/);
      peer.send(serializeMessage(buildResponse(notify, 200)).toString());
      assert.equal(await responses.next(), 200);
      // No connection to that peer: a WebSocket server cannot dial out.
      stack.sendRequest(newRequest('NOTIFY', 'sip:x@abc.invalid;transport=ws', 2), { protocol: 'ws', host: '127.0.0.1', port: 1 }, { onResponse: (r) => responses.push(r.status) });
      assert.equal(await responses.next(), 503);
    });

    it('WSS: upgrades over TLS with the configured certificate', async () => {
      const { stack, info } = await stackWith({ name: 'transport-wss', protocol: 'wss', bind: '127.0.0.1:0', cert_file: cert.certFile, priv_key_file: cert.keyFile });
      const inbox = collect(stack, 200);
      const peer = await WsPeer.open(`wss://localhost:${info[0].port}/ws`, 'sip', { ca: cert.cert });
      cleanups.push(() => peer.close());
      peer.send(rawRequest({ transport: 'WSS', sentBy: 'df7jal23ls0d.invalid' }));
      const got = await inbox.next();
      assert.equal(got.source.protocol, 'wss');
      assert.equal(((await peer.next()) as SipResponse).status, 200);
    });

    it('answers plain HTTP with 426 Upgrade Required', async () => {
      const { info } = await stackWith({ name: 'ws', protocol: 'ws', bind: '127.0.0.1:0' });
      const res = await fetch(`http://127.0.0.1:${info[0].port}/ws`);
      assert.equal(res.status, 426);
      await res.arrayBuffer();
    });
  });

  it('removes a transport and frees its port', async () => {
    const { stack, info } = await stackWith({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' }, { name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0' });
    await stack.removeTransport('tcp');
    assert.deepEqual(stack.listTransports().map((t) => t.name), ['udp']);
    const again = await stack.addTransport({ name: 'tcp', protocol: 'tcp', bind: `127.0.0.1:${info[1].port}` });
    assert.equal(again.port, info[1].port);
    await assert.rejects(stack.addTransport({ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' }), /already exists/);
  });
});
