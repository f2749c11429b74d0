import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllowedPools } from '../../../src/cognito/allowed-pools.ts';
import { prepareImport } from '../../../src/workflow/prepare.ts';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityProviderClient);
/** A pool open to the pipeline under the default setting (tagged). */
const OPEN_POOL = {
  AutoVerifiedAttributes: ['email' as const],
  UserPoolTags: { 'cognito-import:allowed': 'true' },
};
beforeEach(() => {
  cognito.on(DescribeUserPoolCommand).resolves({ UserPool: OPEN_POOL });
});
afterEach(() => {
  s3.reset();
  cognito.reset();
});

const NOW = Date.parse('2026-11-27T10:00:00Z');
const deps = (config = {}) => ({
  s3: new S3Client({}),
  cognito: new CognitoIdentityProviderClient({}),
  config: {
    defaultOptions: { invalidRows: 'reject' as const, notify: true, deadlineSeconds: 3600 },
    maxObjectBytes: 1000,
    allowedUserPools: parseAllowedPools('tagged'),
    ...config,
  },
  now: () => NOW,
});
const execution = {
  id: 'arn:aws:states:us-east-1:1:execution:sm:run-1',
  name: 'run-1',
  startTime: '2026-11-27T10:00:00Z',
};

describe('prepareImport', () => {
  it('resolves the pool from the key, reads the object head and carries a deadline', async () => {
    // Prepare
    s3.on(HeadObjectCommand).resolves({ ContentLength: 120, ETag: '"abc"', VersionId: 'v1' });
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { Id: 'us-east-1_Pool1', ...OPEN_POOL } });
    // Act
    const run = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_Pool1/users.csv' }, execution },
      deps(),
    );
    // Assess
    expect(run).toMatchObject({
      run: 'run-1',
      userPoolId: 'us-east-1_Pool1',
      source: {
        bucket: 'imports',
        key: 'incoming/us-east-1_Pool1/users.csv',
        etag: 'abc',
        versionId: 'v1',
        size: 120,
      },
    });
    expect(run.rejected).toBeUndefined();
    expect(run.deadlineAt).toBe(NOW + 3600_000);
    expect(s3).toReceiveCommandWith(HeadObjectCommand, {
      Bucket: 'imports',
      Key: 'incoming/us-east-1_Pool1/users.csv',
    });
  });

  it('prefers the pool in the input, then the key, then the stage default', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const fromInput = await prepareImport(
      {
        input: {
          bucket: 'imports',
          key: 'uploads/us-east-1_Key1/a.csv',
          userPoolId: 'us-east-1_Input1',
        },
        execution,
      },
      deps(),
    );
    expect(fromInput.userPoolId).toBe('us-east-1_Input1');
    const fromDefault = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/a.csv' }, execution },
      deps({ defaultUserPoolId: 'us-east-1_Default1' }),
    );
    expect(fromDefault.userPoolId).toBe('us-east-1_Default1');
  });

  it('passes a pinned version and ETag to S3 and applies input options', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const run = await prepareImport(
      {
        input: {
          bucket: 'imports',
          key: 'incoming/us-east-1_P1/a.csv',
          versionId: 'v9',
          etag: 'e9',
          options: {
            invalidRows: 'skip',
            notify: false,
            deadlineSeconds: 600,
            passwordHashingAlgorithm: 'BCRYPT',
          },
        },
        execution,
      },
      deps(),
    );
    expect(s3).toReceiveCommandWith(HeadObjectCommand, { VersionId: 'v9', IfMatch: '"e9"' });
    expect(run.options).toEqual({
      invalidRows: 'skip',
      notify: false,
      deadlineSeconds: 600,
      passwordHashingAlgorithm: 'BCRYPT',
    });
    expect(run.deadlineAt).toBe(NOW + 600_000);
  });

  it.each([
    [null, /JSON object/],
    [{ key: 'incoming/a.csv' }, /"bucket" is missing/],
    [{ bucket: 'Bad_Bucket', key: 'incoming/a.csv' }, /not a valid S3 bucket name/],
    [{ bucket: 'imports' }, /"key" is missing/],
    [{ bucket: 'imports', key: 'a.csv', userPoolId: 'nope' }, /"userPoolId" is not a user pool id/],
    [
      { bucket: 'imports', key: 'a.csv', options: { invalidRows: 'maybe' } },
      /"options.invalidRows" must be "reject" or "skip"/,
    ],
    [
      { bucket: 'imports', key: 'a.csv', options: { passwordHashingAlgorithm: 'MD5' } },
      /passwordHashingAlgorithm/,
    ],
    [{ bucket: 'imports', key: 'a.csv', options: { deadlineSeconds: 5 } }, /deadlineSeconds/],
    [{ bucket: 'imports', key: 'a.csv', options: 'fast' }, /"options" must be an object/],
    [{ bucket: 'imports', key: 5 }, /"key" is missing/],
  ])('rejects the input %j with a reason a person can act on', async (input, reason) => {
    const run = await prepareImport({ input, execution }, deps());
    expect(run.rejected?.code).toBe('input.invalid');
    expect(run.rejected?.reason).toMatch(reason);
    expect(s3.calls()).toHaveLength(0);
  });

  it('rejects a run with no pool to import into', async () => {
    const run = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/users.csv' }, execution },
      deps(),
    );
    expect(run.rejected).toMatchObject({ code: 'pool.unresolved' });
  });

  it('rejects a missing object, a changed object, an empty one and one over the size limit', async () => {
    const input = { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' };
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    expect((await prepareImport({ input, execution }, deps())).rejected?.code).toBe(
      'object.not-found',
    );
    s3.reset()
      .on(HeadObjectCommand)
      .rejects(
        new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          $metadata: { httpStatusCode: 412 },
        }),
      );
    expect((await prepareImport({ input, execution }, deps())).rejected?.code).toBe(
      'object.changed',
    );
    s3.reset().on(HeadObjectCommand).resolves({ ContentLength: 0 });
    expect((await prepareImport({ input, execution }, deps())).rejected?.code).toBe('object.empty');
    s3.reset().on(HeadObjectCommand).resolves({ ContentLength: 5000 });
    const tooLarge = await prepareImport({ input, execution }, deps());
    expect(tooLarge.rejected?.code).toBe('object.too-large');
    expect(tooLarge.source.size).toBe(5000);
  });

  it('rejects an unknown pool and a pool that auto-verifies nothing', async () => {
    const input = { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' };
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    cognito
      .on(DescribeUserPoolCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    expect((await prepareImport({ input, execution }, deps())).rejected?.code).toBe(
      'pool.not-found',
    );
    cognito
      .reset()
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { ...OPEN_POOL, AutoVerifiedAttributes: [] } });
    expect((await prepareImport({ input, execution }, deps())).rejected?.code).toBe(
      'pool.no-auto-verified',
    );
  });

  it('reads the pool from a nested key, and sends only files directly under incoming/ to the default', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const nested = await prepareImport(
      {
        input: { bucket: 'imports', key: 'incoming/us-east-1_Pool1/2026/12/users.csv' },
        execution,
      },
      deps({ defaultUserPoolId: 'us-east-1_Default1' }),
    );
    expect(nested.rejected).toBeUndefined();
    expect(nested.userPoolId).toBe('us-east-1_Pool1');
    expect(cognito).toReceiveCommandWith(DescribeUserPoolCommand, {
      UserPoolId: 'us-east-1_Pool1',
    });
    const noPool = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/not-a-pool/users.csv' }, execution },
      deps({ defaultUserPoolId: 'us-east-1_Default1' }),
    );
    expect(noPool.rejected).toMatchObject({
      code: 'key.no-pool-folder',
      reason: expect.stringContaining('incoming/<userPoolId>/'),
    });
    expect(noPool.userPoolId).toBeUndefined();
  });

  it('refuses an untagged pool (pool.not-allowed) before it reads the object', async () => {
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { AutoVerifiedAttributes: ['email'], UserPoolTags: {} } });
    const run = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' }, execution },
      deps(),
    );
    expect(run.rejected).toMatchObject({
      code: 'pool.not-allowed',
      reason: expect.stringContaining('tag it cognito-import:allowed=true'),
    });
    expect(run.userPoolId).toBe('us-east-1_P1');
    expect(s3.calls()).toHaveLength(0);
  });

  it('takes an AccessDeniedException (IAM refusing the pool on AWS) as pool.not-allowed', async () => {
    const denied = Object.assign(
      new Error('not authorized to perform cognito-idp:DescribeUserPool'),
      {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      },
    );
    cognito.on(DescribeUserPoolCommand).rejects(denied);
    const run = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' }, execution },
      deps(),
    );
    expect(run.rejected).toMatchObject({
      code: 'pool.not-allowed',
      reason: expect.stringContaining('AccessDeniedException'),
    });
    expect(s3.calls()).toHaveLength(0);
  });

  it('with a list of pools, imports into those only, whatever their tags, without asking Cognito for others', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { AutoVerifiedAttributes: ['email'] } });
    const config = { allowedUserPools: parseAllowedPools('us-east-1_P1, us-east-1_P2') };
    const listed = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_P2/a.csv' }, execution },
      deps(config),
    );
    expect(listed.rejected).toBeUndefined();
    cognito.resetHistory();
    const other = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_P3/a.csv' }, execution },
      deps(config),
    );
    expect(other.rejected).toMatchObject({ code: 'pool.not-allowed' });
    expect(cognito.calls()).toHaveLength(0);
  });

  it('with "any", imports into an untagged pool but not into one tagged false', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const config = { allowedUserPools: parseAllowedPools('any') };
    const input = { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' };
    cognito
      .on(DescribeUserPoolCommand)
      .resolves({ UserPool: { AutoVerifiedAttributes: ['email'] } });
    expect((await prepareImport({ input, execution }, deps(config))).rejected).toBeUndefined();
    cognito.on(DescribeUserPoolCommand).resolves({
      UserPool: {
        AutoVerifiedAttributes: ['email'],
        UserPoolTags: { 'cognito-import:allowed': 'false' },
      },
    });
    expect((await prepareImport({ input, execution }, deps(config))).rejected?.code).toBe(
      'pool.not-allowed',
    );
  });

  it('lets throttling through so the state machine retries it', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
    });
    cognito.on(DescribeUserPoolCommand).rejects(throttled);
    await expect(
      prepareImport(
        { input: { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' }, execution },
        deps(),
      ),
    ).rejects.toThrow('Rate exceeded');
  });

  it('names an S3 5xx on HeadObject, which the SDK cannot name, a TransientServiceError', async () => {
    const unnamed = new S3ServiceException({
      name: 'Unknown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    s3.on(HeadObjectCommand).rejects(unnamed);
    const error = await prepareImport(
      { input: { bucket: 'imports', key: 'incoming/us-east-1_P1/a.csv' }, execution },
      deps(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TransientServiceError',
      message: 'ServiceUnavailable: S3 answered HeadObject with HTTP 503.',
      cause: unnamed,
    });
  });
});
