import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  DescribeUserImportJobCommand,
  ListUserImportJobsCommand,
  StopUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepExecution } from '../../../src/workflow/sweep.ts';

const cognito = mockClient(CognitoIdentityProviderClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const logs = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
afterEach(() => {
  cognito.reset();
  sfn.reset();
  s3.reset();
  logs.reset();
  sns.reset();
});

const deps = () => ({
  s3: new S3Client({}),
  logs: new CloudWatchLogsClient({}),
  sns: new SNSClient({}),
  sfn: new SFNClient({}),
  cognito: new CognitoIdentityProviderClient({}),
  config: { cognitoLineNumbering: 'data' as const },
  now: () => Date.parse('2026-11-27T10:00:00Z'),
  sleep: async () => {},
});

/** A run the workflow rejected and reported itself (Fail state CsvRejected). */
const rejectedRun = (input: unknown) => ({
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
    name: 'run-1',
    status: 'FAILED',
    error: 'CsvRejected',
    startDate: Date.parse('2026-11-27T09:59:00Z'),
    input: JSON.stringify(input),
  },
});

describe('sweepExecution and the allowed pools', () => {
  it('looks for jobs in the pool folder of a nested key', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    cognito.on(ListUserImportJobsCommand).resolves({ UserImportJobs: [] });
    const result = await sweepExecution(
      rejectedRun({ bucket: 'b', key: 'incoming/eu-west-1_AbC123/2026/12/users.csv' }),
      deps(),
    );
    expect(result).toMatchObject({ action: 'reported-by-workflow', stoppedJobs: [] });
    expect(cognito).toReceiveCommandWith(ListUserImportJobsCommand, {
      UserPoolId: 'eu-west-1_AbC123',
    });
  });

  it('takes IAM refusing a pool the pipeline may not use (AccessDeniedException) as "no job there"', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    cognito.on(ListUserImportJobsCommand).rejects(
      Object.assign(new Error('not authorized to perform: cognito-idp:ListUserImportJobs'), {
        name: 'AccessDeniedException',
      }),
    );
    const result = await sweepExecution(
      rejectedRun({ bucket: 'b', key: 'incoming/eu-west-1_Closed1/users.csv' }),
      deps(),
    );
    expect(result).toMatchObject({ action: 'reported-by-workflow', stoppedJobs: [] });
    expect(cognito).not.toReceiveCommand(StopUserImportJobCommand);
  });

  it('reads a job that ended between its listing and its stop, rather than failing the sweep', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const job = {
      JobId: 'import-1',
      JobName: 'run-1-part-1',
      CreationDate: new Date('2026-11-27T09:59:30Z'),
    };
    cognito
      .on(ListUserImportJobsCommand)
      .resolves({ UserImportJobs: [{ ...job, Status: 'InProgress' }] });
    cognito.on(StopUserImportJobCommand).rejects(
      Object.assign(new Error('The job has already ended.'), {
        name: 'PreconditionNotMetException',
      }),
    );
    cognito
      .on(DescribeUserImportJobCommand)
      .resolves({ UserImportJob: { ...job, Status: 'Succeeded' } });
    const result = await sweepExecution(
      rejectedRun({ bucket: 'b', key: 'incoming/eu-west-1_AbC123/users.csv' }),
      deps(),
    );
    expect(cognito).toReceiveCommandWith(DescribeUserImportJobCommand, {
      UserPoolId: 'eu-west-1_AbC123',
      JobId: 'import-1',
    });
    expect(result.action).toBe('reported-by-workflow');
  });

  it('looks in no pool for a key whose folder is no pool id', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    await sweepExecution(rejectedRun({ bucket: 'b', key: 'incoming/not-a-pool/users.csv' }), {
      ...deps(),
      config: { cognitoLineNumbering: 'data', defaultUserPoolId: 'eu-west-1_Default1' },
    });
    expect(cognito).not.toReceiveCommand(ListUserImportJobsCommand);
  });
});

describe('sweepExecution after ReportOutcome ran out of time', () => {
  it('sends the outcome with its counts and reads no import log (States.Timeout on its Task)', async () => {
    const options = { invalidRows: 'reject' as const, notify: true, deadlineSeconds: 3600 };
    const reportState = {
      run: 'run-1',
      source: { bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' },
      userPoolId: 'us-east-1_P1',
      options,
      parts: [
        {
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
          options,
          deadlineAt: 0,
          job: {
            jobId: 'import-AAAAAAAAAA',
            jobName: 'run-1-part-1',
            status: 'Succeeded',
            importedUsers: 2,
            skippedUsers: 1,
            failedUsers: 0,
          },
        },
      ],
    };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 1,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'ReportOutcome', input: JSON.stringify(reportState) },
        },
        { id: 2, type: 'LambdaFunctionTimedOut', timestamp: new Date() },
      ],
    });
    cognito.on(ListUserImportJobsCommand).resolves({ UserImportJobs: [] });
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('no such key'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const result = await sweepExecution(
      {
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
          name: 'run-1',
          status: 'FAILED',
          error: 'OutcomeNotReported',
          input: JSON.stringify({ bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' }),
        },
      },
      { ...deps(), config: { cognitoLineNumbering: 'data', topicArn: 'arn:aws:sns:x:1:t' } },
    );
    expect(result).toMatchObject({ action: 'swept', outcome: 'written' });
    const written = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(written.map((input) => input.Key)).toEqual(['reports/run-1/outcome.json']);
    expect(JSON.parse(String(written[0]?.Body))).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 2, skipped: 1, failed: 0 },
    });
    expect(logs).not.toReceiveCommand(DescribeLogGroupsCommand);
    expect(logs).not.toReceiveCommand(FilterLogEventsCommand);
    expect(sns).toReceiveCommandTimes(PublishCommand, 1);
  });
});
