import { resolve } from 'node:path';
import { type AllowedPools, parseAllowedPools } from './cognito/allowed-pools.ts';

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
  /** ALLOWED_USER_POOLS as given, for the local twin's functions (checked where it is used). */
  allowedUserPools?: string;
}

export const DEFAULT_DATA_DIR = '.cognito-import';

/**
 * The longest a run may take before its import jobs are stopped (7 days). The state machine's
 * own TimeoutSeconds is this plus a day.
 */
export const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

/** The settings the CLI and the functions share, each read once from the same variable. */
function sharedSettings(env: NodeJS.ProcessEnv): {
  defaultUserPoolId?: string;
  stateMachineArn?: string;
} {
  return {
    ...(env.DEFAULT_USER_POOL_ID ? { defaultUserPoolId: env.DEFAULT_USER_POOL_ID } : {}),
    ...(env.STATE_MACHINE_ARN ? { stateMachineArn: env.STATE_MACHINE_ARN } : {}),
  };
}

export function readEnvConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): EnvConfig {
  return {
    dataDir: resolve(cwd, env.COGNITO_IMPORT_DATA_DIR || DEFAULT_DATA_DIR),
    endpointsFromEnv: Boolean(
      env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER || env.AWS_ENDPOINT_URL,
    ),
    ...sharedSettings(env),
    ...(env.ALLOWED_USER_POOLS ? { allowedUserPools: env.ALLOWED_USER_POOLS } : {}),
  };
}

export type InvalidRowsPolicy = 'reject' | 'skip';
/** What happens to a row whose user already exists: Cognito skips it, or the pipeline updates it. */
export type ExistingUsersPolicy = 'skip' | 'update';
export type HashingAlgorithm = 'BCRYPT' | 'SCRYPT' | 'ARGON2ID' | 'PBKDF2_SHA256';

/**
 * How a run imports: the stage's defaults (below), which an execution's input may override.
 * The options added after the first release are optional, so that a state written by an earlier
 * version still reads: absent means skip, false and {@link DEFAULT_POST_IMPORT_RATE}.
 */
export interface ImportOptions {
  invalidRows: InvalidRowsPolicy;
  passwordHashingAlgorithm?: HashingAlgorithm;
  notify: boolean;
  /** How long a part's import job may run before it is stopped. */
  deadlineSeconds: number;
  /**
   * `update`: after a part's job, each row Cognito skipped because its user exists gets its
   * attributes updated (AdminUpdateUserAttributes) and its groups added.
   */
  existingUsers?: ExistingUsersPolicy;
  /** Create the groups a file's `cognito:groups` column names that the pool lacks (else a row error). */
  createGroups?: boolean;
  /**
   * Requests per second of the post-import phase (AdminAddUserToGroup, AdminUpdateUserAttributes),
   * kept under Cognito's per-account quota of their category (docs/cognito-behaviour.md).
   */
  postImportRate?: number;
}

/** The post-import phase's rate unless set: under the 25 requests per second of Cognito's UserUpdate category. */
export const DEFAULT_POST_IMPORT_RATE = 20;
/** The most a run may ask for; higher quotas can be bought from AWS, never above this. */
export const MAX_POST_IMPORT_RATE = 1000;

/**
 * What the Lambdas are configured with: serverless.yml's `environment` in AWS, or the local
 * twin's host, which hands the same settings in (`overrideFunctionDeps`) rather than through the
 * process environment. Settings with a default have the stack's default; the ones only the
 * deployment can know (the ARNs) have none: see {@link REQUIRED_SETTINGS}.
 */
export interface FunctionConfig {
  /** The pool for keys directly under `incoming/`. */
  defaultUserPoolId?: string;
  /** The pools runs may import into (ALLOWED_USER_POOLS; `tagged` unless set). */
  allowedUserPools: AllowedPools;
  defaultOptions: ImportOptions;
  /** The role Cognito assumes to write the import's CloudWatch Logs. */
  logsRoleArn?: string;
  /** Where outcomes are published. */
  topicArn?: string;
  /** The state machine the starter starts. */
  stateMachineArn?: string;
  /** Objects larger than this are REJECTED (they are split into parts of at most 100 MB). */
  maxObjectBytes: number;
  /** The most a part may hold: Cognito's limits unless set lower (PART_MAX_ROWS, PART_MAX_BYTES). */
  partLimits: { maxRows: number; maxBytes: number };
  /** How Cognito numbers the lines of its import log (UNCONFIRMED: docs/cognito-behaviour.md, "CloudWatch Logs"): data rows from 1, or the file's lines. */
  cognitoLineNumbering: 'data' | 'file';
}

/**
 * The settings that have no default, by the variable that sets each and what it is for. A
 * function declares the ones it needs (functions/lib/task-handler.ts) and fails on its first
 * invocation, before it touches any service, when one is missing; a function that does not
 * need one never fails for its lack.
 */
export const REQUIRED_SETTINGS = {
  logsRoleArn: {
    variable: 'COGNITO_LOGS_ROLE_ARN',
    purpose: "the role Cognito assumes to write an import job's CloudWatch Logs",
  },
  topicArn: { variable: 'OUTCOME_TOPIC_ARN', purpose: 'the topic outcomes are published to' },
  stateMachineArn: {
    variable: 'STATE_MACHINE_ARN',
    purpose: 'the state machine the starter starts for each new CSV',
  },
} as const;

