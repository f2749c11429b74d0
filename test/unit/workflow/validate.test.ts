import { Readable } from 'node:stream';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STANDARD_CSV_HEADER } from '../../../src/csv/index.ts';
import type { PreparedRun } from '../../../src/workflow/types.ts';
import { validateCsv } from '../../../src/workflow/validate.ts';

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

const run = (invalidRows: 'reject' | 'skip' = 'reject'): PreparedRun => ({
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
  options: { invalidRows, notify: true, deadlineSeconds: 3600 },
  deadlineAt: 0,
});
const body = (text: string) => ({ Body: Readable.from([Buffer.from(text)]) as never });
const deps = (maxRows = 500_000) => ({
  s3: new S3Client({ region: 'us-east-1' }),
  cognito: new CognitoIdentityProviderClient({}),
  config: { maxObjectBytes: 1_000_000, partLimits: { maxRows, maxBytes: 100_000_000 } },
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
