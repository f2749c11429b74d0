import { Readable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  DescribeUserImportJobCommand,
  ListUserImportJobsCommand,
  PreconditionNotMetException,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startImportJob } from '../../../src/workflow/jobs.ts';
import { type ReportInput, reportOutcome } from '../../../src/workflow/report.ts';
import { sweepExecution } from '../../../src/workflow/sweep.ts';
import {
  correlationKeys,
  type MetricSink,
  type MetricUnit,
  recordOutcome,
} from '../../../src/workflow/telemetry.ts';
import type { JobState, Outcome, PartItem } from '../../../src/workflow/types.ts';

interface MetricRecord {
  dimensions: Record<string, string>;
  metadata: Record<string, string>;
  metrics: [name: string, unit: MetricUnit, value: number][];
}

/** A metrics sink that keeps what it was told: the invocation's record, and each single record. */
class CapturedMetrics implements MetricSink {
  readonly invocation: MetricRecord = { dimensions: {}, metadata: {}, metrics: [] };
  readonly singles: MetricRecord[] = [];
  addMetric(name: string, unit: MetricUnit, value: number) {
    this.invocation.metrics.push([name, unit, value]);
  }
  addMetadata(key: string, value: string) {
    this.invocation.metadata[key] = value;
  }
  singleMetric() {
    const record: MetricRecord = { dimensions: {}, metadata: {}, metrics: [] };
    this.singles.push(record);
    return {
      addDimension: (name: string, value: string) => {
        record.dimensions[name] = value;
      },
      addMetadata: (key: string, value: string) => {
        record.metadata[key] = value;
      },
      addMetric: (name: string, unit: MetricUnit, value: number) => {
        record.metrics.push([name, unit, value]);
      },
    };
  }
}

const job = (over: Partial<JobState> = {}): JobState => ({
  jobId: 'import-AAAAAAAAAA',
  jobName: 'run-1-part-1',
  status: 'Succeeded',
  importedUsers: 8,
  skippedUsers: 1,
  failedUsers: 2,
  startedAt: '2026-11-27T10:05:00.000Z',
  completedAt: '2026-11-27T10:07:30.000Z',
  poll: { rounds: 2, waitSeconds: 10 },
  slotBusy: false,
  mustStop: false,
  stopRequested: false,
  ...over,
});

