import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  DescribeUserImportJobCommand,
  ListUserImportJobsCommand,
  StopUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepExecution } from '../../../src/workflow/sweep.ts';

const cognito = mockClient(CognitoIdentityProviderClient);
const sfn = mockClient(SFNClient);
afterEach(() => {
  cognito.reset();
  sfn.reset();
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
