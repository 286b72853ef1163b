/**
 * SIP stack throughput over UDP loopback: non-INVITE transactions (in-dialog NOTIFYs) answered
 * 200 at once by the TU. Figures:
 *
 * - `sip stack UDP txn (server; client in a child process)`: a raw dgram client in a child
 *   process keeps a window of requests (fresh branch each) in flight; the stack has its own
 *   core. With it, the server's CPU time per transaction (receive, parse, Via stamping, match,
 *   TU, serialize, send, Timer J) as `server CPU per txn`.
 * - `sip stack UDP txn (server + raw client, one process)`: the same client in this process.
 * - `sip stack UDP txn (stack <-> stack, one process)`: a second SipStack sends the requests
 *   with sendRequest, so each transaction costs a client (Timers E, F, K) and a server one on
 *   the same core.
 *
 * Loopback; the machine's cores are shared with the client: figures, not capacity claims.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SipRequest } from '../core/sip/message.js';
import { SipStack } from '../core/sip/stack.js';
import type { BenchResult } from './sip-parse.js';

const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number): Promise<void> => new Promise((r) => realSetTimeout(r, ms));

function requestText(port: number, branch: string, seq: number): string {
  return (
    `NOTIFY sip:watcher@127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=${branch}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:1000@127.0.0.1>;tag=3900f517\r\n' +
    'To: <sip:watcher@127.0.0.1>;tag=f0aa574c\r\n' +
    'Call-ID: 39de3b7547660458@bench\r\n' +
    `CSeq: ${seq} NOTIFY\r\n` +
    'Event: presence\r\n' +
    'Subscription-State: active;expires=599\r\n' +
    'Content-Length: 0\r\n\r\n'
  );
}

async function serverStack(): Promise<{ stack: SipStack; port: number }> {
  const stack = new SipStack();
  const info = await stack.addTransport({ name: 'bench-server', protocol: 'udp', bind: '127.0.0.1:0', recvBufferSize: 4 << 20 });
  stack.onRequest = (_req, tx) => {
    tx.reply(200);
  };
  return { stack, port: info.port };
}

/** Raw client: `window` requests in flight, a new one for every response. */
export async function rawClientLoop(port: number, window: number, durationMs: number): Promise<{ done: number; seconds: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const myPort = sock.address().port;
  const tag = `${process.pid}x${Date.now()}`;
  let seq = 0;
  let done = 0;
  let stop = false;
  const sendOne = (): void => {
    seq++;
    sock.send(requestText(myPort, `z9hG4bK${tag}${seq}`, seq), port, '127.0.0.1');
  };
  sock.on('message', () => {
    done++;
    if (!stop) sendOne();
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < window; i++) sendOne();
  await sleep(durationMs);
  stop = true;
  const result = { done, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  await sleep(100);
  sock.close();
  return result;
}

async function inProcess(durationMs: number, window: number): Promise<number> {
  const { stack, port } = await serverStack();
  const r = await rawClientLoop(port, window, durationMs);
  await stack.close();
  return r.done / r.seconds;
}

async function childClient(durationMs: number, window: number): Promise<{ rate: number; cpuPerTxnUs: number; peakServerTx: number }> {
  const { stack, port } = await serverStack();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--raw-client', String(port), String(window), String(durationMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // The server's CPU from the first request on (the child takes a moment to start).
  let cpu0: NodeJS.CpuUsage | null = null;
  const answer = stack.onRequest;
  stack.onRequest = (req, tx, source) => {
    cpu0 ??= process.cpuUsage();
    answer?.(req, tx, source);
  };
  await exited;
  const cpu = process.cpuUsage(cpu0 ?? undefined);
  const rx = stack.counters.requestsReceived;
  const peakServerTx = stack.stats.serverTransactions;
  await stack.close();
  const r = JSON.parse(out) as { done: number; seconds: number };
  return { rate: r.done / r.seconds, cpuPerTxnUs: rx === 0 ? 0 : (cpu.user + cpu.system) / rx, peakServerTx };
}

async function stackToStack(durationMs: number, window: number): Promise<number> {
  const { stack: server, port } = await serverStack();
  const client = new SipStack();
  await client.addTransport({ name: 'bench-client', protocol: 'udp', bind: '127.0.0.1:0', recvBufferSize: 4 << 20 });
  let seq = 0;
  let done = 0;
  let stop = false;
  const handlers = {
    onResponse: (res: { status: number }): void => {
      if (res.status < 200) return;
      done++;
      if (!stop) sendOne();
    },
  };
  const target = { protocol: 'udp' as const, host: '127.0.0.1', port };
  const sendOne = (): void => {
    seq++;
    const req = new SipRequest('NOTIFY', `sip:watcher@127.0.0.1:${port}`, [
      ['From', '<sip:1000@127.0.0.1>;tag=3900f517'],
      ['To', '<sip:watcher@127.0.0.1>;tag=f0aa574c'],
      ['Call-ID', '39de3b7547660458@bench'],
      ['CSeq', `${seq} NOTIFY`],
      ['Event', 'presence'],
      ['Subscription-State', 'active;expires=599'],
    ]);
    client.sendRequest(req, target, handlers);
  };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < window; i++) sendOne();
  await sleep(durationMs);
  stop = true;
  const rate = done / (Number(process.hrtime.bigint() - t0) / 1e9);
  await sleep(100);
  await client.close();
  await server.close();
  return rate;
}

export async function benchSipStack(durationMs = 2000, window = 64): Promise<BenchResult[]> {
  await inProcess(Math.min(300, durationMs), window); // warm-up: let the JIT settle
  const child = await childClient(durationMs, window);
  const one = await inProcess(durationMs, window);
  const both = await stackToStack(durationMs, window);
  return [
    { name: 'sip stack UDP txn (server; client in a child process)', value: Math.round(child.rate), unit: 'txn/s' },
    { name: 'sip stack server CPU per UDP txn', value: Math.round(child.cpuPerTxnUs * 10) / 10, unit: 'us' },
    { name: 'sip stack UDP txn (server + raw client, one process)', value: Math.round(one), unit: 'txn/s' },
    { name: 'sip stack UDP txn (stack <-> stack, one process)', value: Math.round(both), unit: 'txn/s' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--raw-client') {
    const [port, window, ms] = process.argv.slice(3).map(Number);
    const r = await rawClientLoop(port, window, ms);
    process.stdout.write(JSON.stringify(r));
  } else {
    for (const r of await benchSipStack()) console.log(`${r.name}: ${r.value} ${r.unit}`);
  }
}
