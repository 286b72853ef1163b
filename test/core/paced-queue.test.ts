import assert from 'node:assert/strict';
import type { Logger } from '../../core/log.js';
import { PacedQueue } from '../../core/pacing/paced-queue.js';

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    error: (m: string) => lines.push(`ERROR ${m}`),
    warning: (m: string) => lines.push(`WARNING ${m}`),
    notice: (m: string) => lines.push(`NOTICE ${m}`),
    verbose: (m: string) => lines.push(`VERBOSE ${m}`),
    debug: () => undefined,
    child: () => log,
  };
  return log;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('res_pjsip_mwi paced queue', () => {
  it('drains 10,000 jobs in batches without holding the event loop', async () => {
    const ran: number[] = [];
    const q = new PacedQueue<number>((job, slot) => {
      ran.push(job);
      slot()();
    }, memoryLog(), { batchSize: 200, highWater: 1e9 });
    for (let i = 0; i < 10000; i++) q.push(`k${i}`, i);
    assert.equal(q.size, 10000);
    assert.equal(ran.length, 0, 'nothing runs inside push');
    // A timer set now must fire long before the wave is over: the queue yields every turn.
    let midway = -1;
    const timer = new Promise<void>((r) =>
      setTimeout(() => {
        midway = ran.length;
        r();
      }, 0),
    );
    await Promise.all([q.idle(), timer]);
    assert.equal(ran.length, 10000);
    assert.deepEqual(ran.slice(0, 3), [0, 1, 2], 'first in, first out');
    assert.ok(midway >= 0 && midway < 10000, `the timer ran after ${midway} jobs`);
    assert.equal(q.started, 10000);
  });

  it('runs at most batchSize jobs per turn', async () => {
    const ran: number[] = [];
    const q = new PacedQueue<number>((job) => ran.push(job), memoryLog(), { batchSize: 50 });
    for (let i = 0; i < 120; i++) q.push(`k${i}`, i);
    await turn();
    assert.equal(ran.length, 50);
    await turn();
    assert.equal(ran.length, 100);
    await q.idle();
    assert.equal(ran.length, 120);
  });

  it('holdUntilLoopSettles: nothing runs until the loop settles, then the wave goes out in its own turn size, and the normal one after', async () => {
    const ran: number[] = [];
    const q = new PacedQueue<number>((job) => ran.push(job), memoryLog(), { batchSize: 50 });
    let resumedAfter = -1;
    q.holdUntilLoopSettles({ settle: { windowMs: 5, busyShare: 0.99, maxWaitMs: 1000 }, batchSize: 8, onResume: (ms) => (resumedAfter = ms) });
    for (let i = 0; i < 40; i++) q.push(`k${i}`, i);
    await turn();
    await turn();
    assert.equal(ran.length, 0, 'held');
    while (resumedAfter < 0) await new Promise((r) => setTimeout(r, 5));
    await turn();
    assert.equal(ran.length, 8, 'the wave: 8 per turn');
    await q.idle();
    assert.equal(ran.length, 40);
    for (let i = 0; i < 120; i++) q.push(`m${i}`, i);
    await turn();
    assert.equal(ran.length, 90, 'after the wave: 50 per turn again');
    await q.idle();
  });

  it('coalesces a job whose key is already waiting', async () => {
    const ran: string[] = [];
    const q = new PacedQueue<string>((job) => ran.push(job), memoryLog());
    assert.equal(q.push('mbox-a', 'first'), true);
    assert.equal(q.push('mbox-a', 'second'), true);
    q.push('mbox-b', 'other');
    assert.equal(q.size, 2);
    await q.idle();
    assert.deepEqual(ran, ['first', 'other']);
    // Once run, the same key queues again.
    q.push('mbox-a', 'third');
    await q.idle();
    assert.deepEqual(ran, ['first', 'other', 'third']);
  });

  it('keeps at most maxInFlight NOTIFYs waiting for answers and resumes as they end', async () => {
    const releases: Array<() => void> = [];
    const q = new PacedQueue<number>((_job, slot) => {
      releases.push(slot());
      releases.push(slot());
    }, memoryLog(), { maxInFlight: 5, batchSize: 100 });
    for (let i = 0; i < 10; i++) q.push(`k${i}`, i);
    await turn();
    await turn();
    assert.equal(q.inFlight, 6, 'three jobs of two NOTIFYs: the third crossed the limit, then it stopped');
    assert.equal(q.size, 7);
    releases.splice(0, 3).forEach((r) => r());
    releases[0]!();
    releases[0]!(); // a second release of the same slot counts once
    await turn();
    await turn();
    assert.equal(q.inFlight, 6);
    assert.equal(q.size, 5);
    let idle = false;
    void q.idle().then(() => (idle = true));
    while (q.size > 0 || q.inFlight > 0) {
      releases.splice(0).forEach((r) => r());
      await turn();
    }
    await turn();
    assert.equal(idle, true);
    assert.equal(q.started, 20);
  });

  it('lets unanswered NOTIFYs leave the pacing window after slotTimeoutMs, but never more than maxOutstanding alive', async () => {
    const releases: Array<() => void> = [];
    const q = new PacedQueue<number>((_job, slot) => releases.push(slot()), memoryLog(), { maxInFlight: 5, slotTimeoutMs: 40, maxOutstanding: 8, batchSize: 100 });
    for (let i = 0; i < 20; i++) q.push(`k${i}`, i);
    await turn();
    await turn();
    assert.equal(q.inFlight, 5, 'a full window of dead contacts');
    assert.equal(q.outstanding, 5);
    const t0 = Date.now();
    // Nothing is answered: the window timer must wake the queue by itself.
    while (q.outstanding < 8 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
    assert.ok(Date.now() - t0 >= 30, `the window opened only once the slots were old (${Date.now() - t0} ms)`);
    assert.equal(q.outstanding, 8, 'the window moved on');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(q.outstanding, 8, 'bounded by maxOutstanding however long nobody answers');
    assert.equal(q.inFlight, 0, 'every slot aged out of the window');
    assert.equal(q.size, 12);
    // Transactions ending (Timer F, transport errors) make room again.
    releases.splice(0, 4).forEach((r) => r());
    await turn();
    await turn();
    assert.equal(q.outstanding, 8);
    assert.equal(q.size, 8);
    let idle = false;
    void q.idle().then(() => (idle = true));
    while (q.size > 0 || q.outstanding > 0) {
      releases.splice(0).forEach((r) => r());
      await turn();
    }
    await turn();
    assert.equal(idle, true);
    assert.equal(q.started, 20);
  });

  it('holds jobs while paused (still coalescing them) and runs them on resume', async () => {
    const ran: string[] = [];
    const q = new PacedQueue<string>((job) => ran.push(job), memoryLog());
    q.pause();
    q.push('ep1', 'wave ep1');
    q.push('ep2', 'wave ep2');
    q.push('ep1', 'registration ep1');
    await turn();
    await turn();
    assert.deepEqual(ran, []);
    assert.equal(q.size, 2);
    q.resume();
    await q.idle();
    assert.deepEqual(ran, ['wave ep1', 'wave ep2']);
  });

  it('is bounded: keys beyond maxQueue are dropped with a warning', async () => {
    const log = memoryLog();
    const q = new PacedQueue<number>(() => undefined, log, { maxQueue: 3, highWater: 100 });
    assert.equal(q.push('a', 1), true);
    assert.equal(q.push('b', 2), true);
    assert.equal(q.push('c', 3), true);
    assert.equal(q.push('d', 4), false);
    assert.equal(q.push('a', 5), true, 'a waiting key is still absorbed');
    assert.equal(q.size, 3);
    assert.ok(log.lines.some((l) => l.startsWith("WARNING The 'pjsip/mwi' queue is full")));
    await q.idle();
  });

  it("warns past mwi_tps_queue_high and clears under the low water mark, as Asterisk's taskprocessor alerts", async () => {
    const log = memoryLog();
    const q = new PacedQueue<number>(() => undefined, log, { highWater: 10, lowWater: -1, batchSize: 1 });
    for (let i = 0; i < 12; i++) q.push(`k${i}`, i);
    assert.equal(log.lines.filter((l) => l.startsWith('WARNING')).length, 1);
    assert.match(log.lines[0]!, /queue reached 11 scheduled tasks \(high water 10\)/);
    await q.idle();
    assert.ok(log.lines.some((l) => /NOTICE .*back to 9 scheduled tasks \(low water 9\)/.test(l)), log.lines.join('\n'));
  });

  it('drops waiting jobs by key prefix and stops for good', async () => {
    const ran: string[] = [];
    const q = new PacedQueue<string>((j) => ran.push(j), memoryLog());
    q.push('ep1\u0000*', 'ep1');
    q.push('ep2\u0000*', 'ep2');
    q.dropPrefix('ep1\u0000');
    await q.idle();
    assert.deepEqual(ran, ['ep2']);
    q.push('ep3\u0000*', 'ep3');
    q.stop();
    assert.equal(q.push('ep4\u0000*', 'ep4'), false);
    await q.idle();
    await turn();
    assert.deepEqual(ran, ['ep2']);
  });
});
