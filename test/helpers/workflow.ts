import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
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

export interface Finished {
  execution: Execution;
  outcome: Outcome | undefined;
  history: HistoryEvent[];
  /** Names of the states entered, in order. */
  states: string[];
}

export interface WorkflowFixture {
  twin: LocalTwin;
  dataDir: string;
  cognito: CognitoIdentityProviderClient;
  s3: S3Client;
  createPool(input?: Partial<CreateUserPoolCommandInput>): Promise<string>;
  /** Puts a CSV under incoming/<pool>/ and answers the execution the starter started. */
  drop(poolId: string, name: string, csv: string): Promise<string>;
  /** Starts an execution directly, as another system would. */
  start(input: unknown, name?: string): string;
  finish(executionArn: string): Promise<Finished>;
  readText(key: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startWorkflowFixture(
  options: Partial<LocalTwinOptions> = {},
): Promise<WorkflowFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'workflow-'));
  const twin = await startLocalTwin({
    dataDir,
    waitScale: 0.001,
    // The SDK's own three tries, without its real-time backoff: the state machine's retries,
    // which tests assert, run on the twin's scaled waits.
    retryStrategy: new ConfiguredRetryStrategy(3, () => 0),
    ...options,
  });
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const cognito = new CognitoIdentityProviderClient({ ...config, endpoint: twin.cognito.endpoint });
  const s3 = new S3Client({ ...config, endpoint: twin.s3.endpoint });
  const fixture: WorkflowFixture = {
    twin,
    dataDir,
    cognito,
    s3,
    async createPool(input = {}) {
      const { UserPool } = await cognito.send(
        new CreateUserPoolCommand({
          PoolName: 'workflow',
          AutoVerifiedAttributes: ['email'],
          // Open to the pipeline, as its default setting (ALLOWED_USER_POOLS=tagged) requires.
          UserPoolTags: { [ALLOWED_TAG_KEY]: 'true' },
          ...input,
        }),
      );
      return UserPool?.Id as string;
    },
    async drop(poolId, name, csv) {
      const key = `incoming/${poolId}/${name}`;
      const started = new Promise<StartedRun>((resolve, reject) => {
        const onStarted = (run: StartedRun) => {
          if (run.key !== key) return;
          twin.events.off('started', onStarted);
          resolve(run);
        };
        twin.events.on('started', onStarted);
        twin.events.once('starterError', reject);
      });
      await s3.send(new PutObjectCommand({ Bucket: twin.bucket, Key: key, Body: csv }));
      const [result] = (await started).results;
      if (result?.status !== 'started') throw new Error(`no run started for ${key}`);
      return result.executionArn;
    },
    start(input, name) {
      return twin.sfn.startExecution({
        stateMachineName: 'import-users',
        input,
        ...(name ? { name } : {}),
      }).executionArn;
    },
    async finish(executionArn) {
      const execution = await twin.sfn.waitFor(executionArn);
      const history = twin.sfn.history(executionArn);
      let outcome: Outcome | undefined;
      try {
        outcome = JSON.parse(await fixture.readText(outcomeKey(execution.name))) as Outcome;
      } catch {
        outcome = undefined;
      }
      const states = history.flatMap((event) =>
        event.stateEnteredEventDetails ? [event.stateEnteredEventDetails.name] : [],
      );
      return { execution, outcome, history, states };
    },
    async readText(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: twin.bucket, Key: key }));
      return (object.Body as { transformToString(): Promise<string> }).transformToString();
    },
    async stop() {
      cognito.destroy();
      s3.destroy();
      await twin.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

export const HEADER = 'cognito:username,email,email_verified';
export const users = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `user${from + i},user${from + i}@example.com,true`);
export const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
