import { describe, expect, it } from 'vitest';
import {
  MAX_POLL_ROUNDS,
  MAX_WAIT_SECONDS,
  nextWaitSeconds,
  slotWaitSeconds,
} from '../../../src/workflow/poll.ts';

/** Simulates polling a job of the given length; answers the rounds and how late completion was seen. */
function simulate(jobSeconds: number) {
  let t = 5;
  let rounds = 0;
  for (;;) {
    rounds++;
    if (t >= jobSeconds) return { rounds, lateBy: t - jobSeconds };
    t += nextWaitSeconds(rounds, t);
  }
}

describe('the poll schedule', () => {
  it('doubles from 5 s to 60 s, then grows with the job age up to 15 minutes', () => {
    expect([0, 1, 2, 3, 4].map((r) => nextWaitSeconds(r, 0))).toEqual([5, 10, 20, 40, 60]);
    expect(nextWaitSeconds(10, 1000)).toBe(200);
    expect(nextWaitSeconds(50, 100_000)).toBe(MAX_WAIT_SECONDS);
  });

  it('sees an hour-long job finish within 25 polls and within 20 % of its length', () => {
    const { rounds, lateBy } = simulate(3600);
    expect(rounds).toBeLessThanOrEqual(25);
    expect(lateBy).toBeLessThanOrEqual(Math.max(0.2 * 3600, 60));
  });

  it.each([10, 90, 600, 7200, 86_400])(
    'sees a %i s job finish no later than a fifth of its length, or 60 s, after it ended',
    (seconds) => {
      expect(simulate(seconds).lateBy).toBeLessThanOrEqual(Math.max(0.2 * seconds, 60));
    },
  );
});

describe('the history budget', () => {
  it('keeps a week of waiting for the slot plus a full poll budget under 25,000 history events', () => {
    let waited = 0;
    let rounds = 0;
    while (waited < 7 * 24 * 3600) waited += slotWaitSeconds(rounds++);
    const EVENTS_PER_ROUND = 9;
    expect((rounds + MAX_POLL_ROUNDS) * EVENTS_PER_ROUND).toBeLessThan(25_000);
  });
});
