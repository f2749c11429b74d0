/**
 * The hardening tests' twin: the whole local twin (the real ASL, the real handlers) on a fresh
 * data folder, that can be restarted on the same folder, with the two invariants every fault
 * must leave intact — no import job left active, no outcome lost — as one call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
  ListUserImportJobsCommand,
  ListUserPoolsCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ALLOWED_TAG_KEY } from '../../src/cognito/allowed-pools.ts';
import {
  type LocalTwin,
  type LocalTwinOptions,
  type StartedRun,
  startLocalTwin,
} from '../../src/local/twin.ts';
import { outcomeKey } from '../../src/workflow/keys.ts';
import type { Outcome } from '../../src/workflow/types.ts';
import type { Execution, HistoryEvent } from '../../twin/sfn/index.ts';

export const HEADER = 'cognito:username,email,email_verified';
export const users = (n: number, from = 0, tag = 'user') =>
  Array.from({ length: n }, (_, i) => `${tag}${from + i},${tag}${from + i}@example.com,true`);
export const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

export interface Ended {
  execution: Execution;
  outcome: Outcome | undefined;
  history: HistoryEvent[];
  /** Names of the states entered, in order. */
  states: string[];
}

export interface Fixture {
  twin: LocalTwin;
  dataDir: string;
  cognito: CognitoIdentityProviderClient;
  s3: S3Client;
  createPool(input?: Partial<CreateUserPoolCommandInput>): Promise<string>;
  /** Puts an object (outside incoming/ nothing starts). */
  put(key: string, body: string | Buffer): Promise<void>;
  /** Puts a CSV under incoming/<pool>/ and answers the execution the starter started. */
  drop(poolId: string, name: string, body: string | Buffer): Promise<string>;
  /** Starts an execution directly, as another system would. */
  start(input: unknown, name?: string): string;
  /** Waits for the execution to end and for the sweeper to finish with it. */
  finish(executionArn: string): Promise<Ended>;
  readOutcome(run: string): Promise<Outcome | undefined>;
  readText(key: string): Promise<string>;
  jobs(poolId: string): Promise<UserImportJobType[]>;
  /**
   * The invariants: no import job of any pool is Pending, InProgress or Stopping; every ended
   * execution has its outcome (outcome.json, or — when the input named no bucket to write it
   * to — a notification and the execution's cause); no history holds a pre-signed URL.
   * Answers what is wrong, an empty list when nothing is.
   */
  violations(): Promise<string[]>;
  /** Closes the twin as a killed process would leave it, and starts it again on the same folder. */
  restart(more?: Partial<LocalTwinOptions>): Promise<void>;
  stop(): Promise<void>;
}

const ACTIVE = new Set(['Pending', 'InProgress', 'Stopping']);

