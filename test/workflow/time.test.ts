import {
  CreateUserImportJobCommand,
  ListUserImportJobsCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../../twin/sfn/index.ts';
import {
  csv,
  HEADER,
  startWorkflowFixture,
  users,
  type WorkflowFixture,
} from '../helpers/workflow.ts';

let f: WorkflowFixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

describe('the workflow on a virtual clock', () => {
  it('sees an hour-long job finish within 25 polls and max(20 %, 60 s) of its end, far below the history limit', async () => {
    const clock = createVirtualClock(Date.parse('2026-11-27T09:00:00Z'));
    f = await startWorkflowFixture({
      clock,
      waitScale: 0,
      cognito: { pace: { minJobMs: 3600_000, pendingMs: 20 } },
    });
    const pool = await f.createPool();
    const { execution, outcome, history } = await f.finish(
      await f.drop(pool, 'hour.csv', csv(HEADER, ...users(5))),
    );
    expect(execution.status).toBe('SUCCEEDED');
    const job = outcome?.jobs[0];
    expect(job?.status).toBe('Succeeded');
    const duration = Date.parse(job?.completedAt ?? '') - Date.parse(job?.startedAt ?? '');
    expect(duration).toBeGreaterThanOrEqual(3600_000);
    const checks = history.filter(
      (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'CheckImportJob',
    );
    const seen = checks.find(
      (e) => JSON.parse(e.stateExitedEventDetails?.output ?? '{}').job?.status === 'Succeeded',
    );
    const lateBy = (seen?.timestamp ?? 0) - Date.parse(job?.completedAt ?? '');
    expect(checks.length).toBeLessThanOrEqual(25);
    expect(lateBy).toBeGreaterThanOrEqual(0);
    expect(lateBy).toBeLessThanOrEqual(Math.max(0.2 * duration, 60_000));
    expect(history.length).toBeLessThan(400);
    console.info(
      `hour-long job: ${checks.length} polls, ${history.length} history events, seen ${Math.round(lateBy / 1000)} s after it ended`,
    );
  });

  it('stops a job that runs past the deadline and reports STOPPED', async () => {
    const clock = createVirtualClock(Date.parse('2026-11-27T09:00:00Z'));
    f = await startWorkflowFixture({ clock, waitScale: 0, cognito: { pace: { pendingMs: 20 } } });
    const pool = await f.createPool();
    f.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    // Not .csv, so that only the execution started below runs.
    const key = `incoming/${pool}/slow.upload`;
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await f.s3.send(
      new PutObjectCommand({ Bucket: f.twin.bucket, Key: key, Body: csv(HEADER, ...users(2)) }),
    );
    const arn = f.start({
      bucket: f.twin.bucket,
      key,
      userPoolId: pool,
      options: { deadlineSeconds: 600 },
    });
    const { execution, outcome, states } = await f.finish(arn);
    expect(states).toContain('StopImportJob');
    expect(execution.error).toBe('ImportStopped');
    expect(outcome).toMatchObject({
      status: 'STOPPED',
      jobs: [
        { status: 'Stopped', completionMessage: 'The Import Job was stopped by the developer.' },
      ],
    });
    const { UserImportJobs } = await f.cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: pool, MaxResults: 10 }),
    );
    expect(UserImportJobs?.map((j) => j.Status)).toEqual(['Stopped']);
  });

  it("reports EXPIRED when the job expires while another import holds the account's slot", async () => {
    const clock = createVirtualClock(Date.parse('2026-11-27T09:00:00Z'));
    f = await startWorkflowFixture({
      clock,
      waitScale: 0,
      cognito: { pace: { pendingMs: 20 }, knobs: { expireAfterMs: 3600_000 } },
    });
    const [busy, target] = [await f.createPool(), await f.createPool()];
    // Another import, started by hand, holds the account's slot and never finishes.
    f.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const blocker = await f.cognito.send(
      new CreateUserImportJobCommand({
        UserPoolId: busy,
        JobName: 'by-hand',
        CloudWatchLogsRoleArn: 'arn:aws:iam::123456789012:role/cognito-import-logs',
      }),
    );
    const put = await fetch(blocker.UserImportJob?.PreSignedUrl as string, {
      method: 'PUT',
      body: csv(HEADER, ...users(1)),
      headers: { 'x-amz-server-side-encryption': 'aws:kms' },
    });
    expect(put.status).toBe(200);
    await f.cognito.send(
      new StartUserImportJobCommand({ UserPoolId: busy, JobId: blocker.UserImportJob?.JobId }),
    );
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const key = `incoming/${target}/waiting.upload`;
    await f.s3.send(
      new PutObjectCommand({ Bucket: f.twin.bucket, Key: key, Body: csv(HEADER, ...users(2)) }),
    );
    const { outcome, states } = await f.finish(
      f.start({
        bucket: f.twin.bucket,
        key,
        userPoolId: target,
        options: { deadlineSeconds: 4 * 3600 },
      }),
    );
    expect(states).toContain('WaitForSlot');
    expect(outcome).toMatchObject({
      status: 'EXPIRED',
      jobs: [{ status: 'Expired', completionMessage: 'The user import job has expired.' }],
    });
  });
});
