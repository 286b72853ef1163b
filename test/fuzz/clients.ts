/**
 * The fuzz campaign's sockets: the clean OPTIONS probers (UDP, TCP), the fuzz TCP side (a few
 * connections living a random number of messages, some writes split into pieces) and the tally
 * of what comes back.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { setImmediate as nextTick } from 'node:timers/promises';
import { SipStreamFramer } from '../../core/sip/stream-framer.js';
import type { Mutation, Rng } from './mutate.js';

export function statusOf(buf: Buffer): string | null {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(buf.toString('latin1', 0, 16));
  return m ? m[1]! : null;
}

let probeCounter = 0;

function optionsProbe(protocol: 'udp' | 'tcp', localPort: number, serverPort: number): { branch: string; data: Buffer } {
  const n = ++probeCounter;
  const branch = `z9hG4bKprobe${process.pid}x${n}`;
  const text =
    `OPTIONS sip:127.0.0.1:${serverPort} SIP/2.0\r\n` +
    `Via: SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:${localPort};rport;branch=${branch}\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: <sip:probe@127.0.0.1>;tag=p${n}\r\n` +
    `To: <sip:127.0.0.1:${serverPort}>\r\n` +
    `Call-ID: probe-${process.pid}-${n}@fuzz\r\n` +
    `CSeq: ${n} OPTIONS\r\n` +
    'Content-Length: 0\r\n\r\n';
  return { branch, data: Buffer.from(text) };
}

function branchOf(buf: Buffer): string | undefined {
  return /branch=([^;,\s]+)/.exec(buf.toString('latin1'))?.[1];
}

/** A clean UDP client answering "does the node still answer OPTIONS?". */
export class UdpProber {
  private waiters = new Map<string, (status: string) => void>();
  private constructor(
    private readonly sock: dgram.Socket,
    private readonly serverPort: number,
  ) {
    sock.on('message', (m) => {
      const b = branchOf(m);
      const s = statusOf(m);
      if (b !== undefined && s !== null && Number(s) >= 200) this.waiters.get(b)?.(s);
    });
  }

  static async open(serverPort: number): Promise<UdpProber> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new UdpProber(sock, serverPort);
  }

  /** Status of the final response, retransmitting like Timer E (500 ms doubling), or null after `timeoutMs`. */
  probe(timeoutMs: number): Promise<string | null> {
    const { branch, data } = optionsProbe('udp', this.sock.address().port, this.serverPort);
    return new Promise((resolve) => {
      let interval = 500;
      let timer: NodeJS.Timeout;
      const send = (): void => this.sock.send(data, this.serverPort, '127.0.0.1');
      const retransmit = (): void => {
        send();
        interval = Math.min(interval * 2, 4000);
        timer = setTimeout(retransmit, interval);
      };
      const deadline = setTimeout(() => finish(null), timeoutMs);
      const finish = (s: string | null): void => {
        clearTimeout(timer);
        clearTimeout(deadline);
        this.waiters.delete(branch);
        resolve(s);
      };
      this.waiters.set(branch, finish);
      send();
      timer = setTimeout(retransmit, interval);
    });
  }

  close(): void {
    this.sock.close();
  }
}

/** A clean TCP client; reconnects if its connection is gone (which is itself reported). */
export class TcpProber {
  private sock: net.Socket | null = null;
  private framer = new SipStreamFramer();
  private waiters = new Map<string, (status: string) => void>();
  reconnects = 0;
  constructor(private readonly serverPort: number) {}

