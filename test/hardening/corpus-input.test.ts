/**
 * The bad-execution-input corpus: what other systems send to StartExecution (or what the starter
 * makes of an S3 event), through the real workflow. Each ends REJECTED with a reason a person can
 * act on, before any import job exists, without a crash — or, for keys with spaces and unicode as
 * S3 encodes them, imports as it should. Proven elsewhere, not repeated: `{}`, a missing object
 * and a malformed pool id (test/workflow/paths.test.ts).
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedRun } from '../../src/local/twin.ts';
import { type ObjectCreatedEvent, toS3NotificationRecord } from '../../twin/s3/index.ts';
import { expectDenials } from '../iam/denials.ts';
import { csv, type Ended, type Fixture, HEADER, startFixture, users } from './fixture.ts';

expectDenials(
  /(-PrepareImportRole cognito-idp:DescribeUserPool|-SweepExecutionRole cognito-idp:ListUserImportJobs) /,
  'the closed pool and the pool that does not exist: IAM refuses them, as on AWS',
);

let f: Fixture;
let pool: string;
let unverified: string;
let closed: string;
/** How the next "Object Created" event reaches the starter (the EventBridge rule's place). */
let reshape: ((event: ObjectCreatedEvent) => unknown) | undefined;

beforeAll(async () => {
  f = await startFixture({
    cognito: { pace: { pendingMs: 20 } },
    deliverObjectCreated: (event, deliver) => deliver(reshape ? reshape(event) : event),
  });
  pool = await f.createPool();
  unverified = await f.createPool({ AutoVerifiedAttributes: [] });
  closed = await f.createPool({ UserPoolTags: {} });
});
afterAll(async () => {
  await f.stop();
});

// Under incoming/, which every role may read, but in no pool folder, so the input names the pool.
const KEY = () => 'incoming/good.upload';
const base = () => ({ bucket: f.twin.bucket, key: KEY(), userPoolId: pool });

interface InputCase {
  name: string;
  input: () => unknown;
  reason: RegExp;
}

