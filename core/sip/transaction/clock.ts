/**
 * Timer source of the transaction layer, injectable so tests can drive Timers A-K with a fake
 * clock. The default goes through the global setTimeout at call time (not a reference taken
 * at load), so sinon's fake timers take effect even for a stack created before they were
 * installed.
 *
 * Transactions do not arm one host timer each: timer-queues.ts keeps one FIFO per duration on
 * top of this clock.
 */

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  /** Call `callback(arg)` after `ms`; passing the argument avoids a closure per timer. */
  setTimer<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * node's timers and performance.now(): both monotonic, so a wall-clock step (NTP) neither fires
 * nor stalls transaction timers. With sinon, fake `performance` along with setTimeout (the
 * default useFakeTimers() does).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: <T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle => setTimeout(callback, ms, arg),
  clearTimer: (handle: TimerHandle): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** RFC 3261 17.1.1.1 / 17.1.2.1 / Table 4 base values (ms), configurable per stack. */
export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  readonly t1: number;
  /** Maximum retransmission interval for non-INVITE requests and INVITE responses, default 4 s. */
  readonly t2: number;
  /** Maximum time a message stays in the network, default 5 s. */
  readonly t4: number;
}

export const DEFAULT_TIMER_VALUES: Readonly<TimerValues> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/** Timer D on unreliable transports: "at least 32 seconds" (RFC 3261 17.1.1.2). */
export function timerD(t: TimerValues): number {
  return Math.max(32000, 64 * t.t1);
}
