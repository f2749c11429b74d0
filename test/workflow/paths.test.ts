import {
  AdminGetUserCommand,
  ListUserImportJobsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  csv,
  HEADER,
  startWorkflowFixture,
  users,
  type WorkflowFixture,
} from '../helpers/workflow.ts';
import { expectDenials } from '../iam/denials.ts';

expectDenials(
  /(-PrepareImportRole cognito-idp:DescribeUserPool|-SweepExecutionRole cognito-idp:ListUserImportJobs) .*\/us-east-1_Nope1$/,
  'a pool that does not exist, which IAM refuses as it refuses an untagged one',
);

let f: WorkflowFixture;
let crashCheck = false;
beforeAll(async () => {
  f = await startWorkflowFixture({
    functionEnv: { PART_MAX_ROWS: '4' },
    wrapTask: (state, invoke) => async (input, context) => {
      // The Lambda of CheckImportJob crashes once its job exists, when a test asks for it.
      if (crashCheck && state === 'CheckImportJob')
        throw Object.assign(new TypeError('Cannot read properties of undefined'), {
          name: 'TypeError',
        });
      return invoke(input, context);
    },
  });
});
afterAll(async () => {
  await f.stop();
});

const jobsOf = async (poolId: string) =>
  (await f.cognito.send(new ListUserImportJobsCommand({ UserPoolId: poolId, MaxResults: 60 })))
    .UserImportJobs ?? [];

