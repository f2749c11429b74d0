/**
 * Where the twin answers as Cognito's model and guide say, measured with what the SDK (or, for
 * requests the SDK cannot make, the AWS CLI and curl) sends: sign-in identifiers that stay unique,
 * lookups by alias and sub, a pool kept while its import runs, developer-only attribute names, an
 * upload with S3's rules, the per-file quotas, request members the model does not know, complete
 * password policies, passwordless pools, filters, validation messages and Regions. Where
 * Cognito's behaviour is unconfirmed, each reading (a knob of the twin) has its test.
 */
import { request } from 'node:http';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetLogEventsCommand,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  InvalidOAuthFlowException,
  InvalidParameterException,
  ListUserImportJobsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  ScopeDoesNotExistException,
  StartUserImportJobCommand,
  StopUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
beforeEach(async () => {
  f = await startTwinFixture({ pace: { pendingMs: 20, rowsPerStep: 1000 } });
});
afterEach(async () => {
  await f.stop();
});

type PoolInput = Partial<ConstructorParameters<typeof CreateUserPoolCommand>[0]>;

async function createPool(input: PoolInput = {}): Promise<{ id: string; name: string }> {
  const name = input.PoolName ?? 'fidelity';
  const { UserPool } = await f.cognito.send(
    new CreateUserPoolCommand({ PoolName: name, AutoVerifiedAttributes: ['email'], ...input }),
  );
  return { id: UserPool?.Id as string, name };
}

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const HEADER = 'cognito:username,email,email_verified';

async function usersWith(poolId: string, filter: string) {
  const { Users } = await f.cognito.send(
    new ListUsersCommand({ UserPoolId: poolId, Filter: filter }),
  );
  return Users ?? [];
}

async function logLines(pool: { id: string; name: string }, job: UserImportJobType) {
  const { events } = await f.logs.send(
    new GetLogEventsCommand({
      logGroupName: `/aws/cognito/userpools/${pool.id}/${pool.name}`,
      logStreamName: `${job.JobId}/${job.JobName}`,
      startFromHead: true,
    }),
  );
  return (events ?? []).map((e) => e.message);
}

/** A JSON 1.1 call made by hand, as a script or `curl` makes them: any body at all. */
async function rawCall(operation: string, body: unknown) {
  const response = await signedJsonPost(
    f.twin.endpoint,
    `AWSCognitoIdentityProviderService.${operation}`,
    body,
    { service: 'cognito-idp' },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: Error) => error,
  );

