import {
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AdminGetUserCommand,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserImportJobCommand,
  InternalErrorException,
  InvalidParameterException,
  LimitExceededException,
  ListUserImportJobsCommand,
  PreconditionNotMetException,
  ResourceNotFoundException,
  StartUserImportJobCommand,
  StopUserImportJobCommand,
  TooManyRequestsException,
  UserImportInProgressException,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKnobs } from '../../twin/cognito/index.ts';
import {
  importCsv,
  ROLE_ARN,
  startTwinFixture,
  type TwinFixture,
  upload,
  waitForJob,
} from '../helpers/cognito-twin.ts';
import { signedJsonPost } from './../helpers/sign.ts';

let f: TwinFixture;
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;

beforeEach(async () => {
  offsetMs = 0;
  f = await startTwinFixture({
    now: clock,
    pace: { pendingMs: 20, rowsPerStep: 1000, stepDelayMs: 0 },
  });
});
afterEach(async () => {
  await f.stop();
});

const HEADER = 'cognito:username,email,email_verified';
const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `user${from + i},user${from + i}@example.com,true`);
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

async function pool(
  input: Partial<ConstructorParameters<typeof CreateUserPoolCommand>[0]> = {},
): Promise<{ id: string; name: string }> {
  const name = input.PoolName ?? 'pool';
  const { UserPool } = await f.cognito.send(
    new CreateUserPoolCommand({ PoolName: name, AutoVerifiedAttributes: ['email'], ...input }),
  );
  return { id: UserPool?.Id as string, name };
}

async function createJob(
  poolId: string,
  name = 'import',
  extra: { PasswordHashingAlgorithm?: 'BCRYPT' } = {},
) {
  const { UserImportJob } = await f.cognito.send(
    new CreateUserImportJobCommand({
      UserPoolId: poolId,
      JobName: name,
      CloudWatchLogsRoleArn: ROLE_ARN,
      ...extra,
    }),
  );
  return UserImportJob as UserImportJobType & { JobId: string; PreSignedUrl: string };
}

const describeJob = async (poolId: string, jobId: string) =>
  (await f.cognito.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId })))
    .UserImportJob as UserImportJobType;

async function logLines(p: { id: string; name: string }, job: { JobId: string; JobName?: string }) {
  const { events } = await f.logs.send(
    new GetLogEventsCommand({
      logGroupName: `/aws/cognito/userpools/${p.id}/${p.name}`,
      logStreamName: `${job.JobId}/${job.JobName}`,
      startFromHead: true,
    }),
  );
  return (events ?? []).map((e) => e.message);
}

