import {
  type CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { httpStatusOf, isAwsError } from '../aws/sdk-errors.ts';
import {
  ALLOWED_TAG_KEY,
  type AllowedPools,
  formatAllowedPools,
  poolAccess,
} from '../cognito/allowed-pools.ts';
import { isUserPoolId } from '../cognito/pool-id.ts';
import { type FunctionConfig, MAX_DEADLINE_SECONDS, MAX_POST_IMPORT_RATE } from '../config.ts';
import { TransientServiceError } from '../errors.ts';
import { resolvePool } from './target-pool.ts';
import type { Log } from './telemetry.ts';
import type {
  HashingAlgorithm,
  ImportOptions,
  PreparedRun,
  Rejection,
  SourceObject,
} from './types.ts';

export interface PrepareInput {
  input: unknown;
  execution: { id: string; name: string; startTime: string };
}

export interface PrepareDeps {
  s3: Pick<S3Client, 'send'>;
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  config: Pick<
    FunctionConfig,
    'defaultUserPoolId' | 'defaultOptions' | 'maxObjectBytes' | 'allowedUserPools'
  >;
  now: () => number;
  log?: Log;
}

const ALGORITHMS: readonly HashingAlgorithm[] = ['BCRYPT', 'SCRYPT', 'ARGON2ID', 'PBKDF2_SHA256'];
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

class InputProblem extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'InputProblem';
    this.code = code;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new InputProblem('input.invalid', `"${field}" must be a non-empty string.`);
  return value;
}

/** Checks the execution input against the contract; every problem is a sentence a person can act on. */
export function parseExecutionInput(raw: unknown, defaults: ImportOptions) {
  if (!isObject(raw))
    throw new InputProblem(
      'input.invalid',
      'The execution input must be a JSON object with "bucket" and "key".',
    );
  const bucket = raw.bucket;
  const key = raw.key;
  if (typeof bucket !== 'string' || bucket === '')
    throw new InputProblem(
      'input.invalid',
      '"bucket" is missing: name the S3 bucket that holds the CSV.',
    );
  if (!BUCKET.test(bucket))
    throw new InputProblem('input.invalid', `"bucket" is not a valid S3 bucket name.`);
  if (typeof key !== 'string' || key === '')
    throw new InputProblem('input.invalid', '"key" is missing: give the S3 key of the CSV.');
  if (Buffer.byteLength(key) > 1024)
    throw new InputProblem('input.invalid', '"key" is longer than the 1,024 bytes S3 allows.');
  const userPoolId = optionalString(raw, 'userPoolId');
  if (userPoolId !== undefined && !isUserPoolId(userPoolId))
    throw new InputProblem(
      'input.invalid',
      '"userPoolId" is not a user pool id (like us-east-1_AbC123).',
    );
  const versionId = optionalString(raw, 'versionId');
  const etag = optionalString(raw, 'etag');
  const given = raw.options ?? {};
  if (!isObject(given)) throw new InputProblem('input.invalid', '"options" must be an object.');
  const options: ImportOptions = { ...defaults };
  if (given.invalidRows !== undefined) {
    if (given.invalidRows !== 'reject' && given.invalidRows !== 'skip')
      throw new InputProblem('input.invalid', '"options.invalidRows" must be "reject" or "skip".');
    options.invalidRows = given.invalidRows;
  }
  if (given.passwordHashingAlgorithm !== undefined) {
    if (!ALGORITHMS.includes(given.passwordHashingAlgorithm as HashingAlgorithm))
      throw new InputProblem(
        'input.invalid',
        `"options.passwordHashingAlgorithm" must be one of ${ALGORITHMS.join(', ')}.`,
      );
    options.passwordHashingAlgorithm = given.passwordHashingAlgorithm as HashingAlgorithm;
  }
  if (given.notify !== undefined) {
    if (typeof given.notify !== 'boolean')
      throw new InputProblem('input.invalid', '"options.notify" must be true or false.');
    options.notify = given.notify;
  }
  if (given.deadlineSeconds !== undefined) {
    const d = given.deadlineSeconds;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 60 || d > MAX_DEADLINE_SECONDS)
      throw new InputProblem(
        'input.invalid',
        `"options.deadlineSeconds" must be a whole number from 60 to ${MAX_DEADLINE_SECONDS}.`,
      );
    options.deadlineSeconds = d;
  }
  if (given.existingUsers !== undefined) {
    if (given.existingUsers !== 'skip' && given.existingUsers !== 'update')
      throw new InputProblem(
        'input.invalid',
        '"options.existingUsers" must be "skip" or "update".',
      );
    options.existingUsers = given.existingUsers;
  }
  if (given.createGroups !== undefined) {
    if (typeof given.createGroups !== 'boolean')
      throw new InputProblem('input.invalid', '"options.createGroups" must be true or false.');
    options.createGroups = given.createGroups;
  }
  if (given.postImportRate !== undefined) {
    const r = given.postImportRate;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > MAX_POST_IMPORT_RATE)
      throw new InputProblem(
        'input.invalid',
        `"options.postImportRate" must be a whole number of requests per second from 1 to ${MAX_POST_IMPORT_RATE}.`,
      );
    options.postImportRate = r;
  }
  return { bucket, key, userPoolId, versionId, etag, options };
}

