import { Readable } from 'node:stream';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  GroupExistsException,
  LimitExceededException,
  ListGroupsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STANDARD_CSV_HEADER } from '../../../src/csv/index.ts';
import type { PreparedRun } from '../../../src/workflow/types.ts';
import { MAX_CREATED_GROUPS, validateCsv } from '../../../src/workflow/validate.ts';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityProviderClient);
// GetCSVHeader of a pool without custom attributes.
const HEADER = [...STANDARD_CSV_HEADER];

beforeEach(() => {
  cognito.on(DescribeUserPoolCommand).resolves({
    UserPool: { Id: 'us-east-1_P1', AutoVerifiedAttributes: ['email'], MfaConfiguration: 'OFF' },
  });
  cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: HEADER });
  s3.on(PutObjectCommand).resolves({});
});
afterEach(() => {
  s3.reset();
  cognito.reset();
});

const run = (
  invalidRows: 'reject' | 'skip' = 'reject',
  options: Partial<PreparedRun['options']> = {},
): PreparedRun => ({
  run: 'run-1',
  executionArn: 'arn',
  startedAt: '2026-11-27T10:00:00Z',
  source: {
    bucket: 'imports',
    key: 'incoming/us-east-1_P1/users.csv',
    etag: 'abc',
    versionId: 'v1',
  },
  userPoolId: 'us-east-1_P1',
  options: { invalidRows, notify: true, deadlineSeconds: 3600, ...options },
  deadlineAt: 0,
});
const body = (text: string) => ({ Body: Readable.from([Buffer.from(text)]) as never });
/** A clock that only moves when slept on, and the pauses taken. */
const clock = () => {
  let t = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => t,
    sleep: async (ms: number) => {
      pauses.push(ms);
      t += ms;
    },
  };
};
const deps = (maxRows = 500_000, time = clock()) => ({
  s3: new S3Client({ region: 'us-east-1' }),
  cognito: new CognitoIdentityProviderClient({}),
  config: { maxObjectBytes: 1_000_000, partLimits: { maxRows, maxBytes: 100_000_000 } },
  now: time.now,
  sleep: time.sleep,
});
const written = (key: string) => {
  const call = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key);
  const data = call?.args[0].input.Body;
  return data === undefined
    ? undefined
    : Buffer.isBuffer(data) || data instanceof Uint8Array
      ? Buffer.from(data).toString()
      : String(data);
};

describe('validateCsv', () => {
  it("reads the pinned object, writes the report, the parts in Cognito's dialect and the line map, and keeps only keys in the state", async () => {
    s3.on(GetObjectCommand).resolves(
      body(
        'cognito:username,email,email_verified,name\r\nann,ann@example.com,TRUE,"Doe, Ann"\r\nbob,bob@example.com,true,Bob\r\nceo,ceo@example.com,true,Cy\r\n',
      ),
    );
    const summary = await validateCsv(run(), deps(2));
    expect(s3).toReceiveCommandWith(GetObjectCommand, {
      Bucket: 'imports',
      Key: 'incoming/us-east-1_P1/users.csv',
      VersionId: 'v1',
      IfMatch: '"abc"',
    });
    expect(summary).toMatchObject({
      rows: 3,
      invalidRows: 0,
      reportKey: 'reports/run-1/validation.json',
    });
    expect(summary.rejected).toBeUndefined();
    expect(summary.parts).toEqual([
      {
        index: 1,
        bucket: 'imports',
        key: 'staging/run-1/part-0001.csv',
        mapKey: 'staging/run-1/lines.csv',
        rows: 2,
        bytes: expect.any(Number),
      },
      {
        index: 2,
        bucket: 'imports',
        key: 'staging/run-1/part-0002.csv',
        mapKey: 'staging/run-1/lines.csv',
        rows: 1,
        bytes: expect.any(Number),
      },
    ]);
    expect(written('staging/run-1/part-0001.csv')).toBe(
      'cognito:username,email,email_verified,name\nann,ann@example.com,true,Doe\\, Ann\nbob,bob@example.com,true,Bob\n',
    );
    expect(written('staging/run-1/lines.csv')).toContain('2,1,2,4,3,ceo');
    expect(JSON.parse(written('reports/run-1/validation.json') ?? '{}')).toMatchObject({
      valid: true,
      rows: 3,
      normalised: { quotedFields: expect.any(Number), crlf: 4, booleans: 1 },
    });
    expect(JSON.stringify(summary)).not.toContain('example.com');
  });

  it('gives each part of a file with mixed password hashes the algorithm its job is created with', async () => {
    const bcrypt = `$2b$10$${'a'.repeat(53)}`;
    const scrypt = '16384$8$1$abcdef01$0123456789abcdef';
    s3.on(GetObjectCommand).resolves(
      body(
        `cognito:username,email,email_verified,password_hash\nann,ann@example.com,true,${bcrypt}\nbob,bob@example.com,true,\ncy,cy@example.com,true,${scrypt}\n`,
      ),
    );
    const summary = await validateCsv(run(), deps());
    expect(summary.parts.map((p) => [p.index, p.passwordHashingAlgorithm, p.rows])).toEqual([
      [1, 'BCRYPT', 1],
      [2, undefined, 1],
      [3, 'SCRYPT', 1],
    ]);
    expect(summary.parts[1]).not.toHaveProperty('passwordHashingAlgorithm');
  });

  it('rejects a file with invalid rows under the reject policy and lists no parts', async () => {
    s3.on(GetObjectCommand).resolves(
      body(
        'cognito:username,email,email_verified\nann,ann@example.com,true\nbad user,b@example.com,true\n',
      ),
    );
    const summary = await validateCsv(run(), deps());
    expect(summary).toMatchObject({
      rows: 2,
      invalidRows: 1,
      parts: [],
      rejected: { code: 'rows.invalid' },
    });
    expect(summary.rejected?.reason).toMatch(/^1 of 2 rows are invalid/);
  });

  it('sets invalid rows aside under the skip policy and imports the rest', async () => {
    s3.on(GetObjectCommand).resolves(
      body(
        'cognito:username,email,email_verified\nann,ann@example.com,true\nbad user,b@example.com,true\n',
      ),
    );
    const summary = await validateCsv(run('skip'), deps());
    expect(summary).toMatchObject({
      rows: 2,
      invalidRows: 1,
      rejectedRowsKey: 'reports/run-1/rejected-rows.csv',
      parts: [{ rows: 1 }],
    });
    expect(written('reports/run-1/rejected-rows.csv')).toMatch(
      /^line,row,reasons,record\n3,2,username\.whitespace/,
    );
  });

  it('rejects a file whose header has a column the pool does not have', async () => {
    s3.on(GetObjectCommand).resolves(
      body('cognito:username,email,email_verified,shoe_size\nann,ann@example.com,true,9\n'),
    );
    const summary = await validateCsv(run(), deps());
    expect(summary.rejected).toMatchObject({ code: 'header.unknown' });
  });
});