describe('a pool whose users sign in with their email (UsernameAttributes)', () => {
  const emailPool = () =>
    createPool({
      PoolName: 'emailpool',
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
    });

  it('keeps one account per email: two rows with one email make 2 accounts of 3 rows, the second row skipped', async () => {
    const pool = await emailPool();
    const job = await importCsv(
      f,
      pool.id,
      csv(HEADER, 'd-1,dup@example.com,true', 'd-2,DUP@example.com,true', 'd-3,g@example.com,true'),
    );
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 2, SkippedUsers: 1 });
    expect(await logLines(pool, job)).toEqual([
      '[SUCCEEDED] Line Number 1 - The import succeeded.',
      '[SKIPPED] Line Number 2 - The user already exists.',
      '[SUCCEEDED] Line Number 3 - The import succeeded.',
    ]);
    expect(await usersWith(pool.id, 'email = "dup@example.com"')).toHaveLength(1);
    // A later file naming an email that already signs someone in does not make a second account.
    const again = await importCsv(f, pool.id, csv(HEADER, 'u-456,g@example.com,true'));
    expect(again).toMatchObject({ ImportedUsers: 0, SkippedUsers: 1 });
    expect(await usersWith(pool.id, 'email = "g@example.com"')).toHaveLength(1);
  });

  it('fails the duplicate row instead when usernameAttributeConflict is FAILED', async () => {
    f.twin.knobs.usernameAttributeConflict = 'FAILED';
    const pool = await emailPool();
    const job = await importCsv(
      f,
      pool.id,
      csv(HEADER, 'd-1,dup@example.com,true', 'd-2,dup@example.com,true', 'd-3,g@example.com,true'),
    );
    expect(job).toMatchObject({ ImportedUsers: 2, FailedUsers: 1 });
    expect((await logLines(pool, job))[1]).toBe(
      '[FAILED] Line Number 2 - An account with the given email already exists.',
    );
  });

  it('names each user by a generated id, its sub, and finds it by email, sub or that id (AdminGetUser)', async () => {
    const pool = await emailPool();
    await importCsv(f, pool.id, csv(HEADER, 'g,g@example.com,true'));
    const byEmail = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: 'G@example.com' }),
    );
    const sub = byEmail.UserAttributes?.find((a) => a.Name === 'sub')?.Value as string;
    expect(sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(byEmail.Username).toBe(sub);
    for (const name of [sub, byEmail.Username as string]) {
      const found = await f.cognito.send(
        new AdminGetUserCommand({ UserPoolId: pool.id, Username: name }),
      );
      expect(found.Username).toBe(sub);
    }
  });

  it("keeps the file's cognito:username when usernameAttributeUsername is csv", async () => {
    f.twin.knobs.usernameAttributeUsername = 'csv';
    const pool = await emailPool();
    await importCsv(
      f,
      pool.id,
      csv(HEADER, 'd-1,dup@example.com,true', 'd-2,dup@example.com,true'),
    );
    const users = await usersWith(pool.id, 'email = "dup@example.com"');
    expect(users.map((u) => u.Username)).toEqual(['d-1']);
    const found = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: 'dup@example.com' }),
    );
    expect(found.Username).toBe('d-1');
  });

  it('finds a user of any pool by its sub', async () => {
    const pool = await createPool();
    await importCsv(f, pool.id, csv(HEADER, 'plain,plain@example.com,true'));
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: 'plain' }),
    );
    const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value as string;
    const bySub = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: sub }),
    );
    expect(bySub.Username).toBe('plain');
  });
});

describe('a pool with an email alias (AliasAttributes)', () => {
  it('fails a row whose verified email another user already has, or skips it when aliasConflict is SKIPPED', async () => {
    const pool = await createPool({ AliasAttributes: ['email'] });
    const first = await importCsv(
      f,
      pool.id,
      csv(HEADER, 'ann,shared@example.com,true', 'bob,shared@example.com,true'),
    );
    expect(first).toMatchObject({ ImportedUsers: 1, FailedUsers: 1 });
    expect((await logLines(pool, first))[1]).toBe(
      '[FAILED] Line Number 2 - An account with the given email already exists.',
    );
    f.twin.knobs.aliasConflict = 'SKIPPED';
    const second = await importCsv(f, pool.id, csv(HEADER, 'cy,shared@example.com,true'));
    expect(second).toMatchObject({ ImportedUsers: 0, SkippedUsers: 1 });
  });
});

describe('developer-only attributes', () => {
  const devPool = () =>
    createPool({
      Schema: [
        { Name: 'tier', AttributeDataType: 'String' },
        { Name: 'secret', AttributeDataType: 'String', DeveloperOnlyAttribute: true },
      ],
    });

  it('are named dev:custom:<name>, left out of GetCSVHeader, and a custom:<name> column fails the job', async () => {
    const pool = await devPool();
    const { UserPool } = await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.id }));
    const names = (UserPool?.SchemaAttributes ?? []).map((a) => a.Name);
    expect(names).toContain('dev:custom:secret');
    expect(names).not.toContain('custom:secret');
    const { CSVHeader } = await f.cognito.send(new GetCSVHeaderCommand({ UserPoolId: pool.id }));
    expect(CSVHeader).toContain('custom:tier');
    expect(CSVHeader?.some((c) => c.includes('secret'))).toBe(false);
    const job = await importCsv(
      f,
      pool.id,
      csv(`${HEADER},custom:secret`, 'ann,ann@example.com,true,s3cr3t'),
    );
    expect(job).toMatchObject({ Status: 'Failed', ImportedUsers: 0 });
    expect(job.CompletionMessage).toMatch(/custom:secret is not an attribute/);
  });

  it('are named dev:<name> when developerAttributePrefix is dev:, and imported when the header lists them', async () => {
    f.twin.knobs.developerAttributePrefix = 'dev:';
    f.twin.knobs.headerListsDeveloperAttributes = true;
    const pool = await devPool();
    const { CSVHeader } = await f.cognito.send(new GetCSVHeaderCommand({ UserPoolId: pool.id }));
    expect(CSVHeader?.slice(-2)).toEqual(['custom:tier', 'dev:secret']);
    const job = await importCsv(
      f,
      pool.id,
      csv(`${HEADER},dev:secret`, 'ann,ann@example.com,true,x'),
    );
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 1 });
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: 'ann' }),
    );
    expect(user.UserAttributes).toContainEqual({ Name: 'dev:secret', Value: 'x' });
  });
});

