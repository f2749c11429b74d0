import { Readable } from 'node:stream';
import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  PreconditionNotMetException,
  StartUserImportJobCommand,
  StopUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkImportJob,
  createImportJob,
  startImportJob,
  stopAfterError,
  stopImportJob,
} from '../../../src/workflow/jobs.ts';
import type { JobState, PartItem } from '../../../src/workflow/types.ts';

const cognito = mockClient(CognitoIdentityProviderClient);
const s3 = mockClient(S3Client);
afterEach(() => {
  cognito.reset();
  s3.reset();
});

const NOW = Date.parse('2026-11-27T10:00:00Z');
const item = (job?: Partial<JobState>, extra: Partial<PartItem> = {}): PartItem => ({
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
  ...(job
    ? {
        job: {
          jobId: 'import-AAAAAAAAAA',
          jobName: 'run-1-part-1',
          status: 'Pending',
          importedUsers: 0,
          skippedUsers: 0,
          failedUsers: 0,
          poll: { rounds: 0, waitSeconds: 5 },
          slotBusy: false,
          mustStop: false,
          stopRequested: false,
          ...job,
        },
      }
    : {}),
  ...extra,
});

const deps = (now = NOW) => ({
  cognito: new CognitoIdentityProviderClient({}),
  s3: new S3Client({}),
  upload: vi.fn(async (_url: string, body: Readable) => {
    for await (const _ of body) {
      // drain
    }
  }),
  config: { logsRoleArn: 'arn:aws:iam::123456789012:role/logs' },
  now: () => now,
});

describe('createImportJob', () => {
  it('creates the job with the part name and the hashing algorithm, then streams the part to its pre-signed URL', async () => {
    // Prepare
    cognito.on(CreateUserImportJobCommand).resolves({
      UserImportJob: {
        JobId: 'import-AAAAAAAAAA',
        JobName: 'run-1-part-1',
        Status: 'Created',
        PreSignedUrl: 'https://upload.example/secret',
        ImportedUsers: 0,
      },
    });
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,b\n')]) as never,
      ContentLength: 4,
    });
    const d = deps();
    // Act
    const job = await createImportJob(
      item(undefined, {
        options: {
          invalidRows: 'reject',
          notify: true,
          deadlineSeconds: 60,
          passwordHashingAlgorithm: 'SCRYPT',
        },
      }),
      d,
    );
    // Assess
    expect(cognito).toReceiveCommandWith(CreateUserImportJobCommand, {
      UserPoolId: 'us-east-1_P1',
      JobName: 'run-1-part-1',
      CloudWatchLogsRoleArn: 'arn:aws:iam::123456789012:role/logs',
      PasswordHashingAlgorithm: 'SCRYPT',
    });
    expect(s3).toReceiveCommandWith(GetObjectCommand, {
      Bucket: 'imports',
      Key: 'staging/run-1/part-0001.csv',
    });
    expect(d.upload).toHaveBeenCalledWith('https://upload.example/secret', expect.anything(), 4);
    expect(job).toMatchObject({
      jobId: 'import-AAAAAAAAAA',
      status: 'Created',
      stopRequested: false,
      mustStop: false,
    });
    expect(JSON.stringify(job)).not.toContain('secret');
  });
});