describe('validateCsv with a cognito:groups column', () => {
  const GROUPS_FILE = [
    'cognito:username,email,email_verified,cognito:groups',
    'ann,ann@example.com,true,admins;staff',
    'bob,bob@example.com,true,',
    'cy,cy@example.com,true,staff',
    '',
  ].join('\n');

  /** The pool's groups, over two ListGroups pages. */
  const listGroups = (names = ['admins', 'staff']) => {
    cognito
      .on(ListGroupsCommand, { UserPoolId: 'us-east-1_P1', Limit: 60, NextToken: undefined })
      .resolves({
        Groups: names.slice(0, 1).map((GroupName) => ({ GroupName })),
        NextToken: 'page-2',
      })
      .on(ListGroupsCommand, { UserPoolId: 'us-east-1_P1', Limit: 60, NextToken: 'page-2' })
      .resolves({ Groups: names.slice(1).map((GroupName) => ({ GroupName })) });
  };

  it('follows ListGroups pages, keeps the column out of the parts and writes the memberships', async () => {
    listGroups();
    s3.on(GetObjectCommand).resolves(body(GROUPS_FILE));
    const summary = await validateCsv(run(), deps(2));
    expect(cognito).toHaveReceivedCommandTimes(ListGroupsCommand, 2);
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 0);
    expect(summary.rejected).toBeUndefined();
    expect(written('staging/run-1/part-0001.csv')).toBe(
      'cognito:username,email,email_verified\nann,ann@example.com,true\nbob,bob@example.com,true\n',
    );
    expect(written('staging/run-1/memberships.csv')).toBe(
      'part,part_row,groups\n1,1,admins;staff\n2,1,staff\n',
    );
    expect(summary.groups).toEqual({
      membershipsKey: 'staging/run-1/memberships.csv',
      rows: 2,
      memberships: 3,
      created: [],
      createdCount: 0,
    });
    expect(summary.parts.map((p) => p.groupRows)).toEqual([1, 1]);
  });

  it('rejects the file when a row names a group the pool lacks, without creating it', async () => {
    listGroups(['admins']);
    s3.on(GetObjectCommand).resolves(body(GROUPS_FILE));
    const summary = await validateCsv(run(), deps());
    expect(summary.rejected).toMatchObject({ code: 'rows.invalid' });
    expect(summary.rejected?.reason).toContain('2 of them name groups the user pool does not have');
    expect(summary.rejected?.reason).not.toContain('staff');
    expect(summary.parts).toEqual([]);
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 0);
    const report = JSON.parse(written('reports/run-1/validation.json') ?? '{}');
    expect(report.counts['groups.unknown']).toBe(2);
  });

  it('creates the missing groups under createGroups, a group made meanwhile being fine', async () => {
    listGroups(['admins']);
    cognito
      .on(CreateGroupCommand, { GroupName: 'staff' })
      .rejects(new GroupExistsException({ message: 'exists', $metadata: {} }))
      .on(CreateGroupCommand, { GroupName: 'new-team' })
      .resolves({});
    s3.on(GetObjectCommand).resolves(
      body(`${GROUPS_FILE}dee,dee@example.com,true,new-team;admins\n`),
    );
    const summary = await validateCsv(run('reject', { createGroups: true }), deps());
    expect(summary.rejected).toBeUndefined();
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 2);
    expect(cognito).toHaveReceivedCommandWith(CreateGroupCommand, {
      UserPoolId: 'us-east-1_P1',
      GroupName: 'new-team',
    });
    expect(summary.groups).toMatchObject({ rows: 3, memberships: 5, created: ['new-team'] });
    expect(summary.groups?.createdCount).toBe(1);
    expect(summary.parts).toEqual([expect.objectContaining({ rows: 4, groupRows: 3 })]);
  });

  it('paces CreateGroup under the quota of 5 a second per pool', async () => {
    listGroups([]);
    cognito.on(CreateGroupCommand).resolves({});
    s3.on(GetObjectCommand).resolves(body(`${GROUPS_FILE}dee,dee@example.com,true,third\n`));
    const time = clock();
    const summary = await validateCsv(run('reject', { createGroups: true }), deps(500_000, time));
    expect(summary.groups?.created).toEqual(['admins', 'staff', 'third']);
    expect(time.pauses).toEqual([250, 250]);
  });

  it('refuses a run that would create more groups than it can in its time', async () => {
    listGroups([]);
    // One new group per user, as a user can be in at most 100.
    const rows = Array.from(
      { length: MAX_CREATED_GROUPS + 1 },
      (_, i) => `u${i},u${i}@example.com,true,g${i}\n`,
    ).join('');
    s3.on(GetObjectCommand).resolves(
      body(`cognito:username,email,email_verified,cognito:groups\n${rows}`),
    );
    const summary = await validateCsv(run('reject', { createGroups: true }), deps());
    expect(summary.rejected).toMatchObject({ code: 'groups.too-many' });
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 0);
    expect(summary.parts).toEqual([]);
  });

  it('creates nothing for a file that is rejected anyway', async () => {
    listGroups(['admins']);
    s3.on(GetObjectCommand).resolves(body(`${GROUPS_FILE}bad user,b@example.com,true,new-team\n`));
    const summary = await validateCsv(run('reject', { createGroups: true }), deps());
    expect(summary.rejected).toMatchObject({ code: 'rows.invalid' });
    expect(cognito).toHaveReceivedCommandTimes(CreateGroupCommand, 0);
    expect(summary.groups).toMatchObject({ created: [], createdCount: 0 });
  });

  it('refuses the run when the pool cannot hold the groups to create', async () => {
    listGroups(['admins']);
    cognito
      .on(CreateGroupCommand)
      .rejects(new LimitExceededException({ message: 'too many', $metadata: {} }));
    s3.on(GetObjectCommand).resolves(body(GROUPS_FILE));
    const summary = await validateCsv(run('reject', { createGroups: true }), deps());
    expect(summary.rejected).toMatchObject({ code: 'groups.limit' });
    expect(summary.parts).toEqual([]);
  });

  it('lets other CreateGroup errors fail the task, for the state machine to retry', async () => {
    listGroups(['admins']);
    cognito
      .on(CreateGroupCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }));
    s3.on(GetObjectCommand).resolves(body(GROUPS_FILE));
    await expect(validateCsv(run('reject', { createGroups: true }), deps())).rejects.toMatchObject({
      name: 'TooManyRequestsException',
    });
  });

  it('neither lists the groups nor writes memberships for a file without the column', async () => {
    listGroups();
    s3.on(GetObjectCommand).resolves(
      body('cognito:username,email,email_verified\nann,ann@example.com,true\n'),
    );
    const summary = await validateCsv(run('reject', { createGroups: true }), deps());
    expect(summary.rejected).toBeUndefined();
    expect(summary).not.toHaveProperty('groups');
    expect(summary.parts[0]).not.toHaveProperty('groupRows');
    expect(cognito).toHaveReceivedCommandTimes(ListGroupsCommand, 0);
    expect(written('staging/run-1/memberships.csv')).toBeUndefined();
  });

  it('finds the column in a header after blank lines and split across chunks', async () => {
    listGroups();
    const text = `\n  \n${GROUPS_FILE}`;
    const bytes = Buffer.from(text);
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([
        bytes.subarray(0, 9),
        bytes.subarray(9, 30),
        bytes.subarray(30),
      ]) as never,
    });
    const summary = await validateCsv(run(), deps());
    expect(cognito).toHaveReceivedCommandTimes(ListGroupsCommand, 2);
    expect(summary.rejected).toBeUndefined();
    expect(summary.groups).toMatchObject({ rows: 2, memberships: 3 });
  });
});
