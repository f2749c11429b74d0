/**
 * ReportOutcome on the largest report it has to write: a file imported once, then imported
 * again, so that every row of the second run is SKIPPED across several parts, and
 * `failures.csv` lists them all. The whole workflow runs on the local twin (the real ASL, the
 * real handlers); each run's ReportOutcome runs the deployed bundle (`osls package`'s
 * reportOutcome.zip, as test/deploy builds it) in a child process of its own, so that its time,
 * CPU and peak RSS are the function's, not the twin's. The figures are compared with the memory,
 * timeout and ephemeral storage the packaged template gives the function.
 *
 *   npm run bench:report -- [--rows 1000000] [--part-rows 100000] [--logs-per-second N]
 *     [--heap-mb N] [--cpu-prof]
 *
 * `--part-rows` lowers PART_MAX_ROWS (Cognito's 500,000) so that the file makes several parts,
 * as the largest accepted file does (1 GB in parts of at most 100 MB). `--logs-per-second` holds
 * FilterLogEvents to that many calls a second (the twin answers ThrottlingException beyond), as
 * CloudWatch Logs' account quota does. `--heap-mb` caps the function's V8 heap
 * (`--max-old-space-size`): a report that held its rows in memory would fail. `--cpu-prof`
 * writes each invocation's CPU profile to bench/out/report-profiles/. Exits non-zero when the
 * run does not report its outcome or the function passes one of its limits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { bundlesOf, extractBundles, packageStack } from '../scripts/packaging.ts';
import { ALLOWED_TAG_KEY } from '../src/cognito/allowed-pools.ts';
import { LOCAL_CREDENTIALS, type StartedRun, startLocalTwin } from '../src/local/twin.ts';
import { failuresKey, outcomeKey } from '../src/workflow/keys.ts';
import type { Outcome } from '../src/workflow/types.ts';
import { writeUsersFile } from './users-file.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a whole number.`);
  return value;
}

const rows = option('--rows', 1_000_000);
const partRows = option('--part-rows', 100_000);
const logsPerSecond = option('--logs-per-second', 0);
const heapMb = option('--heap-mb', 0);
const profile = process.argv.includes('--cpu-prof');
const PROFILE_DIR = join(import.meta.dirname, 'out', 'report-profiles');

/** What the child reports of one invocation of the bundle's handler. */
interface Invocation {
  handlerMs: number;
  /** CPU time (user + system) the process spent in the call. */
  cpuMs: number;
  processMs: number;
  rssBeforeBytes: number;
  maxRssBytes: number;
  result?: unknown;
  error?: { name: string; message: string };
  logLines: string[];
  filterLogEventsCalls: number;
  /** Time the twin spent answering those calls (server side). */
  filterLogEventsMs: number;
  getObjectCalls: number;
}

/**
 * Runs the bundled handler once in a fresh Node process, as Lambda's runtime would: the module
 * is imported, then called with the event and a context. The SDK clients reach the twin through
 * the standard endpoint variables; the settings are those serverless.yml sets.
 */
