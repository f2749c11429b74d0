import { Readable } from 'node:stream';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReportInput, reportOutcome, subjectFor } from '../../../src/workflow/report.ts';
import type { JobState, Outcome } from '../../../src/workflow/types.ts';

const s3 = mockClient(S3Client);
const logs = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
afterEach(() => {
  s3.reset();
  logs.reset();
  sns.reset();
});

const deps = (topicArn: string | null = 'arn:aws:sns:us-east-1:123456789012:outcomes') => ({
  s3: new S3Client({}),
  logs: new CloudWatchLogsClient({}),
  sns: new SNSClient({}),
  config: { cognitoLineNumbering: 'data' as const, ...(topicArn ? { topicArn } : {}) },
  now: () => Date.parse('2026-11-27T11:00:00Z'),
});

const base: ReportInput = {
  run: 'run-1',
  executionArn: 'arn:aws:states:us-east-1:1:execution:sm:run-1',
  startedAt: '2026-11-27T10:00:00Z',
  source: { bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv', etag: 'abc' },
  userPoolId: 'us-east-1_P1',
  options: { invalidRows: 'reject', notify: true, deadlineSeconds: 3600 },
  deadlineAt: 0,
};

const job = (over: Partial<JobState> = {}): JobState => ({
  jobId: 'import-AAAAAAAAAA',
  jobName: 'run-1-part-1',
  status: 'Succeeded',
  importedUsers: 3,
  skippedUsers: 0,
  failedUsers: 0,
  poll: { rounds: 2, waitSeconds: 10 },
  slotBusy: false,
  mustStop: false,
  stopRequested: false,
  ...over,
});

const part = {
  index: 1,
  bucket: 'imports',
  key: 'staging/run-1/part-0001.csv',
  mapKey: 'staging/run-1/lines.csv',
  rows: 3,
  bytes: 90,
};
const validation = {
  rows: 3,
  invalidRows: 0,
  warnings: 0,
  reportKey: 'reports/run-1/validation.json',
  parts: [part],
};
const item = (j: JobState) => ({
  part,
  run: 'run-1',
  userPoolId: 'us-east-1_P1',
  options: base.options as NonNullable<ReportInput['options']>,
  deadlineAt: 0,
  job: j,
});

const written = (key: string) =>
  s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key)?.args[0].input.Body as
    | string
    | undefined;

