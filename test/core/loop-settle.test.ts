import assert from 'node:assert/strict';
import { afterLoopSettles } from '../../core/pacing/loop-settle.js';

/** Keeps the event loop busy for `ms`: 4 ms slices of work, yielding between them (as a backlog of I/O would). */
function busyFor(ms: number): Promise<number> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const slice = () => {
      const stop = Math.min(end, performance.now() + 4);
      while (performance.now() < stop) {
        // spin: work the loop has to do
      }
      if (performance.now() >= end) resolve(performance.now());
      else setImmediate(slice);
    };
    setImmediate(slice);
  });
}

function settled(opts: Parameters<typeof afterLoopSettles>[1]): { at: Promise<number>; cancel: () => void } {
  let cancel = () => undefined as void;
  const at = new Promise<number>((resolve) => {
    cancel = afterLoopSettles(() => resolve(performance.now()), opts);
  });
  return { at, cancel };
}

describe('res_pjsip_mwi loop-settle (when the boot wave may start)', () => {
  it('waits while the loop is busy and runs soon after it idles', async () => {
    const t0 = performance.now();
    const s = settled({ windowMs: 10, busyShare: 0.5, maxWaitMs: 5000 });
    const busyEnd = await busyFor(150);
    const at = await s.at;
    assert.ok(at >= busyEnd - 15, `ran ${(busyEnd - at).toFixed(1)} ms before the busy period ended (${(at - t0).toFixed(0)} ms in)`);
    assert.ok(at - busyEnd < 100, `ran ${(at - busyEnd).toFixed(1)} ms after the loop idled`);
  });

  it('runs at once on an idle loop (one window)', async () => {
    const t0 = performance.now();
    const at = await settled({ windowMs: 10 }).at;
    assert.ok(at - t0 < 60, `${(at - t0).toFixed(1)} ms`);
  });

  it('runs after maxWaitMs on a loop that never idles', async () => {
    const t0 = performance.now();
    const s = settled({ windowMs: 10, busyShare: 0.5, maxWaitMs: 80 });
    const busy = busyFor(400);
    const at = await s.at;
    assert.ok(at - t0 >= 75 && at - t0 < 250, `${(at - t0).toFixed(1)} ms`);
    await busy;
  });

  it('can be cancelled', async () => {
    let ran = false;
    const cancel = afterLoopSettles(() => (ran = true), { windowMs: 5 });
    cancel();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(ran, false);
  });
});