function invokeInChild(
  modulePath: string,
  event: unknown,
  env: Record<string, string>,
  memoryMb: number,
): Promise<Omit<Invocation, 'filterLogEventsCalls' | 'filterLogEventsMs' | 'getObjectCalls'>> {
  const dir = mkdtempSync(join(tmpdir(), 'report-bench-call-'));
  const input = join(dir, 'event.json');
  const output = join(dir, 'result.json');
  writeFileSync(input, JSON.stringify(event));
  const script = `
    import { readFileSync, writeFileSync } from 'node:fs';
    const { handler } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
    const event = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));
    const started = Date.now();
    const context = {
      functionName: 'cognito-import-pipeline-bench-reportOutcome',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:cognito-import-pipeline-bench-reportOutcome',
      memoryLimitInMB: '${memoryMb}',
      awsRequestId: 'bench',
      logGroupName: '/aws/lambda/cognito-import-pipeline-bench-reportOutcome',
      logStreamName: 'bench',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => 900000 - (Date.now() - started),
    };
    const rssBeforeBytes = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let result, error;
    try {
      result = await handler(event, context);
    } catch (e) {
      error = { name: e?.name ?? 'Error', message: e?.message ?? String(e) };
    }
    const handlerMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    writeFileSync(${JSON.stringify(output)}, JSON.stringify({
      handlerMs, cpuMs: (cpu.user + cpu.system) / 1000, rssBeforeBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024, result, error,
    }));
    // The SDK's keep-alive sockets would hold the process open for seconds.
    process.exit(0);
  `;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const flags = [
      ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    ];
    const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`the child exited with ${code}`);
        const answer = JSON.parse(readFileSync(output, 'utf8')) as Omit<
          Invocation,
          'processMs' | 'logLines' | 'filterLogEventsCalls' | 'filterLogEventsMs' | 'getObjectCalls'
        >;
        resolve({
          ...answer,
          processMs: performance.now() - started,
          logLines: stdout.split('\n').filter(Boolean),
        });
      } catch (error) {
        reject(error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const stack = await packageStack();
console.log(
  stack.cached
    ? 'bundle: cached osls package output'
    : `bundle: osls package took ${stack.seconds.toFixed(1)} s`,
);
const fn = stack.template.Resources.ReportOutcomeLambdaFunction?.Properties ?? {};
const limits = {
  memoryMb: Number(fn.MemorySize ?? 128),
  timeoutS: Number(fn.Timeout ?? 3),
  tmpMb: Number((fn.EphemeralStorage as { Size?: number } | undefined)?.Size ?? 512),
};
const work = mkdtempSync(join(tmpdir(), 'report-bench-'));
const modulePath = extractBundles(
  bundlesOf(stack).filter((b) => b.key === 'reportOutcome'),
  join(work, 'bundles'),
).get('reportOutcome') as string;

const file = join(work, 'users.csv');
writeUsersFile(file, rows);
const fileBytes = statSync(file).size;

const requests = { FilterLogEvents: 0, FilterLogEventsMs: 0, GetObject: 0 };
const invocations: Invocation[] = [];
const twin = await startLocalTwin({
  dataDir: join(work, 'data'),
  waitScale: 0.001,
  functionEnv: { PART_MAX_ROWS: String(partRows) },
  // Every row of the second run is SKIPPED: past Cognito's (undocumented) threshold, its jobs
  // would end Failed and the run would stop after the first part. The bench wants every part.
  cognito: { knobs: { failureThreshold: 1 } },
  onRequest: (entry) => {
    if (entry.operation === 'FilterLogEvents') {
      requests.FilterLogEvents++;
      requests.FilterLogEventsMs += entry.ms;
    }
    if (entry.operation === 'GetObject') requests.GetObject++;
  },
  wrapTask: (state, task) =>
    state !== 'ReportOutcome'
      ? task
      : async (input) => {
          const before = { ...requests };
          const call = await invokeInChild(
            modulePath,
            input,
            {
              ...twin.env,
              OUTCOME_TOPIC_ARN: twin.topicArn,
              POWERTOOLS_SERVICE_NAME: 'cognito-import-pipeline-bench',
              POWERTOOLS_METRICS_NAMESPACE: 'CognitoImport',
              POWERTOOLS_TRACE_ENABLED: 'false',
              AWS_LAMBDA_LOG_FORMAT: 'JSON',
              AWS_LAMBDA_LOG_LEVEL: 'INFO',
            },
            limits.memoryMb,
          );
          invocations.push({
            ...call,
            filterLogEventsCalls: requests.FilterLogEvents - before.FilterLogEvents,
            filterLogEventsMs: requests.FilterLogEventsMs - before.FilterLogEventsMs,
            getObjectCalls: requests.GetObject - before.GetObject,
          });
          if (call.error) throw Object.assign(new Error(call.error.message), call.error);
          return call.result;
        },
});
const config = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
const cognito = new CognitoIdentityProviderClient({ ...config, endpoint: twin.cognito.endpoint });
const s3 = new S3Client({ ...config, endpoint: twin.s3.endpoint, forcePathStyle: true });

async function importFile(poolId: string, name: string) {
  const key = `incoming/${poolId}/${name}`;
  const started = new Promise<StartedRun>((resolve) => {
    const onStarted = (run: StartedRun) => {
      if (run.key !== key) return;
      twin.events.off('started', onStarted);
      resolve(run);
    };
    twin.events.on('started', onStarted);
  });
  const t0 = performance.now();
  await s3.send(new PutObjectCommand({ Bucket: twin.bucket, Key: key, Body: readFileSync(file) }));
  const [result] = (await started).results;
  if (result?.status !== 'started') throw new Error(`no run started for ${key}`);
  const execution = await twin.sfn.waitFor(result.executionArn);
  const seconds = (performance.now() - t0) / 1000;
  const object = await s3.send(
    new GetObjectCommand({ Bucket: twin.bucket, Key: outcomeKey(execution.name) }),
  );
  const outcome = JSON.parse(
    await (object.Body as { transformToString(): Promise<string> }).transformToString(),
  ) as Outcome;
  return { execution, seconds, outcome };
}

let ok = false;
try {
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: 'report-bench',
      AutoVerifiedAttributes: ['email'],
      UserPoolTags: { [ALLOWED_TAG_KEY]: 'true' },
    }),
  );
  const poolId = UserPool?.Id as string;
  console.log(
    `file: ${rows.toLocaleString('en')} rows, ${(fileBytes / 1e6).toFixed(1)} MB, parts of ${partRows.toLocaleString('en')} rows${logsPerSecond ? `; FilterLogEvents held to ${logsPerSecond}/s` : ''}${heapMb ? `; the function's heap capped at ${heapMb} MB` : ''}`,
  );
  const first = await importFile(poolId, 'first.csv');
  console.log(
    `first import: ${first.outcome.status}, ${first.outcome.totals?.imported.toLocaleString('en')} imported in ${first.seconds.toFixed(1)} s`,
  );
  if (logsPerSecond)
    twin.cognito.faults.add({
      kind: 'throttle',
      operation: 'FilterLogEvents',
      perSecond: logsPerSecond,
    });
  const again = await importFile(poolId, 'again.csv');
  const report = invocations.at(-1) as Invocation;
  const { outcome } = again;
  const head = await s3
    .send(new HeadObjectCommand({ Bucket: twin.bucket, Key: failuresKey(again.execution.name) }))
    .catch(() => undefined);
  const failuresBytes = head?.ContentLength ?? 0;
  console.log(
    `re-import: ${outcome.status}, ${outcome.jobs?.length} jobs, ${outcome.totals?.skipped.toLocaleString('en')} skipped, failures.csv ${outcome.failures?.count.toLocaleString('en') ?? 'none'} rows, ${(failuresBytes / 1e6).toFixed(1)} MB; the run took ${again.seconds.toFixed(1)} s`,
  );
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const written = report.logLines
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .find((line) => line.message === 'failures.csv written');
  const table: [string, string, string][] = [
    [
      'ReportOutcome handler',
      `${(report.handlerMs / 1000).toFixed(1)} s (process ${(report.processMs / 1000).toFixed(1)} s)`,
      `timeout ${limits.timeoutS} s`,
    ],
    [
      'ReportOutcome CPU time',
      `${(report.cpuMs / 1000).toFixed(1)} s`,
      `twin answering FilterLogEvents: ${(report.filterLogEventsMs / 1000).toFixed(1)} s`,
    ],
    [
      'peak RSS',
      `${mb(report.maxRssBytes).toFixed(0)} MB (${mb(report.rssBeforeBytes).toFixed(0)} MB before the call)`,
      `memory ${limits.memoryMb} MB`,
    ],
    ['failures.csv in /tmp', `${mb(failuresBytes).toFixed(1)} MB`, `/tmp ${limits.tmpMb} MB`],
    [
      'failures.csv step',
      `${written?.seconds ?? '?'} s, ${written?.logPages ?? '?'} log pages, ${written?.logRetries ?? '?'} retried`,
      '',
    ],
    ['FilterLogEvents calls', String(report.filterLogEventsCalls), ''],
    ['GetObject calls (line map)', String(report.getObjectCalls), ''],
  ];
  for (const [what, value, limit] of table)
    console.log(`  ${what.padEnd(28)}${value.padEnd(44)}${limit}`);
  const reported =
    outcome.totals?.skipped === rows && outcome.failures?.count === rows && !report.error;
  const within =
    report.processMs / 1000 < limits.timeoutS &&
    mb(report.maxRssBytes) < limits.memoryMb &&
    mb(failuresBytes) < limits.tmpMb;
  console.log(
    reported
      ? within
        ? 'the re-import reported its outcome, within the function’s limits'
        : 'the re-import reported its outcome, but PAST a limit of the function'
      : 'the re-import did NOT report its outcome with every skipped row',
  );
  ok = reported && within;
} finally {
  await twin.close();
  rmSync(work, { recursive: true, force: true });
}
if (!ok) process.exitCode = 1;