describe('CreateUserImportJob', () => {
  it('creates a job in Created with zero counters, a pre-signed URL and a creation date with milliseconds', async () => {
    const p = await pool();
    const before = Date.now();
    const job = await createJob(p.id, 'Customer import');
    expect(job).toMatchObject({
      JobName: 'Customer import',
      UserPoolId: p.id,
      Status: 'Created',
      CloudWatchLogsRoleArn: ROLE_ARN,
      ImportedUsers: 0,
      SkippedUsers: 0,
      FailedUsers: 0,
    });
    expect(job.JobId).toMatch(/^import-[0-9a-zA-Z]{10}$/);
    expect(job.StartDate).toBeUndefined();
    expect(job.CompletionDate).toBeUndefined();
    expect(job.CreationDate?.getTime()).toBeGreaterThanOrEqual(before);
    const url = new URL(job.PreSignedUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-amz-server-side-encryption');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('answers dates as epoch seconds with fractional milliseconds on the wire', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    const response = await signedJsonPost(
      f.twin.endpoint,
      'AWSCognitoIdentityProviderService.DescribeUserImportJob',
      { UserPoolId: p.id, JobId: job.JobId },
      { service: 'cognito-idp' },
    );
    const body = (await response.json()) as { UserImportJob: { CreationDate: number } };
    expect(typeof body.UserImportJob.CreationDate).toBe('number');
    expect(Math.round(body.UserImportJob.CreationDate * 1000)).toBe(job.CreationDate?.getTime());
    expect(String(body.UserImportJob.CreationDate)).toMatch(/^\d{10}(\.\d{1,3})?$/);
  });

  it('checks the job name, role ARN and hashing algorithm against the model', async () => {
    const p = await pool();
    const bad = (input: Record<string, unknown>) =>
      f.cognito.send(
        new CreateUserImportJobCommand({
          UserPoolId: p.id,
          JobName: 'ok',
          CloudWatchLogsRoleArn: ROLE_ARN,
          ...input,
        } as never),
      );
    await expect(bad({ JobName: 'no/slashes' })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(bad({ JobName: 'x'.repeat(129) })).rejects.toThrow(
      /length less than or equal to 128/,
    );
    await expect(bad({ CloudWatchLogsRoleArn: 'not-an-arn-at-all-really' })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(bad({ PasswordHashingAlgorithm: 'MD5' })).rejects.toThrow(
      /enum value set: \[BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256\]/,
    );
  });

  it('answers ResourceNotFoundException for an unknown pool', async () => {
    await expect(createJob('us-east-1_missing00')).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('allows 1,000 jobs per pool and answers LimitExceededException for the next', async () => {
    const p = await pool();
    for (let i = 0; i < 1000; i += 50)
      await Promise.all(Array.from({ length: 50 }, () => createJob(p.id)));
    await expect(createJob(p.id)).rejects.toBeInstanceOf(LimitExceededException);
    const other = await pool();
    await expect(createJob(other.id)).resolves.toMatchObject({ Status: 'Created' });
  }, 60_000);

  it('refuses a hash import with the configured error when the pool is not eligible', async () => {
    const p = await pool();
    f.twin.knobs.hashImport = 'OperationNotEnabledException';
    const error = await createJob(p.id, 'hash', { PasswordHashingAlgorithm: 'BCRYPT' }).catch(
      (e) => e,
    );
    expect(error.name).toBe('OperationNotEnabledException');
  });
});

describe('the pre-signed upload', () => {
  it('accepts a PUT with the aws:kms header and answers an ETag', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    const response = await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('refuses a PUT without the signed encryption header with 403 SignatureDoesNotMatch', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    const response = await upload(job.PreSignedUrl, 'x', { 'content-type': 'text/csv' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses another method and a changed URL with 403', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    const post = await fetch(job.PreSignedUrl, {
      method: 'POST',
      body: 'x',
      headers: { 'x-amz-server-side-encryption': 'aws:kms' },
    });
    expect(post.status).toBe(403);
    const changed = job.PreSignedUrl.replace('X-Amz-Expires=900', 'X-Amz-Expires=9000');
    expect((await upload(changed, 'x')).status).toBe(403);
    const otherJob = job.PreSignedUrl.replace(job.JobId, 'import-AAAAAAAAAA');
    expect((await upload(otherJob, 'x')).status).toBe(403);
  });

  it('expires 15 minutes after the job was created', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    offsetMs = 14 * 60_000;
    expect((await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)))).status).toBe(200);
    offsetMs = 15 * 60_000 + 1_000;
    const late = await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
  });
});