describe('the pre-signed upload, as S3 takes it', () => {
  async function createdJob() {
    const pool = await createPool();
    const { UserImportJob } = await f.cognito.send(
      new CreateUserImportJobCommand({
        UserPoolId: pool.id,
        JobName: 'upload',
        CloudWatchLogsRoleArn: ROLE_ARN,
      }),
    );
    return {
      pool,
      job: UserImportJob as UserImportJobType & { JobId: string; PreSignedUrl: string },
    };
  }

  /** A PUT with exactly these headers, as curl sends it (node:http adds none of its own). */
  function put(url: string, headers: Record<string, string>, body: string) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('refuses a chunked PUT without Content-Length with 411 MissingContentLength', async () => {
    const { job } = await createdJob();
    const answer = await put(
      job.PreSignedUrl,
      { 'transfer-encoding': 'chunked', 'x-amz-server-side-encryption': 'aws:kms' },
      csv(HEADER, 'ann,ann@example.com,true'),
    );
    expect(answer.status).toBe(411);
    expect(answer.text).toContain('<Code>MissingContentLength</Code>');
  });

  it('refuses unsigned x-amz-* headers (an ACL, a checksum) with 403, and takes the signed one alone', async () => {
    const { job } = await createdJob();
    const body = csv(HEADER, 'ann,ann@example.com,true');
    const length = String(Buffer.byteLength(body));
    const signed = { 'content-length': length, 'x-amz-server-side-encryption': 'aws:kms' };
    const unsigned: Record<string, string>[] = [
      { 'x-amz-acl': 'public-read' },
      { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-sdk-checksum-algorithm': 'CRC32' },
    ];
    for (const extra of unsigned) {
      const answer = await put(job.PreSignedUrl, { ...signed, ...extra }, body);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('<Code>AccessDenied</Code>');
      expect(answer.text).toContain(
        'There were headers present in the request which were not signed',
      );
    }
    expect((await put(job.PreSignedUrl, signed, body)).status).toBe(200);
  });

  it('takes a PUT after the start without changing the job, or refuses it when uploadAfterStart is refused', async () => {
    const { pool, job } = await createdJob();
    f.twin.faults.addJobFault({ kind: 'never-finish', jobId: job.JobId });
    await upload(job.PreSignedUrl, csv(HEADER, 'ann,ann@example.com,true'));
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: pool.id, JobId: job.JobId }));
    expect((await upload(job.PreSignedUrl, csv(HEADER, 'bob,bob@example.com,true'))).status).toBe(
      200,
    );
    f.twin.knobs.uploadAfterStart = 'refused';
    expect((await upload(job.PreSignedUrl, csv(HEADER, 'cy,cy@example.com,true'))).status).toBe(
      403,
    );
    await f.cognito.send(new StopUserImportJobCommand({ UserPoolId: pool.id, JobId: job.JobId }));
  });
});

