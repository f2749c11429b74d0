/**
 * Spaces requests at a steady rate on an injected clock: the post-import phase's calls all
 * belong to Cognito's UserUpdate category, whose quota is per account, so a steady pace under
 * it leaves room for whatever else writes users, where bursts followed by throttling would not.
 * Each request is given the earliest moment that is at least `1 / rate` seconds after the
 * previous one, and after `notBefore` (the spacing of one user's own writes).
 */
export class Pacer {
  private next = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly clock: { now: () => number; sleep: (ms: number) => Promise<void> };

  constructor(
    ratePerSecond: number,
    clock: { now: () => number; sleep: (ms: number) => Promise<void> },
  ) {
    this.clock = clock;
    if (!(ratePerSecond > 0)) throw new Error(`The rate must be positive, not ${ratePerSecond}.`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Waits for the next request's turn; answers the moment it goes. */
  async take(notBefore = Number.NEGATIVE_INFINITY): Promise<number> {
    const now = this.clock.now();
    const at = Math.max(now, this.next, notBefore);
    this.next = at + this.intervalMs;
    if (at > now) await this.clock.sleep(at - now);
    return at;
  }
}
