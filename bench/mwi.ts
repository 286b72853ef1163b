/**
 * MWI boot wave (issue 5): N endpoints, each with `mailboxes = <i>@default` and an AOR whose
 * static `contact=` points at one UDP "phone farm" (a separate process that answers every
 * NOTIFY 200), plus N AORs with mailboxes for solicited subscribers. The mailbox counts are
 * persisted in a first, quiet life of the node (res_pjsip_mwi not loaded); the measured life is
 * a real `tsterisk` child process, whose FullyBooted wave sends every endpoint its persisted
 * counts. Measured:
 * - wave duration: first to last NOTIFY received at the farm, and NOTIFYs received;
 * - other traffic during the wave: a separate client pings the node with OPTIONS every 2 ms;
 *   p50/p99/max of the pings sent while the wave ran (aim: p99 under 100 ms), and pings lost.
 * Three processes on the same machine (node, farm, this one as the pinger) share its cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseMessage } from '../core/sip/parser.js';
import { buildResponse, serializeMessage } from '../core/sip/serializer.js';
import { makeConfigDir, startInProcess } from '../test/support/node-harness.js';
import { freePort } from '../test/support/peers.js';
import type { BenchResult } from './sip-parse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/loader/cli.js */
const CLI_JS = path.resolve(here, '..', 'loader', 'cli.js');
const SELF = fileURLToPath(import.meta.url);

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
const nowMs = (): number => performance.timeOrigin + performance.now();

interface FarmReport {
  count: number;
  first: number;
  last: number;
  /** Distinct Request-URIs (contacts) that got a NOTIFY. */
  distinct: number;
  /** NOTIFYs with a Via branch seen before: retransmissions. */
  retransmissions: number;
}

// ---------------------------------------------------------------------------------------------
// The phone farm (child process): answers every request 200 and counts NOTIFYs.

async function runFarm(): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.setRecvBufferSize(8 * 1024 * 1024);
  const seen = new Set<string>();
  const branches = new Set<string>();
  const report: FarmReport = { count: 0, first: 0, last: 0, distinct: 0, retransmissions: 0 };
  sock.on('message', (buf, rinfo) => {
    const p = parseMessage(buf);
    if (!p.ok || p.message.kind !== 'request') return;
    const req = p.message;
    if (req.method === 'NOTIFY') {
      const t = nowMs();
      if (report.count === 0) report.first = t;
      report.last = t;
      report.count++;
      seen.add(req.uri);
      const branch = /branch=([^;,\s]+)/.exec(req.getHeader('Via') ?? '')?.[1] ?? '';
      if (branches.has(branch)) report.retransmissions++;
      else branches.add(branch);
    }
    sock.send(serializeMessage(buildResponse(req, 200)), rinfo.port, rinfo.address);
  });
  console.log(`FARM ${sock.address().port}`);
  // One command a line on stdin: `report` prints the counts so far as JSON; `quit` ends.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'report') console.log(`REPORT ${JSON.stringify({ ...report, distinct: seen.size })}`);
    if (line === 'quit') break;
  }
  sock.close();
}

class FarmHandle {
  private waiting: Array<(r: FarmReport) => void> = [];
  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {}

  static start(): Promise<FarmHandle> {
    const proc = spawn(process.execPath, [SELF, '--farm'], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let handle: FarmHandle | undefined;
      const rl = createInterface({ input: proc.stdout! });
      rl.on('line', (line) => {
        const f = /^FARM (\d+)$/.exec(line);
        if (f) {
          handle = new FarmHandle(proc, Number(f[1]));
          resolve(handle);
        }
        const r = /^REPORT (.*)$/.exec(line);
        if (r && handle) handle.waiting.shift()?.(JSON.parse(r[1]!) as FarmReport);
      });
      proc.once('exit', (code) => reject(new Error(`phone farm exited (${code}) before it listened`)));
    });
  }

  report(): Promise<FarmReport> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write('report\n');
    });
  }

  stop(): void {
    this.proc.stdin!.write('quit\n');
    setTimeout(() => this.proc.kill('SIGKILL'), 2000).unref();
  }
}