const outcome = (over: Partial<Outcome> = {}): Outcome => ({
  status: 'PARTIAL',
  run: 'run-1',
  userPoolId: 'us-east-1_P1',
  source: { bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' },
  validation: { rows: 12, invalidRows: 1, warnings: 0, reportKey: 'reports/run-1/validation.json' },
  jobs: [job()],
  totals: { imported: 8, skipped: 1, failed: 2, updated: 0, memberships: 0, postImportFailed: 0 },
  reportKey: 'reports/run-1/outcome.json',
  startedAt: '2026-11-27T10:00:00.000Z',
  finishedAt: '2026-11-27T10:08:00.000Z',
  summary: '[PARTIAL] users.csv -> us-east-1_P1: 8 imported, 1 skipped, 2 failed',
  ...over,
});

describe('recordOutcome', () => {
  it('counts the run under its status, and its users, invalid rows and durations under the service', () => {
    // Prepare
    const metrics = new CapturedMetrics();
    // Act
    recordOutcome(
      metrics,
      outcome({
        jobs: [
          job(),
          job({
            jobId: 'import-BBBBBBBBBB',
            startedAt: '2026-11-27T10:07:30.000Z',
            completedAt: '2026-11-27T10:07:40.000Z',
          }),
        ],
      }),
    );
    // Assess
    expect(metrics.singles).toEqual([
      {
        dimensions: { status: 'PARTIAL' },
        metadata: { run: 'run-1' },
        metrics: [['Runs', 'Count', 1]],
      },
    ]);
    expect(metrics.invocation.dimensions).toEqual({});
    expect(metrics.invocation.metrics).toEqual([
      ['UsersImported', 'Count', 8],
      ['UsersSkipped', 'Count', 1],
      ['UsersFailed', 'Count', 2],
      ['UsersUpdated', 'Count', 0],
      ['MembershipsAdded', 'Count', 0],
      ['PostImportFailures', 'Count', 0],
      ['InvalidRows', 'Count', 1],
      ['RunDurationSeconds', 'Seconds', 480],
      ['JobDurationSeconds', 'Seconds', 150],
      ['JobDurationSeconds', 'Seconds', 10],
    ]);
  });

  it('leaves out the durations it cannot know: a run without a start, a job that never ran', () => {
    const metrics = new CapturedMetrics();
    const { startedAt: _started, ...withoutStart } = outcome();
    recordOutcome(metrics, {
      ...withoutStart,
      status: 'REJECTED',
      jobs: [job({ status: 'Expired', startedAt: undefined, completedAt: undefined })],
      totals: {
        imported: 0,
        skipped: 0,
        failed: 0,
        updated: 0,
        memberships: 0,
        postImportFailed: 0,
      },
    } as Outcome);
    expect(metrics.singles[0]?.dimensions).toEqual({ status: 'REJECTED' });
    expect(metrics.invocation.metrics.map(([name]) => name)).toEqual([
      'UsersImported',
      'UsersSkipped',
      'UsersFailed',
      'UsersUpdated',
      'MembershipsAdded',
      'PostImportFailures',
      'InvalidRows',
    ]);
  });

  it('writes EMF records through Powertools Metrics: Runs by service and status, the rest by service', () => {
    // Prepare: Powertools writes EMF to stdout, one JSON object per record.
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const metrics = new Metrics({
        namespace: 'CognitoImport',
        serviceName: 'cognito-import-pipeline-test',
      });
      // Act
      recordOutcome(metrics, outcome());
      metrics.publishStoredMetrics();
    } finally {
      write.mockRestore();
    }
    // Assess
    const records = written
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'CognitoImport',
            Dimensions: [['service', 'status']],
            Metrics: [{ Name: 'Runs', Unit: 'Count' }],
          },
        ],
      },
      service: 'cognito-import-pipeline-test',
      status: 'PARTIAL',
      run: 'run-1',
      Runs: 1,
    });
    expect(records[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'CognitoImport', Dimensions: [['service']] }] },
      UsersImported: 8,
      UsersSkipped: 1,
      UsersFailed: 2,
      InvalidRows: 1,
      RunDurationSeconds: 480,
      JobDurationSeconds: 150,
    });
    expect(records[1]).not.toHaveProperty('status');
  });

  it('records nothing without a sink (the core functions run without one in tests and tools)', () => {
    expect(() => recordOutcome(undefined, outcome())).not.toThrow();
  });
});

describe('correlationKeys', () => {
  it('reads the run, part and job of each kind of event the functions get', () => {
    expect(
      correlationKeys({ input: {}, execution: { id: 'arn', name: 'imp-a-1', startTime: '' } }),
    ).toEqual({ run: 'imp-a-1' });
    expect(correlationKeys({ run: 'imp-a-1', source: {} })).toEqual({ run: 'imp-a-1' });
    expect(correlationKeys({ run: 'imp-a-1', part: { index: 2 } })).toEqual({
      run: 'imp-a-1',
      part: 2,
    });
    expect(
      correlationKeys({ run: 'imp-a-1', part: { index: 2 }, job: { jobId: 'import-X' } }),
    ).toEqual({
      run: 'imp-a-1',
      part: 2,
      jobId: 'import-X',
    });
    expect(
      correlationKeys({
        'detail-type': 'Step Functions Execution Status Change',
        detail: { name: 'imp-a-1' },
      }),
    ).toEqual({
      run: 'imp-a-1',
    });
  });

  it('finds none in an object-created event, nor in what is not an object', () => {
    expect(
      correlationKeys({ 'detail-type': 'Object Created', detail: { bucket: { name: 'b' } } }),
    ).toEqual({});
    expect(correlationKeys(null)).toEqual({});
    expect(correlationKeys('imp-a-1')).toEqual({});
    expect(correlationKeys({ run: 42, part: { index: '2' } })).toEqual({});
  });
});