describe('StartUserImportJob and the job lifecycle', () => {
  it('answers PreconditionNotMetException "No csv file was uploaded for <jobId>" when nothing was uploaded', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    const error = await f.cognito
      .send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PreconditionNotMetException);
    expect(error.message).toBe(`No csv file was uploaded for ${job.JobId}`);
  });

  it('moves Created → Pending → InProgress → Succeeded, with counters moving while InProgress', async () => {
    f.twin.pace.pendingMs = 150;
    f.twin.pace.rowsPerStep = 10;
    f.twin.pace.stepDelayMs = 25;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(100)));
    const started = await f.cognito.send(
      new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }),
    );
    expect(started.UserImportJob?.Status).toBe('Pending');
    expect(started.UserImportJob?.StartDate).toBeInstanceOf(Date);
    const seen: string[] = [];
    const counts: number[] = [];
    for (;;) {
      const current = await describeJob(p.id, job.JobId);
      if (seen.at(-1) !== current.Status) seen.push(current.Status as string);
      if (current.Status === 'InProgress') counts.push(current.ImportedUsers ?? 0);
      if (current.Status === 'Succeeded') {
        expect(current).toMatchObject({
          ImportedUsers: 100,
          SkippedUsers: 0,
          FailedUsers: 0,
          CompletionMessage: 'Import Job Completed Successfully.',
        });
        expect(current.CompletionDate?.getTime()).toBeGreaterThanOrEqual(
          current.StartDate?.getTime() ?? 0,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen).toEqual(['Pending', 'InProgress', 'Succeeded']);
    expect(counts.some((n) => n > 0 && n < 100)).toBe(true);
  });

  it('shows counters only at completion when liveCounters is off', async () => {
    f.twin.knobs.liveCounters = false;
    f.twin.pace.rowsPerStep = 5;
    f.twin.pace.stepDelayMs = 30;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(40)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await waitForJob(() => describeJob(p.id, job.JobId), ['InProgress']);
    await new Promise((r) => setTimeout(r, 80));
    expect((await describeJob(p.id, job.JobId)).ImportedUsers).toBe(0);
    await waitForJob(() => describeJob(p.id, job.JobId), ['Succeeded']);
    expect((await describeJob(p.id, job.JobId)).ImportedUsers).toBe(40);
  });

  it('allows one active job per account, across pools', async () => {
    f.twin.pace.pendingMs = 300;
    const a = await pool();
    const b = await pool();
    const first = await createJob(a.id);
    const second = await createJob(b.id);
    await upload(first.PreSignedUrl, csv(HEADER, ...rows(3)));
    await upload(second.PreSignedUrl, csv(HEADER, ...rows(3)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: a.id, JobId: first.JobId }));
    const error = await f.cognito
      .send(new StartUserImportJobCommand({ UserPoolId: b.id, JobId: second.JobId }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PreconditionNotMetException);
    expect(error.message).toMatch(/Only one import job can be active at a time per account/);
    await waitForJob(() => describeJob(a.id, first.JobId), ['Succeeded']);
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: b.id, JobId: second.JobId }));
    await waitForJob(() => describeJob(b.id, second.JobId), ['Succeeded']);
  });

  it('answers the configured error for a second active job when activeJobError is InvalidParameterException', async () => {
    f.twin.pace.pendingMs = 300;
    f.twin.knobs.activeJobError = 'InvalidParameterException';
    const p = await pool();
    const first = await createJob(p.id);
    const second = await createJob(p.id);
    await upload(first.PreSignedUrl, csv(HEADER, ...rows(1)));
    await upload(second.PreSignedUrl, csv(HEADER, ...rows(1)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: first.JobId }));
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: second.JobId })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('refuses to start a job twice, with the wrong-state error the knob names', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await waitForJob(() => describeJob(p.id, job.JobId), ['Succeeded']);
    const start = () =>
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await expect(start()).rejects.toBeInstanceOf(PreconditionNotMetException);
    f.twin.knobs.wrongStateError = 'InvalidParameterException';
    await expect(start()).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('refuses to start a job on a pool without auto-verified attributes', async () => {
    const p = await pool({ AutoVerifiedAttributes: [] });
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId })),
    ).rejects.toBeInstanceOf(PreconditionNotMetException);
  });

  it('answers ResourceNotFoundException for a job of another pool', async () => {
    const a = await pool();
    const b = await pool();
    const job = await createJob(a.id);
    await expect(describeJob(b.id, job.JobId)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('StopUserImportJob', () => {
  it('stops a running job at once with the documented message, and a stopped job cannot restart', async () => {
    f.twin.pace.pendingMs = 200;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(5)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    const { UserImportJob } = await f.cognito.send(
      new StopUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }),
    );
    expect(UserImportJob).toMatchObject({
      Status: 'Stopped',
      CompletionMessage: 'The Import Job was stopped by the developer.',
    });
    expect(UserImportJob?.CompletionDate).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 250));
    expect((await describeJob(p.id, job.JobId)).Status).toBe('Stopped');
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId })),
    ).rejects.toBeInstanceOf(PreconditionNotMetException);
  });

  it('goes through Stopping when the knob says so', async () => {
    f.twin.knobs.stopAnswers = 'Stopping';
    f.twin.knobs.stopDelayMs = 50;
    f.twin.pace.pendingMs = 500;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(5)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    const { UserImportJob } = await f.cognito.send(
      new StopUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }),
    );
    expect(UserImportJob?.Status).toBe('Stopping');
    await waitForJob(() => describeJob(p.id, job.JobId), ['Stopped']);
  });

  it('refuses to stop a job that is not running', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    await expect(
      f.cognito.send(new StopUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId })),
    ).rejects.toBeInstanceOf(PreconditionNotMetException);
  });
});

describe('expiry', () => {
  it('expires a job not started within the window, with no start date and the documented message', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    offsetMs = defaultKnobs.expireAfterMs - 60_000;
    expect((await describeJob(p.id, job.JobId)).Status).toBe('Created');
    offsetMs = defaultKnobs.expireAfterMs + 60_000;
    const expired = await describeJob(p.id, job.JobId);
    expect(expired).toMatchObject({
      Status: 'Expired',
      CompletionMessage: 'The user import job has expired.',
    });
    expect(expired.StartDate).toBeUndefined();
    expect((expired.CompletionDate?.getTime() ?? 0) - (expired.CreationDate?.getTime() ?? 0)).toBe(
      defaultKnobs.expireAfterMs,
    );
    expect(expired.PreSignedUrl).toBe(job.PreSignedUrl);
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId })),
    ).rejects.toBeInstanceOf(PreconditionNotMetException);
  });

  it('refuses to start an expired job it has not been asked about since, with the wrong-state error', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    offsetMs = defaultKnobs.expireAfterMs + 1;
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId })),
    ).rejects.toBeInstanceOf(PreconditionNotMetException);
    expect((await describeJob(p.id, job.JobId)).Status).toBe('Expired');
  });

  it('keeps an uploaded job from expiring when uploadedJobsExpire is off', async () => {
    f.twin.knobs.uploadedJobsExpire = false;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)));
    offsetMs = defaultKnobs.expireAfterMs * 2;
    expect((await describeJob(p.id, job.JobId)).Status).toBe('Created');
  });
});

