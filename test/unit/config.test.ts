import {
  CognitoIdentityProviderClient,
  DescribeUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { handler as checkImportJob } from '../../functions/check-import-job.ts';
import { handler as createImportJob } from '../../functions/create-import-job.ts';
import { overrideFunctionDeps } from '../../functions/lib/deps.ts';
import { handler as startImport } from '../../functions/start-import.ts';
import { MAX_DEADLINE_SECONDS, readFunctionConfig } from '../../src/config.ts';

const cognito = mockClient(CognitoIdentityProviderClient);
afterEach(() => {
  cognito.reset();
  overrideFunctionDeps({});
});

const LOGS_ROLE = 'arn:aws:iam::123456789012:role/logs';

describe('readFunctionConfig', () => {
  it('has no default for the ARNs only the deployment knows', () => {
    const config = readFunctionConfig({});
    expect(config.logsRoleArn).toBeUndefined();
    expect(config.topicArn).toBeUndefined();
    expect(config.stateMachineArn).toBeUndefined();
  });

  it('fails, naming the variable, when a needed setting is missing', () => {
    expect(() => readFunctionConfig({}, ['logsRoleArn'])).toThrow(
      /^Missing configuration: COGNITO_LOGS_ROLE_ARN \(the role Cognito assumes/,
    );
    expect(() =>
      readFunctionConfig({ COGNITO_LOGS_ROLE_ARN: LOGS_ROLE }, ['stateMachineArn', 'topicArn']),
    ).toThrow(/STATE_MACHINE_ARN .*; OUTCOME_TOPIC_ARN/);
    expect(
      readFunctionConfig({ COGNITO_LOGS_ROLE_ARN: LOGS_ROLE }, ['logsRoleArn']).logsRoleArn,
    ).toBe(LOGS_ROLE);
  });

  it('refuses a deadline the state machine would outlive', () => {
    expect(
      readFunctionConfig({ IMPORT_DEADLINE_SECONDS: String(MAX_DEADLINE_SECONDS) }).defaultOptions
        .deadlineSeconds,
    ).toBe(MAX_DEADLINE_SECONDS);
    expect(() =>
      readFunctionConfig({ IMPORT_DEADLINE_SECONDS: String(MAX_DEADLINE_SECONDS + 1) }),
    ).toThrow(/^IMPORT_DEADLINE_SECONDS must be from 60 to 604800/);
    expect(() => readFunctionConfig({ IMPORT_DEADLINE_SECONDS: '59' })).toThrow(
      /IMPORT_DEADLINE_SECONDS/,
    );
  });
});

describe('a function missing a setting', () => {
  const part = {
    part: {
      index: 1,
      bucket: 'b',
      key: 'staging/r/part-0001.csv',
      mapKey: 'staging/r/lines.csv',
      rows: 1,
      bytes: 1,
    },
    run: 'r',
    userPoolId: 'us-east-1_P1',
    options: { invalidRows: 'reject' as const, notify: true, deadlineSeconds: 3600 },
    deadlineAt: Date.now() + 3_600_000,
  };
  const job = {
    jobId: 'import-AAAAAAAAAA',
    jobName: 'r-part-1',
    status: 'InProgress',
    importedUsers: 0,
    skippedUsers: 0,
    failedUsers: 0,
    poll: { rounds: 0, waitSeconds: 5 },
    slotBusy: false,
    mustStop: false,
    stopRequested: false,
  };

  it('fails before calling any service when it needs the setting, and says which', async () => {
    overrideFunctionDeps({ config: readFunctionConfig({}) });
    await expect(createImportJob(part, {} as never)).rejects.toThrow(/COGNITO_LOGS_ROLE_ARN/);
    await expect(startImport({}, {} as never)).rejects.toThrow(/STATE_MACHINE_ARN/);
    expect(cognito.calls()).toHaveLength(0);
    expect(createImportJob.needs).toEqual(['logsRoleArn']);
  });

  it('runs when it does not need it', async () => {
    overrideFunctionDeps({ config: readFunctionConfig({}) });
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'InProgress' } });
    await expect(checkImportJob({ ...part, job }, {} as never)).resolves.toMatchObject({
      status: 'InProgress',
      mustStop: false,
    });
    expect(checkImportJob.needs).toEqual([]);
  });
});