describe('the per-file quotas of an import job', () => {
  const describeJob = (poolId: string, jobId: string) => async () =>
    (await f.cognito.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId })))
      .UserImportJob ?? {};

  it('fails a real file of 500,001 users before importing any, and starts one of 500,000', async () => {
    const pool = await createPool();
    const file = (n: number) =>
      `${HEADER}\n${Array.from({ length: n }, (_, i) => `u${i},u${i}@e.co,true\n`).join('')}`;
    const over = await importCsv(f, pool.id, file(500_001));
    expect(over).toMatchObject({ Status: 'Failed', ImportedUsers: 0, FailedUsers: 0 });
    expect(over.CompletionMessage).toBe(
      'The CSV file has more than 500,000 users, the most one import job takes.',
    );
    const { UserImportJob } = await f.cognito.send(
      new CreateUserImportJobCommand({
        UserPoolId: pool.id,
        JobName: 'at',
        CloudWatchLogsRoleArn: ROLE_ARN,
      }),
    );
    const at = UserImportJob as { JobId: string; PreSignedUrl: string };
    // Blank lines are not users: the file stays within the quota.
    await upload(at.PreSignedUrl, `${file(500_000)}\n\n`);
    await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: pool.id, JobId: at.JobId }));
    await waitForJob(describeJob(pool.id, at.JobId), ['InProgress', 'Succeeded']);
    await f.cognito
      .send(new StopUserImportJobCommand({ UserPoolId: pool.id, JobId: at.JobId }))
      .catch(() => undefined);
  }, 60_000);

  it('fails a real file of 100,000,001 bytes without reading it', async () => {
    const pool = await createPool();
    const head = Buffer.from(`${HEADER}\nann,ann@example.com,true\n`);
    const body = Buffer.alloc(100_000_001, 0x20);
    head.copy(body);
    const job = await importCsv(f, pool.id, body);
    expect(job).toMatchObject({ Status: 'Failed', ImportedUsers: 0 });
    expect(job.CompletionMessage).toBe(
      'The CSV file is larger than 100,000,000 bytes, the most one import job takes.',
    );
  }, 60_000);

  it('counts blank lines as rows when blankLines is fail-row (lowered quotas)', async () => {
    await f.restart({ quotas: { maxRowsPerFile: 2 } });
    const pool = await createPool();
    const within = await importCsv(f, pool.id, csv(HEADER, 'a,a@e.co,true', '', 'b,b@e.co,true'));
    expect(within).toMatchObject({ Status: 'Succeeded', ImportedUsers: 2 });
    f.twin.knobs.blankLines = 'fail-row';
    const over = await importCsv(f, pool.id, csv(HEADER, 'c,c@e.co,true', '', 'd,d@e.co,true'));
    expect(over).toMatchObject({ Status: 'Failed', ImportedUsers: 0 });
  });
});

