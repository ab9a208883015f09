/**
 * The one fake clock of the test suite. Time moves only when a test advances it, and timers fire
 * in time order as it passes them; between two timers the event loop turns once, so code reacting
 * to a timer (promise callbacks, `await`s) runs and can schedule the next timer before time moves
 * on. Real I/O is not waited for: a test that needs it waits for its event, then advances.
 */
import type { Clock, ClockTimer } from '../src/api/types.js';

interface FakeTimer {
  readonly at: number;
  /** Scheduling order: timers due at the same time fire in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
}

/** Most timers one `advance()` fires: beyond, a callback is surely rescheduling itself at `+0` for ever. */
const RUNAWAY = 10_000;

/**
 * Lets every queued promise callback run: one turn of the event loop (`setImmediate`), before which
 * the microtask queue is drained, however long its chains.
 */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A {@link Clock} whose time is moved by the test. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #advancing = false;
  readonly #timers = new Set<FakeTimer>();

  /** @param start the time `now()` starts at, in ms. */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /**
   * Schedules `fn` at `now() + ms`. A negative delay counts as 0 (due now: it fires on the next
   * advance, never synchronously). A delay that is not a finite number throws: the system clock
   * would fire it after 1 ms, which is never what the caller meant.
   */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    if (!Number.isFinite(ms)) throw new RangeError(`FakeClock.setTimeout: expected a finite delay, got ${ms}`);
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(timer);
    return timer;
  }

  /** Cancels a timer; a timer that fired or was cleared already (or anything else) is ignored. */
  clearTimeout(timer: ClockTimer): void {
    this.#timers.delete(timer as FakeTimer);
  }

  /** How many timers are scheduled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer is due, or undefined when none is scheduled. */
  get nextDue(): number | undefined {
    return this.#next(Infinity)?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then in time order, timers set meanwhile
   * included; `now()` reads each timer's due time while it fires, and the end time afterwards.
   * Promise callbacks run before the first timer, between two timers and at the end. A throwing
   * timer rejects the advance (time stays at that timer's due time). Not re-entrant.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`FakeClock.advance: expected a finite delay >= 0, got ${ms}`);
    if (this.#advancing) throw new Error('FakeClock.advance: another advance is still running (missing await?)');
    this.#advancing = true;
    try {
      const end = this.#now + ms;
      await flushPromises();
      let fired = 0;
      for (let timer = this.#next(end); timer !== undefined; timer = this.#next(end)) {
        if (++fired > RUNAWAY) throw new Error(`FakeClock.advance: over ${RUNAWAY} timers fired; one reschedules itself for ever`);
        this.#timers.delete(timer);
        this.#now = timer.at;
        timer.fn();
        await flushPromises();
      }
      this.#now = end;
    } finally {
      this.#advancing = false;
    }
  }

  /**
   * Moves time to the next timer's due time and fires every timer due then. Resolves false, time
   * unchanged, when no timer is scheduled (after letting promise callbacks run, which may set one).
   */
  async advanceToNext(): Promise<boolean> {
    await flushPromises();
    const due = this.nextDue;
    if (due === undefined) return false;
    await this.advance(due - this.#now);
    return true;
  }

  /** The earliest timer due by `end` (the first set among equals). */
  #next(end: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > end) continue;
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}

/** Options of {@link driveClock}. */
export interface DriveOptions {
  /** Timers due within this many ms are moved to: the rests of the loops being driven. */
  readonly step: number;
  /** What is awaited, for the error message. */
  readonly what: string;
  /** Real ms before giving up (default 10 s). */
  readonly timeout?: number;
}

/**
 * Drives `clock` for code mixing its timers with real I/O (a spawned child, a socket): while
 * `done()` is false, moves to the next timer when it is due within `step` ms, and otherwise gives
 * the I/O in flight a real moment. A timer further away (a check's or a start's timeout) is only
 * reached through nearer ones, so it never fires just because a real exchange took a while.
 */
export async function driveClock(clock: FakeClock, done: () => boolean, options: DriveOptions): Promise<void> {
  const deadline = performance.now() + (options.timeout ?? 10_000);
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${options.timeout ?? 10_000} ms waiting for ${options.what} (clock at ${clock.now()} ms)`);
    const due = clock.nextDue;
    if (due !== undefined && due <= clock.now() + options.step) await clock.advanceToNext();
    else await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
