import { createReadStream } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { HistoryEvent } from '../../twin/index.ts';
import { createClients } from '../aws/clients.ts';
import { isAwsError } from '../aws/sdk-errors.ts';
import { ALLOWED_TAG_KEY } from '../cognito/allowed-pools.ts';
import type { EnvConfig } from '../config.ts';
import { type LocalTwin, type StartedRun, startLocalTwin } from '../local/twin.ts';
import { outcomeKey } from '../workflow/keys.ts';
import type { Outcome } from '../workflow/types.ts';
import {
  checkAllowedPools,
  checkPoolId,
  createLocalPool,
  LOCAL_CREDENTIALS,
} from './cognito-target.ts';
import { UsageError } from './errors.ts';
import { requireFile } from './files.ts';
import {
  IMPORT_OPTION_FLAGS,
  IMPORT_OPTIONS_HELP,
  importOptionsEnv,
  importOptionsOf,
  postImportLines,
} from './import-options.ts';
import type { Io } from './io.ts';
import { progressView } from './progress.ts';

export const RUN_HELP = `Usage: cognito-import run <file.csv> [--pool <id>] [--invalid-rows reject|skip] [--allowed-pools tagged|any|<ids>]
                         [--existing-users skip|update] [--create-groups] [--post-import-rate N]
                         [--data-dir DIR] [--json]

Imports one CSV end to end on the local twin, the way it runs in AWS: the file lands in the local
bucket under incoming/<pool>/, the object-created event starts the state machine through the
starter, and the import job runs in the local Cognito. Waits run compressed. Exit 0 when the
outcome is SUCCEEDED, 1 for any other outcome, 2 on a usage or setup error.

Options:
  --pool <id>                 a pool of the local twin (default: a new pool with email auto-verified,
                              tagged cognito-import:allowed=true)
  --invalid-rows reject|skip  reject (default): any invalid row rejects the file; skip: import the valid rows
${IMPORT_OPTIONS_HELP}
  --allowed-pools SETTING     the pools the pipeline may import into, as on AWS: tagged (default: pools
                              tagged cognito-import:allowed=true), a comma-separated list of pool ids, or
                              any (dangerous on AWS); default $ALLOWED_USER_POOLS, else tagged
  --data-dir DIR              the local twin's data folder (default: .cognito-import)
  --json                      print only the outcome JSON
  -h, --help                  this help`;

/** Wait states run at this fraction of their length on the command line: 5 s becomes 50 ms. */
const WAIT_SCALE = 0.01;

function waitForStart(twin: LocalTwin, key: string): Promise<StartedRun> {
  return new Promise((resolve, reject) => {
    const onStarted = (run: StartedRun) => {
      if (run.key !== key) return;
      twin.events.off('started', onStarted);
      twin.events.off('starterError', onError);
      resolve(run);
    };
    const onError = (error: Error) => {
      twin.events.off('started', onStarted);
      twin.events.off('starterError', onError);
      reject(error);
    };
    twin.events.on('started', onStarted);
    twin.events.on('starterError', onError);
  });
}