describe('request members the model does not know, and the settings the model constrains', () => {
  it('does not echo an unknown member back, and keeps the model members it does not act on (UserPoolTags)', async () => {
    const created = await rawCall('CreateUserPool', {
      PoolName: 'p',
      AutoVerifiedAttributes: ['email'],
      UserPoolTags: { team: 'identity' },
      Bogus: 'x',
    });
    expect(created.status).toBe(200);
    const pool = created.body.UserPool as Record<string, unknown>;
    expect(pool.Bogus).toBeUndefined();
    const { UserPool } = await f.cognito.send(
      new DescribeUserPoolCommand({ UserPoolId: pool.Id as string }),
    );
    expect(UserPool?.UserPoolTags).toEqual({ team: 'identity' });
    expect(UserPool).not.toHaveProperty('Bogus');
    const client = await rawCall('CreateUserPoolClient', {
      UserPoolId: pool.Id,
      ClientName: 'app',
      Bogus: 1,
    });
    expect(client.status).toBe(200);
    expect(client.body.UserPoolClient).not.toHaveProperty('Bogus');
  });

  it('refuses values of the wrong type, at any depth, with SerializationException', async () => {
    const top = await rawCall('ListUserPools', { MaxResults: '5' });
    expect(top).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
    const nested = await rawCall('CreateUserPool', {
      PoolName: 'p',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: 'yes' },
    });
    expect(nested).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
  });

  it.each([
    [
      { SmsVerificationMessage: 'no code' },
      "at 'smsVerificationMessage' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\\{####\\}.*",
    ],
    [
      { EmailVerificationSubject: '' },
      "Value '' at 'emailVerificationSubject' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      { Policies: { PasswordPolicy: { MinimumLength: 3 } } },
      "Value '3' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value greater than or equal to 6",
    ],
    [
      { UserPoolTier: 'PLATINUM' as 'LITE' },
      "Value 'PLATINUM' at 'userPoolTier' failed to satisfy constraint: Member must satisfy enum value set: [LITE, ESSENTIALS, PLUS]",
    ],
  ])('refuses the pool setting %j with the model constraint', async (input, message) => {
    const error = await failure(createPool(input as PoolInput));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain(message);
  });

  it('applies the OAuth rules to an app client with the errors the model declares', async () => {
    const pool = await createPool();
    const client = (input: Record<string, unknown>) =>
      f.cognito.send(
        new CreateUserPoolClientCommand({ UserPoolId: pool.id, ClientName: 'web', ...input }),
      );
    const oauth = {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code' as const],
      AllowedOAuthScopes: ['openid'],
    };
    expect(
      await failure(client({ ...oauth, CallbackURLs: ['http://example.com/cb'] })),
    ).toBeInstanceOf(InvalidParameterException);
    expect(
      await failure(
        client({
          ...oauth,
          CallbackURLs: ['https://example.com/cb'],
          AllowedOAuthScopes: ['nonexistent/scope'],
        }),
      ),
    ).toBeInstanceOf(ScopeDoesNotExistException);
    expect(
      await failure(client({ AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: [] })),
    ).toBeInstanceOf(InvalidOAuthFlowException);
    expect(
      await failure(client({ ...oauth, AllowedOAuthFlows: ['client_credentials'] })),
    ).toBeInstanceOf(InvalidOAuthFlowException);
    const { UserPoolClient } = await client({
      ...oauth,
      CallbackURLs: ['http://localhost:3000/cb'],
    });
    const described = await f.cognito.send(
      new DescribeUserPoolClientCommand({
        UserPoolId: pool.id,
        ClientId: UserPoolClient?.ClientId as string,
      }),
    );
    expect(described.UserPoolClient).toMatchObject({
      CallbackURLs: ['http://localhost:3000/cb'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'],
      AllowedOAuthFlowsUserPoolClient: true,
    });
  });
});

describe('the password policy DescribeUserPool shows', () => {
  const policyOf = async (input: PoolInput) => {
    const pool = await createPool(input);
    const { UserPool } = await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.id }));
    return { pool, policies: UserPool?.Policies };
  };

  it('is complete: the rules a given policy leaves out are off, and 0 validity days means 7', async () => {
    const { pool, policies } = await policyOf({
      Policies: { PasswordPolicy: { MinimumLength: 10, TemporaryPasswordValidityDays: 0 } },
    });
    expect(policies?.PasswordPolicy).toEqual({
      MinimumLength: 10,
      RequireUppercase: false,
      RequireLowercase: false,
      RequireNumbers: false,
      RequireSymbols: false,
      TemporaryPasswordValidityDays: 7,
    });
    // And it is the policy passwords are held to.
    await importCsv(f, pool.id, csv(HEADER, 'ann,ann@example.com,true'));
    const set = (Password: string) =>
      f.cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool.id,
          Username: 'ann',
          Password,
          Permanent: true,
        }),
      );
    await expect(set('lowercase only')).resolves.toBeDefined();
    await expect(set('too short')).rejects.toThrow(/Password not long enough/);
  });

  it('has the rules on when omittedPasswordRules is on', async () => {
    f.twin.knobs.omittedPasswordRules = 'on';
    const { policies } = await policyOf({ Policies: { PasswordPolicy: { MinimumLength: 10 } } });
    expect(policies?.PasswordPolicy).toMatchObject({
      RequireUppercase: true,
      RequireSymbols: true,
    });
  });

  it("is Cognito's default when the request sets only a sign-in policy", async () => {
    const { policies } = await policyOf({
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
    });
    expect(policies).toEqual({
      PasswordPolicy: {
        MinimumLength: 8,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
        TemporaryPasswordValidityDays: 7,
      },
      SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] },
    });
  });
});

