import { resolve } from 'node:path';

/**
 * The only place that reads `process.env`. Functions and the CLI read their settings here once
 * and pass them on; nothing else in src/ looks at the environment.
 */
export interface EnvConfig {
  dataDir: string;
  /** The environment points the SDK at an endpoint (a twin run by `serve`, or any other). */
  endpointsFromEnv: boolean;
  /** The pool the CLI uses on AWS when none is named. */
  defaultUserPoolId?: string;
  /** The state machine `start` and `status` use when no flag names one. */
  stateMachineArn?: string;
}

export const DEFAULT_DATA_DIR = '.cognito-import';

/**
 * The longest a run may take before its import jobs are stopped (7 days). The state machine's
 * own TimeoutSeconds is this plus a day.
 */
export const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

export function readEnvConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): EnvConfig {
  return {
    dataDir: resolve(cwd, env.COGNITO_IMPORT_DATA_DIR || DEFAULT_DATA_DIR),
    endpointsFromEnv: Boolean(
      env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER || env.AWS_ENDPOINT_URL,
    ),
    ...(env.DEFAULT_USER_POOL_ID ? { defaultUserPoolId: env.DEFAULT_USER_POOL_ID } : {}),
    ...(env.STATE_MACHINE_ARN ? { stateMachineArn: env.STATE_MACHINE_ARN } : {}),
  };
}

export type InvalidRowsPolicy = 'reject' | 'skip';
export type HashingAlgorithm = 'BCRYPT' | 'SCRYPT' | 'ARGON2ID' | 'PBKDF2_SHA256';

/** How a run imports: the stage's defaults (below), which an execution's input may override. */
export interface ImportOptions {
  invalidRows: InvalidRowsPolicy;
  passwordHashingAlgorithm?: HashingAlgorithm;
  notify: boolean;
  /** How long a part's import job may run before it is stopped. */
  deadlineSeconds: number;
}

/** What the Lambdas are configured with (serverless.yml `environment`, or the local twin). */
export interface FunctionConfig {
  /** The pool for keys directly under `incoming/`. */
  defaultUserPoolId?: string;
  defaultOptions: ImportOptions;
  /** The role Cognito assumes to write the import's CloudWatch Logs. */
  logsRoleArn: string;
  /** Where outcomes are published; no topic, no notification. */
  topicArn?: string;
  stateMachineArn?: string;
  /** Objects larger than this are REJECTED (they are split into parts of at most 100 MB). */
  maxObjectBytes: number;
  /** The most a part may hold: Cognito's limits unless set lower (PART_MAX_ROWS, PART_MAX_BYTES). */
  partLimits: { maxRows: number; maxBytes: number };
  /** How Cognito numbers the lines of its import log (spec §4, UNCONFIRMED): data rows from 1, or the file's lines. */
  cognitoLineNumbering: 'data' | 'file';
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, not "${value}".`);
  return n;
}

export function readFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const invalidRows = (env.INVALID_ROWS_POLICY || 'reject') as InvalidRowsPolicy;
  if (invalidRows !== 'reject' && invalidRows !== 'skip')
    throw new Error(`INVALID_ROWS_POLICY must be reject or skip, not "${invalidRows}".`);
  const numbering = env.COGNITO_LINE_NUMBERING || 'data';
  if (numbering !== 'data' && numbering !== 'file')
    throw new Error(`COGNITO_LINE_NUMBERING must be data or file, not "${numbering}".`);
  return {
    ...(env.DEFAULT_USER_POOL_ID ? { defaultUserPoolId: env.DEFAULT_USER_POOL_ID } : {}),
    defaultOptions: {
      invalidRows,
      notify: env.NOTIFY !== 'false',
      deadlineSeconds: positiveInt(
        env.IMPORT_DEADLINE_SECONDS,
        6 * 3600,
        'IMPORT_DEADLINE_SECONDS',
      ),
    },
    logsRoleArn: env.COGNITO_LOGS_ROLE_ARN || 'arn:aws:iam::123456789012:role/cognito-import-logs',
    ...(env.OUTCOME_TOPIC_ARN ? { topicArn: env.OUTCOME_TOPIC_ARN } : {}),
    ...(env.STATE_MACHINE_ARN ? { stateMachineArn: env.STATE_MACHINE_ARN } : {}),
    maxObjectBytes: positiveInt(env.MAX_OBJECT_BYTES, 1_000_000_000, 'MAX_OBJECT_BYTES'),
    cognitoLineNumbering: numbering,
    partLimits: {
      maxRows: Math.min(positiveInt(env.PART_MAX_ROWS, 500_000, 'PART_MAX_ROWS'), 500_000),
      maxBytes: Math.min(
        positiveInt(env.PART_MAX_BYTES, 100_000_000, 'PART_MAX_BYTES'),
        100_000_000,
      ),
    },
  };
}
