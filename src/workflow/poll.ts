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

/** Poll rounds after which a job is stopped even before its deadline (≈ 10 history events each). */
export const MAX_POLL_ROUNDS = 2_000;

/** The wait before asking again for the account's import slot. */
export function slotWaitSeconds(attempt: number): number {
  return Math.min(300, 15 * 2 ** Math.min(attempt, 5));
}
