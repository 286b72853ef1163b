/**
 * TCP: a message that began arriving must be finished within messageTimeoutMs, or the
 * connection is closed with a framing-error event (the stack logs it as a warning). Real
 * sockets on 127.0.0.1; a short limit, and sinon's clock for the 32 s default.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import sinon from 'sinon';
import { DEFAULT_SIP_LIMITS } from '../../core/sip/message.js';
import { TcpTransport } from '../../core/sip/transport/tcp-transport.js';
import { DEFAULT_MESSAGE_TIMEOUT_MS, type TransportEvent } from '../../core/sip/transport/types.js';

const OPTIONS = (n: number): string =>
  [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-mt-${n}`,
    'From: <sip:probe@127.0.0.1>;tag=mt',
    'To: <sip:127.0.0.1>',
    `Call-ID: mt-${n}@test`,
    `CSeq: ${n} OPTIONS`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

interface Harness {
  transport: TcpTransport;
  port: number;
  events: TransportEvent[];
  messages: string[];
}

async function start(opts: { messageTimeoutMs?: number; idleTimeoutMs?: number }): Promise<Harness> {
  const events: TransportEvent[] = [];
  const messages: string[] = [];
  const transport = new TcpTransport({
    name: 'tcp-mt',
    host: '127.0.0.1',
    port: 0,
    limits: DEFAULT_SIP_LIMITS,
    listener: { onMessage: (buf) => messages.push(buf.toString('latin1')), onTransportEvent: (ev) => events.push(ev) },
    idleTimeoutMs: opts.idleTimeoutMs ?? 600000,
    maxConnections: 10,
    maxWriteQueue: 1 << 20,
    ...(opts.messageTimeoutMs !== undefined ? { messageTimeoutMs: opts.messageTimeoutMs } : {}),
  });
  const bound = await transport.listen();
  return { transport, port: bound.port, events, messages };
}

interface Peer {
  socket: net.Socket;
  closed: Promise<number>;
}

async function connect(port: number): Promise<Peer> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  return { socket, closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stream transport: time limit for finishing a message', function () {
  this.timeout(10000);
  let h: Harness | undefined;
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) p.socket.destroy();
    await h?.transport.close();
    h = undefined;
  });

  async function peer(): Promise<Peer> {
    const p = await connect(h!.port);
    peers.push(p);
    return p;
  }

  it('closes a connection whose header block never ends, with a framing-error event naming the bytes held', async () => {
    h = await start({ messageTimeoutMs: 200 });
    const p = await peer();
    const t0 = performance.now();
    p.socket.write(OPTIONS(1).slice(0, 120));
    const closedAt = await p.closed;
    assert.ok(closedAt - t0 >= 190, `closed after ${(closedAt - t0).toFixed(0)} ms, before the limit`);
    assert.ok(closedAt - t0 < 1000, `closed after ${(closedAt - t0).toFixed(0)} ms`);
    assert.equal(h.transport.connectionCount, 0);
    const ev = h.events.find((e) => e.type === 'framing-error');
    assert.ok(ev && ev.type === 'framing-error', JSON.stringify(h.events));
    assert.match(ev.error, /^incomplete message \(120 bytes held\) not finished \d+\.\d s after it began \(limit 0\.2 s\)$/);
    assert.equal(ev.answered, false);
    assert.equal(h.messages.length, 0);
  });

  it('counts from the start of the message: bytes trickling in do not extend it (slowloris)', async () => {
    h = await start({ messageTimeoutMs: 250 });
    const p = await peer();
    const text = OPTIONS(2);
    const t0 = performance.now();
    let i = 0;
    const trickle = setInterval(() => {
      if (i < text.length - 4 && !p.socket.destroyed) p.socket.write(text[i++]!);
    }, 20);
    try {
      const closedAt = await p.closed;
      assert.ok(closedAt - t0 < 1000, `closed after ${(closedAt - t0).toFixed(0)} ms`);
      assert.ok(i < text.length - 4, 'closed while the peer was still sending');
      assert.equal(h.messages.length, 0);
    } finally {
      clearInterval(trickle);
    }
  });

  it('leaves alone messages that finish in time, idle connections between messages, and restarts the clock per message', async () => {
    h = await start({ messageTimeoutMs: 300 });
    const p = await peer();
    const one = OPTIONS(3);
    // Split across two writes 150 ms apart: finished within the limit.
    p.socket.write(one.slice(0, 60));
    await sleep(150);
    p.socket.write(one.slice(60));
    // Nothing pending for longer than the limit: not a stalled message, only an idle connection.
    await sleep(450);
    // One write that ends one message and starts the next: the clock starts again there
    // (message five is done 450 ms after four began, but 250 ms after its own first bytes).
    const two = OPTIONS(4);
    const three = OPTIONS(5);
    p.socket.write(two.slice(0, 60));
    await sleep(200);
    p.socket.write(two.slice(60) + three.slice(0, 50));
    await sleep(250);
    p.socket.write(three.slice(50));
    await sleep(150);
    assert.equal(h.messages.length, 3, JSON.stringify(h.events));
    assert.equal(h.transport.connectionCount, 1);
    assert.deepEqual(h.events.filter((e) => e.type === 'framing-error'), []);
    assert.equal(p.socket.destroyed, false);
  });

  it('is 32 s (64*T1) by default: still open just before, closed after', async () => {
    assert.equal(DEFAULT_MESSAGE_TIMEOUT_MS, 32000);
    // Only the clock the limit reads and the sweep timer are faked; socket I/O stays real.
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      h = await start({});
      const p = await peer();
      p.socket.write(OPTIONS(6).slice(0, 40));
      await sleep(50); // real time for the bytes to arrive
      clock.tick(31_000);
      await sleep(30);
      assert.equal(h.transport.connectionCount, 1, 'open at 31 s');
      clock.tick(6_000); // past 32 s, and a sweep (every 5 s) has run
      const closedAt = await Promise.race([p.closed, sleep(2000).then(() => -1)]);
      assert.notEqual(closedAt, -1, 'closed after 32 s');
      assert.equal(h.transport.connectionCount, 0);
      assert.ok(h.events.some((e) => e.type === 'framing-error' && /limit 32\.0 s/.test(e.error)), JSON.stringify(h.events));
    } finally {
      clock.restore();
    }
  });

  it('can be switched off (0): only the idle timeout applies', async () => {
    h = await start({ messageTimeoutMs: 0, idleTimeoutMs: 400 });
    const p = await peer();
    p.socket.write(OPTIONS(7).slice(0, 80));
    await sleep(250);
    assert.equal(h.transport.connectionCount, 1);
    await p.closed;
    assert.ok(h.events.some((e) => e.type === 'idle-timeout'));
    assert.ok(!h.events.some((e) => e.type === 'framing-error'));
  });
});
