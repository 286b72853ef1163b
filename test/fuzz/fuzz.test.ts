/**
 * Issue 3's fuzz test: 5,000 mutations of the recorded real messages (Asterisk captures and
 * baresip logs) sent to a real `tsterisk` child process, half over UDP, half over TCP. The node
 * must never crash, must keep answering a clean OPTIONS with 200 over both transports, must keep
 * its RSS within 64 MiB of where it started (and its JS heap after a forced GC within 32 MiB)
 * and must log no ERROR or stray (stack trace) line.
 * `npm run fuzz -- --count 100000` runs the long campaign (bench/fuzz.ts).
 *
 * TST_FUZZ_SEED picks another seed; a failure prints the seed and the batch in flight (ids and
 * base64) so `npm run fuzz -- --seed S --only <id>` replays it.
 */
import assert from 'node:assert/strict';
import { loadCorpus, runCampaign, summaryLine, isErrorLine, type CampaignResult } from './campaign.js';
import { mutate, OPERATORS, Rng } from './mutate.js';

const SEED = Number(process.env.TST_FUZZ_SEED ?? 20261124);

function describeFailure(r: CampaignResult): string {
  const parts = [summaryLine(r)];
  for (const f of r.probeFailures) parts.push(`probe: ${f}`);
  for (const e of r.errors.slice(0, 5)) {
    parts.push(`log:\n    ${e.lines.join('\n    ')}`);
    parts.push(`batch before it (seed ${r.seed}): ${e.suspects.map((s) => `#${s.id}/${s.transport} [${s.ops.join('+')}] ${s.base64}`).join('\n  ')}`);
  }
  if (r.suspects.length > 0) {
    parts.push(`batch in flight at the failure: ${r.suspects.map((s) => `#${s.id}/${s.transport} [${s.ops.join('+')}] ${s.base64}`).join('\n  ')}`);
  }
  return parts.join('\n');
}

describe('fuzz: mutated recorded messages against a tsterisk child (issue 3)', function () {
  this.timeout(120000);

  it('the mutation engine is deterministic per (seed, id) and uses every operator', () => {
    const corpus = loadCorpus();
    assert.ok(corpus.messages.length >= 100, `corpus has ${corpus.messages.length} messages`);
    assert.ok(corpus.requests.length >= 50);
    const a = mutate(corpus, SEED, 1234);
    const b = mutate(corpus, SEED, 1234);
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(a.ops, b.ops);
    assert.notDeepEqual(mutate(corpus, SEED + 1, 1234).data, a.data);
    const used = new Set<string>();
    let changed = 0;
    for (let id = 0; id < 3000; id++) {
      const m = mutate(corpus, SEED, id, { maxBytes: 65507 });
      for (const op of m.ops) used.add(op);
      assert.ok(m.data.length <= 65507);
      if (!m.data.equals(Buffer.from(corpus.messages[m.base]!, 'latin1'))) changed++;
    }
    assert.deepEqual([...used].sort(), OPERATORS.map((o) => o.name).sort());
    assert.ok(changed > 2900, `only ${changed} of 3000 mutations changed their message`);
    // Independent streams: the PRNG of one id does not depend on the ones before it.
    assert.notEqual(new Rng(SEED, 1).u32(), new Rng(SEED, 2).u32());
  });

  it('tells log lines from errors and stack traces', () => {
    assert.equal(isErrorLine('[Nov 24 05:03:23] WARNING[4129] res_pjsip: Error processing 12 bytes packet'), false);
    assert.equal(isErrorLine('[Nov 24 05:03:23] ERROR[4129] res_pjsip: SIP onRequest(REGISTER) handler failed: TypeError'), true);
    assert.equal(isErrorLine('    at Distributor.route (file:///work/main/dist/modules/res_pjsip/distributor.js:40:11)'), true);
    assert.equal(isErrorLine('tsterisk Ready.'), false);
  });

  it('5,000 mutations over UDP and TCP: no crash, OPTIONS answered, RSS bounded, no errors logged', async () => {
    const r = await runCampaign({ count: 5000, seed: SEED, batch: 25 });
    console.log(`      ${summaryLine(r)}`);
    assert.equal(r.failure, null, describeFailure(r));
    assert.equal(r.errors.length, 0, describeFailure(r));
    assert.ok(r.alive);
    assert.equal(r.sent.udp + r.sent.tcp, 5000);
    assert.ok(r.sent.udp >= 2000 && r.sent.tcp >= 2000, `split ${r.sent.udp}/${r.sent.tcp}`);
    assert.equal(r.probeFailures.length, 0);
    assert.ok(r.probes >= 200, `${r.probes} probes`);
    // The mutations reached the node's parser and its request handling, not just the void.
    assert.ok((r.statuses['400'] ?? 0) > 100, `400s: ${r.statuses['400'] ?? 0}`);
    const handled = Object.entries(r.statuses).filter(([s]) => s !== '400').reduce((n, [, c]) => n + c, 0);
    assert.ok(handled > 100, `responses other than 400: ${handled}`);
    assert.ok(r.rssKiB.max - r.rssKiB.start < 64 * 1024);
    // The GC'd heap still holds the UDP transactions of the last 32 s (Timer J), not more.
    assert.ok(r.heapMiB.start > 0 && r.heapMiB.end - r.heapMiB.start < 32, `heap after GC ${r.heapMiB.start.toFixed(1)} -> ${r.heapMiB.end.toFixed(1)} MiB`);
    assert.ok(r.durationMs < 60000, `took ${r.durationMs} ms`);
  });
});
