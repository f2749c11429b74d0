/**
 * The largest report ReportOutcome writes: a file imported again, so that every row of every
 * part is SKIPPED and failures.csv lists them all. Here 36,000 rows in three parts of 12,000
 * (PART_MAX_ROWS lowered, as for a 1 GB file in parts of 500,000): each job's log is more than
 * one FilterLogEvents page (10,000 events), some pages are throttled, and the run's one line map
 * serves every part. `npm run bench:report` runs the same path on 1,000,000 rows and measures it
 * (docs/RELIABILITY.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../twin/sfn/index.ts';
import { csv, type Fixture, HEADER, startFixture, taskFailures, users } from './fixture.ts';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const PART_ROWS = 12_000;
const ROWS = 3 * PART_ROWS;

describe('a re-import whose every row is SKIPPED, in several parts', () => {
  it('lists every row in failures.csv, reading the line map once and each log page by page, waiting out throttling', {
    timeout: 120_000,
  }, async () => {
    /** The requests ReportOutcome made while it ran, by operation and HTTP status. */
    const calls = new Map<string, number>();
    let reporting = false;
    f = await startFixture({
      functionEnv: { PART_MAX_ROWS: String(PART_ROWS) },
      // Past Cognito's (undocumented) share of skipped rows, its jobs would end Failed and the
      // run stop after its first part: this run wants every part imported.
      cognito: { knobs: { failureThreshold: 1 }, pace: { pendingMs: 20, rowsPerStep: 20_000 } },
      wrapTask:
        (state, task): TaskHandler =>
        async (input, context) => {
          if (state !== 'ReportOutcome') return task(input, context);
          reporting = true;
          try {
            return await task(input, context);
          } finally {
            reporting = false;
          }
        },
      onRequest: (entry) => {
        if (!reporting) return;
        const key = `${entry.operation} ${entry.status}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        // After the second page, CloudWatch Logs throttles four calls in a row: more than the
        // SDK's own three attempts, as the account-wide quota does when other readers share it.
        if (key === 'FilterLogEvents 200' && calls.get(key) === 2)
          f?.twin.cognito.faults.add({ kind: 'throttle', operation: 'FilterLogEvents', count: 4 });
      },
    });
    const fx = f;
    const pool = await fx.createPool();
    const file = csv(HEADER, ...users(ROWS));
    const first = await fx.finish(await fx.drop(pool, 'first.csv', file));
    expect(first.outcome?.totals).toMatchObject({ imported: ROWS, skipped: 0, failed: 0 });

    calls.clear();
    const { outcome, history } = await fx.finish(await fx.drop(pool, 'again.csv', file));

    expect(outcome?.status).toBe('PARTIAL');
    expect(outcome?.jobs.map((job) => job.skippedUsers)).toEqual([PART_ROWS, PART_ROWS, PART_ROWS]);
    expect(outcome?.failures).toMatchObject({ count: ROWS });
    const text = await fx.readText(outcome?.failures?.reportKey as string);
    const lines = text.split('\n');
    expect(lines.length).toBe(ROWS + 2);
    expect(lines[0]).toBe('line,username,outcome,reason');
    // Every source line, in order, with its own user: the parts map back through one map.
    const wrong = lines
      .slice(1, -1)
      .filter((line, i) => line !== `${i + 2},user${i},SKIPPED,The user already exists.`);
    expect(wrong).toEqual([]);
    // One read of the line map for the three parts; at least two pages of each job's log.
    expect(calls.get('GetObject 200')).toBe(1);
    expect(calls.get('FilterLogEvents 200')).toBeGreaterThanOrEqual(6);
    // The throttling (ThrottlingException is a 400) was waited out inside ReportOutcome: no
    // invocation failed and started over.
    expect(calls.get('FilterLogEvents 400')).toBe(4);
    expect(taskFailures(history)).toEqual([]);
    expect(await fx.violations()).toEqual([]);
  });
});