export type RequiredSetting = keyof typeof REQUIRED_SETTINGS;

/** A configuration in which the settings `K` are known to be set. */
export type ConfigWith<K extends RequiredSetting> = FunctionConfig &
  Required<Pick<FunctionConfig, K>>;

/**
 * Checks that the settings a function needs are set.
 *
 * @throws an Error naming each missing variable and what it is for.
 */
export function requireSettings<K extends RequiredSetting>(
  config: FunctionConfig,
  needs: readonly K[],
): ConfigWith<K> {
  const missing = needs.filter((name) => !config[name]);
  if (missing.length > 0)
    throw new Error(
      `Missing configuration: ${missing
        .map((name) => `${REQUIRED_SETTINGS[name].variable} (${REQUIRED_SETTINGS[name].purpose})`)
        .join('; ')}. serverless.yml sets it for every function; locally, the twin's host does.`,
    );
  return config as ConfigWith<K>;
}

/**
 * Whether a function traces with X-Ray: Powertools Tracer's own rule — in a Lambda execution
 * environment (not SAM's or Amplify's emulation), unless POWERTOOLS_TRACE_ENABLED=false. Read
 * before the tracer is loaded, because the X-Ray SDK is only worth its cold-start cost where it
 * traces (the local twin and the tests never load it).
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return (
    executionEnv !== '' &&
    executionEnv !== 'AWS_Lambda_amplify-mock' &&
    !env.AWS_SAM_LOCAL &&
    env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false'
  );
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, not "${value}".`);
  return n;
}

/**
 * Reads the functions' settings from environment variables (the process's, or any other set of
 * them), checking every value, and checking that `needs` are set.
 *
 * @throws an Error naming the variable, for a value that is not allowed or a needed one that is missing.
 */
export function readFunctionConfig<K extends RequiredSetting = never>(
  env: NodeJS.ProcessEnv = process.env,
  needs: readonly K[] = [],
): ConfigWith<K> {
  const invalidRows = (env.INVALID_ROWS_POLICY || 'reject') as InvalidRowsPolicy;
  if (invalidRows !== 'reject' && invalidRows !== 'skip')
    throw new Error(`INVALID_ROWS_POLICY must be reject or skip, not "${invalidRows}".`);
  const numbering = env.COGNITO_LINE_NUMBERING || 'data';
  if (numbering !== 'data' && numbering !== 'file')
    throw new Error(`COGNITO_LINE_NUMBERING must be data or file, not "${numbering}".`);
  const deadlineSeconds = positiveInt(
    env.IMPORT_DEADLINE_SECONDS,
    6 * 3600,
    'IMPORT_DEADLINE_SECONDS',
  );
  if (deadlineSeconds < 60 || deadlineSeconds > MAX_DEADLINE_SECONDS)
    throw new Error(
      `IMPORT_DEADLINE_SECONDS must be from 60 to ${MAX_DEADLINE_SECONDS}, not "${deadlineSeconds}".`,
    );
  const existingUsers = (env.EXISTING_USERS || 'skip') as ExistingUsersPolicy;
  if (existingUsers !== 'skip' && existingUsers !== 'update')
    throw new Error(`EXISTING_USERS must be skip or update, not "${existingUsers}".`);
  const createGroups = env.CREATE_GROUPS || 'false';
  if (createGroups !== 'true' && createGroups !== 'false')
    throw new Error(`CREATE_GROUPS must be true or false, not "${createGroups}".`);
  const postImportRate = positiveInt(
    env.POST_IMPORT_RATE,
    DEFAULT_POST_IMPORT_RATE,
    'POST_IMPORT_RATE',
  );
  if (postImportRate > MAX_POST_IMPORT_RATE)
    throw new Error(
      `POST_IMPORT_RATE must be at most ${MAX_POST_IMPORT_RATE}, not "${postImportRate}".`,
    );
  const { stateMachineArn, ...shared } = sharedSettings(env);
  return requireSettings(
    {
      ...shared,
      allowedUserPools: parseAllowedPools(env.ALLOWED_USER_POOLS),
      defaultOptions: {
        invalidRows,
        notify: env.NOTIFY !== 'false',
        deadlineSeconds,
        existingUsers,
        createGroups: createGroups === 'true',
        postImportRate,
      },
      ...(env.COGNITO_LOGS_ROLE_ARN ? { logsRoleArn: env.COGNITO_LOGS_ROLE_ARN } : {}),
      ...(env.OUTCOME_TOPIC_ARN ? { topicArn: env.OUTCOME_TOPIC_ARN } : {}),
      ...(stateMachineArn ? { stateMachineArn } : {}),
      maxObjectBytes: positiveInt(env.MAX_OBJECT_BYTES, 1_000_000_000, 'MAX_OBJECT_BYTES'),
      cognitoLineNumbering: numbering,
      partLimits: {
        maxRows: Math.min(positiveInt(env.PART_MAX_ROWS, 500_000, 'PART_MAX_ROWS'), 500_000),
        maxBytes: Math.min(
          positiveInt(env.PART_MAX_BYTES, 100_000_000, 'PART_MAX_BYTES'),
          100_000_000,
        ),
      },
    },
    needs,
  );
}
