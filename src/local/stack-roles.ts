import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PolicyDocument, RoleDefinition } from '../../twin/index.ts';
import {
  type CfnResource,
  type CfnTemplate,
  evaluate,
  parameterValues,
  type Resolver,
  resolveScenario,
} from './cfn.ts';

/**
 * The IAM roles of the stack as serverless.yml packages them, read with the twin's account,
 * region and resource names: what the twin enforces on the functions it runs.
 *
 * `osls print` resolves serverless.yml's own variables (`${self:service}`, `${sls:stage}`,
 * `${param:…}`, `${file(…)}`) with no AWS credentials and no network; its output is cached under
 * node_modules/.cache/ by a fingerprint of serverless.yml, resources/, plugins/ and package.json, so a
 * change to any of them is read on the next start with no step to remember, and an unchanged
 * stack costs one file read. CloudFormation's part (the parameters with the twin's
 * allowed-pools setting, the Conditions, Fn::If, Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split,
 * Fn::Select) is then worked out by cfn.ts against the twin's names.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'cognito-import-pipeline', 'stack-print');

/** The stage the twin stands for (functions are named `<service>-local-<key>`) and its region. */
const STAGE = 'local';
const REGION = 'us-east-1';

/** What the twin calls the stack's resources it runs itself. */
export interface TwinNames {
  account: string;
  region: string;
  bucket: string;
  stateMachine: string;
  topic: string;
  logsRoleArn: string;
}

/** The logical ids of the stack's resources the twin stands in for. */
const STANDS_FOR = {
  bucket: 'ImportBucket',
  stateMachine: 'ImportUsersStateMachine',
  topic: 'OutcomeTopic',
  logsRole: 'CognitoImportLogsRole',
} as const;

export interface StackRoles {
  roles: RoleDefinition[];
  /** Each function (its key in serverless.yml) and the name of its role. */
  functionRoles: Record<string, string>;
  /** The role the state machine runs with. */
  stateMachineRole: string | undefined;
  /** The KMS key ARN of each encrypted topic the twin serves, by its twin name. */
  topicKeys: Record<string, string>;
  /** The aliases of the state machine the twin runs (`live`), which starts may go through. */
  stateMachineAliases: string[];
  /** Whether the state machine invokes its functions' published versions (useExactVersion). */
  invokesVersions: boolean;
  /**
   * Each function's own settings that name the stack's resources, read with the twin's names
   * (the starter's STATE_MACHINE_ARN, the alias `live`).
   */
  functionEnvironment: Record<string, Record<string, string>>;
  /** Each function's timeout in seconds, by its key (the provider's when it sets none). */
  functionTimeouts: Record<string, number>;
}

/** The part of `osls print --format json` that is read. */
interface PrintedService {
  service: string;
  provider?: { timeout?: unknown };
  functions: Record<
    string,
    { name: string; role?: unknown; environment?: Record<string, unknown>; timeout?: unknown }
  >;
  stepFunctions?: {
    stateMachines?: Record<
      string,
      { id?: string; name: string; role?: unknown; useExactVersion?: boolean }
    >;
  };
  resources: CfnTemplate;
}

/** Where the stack is read from, and where its print is cached (tests give their own). */
export interface StackSource {
  root: string;
  cacheDir: string;
}

const PROJECT: StackSource = { root: ROOT, cacheDir: CACHE };

