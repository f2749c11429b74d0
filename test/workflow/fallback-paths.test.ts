/**
 * The paths on which a function falls back on another AWS call, each taken once on the twin,
 * with the stack's roles: StopImportJob reads a job that ended before its stop, ValidateCsv
 * aborts a multipart upload S3 failed, the sweeper reads the import logs for the outcome it
 * writes. Every action the roles grant is used on some path of the suite (the least-privilege
 * check, test/iam/), and these are the paths that use the last of them.
 */
import { StopUserImportJobCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock, type TaskHandler } from '../../twin/sfn/index.ts';
import { Crashes } from '../hardening/crash.ts';
import {
  csv,
  type Fixture,
  HEADER,
  startFixture,
  taskFailures,
  users,
} from '../hardening/fixture.ts';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

describe('fallbacks', () => {
  it('StopImportJob reads a job that ended just before its deadline stop: STOPPED', async () => {
    const clock = createVirtualClock(Date.parse('2026-11-27T09:00:00Z'));
    let fx: Fixture | undefined;
    // The job ends (stopped by someone else) between CheckImportJob and StopImportJob.
    const wrapTask = (state: string, invoke: TaskHandler): TaskHandler =>
      state !== 'StopImportJob'
        ? invoke
        : async (input, context) => {
            const item = input as { userPoolId: string; job: { jobId: string } };
            await fx?.cognito.send(
              new StopUserImportJobCommand({ UserPoolId: item.userPoolId, JobId: item.job.jobId }),
            );
            return invoke(input, context);
          };
    f = fx = await startFixture({
      clock,
      waitScale: 0,
      wrapTask,
      cognito: { pace: { pendingMs: 20 } },
    });
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const key = `incoming/${pool}/deadline.upload`;
    await fx.put(key, csv(HEADER, ...users(2)));
    const { outcome, states, history } = await fx.finish(
      fx.start({
        bucket: fx.twin.bucket,
        key,
        userPoolId: pool,
        options: { deadlineSeconds: 600 },
      }),
    );
    expect(states).toContain('StopImportJob');
    expect(taskFailures(history)).toEqual([]);
    expect(outcome).toMatchObject({ status: 'STOPPED', jobs: [{ status: 'Stopped' }] });
    expect(await fx.violations()).toEqual([]);
  });

  it('ValidateCsv aborts the multipart upload of a part S3 keeps failing: FAILED, no upload left', async () => {
    f = await startFixture();
    const fx = f;
    const pool = await fx.createPool();
    // Over 5 MiB of staging part: written as a multipart upload.
    const rows = users(70_000, 0, 'multipart-user-with-a-long-name-');
    const arn = await fx.drop(pool, 'large.csv', csv(HEADER, ...rows));
    fx.twin.s3.faults.add({
      operation: 'UploadPart',
      keyPrefix: 'staging/',
      code: 'InternalError',
    });
    const { outcome, history } = await fx.finish(arn);
    expect(taskFailures(history)).toContain('ValidateCsv TransientServiceError(InternalError)');
    expect(outcome).toMatchObject({ status: 'FAILED', jobs: [] });
    fx.twin.s3.faults.clear();
    const { ListMultipartUploadsCommand } = await import('@aws-sdk/client-s3');
    const { Uploads } = await fx.s3.send(
      new ListMultipartUploadsCommand({ Bucket: fx.twin.bucket, Prefix: 'staging/' }),
    );
    expect(Uploads ?? []).toEqual([]);
  });

  it('the sweeper reads the import logs for the failures of the outcome ReportOutcome did not write', async () => {
    const crashes = new Crashes();
    f = await startFixture({ wrapTask: crashes.wrap, cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    // The first file makes user0 exist; in the second it is SKIPPED, which the logs tell.
    await fx.finish(await fx.drop(pool, 'first.csv', csv(HEADER, ...users(1))));
    crashes.arm('ReportOutcome', { when: 'before', error: 'TypeError' });
    const { execution, outcome } = await fx.finish(
      await fx.drop(pool, 'second.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('OutcomeNotReported');
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 1, skipped: 1 },
      failures: { sample: [{ line: 2 }] },
    });
    expect(await fx.violations()).toEqual([]);
  });
});