describe('imported users of a pool that signs in without passwords', () => {
  it('are CONFIRMED when a one-time code can reach them, RESET_REQUIRED otherwise', async () => {
    const pool = await createPool({
      AutoVerifiedAttributes: ['email', 'phone_number'],
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
    });
    await importCsv(
      f,
      pool.id,
      csv(
        'cognito:username,email,email_verified,phone_number,phone_number_verified',
        'erin,erin@example.com,true,,',
        'phil,,,+14325551212,true',
      ),
    );
    const status = async (Username: string) =>
      (await f.cognito.send(new AdminGetUserCommand({ UserPoolId: pool.id, Username }))).UserStatus;
    expect(await status('erin')).toBe('CONFIRMED');
    expect(await status('phil')).toBe('RESET_REQUIRED');
  });
});

describe('ListUsers and AdminGetUser details', () => {
  it('matches cognito:user_status without regard to case, and status with', async () => {
    const pool = await createPool();
    await importCsv(f, pool.id, csv(HEADER, 'ann,ann@example.com,true'));
    expect(await usersWith(pool.id, 'cognito:user_status = "reset_required"')).toHaveLength(1);
    expect(await usersWith(pool.id, 'cognito:user_status ^= "Reset"')).toHaveLength(1);
    expect(await usersWith(pool.id, 'status = "Enabled"')).toHaveLength(1);
    expect(await usersWith(pool.id, 'status = "enabled"')).toHaveLength(0);
  });

  it('refuses AttributesToGet naming an attribute some user in the results has no value for', async () => {
    const pool = await createPool();
    await importCsv(
      f,
      pool.id,
      csv(`${HEADER},given_name`, 'ann,ann@example.com,true,Ann', 'bob,bob@example.com,true,'),
    );
    const list = (AttributesToGet: string[], Filter?: string) =>
      f.cognito.send(new ListUsersCommand({ UserPoolId: pool.id, AttributesToGet, Filter }));
    await expect(list(['given_name'])).rejects.toBeInstanceOf(InvalidParameterException);
    const { Users } = await list(['given_name'], 'username = "ann"');
    expect(Users?.[0]?.Attributes).toEqual([{ Name: 'given_name', Value: 'Ann' }]);
    const all = await list(['email']);
    expect(all.Users).toHaveLength(2);
  });

  it('leaves UserMFASettingList out for a user imported without MFA', async () => {
    const pool = await createPool({ MfaConfiguration: 'OPTIONAL' });
    await importCsv(
      f,
      pool.id,
      csv(`${HEADER},cognito:mfa_enabled`, 'ann,ann@example.com,true,false'),
    );
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: 'ann' }),
    );
    expect(user).not.toHaveProperty('UserMFASettingList');
  });
});