export async function startFixture(options: Partial<LocalTwinOptions> = {}): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hardening-'));
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const connect = (twin: LocalTwin) => ({
    cognito: new CognitoIdentityProviderClient({ ...config, endpoint: twin.cognito.endpoint }),
    s3: new S3Client({ ...config, endpoint: twin.s3.endpoint, forcePathStyle: true }),
  });
  const twin = await startLocalTwin({ dataDir, waitScale: 0.001, ...options });
  // Each drop listens until its run starts: many at once are expected.
  twin.events.setMaxListeners(0);
  const f = { twin, dataDir, ...connect(twin) } as Fixture;
  const checked: { executions: number; jobs: number; pools: number; problems: number }[] = [];

  f.createPool = async (input = {}) => {
    const { UserPool } = await f.cognito.send(
      new CreateUserPoolCommand({
        PoolName: 'hardening',
        AutoVerifiedAttributes: ['email'],
        // Open to the pipeline, as its default setting (ALLOWED_USER_POOLS=tagged) requires.
        UserPoolTags: { [ALLOWED_TAG_KEY]: 'true' },
        ...input,
      }),
    );
    return UserPool?.Id as string;
  };
  f.put = async (key, body) => {
    await f.s3.send(new PutObjectCommand({ Bucket: f.twin.bucket, Key: key, Body: body }));
  };
  f.drop = async (poolId, name, body) => {
    const key = `incoming/${poolId}/${name}`;
    const started = new Promise<StartedRun>((resolve, reject) => {
      const onStarted = (run: StartedRun) => {
        if (run.key !== key) return;
        f.twin.events.off('started', onStarted);
        f.twin.events.off('starterError', reject);
        resolve(run);
      };
      f.twin.events.on('started', onStarted);
      f.twin.events.once('starterError', reject);
    });
    await f.put(key, body);
    const [result] = (await started).results;
    if (result?.status !== 'started') throw new Error(`no run started for ${key}`);
    return result.executionArn;
  };
  f.start = (input, name) =>
    f.twin.sfn.startExecution({
      stateMachineName: 'import-users',
      input,
      ...(name ? { name } : {}),
    }).executionArn;
  f.readText = async (key) => {
    const object = await f.s3.send(new GetObjectCommand({ Bucket: f.twin.bucket, Key: key }));
    return (object.Body as { transformToString(): Promise<string> }).transformToString();
  };
  f.readOutcome = async (run) => {
    try {
      return JSON.parse(await f.readText(outcomeKey(run))) as Outcome;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  f.finish = async (executionArn) => {
    const execution = await f.twin.sfn.waitFor(executionArn);
    await f.twin.whenSwept();
    const history = f.twin.sfn.history(executionArn);
    const outcome = await f.readOutcome(execution.name);
    const states = history.flatMap((event) =>
      event.stateEnteredEventDetails ? [event.stateEnteredEventDetails.name] : [],
    );
    return { execution, outcome, history, states };
  };
  f.jobs = async (poolId) => {
    const jobs: UserImportJobType[] = [];
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUserImportJobsCommand({
          UserPoolId: poolId,
          MaxResults: 60,
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      jobs.push(...(page.UserImportJobs ?? []));
      token = page.PaginationToken;
    } while (token);
    return jobs;
  };
  f.violations = async () => {
    const problems: string[] = [];
    const seen = { executions: 0, jobs: 0, pools: 0 };
    await f.twin.whenSwept();
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUserPoolsCommand({ MaxResults: 60, ...(token ? { NextToken: token } : {}) }),
      );
      for (const pool of page.UserPools ?? []) {
        seen.pools++;
        for (const job of await f.jobs(pool.Id as string)) {
          seen.jobs++;
          if (ACTIVE.has(job.Status ?? '')) problems.push(`job ${job.JobName} is ${job.Status}`);
        }
      }
      token = page.NextToken;
    } while (token);
    const messages = f.twin.sns.messages();
    for (const execution of f.twin.sfn.listExecutions('import-users')) {
      seen.executions++;
      if (execution.status === 'RUNNING') {
        problems.push(`execution ${execution.name} is still RUNNING`);
        continue;
      }
      const outcome = await f.readOutcome(execution.name);
      const notified = messages.some((m) => m.message.includes(`"run":"${execution.name}"`));
      const input = JSON.parse(execution.input) as { bucket?: unknown };
      const nowhere = typeof input?.bucket !== 'string' || input.bucket !== f.twin.bucket;
      if (!outcome && !(nowhere && notified))
        problems.push(`execution ${execution.name} (${execution.status}) has no outcome`);
      const history = JSON.stringify(f.twin.sfn.history(execution.executionArn));
      if (/X-Amz-Signature|cognito-idp-user-import/.test(history))
        problems.push(`execution ${execution.name}'s history holds a pre-signed URL`);
    }
    checked.push({ ...seen, problems: problems.length });
    return problems;
  };
  f.restart = async (more = {}) => {
    f.cognito.destroy();
    f.s3.destroy();
    await f.twin.close();
    f.twin = await startLocalTwin({ dataDir, waitScale: 0.001, ...options, ...more });
    f.twin.events.setMaxListeners(0);
    Object.assign(f, connect(f.twin));
  };
  f.stop = async () => {
    const last = checked.at(-1);
    if (last)
      console.info(
        `invariants: checked ${checked.length} times, last over ${last.executions} executions and ${last.jobs} import jobs in ${last.pools} pools: ${last.problems} problems (outcomes lost or jobs left active)`,
      );
    f.cognito.destroy();
    f.s3.destroy();
    await f.twin.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return f;
}

/**
 * Each failed Lambda invocation of a history, as `<state> <error>`, in order. A transient fault
 * reaches the state machine as TransientServiceError, whose message starts with the service's
 * own error name: that name follows, as `<state> TransientServiceError(<name>)`.
 */
export function taskFailures(history: HistoryEvent[]): string[] {
  const out: string[] = [];
  let state = '';
  for (const event of history) {
    if (event.stateEnteredEventDetails) state = event.stateEnteredEventDetails.name;
    const failed = event.lambdaFunctionFailedEventDetails;
    if (failed) out.push(`${state} ${failureName(failed.error, failed.cause)}`);
    if (event.type === 'LambdaFunctionTimedOut') out.push(`${state} States.Timeout`);
  }
  return out;
}

function failureName(error = '', cause = ''): string {
  if (error !== 'TransientServiceError') return error;
  let message = cause;
  try {
    message = (JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause;
  } catch {
    // The twin's cause is the runtime's JSON; anything else is taken as the message itself.
  }
  return `${error}(${/^[\w.]+/.exec(message)?.[0] ?? '?'})`;
}