describe('the import workflow on the local twin', () => {
  it('imports a valid file dropped into the bucket: SUCCEEDED, users RESET_REQUIRED, a notification', async () => {
    const pool = await f.createPool();
    const arn = await f.drop(pool, 'users.csv', csv(HEADER, ...users(3)));
    const { execution, outcome, states } = await f.finish(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual(outcome);
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      userPoolId: pool,
      totals: { imported: 3, skipped: 0, failed: 0 },
      validation: { rows: 3, invalidRows: 0 },
    });
    expect(states.slice(0, 8)).toEqual([
      'PrepareImport',
      'IsPrepared',
      'ValidateCsv',
      'IsValid',
      'ImportParts',
      'CreateImportJob',
      'StartImportJob',
      'SlotFree',
    ]);
    // No groups and no existingUsers=update: the part skips the post-import phase.
    expect(states.slice(-6)).toEqual([
      'JobStatus',
      'NeedsPostImport',
      'PartDone',
      'ReportOutcome',
      'OutcomeStatus',
      'ImportSucceeded',
    ]);
    expect(new Set(states.slice(8, -6))).toEqual(
      new Set(['WaitForJob', 'CheckImportJob', 'JobStatus']),
    );
    expect(states.filter((s) => s === 'CheckImportJob').length).toBeGreaterThanOrEqual(1);
    expect(
      (await f.cognito.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'user1' })))
        .UserStatus,
    ).toBe('RESET_REQUIRED');
    const message = f.twin.sns.messages().find((m) => m.message.includes(execution.name));
    expect(message).toMatchObject({
      subject: `[SUCCEEDED] users.csv -> ${pool}: 3 imported, 0 skipped, 0 failed`,
      attributes: { status: 'SUCCEEDED', userPoolId: pool },
    });
  });

  it('rejects a file with invalid rows before any import job exists', async () => {
    const pool = await f.createPool();
    const arn = await f.drop(
      pool,
      'bad.csv',
      csv(HEADER, ...users(2), 'has space,x@example.com,true', 'nv,nv@example.com,false'),
    );
    const { execution, outcome, states } = await f.finish(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CsvRejected' });
    expect(execution.cause).toBe(outcome?.summary);
    expect(outcome).toMatchObject({
      status: 'REJECTED',
      validation: { rows: 4, invalidRows: 2 },
      jobs: [],
    });
    expect(states).toEqual([
      'PrepareImport',
      'IsPrepared',
      'ValidateCsv',
      'IsValid',
      'ReportOutcome',
      'OutcomeStatus',
      'CsvRejected',
    ]);
    expect(await jobsOf(pool)).toEqual([]);
    const report = JSON.parse(await f.readText(outcome?.validation?.reportKey as string));
    expect(report.issues.map((i: { line: number }) => i.line).filter((l: number) => l > 1)).toEqual(
      [4, 5],
    );
  });

  it('imports the valid rows and sets the others aside with the skip policy: PARTIAL', async () => {
    const pool = await f.createPool();
    const arn = f.start({
      bucket: f.twin.bucket,
      key: await put(pool, 'skip.csv', csv(HEADER, ...users(2), 'has space,x@example.com,true')),
      userPoolId: pool,
      options: { invalidRows: 'skip' },
    });
    const { outcome } = await f.finish(arn);
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 2, skipped: 0, failed: 0 },
      validation: { rows: 3, invalidRows: 1 },
    });
    const rejected = await f.readText(`reports/${outcome?.run}/rejected-rows.csv`);
    expect(rejected.split('\n')[1]).toMatch(/^4,3,username\.whitespace/);
  });

  it('reports users Cognito skipped in failures.csv with their source lines and usernames: PARTIAL', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'first.csv', csv(HEADER, ...users(1, 1))));
    const { outcome } = await f.finish(
      await f.drop(pool, 'second.csv', csv(HEADER, 'new1,new1@example.com,true', ...users(3))),
    );
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 3, skipped: 1, failed: 0 },
    });
    expect(outcome?.failures?.sample).toEqual([
      { line: 4, reason: 'SKIPPED: The user already exists.' },
    ]);
    expect(await f.readText(outcome?.failures?.reportKey as string)).toBe(
      'line,username,outcome,reason\n4,user1,SKIPPED,The user already exists.\n',
    );
  });

  it('reports FAILED when the import job fails', async () => {
    const pool = await f.createPool();
    f.twin.cognito.faults.addJobFault({
      kind: 'fail',
      message: 'The CloudWatch Logs role could not be assumed.',
    });
    const { execution, outcome } = await f.finish(
      await f.drop(pool, 'failing.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('ImportFailed');
    expect(outcome).toMatchObject({
      status: 'FAILED',
      jobs: [
        { status: 'Failed', completionMessage: 'The CloudWatch Logs role could not be assumed.' },
      ],
    });
  });

  it("retries throttling past the SDK's own retries and still succeeds", async () => {
    const pool = await f.createPool();
    f.twin.cognito.faults.add({ kind: 'throttle', operation: 'CreateUserImportJob', count: 4 });
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'throttled.csv', csv(HEADER, ...users(2))),
    );
    expect(outcome?.status).toBe('SUCCEEDED');
    const failed = history.filter((e) => e.type === 'LambdaFunctionFailed');
    // The SDK tried 3 times; the 4th throttle reached the state machine under the one name it retries.
    expect(failed.map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual([
      'TransientServiceError',
    ]);
    expect(failed[0]?.lambdaFunctionFailedEventDetails?.cause).toContain(
      'TooManyRequestsException',
    );
  });

  it('stops the job when a Lambda crashes after the job exists, and reports FAILED', async () => {
    const pool = await f.createPool();
    // The job runs until something stops it, however slow a loaded machine is.
    f.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    crashCheck = true;
    try {
      const { outcome, states } = await f.finish(
        await f.drop(pool, 'crash.csv', csv(HEADER, ...users(2))),
      );
      expect(states).toContain('StopAfterError');
      expect(outcome).toMatchObject({ status: 'FAILED' });
      expect(outcome?.reason).toMatch(/^TypeError/);
      const [job] = await jobsOf(pool);
      expect(job?.Status).toBe('Stopped');
    } finally {
      crashCheck = false;
      f.twin.cognito.faults.clear();
    }
  });

  it('runs two imports at once one job at a time, and both succeed', async () => {
    const [a, b] = [await f.createPool(), await f.createPool()];
    // The first job holds the slot long enough for the second run to find it busy, even on a loaded machine.
    f.twin.cognito.pace.pendingMs = 2_000;
    try {
      const arns = await Promise.all([
        f.drop(a, 'a.csv', csv(HEADER, ...users(3))),
        f.drop(b, 'b.csv', csv(HEADER, ...users(3))),
      ]);
      const results = await Promise.all(arns.map((arn) => f.finish(arn)));
      expect(results.map((r) => r.outcome?.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(results.some((r) => r.states.includes('WaitForSlot'))).toBe(true);
      const jobs = [...(await jobsOf(a)), ...(await jobsOf(b))].sort(
        (x, y) => (x.StartDate?.getTime() ?? 0) - (y.StartDate?.getTime() ?? 0),
      );
      expect(jobs).toHaveLength(2);
      expect(jobs[1]?.StartDate?.getTime()).toBeGreaterThanOrEqual(
        jobs[0]?.CompletionDate?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    } finally {
      f.twin.cognito.pace.pendingMs = 300;
    }
  });

  it('splits a file over the part limit and imports each part as its own job, mapping lines back', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'seed.csv', csv(HEADER, 'user8,user8@example.com,true')));
    const { outcome, states } = await f.finish(
      await f.drop(pool, 'big.csv', csv(HEADER, ...users(10))),
    );
    expect(outcome?.jobs).toHaveLength(3);
    expect(states.filter((s) => s === 'CreateImportJob')).toHaveLength(3);
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 9, skipped: 1, failed: 0 },
    });
    expect(outcome?.failures?.sample).toEqual([
      { line: 10, reason: 'SKIPPED: The user already exists.' },
    ]);
    expect(await f.readText(outcome?.failures?.reportKey as string)).toContain('10,user8,SKIPPED');
  });

  it.each([
    [{}, /"bucket" is missing/],
    [
      {
        bucket: 'cognito-imports-local',
        key: 'incoming/nothing-here.csv',
        userPoolId: 'us-east-1_Nope1',
      },
      /does not exist/,
    ],
    [
      { bucket: 'cognito-imports-local', key: 'incoming/x.csv', userPoolId: 'not a pool' },
      /not a user pool id/,
    ],
  ])('ends bad execution input %j as REJECTED with a reason', async (input, reason) => {
    const { execution, outcome } = await f.finish(f.start(input));
    expect(execution.error).toBe('CsvRejected');
    // Without a bucket there is nowhere to write outcome.json: the execution's cause still says why.
    expect(execution.cause).toMatch(/^\[REJECTED\]/);
    expect(outcome?.reason ?? execution.cause).toMatch(reason);
    if (outcome) expect(outcome.status).toBe('REJECTED');
  });
});

async function put(pool: string, name: string, body: string): Promise<string> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  // Under incoming/ (all the stack's roles may read), not .csv: only the execution the test starts runs.
  const key = `incoming/${pool}/${name.replace(/\.csv$/, '.upload')}`;
  await f.s3.send(new PutObjectCommand({ Bucket: f.twin.bucket, Key: key, Body: body }));
  return key;
}