describe('createImportJob with a part of one algorithm', () => {
  it('creates the job with the part’s algorithm, and keeps the algorithm Cognito echoes', async () => {
    cognito.on(CreateUserImportJobCommand).resolves({
      UserImportJob: {
        JobId: 'import-BBBBBBBBBB',
        JobName: 'run-1-part-2',
        Status: 'Created',
        PreSignedUrl: 'https://upload.example/secret',
        PasswordHashingAlgorithm: 'ARGON2ID',
      },
    });
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,b\n')]) as never,
      ContentLength: 4,
    });
    const base = item();
    const job = await createImportJob(
      { ...base, part: { ...base.part, index: 2, passwordHashingAlgorithm: 'ARGON2ID' } },
      deps(),
    );
    expect(cognito).toReceiveCommandWith(CreateUserImportJobCommand, {
      JobName: 'run-1-part-2',
      PasswordHashingAlgorithm: 'ARGON2ID',
    });
    expect(job.passwordHashingAlgorithm).toBe('ARGON2ID');
  });

  it('creates a part without hashes with no algorithm', async () => {
    cognito.on(CreateUserImportJobCommand).resolves({
      UserImportJob: { JobId: 'import-CCCCCCCCCC', Status: 'Created', PreSignedUrl: 'https://u' },
    });
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,b\n')]) as never,
      ContentLength: 4,
    });
    const job = await createImportJob(item(), deps());
    const input = cognito.commandCalls(CreateUserImportJobCommand)[0]?.args[0].input;
    expect(input).toBeDefined();
    expect(input).not.toHaveProperty('PasswordHashingAlgorithm');
    expect(job).not.toHaveProperty('passwordHashingAlgorithm');
  });
});

describe('startImportJob', () => {
  it('starts the job and plans the first poll five seconds out', async () => {
    cognito.on(StartUserImportJobCommand).resolves({
      UserImportJob: { JobId: 'import-AAAAAAAAAA', Status: 'Pending', StartDate: new Date(NOW) },
    });
    const job = await startImportJob(item({ status: 'Created' }), deps());
    expect(job).toMatchObject({
      status: 'Pending',
      slotBusy: false,
      poll: { rounds: 0, waitSeconds: 5 },
    });
  });

  it('waits for the slot, with growing waits, when another job is active in the account', async () => {
    cognito.on(StartUserImportJobCommand).rejects(
      new PreconditionNotMetException({
        message: 'Only one import job can be active at a time per account.',
        $metadata: {},
      }),
    );
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Created' } });
    const first = await startImportJob(item({ status: 'Created' }), deps());
    expect(first).toMatchObject({ slotBusy: true, poll: { rounds: 0, waitSeconds: 15 } });
    const second = await startImportJob(item(first), deps());
    expect(second).toMatchObject({ slotBusy: true, poll: { rounds: 1, waitSeconds: 30 } });
  });

  it('fails when no file was uploaded, which waiting cannot cure', async () => {
    cognito.on(StartUserImportJobCommand).rejects(
      new PreconditionNotMetException({
        message: 'No csv file was uploaded for import-AAAAAAAAAA',
        $metadata: {},
      }),
    );
    await expect(startImportJob(item({ status: 'Created' }), deps())).rejects.toThrow(
      /No csv file was uploaded/,
    );
  });

  it('stops waiting for the slot once the deadline has passed', async () => {
    cognito
      .on(StartUserImportJobCommand)
      .rejects(new PreconditionNotMetException({ message: 'busy', $metadata: {} }));
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Created' } });
    await expect(startImportJob(item({ status: 'Created' }), deps(NOW + 3600_001))).rejects.toThrow(
      'busy',
    );
  });

  it('takes a job that expired while it waited for the slot as ended, not busy', async () => {
    cognito
      .on(StartUserImportJobCommand)
      .rejects(new PreconditionNotMetException({ message: 'not Created', $metadata: {} }));
    cognito.on(DescribeUserImportJobCommand).resolves({
      UserImportJob: { Status: 'Expired', CompletionMessage: 'The user import job has expired.' },
    });
    const job = await startImportJob(item({ status: 'Created', slotBusy: true }), deps());
    expect(job).toMatchObject({ status: 'Expired', slotBusy: false });
  });
});