/** Everything `osls print` reads to produce the roles. */
function fingerprint(root: string): string {
  const hash = createHash('sha256');
  const files = ['serverless.yml', 'package.json'];
  for (const dir of ['resources', 'plugins'])
    if (existsSync(join(root, dir)))
      for (const entry of readdirSync(join(root, dir)).sort()) files.push(`${dir}/${entry}`);
  for (const file of files) {
    const full = join(root, file);
    if (!existsSync(full) || statSync(full).isDirectory()) continue;
    hash.update(`${file}\n`).update(readFileSync(full));
  }
  return hash.update(`${STAGE} ${REGION}`).digest('hex').slice(0, 32);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `osls print` in an environment with no AWS settings and an empty HOME (as packaging runs). */
async function print(root: string): Promise<string> {
  const osls = join(root, 'node_modules', '.bin', 'osls');
  if (!existsSync(osls))
    throw new Error(
      'The local twin reads its IAM policies from serverless.yml with osls, which is not installed. Run `npm ci` (the development dependencies included).',
    );
  const home = mkdtempSync(join(tmpdir(), 'cognito-import-print-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(AWS_|SLS_|SERVERLESS_)/.test(name)) env[name] = value;
  try {
    const { stdout } = await promisify(execFile)(
      osls,
      ['print', '--format', 'json', '--stage', STAGE, '--region', REGION],
      {
        cwd: root,
        env: {
          ...env,
          HOME: home,
          PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
          NO_COLOR: '1',
        },
        timeout: 120_000,
        maxBuffer: 32 << 20,
      },
    );
    JSON.parse(stdout);
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `The local twin could not read serverless.yml's IAM roles (osls print failed): ${(stderr ?? (error as Error).message).trim().split('\n').slice(-5).join(' ')}`,
      { cause: error },
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The printed service, from the cache when serverless.yml and resources/ are unchanged. Several
 * processes starting at once (test workers) print it once: the first takes a lock, the others
 * wait for its file.
 */
async function printedService({ root, cacheDir }: StackSource): Promise<PrintedService> {
  const file = join(cacheDir, `${fingerprint(root)}.json`);
  const lock = `${file}.lock`;
  mkdirSync(cacheDir, { recursive: true });
  for (const waitUntil = Date.now() + 180_000; ; ) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PrintedService;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process prints it; a lock older than two minutes is one that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true });
      } catch {
        // Gone meanwhile.
      }
      if (Date.now() > waitUntil) throw new Error(`Timed out waiting for ${lock}.`);
      await sleep(200);
    }
  }
  try {
    const text = await print(root);
    // A few stacks are kept (an edit undone is read at once); older ones go.
    const kept = readdirSync(cacheDir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => ({ name, at: statSync(join(cacheDir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of kept.slice(3)) rmSync(join(cacheDir, old.name), { force: true });
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    return JSON.parse(text) as PrintedService;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const capitalized = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

/** A stand-in for the unique id AWS gives a KMS key: stable per logical id. */
const keyId = (logicalId: string) => {
  const h = createHash('sha256').update(logicalId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The logical id a function's `role` (or a state machine's) names. */
function roleId(role: unknown, owner: string): string {
  if (typeof role === 'string' && !role.startsWith('arn:')) return role;
  const getAtt = (role as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return String(getAtt[0]);
  throw new Error(
    `${owner} names its role as ${JSON.stringify(role)}: the twin enforces only roles defined in the stack (a logical id or Fn::GetAtt [Role, Arn]).`,
  );
}

/** Every value of a policy document worked out to strings. */
function resolveDeep(
  node: unknown,
  parameters: Record<string, string>,
  resolver: Resolver,
): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveDeep(item, parameters, resolver));
  if (typeof node !== 'object' || node === null) return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && (keys[0] === 'Ref' || (keys[0] as string).startsWith('Fn::')))
    return evaluate(node, parameters, resolver);
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, resolveDeep(value, parameters, resolver)]),
  );
}

/**
 * The stack's roles read for the twin: the functions' roles and the state machine's, with their
 * inline policies and the AWS::IAM::Policy / ManagedPolicy resources of the stack attached to
 * them, every reference resolved to the twin's names.
 *
 * @throws Error when a role or policy is one the twin cannot know (an AWS managed policy, a role
 *   outside the stack): never silently allowing what it cannot evaluate.
 */
export async function loadStackRoles(options: {
  allowedUserPools: string;
  names: TwinNames;
  source?: StackSource;
}): Promise<StackRoles> {
  return resolveStackRoles(await printedService(options.source ?? PROJECT), options);
}

export function resolveStackRoles(
  printed: PrintedService,
  options: { allowedUserPools: string; names: TwinNames },
): StackRoles {
  const { names } = options;
  const stack = `${printed.service}-${STAGE}`;
  const resources: Record<string, CfnResource> = { ...printed.resources.Resources };
  for (const [key, fn] of Object.entries(printed.functions))
    resources[`${capitalized(key)}LambdaFunction`] = {
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: fn.name },
    };
  const machines = printed.stepFunctions?.stateMachines ?? {};
  for (const [key, machine] of Object.entries(machines))
    resources[machine.id ?? `${capitalized(key)}StepFunctionsStateMachine`] = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineName: machine.name },
    };
  const template = resolveScenario(
    { ...printed.resources, Resources: resources },
    { AllowedUserPools: options.allowedUserPools },
  );
  const parameters = {
    ...parameterValues(printed.resources, { AllowedUserPools: options.allowedUserPools }),
    'AWS::AccountId': names.account,
    'AWS::Region': names.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stack,
  };
  const { account, region } = names;
  const roleName = (id: string) =>
    id === STANDS_FOR.logsRole ? (names.logsRoleArn.split('/').pop() as string) : `${stack}-${id}`;
  const deployedMachineName = (id: string) =>
    String(template.Resources[id]?.Properties.StateMachineName ?? '');
  const machineName = (id: string) =>
    id === STANDS_FOR.stateMachine ? names.stateMachine : deployedMachineName(id);
  const topicName = (id: string) =>
    id === STANDS_FOR.topic
      ? names.topic
      : String(template.Resources[id]?.Properties.TopicName ?? `${stack}-${id}`);
  const physical = (id: string, property: string, fallback: string) =>
    String(template.Resources[id]?.Properties[property] ?? fallback);
  const refId = (node: unknown) => String((node as { Ref?: unknown } | undefined)?.Ref ?? '');
  /** The state machine a version (StateMachineArn: Ref) or an alias (through its version) is of. */
  const machineOf = (id: string): string | undefined => {
    const resource = template.Resources[id];
    if (resource?.Type === 'AWS::StepFunctions::StateMachineVersion')
      return refId(resource.Properties.StateMachineArn);
    if (resource?.Type === 'AWS::StepFunctions::StateMachineAlias') {
      const routes = (resource.Properties.RoutingConfiguration ?? []) as {
        StateMachineVersionArn?: unknown;
      }[];
      const deployment = resource.Properties.DeploymentPreference as
        | { StateMachineVersionArn?: unknown }
        | undefined;
      const version = refId(
        routes[0]?.StateMachineVersionArn ?? deployment?.StateMachineVersionArn,
      );
      return version ? machineOf(version) : undefined;
    }
    return undefined;
  };

  const arnOf = (id: string): string | undefined => {
    const type = template.Resources[id]?.Type;
    switch (type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${refOf(id)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${topicName(id)}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${machineName(id)}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${account}:key/${keyId(id)}`;
      case 'AWS::IAM::Role':
        return id === STANDS_FOR.logsRole
          ? names.logsRoleArn
          : `arn:aws:iam::${account}:role/${roleName(id)}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${physical(id, 'FunctionName', `${stack}-${id}`)}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${physical(id, 'QueueName', `${stack}-${id}`)}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${physical(id, 'LogGroupName', `${stack}-${id}`)}:*`;
      // The twin keeps one version of its state machine, its definition: version 1.
      case 'AWS::StepFunctions::StateMachineVersion': {
        const machine = machineOf(id);
        return machine ? `${arnOf(machine)}:1` : undefined;
      }
      case 'AWS::StepFunctions::StateMachineAlias': {
        const machine = machineOf(id);
        return machine ? `${arnOf(machine)}:${physical(id, 'Name', id)}` : undefined;
      }
      default:
        return undefined;
    }
  };
  function refOf(id: string): string | undefined {
    const type = template.Resources[id]?.Type;
    switch (type) {
      case 'AWS::S3::Bucket':
        return id === STANDS_FOR.bucket
          ? names.bucket
          : physical(id, 'BucketName', `${stack}-${id}`.toLowerCase());
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::StepFunctions::StateMachineVersion':
      case 'AWS::StepFunctions::StateMachineAlias':
        return arnOf(id);
      case 'AWS::KMS::Key':
        return keyId(id);
      case 'AWS::IAM::Role':
        return roleName(id);
      case 'AWS::Lambda::Function':
        return physical(id, 'FunctionName', `${stack}-${id}`);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${physical(id, 'QueueName', `${stack}-${id}`)}`;
      case 'AWS::Logs::LogGroup':
        return physical(id, 'LogGroupName', `${stack}-${id}`);
      default:
        return undefined;
    }
  }
  const resolver: Resolver = {
    ref: (name) => refOf(name),
    getAtt: (id, attribute) => {
      if (attribute === 'Arn') return arnOf(id);
      if (
        attribute === 'Name' &&
        template.Resources[id]?.Type === 'AWS::StepFunctions::StateMachine'
      )
        return machineName(id);
      if (attribute === 'TopicName') return topicName(id);
      if (attribute === 'QueueName') return physical(id, 'QueueName', `${stack}-${id}`);
      return undefined;
    },
  };
  // A literal the template spells with a state machine's deployed name (an execution ARN
  // pattern) is read with the twin's.
  const deployed = deployedMachineName(STANDS_FOR.stateMachine);
  const twinArns = (value: unknown): unknown => {
    if (typeof value === 'string')
      return deployed
        ? value.replace(
            new RegExp(
              `(:states:[^:]*:[^:]*:(?:stateMachine|execution|express):)${deployed}(?=:|$)`,
              'g',
            ),
            `$1${names.stateMachine}`,
          )
        : value;
    if (Array.isArray(value)) return value.map(twinArns);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, twinArns(v)]));
    return value;
  };

  const documentOf = (document: unknown, where: string): PolicyDocument => {
    try {
      return twinArns(resolveDeep(document, parameters, resolver)) as PolicyDocument;
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
  };
  const roleOf = (id: string): RoleDefinition => {
    const resource = template.Resources[id];
    if (resource?.Type !== 'AWS::IAM::Role')
      throw new Error(`The stack has no role ${id} (AWS::IAM::Role).`);
    const managed = (resource.Properties.ManagedPolicyArns ?? []) as unknown[];
    if (managed.length > 0)
      throw new Error(
        `Role ${id} has managed policies (ManagedPolicyArns), which the twin cannot read: write their statements in the role's Policies, or in an AWS::IAM::Policy of the stack.`,
      );
    const policies = ((resource.Properties.Policies ?? []) as Record<string, unknown>[]).map(
      (policy) => ({
        name: String(policy.PolicyName),
        document: documentOf(policy.PolicyDocument, `Role ${id}, policy ${policy.PolicyName}`),
      }),
    );
    for (const [policyId, other] of Object.entries(template.Resources)) {
      if (other.Type !== 'AWS::IAM::Policy' && other.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const attached = ((other.Properties.Roles ?? []) as unknown[]).some(
        (r) => (r as { Ref?: unknown })?.Ref === id || r === roleName(id),
      );
      if (attached)
        policies.push({
          name: String(other.Properties.PolicyName ?? policyId),
          document: documentOf(other.Properties.PolicyDocument, `Policy ${policyId}`),
        });
    }
    return { name: roleName(id), arn: arnOf(id) as string, policies };
  };

  const roles = new Map<string, RoleDefinition>();
  const functionRoles: Record<string, string> = {};
  for (const [key, fn] of Object.entries(printed.functions)) {
    const id = roleId(fn.role, `Function ${key}`);
    const role = roles.get(id) ?? roleOf(id);
    roles.set(id, role);
    functionRoles[key] = role.name;
  }
  let stateMachineRole: string | undefined;
  const machine = Object.values(machines).find((m) => m.id === STANDS_FOR.stateMachine);
  if (machine?.role !== undefined) {
    const id = roleId(machine.role, `State machine ${machine.name}`);
    const role = roles.get(id) ?? roleOf(id);
    roles.set(id, role);
    stateMachineRole = role.name;
  }
  const topicKeys: Record<string, string> = {};
  const key = template.Resources[STANDS_FOR.topic]?.Properties.KmsMasterKeyId;
  if (key !== undefined) {
    const resolved = String(evaluate(key, parameters, resolver));
    topicKeys[names.topic] = resolved.startsWith('arn:')
      ? resolved
      : `arn:aws:kms:${region}:${account}:key/${resolved}`;
  }
  const stateMachineAliases = Object.entries(template.Resources)
    .filter(
      ([id, r]) =>
        r.Type === 'AWS::StepFunctions::StateMachineAlias' &&
        machineOf(id) === STANDS_FOR.stateMachine,
    )
    .map(([id]) => physical(id, 'Name', id));
  const functionEnvironment: Record<string, Record<string, string>> = {};
  for (const [key, fn] of Object.entries(printed.functions))
    for (const [name, value] of Object.entries(fn.environment ?? {})) {
      if (typeof value !== 'object' || value === null) continue;
      try {
        const resolved = evaluate(value, parameters, resolver);
        if (typeof resolved === 'string') {
          functionEnvironment[key] ??= {};
          (functionEnvironment[key] as Record<string, string>)[name] = resolved;
        }
      } catch {
        // A setting the twin gives in its own way.
      }
    }
  // The framework's default when neither the function nor the provider sets one.
  const seconds = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);
  const functionTimeouts: Record<string, number> = {};
  for (const [key, fn] of Object.entries(printed.functions))
    functionTimeouts[key] = seconds(fn.timeout) ?? seconds(printed.provider?.timeout) ?? 6;
  return {
    roles: [...roles.values()],
    functionRoles,
    stateMachineRole,
    topicKeys,
    stateMachineAliases,
    invokesVersions: machine?.useExactVersion === true,
    functionEnvironment,
    functionTimeouts,
  };
}