describe('ListUserImportJobs', () => {
  it('lists newest first and pages with an opaque token until no token is returned', async () => {
    const p = await pool();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createJob(p.id, `job ${i}`)).JobId);
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUserImportJobsCommand({ UserPoolId: p.id, MaxResults: 2, PaginationToken: token }),
      );
      listed.push(...(page.UserImportJobs ?? []).map((j) => j.JobId as string));
      token = page.PaginationToken;
    } while (token);
    expect(listed).toEqual([...ids].reverse());
  });

  it('refuses a token that it did not issue', async () => {
    const p = await pool();
    await createJob(p.id);
    await expect(
      f.cognito.send(
        new ListUserImportJobsCommand({
          UserPoolId: p.id,
          MaxResults: 2,
          PaginationToken: 'forged#token#1',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('rows, as Cognito imports them', () => {
  const FULL =
    'cognito:username,email,email_verified,phone_number,phone_number_verified,birthdate,updated_at,cognito:mfa_enabled,custom:tier,custom:team,name';
  const row = (over: Record<string, string>) => {
    const base: Record<string, string> = {
      'cognito:username': 'u',
      email: 'u@example.com',
      email_verified: 'true',
      phone_number: '',
      phone_number_verified: 'false',
      birthdate: '',
      updated_at: '',
      'cognito:mfa_enabled': '',
      'custom:tier': '',
      'custom:team': '',
      name: '',
    };
    return FULL.split(',')
      .map((c) => over[c] ?? base[c])
      .join(',');
  };

  it('gives each row its outcome line and counts them, mapping line numbers from the first data row', async () => {
    const p = await pool({
      PoolName: 'rules',
      MfaConfiguration: 'OFF',
      Schema: [
        {
          Name: 'tier',
          AttributeDataType: 'Number',
          NumberAttributeConstraints: { MinValue: '1', MaxValue: '5' },
        },
        {
          Name: 'team',
          AttributeDataType: 'String',
          StringAttributeConstraints: { MinLength: '2', MaxLength: '4' },
        },
      ],
    });
    const lines = [
      FULL,
      row({ 'cognito:username': 'ok1', name: 'Doe\\, Jane' }), // 1 succeeded, escaped comma
      row({ 'cognito:username': 'ok1' }), // 2 skipped: exists
      row({ 'cognito:username': '' }), // 3
      row({ 'cognito:username': 'has space' }), // 4
      row({ 'cognito:username': 'nv', email_verified: 'false' }), // 5 auto verified
      row({ 'cognito:username': 'noemail', email: '' }), // 6
      row({ 'cognito:username': 'phone', phone_number: '555-1234' }), // 7
      row({ 'cognito:username': 'bday', birthdate: '1985-02-01' }), // 8
      row({ 'cognito:username': 'upd', updated_at: 'yesterday' }), // 9
      row({ 'cognito:username': 'mfa', 'cognito:mfa_enabled': 'true' }), // 10
      row({ 'cognito:username': 'tier', 'custom:tier': '9' }), // 11
      row({ 'cognito:username': 'team', 'custom:team': 'toolong' }), // 12
      row({ 'cognito:username': 'bool', email_verified: 'yes' }), // 13
      row({ 'cognito:username': 'long', name: 'x'.repeat(2049) }), // 14
      'few,fields', // 15
      row({
        'cognito:username': 'ok2',
        birthdate: '02/01/1985',
        updated_at: '1471453471',
        'custom:tier': '3',
        'custom:team': 'abc',
        phone_number: '+14325551212',
      }), // 16
      row({ 'cognito:username': 'bademail', email: 'not-an-email' }), // 17
    ];
    f.twin.knobs.failureThreshold = 1;
    const job = await importCsv(f, p.id, csv(...lines));
    expect(job).toMatchObject({
      Status: 'Succeeded',
      ImportedUsers: 2,
      SkippedUsers: 1,
      FailedUsers: 14,
    });
    const log = await logLines(p, { JobId: job.JobId as string, JobName: 'import' });
    expect(log).toHaveLength(17);
    expect(log[0]).toBe('[SUCCEEDED] Line Number 1 - The import succeeded.');
    expect(log[1]).toBe('[SKIPPED] Line Number 2 - The user already exists.');
    expect(log[4]).toBe(
      '[FAILED] Line Number 5 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).',
    );
    expect(log[15]).toBe('[SUCCEEDED] Line Number 16 - The import succeeded.');
    for (const n of [3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17])
      expect(log[n - 1]).toMatch(new RegExp(`^\\[FAILED\\] Line Number ${n} - `));
    for (const line of log) expect(line).not.toMatch(/example\.com|Jane|\+1432/);
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: p.id, Username: 'ok1' }),
    );
    expect(user.UserAttributes?.find((a) => a.Name === 'name')?.Value).toBe('Doe, Jane');
  });

  it('fails the job with the documented message when too many rows fail or are skipped', async () => {
    const p = await pool();
    const job = await importCsv(
      f,
      p.id,
      csv(HEADER, ...rows(1), 'bad user,x@example.com,true', 'other,x@example.com,false'),
    );
    expect(job).toMatchObject({
      Status: 'Failed',
      ImportedUsers: 1,
      FailedUsers: 2,
      CompletionMessage: 'Too many users have failed or been skipped during the import.',
    });
  });

  it('treats a username that differs only by case as existing in a case-insensitive pool', async () => {
    const p = await pool({ UsernameConfiguration: { CaseSensitive: false } });
    const job = await importCsv(
      f,
      p.id,
      csv(
        HEADER,
        'Alice,a@example.com,true',
        'alice,a2@example.com,true',
        'bob,b@example.com,true',
      ),
    );
    expect(job).toMatchObject({ ImportedUsers: 2, SkippedUsers: 1 });
    const sensitive = await pool();
    const again = await importCsv(
      f,
      sensitive.id,
      csv(HEADER, 'Alice,a@example.com,true', 'alice,a2@example.com,true'),
    );
    expect(again).toMatchObject({ ImportedUsers: 2, SkippedUsers: 0 });
  });

  it('requires the pool-required attributes and checks MFA against an MFA-required pool', async () => {
    const p = await pool({
      MfaConfiguration: 'ON',
      Schema: [{ Name: 'given_name', AttributeDataType: 'String', Required: true }],
    });
    f.twin.knobs.failureThreshold = 1;
    const job = await importCsv(
      f,
      p.id,
      csv(
        'cognito:username,email,email_verified,given_name,cognito:mfa_enabled',
        'a,a@example.com,true,Ann,true',
        'b,b@example.com,true,,',
        'c,c@example.com,true,Cy,false',
        'd,d@example.com,true,Di,',
      ),
    );
    expect(job).toMatchObject({ ImportedUsers: 2, FailedUsers: 2 });
  });

  it('fails the whole job for an unknown column, a duplicated column or a missing username column', async () => {
    const p = await pool();
    for (const header of [
      'cognito:username,email,email_verified,shoe_size',
      'cognito:username,email,email,email_verified',
      'email,email_verified',
    ]) {
      const job = await importCsv(f, p.id, csv(header, 'a,a@example.com,true'));
      expect(job.Status).toBe('Failed');
      expect(job.CompletionMessage).toMatch(/^The CSV file could not be parsed: /);
      expect(job.ImportedUsers).toBe(0);
    }
  });

  it('fails the job on a BOM, by an unreadable first column or outright, as the knob says', async () => {
    const p = await pool();
    const withBom = `\uFEFF${csv(HEADER, ...rows(1))}`;
    expect((await importCsv(f, p.id, withBom)).CompletionMessage).toMatch(/first column/);
    f.twin.knobs.bom = 'fails-job';
    expect((await importCsv(f, p.id, withBom)).CompletionMessage).toMatch(/byte order mark/);
  });

  it('accepts a header subset by default and requires every column when headerCompleteness is all', async () => {
    const p = await pool();
    expect((await importCsv(f, p.id, csv(HEADER, ...rows(1)))).Status).toBe('Succeeded');
    f.twin.knobs.headerCompleteness = 'all';
    const job = await importCsv(f, p.id, csv(HEADER, ...rows(1, 1)));
    expect(job.Status).toBe('Failed');
    expect(job.CompletionMessage).toMatch(/header columns are missing/);
  });

  it('handles CRLF, skips blank lines and numbers lines from the header when the knobs say so', async () => {
    const p = await pool({ PoolName: 'crlf' });
    f.twin.knobs.lineNumbering = 'file';
    const job = await importCsv(
      f,
      p.id,
      `${HEADER}\r\nu1,u1@example.com,true\r\n\r\nu2,u2@example.com,true\r\n`,
    );
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 2 });
    const log = await logLines(p, { JobId: job.JobId as string, JobName: 'import' });
    expect(log).toEqual([
      '[SUCCEEDED] Line Number 2 - The import succeeded.',
      '[SUCCEEDED] Line Number 4 - The import succeeded.',
    ]);
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: p.id, Username: 'u1' }),
    );
    expect(user.UserAttributes?.find((a) => a.Name === 'email_verified')?.Value).toBe('true');
  });

  it('imports users with valid password hashes as CONFIRMED and fails malformed or over-limit hashes', async () => {
    const p = await pool();
    f.twin.knobs.failureThreshold = 1;
    const good = `$2b$10$${'a'.repeat(53)}`;
    const tooCostly = `$2b$13$${'a'.repeat(53)}`;
    const job = await importCsv(
      f,
      p.id,
      csv(
        `${HEADER},password_hash`,
        `h1,h1@example.com,true,${good}`,
        'h2,h2@example.com,true,',
        `h3,h3@example.com,true,${tooCostly}`,
        'h4,h4@example.com,true,plain',
      ),
      { PasswordHashingAlgorithm: 'BCRYPT' },
    );
    expect(job).toMatchObject({
      ImportedUsers: 2,
      FailedUsers: 2,
      PasswordHashingAlgorithm: 'BCRYPT',
    });
    const h1 = await f.cognito.send(new AdminGetUserCommand({ UserPoolId: p.id, Username: 'h1' }));
    const h2 = await f.cognito.send(new AdminGetUserCommand({ UserPoolId: p.id, Username: 'h2' }));
    expect(h1.UserStatus).toBe('CONFIRMED');
    expect(h2.UserStatus).toBe('RESET_REQUIRED');
  });

  it('fails a hash import whose file has no password_hash column', async () => {
    const p = await pool();
    const job = await importCsv(f, p.id, csv(HEADER, ...rows(2)), {
      PasswordHashingAlgorithm: 'SCRYPT',
    });
    expect(job).toMatchObject({ Status: 'Failed', ImportedUsers: 0 });
    expect(job.CompletionMessage).toMatch(/password_hash/);
  });

  it('refuses to delete a pool while its import job runs (UserImportInProgressException), and deletes it once the job ended', async () => {
    f.twin.pace.pendingMs = 100;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(3)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await expect(
      f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: p.id })),
    ).rejects.toBeInstanceOf(UserImportInProgressException);
    await waitForJob(() => describeJob(p.id, job.JobId), ['Succeeded']);
    expect((await describeJob(p.id, job.JobId)).ImportedUsers).toBe(3);
    await f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: p.id }));
    await expect(describeJob(p.id, job.JobId)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses to delete the pool of a job held InProgress forever, so no job of a deleted pool blocks the account', async () => {
    const p = await pool();
    const held = await createJob(p.id);
    await upload(held.PreSignedUrl, csv(HEADER, ...rows(1)));
    f.twin.faults.addJobFault({ kind: 'never-finish', jobId: held.JobId });
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: held.JobId }));
    await waitForJob(() => describeJob(p.id, held.JobId), ['InProgress']);
    await expect(
      f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: p.id })),
    ).rejects.toBeInstanceOf(UserImportInProgressException);
    // The way out is the one AWS offers: stop the job, then delete the pool; the account is free.
    await f.cognito.send(new StopUserImportJobCommand({ UserPoolId: p.id, JobId: held.JobId }));
    await f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: p.id }));
    const other = await pool();
    const next = await createJob(other.id);
    await upload(next.PreSignedUrl, csv(HEADER, ...rows(1)));
    await expect(
      f.cognito.send(new StartUserImportJobCommand({ UserPoolId: other.id, JobId: next.JobId })),
    ).resolves.toBeDefined();
  });
});