describe('validation as the service reports it', () => {
  it('reports both the pattern and the length for an empty value, without a sensitive value', async () => {
    const header = await failure(f.cognito.send(new GetCSVHeaderCommand({ UserPoolId: '' })));
    expect(header.message).toBe(
      "2 validation errors detected: Value '' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+; Value '' at 'userPoolId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const pool = await createPool();
    const client = await failure(
      f.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: pool.id, ClientId: '' })),
    );
    expect(client.message).toBe(
      "2 validation errors detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+; Value at 'clientId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('reports a list of scalars in one line, its members in brackets', async () => {
    const error = await failure(createPool({ AutoVerifiedAttributes: ['address' as 'email'] }));
    expect(error.message).toBe(
      "1 validation error detected: Value '[address]' at 'autoVerifiedAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]",
    );
  });

  it('matches \\s as Java does: a no-break space is not whitespace in a job name', async () => {
    const pool = await createPool();
    const error = await failure(
      f.cognito.send(
        new CreateUserImportJobCommand({
          UserPoolId: pool.id,
          JobName: 'has\u00a0nbsp',
          CloudWatchLogsRoleArn: ROLE_ARN,
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain(
      "at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
  });

  it('refuses an empty password and one with leading or trailing spaces, and takes inner spaces', async () => {
    const pool = await createPool({ Policies: { PasswordPolicy: { MinimumLength: 8 } } });
    await importCsv(f, pool.id, csv(HEADER, 'ann,ann@example.com,true'));
    const set = (Password: string) =>
      f.cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool.id,
          Username: 'ann',
          Password,
          Permanent: true,
        }),
      );
    for (const bad of ['', ' Passw0rd!', 'Passw0rd! ']) {
      const error = await failure(set(bad));
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toBe(
        "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$",
      );
    }
    await expect(set('Pass w0rd!')).resolves.toBeDefined();
  });

  it('requires the members a nested structure requires (ContextData)', async () => {
    const pool = await createPool();
    const error = await failure(
      f.cognito.send(
        new AdminInitiateAuthCommand({
          UserPoolId: pool.id,
          ClientId: 'abc',
          AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
          ContextData: { IpAddress: '1.2.3.4' } as never,
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(
      "3 validation errors detected: Value null at 'contextData.serverName' failed to satisfy constraint: Member must not be null; Value null at 'contextData.serverPath' failed to satisfy constraint: Member must not be null; Value null at 'contextData.httpHeaders' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('Regions and pages', () => {
  it('lists only the pools of the Region a request is signed for', async () => {
    const eu = new CognitoIdentityProviderClient({
      endpoint: f.twin.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const { UserPool } = await eu.send(new CreateUserPoolCommand({ PoolName: 'eu' }));
    expect(UserPool?.Id).toMatch(/^eu-west-1_/);
    await createPool();
    const euPools = await eu.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    expect(euPools.UserPools?.map((p) => p.Id)).toEqual([UserPool?.Id]);
    const usPools = await f.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    expect(usPools.UserPools?.every((p) => p.Id?.startsWith('us-east-1_'))).toBe(true);
    eu.destroy();
  });

  it('pages ListUserImportJobs at 50 jobs, the model list maximum, whatever MaxResults asks', async () => {
    const pool = await createPool();
    for (let i = 0; i < 51; i++)
      await f.cognito.send(
        new CreateUserImportJobCommand({
          UserPoolId: pool.id,
          JobName: `j${i}`,
          CloudWatchLogsRoleArn: ROLE_ARN,
        }),
      );
    const page = await f.cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: pool.id, MaxResults: 60 }),
    );
    expect(page.UserImportJobs).toHaveLength(50);
    const rest = await f.cognito.send(
      new ListUserImportJobsCommand({
        UserPoolId: pool.id,
        MaxResults: 60,
        PaginationToken: page.PaginationToken,
      }),
    );
    expect(rest.UserImportJobs).toHaveLength(1);
    expect(rest.PaginationToken).toBeUndefined();
  });
});

describe("the import jobs' CloudWatch Logs", () => {
  it('pages DescribeLogGroups, with ARNs in the pool Region and the account', async () => {
    const pools = [await createPool({ PoolName: 'a' }), await createPool({ PoolName: 'b' })];
    for (const pool of pools) await importCsv(f, pool.id, csv(HEADER, 'ann,ann@example.com,true'));
    const first = await f.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/cognito/userpools/', limit: 1 }),
    );
    expect(first.logGroups).toHaveLength(1);
    expect(first.logGroups?.[0]?.arn).toMatch(
      /^arn:aws:logs:us-east-1:123456789012:log-group:\/aws\/cognito\/userpools\/us-east-1_\w+\/[ab]:\*$/,
    );
    const second = await f.logs.send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: '/aws/cognito/userpools/',
        limit: 1,
        nextToken: first.nextToken,
      }),
    );
    expect(second.logGroups).toHaveLength(1);
    expect(second.nextToken).toBeUndefined();
  });

  it("answers faults with CloudWatch Logs' own errors", async () => {
    const logs = new CloudWatchLogsClient({
      endpoint: f.twin.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    f.twin.faults.add({ kind: 'throttle', operation: '*', count: 1 });
    await expect(logs.send(new DescribeLogGroupsCommand({}))).rejects.toBeInstanceOf(
      ThrottlingException,
    );
    f.twin.faults.add({ kind: 'internal-error', operation: 'DescribeLogGroups', count: 1 });
    await expect(logs.send(new DescribeLogGroupsCommand({}))).rejects.toBeInstanceOf(
      ServiceUnavailableException,
    );
    logs.destroy();
  });
});
