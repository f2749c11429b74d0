import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { overrideFunctionDeps } from '../../functions/lib/deps.ts';
import {
  type CognitoTwin,
  type ExecutionStatusChangeEvent,
  type HistoryEvent,
  type Knobs,
  type ObjectCreatedEvent,
  type Pace,
  type RoleDefinition,
  type S3Twin,
  type SfnTwin,
  type SnsTwin,
  startCognitoTwin,
  startS3Twin,
  startSfnTwin,
  startSnsTwin,
  type TaskHandler,
  type VirtualClock,
} from '../../twin/index.ts';
import type { ClientOptions } from '../aws/clients.ts';
import { formatAllowedPools, parseAllowedPools } from '../cognito/allowed-pools.ts';
import { readFunctionConfig } from '../config.ts';
import { isImportKey, type StartResult } from '../workflow/start.ts';
import { SWEPT_STATUSES, type SweepResult } from '../workflow/sweep.ts';
import {
  type AslDefinition,
  deployedFunctionName,
  FUNCTION_HANDLERS,
  type FunctionKey,
  taskFunctions,
} from '../workflow/tasks.ts';
import { METRICS_NAMESPACE } from '../workflow/telemetry.ts';
import type { Uploader } from '../workflow/upload.ts';
import { putToPresignedUrl } from '../workflow/upload.ts';
import { type LambdaHandler, startLocalLambda } from './lambda-runtime.ts';
import { startTwinIam } from './twin-iam.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const LOCAL_BUCKET = 'cognito-imports-local';
export const STATE_MACHINE_NAME = 'import-users';
export const OUTCOME_TOPIC = 'import-outcomes';
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';
export const LOGS_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/cognito-import-logs`;
/** The twin accepts any credentials; these are the ones its own clients and `serve` use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
/** The stage the twin's functions are named for: `cognito-import-pipeline-local-<key>`. */
export const LOCAL_STAGE = 'local';
export const localFunctionName = (key: FunctionKey) => deployedFunctionName(LOCAL_STAGE, key);

/**
 * What Lambda and serverless.yml give every function besides its own settings: Powertools'
 * service and namespace, Lambda's log level and format (the functions' LoggingConfig), and no
 * tracing (there is no X-Ray daemon here). Set once the local Lambda provides the runtime's
 * invoke store, and before the handlers load: Powertools reads them once.
 */
const FUNCTION_RUNTIME_ENV = {
  POWERTOOLS_SERVICE_NAME: deployedFunctionName(LOCAL_STAGE),
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_TRACE_ENABLED: 'false',
  AWS_LAMBDA_LOG_FORMAT: 'JSON',
  AWS_LAMBDA_LOG_LEVEL: 'INFO',
  // Many invocations at once in one process, each with its own Powertools state.
  AWS_LAMBDA_MAX_CONCURRENCY: '1000',
};

/**
 * The diagnostics channel (node:diagnostics_channel) on which the twin publishes every line it
 * and the functions it runs would write to a log: each line the functions write (also kept in
 * the twin's CloudWatch Logs as `/aws/lambda/<function name>`), each twin's request entries, the
 * notifications it keeps, and each ended execution's status. Nothing subscribes in normal use
 * (publishing then costs nothing); the test suite's leak scan does.
 */
export const LOG_CHANNEL = 'cognito-import.log';

/** One message of {@link LOG_CHANNEL}. */
export interface LogRecord {
  source: 'function' | 'cognito' | 's3' | 'sfn' | 'sns' | 'twin';
  line: string;
}

/** A request the twin served, as its services report them (no bodies, no keys). */
export interface RequestEntry {
  service: string;
  operation: string;
  status: number;
  ms: number;
}

export interface LocalTwinOptions {
  dataDir: string;
  ports?: { cognito?: number; s3?: number; sfn?: number; sns?: number };
  /** The fraction of each Wait really slept (see the Step Functions twin); 1 is real time. */
  waitScale?: number;
  /** A virtual clock shared by every part of the twin and the functions. */
  clock?: VirtualClock;
  cognito?: { knobs?: Partial<Knobs>; pace?: Partial<Pace> };
  /** Files copied into the bucket folder by hand start runs too. */
  watch?: boolean;
  /**
   * Which pools the functions may import into (ALLOWED_USER_POOLS): `tagged` (the default, as on
   * AWS), `any`, or a comma-separated list of pool ids. As on AWS, the functions enforce it in
   * PrepareImport and the stack's IAM (the allowedUserPools parameter, which the twin's policies
   * are read with) refuses the other pools.
   */
  allowedUserPools?: string;
  /**
   * Changes the stack's IAM roles (read from serverless.yml) before the twin enforces them: a
   * test takes a permission away to see the run fail as it would on AWS.
   */
  adjustRoles?: (roles: RoleDefinition[]) => RoleDefinition[];
  /**
   * Extra settings for the functions, as the variables serverless.yml would set
   * (INVALID_ROWS_POLICY, IMPORT_DEADLINE_SECONDS, …): read by src/config.ts like the real ones,
   * never written to the process environment.
   */
  functionEnv?: Record<string, string>;
  /**
   * Function timeouts in seconds in place of serverless.yml's, as the Lambda context counts them
   * down (`getRemainingTimeInMillis`): a test gives a function that works until close to its
   * timeout a short one, to see it work in rounds.
   */
  functionTimeouts?: Partial<Record<FunctionKey, number>>;
  /** How the functions' SDK clients retry; the SDK's standard strategy unless given. */
  retryStrategy?: ClientOptions['retryStrategy'];
  /**
   * Each line the functions write (JSON: their logs and metrics), besides the twin's CloudWatch
   * Logs (`/aws/lambda/<function name>`), where they always go.
   */
  log?: (line: string) => void;
  onHistoryEvent?: (executionArn: string, event: HistoryEvent) => void;
  /**
   * Wraps the function a Task state runs, as the Lambda service sits between Step Functions and
   * the code: tests inject a crash or a service error there, as the Cognito twin's faults do for
   * Cognito.
   */
  wrapTask?: (state: string, invoke: TaskHandler) => TaskHandler;
  /**
   * Wraps the upload to the pre-signed URL, as the network sits between the function and
   * Cognito's bucket: a test makes an upload slow (advancing the virtual clock past the URL's
   * 15 minutes) or break there.
   */
  wrapUpload?: (upload: Uploader) => Uploader;
  /**
   * Sits where EventBridge sits between S3 and the starter: called with each "Object Created"
   * event under incoming/ and a `deliver` that hands an event (that one by default, or any
   * other shape, such as the classic S3 notification) to the starter. A test may hold, repeat or
   * reorder deliveries. Without it, each event is delivered once, at once.
   */
  deliverObjectCreated?: (event: ObjectCreatedEvent, deliver: (event?: unknown) => void) => void;
  /** Every API request each twin served (Cognito and its CloudWatch Logs API, S3, Step Functions). */
  onRequest?: (entry: RequestEntry) => void;
}

export interface StartedRun {
  bucket: string;
  key: string;
  results: StartResult[];
}

export interface LocalTwin {
  cognito: CognitoTwin;
  s3: S3Twin;
  sfn: SfnTwin;
  sns: SnsTwin;
  bucket: string;
  stateMachineArn: string;
  topicArn: string;
  /** The environment that points the SDKs and the AWS CLI at this twin (`serve` prints it). */
  env: Record<string, string>;
  /** Runs the starter started for objects that landed in the bucket; what the sweeper did. */
  events: EventEmitter<TwinEvents>;
  /** Resolves once no sweeper invocation is running (see `sweepExecution`). */
  whenSwept(): Promise<void>;
  /**
   * Invokes a function as Lambda would, with its own role (a test delivers an event again, as
   * EventBridge may).
   */
  invoke(key: FunctionKey, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface TwinEvents {
  started: [StartedRun];
  starterError: [Error];
  swept: [SweepResult];
  sweepError: [Error];
}

/** The state machine definition, read from the file that is deployed. */
export function loadDefinition(): AslDefinition {
  return JSON.parse(
    readFileSync(join(ROOT, 'statemachine', 'import-users.asl.json'), 'utf8'),
  ) as AslDefinition;
}

async function loadHandler(key: FunctionKey): Promise<LambdaHandler> {
  const module = (await import(join(ROOT, FUNCTION_HANDLERS[key]))) as { handler: LambdaHandler };
  return module.handler;
}

/**
 * Starts the whole local twin in-process: Cognito (with CloudWatch Logs), S3, Step Functions and
 * the outcome topic, each on its own 127.0.0.1 port and all under one data folder. The state
 * machine is the deployed ASL file; each Task runs the same handler as in AWS, handed clients
 * that reach the twin and the settings serverless.yml would give it; an object created under `incoming/`
 * with a `.csv` suffix (the EventBridge rule's filter) is handed to the starter function.
 */
export async function startLocalTwin(options: LocalTwinOptions): Promise<LocalTwin> {
  const { dataDir, clock } = options;
  // Checked before anything starts: a bad value would otherwise fail every run's first task.
  const allowedUserPools = formatAllowedPools(parseAllowedPools(options.allowedUserPools));
  const started: { close(): Promise<void> }[] = [];
  const logChannel = channel(LOG_CHANNEL);
  const publish = (source: LogRecord['source'], line: string) => {
    if (logChannel.hasSubscribers) logChannel.publish({ source, line } satisfies LogRecord);
  };
  const onRequest = (entry: RequestEntry) => {
    options.onRequest?.(entry);
    if (logChannel.hasSubscribers)
      publish(
        entry.service === 'states' ? 'sfn' : entry.service === 's3' ? 's3' : 'cognito',
        JSON.stringify(entry),
      );
  };
  const events = new EventEmitter<TwinEvents>();
  // "Execution Status Change" events raised before everything is up (executions a restart
  // interrupted) wait until the functions can reach S3 and Cognito.
  let sweepReady = false;
  const heldSweeps: ExecutionStatusChangeEvent[] = [];
  let dispatchSweep: (event: ExecutionStatusChangeEvent) => void = () => {};
  const sweeps = new Set<Promise<void>>();
  try {
    // IAM first: the stack's roles, each function's credentials (twin-iam.ts).
    const iam = await startTwinIam({
      names: {
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        bucket: LOCAL_BUCKET,
        stateMachine: STATE_MACHINE_NAME,
        topic: OUTCOME_TOPIC,
        logsRoleArn: LOGS_ROLE_ARN,
      },
      allowedUserPools,
      functions: (Object.keys(FUNCTION_HANDLERS) as FunctionKey[]).map((key) => ({
        key,
        name: localFunctionName(key),
      })),
      ...(options.adjustRoles ? { adjustRoles: options.adjustRoles } : {}),
    });
    started.push({ close: async () => iam.close() });
    const { access } = iam;
    const cognito = await startCognitoTwin({
      dataDir,
      access,
      ...(options.ports?.cognito ? { port: options.ports.cognito } : {}),
      ...(clock ? { now: clock.now } : {}),
      ...(options.cognito?.knobs ? { knobs: options.cognito.knobs } : {}),
      ...(options.cognito?.pace ? { pace: options.cognito.pace } : {}),
      onRequest,
    });
    started.push(cognito);
    // The functions' output goes where Lambda puts it: the twin's CloudWatch Logs.
    const timeouts = new Map(
      Object.entries({ ...iam.roles.functionTimeouts, ...options.functionTimeouts }).map(
        ([key, seconds]) => [localFunctionName(key as FunctionKey), (seconds as number) * 1000],
      ),
    );
    const lambda = startLocalLambda({
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      now: clock?.now ?? Date.now,
      timeoutMs: (functionName) => timeouts.get(functionName),
      onInstance: ({ functionName, logGroup, logStream }) => {
        // As on Lambda, a function whose role may not write its logs leaves none.
        if (!iam.mayLog(functionName, logGroup, logStream)) return;
        try {
          cognito.logs.createStream(logGroup, logStream, (clock?.now ?? Date.now)());
        } catch {
          // The twin closed under a function still running (see onLog).
        }
      },
      onLog: (event) => {
        try {
          if (iam.mayLog(event.functionName, event.logGroup, event.logStream))
            cognito.logs.put(event.logGroup, event.logStream, [event]);
        } catch {
          // A function still running when the twin closed: its lines go where a killed
          // process's would.
        }
        options.log?.(event.message);
        publish('function', event.message);
      },
    });
    started.push({ close: async () => lambda.close() });
    // The Lambda runtime's environment, which Powertools reads itself; the functions' own
    // settings are handed to them below (overrideFunctionDeps), not through the environment.
    Object.assign(process.env, FUNCTION_RUNTIME_ENV);
    const invoke = (key: FunctionKey, handler: LambdaHandler, event: unknown) =>
      lambda.invoke(localFunctionName(key), handler, event);
    // Step Functions invokes a Task's function with the state machine's role.
    const invokeTask = async (key: FunctionKey, handler: LambdaHandler, event: unknown) => {
      iam.checkInvoke(localFunctionName(key));
      return invoke(key, handler, event);
    };
    const sns = await startSnsTwin({
      dataDir,
      topics: [OUTCOME_TOPIC],
      topicKeys: iam.roles.topicKeys,
      access,
      ...(options.ports?.sns ? { port: options.ports.sns } : {}),
      onMessage: (message) =>
        publish(
          'sns',
          `${message.subject ?? ''} ${message.message} ${JSON.stringify(message.attributes)}`,
        ),
    });
    started.push(sns);
    const topicArn = sns.topicArn(OUTCOME_TOPIC);
    const definition = loadDefinition();
    const tasks = taskFunctions(definition);
    const handlers: Record<string, TaskHandler> = {};
    for (const [state, key] of Object.entries(tasks)) {
      const handler = await loadHandler(key as FunctionKey);
      const task: TaskHandler = (input) => invokeTask(key as FunctionKey, handler, input);
      handlers[state] = options.wrapTask ? options.wrapTask(state, task) : task;
    }
    const sweeper = await loadHandler('sweepExecution');
    const sfn = await startSfnTwin({
      dataDir,
      ...(options.ports?.sfn ? { port: options.ports.sfn } : {}),
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      access,
      stateMachines: [
        { name: STATE_MACHINE_NAME, definition, handlers, aliases: iam.roles.stateMachineAliases },
      ],
      ...(clock ? { clock } : {}),
      waitScale: options.waitScale ?? 1,
      ...(options.onHistoryEvent ? { onEvent: options.onHistoryEvent } : {}),
      onRequest,
      onStatusChange: (event) => {
        const { name, status, error } = event.detail;
        publish('sfn', `execution ${name} ended ${status}${error ? ` ${error}` : ''}`);
        if (sweepReady) dispatchSweep(event);
        else heldSweeps.push(event);
      },
    });
    started.push(sfn);
    const stateMachineArn = sfn.stateMachineArn(STATE_MACHINE_NAME);
    const starter = await loadHandler('startImport');
    const deliver = (event: unknown, about: ObjectCreatedEvent) => {
      invoke('startImport', starter, event).then(
        (results) =>
          events.emit('started', {
            bucket: about.detail.bucket.name,
            key: about.detail.object.key,
            results: results as StartResult[],
          }),
        (error: unknown) => events.emit('starterError', error as Error),
      );
    };
    const onObjectCreated = (event: ObjectCreatedEvent) => {
      // The EventBridge rule's filter: a .csv under incoming/.
      if (!isImportKey(event.detail.object.key)) return;
      if (options.deliverObjectCreated)
        options.deliverObjectCreated(event, (given) => deliver(given ?? event, event));
      else deliver(event, event);
    };
    const s3 = await startS3Twin({
      dataDir,
      buckets: [LOCAL_BUCKET],
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      access,
      watch: options.watch ?? false,
      ...(options.ports?.s3 ? { port: options.ports.s3 } : {}),
      onObjectCreated,
      onRequest,
      onError: (error) => publish('s3', `error: ${error.message}`),
    });
    started.push(s3);
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cognito.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
    };
    // The functions run in this process, configured as serverless.yml configures them in AWS,
    // but handed their settings and clients directly, not through the process environment.
    const config = readFunctionConfig({
      OUTCOME_TOPIC_ARN: topicArn,
      // Where serverless.yml points the starter: the alias live.
      STATE_MACHINE_ARN:
        iam.roles.functionEnvironment.startImport?.STATE_MACHINE_ARN ?? stateMachineArn,
      COGNITO_LOGS_ROLE_ARN: LOGS_ROLE_ARN,
      ALLOWED_USER_POOLS: allowedUserPools,
      ...options.functionEnv,
    });
    const reach = {
      region: LOCAL_REGION,
      endpoints: {
        cognito: cognito.endpoint,
        logs: cognito.endpoint,
        s3: s3.endpoint,
        sfn: sfn.endpoint,
        sns: sns.endpoint,
      },
      ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : {}),
    };
    // Each function calls with its own role's credentials (twin-iam.ts): its clients are its own.
    iam.connect(reach);
    overrideFunctionDeps({
      config,
      ...(clock ? { now: clock.now } : {}),
      ...(options.wrapUpload ? { upload: options.wrapUpload(putToPresignedUrl) } : {}),
    });
    // The sweeper's EventBridge rule (the eventBridge event of sweepExecution in serverless.yml,
    // named by custom.eventRules.endedRuns): this state machine's executions that ended ABORTED,
    // TIMED_OUT or FAILED. Lambda retries a failed asynchronous invocation twice.
    dispatchSweep = (event) => {
      if (
        event.detail.stateMachineArn !== stateMachineArn ||
        !(SWEPT_STATUSES as readonly string[]).includes(event.detail.status)
      )
        return;
      const run = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return (await invoke('sweepExecution', sweeper, event)) as SweepResult;
          } catch (error) {
            if (attempt >= 3) throw error;
          }
        }
      })().then(
        (result) => {
          events.emit('swept', result);
        },
        (error: unknown) => {
          publish('twin', `sweeper failed: ${(error as Error)?.message}`);
          events.emit('sweepError', error as Error);
        },
      );
      sweeps.add(run);
      void run.finally(() => sweeps.delete(run));
    };
    sweepReady = true;
    for (const event of heldSweeps.splice(0)) dispatchSweep(event);
    const whenSwept = async () => {
      while (sweeps.size > 0) await Promise.allSettled([...sweeps]);
    };
    return {
      cognito,
      s3,
      sfn,
      sns,
      bucket: LOCAL_BUCKET,
      stateMachineArn,
      topicArn,
      env,
      events,
      whenSwept,
      invoke: async (key, event) => invoke(key, await loadHandler(key), event),
      close: async () => {
        // Sweeps under way finish first (they need the twin), within reason.
        await Promise.race([
          whenSwept(),
          new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
        ]);
        for (const part of started.reverse()) await part.close();
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.close();
    throw error;
  }
}