describe('CloudWatch Logs', () => {
  it('lists the job stream and filters FAILED lines, paging with nextToken', async () => {
    const p = await pool({ PoolName: 'logs' });
    f.twin.knobs.failureThreshold = 1;
    const lines = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? `bad user${i},x@example.com,true` : `user${i},u${i}@example.com,true`,
    );
    const job = await importCsv(f, p.id, csv(HEADER, ...lines));
    const group = `/aws/cognito/userpools/${p.id}/logs`;
    const streams = await f.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual([`${job.JobId}/import`]);
    const failed: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await f.logs.send(
        new FilterLogEventsCommand({
          logGroupName: group,
          filterPattern: 'FAILED',
          limit: 4,
          nextToken,
        }),
      );
      failed.push(...(page.events ?? []).map((e) => e.message as string));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(failed).toHaveLength(10);
    expect(failed[0]).toMatch(/^\[FAILED\] Line Number 1 - /);
    const phrase = await f.logs.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"Line Number 2 "' }),
    );
    expect(phrase.events?.map((e) => e.message)).toEqual([
      '[SUCCEEDED] Line Number 2 - The import succeeded.',
    ]);
  });

  it('pages GetLogEvents forward and answers ResourceNotFoundException for an unknown group', async () => {
    const p = await pool({ PoolName: 'paging' });
    const job = await importCsv(f, p.id, csv(HEADER, ...rows(25)));
    const group = `/aws/cognito/userpools/${p.id}/paging`;
    const messages: string[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await f.logs.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: `${job.JobId}/import`,
          startFromHead: true,
          limit: 10,
          nextToken: token,
        }),
      );
      if ((page.events ?? []).length === 0) break;
      messages.push(...(page.events ?? []).map((e) => e.message as string));
      token = page.nextForwardToken;
    }
    expect(messages).toHaveLength(25);
    expect(messages[24]).toBe('[SUCCEEDED] Line Number 25 - The import succeeded.');
    const error = await f.logs
      .send(new DescribeLogStreamsCommand({ logGroupName: '/aws/cognito/userpools/none/none' }))
      .catch((e) => e);
    expect(error.name).toBe('ResourceNotFoundException');
  });
});

