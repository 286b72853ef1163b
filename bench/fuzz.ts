/**
 * `npm run fuzz -- --count N [--seed S]`: the long fuzz campaign of issue 3 (the test runs
 * 5,000 mutations; this runs as many as asked) against a real `tsterisk` child process. See
 * test/fuzz/campaign.ts for what is sent and checked. Exit status 1 when a check failed.
 *
 *   --count N         mutations (default 100000)
 *   --seed S          campaign seed (default: the test's seed)
 *   --batch B         mutations per batch, one probe per batch (default 25)
 *   --rss-limit MiB   allowed RSS growth (default 64)
 *   --settle S        seconds to wait after the run (transactions end: Timer J is 32 s) before
 *                     comparing the GC'd JS heap with the start (default 35; 0 skips)
 *   --heap-limit MiB  allowed growth of that heap (default 16)
 *   --only a,b,c      replay only these mutation ids (with --transport udp|tcp)
 *   --dump id         print mutation `id` (base64 and latin1 text) and exit
 */
import { loadCorpus, runCampaign, summaryLine, type CampaignResult } from '../test/fuzz/campaign.js';
import { mutate } from '../test/fuzz/mutate.js';

const DEFAULT_SEED = 20261124;

interface FuzzArgs {
  count: number;
  seed: number;
  batch: number;
  rssLimit: number;
  settle: number;
  heapLimit: number;
  only?: number[];
  transport?: 'udp' | 'tcp';
  dump?: number;
}

function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  const a: FuzzArgs = { count: 100000, seed: DEFAULT_SEED, batch: 25, rssLimit: 64, settle: 35, heapLimit: 16 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    const value = (): string => {
      const v = eq === -1 ? argv[++i] : flag.slice(eq + 1);
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: '${v}' is not a non-negative integer`);
      return n;
    };
    switch (name) {
      case '--count':
        a.count = int();
        break;
      case '--seed':
        a.seed = int();
        break;
      case '--batch':
        a.batch = Math.max(1, int());
        break;
      case '--rss-limit':
        a.rssLimit = int();
        break;
      case '--settle':
        a.settle = int();
        break;
      case '--heap-limit':
        a.heapLimit = int();
        break;
      case '--only':
        a.only = value()
          .split(',')
          .map((s) => Number(s.trim()))
          .filter((n) => Number.isInteger(n) && n >= 0);
        break;
      case '--transport': {
        const t = value();
        if (t !== 'udp' && t !== 'tcp') throw new Error('--transport is udp or tcp');
        a.transport = t;
        break;
      }
      case '--dump':
        a.dump = int();
        break;
      default:
        throw new Error(`unknown argument '${flag}' (see the top of bench/fuzz.ts)`);
    }
  }
  return a;
}

function short(b64: string): string {
  return b64.length > 200 ? `${b64.slice(0, 200)}... (${b64.length} chars; --dump <id> prints it)` : b64;
}

function printDetails(r: CampaignResult, full: boolean): void {
  for (const f of r.probeFailures) console.log(`probe failure: ${f}`);
  for (const e of r.errors.slice(0, 10)) {
    console.log(`node log:\n    ${e.lines.slice(0, 12).join('\n    ')}`);
    console.log(`  after (seed ${r.seed}): ${e.suspects.map((s) => `#${s.id}/${s.transport} [${s.ops.join('+')}]`).join(' ')}`);
    if (full) for (const s of e.suspects) console.log(`  #${s.id} base64: ${s.base64}`);
  }
  if (r.errors.length > 10) console.log(`... ${r.errors.length - 10} more error reports`);
  if (r.failure !== null) {
    console.log(`FAILED: ${r.failure}; batch in flight:`);
    for (const s of r.suspects) console.log(`  #${s.id}/${s.transport} [${s.ops.join('+')}] ${full ? s.base64 : short(s.base64)}`);
  }
}

/**
 * Replays the batches that preceded an error, one mutation per batch on a fresh node, so each
 * error is pinned on the single input that causes it (TCP inputs may need their stream
 * neighbours: those are replayed over the same few connections, in order).
 */
async function isolate(r: CampaignResult, args: FuzzArgs): Promise<void> {
  const byTransport = { udp: new Set<number>(), tcp: new Set<number>() };
  for (const e of r.errors.slice(0, 10)) for (const s of e.suspects) byTransport[s.transport].add(s.id);
  for (const s of r.suspects) byTransport[s.transport].add(s.id);
  for (const transport of ['udp', 'tcp'] as const) {
    const ids = [...byTransport[transport]].sort((a, b) => a - b);
    if (ids.length === 0) continue;
    console.log(`\nisolating over ${transport.toUpperCase()}: ${ids.length} inputs, one per batch`);
    const again = await runCampaign({ count: ids.length, seed: args.seed, batch: 1, only: ids, onlyTransport: transport, rssGrowthLimitMiB: args.rssLimit });
    console.log(summaryLine(again));
    if (again.errors.length === 0 && again.failure === null) console.log('  not reproduced one at a time');
    printDetails(again, true);
  }
}

async function main(): Promise<number> {
  const args = parseFuzzArgs(process.argv.slice(2));
  if (args.dump !== undefined) {
    const m = mutate(loadCorpus(), args.seed, args.dump);
    console.log(`mutation #${m.id} of seed ${args.seed}: base message ${m.base}, ops ${m.ops.join(' + ')}, ${m.data.length} bytes`);
    console.log(m.data.toString('base64'));
    console.log(JSON.stringify(m.data.toString('latin1')));
    return 0;
  }
  const count = args.only ? args.only.length : args.count;
  console.log(
    `fuzz: ${count} mutations, seed ${args.seed}, batches of ${args.batch}, RSS growth limit ${args.rssLimit} MiB, ` +
      `GC'd heap growth limit ${args.heapLimit} MiB after ${args.settle} s settling`,
  );
  const r = await runCampaign({
    count,
    seed: args.seed,
    batch: args.batch,
    rssGrowthLimitMiB: args.rssLimit,
    settleMs: args.only ? 0 : args.settle * 1000,
    heapGrowthLimitMiB: args.heapLimit,
    ...(args.only ? { only: args.only } : {}),
    ...(args.transport ? { onlyTransport: args.transport } : {}),
    progress: (line) => console.log(line),
    progressEvery: Math.max(1000, Math.round(count / 10)),
    stopOnFailure: true,
  });
  console.log(summaryLine(r));
  printDetails(r, args.only !== undefined);
  if (args.only === undefined && (r.errors.length > 0 || r.failure !== null)) await isolate(r, args);
  return r.failure === null && r.errors.length === 0 ? 0 : 1;
}

process.exitCode = await main();
