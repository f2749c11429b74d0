/**
 * Fault matrix, part 1: Cognito faults and Lambda crashes, on the real ASL and handlers (local
 * twin). Every case ends with the two invariants: no import job left active, no outcome lost.
 *
 * Proven elsewhere, not repeated here: a throttled CreateUserImportJob and a crash of
 * CheckImportJob (test/workflow/paths.test.ts), a job that fails (paths.test.ts), expires or never
 * finishes (test/workflow/time.test.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Crashes } from './crash.ts';
import { csv, type Fixture, HEADER, startFixture, taskFailures, users } from './fixture.ts';

let f: Fixture;
const crashes = new Crashes();
beforeAll(async () => {
  f = await startFixture({ wrapTask: crashes.wrap, cognito: { pace: { pendingMs: 50 } } });
});
afterAll(async () => {
  await f.stop();
});
afterEach(async () => {
  crashes.clear();
  f.twin.cognito.faults.clear();
  f.twin.cognito.pace.pendingMs = 50;
});

/** The invariants, checked after every case. */
async function expectClean() {
  expect(await f.violations()).toEqual([]);
}

// The SDK tries each call 3 times itself: a burst of 4 gets through it to the state machine.
const BURST = 4;

describe('Cognito throttling and internal errors', () => {
  it.each([
    [
      'DescribeUserPool',
      'throttle',
      'PrepareImport TransientServiceError(TooManyRequestsException)',
    ],
    ['GetCSVHeader', 'throttle', 'ValidateCsv TransientServiceError(TooManyRequestsException)'],
    [
      'StartUserImportJob',
      'throttle',
      'StartImportJob TransientServiceError(TooManyRequestsException)',
    ],
    [
      'DescribeUserImportJob',
      'throttle',
      'CheckImportJob TransientServiceError(TooManyRequestsException)',
    ],
    [
      'CreateUserImportJob',
      'internal-error',
      'CreateImportJob TransientServiceError(InternalErrorException)',
    ],
    [
      'DescribeUserImportJob',
      'internal-error',
      'CheckImportJob TransientServiceError(InternalErrorException)',
    ],
    ['GetCSVHeader', 'internal-error', 'ValidateCsv TransientServiceError(InternalErrorException)'],
  ] as const)(
    'a burst of %s %s errors is retried by the state machine: SUCCEEDED',
    async (operation, kind, retried) => {
      const pool = await f.createPool();
      f.twin.cognito.faults.add({ kind, operation, count: BURST });
      const { outcome, history } = await f.finish(
        await f.drop(pool, `${operation}-${kind}.csv`, csv(HEADER, ...users(2))),
      );
      expect(outcome?.status).toBe('SUCCEEDED');
      expect(taskFailures(history)).toEqual([retried]);
      await expectClean();
    },
  );

  it("waits out throttled reads of the import logs (CloudWatch Logs' ThrottlingException) inside ReportOutcome while reporting skipped users: PARTIAL", async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'seed.csv', csv(HEADER, ...users(1))));
    f.twin.cognito.faults.add({ kind: 'throttle', operation: 'FilterLogEvents', count: BURST });
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'logs-throttled.csv', csv(HEADER, ...users(3))),
    );
    expect(outcome).toMatchObject({ status: 'PARTIAL', totals: { imported: 2, skipped: 1 } });
    expect(outcome?.failures?.sample).toEqual([
      { line: 2, reason: 'SKIPPED: The user already exists.' },
    ]);
    // The page is asked for again after a pause (src/workflow/failures.ts), so the invocation
    // does not fail and start the report over: a long log is not read twice.
    expect(taskFailures(history)).toEqual([]);
    await expectClean();
  });

  it("imports under a rate limit on every operation (5 per second, Cognito's per-pool quota)", async () => {
    const pool = await f.createPool();
    f.twin.cognito.faults.add({ kind: 'throttle', operation: '*', perSecond: 5 });
    const { outcome } = await f.finish(
      await f.drop(pool, 'rate-limited.csv', csv(HEADER, ...users(3))),
    );
    expect(outcome?.status).toBe('SUCCEEDED');
    // The invariants are read through the same API: lift the limit first.
    f.twin.cognito.faults.clear();
    await expectClean();
  });
});

