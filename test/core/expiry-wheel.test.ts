import assert from 'node:assert/strict';
import { ExpiryWheel, type ExpiryClock, type Expiring } from '../../core/expiry-wheel.js';

/** A clock the test moves by hand; the wheel's interval is run by the test too. */
class HandClock implements ExpiryClock {
  t = 1_000_000;
  armed = 0;
  now(): number {
    return this.t;
  }
  setInterval(): unknown {
    this.armed++;
    return this.armed;
  }
  clearInterval(): void {
    this.armed--;
  }
}

class Item implements Expiring {
  expiryBucket = NaN;
  firedAt: number | undefined;
  constructor(private readonly clock: HandClock) {}
  onExpiry(): void {
    this.firedAt = this.clock.t;
  }
}

describe('core: ExpiryWheel', () => {
  it('fires each item once, never early and at most one tick (100 ms) late', () => {
    const clock = new HandClock();
    const wheel = new ExpiryWheel<Item>(clock);
    const items = [0, 1, 99, 100, 101, 250, 2000, 3_600_000].map((d) => ({ d, item: new Item(clock) }));
    for (const { d, item } of items) wheel.schedule(item, clock.t + d);
    assert.equal(wheel.size, items.length);
    assert.equal(clock.armed, 1, 'one interval for all');
    const start = clock.t;
    for (let step = 0; step <= 3_600_200 / 10; step++) {
      clock.t = start + step * 10;
      wheel.tick();
    }
    for (const { d, item } of items) {
      assert.ok(item.firedAt !== undefined, `item +${d} fired`);
      assert.ok(item.firedAt >= start + d, `item +${d} not early (fired at +${item.firedAt - start})`);
      assert.ok(item.firedAt <= start + d + 100, `item +${d} at most a tick late (fired at +${item.firedAt - start})`);
    }
    assert.equal(wheel.size, 0);
    assert.equal(clock.armed, 0, 'the interval stops when nothing is left');
  });

  it('cancel and reschedule: a cancelled item never fires, a rescheduled one fires at its new time', () => {
    const clock = new HandClock();
    const wheel = new ExpiryWheel<Item>(clock);
    const a = new Item(clock);
    const b = new Item(clock);
    wheel.schedule(a, clock.t + 500);
    wheel.schedule(b, clock.t + 500);
    wheel.cancel(a);
    wheel.schedule(b, clock.t + 5000);
    const start = clock.t;
    clock.t += 1000;
    wheel.tick();
    assert.equal(a.firedAt, undefined);
    assert.equal(b.firedAt, undefined);
    clock.t = start + 5000;
    wheel.tick();
    assert.equal(b.firedAt, start + 5000);
    assert.equal(a.firedAt, undefined);
  });

  it('a handler that throws does not stop the others; a time in the past fires on the next tick', () => {
    const clock = new HandClock();
    const wheel = new ExpiryWheel<Item>(clock);
    const bad: Item = Object.assign(new Item(clock), {
      onExpiry: () => {
        throw new Error('boom');
      },
    });
    const good = new Item(clock);
    const past = new Item(clock);
    wheel.schedule(bad, clock.t + 100);
    wheel.schedule(good, clock.t + 100);
    clock.t += 200;
    wheel.tick();
    assert.equal(good.firedAt, clock.t);
    wheel.schedule(past, clock.t - 10_000);
    clock.t += 100;
    wheel.tick();
    assert.equal(past.firedAt, clock.t);
  });
});