describe('faults', () => {
  it('throttles the next N calls of an operation with TooManyRequestsException', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    f.twin.faults.add({ kind: 'throttle', operation: 'DescribeUserImportJob', count: 2 });
    await expect(describeJob(p.id, job.JobId)).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(describeJob(p.id, job.JobId)).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(describeJob(p.id, job.JobId)).resolves.toMatchObject({ Status: 'Created' });
  });

  it('throttles calls beyond a rate per second', async () => {
    const p = await pool();
    const job = await createJob(p.id);
    f.twin.faults.add({ kind: 'throttle', operation: '*', perSecond: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => describeJob(p.id, job.JobId)),
    );
    const throttled = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsException,
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(throttled).toHaveLength(7);
  });

  it('answers InternalErrorException with HTTP 500', async () => {
    const p = await pool();
    f.twin.faults.add({ kind: 'internal-error', operation: 'CreateUserImportJob', count: 1 });
    const error = await createJob(p.id).catch((e) => e);
    expect(error).toBeInstanceOf(InternalErrorException);
    expect(error.$metadata.httpStatusCode).toBe(500);
  });

  it('fails a job with the given message, and holds another in InProgress forever', async () => {
    const p = await pool();
    f.twin.faults.addJobFault({
      kind: 'fail',
      message: 'The CloudWatch Logs role could not be assumed.',
    });
    const failed = await importCsv(f, p.id, csv(HEADER, ...rows(2)));
    expect(failed).toMatchObject({
      Status: 'Failed',
      CompletionMessage: 'The CloudWatch Logs role could not be assumed.',
      ImportedUsers: 0,
    });
    f.twin.faults.addJobFault({ kind: 'never-finish' });
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(2, 10)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await waitForJob(() => describeJob(p.id, job.JobId), ['InProgress']);
    await new Promise((r) => setTimeout(r, 200));
    expect((await describeJob(p.id, job.JobId)).Status).toBe('InProgress');
    const stopped = await f.cognito.send(
      new StopUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }),
    );
    expect(stopped.UserImportJob?.Status).toBe('Stopped');
  });
});

