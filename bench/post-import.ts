/**
 * The post-import phase at its largest: one part of `--users` users (500,000 by default, the most
 * a part holds), each naming one group in its `cognito:groups` column, imported on the local twin
 * by the real state machine and handlers; after the part's job, ApplyPostImport adds every
 * membership. The twin's request-rate quotas are lifted and the phase's rate raised
 * (`--rate`, POST_IMPORT_RATE), since at Cognito's 20 a second the phase would take 7 hours.
 * With `--update`, the same file is dropped again with `existingUsers: "update"`: every row is
 * SKIPPED by Cognito and updated by the phase.
 *
 *   npm run bench:groups -- [--users 500000] [--groups 20] [--rate 1000] [--update]
 *
 * Prints, per run: the outcome's counts, the wall time of the whole run and of the phase, the
 * phase's invocations, the execution's history events (Step Functions allows 25,000), and the
 * process's peak RSS (twin and functions share the process, so this bounds the function's).
 * Exits non-zero when a run does not add every membership or passes the history limit.
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ALLOWED_TAG_KEY } from '../src/cognito/allowed-pools.ts';
import { LOCAL_CREDENTIALS, type StartedRun, startLocalTwin } from '../src/local/twin.ts';
import { outcomeKey } from '../src/workflow/keys.ts';
import type { Outcome } from '../src/workflow/types.ts';
import { writeUsersFile } from './users-file.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} needs a positive whole number.`);
  return value;
}

const users = option('--users', 500_000);
const groups = option('--groups', 20);
const rate = option('--rate', 1000);
const update = process.argv.includes('--update');
const HISTORY_LIMIT = 25_000;
const PHASE = 'ApplyPostImport';

const work = mkdtempSync(join(tmpdir(), 'post-import-bench-'));
const file = join(work, 'users.csv');
writeUsersFile(file, users, false, { column: 'cognito:groups', value: (i) => `g${i % groups}` });

const events = new Map<string, number>();
let phaseMs = 0;
let invocations = 0;
const twin = await startLocalTwin({
  dataDir: join(work, 'data'),
  waitScale: 0.01,
  cognito: { knobs: { requestRateCategories: [], perUserWriteRate: 0 } },
  functionEnv: { POST_IMPORT_RATE: String(rate) },
  onHistoryEvent: (arn) => events.set(arn, (events.get(arn) ?? 0) + 1),
  wrapTask: (state, invoke) =>
    state !== PHASE
      ? invoke
      : async (...args) => {
          const started = performance.now();
          try {
            return await invoke(...args);
          } finally {
            invocations++;
            phaseMs += performance.now() - started;
          }
        },
});
const config = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
const cognito = new CognitoIdentityProviderClient({ ...config, endpoint: twin.cognito.endpoint });
const s3 = new S3Client({ ...config, endpoint: twin.s3.endpoint, forcePathStyle: true });

const { UserPool } = await cognito.send(
  new CreateUserPoolCommand({
    PoolName: 'bench',
    AutoVerifiedAttributes: ['email'],
    UserPoolTags: { [ALLOWED_TAG_KEY]: 'true' },
  }),
);
const UserPoolId = UserPool?.Id as string;
for (let g = 0; g < groups; g++)
  await cognito.send(new CreateGroupCommand({ UserPoolId, GroupName: `g${g}` }));

/** Drops the file under incoming/<pool>/, as a user would: the starter starts the run. */
async function drop(name: string): Promise<string> {
  const key = `incoming/${UserPoolId}/${name}`;
  const run = new Promise<StartedRun>((resolve) => {
    const onStarted = (r: StartedRun) => {
      if (r.key !== key) return;
      twin.events.off('started', onStarted);
      resolve(r);
    };
    twin.events.on('started', onStarted);
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: twin.bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: statSync(file).size,
    }),
  );
  const [result] = (await run).results;
  if (result?.status !== 'started') throw new Error(`no run started for ${key}`);
  return result.executionArn;
}

async function runOnce(
  name: string,
  start: () => Promise<string>,
  expectUpdated: number,
): Promise<boolean> {
  phaseMs = 0;
  invocations = 0;
  const started = performance.now();
  const executionArn = await start();
  const execution = await twin.sfn.waitFor(executionArn);
  const seconds = (performance.now() - started) / 1000;
  const object = await s3.send(
    new GetObjectCommand({ Bucket: twin.bucket, Key: outcomeKey(execution.name) }),
  );
  const outcome = JSON.parse(
    await (object.Body as { transformToString(): Promise<string> }).transformToString(),
  ) as Outcome;
  const history = events.get(executionArn) ?? 0;
  const t = outcome.totals;
  console.log(`${name}: ${users.toLocaleString('en')} users, ${groups} groups, rate ${rate}/s`);
  console.log(
    `  ${outcome.status}: imported ${t.imported}, skipped ${t.skipped}, updated ${t.updated}, memberships ${t.memberships}, post-import failures ${t.postImportFailed}`,
  );
  console.log(
    `  run ${seconds.toFixed(1)} s; phase ${(phaseMs / 1000).toFixed(1)} s in ${invocations} invocation(s) (${Math.round(t.memberships / (phaseMs / 1000))} memberships/s); ${history} history events; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
  // A sample of users, read back: each is in the group its row named.
  for (const i of [0, Math.floor(users / 2), users - 1]) {
    const { Groups } = await cognito.send(
      new AdminListGroupsForUserCommand({ UserPoolId, Username: `user${i}` }),
    );
    if (Groups?.map((g) => g.GroupName).join() !== `g${i % groups}`)
      throw new Error(`user${i} is not in exactly g${i % groups}`);
  }
  return t.memberships === users && t.updated === expectUpdated && history < HISTORY_LIMIT;
}

let ok = await runOnce('import', () => drop('users.csv'), 0);
if (update)
  // The same object again, started directly (as another system would) with the option.
  ok =
    (await runOnce(
      'update',
      async () =>
        twin.sfn.startExecution({
          stateMachineName: 'import-users',
          name: 'bench-update',
          input: {
            bucket: twin.bucket,
            key: `incoming/${UserPoolId}/users.csv`,
            userPoolId: UserPoolId,
            options: { existingUsers: 'update' },
          },
        }).executionArn,
      users,
    )) && ok;
cognito.destroy();
s3.destroy();
await twin.close();
rmSync(work, { recursive: true, force: true });
if (!ok) process.exitCode = 1;