const CASES: InputCase[] = [
  { name: 'an array', input: () => [base()], reason: /must be a JSON object/ },
  { name: 'a bare string', input: () => 'incoming/users.csv', reason: /must be a JSON object/ },
  {
    name: 'a bucket that is a number',
    input: () => ({ ...base(), bucket: 42 }),
    reason: /"bucket" is missing: name the S3 bucket/,
  },
  {
    name: 'a bucket name S3 does not allow',
    input: () => ({ ...base(), bucket: 'My_Bucket' }),
    reason: /"bucket" is not a valid S3 bucket name/,
  },
  {
    name: 'a bucket that does not exist',
    input: () => ({ ...base(), bucket: 'no-such-bucket-here' }),
    reason: /s3:\/\/no-such-bucket-here\/.* does not exist/,
  },
  {
    name: 'no key',
    input: () => ({ bucket: f.twin.bucket, userPoolId: pool }),
    reason: /"key" is missing/,
  },
  { name: 'an empty key', input: () => ({ ...base(), key: '' }), reason: /"key" is missing/ },
  {
    name: 'a key that is an object',
    input: () => ({ ...base(), key: { path: 'a.csv' } }),
    reason: /"key" is missing: give the S3 key of the CSV/,
  },
  {
    name: 'a key over 1,024 bytes',
    input: () => ({ ...base(), key: `uploads/${'é'.repeat(600)}.csv` }),
    reason: /longer than the 1,024 bytes S3 allows/,
  },
  {
    name: 'a pool id that is a number',
    input: () => ({ ...base(), userPoolId: 7 }),
    reason: /"userPoolId" must be a non-empty string/,
  },
  {
    name: 'an empty pool id',
    input: () => ({ ...base(), userPoolId: '' }),
    reason: /"userPoolId" must be a non-empty string/,
  },
  {
    name: 'a pool id with no region prefix',
    input: () => ({ ...base(), userPoolId: 'AbC123' }),
    reason: /"userPoolId" is not a user pool id/,
  },
  {
    // IAM decides before Cognito looks for the pool: with tagged pools (the default), a pool that
    // does not exist has no tag, and is refused as a closed one is, as on AWS.
    name: 'a pool that does not exist',
    input: () => ({ ...base(), userPoolId: 'us-east-1_Gone00000' }),
    reason: /The user pool us-east-1_Gone00000 is not open to this pipeline: .* or does not exist/,
  },
  {
    name: 'a pool that auto-verifies nothing',
    input: () => ({ ...base(), userPoolId: unverified }),
    reason: /auto-verifies neither email nor phone number/,
  },
  {
    name: 'a pool not open to the pipeline (not tagged cognito-import:allowed=true)',
    input: () => ({ ...base(), userPoolId: closed }),
    reason: /is not open to this pipeline: tag it cognito-import:allowed=true/,
  },
  {
    name: 'a key under incoming/ whose folder is not a pool id',
    input: () => ({ bucket: f.twin.bucket, key: 'incoming/team-a/2026/users.csv' }),
    reason: /The folder "team-a" under incoming\/ is not a user pool id/,
  },
  {
    name: 'a pool id the key contradicts (the file is in another pool folder)',
    input: () => ({ ...base(), key: `incoming/${pool}/users.upload`, userPoolId: unverified }),
    reason: /"userPoolId" names .* but the key is in the folder of/,
  },
  {
    name: 'no pool anywhere (no id, the key not under incoming/<pool>/, no default)',
    input: () => ({ bucket: f.twin.bucket, key: `uploads/${pool}/good.csv` }),
    reason: /No user pool: give "userPoolId"/,
  },
  {
    name: 'a pinned version that is not the current one',
    input: () => ({ ...base(), versionId: 'v-0000-old' }),
    reason: /A newer version of .* was uploaded after this one/,
  },
  {
    name: 'a pinned ETag that no longer matches',
    input: () => ({ ...base(), etag: '0123456789abcdef0123456789abcdef' }),
    reason: /The object has changed since the run was requested/,
  },
  {
    name: 'a version id that is a number',
    input: () => ({ ...base(), versionId: 3 }),
    reason: /"versionId" must be a non-empty string/,
  },
  {
    name: 'options that are not an object',
    input: () => ({ ...base(), options: 'skip' }),
    reason: /"options" must be an object/,
  },
  {
    name: 'an unknown invalid-rows policy',
    input: () => ({ ...base(), options: { invalidRows: 'ignore' } }),
    reason: /"options.invalidRows" must be "reject" or "skip"/,
  },
  {
    name: 'an unknown hashing algorithm',
    input: () => ({ ...base(), options: { passwordHashingAlgorithm: 'MD5' } }),
    reason:
      /"options.passwordHashingAlgorithm" must be one of BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256/,
  },
  {
    name: 'notify as a string',
    input: () => ({ ...base(), options: { notify: 'yes' } }),
    reason: /"options.notify" must be true or false/,
  },
  {
    name: 'a deadline under a minute',
    input: () => ({ ...base(), options: { deadlineSeconds: 30 } }),
    reason: /"options.deadlineSeconds" must be a whole number from 60 to 604800/,
  },
  {
    name: 'a deadline as a string',
    input: () => ({ ...base(), options: { deadlineSeconds: '600' } }),
    reason: /"options.deadlineSeconds" must be a whole number/,
  },
];

const results = new Map<string, Ended>();

beforeAll(async () => {
  await f.put(KEY(), csv(HEADER, ...users(2)));
  await Promise.all(
    CASES.map(async (c, i) => {
      results.set(c.name, await f.finish(f.start(c.input(), `input-${i}`)));
    }),
  );
});