const cognito = mockClient(CognitoIdentityProviderClient);
const s3 = mockClient(S3Client);
const logs = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
afterEach(() => {
  cognito.reset();
  s3.reset();
  logs.reset();
  sns.reset();
  sfn.reset();
});

const NOW = Date.parse('2026-11-27T10:00:00Z');
const part: PartItem = {
  part: {
    index: 1,
    bucket: 'imports',
    key: 'staging/run-1/part-0001.csv',
    mapKey: 'staging/run-1/lines.csv',
    rows: 3,
    bytes: 90,
  },
  run: 'run-1',
  userPoolId: 'us-east-1_P1',
  options: { invalidRows: 'reject', notify: true, deadlineSeconds: 3600 },
  deadlineAt: NOW + 3600_000,
};

describe('StartImportJob', () => {
  const deps = (now: number, metrics: MetricSink) => ({
    cognito: new CognitoIdentityProviderClient({}),
    s3: new S3Client({}),
    upload: vi.fn(),
    config: { logsRoleArn: 'arn:aws:iam::123456789012:role/logs' },
    now: () => now,
    metrics,
  });

  it('remembers when the slot was first refused, and records the wait once the job starts', async () => {
    // Prepare: refused twice, then started ten minutes after the first refusal.
    const metrics = new CapturedMetrics();
    cognito
      .on(StartUserImportJobCommand)
      .rejectsOnce(
        new PreconditionNotMetException({ message: 'another job is running', $metadata: {} }),
      )
      .rejectsOnce(
        new PreconditionNotMetException({ message: 'another job is running', $metadata: {} }),
      )
      .resolves({ UserImportJob: { JobId: 'import-AAAAAAAAAA', Status: 'Pending' } });
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Created' } });
    // Act
    const first = await startImportJob(
      { ...part, job: job({ status: 'Created' }) },
      deps(NOW, metrics),
    );
    const second = await startImportJob({ ...part, job: first }, deps(NOW + 120_000, metrics));
    const started = await startImportJob({ ...part, job: second }, deps(NOW + 600_000, metrics));
    // Assess
    expect(first).toMatchObject({ slotBusy: true, slotWaitSince: NOW });
    expect(second).toMatchObject({ slotBusy: true, slotWaitSince: NOW });
    expect(started.slotBusy).toBe(false);
    expect(metrics.invocation.metrics).toEqual([['SlotWaitSeconds', 'Seconds', 600]]);
  });

  it('records no wait for a job that started at once', async () => {
    const metrics = new CapturedMetrics();
    cognito
      .on(StartUserImportJobCommand)
      .resolves({ UserImportJob: { JobId: 'import-AAAAAAAAAA', Status: 'Pending' } });
    await startImportJob({ ...part, job: job({ status: 'Created' }) }, deps(NOW, metrics));
    expect(metrics.invocation.metrics).toEqual([['SlotWaitSeconds', 'Seconds', 0]]);
  });
});