export async function run(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      pool: { type: 'string' },
      'invalid-rows': { type: 'string' },
      'allowed-pools': { type: 'string' },
      ...IMPORT_OPTION_FLAGS,
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError('Name one CSV file.');
  const file = requireFile(positionals[0]);
  const givenPool = checkPoolId(values.pool);
  const policy = values['invalid-rows'] ?? 'reject';
  if (policy !== 'reject' && policy !== 'skip')
    throw new UsageError('--invalid-rows must be reject or skip.');
  // The file starts its run by landing in the bucket, as on AWS, with no input of its own: the
  // options are the stage's, as a deploy's parameters would set them.
  const importOptions = importOptionsOf(values);
  const allowedUserPools = checkAllowedPools(values['allowed-pools'] ?? config.allowedUserPools);
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const started = Date.now();
  const listeners = new Map<string, (event: HistoryEvent) => void>();
  const twin = await startLocalTwin({
    dataDir,
    waitScale: WAIT_SCALE,
    allowedUserPools,
    functionEnv: { INVALID_ROWS_POLICY: policy, ...importOptionsEnv(importOptions) },
    onHistoryEvent: (arn, event) => listeners.get(arn)?.(event),
  });
  const clients = createClients({
    endpoints: { cognito: twin.cognito.endpoint, s3: twin.s3.endpoint },
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    let poolId = givenPool;
    if (poolId) {
      await clients.cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    } else {
      poolId = await createLocalPool(clients.cognito, 'cognito-import-run');
      if (!values.json)
        io.err(
          `Created the local user pool ${poolId} (email auto-verified, tagged ${ALLOWED_TAG_KEY}=true).`,
        );
    }
    const key = `incoming/${poolId}/${basename(file.path)}`;
    const startedRun = waitForStart(twin, key);
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: twin.bucket,
        Key: key,
        Body: createReadStream(file.path),
        ContentLength: file.size,
        ContentType: 'text/csv',
      }),
    );
    const { results } = await startedRun;
    const first = results[0];
    if (first?.status !== 'started')
      throw new UsageError(`The starter did not start a run for ${key}.`);
    const view = values.json ? undefined : progressView(io, started);
    listeners.set(first.executionArn, (event) => view?.update(event));
    for (const event of twin.sfn.history(first.executionArn)) view?.update(event);
    const execution = await twin.sfn.waitFor(first.executionArn);
    view?.done();
    const outcome = await readOutcome(clients.s3, twin.bucket, first.name);
    if (!outcome) {
      io.err(
        `The run ended ${execution.status} without an outcome: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim(),
      );
      return 1;
    }
    if (values.json) io.out(JSON.stringify(outcome, null, 2));
    else printOutcome(io, outcome, twin.s3.bucketDir(twin.bucket), Date.now() - started);
    return outcome.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    clients.cognito.destroy();
    clients.s3.destroy();
    await twin.close();
  }
}

async function readOutcome(
  s3: ReturnType<typeof createClients>['s3'],
  bucket: string,
  runName: string,
): Promise<Outcome | undefined> {
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: outcomeKey(runName) }),
    );
    return JSON.parse(
      await (object.Body as { transformToString(): Promise<string> }).transformToString(),
    ) as Outcome;
  } catch (error) {
    if (isAwsError(error, 'NoSuchKey')) return undefined;
    throw error;
  }
}

function printOutcome(io: Io, outcome: Outcome, bucketDir: string, elapsedMs: number) {
  const where = (key: string) =>
    relative(process.cwd(), join(bucketDir, key)) || join(bucketDir, key);
  io.out(`${outcome.summary}`);
  if (outcome.reason)
    io.out(`  reason: ${outcome.reason}${outcome.code ? ` (${outcome.code})` : ''}`);
  if (outcome.validation)
    io.out(
      `  validation: ${outcome.validation.rows.toLocaleString('en')} rows, ${outcome.validation.invalidRows.toLocaleString('en')} invalid, ${outcome.validation.warnings.toLocaleString('en')} warnings`,
    );
  for (const job of outcome.jobs)
    io.out(
      `  job ${job.jobId}: ${job.status}${job.passwordHashingAlgorithm ? ` [${job.passwordHashingAlgorithm}]` : ''}${job.completionMessage ? ` (${job.completionMessage})` : ''}`,
    );
  for (const line of postImportLines(outcome)) io.out(`  ${line}`);
  for (const failure of outcome.failures?.sample ?? [])
    io.out(`  line ${failure.line}: ${failure.reason}`);
  io.out(`  took ${(elapsedMs / 1000).toFixed(1)} s`);
  io.out(`  outcome:    ${where(outcome.reportKey)}`);
  if (outcome.validation) io.out(`  validation: ${where(outcome.validation.reportKey)}`);
  if (outcome.failures) io.out(`  failures:   ${where(outcome.failures.reportKey)}`);
}