describe('durability', () => {
  it('resumes a running job after a restart and imports every row exactly once', async () => {
    f.twin.pace.rowsPerStep = 50;
    f.twin.pace.stepDelayMs = 20;
    const p = await pool({ PoolName: 'restart' });
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(1000)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await waitForJob(async () => {
      const current = await describeJob(p.id, job.JobId);
      return { Status: (current.ImportedUsers ?? 0) > 100 ? 'midway' : current.Status };
    }, ['midway']);
    await f.restart({ pace: { pendingMs: 20, rowsPerStep: 200, stepDelayMs: 0 } });
    const midway = await describeJob(p.id, job.JobId);
    expect(midway.Status).toBe('InProgress');
    expect(midway.ImportedUsers).toBeLessThan(1000);
    await waitForJob(() => describeJob(p.id, job.JobId), ['Succeeded', 'Failed']);
    expect(await describeJob(p.id, job.JobId)).toMatchObject({
      Status: 'Succeeded',
      ImportedUsers: 1000,
      SkippedUsers: 0,
      FailedUsers: 0,
    });
    expect(await logLines(p, job)).toHaveLength(1000);
  });

  it('keeps pools, users and jobs across a restart', async () => {
    const p = await pool();
    const done = await importCsv(f, p.id, csv(HEADER, ...rows(3)));
    await f.restart();
    expect((await describeJob(p.id, done.JobId as string)).Status).toBe('Succeeded');
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: p.id, Username: 'user1' }),
    );
    expect(user.UserStatus).toBe('RESET_REQUIRED');
  });

  it('answers many concurrent requests without losing a job', async () => {
    const p = await pool();
    const jobs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => createJob(p.id, `parallel ${i}`)),
    );
    expect(new Set(jobs.map((j) => j.JobId)).size).toBe(40);
    const { UserImportJobs } = await f.cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: p.id, MaxResults: 60 }),
    );
    expect(UserImportJobs).toHaveLength(40);
  });
});