/**
 * Why IAM refused a pool. IAM decides before Cognito looks for the pool, so a pool that does not
 * exist is refused the same way as one that is closed.
 */
function deniedReason(allowed: AllowedPools, userPoolId: string): string {
  const denied = `IAM refused DescribeUserPool (AccessDeniedException), as it refuses a pool that is not open to this pipeline or does not exist`;
  if (allowed.mode === 'tagged')
    return `The user pool ${userPoolId} is not open to this pipeline: tag it ${ALLOWED_TAG_KEY}=true to allow imports into it (${denied}).`;
  if (allowed.mode === 'any')
    return `The user pool ${userPoolId} is not open to this pipeline: it is tagged ${ALLOWED_TAG_KEY}=false by its owner, or it does not exist (${denied}).`;
  return `The pipeline may not use the user pool ${userPoolId} under the allowedUserPools setting "${formatAllowedPools(allowed)}" (${denied}).`;
}

/**
 * Whether the run may use the pool, and what it auto-verifies. The allowed-pools setting is
 * checked here, before the object is read and long before any import job: against the list, or
 * against the pool's tags, which DescribeUserPool returns. On AWS, IAM refuses the same pools
 * (AccessDeniedException): that is a refusal too, not an error to retry.
 */
async function checkPool(
  deps: PrepareDeps,
  userPoolId: string,
): Promise<{ autoVerified: string[] } | { rejected: Rejection }> {
  const allowed = deps.config.allowedUserPools;
  const refused = (reason: string) => ({ rejected: { code: 'pool.not-allowed', reason } });
  if (allowed.mode === 'list') {
    const access = poolAccess(allowed, userPoolId, undefined);
    if (!access.allowed) return refused(access.reason);
  }
  let pool: { AutoVerifiedAttributes?: string[]; UserPoolTags?: Record<string, string> } = {};
  try {
    pool =
      (await deps.cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool ??
      {};
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException'))
      return {
        rejected: {
          code: 'pool.not-found',
          reason: `The user pool ${userPoolId} does not exist in this account and region.`,
        },
      };
    if (isAwsError(error, 'AccessDeniedException'))
      return refused(deniedReason(allowed, userPoolId));
    throw error;
  }
  if (allowed.mode !== 'list') {
    const access = poolAccess(allowed, userPoolId, pool.UserPoolTags);
    if (!access.allowed) return refused(access.reason);
  }
  return { autoVerified: pool.AutoVerifiedAttributes ?? [] };
}

/**
 * PrepareImport: checks the execution input, resolves the pool (input, then the key's pool
 * folder, then the stage default for files directly under incoming/), checks that the pipeline
 * may use the pool and that it exists, then the object (exists, not empty, not over the limit,
 * matches the pinned version or ETag), then that the pool auto-verifies an attribute. What other
 * systems send wrongly ends as a REJECTED run with a clear reason, never as a crash.
 *
 * @throws the SDK's throttling and service errors, which the state machine retries.
 */
export async function prepareImport(
  payload: PrepareInput,
  deps: PrepareDeps,
): Promise<PreparedRun> {
  const { execution } = payload;
  const raw = isObject(payload.input) ? payload.input : {};
  const base = {
    run: execution.name,
    executionArn: execution.id,
    startedAt: execution.startTime,
    options: deps.config.defaultOptions,
    deadlineAt: deps.now() + deps.config.defaultOptions.deadlineSeconds * 1000,
  };
  const fallbackSource: SourceObject = {
    bucket: typeof raw.bucket === 'string' ? raw.bucket : '',
    key: typeof raw.key === 'string' ? raw.key : '',
  };
  const reject = (
    rejection: Rejection,
    source = fallbackSource,
    userPoolId?: string,
  ): PreparedRun => {
    deps.log?.info('rejected the run', { code: rejection.code });
    return { ...base, source, ...(userPoolId ? { userPoolId } : {}), rejected: rejection };
  };
  let parsed: ReturnType<typeof parseExecutionInput>;
  try {
    parsed = parseExecutionInput(payload.input, deps.config.defaultOptions);
  } catch (error) {
    if (error instanceof InputProblem) return reject({ code: error.code, reason: error.message });
    throw error;
  }
  const source: SourceObject = { bucket: parsed.bucket, key: parsed.key };
  const target = resolvePool(parsed, deps.config.defaultUserPoolId);
  if ('rejected' in target) return reject(target.rejected, source);
  const { userPoolId } = target;
  const pool = await checkPool(deps, userPoolId);
  if ('rejected' in pool) return reject(pool.rejected, source, userPoolId);
  let head: HeadObjectCommandOutput;
  try {
    if (parsed.versionId) {
      // Events can arrive out of order: a run for a version that a newer upload replaced would
      // import stale users after the newer file's run. Only the newest version is imported.
      const current = await deps.s3.send(
        new HeadObjectCommand({ Bucket: parsed.bucket, Key: parsed.key }),
      );
      if (
        current.VersionId &&
        current.VersionId !== 'null' &&
        current.VersionId !== parsed.versionId
      )
        return reject(
          {
            code: 'object.superseded',
            reason: `A newer version of s3://${parsed.bucket}/${parsed.key} was uploaded after this one; only the newest version is imported (by its own run).`,
          },
          source,
          userPoolId,
        );
    }
    head = await deps.s3.send(
      new HeadObjectCommand({
        Bucket: parsed.bucket,
        Key: parsed.key,
        ...(parsed.versionId ? { VersionId: parsed.versionId } : {}),
        ...(parsed.etag
          ? { IfMatch: parsed.etag.startsWith('"') ? parsed.etag : `"${parsed.etag}"` }
          : {}),
      }),
    );
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404 || isAwsError(error, 'NotFound', 'NoSuchKey', 'NoSuchBucket'))
      return reject(
        {
          code: 'object.not-found',
          reason: `The object s3://${parsed.bucket}/${parsed.key} does not exist${parsed.versionId ? ' in that version' : ''}.`,
        },
        source,
        userPoolId,
      );
    if (status === 412)
      return reject(
        {
          code: 'object.changed',
          reason: 'The object has changed since the run was requested: its ETag no longer matches.',
        },
        source,
        userPoolId,
      );
    if (status === 403)
      return reject(
        { code: 'object.forbidden', reason: 'The pipeline is not allowed to read this object.' },
        source,
        userPoolId,
      );
    // A HEAD answer has no body, so the SDK cannot name S3's error ("Unknown"): name it as S3
    // would have, first in the message as for every TransientServiceError.
    if (status !== undefined && status >= 500)
      throw new TransientServiceError(
        `${status === 503 ? 'ServiceUnavailable' : 'InternalError'}: S3 answered HeadObject with HTTP ${status}.`,
        { cause: error },
      );
    throw error;
  }
  const size = head.ContentLength ?? 0;
  const etag = head.ETag?.replace(/"/g, '');
  const found: SourceObject = {
    ...source,
    ...(etag ? { etag } : {}),
    ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
    size,
  };
  if (size === 0)
    return reject(
      {
        code: 'object.empty',
        reason: 'The file is empty: it needs a header row and at least one user.',
      },
      found,
      userPoolId,
    );
  if (size > deps.config.maxObjectBytes)
    return reject(
      {
        code: 'object.too-large',
        reason: `The file is ${size.toLocaleString('en')} bytes, over the ${deps.config.maxObjectBytes.toLocaleString('en')} this pipeline accepts.`,
      },
      found,
      userPoolId,
    );
  if (pool.autoVerified.length === 0)
    return reject(
      {
        code: 'pool.no-auto-verified',
        reason: `The user pool ${userPoolId} auto-verifies neither email nor phone number, so Cognito will not start an import job for it.`,
      },
      found,
      userPoolId,
    );
  deps.log?.info('prepared', { userPoolId, bytes: size });
  return {
    ...base,
    options: parsed.options,
    deadlineAt: deps.now() + parsed.options.deadlineSeconds * 1000,
    source: found,
    userPoolId,
  };
}