// ---------------------------------------------------------------------------------------------
// The OPTIONS pinger (this process): one request every `intervalMs`, latency per answer.

interface Ping {
  sent: number;
  rtt?: number;
}

class Pinger {
  private sock = dgram.createSocket('udp4');
  private pings = new Map<string, Ping>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly nodePort: number) {}

  async start(intervalMs: number): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    const local = this.sock.address().port;
    this.sock.on('message', (buf) => {
      const p = parseMessage(buf);
      if (!p.ok || p.message.kind !== 'response' || p.message.status < 200) return;
      const ping = this.pings.get(p.message.getHeader('Call-ID') ?? '');
      if (ping && ping.rtt === undefined) ping.rtt = nowMs() - ping.sent;
    });
    this.timer = setInterval(() => {
      const id = `mwi-bench-ping-${++this.seq}`;
      const text = [
        `OPTIONS sip:127.0.0.1:${this.nodePort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ping-${this.seq};rport`,
        `From: <sip:pinger@127.0.0.1:${local}>;tag=ping${this.seq}`,
        `To: <sip:127.0.0.1:${this.nodePort}>`,
        `Call-ID: ${id}`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      this.pings.set(id, { sent: nowMs() });
      this.sock.send(text, this.nodePort, '127.0.0.1');
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sock.close();
  }

  /** The pings sent in [from, to]: their round-trip times (ms) and how many got no answer. */
  between(from: number, to: number): { rtts: number[]; lost: number } {
    const rtts: number[] = [];
    let lost = 0;
    for (const p of this.pings.values()) {
      if (p.sent < from || p.sent > to) continue;
      if (p.rtt === undefined) lost++;
      else rtts.push(p.rtt);
    }
    return { rtts: rtts.sort((a, b) => a - b), lost };
  }

  answered(): number {
    let n = 0;
    for (const p of this.pings.values()) if (p.rtt !== undefined) n++;
    return n;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------------------------------------

function pjsipConf(count: number, sipPort: number, farmPort: number): string {
  const parts = [
    '[global]\ntype = global\ndefault_voicemail_extension = *97\n\n',
    `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${sipPort}\nudp_recv_buffer_size = 4194304\n\n`,
    // Anything else from 127.0.0.1 (the pinger) is this endpoint: OPTIONS get a plain 200.
    '[bench]\ntype = endpoint\ncontext = default\nidentify_by = ip\n\n[bench]\ntype = identify\nendpoint = bench\nmatch = 127.0.0.1\n\n',
  ];
  for (let i = 0; i < count; i++) {
    // ep<i>: unsolicited (endpoint mailboxes, static contact at the farm); box<i>: an AOR for
    // solicited subscribers of the same mailbox.
    parts.push(
      `[ep${i}]\ntype = endpoint\ncontext = default\naors = ep${i}\nmailboxes = ${i}@default\n\n` +
        `[ep${i}]\ntype = aor\ncontact = sip:ep${i}@127.0.0.1:${farmPort}\n\n` +
        `[box${i}]\ntype = aor\nmailboxes = ${i}@default\n\n`,
    );
  }
  return parts.join('');
}

export async function benchMwi(count = Number(process.env.MWI_BENCH_COUNT ?? 10_000)): Promise<BenchResult[]> {
  const label = count >= 10_000 ? `${count} mailboxes` : `${count} mailboxes, reduced`;
  const farm = await FarmHandle.start();
  const sipPort = await freePort();
  const conf = pjsipConf(count, sipPort, farm.port);
  const dir = makeConfigDir({
    'modules.conf': '[modules]\nautoload = yes\nnoload => res_pjsip_mwi\n',
    'pjsip.conf': conf,
    'extensions.conf': '[default]\n',
  });
  let node: ChildProcess | undefined;
  let pinger: Pinger | undefined;
  try {
    // First life, in this process and without res_pjsip_mwi: persist every mailbox's counts.
    const t0 = nowMs();
    const first = await startInProcess(dir, { noControlSocket: true });
    const mailboxes = first.node.core.mailboxes;
    for (let i = 0; i < count; i++) await mailboxes.update(`${i}@default`, { new: (i % 5) + 1, old: i % 3 });
    await first.stop();
    const prepMs = nowMs() - t0;

    // Second life: a real node process with res_pjsip_mwi; its boot wave goes to the farm.
    writeFileSync(path.join(dir, 'modules.conf'), '[modules]\nautoload = yes\n');
    pinger = new Pinger(sipPort);
    await pinger.start(2);
    const spawned = nowMs();
    node = spawn(process.execPath, [CLI_JS, '-C', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let outBytes = 0;
    const keep = (d: Buffer) => {
      outBytes += d.length;
      out = (out + d.toString('utf8')).slice(-20000);
    };
    node.stdout!.on('data', keep);
    node.stderr!.on('data', keep);
    let exited: number | null | undefined;
    node.once('exit', (code) => (exited = code));

    // Wait for every NOTIFY, or for the wave to stall (no progress for 10 s).
    let last: FarmReport = { count: 0, first: 0, last: 0, distinct: 0, retransmissions: 0 };
    let progressAt = nowMs();
    const hardLimit = nowMs() + 75_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await farm.report();
      if (r.count !== last.count) progressAt = nowMs();
      last = r;
      if (r.distinct >= count) break;
      if (exited !== undefined) throw new Error(`node exited (${exited}) during the wave:\n${out}`);
      if (nowMs() - progressAt > 10_000 || nowMs() > hardLimit) break;
    }
    // A quiet second after the wave, as the baseline for the same pinger on the same machine.
    await new Promise((r) => setTimeout(r, 1500));
    const ready = /tsterisk Ready\./.test(out);
    if (process.env.MWI_BENCH_DEBUG) console.error(`node printed ${outBytes} bytes; tail:\n${out.slice(-3000)}`);
    const during = pinger.between(last.first, last.last);
    const waveMs = last.last - last.first;
    const quiet = pinger.between(last.last + 200, last.last + 1200);
    const rows: BenchResult[] = [
      { name: `MWI boot wave (${label}): NOTIFYs received at the farm`, value: last.count, unit: `NOTIFYs (${last.distinct} distinct contacts of ${count}, ${last.retransmissions} retransmissions)` },
      { name: `MWI boot wave (${label}): duration, first to last NOTIFY`, value: Math.round(waveMs), unit: 'ms' },
      { name: `MWI boot wave (${label}): rate`, value: waveMs > 0 ? Math.round((last.count / waveMs) * 1000) : 0, unit: 'NOTIFY/s' },
      { name: `MWI boot wave (${label}): node spawn to first NOTIFY`, value: Math.round(last.first - spawned), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS pings answered during wave`, value: during.rtts.length, unit: `pings (${during.lost} lost)` },
      { name: `MWI boot wave (${label}): OPTIONS p50 during wave`, value: Number(percentile(during.rtts, 50).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS p99 during wave (aim < 100)`, value: Number(percentile(during.rtts, 99).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS max during wave`, value: Number((during.rtts[during.rtts.length - 1] ?? NaN).toFixed(2)), unit: 'ms' },
      { name: `MWI boot wave (${label}): OPTIONS p99 in the quiet second after (baseline)`, value: Number(percentile(quiet.rtts, 99).toFixed(2)), unit: `ms (${quiet.rtts.length} pings)` },
      { name: `MWI boot wave (${label}): setup, persist counts (first life)`, value: Math.round(prepMs), unit: 'ms' },
    ];
    if (!ready) rows.push({ name: `MWI boot wave (${label}): node never printed Ready`, value: 0, unit: '' });
    return rows;
  } finally {
    pinger?.stop();
    if (node && node.exitCode === null) {
      node.kill('SIGTERM');
      const n = node;
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          n.kill('SIGKILL');
          r();
        }, 5000);
        n.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    farm.stop();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--farm') {
    await runFarm();
    process.exit(0);
  }
  const rows = await benchMwi(process.argv[2] !== undefined ? Number(process.argv[2]) : undefined);
  for (const r of rows) console.log(`  ${r.name.padEnd(72)} ${r.value.toLocaleString('en').padStart(10)} ${r.unit}`);
  process.exit(0);
}
