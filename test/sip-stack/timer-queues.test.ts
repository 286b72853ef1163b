import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../core/sip/transaction/clock.js';
import { NO_TIMER, TimerQueues } from '../../core/sip/transaction/timer-queues.js';
import { SipRequest } from '../../core/sip/message.js';
import { UdpPeer, startStack } from './helpers.js';

/** A hand-driven Clock: the injectable interface the stack accepts instead of node's timers. */
class ManualClock implements Clock {
  time = 0;
  hostTimers = 0;
  private timers: Array<{ at: number; fn: (arg: unknown) => void; arg: unknown; id: number }> = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimer<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    this.hostTimers++;
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn: callback as (arg: unknown) => void, arg, id });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get armed(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.timers[0];
      if (t === undefined || t.at > end) break;
      this.timers.shift();
      this.time = t.at;
      t.fn(t.arg);
    }
    this.time = end;
  }
}

describe('sip stack timer queues', () => {
  it('fires each timer once its delay has passed, never before, in arming order', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    const fired: string[] = [];
    q.schedule(500, (s: string) => fired.push(`${s}@${clock.time}`), 'a');
    clock.advance(100);
    q.schedule(500, (s: string) => fired.push(`${s}@${clock.time}`), 'b');
    q.schedule(200, (s: string) => fired.push(`${s}@${clock.time}`), 'c');
    clock.advance(399);
    assert.deepEqual(fired, ['c@300']);
    clock.advance(1);
    assert.deepEqual(fired, ['c@300', 'a@500']);
    clock.advance(100);
    assert.deepEqual(fired, ['c@300', 'a@500', 'b@600']);
    assert.equal(q.pending, 0);
    assert.equal(clock.armed, 0, 'no host timer left armed');
  });

  it('uses one host timer per duration, not one per armed timer', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    let n = 0;
    for (let i = 0; i < 1000; i++) q.schedule(32000, () => n++, i);
    assert.equal(clock.hostTimers, 1);
    assert.equal(q.pending, 1000);
    clock.advance(32000);
    assert.equal(n, 1000);
  });

  it('cancels without firing, and drops the host timer when the queue empties', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    const fired: number[] = [];
    const ids = [0, 1, 2].map((i) => {
      clock.advance(10);
      return q.schedule(100, (v: number) => fired.push(v), i);
    });
    q.cancel(100, ids[0]);
    q.cancel(100, ids[2]);
    q.cancel(100, NO_TIMER);
    clock.advance(200);
    assert.deepEqual(fired, [1]);
    const id = q.schedule(100, (v: number) => fired.push(v), 9);
    q.cancel(100, id);
    assert.equal(clock.armed, 0);
    q.cancel(100, id); // twice: harmless
    clock.advance(500);
    assert.deepEqual(fired, [1]);
  });

  it('lets a callback re-arm (Timer E doubling) and cancel others while the queue expires', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    const at: number[] = [];
    let interval = 500;
    const retransmit = (): void => {
      at.push(clock.time);
      interval = Math.min(interval * 2, 4000);
      if (clock.time < 20000) q.schedule(interval, retransmit, null);
    };
    q.schedule(500, retransmit, null);
    let victim = -1;
    q.schedule(4000, () => q.cancel(4000, victim), null);
    victim = q.schedule(4000, () => assert.fail('cancelled from inside an expiry'), null);
    clock.advance(25000);
    assert.deepEqual(at, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500]);
  });

  it('keeps ids valid across compaction of a long queue', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    let fired = 0;
    for (let i = 0; i < 3000; i++) {
      q.schedule(10, () => fired++, i);
      clock.advance(1);
    }
    const late = q.schedule(10, () => assert.fail('cancelled'), 0);
    q.cancel(10, late);
    clock.advance(20);
    assert.equal(fired, 3000);
    assert.equal(q.pending, 0);
  });

  it('clear() drops everything', () => {
    const clock = new ManualClock();
    const q = new TimerQueues(clock);
    q.schedule(100, () => assert.fail('cleared'), 0);
    q.schedule(200, () => assert.fail('cleared'), 0);
    q.clear();
    assert.equal(clock.armed, 0);
    clock.advance(1000);
  });

  it('drives a real stack: an injected clock decides when Timer F fires', async () => {
    const clock = new ManualClock();
    const { stack } = await startStack([{ name: 'udp', protocol: 'udp', bind: '127.0.0.1:0' }], { clock, timers: { t1: 100 } });
    const peer = await UdpPeer.open();
    try {
      const got: number[] = [];
      const req = new SipRequest('OPTIONS', `sip:x@127.0.0.1:${peer.port}`, [
        ['From', '<sip:a@127.0.0.1>;tag=1'],
        ['To', '<sip:x@127.0.0.1>'],
        ['Call-ID', 'manual-clock'],
        ['CSeq', '1 OPTIONS'],
      ]);
      stack.sendRequest(req, { host: '127.0.0.1', port: peer.port }, { onResponse: (r) => got.push(r.status) });
      clock.advance(6399);
      assert.deepEqual(got, []);
      assert.equal(stack.stats.retransmissionsSent, 6, 'T1=100: resent at 100, 300, 700, 1500, 3100, 6300');
      clock.advance(1);
      assert.deepEqual(got, [408], 'Timer F = 64*T1');
    } finally {
      peer.close();
      await stack.close();
    }
  });
});