  private async connect(): Promise<net.Socket> {
    if (this.sock !== null && !this.sock.destroyed) return this.sock;
    if (this.sock !== null) this.reconnects++;
    const sock = net.connect(this.serverPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    sock.on('error', () => undefined);
    this.framer = new SipStreamFramer();
    sock.on('data', (chunk: Buffer) => {
      for (const ev of this.framer.push(chunk)) {
        if (ev.type !== 'message') continue;
        const b = branchOf(ev.data);
        const s = statusOf(ev.data);
        if (b !== undefined && s !== null && Number(s) >= 200) this.waiters.get(b)?.(s);
      }
    });
    this.sock = sock;
    return sock;
  }

  async probe(timeoutMs: number): Promise<string | null> {
    let sock: net.Socket;
    try {
      sock = await this.connect();
    } catch {
      return null;
    }
    const { branch, data } = optionsProbe('tcp', sock.localPort ?? 0, this.serverPort);
    return new Promise((resolve) => {
      const deadline = setTimeout(() => finish(null), timeoutMs);
      const finish = (s: string | null): void => {
        clearTimeout(deadline);
        this.waiters.delete(branch);
        resolve(s);
      };
      this.waiters.set(branch, finish);
      sock.write(data);
    });
  }

  close(): void {
    this.sock?.destroy();
  }
}

/** Counts the responses the fuzz sockets get, per status, and the distinct ones (a retransmission is the same bytes). */
export class ResponseTally {
  /** Per status, every message received. */
  readonly statuses: Record<string, number> = {};
  /** Every message received, retransmissions included. */
  received = 0;
  distinct = 0;
  private seen = new Set<string>();

  add(buf: Buffer): void {
    this.received++;
    const s = statusOf(buf) ?? 'request';
    this.statuses[s] = (this.statuses[s] ?? 0) + 1;
    const h = createHash('sha1').update(buf).digest('base64').slice(0, 16);
    if (this.seen.has(h)) return;
    this.seen.add(h);
    if (this.seen.size > 200000) this.seen.clear();
    this.distinct++;
  }
}

interface FuzzConnection {
  sock: net.Socket;
  /** Messages still to send on it before it is ended. */
  budget: number;
  open: boolean;
}

/** The fuzz TCP side: a few connections, each living a random number of messages. */
export class TcpFuzzer {
  private slots: Array<FuzzConnection | null>;
  opened = 0;
  closedByNode = 0;

  constructor(
    private readonly serverPort: number,
    size: number,
    private readonly tally: ResponseTally,
  ) {
    this.slots = Array<FuzzConnection | null>(size).fill(null);
  }

  private async openConnection(rng: Rng): Promise<FuzzConnection> {
    const sock = net.connect(this.serverPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    this.opened++;
    const c: FuzzConnection = { sock, budget: rng.chance(0.2) ? 1 : rng.range(1, 40), open: true };
    const framer = new SipStreamFramer();
    sock.on('data', (chunk: Buffer) => {
      for (const ev of framer.push(chunk)) if (ev.type === 'message') this.tally.add(ev.data);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (c.open) this.closedByNode++;
      c.open = false;
    });
    return c;
  }

  async send(m: Mutation, rng: Rng): Promise<void> {
    const slot = rng.int(this.slots.length);
    let c = this.slots[slot];
    if (c == null || !c.open || c.sock.destroyed) {
      c = await this.openConnection(rng);
      this.slots[slot] = c;
    }
    const data = m.data;
    if (rng.chance(0.3) && data.length > 1) {
      // byte-split writes: the framer must reassemble across reads
      const pieces = rng.range(2, Math.min(12, data.length));
      let at = 0;
      for (let k = 0; k < pieces && at < data.length && c.open; k++) {
        const end = k === pieces - 1 ? data.length : Math.min(data.length, at + 1 + rng.int(Math.max(1, Math.floor((2 * (data.length - at)) / (pieces - k)))));
        c.sock.write(data.subarray(at, end));
        at = end;
        await nextTick();
      }
    } else if (c.open) {
      c.sock.write(data);
    }
    if (--c.budget <= 0) {
      c.open = false;
      if (rng.chance(0.5)) c.sock.end();
      else c.sock.destroy();
      this.slots[slot] = null;
    }
  }

  close(): void {
    for (const c of this.slots) c?.sock.destroy();
  }
}