describe(`${CASES.length} kinds of bad execution input`, () => {
  it('holds at least 15 kinds (with the null and oversized inputs below)', () => {
    expect(CASES.length + 2).toBeGreaterThanOrEqual(15);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { execution, outcome, states } = results.get(c.name) as Ended;
    // No crash, no import job: rejected before ValidateCsv, through ReportOutcome.
    expect(execution.error).toBe('CsvRejected');
    expect(states).toEqual([
      'PrepareImport',
      'IsPrepared',
      'ReportOutcome',
      'OutcomeStatus',
      'CsvRejected',
    ]);
    // The reason, in the outcome when there is a bucket to write it to, always in the cause.
    expect(execution.cause).toMatch(/^\[REJECTED\] /);
    if (outcome) expect(outcome.status).toBe('REJECTED');
    const reason = outcome?.reason ?? '';
    const notified = f.twin.sns
      .messages()
      .find((m) => m.message.includes(`"run":"${execution.name}"`));
    expect(notified, 'a notification').toBeDefined();
    expect(JSON.parse(notified?.message ?? '{}').reason ?? reason).toMatch(c.reason);
  });

  it('JSON null, which Step Functions cannot pass to PrepareImport: FAILED by the sweeper, with what to send', async () => {
    const { execution, states } = await f.finish(f.start(null, 'input-null'));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(states).toEqual(['PrepareImport']);
    const sent = f.twin.sns.messages().find((m) => m.message.includes('"run":"input-null"'));
    expect(JSON.parse(sent?.message ?? '{}')).toMatchObject({
      status: 'FAILED',
      reason: expect.stringMatching(/must be a JSON object with "bucket" and "key"\.$/),
      jobs: [],
    });
  });

  it('refuses an input over 256 KiB at StartExecution, with the size and the limit', async () => {
    const sfn = new SFNClient({
      endpoint: f.twin.sfn.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const before = f.twin.sfn.listExecutions('import-users').length;
    try {
      const input = JSON.stringify({ ...base(), padding: 'x'.repeat(262_144) });
      await expect(
        sfn.send(new StartExecutionCommand({ stateMachineArn: f.twin.stateMachineArn, input })),
      ).rejects.toMatchObject({
        name: 'InvalidExecutionInput',
        message: expect.stringMatching(/The input is 2\d{5} bytes; the limit is 262144/),
      });
    } finally {
      sfn.destroy();
    }
    expect(f.twin.sfn.listExecutions('import-users')).toHaveLength(before);
  });
});

describe('keys with spaces and unicode, as S3 encodes them', () => {
  async function dropVia(
    shape: (event: ObjectCreatedEvent) => unknown,
    key: string,
  ): Promise<StartedRun> {
    reshape = shape;
    try {
      const started = new Promise<StartedRun>((resolve) => {
        const on = (run: StartedRun) => {
          if (run.key !== key) return;
          f.twin.events.off('started', on);
          resolve(run);
        };
        f.twin.events.on('started', on);
      });
      await f.put(key, csv(HEADER, ...users(2, 0, `k${key.length}`)));
      return await started;
    } finally {
      reshape = undefined;
    }
  }

  it.each([
    ['a space', 'my users.csv'],
    ['unicode and a plus sign', 'Zoë + Łukasz (2026).csv'],
    ['an upper-case extension and percent signs', 'export 100%.CSV'],
    ['folders below the pool folder, a space and unicode', '2026/12/Zoë users.csv'],
  ])(
    'imports a key with %s through the classic S3 notification (form-encoded key)',
    async (_what, name) => {
      const key = `incoming/${pool}/${name}`;
      const run = await dropVia((event) => toS3NotificationRecord(event), key);
      const [result] = run.results;
      expect(result?.status).toBe('started');
      const { outcome } = await f.finish((result as { executionArn: string }).executionArn);
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', source: { key }, userPoolId: pool });
    },
  );

  it('imports the same keys from the EventBridge shape (plain key)', async () => {
    const key = `incoming/${pool}/Zoë + Łukasz (eventbridge).csv`;
    const run = await dropVia((event) => event, key);
    const [result] = run.results;
    const { outcome } = await f.finish((result as { executionArn: string }).executionArn);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', source: { key } });
  });
});

describe('after every input', () => {
  it('no import job is left running and no outcome is lost', async () => {
    expect(await f.violations()).toEqual([]);
  });
});
