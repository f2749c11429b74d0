/**
 * Fault matrix, part 2: S3 errors on reads and writes, SNS publishing failing. Every case ends
 * with the two invariants: no import job left active, no outcome lost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { S3FaultCode } from '../../twin/s3/index.ts';
import { csv, type Fixture, HEADER, startFixture, taskFailures, users } from './fixture.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({
    // Three parts, so that part files, the line map and the reports are all written and read.
    functionEnv: { PART_MAX_ROWS: '2' },
    cognito: { pace: { pendingMs: 50 } },
  });
});
afterAll(async () => {
  await f.stop();
});
afterEach(() => {
  f.twin.s3.faults.clear();
  f.twin.sns.failPublishes(0);
});

async function expectClean() {
  f.twin.s3.faults.clear();
  expect(await f.violations()).toEqual([]);
}

const notifications = (run: string) =>
  f.twin.sns.messages().filter((m) => m.message.includes(`"run":"${run}"`));

// The SDK tries each call 3 times itself: a burst of 4 gets through it to the state machine.
const BURST = 4;

describe('S3 errors on reads and writes', () => {
  it.each([
    // reads
    ['HeadObject', 'incoming/', 'InternalError', 'PrepareImport'],
    ['GetObject', 'incoming/', 'InternalError', 'ValidateCsv'],
    ['GetObject', 'incoming/', 'SlowDown', 'ValidateCsv'],
    ['GetObject', 'staging/', 'InternalError', 'CreateImportJob'],
    // writes
    ['PutObject', 'staging/', 'SlowDown', 'ValidateCsv'],
    ['PutObject', 'reports/', 'ServiceUnavailable', 'ValidateCsv'],
  ] as [string, string, S3FaultCode, string][])(
    'a burst of %s errors on %s (%s) is retried in %s: the import succeeds',
    async (operation, keyPrefix, code, state) => {
      const pool = await f.createPool();
      const arn = await f.drop(pool, `${operation}-${code}.csv`, csv(HEADER, ...users(5)));
      // Armed once the upload that starts the run is in, so that only the run's own calls meet it.
      f.twin.s3.faults.add({ operation, keyPrefix, code, count: BURST });
      const { outcome, history } = await f.finish(arn);
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 5 } });
      expect(taskFailures(history)).toEqual([`${state} TransientServiceError(${code})`]);
      // Three parts, three jobs: a failed read or write left no job behind, not even unstarted.
      expect((await f.jobs(pool)).map((j) => j.Status)).toEqual([
        'Succeeded',
        'Succeeded',
        'Succeeded',
      ]);
      await expectClean();
    },
  );

  it('a burst of errors writing outcome.json is retried by ReportOutcome', async () => {
    const pool = await f.createPool();
    const arn = await f.drop(pool, 'outcome-write.csv', csv(HEADER, ...users(1)));
    f.twin.s3.faults.add({
      operation: 'PutObject',
      keyPrefix: `reports/${arn.split(':').pop()}/outcome.json`,
      code: 'InternalError',
      count: BURST,
    });
    const { outcome, history, execution } = await f.finish(arn);
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(taskFailures(history)).toEqual(['ReportOutcome TransientServiceError(InternalError)']);
    expect(notifications(execution.name)).toHaveLength(1);
    await expectClean();
  });

  it('a persistent AccessDenied reading the line map still writes and publishes the outcome', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'seed.csv', csv(HEADER, ...users(1))));
    const arn = await f.drop(pool, 'line-map-denied.csv', csv(HEADER, ...users(3)));
    f.twin.s3.faults.add({
      operation: 'GetObject',
      keyPrefix: `staging/${arn.split(':').pop()}/lines.csv`,
      code: 'AccessDenied',
    });
    const { outcome, execution } = await f.finish(arn);
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 2, skipped: 1, failed: 0 },
    });
    // Without the line map, no failures.csv: the counts say what happened.
    expect(outcome?.failures).toBeUndefined();
    expect(notifications(execution.name)).toHaveLength(1);
    await expectClean();
  });
});

describe('SNS publishing failing', () => {
  it('a failing publish is retried by ReportOutcome; the outcome is in S3 and published once', async () => {
    const pool = await f.createPool();
    f.twin.sns.failPublishes(BURST);
    const { outcome, history, execution } = await f.finish(
      await f.drop(pool, 'sns-burst.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(taskFailures(history)).toEqual(['ReportOutcome NotificationFailedError']);
    expect(notifications(execution.name)).toHaveLength(1);
    await expectClean();
  });

  it('a publish failing past all of ReportOutcome retries: the outcome is in S3, the sweeper publishes it', async () => {
    const pool = await f.createPool();
    // 3 SDK attempts x 6 tries of ReportOutcome: every one fails; the sweeper's first succeeds.
    f.twin.sns.failPublishes(18);
    const { outcome, execution } = await f.finish(
      await f.drop(pool, 'sns-down.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('OutcomeNotReported');
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(notifications(execution.name)).toHaveLength(1);
    await expectClean();
  });
});