describe('checkImportJob', () => {
  it('counts the round and grows the wait with the job age', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves({
      UserImportJob: {
        JobId: 'import-AAAAAAAAAA',
        Status: 'InProgress',
        StartDate: new Date(NOW - 1000_000),
        ImportedUsers: 7,
      },
    });
    const job = await checkImportJob(item({ poll: { rounds: 6, waitSeconds: 60 } }), deps());
    expect(job).toMatchObject({
      status: 'InProgress',
      importedUsers: 7,
      poll: { rounds: 7, waitSeconds: 200 },
      mustStop: false,
    });
  });

  it('says the job must stop once the deadline passes while it is active', async () => {
    cognito
      .on(DescribeUserImportJobCommand)
      .resolves({ UserImportJob: { Status: 'InProgress', StartDate: new Date(NOW) } });
    const job = await checkImportJob(item({ status: 'InProgress' }), deps(NOW + 3600_000));
    expect(job).toMatchObject({ mustStop: true, stopReason: 'deadline' });
  });

  it('does not ask to stop a job that has already finished', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves({
      UserImportJob: {
        Status: 'Succeeded',
        CompletionMessage: 'Import Job Completed Successfully.',
      },
    });
    const job = await checkImportJob(item({ status: 'InProgress' }), deps(NOW + 3600_000));
    expect(job).toMatchObject({
      status: 'Succeeded',
      mustStop: false,
      completionMessage: 'Import Job Completed Successfully.',
    });
  });
});

describe('stopImportJob and stopAfterError', () => {
  it('stops the job and remembers it asked', async () => {
    cognito.on(StopUserImportJobCommand).resolves({
      UserImportJob: {
        Status: 'Stopped',
        CompletionMessage: 'The Import Job was stopped by the developer.',
      },
    });
    const job = await stopImportJob(item({ status: 'InProgress', mustStop: true }), deps());
    expect(job).toMatchObject({ status: 'Stopped', stopRequested: true });
  });

  it('takes a job that finished meanwhile as it is', async () => {
    cognito
      .on(StopUserImportJobCommand)
      .rejects(new PreconditionNotMetException({ message: 'not running', $metadata: {} }));
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Succeeded' } });
    const job = await stopImportJob(item({ status: 'InProgress', mustStop: true }), deps());
    expect(job).toMatchObject({ status: 'Succeeded', stopRequested: true });
  });

  it('stops an active job after an error, and reports rather than throws a failure that is not a service fault', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'InProgress' } });
    cognito.on(StopUserImportJobCommand).resolves({ UserImportJob: { Status: 'Stopped' } });
    await expect(stopAfterError(item({ status: 'InProgress' }), deps())).resolves.toEqual({
      jobId: 'import-AAAAAAAAAA',
      stopped: true,
      status: 'Stopped',
    });
    cognito.reset().on(DescribeUserImportJobCommand).rejects(new Error('network down'));
    await expect(stopAfterError(item({ status: 'InProgress' }), deps())).resolves.toMatchObject({
      stopped: false,
    });
    await expect(stopAfterError(item(), deps())).resolves.toEqual({
      stopped: false,
      note: 'no import job existed',
    });
  });

  it('throws a transient fault after an error, for the state machine to retry: swallowed, it would leave the job running', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 400 },
    });
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'InProgress' } });
    cognito.on(StopUserImportJobCommand).rejects(throttled);
    await expect(stopAfterError(item({ status: 'InProgress' }), deps())).rejects.toBe(throttled);
  });

  it('reads a job that ended between its description and the stop, after an error', async () => {
    cognito
      .on(DescribeUserImportJobCommand)
      .resolvesOnce({ UserImportJob: { Status: 'InProgress' } })
      .resolves({ UserImportJob: { Status: 'Succeeded' } });
    cognito
      .on(StopUserImportJobCommand)
      .rejects(new PreconditionNotMetException({ message: 'not running', $metadata: {} }));
    await expect(stopAfterError(item({ status: 'InProgress' }), deps())).resolves.toEqual({
      jobId: 'import-AAAAAAAAAA',
      stopped: false,
      status: 'Succeeded',
    });
  });

  it('leaves a finished job alone after an error', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves({ UserImportJob: { Status: 'Failed' } });
    await expect(stopAfterError(item({ status: 'InProgress' }), deps())).resolves.toMatchObject({
      stopped: false,
      status: 'Failed',
    });
    expect(cognito).not.toReceiveCommand(StopUserImportJobCommand);
  });
});
