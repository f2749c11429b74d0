/**
 * How long to wait before the next look at a running import job. Waits double from 5 s to 60 s,
 * then grow with the job's age (a fifth of it), capped at 15 minutes: a job is seen finished no
 * later than max(20 % of its duration, 60 s) after it ends, and an hour-long job takes about 22
 * polls — far below the 25,000-event history limit of a standard execution.
 */
export function nextWaitSeconds(round: number, jobAgeSeconds: number): number {
  const warmUp = Math.min(5 * 2 ** round, 60);
  return Math.min(MAX_WAIT_SECONDS, Math.max(warmUp, Math.floor(jobAgeSeconds / 5)));
}

export const MAX_WAIT_SECONDS = 900;

/**
 * Poll rounds after which a job is stopped even before its deadline. A round writes 9 history
 * events (Wait 2, Task 5, Choice 2), so the cap keeps one part's polling under 9,000 of the
 * 25,000 events a standard execution may have; with waits capped at 15 minutes, the longest
 * deadline (7 days) is reached long before it.
 */
export const MAX_POLL_ROUNDS = 1_000;

/**
 * The wait before asking again for the account's import slot: 15 s doubling to 15 minutes, so a
 * week of waiting costs about 700 rounds, not thousands.
 */
export function slotWaitSeconds(attempt: number): number {
  return Math.min(MAX_WAIT_SECONDS, 15 * 2 ** Math.min(attempt, 6));
}