describe('ReportOutcome', () => {
  const deps = (metrics: MetricSink) => ({
    s3: new S3Client({}),
    logs: new CloudWatchLogsClient({}),
    sns: new SNSClient({}),
    config: {
      cognitoLineNumbering: 'data' as const,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:outcomes',
    },
    now: () => Date.parse('2026-11-27T11:00:00Z'),
    metrics,
  });
  const state: ReportInput = {
    run: 'run-1',
    startedAt: '2026-11-27T10:00:00.000Z',
    source: { bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' },
    userPoolId: 'us-east-1_P1',
    options: { invalidRows: 'reject', notify: true, deadlineSeconds: 3600 },
    deadlineAt: 0,
    validation: {
      rows: 11,
      invalidRows: 0,
      warnings: 0,
      reportKey: 'reports/run-1/validation.json',
      parts: [part.part],
    },
    parts: [{ ...part, job: job({ importedUsers: 11, skippedUsers: 0, failedUsers: 0 }) }],
  };

  it('records the outcome once it is written and published', async () => {
    const metrics = new CapturedMetrics();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await reportOutcome(state, deps(metrics));
    expect(metrics.singles.map((r) => r.dimensions)).toEqual([{ status: 'SUCCEEDED' }]);
    expect(metrics.invocation.metrics).toContainEqual(['UsersImported', 'Count', 11]);
    expect(metrics.invocation.metrics).toContainEqual(['RunDurationSeconds', 'Seconds', 3600]);
  });

  it('records nothing when publishing fails: the retry (or the sweeper) counts the run once', async () => {
    const metrics = new CapturedMetrics();
    sns.on(PublishCommand).rejects(new Error('throttled'));
    await expect(reportOutcome(state, deps(metrics))).rejects.toThrow(/publishing it failed/);
    expect(metrics.singles).toEqual([]);
    expect(metrics.invocation.metrics).toEqual([]);
  });
});

describe('the sweeper', () => {
  const deps = (metrics: MetricSink) => ({
    s3: new S3Client({}),
    logs: new CloudWatchLogsClient({}),
    sns: new SNSClient({}),
    sfn: new SFNClient({}),
    cognito: new CognitoIdentityProviderClient({}),
    config: {
      cognitoLineNumbering: 'data' as const,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:outcomes',
    },
    now: () => Date.parse('2026-11-27T11:00:00Z'),
    sleep: async () => {},
    metrics,
  });
  const ended = (status: string, error: string | null) => ({
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
      name: 'run-1',
      status,
      startDate: Date.parse('2026-11-27T10:00:00Z'),
      input: JSON.stringify({ bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' }),
      error,
    },
  });

  it('counts an execution that ended in OutcomeNotReported, and the run once its outcome is republished', async () => {
    // Prepare: ReportOutcome wrote the outcome, then could not publish it.
    const metrics = new CapturedMetrics();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    cognito.on(ListUserImportJobsCommand).resolves({ UserImportJobs: [] });
    s3.on(GetObjectCommand).resolves({
      Body: Object.assign(Readable.from([]), {
        transformToString: async () => JSON.stringify(outcome()),
      }) as never,
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    // Act
    const result = await sweepExecution(ended('FAILED', 'OutcomeNotReported'), deps(metrics));
    // Assess
    expect(result.outcome).toBe('republished');
    expect(metrics.invocation.metrics[0]).toEqual(['OutcomeNotReported', 'Count', 1]);
    expect(metrics.singles.map((r) => r.dimensions)).toEqual([{ status: 'PARTIAL' }]);
  });

  it('counts the outcome it writes for an execution stopped from outside, under STOPPED', async () => {
    const metrics = new CapturedMetrics();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    cognito.on(ListUserImportJobsCommand).resolves({ UserImportJobs: [] });
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('NoSuchKey'), { $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(PutObjectCommand).resolves({});
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const result = await sweepExecution(ended('ABORTED', null), deps(metrics));
    expect(result.outcome).toBe('written');
    expect(metrics.singles.map((r) => r.dimensions)).toEqual([{ status: 'STOPPED' }]);
    expect(metrics.invocation.metrics.map(([name]) => name)).not.toContain('OutcomeNotReported');
  });

  it('counts nothing for an execution the workflow reported itself', async () => {
    const metrics = new CapturedMetrics();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    cognito.on(ListUserImportJobsCommand).resolves({ UserImportJobs: [] });
    await sweepExecution(ended('FAILED', 'ImportFailed'), deps(metrics));
    expect(metrics.singles).toEqual([]);
    expect(metrics.invocation.metrics).toEqual([]);
  });
});
