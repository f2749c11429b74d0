/**
 * The time the twin lives in. A virtual clock only moves when told to: a Wait state or a retry
 * interval moves it to the moment it ends (its full ASL duration later) while the process sleeps
 * a scaled fraction of it, so a day of polling runs in milliseconds and every timestamp still
 * reads as in AWS. Share one with the Cognito twin (its `now` option) and both agree on the time.
 */
export interface VirtualClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Moves the clock forward by `ms` (≥ 0). */
  advance(ms: number): void;
}

/** A clock that stands still at `startMs` (default: the current time) until advanced. */
export function createVirtualClock(startMs: number = Date.now()): VirtualClock {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms: number) => {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`A clock only moves forward by a finite amount, not ${ms} ms.`);
      current += ms;
    },
  };
}

/** The clock the twin uses internally: `virtual` false means real time, which cannot be advanced. */
export interface TwinClock extends VirtualClock {
  readonly virtual: boolean;
}

export function twinClock(clock: VirtualClock | undefined): TwinClock {
  if (!clock) return { virtual: false, now: () => Date.now(), advance: () => {} };
  return { virtual: true, now: () => clock.now(), advance: (ms) => clock.advance(ms) };
}

/** setTimeout's ceiling (2^31 − 1 ms); a longer delay would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Sleeps `ms` real milliseconds, or until `signal` aborts. A zero sleep still yields to the event
 * loop once, so a workflow polling with compressed waits never starves the HTTP endpoint or a
 * StopExecution that arrives in the meantime.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      if (timer !== undefined) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      done();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let left = Math.max(0, ms);
    if (left < 1) {
      timer = setImmediate(done);
      return;
    }
    const step = () => {
      const chunk = Math.min(left, MAX_TIMER_MS);
      left -= chunk;
      timer = setTimeout(left > 0 ? step : done, chunk);
    };
    step();
  });
}