/** A body sent as a stream (the failures file), read as the SDK would read it. */
async function writtenStream(key: string): Promise<string | undefined> {
  const body = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key)?.args[0]
    .input.Body;
  if (body === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('reportOutcome', () => {
  it('reports SUCCEEDED, writes outcome.json and publishes with status and pool attributes', async () => {
    const outcome = await reportOutcome({ ...base, validation, parts: [item(job())] }, deps());
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: { imported: 3, skipped: 0, failed: 0 },
      reportKey: 'reports/run-1/outcome.json',
    });
    expect(outcome.jobs[0]).not.toHaveProperty('poll');
    expect(outcome).not.toHaveProperty('code');
    expect(JSON.parse(written('reports/run-1/outcome.json') ?? '{}')).toEqual(outcome);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      Subject: '[SUCCEEDED] users.csv -> us-east-1_P1: 3 imported, 0 skipped, 0 failed',
      MessageAttributes: {
        status: { DataType: 'String', StringValue: 'SUCCEEDED' },
        userPoolId: { DataType: 'String', StringValue: 'us-east-1_P1' },
      },
    });
  });

  it('maps FAILED and SKIPPED log lines back to source lines and usernames in failures.csv, and keeps usernames out of the outcome', async () => {
    logs
      .on(DescribeLogGroupsCommand)
      .resolves({ logGroups: [{ logGroupName: '/aws/cognito/userpools/us-east-1_P1/pool' }] });
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { message: '[SKIPPED] Line Number 1 - The user already exists.' },
        { message: '[FAILED] Line Number 3 - The email is not valid.' },
      ],
    });
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([
        'part,part_row,part_line,source_line,source_row,username\n1,1,2,2,1,alice\n1,2,3,4,3,bob\n1,3,4,5,4,"car,ol"\n',
      ]) as never,
    });
    const outcome = await reportOutcome(
      {
        ...base,
        validation,
        parts: [item(job({ importedUsers: 1, skippedUsers: 1, failedUsers: 1 }))],
      },
      deps(),
    );
    expect(outcome.status).toBe('PARTIAL');
    expect(outcome.failures).toEqual({
      reportKey: 'reports/run-1/failures.csv',
      count: 2,
      sample: [
        { line: 2, reason: 'SKIPPED: The user already exists.' },
        { line: 5, reason: 'FAILED: The email is not valid.' },
      ],
    });
    expect(await writtenStream('reports/run-1/failures.csv')).toBe(
      'line,username,outcome,reason\n2,alice,SKIPPED,The user already exists.\n5,"car,ol",FAILED,The email is not valid.\n',
    );
    expect(JSON.stringify(outcome)).not.toMatch(/alice|car,ol/);
    expect(logs).toReceiveCommandWith(FilterLogEventsCommand, {
      logStreamNames: ['import-AAAAAAAAAA/run-1-part-1'],
    });
  });

  it('reports REJECTED with the reason and its code, from PrepareImport or from validation', async () => {
    const prepared = await reportOutcome(
      { ...base, rejected: { code: 'object.not-found', reason: 'The object does not exist.' } },
      deps(),
    );
    expect(prepared).toMatchObject({
      status: 'REJECTED',
      reason: 'The object does not exist.',
      code: 'object.not-found',
      jobs: [],
    });
    const validated = await reportOutcome(
      {
        ...base,
        validation: {
          ...validation,
          parts: [],
          invalidRows: 2,
          rejected: { code: 'rows.invalid', reason: '2 of 3 rows are invalid.' },
        },
      },
      deps(),
    );
    expect(validated).toMatchObject({
      status: 'REJECTED',
      reason: '2 of 3 rows are invalid.',
      code: 'rows.invalid',
      validation: { invalidRows: 2 },
    });
    expect(validated.summary).toBe(
      '[REJECTED] users.csv -> us-east-1_P1: 2 of 3 rows are invalid.',
    );
  });

  it.each([
    ['Failed', 'FAILED'],
    ['Stopped', 'STOPPED'],
    ['Expired', 'EXPIRED'],
  ])('reports a job that ended %s as %s', async (jobStatus, status) => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    const outcome = await reportOutcome(
      { ...base, validation, parts: [item(job({ status: jobStatus, importedUsers: 0 }))] },
      deps(),
    );
    expect(outcome.status).toBe(status);
  });

  it('reports FAILED with the error when a step crashed, even with nothing but the raw input', async () => {
    const outcome = await reportOutcome(
      {
        input: { bucket: 'imports', key: 'incoming/x.csv' },
        error: { Error: 'Lambda.Unknown', Cause: 'boom' },
      } as ReportInput,
      deps(),
    );
    expect(outcome).toMatchObject({
      status: 'FAILED',
      reason: 'Lambda.Unknown: boom',
      source: { bucket: 'imports', key: 'incoming/x.csv' },
    });
  });

  it('reports FAILED for a part that failed after its job existed', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    const failedPart = {
      ...item(job({ status: 'Stopped' })),
      error: { Error: 'UploadFailedError', Cause: 'The upload failed: ECONNRESET.' },
    };
    const outcome = await reportOutcome({ ...base, validation, parts: [failedPart] }, deps());
    expect(outcome).toMatchObject({
      status: 'FAILED',
      reason: 'UploadFailedError: The upload failed: ECONNRESET.',
    });
  });

  it('does not publish when notify is off or no topic is set', async () => {
    await reportOutcome(
      {
        ...base,
        options: { ...(base.options as NonNullable<ReportInput['options']>), notify: false },
        rejected: { code: 'x', reason: 'y' },
      },
      deps(),
    );
    await reportOutcome({ ...base, rejected: { code: 'x', reason: 'y' } }, deps(null));
    expect(sns).not.toReceiveCommand(PublishCommand);
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 2);
  });

  it('keeps the outcome in S3 and throws NotificationFailedError when SNS fails', async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('down'), { name: 'InternalErrorException' }));
    const error = await reportOutcome(
      { ...base, rejected: { code: 'x', reason: 'y' } },
      deps(),
    ).catch((e) => e);
    expect(error.name).toBe('NotificationFailedError');
    expect(JSON.parse(written('reports/run-1/outcome.json') ?? '{}')).toMatchObject({
      status: 'REJECTED',
      reason: 'y',
      summary: '[REJECTED] users.csv -> us-east-1_P1: y',
    });
  });
});

describe('subjectFor', () => {
  it('keeps the subject to one printable ASCII line under 100 characters', () => {
    const subject = subjectFor({
      status: 'SUCCEEDED',
      source: { bucket: 'b', key: `incoming/${'ü'.repeat(120)}.csv` },
      userPoolId: 'us-east-1_P1',
      totals: { imported: 1204, skipped: 3, failed: 0 },
    } as Outcome);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(
      subjectFor({
        status: 'SUCCEEDED',
        source: { bucket: 'b', key: 'incoming/users.csv' },
        userPoolId: 'us-east-1_AbC123',
        totals: { imported: 1204, skipped: 3, failed: 0 },
      } as Outcome),
    ).toBe('[SUCCEEDED] users.csv -> us-east-1_AbC123: 1,204 imported, 3 skipped, 0 failed');
  });
});