describe('log group names', () => {
  it('writes a pool name with spaces into a group name CloudWatch allows, found by the pool prefix', async () => {
    const p = await pool({ PoolName: 'Migration rehearsal' });
    const job = await importCsv(f, p.id, csv(HEADER, ...rows(1)));
    const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    const { logGroups } = await f.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/cognito/userpools/${p.id}/` }),
    );
    expect(logGroups?.map((g) => g.logGroupName)).toEqual([
      `/aws/cognito/userpools/${p.id}/Migration_rehearsal`,
    ]);
    const { events } = await f.logs.send(
      new GetLogEventsCommand({
        logGroupName: logGroups?.[0]?.logGroupName,
        logStreamName: `${job.JobId}/import`,
        startFromHead: true,
      }),
    );
    expect(events?.map((e) => e.message)).toEqual([
      '[SUCCEEDED] Line Number 1 - The import succeeded.',
    ]);
  });
});

describe('pace', () => {
  it('holds a job InProgress until its minimum duration has passed on the clock', async () => {
    f.twin.pace.minJobMs = 3600_000;
    const p = await pool();
    const job = await createJob(p.id);
    await upload(job.PreSignedUrl, csv(HEADER, ...rows(3)));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: p.id, JobId: job.JobId }));
    await waitForJob(async () => {
      const current = await describeJob(p.id, job.JobId);
      return { Status: current.ImportedUsers === 3 ? 'rows-done' : current.Status };
    }, ['rows-done']);
    await new Promise((r) => setTimeout(r, 50));
    expect((await describeJob(p.id, job.JobId)).Status).toBe('InProgress');
    offsetMs = 3600_000;
    await waitForJob(() => describeJob(p.id, job.JobId), ['Succeeded']);
  });
});

describe('the other knobs', () => {
  it('fails the whole job on a wrong field count when fieldCountMismatch is fail-job', async () => {
    f.twin.knobs.fieldCountMismatch = 'fail-job';
    const p = await pool();
    const job = await importCsv(f, p.id, csv(HEADER, ...rows(1), 'two,fields', ...rows(1, 5)));
    expect(job).toMatchObject({ Status: 'Failed', ImportedUsers: 1 });
    expect(job.CompletionMessage).toMatch(/^The CSV file could not be parsed: line 2: /);
  });

  it('fails a blank line as a row when blankLines is fail-row', async () => {
    f.twin.knobs.blankLines = 'fail-row';
    f.twin.knobs.failureThreshold = 1;
    const p = await pool();
    const job = await importCsv(
      f,
      p.id,
      `${HEADER}\nu1,u1@example.com,true\n\nu2,u2@example.com,true\n`,
    );
    expect(job).toMatchObject({ ImportedUsers: 2, FailedUsers: 1 });
  });

  it('requires cognito:mfa_enabled in every row under the 2023 rule, and skips the email shape check when told', async () => {
    f.twin.knobs.failureThreshold = 1;
    f.twin.knobs.mfaRule = '2023';
    f.twin.knobs.checkEmailFormat = false;
    const p = await pool({ MfaConfiguration: 'OPTIONAL' });
    const job = await importCsv(
      f,
      p.id,
      csv(`${HEADER},cognito:mfa_enabled`, 'a,not-an-email,true,false', 'b,b@example.com,true,'),
    );
    expect(job).toMatchObject({ ImportedUsers: 1, FailedUsers: 1 });
  });

  it('caps a ListUserImportJobs page at listPageCap', async () => {
    f.twin.knobs.listPageCap = 2;
    const p = await pool();
    for (let i = 0; i < 3; i++) await createJob(p.id);
    const page = await f.cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: p.id, MaxResults: 60 }),
    );
    expect(page.UserImportJobs).toHaveLength(2);
    expect(page.PaginationToken).toBeDefined();
  });

  it('refuses a second upload before the start when reuploadBeforeStart is off', async () => {
    f.twin.knobs.reuploadBeforeStart = false;
    const p = await pool();
    const job = await createJob(p.id);
    expect((await upload(job.PreSignedUrl, csv(HEADER, ...rows(1)))).status).toBe(200);
    expect((await upload(job.PreSignedUrl, csv(HEADER, ...rows(2)))).status).toBe(403);
    f.twin.knobs.reuploadBeforeStart = true;
    expect((await upload(job.PreSignedUrl, csv(HEADER, ...rows(2)))).status).toBe(200);
  });
});