describe('Lambda crashes', () => {
  it('a crash of PrepareImport (an unhandled bug) ends FAILED with the reason, before any job', async () => {
    const pool = await f.createPool();
    crashes.arm('PrepareImport', { when: 'before', error: 'TypeError' });
    const { outcome, execution } = await f.finish(
      await f.drop(pool, 'prepare-crash.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('ImportFailed');
    expect(outcome).toMatchObject({ status: 'FAILED', jobs: [] });
    expect(outcome?.reason).toMatch(/^TypeError: the PrepareImport function crashed/);
    expect(await f.jobs(pool)).toEqual([]);
    await expectClean();
  });

  it('a crash of CreateImportJob before the job exists ends FAILED with no job', async () => {
    const pool = await f.createPool();
    crashes.arm('CreateImportJob', { when: 'before', error: 'TypeError' });
    const { outcome, states } = await f.finish(
      await f.drop(pool, 'create-crash.csv', csv(HEADER, ...users(2))),
    );
    expect(states).toContain('StopAfterError');
    expect(outcome).toMatchObject({ status: 'FAILED', jobs: [] });
    expect(await f.jobs(pool)).toEqual([]);
    await expectClean();
  });

  it('a Lambda service error on CreateImportJob is retried: SUCCEEDED', async () => {
    const pool = await f.createPool();
    crashes.arm('CreateImportJob', { when: 'before', error: 'Lambda.ServiceException' });
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'create-service.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(taskFailures(history)).toEqual(['CreateImportJob Lambda.ServiceException']);
    await expectClean();
  });

  it('a crash of CreateImportJob after it made and filled the job leaves that job unstarted: FAILED', async () => {
    const pool = await f.createPool();
    crashes.arm('CreateImportJob', { when: 'after', error: 'TypeError' });
    const { outcome } = await f.finish(
      await f.drop(pool, 'create-after.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('FAILED');
    // Never started, it holds no slot and expires on its own (Cognito cannot stop a Created job).
    expect((await f.jobs(pool)).map((j) => j.Status)).toEqual(['Created']);
    await expectClean();
  });

  it('a crash of StartImportJob after Cognito started the job: the job is stopped, FAILED', async () => {
    const pool = await f.createPool();
    // The job runs until something stops it, however slow the retries are on a loaded machine.
    f.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    crashes.arm('StartImportJob', { when: 'after', error: 'TypeError' });
    const { outcome, states } = await f.finish(
      await f.drop(pool, 'start-after.csv', csv(HEADER, ...users(2))),
    );
    expect(states).toContain('StopAfterError');
    expect(outcome?.status).toBe('FAILED');
    expect((await f.jobs(pool)).map((j) => j.Status)).toEqual(['Stopped']);
    await expectClean();
  });

  it('a Lambda service error after Cognito started the job is retried, and the retry sees it started: SUCCEEDED', async () => {
    const pool = await f.createPool();
    crashes.arm('StartImportJob', { when: 'after', error: 'Lambda.ServiceException' });
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'start-service.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(taskFailures(history)).toEqual(['StartImportJob Lambda.ServiceException']);
    expect((await f.jobs(pool)).map((j) => j.Status)).toEqual(['Succeeded']);
    await expectClean();
  });

  it('a crash after the job exists, while StopUserImportJob is throttled, still stops the job', async () => {
    const pool = await f.createPool();
    // The job runs until something stops it, however slow the retries are on a loaded machine.
    f.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    crashes.arm('CheckImportJob', { when: 'before', error: 'TypeError' });
    f.twin.cognito.faults.add({ kind: 'throttle', operation: 'StopUserImportJob', count: BURST });
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'stop-throttled.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(taskFailures(history)).toContain(
      'StopAfterError TransientServiceError(TooManyRequestsException)',
    );
    expect((await f.jobs(pool)).map((j) => j.Status)).toEqual(['Stopped']);
    await expectClean();
  });

  it('a crash of ReportOutcome: the sweeper writes and publishes the outcome the run had', async () => {
    const pool = await f.createPool();
    crashes.arm('ReportOutcome', { when: 'before', error: 'TypeError' });
    const { execution, outcome } = await f.finish(
      await f.drop(pool, 'report-crash.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('OutcomeNotReported');
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 2 } });
    expect(
      f.twin.sns.messages().filter((m) => m.message.includes(`"run":"${execution.name}"`)),
    ).toHaveLength(1);
    await expectClean();
  });

  it('ReportOutcome out of time (Sandbox.Timedout): the sweeper sends the outcome with its counts, without failures.csv', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'timeout-seed.csv', csv(HEADER, ...users(1))));
    crashes.arm('ReportOutcome', { when: 'before', error: 'Sandbox.Timedout' });
    const { execution, outcome, history } = await f.finish(
      await f.drop(pool, 'report-timeout.csv', csv(HEADER, ...users(3))),
    );
    expect(execution.error).toBe('OutcomeNotReported');
    expect(taskFailures(history)).toEqual(['ReportOutcome Sandbox.Timedout']);
    // Building the list again would take the sweeper as long: the counts go out instead.
    expect(outcome).toMatchObject({ status: 'PARTIAL', totals: { imported: 2, skipped: 1 } });
    expect(outcome?.failures).toBeUndefined();
    expect(
      f.twin.sns.messages().filter((m) => m.message.includes(`"run":"${execution.name}"`)),
    ).toHaveLength(1);
    await expectClean();
  });
});
