/**
 * What an operator sees of runs on the twin, where they would look on AWS: each function's lines
 * in the twin's CloudWatch Logs as `/aws/lambda/<function name>`, one JSON object per line (log
 * records with a level, EMF metric records), every line carrying its run, the outcome's metrics,
 * and no personal data — read with the real CloudWatch Logs client and with `cognito-import logs`.
 */
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logs as logsCommand } from '../../src/cli/logs.ts';
import { main } from '../../src/cli/main.ts';
import { readEnvConfig } from '../../src/config.ts';
import { loadDefinition, localFunctionName } from '../../src/local/twin.ts';
import { type FunctionKey, taskFunctions } from '../../src/workflow/tasks.ts';
import type { Outcome } from '../../src/workflow/types.ts';
import { findLeaks } from '../hardening/leaks.ts';
import {
  csv,
  type Finished,
  HEADER,
  startWorkflowFixture,
  users,
  type WorkflowFixture,
} from '../helpers/workflow.ts';

interface Event {
  group: string;
  stream: string;
  record: Record<string, unknown>;
}

let f: WorkflowFixture;
let logs: CloudWatchLogsClient;
let runs: Finished[];
let events: Event[];

beforeAll(async () => {
  f = await startWorkflowFixture({ functionEnv: { INVALID_ROWS_POLICY: 'skip' } });
  logs = new CloudWatchLogsClient({
    endpoint: f.twin.cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // Two runs at once, in two pools: they share the account's one import slot, and their
  // invocations interleave in the twin's process.
  const [a, b] = await Promise.all([f.createPool(), f.createPool()]);
  const started = await Promise.all([
    f.drop(
      a as string,
      'first.csv',
      csv(HEADER, ...users(3), 'bad user,bad.user@example.com,true'),
    ),
    f.drop(b as string, 'second.csv', csv(HEADER, ...users(2, 10))),
  ]);
  runs = await Promise.all(started.map((arn) => f.finish(arn)));
  events = [];
  const { logGroups } = await logs.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }),
  );
  for (const { logGroupName } of logGroups ?? []) {
    let nextToken: string | undefined;
    do {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName, nextToken }));
      for (const event of page.events ?? [])
        events.push({
          group: logGroupName as string,
          stream: event.logStreamName as string,
          record: JSON.parse(event.message as string),
        });
      nextToken = page.nextToken;
    } while (nextToken);
  }
}, 60_000);

afterAll(async () => {
  logs.destroy();
  await f.stop();
});

const outcomeOf = (i: number) => runs[i]?.outcome as Outcome;
const isMetricRecord = (record: Record<string, unknown>) =>
  Array.isArray((record._aws as { CloudWatchMetrics?: unknown })?.CloudWatchMetrics);

describe("the functions' logs on the twin", () => {
  it('has one /aws/lambda/<function name> group per function that ran, a stream per instance', async () => {
    expect(runs.map((r) => r.outcome?.status)).toEqual(['PARTIAL', 'SUCCEEDED']);
    const tasks = taskFunctions(loadDefinition());
    const ran = new Set<FunctionKey>(['startImport']);
    for (const run of runs)
      for (const state of run.states) if (tasks[state]) ran.add(tasks[state] as FunctionKey);
    const { logGroups } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }),
    );
    expect(logGroups?.map((g) => g.logGroupName)).toEqual(
      [...ran].map((key) => `/aws/lambda/${localFunctionName(key)}`).sort(),
    );
    for (const { logGroupName } of logGroups ?? []) {
      const { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName }));
      expect(logStreams?.length, logGroupName).toBeGreaterThan(0);
      for (const stream of logStreams ?? [])
        expect(stream.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    }
  });

  it('writes every line as a JSON object: a log record with a level and its function, or an EMF record', () => {
    expect(events.length).toBeGreaterThan(20);
    for (const { group, record } of events) {
      if (isMetricRecord(record)) continue;
      expect(['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'], JSON.stringify(record)).toContain(
        record.level,
      );
      expect(typeof record.message).toBe('string');
      expect(`/aws/lambda/${record.function_name}`).toBe(group);
      expect(record.service).toBe('cognito-import-pipeline-local');
    }
  });

  it('has nothing to warn about in runs that went well', () => {
    expect(events.filter((e) => e.record.level && e.record.level !== 'INFO')).toEqual([]);
  });

  it("puts the run's name in every line of that run, and never another run's job in it", () => {
    const names = runs.map((r) => r.execution.name);
    const jobsOf = (name: string) => outcomeOf(names.indexOf(name)).jobs.map((job) => job.jobId);
    const runOfInvocation = new Map<unknown, unknown>();
    for (const { record } of events) {
      expect(names, JSON.stringify(record)).toContain(record.run);
      if (record.jobId) expect(jobsOf(record.run as string)).toContain(record.jobId);
      if (record.function_request_id) {
        const seen = runOfInvocation.get(record.function_request_id) ?? record.run;
        expect(record.run, 'one run per invocation').toBe(seen);
        runOfInvocation.set(record.function_request_id, record.run);
      }
    }
    for (const name of names)
      expect(events.filter((e) => e.record.run === name).length).toBeGreaterThan(8);
  });

  it('emits EMF metric records from the outcome: Runs by status, users, invalid rows, durations, slot waits', () => {
    const metrics = events.filter((e) => isMetricRecord(e.record)).map((e) => e.record);
    for (const [i, run] of runs.entries()) {
      const outcome = outcomeOf(i);
      const ofRun = metrics.filter((m) => m.run === run.execution.name);
      expect(ofRun).toContainEqual(
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              {
                Namespace: 'CognitoImport',
                Dimensions: [['service', 'status']],
                Metrics: [{ Name: 'Runs', Unit: 'Count' }],
              },
            ],
          }),
          service: 'cognito-import-pipeline-local',
          status: outcome.status,
          Runs: 1,
        }),
      );
      expect(ofRun).toContainEqual(
        expect.objectContaining({
          UsersImported: outcome.totals.imported,
          UsersSkipped: outcome.totals.skipped,
          UsersFailed: outcome.totals.failed,
          InvalidRows: outcome.validation?.invalidRows,
          RunDurationSeconds: expect.any(Number),
          JobDurationSeconds: expect.any(Number),
        }),
      );
      expect(ofRun.filter((m) => typeof m.SlotWaitSeconds === 'number')).toHaveLength(1);
    }
    expect(outcomeOf(0).validation?.invalidRows).toBe(1);
  });

  it('holds no email address, phone number or pre-signed URL, in any line or field', () => {
    const lines = events.map((e) => ({ source: e.group, line: JSON.stringify(e.record) }));
    expect(findLeaks(lines)).toEqual([]);
    expect(lines.some((l) => l.line.includes('example.com'))).toBe(false);
  });
});

describe('cognito-import logs', () => {
  // The environment points at the twin, as after "serve" and the exports it prints; the twin
  // itself leaves the process environment alone.
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [name, value] of Object.entries(f.twin.env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        out: (l: string) => out.push(l),
        err: (l: string) => err.push(l),
        errRaw: () => {},
        isTty: false,
      },
    };
  };

  it("prints one run's lines as the functions wrote them, with --json", async () => {
    const name = runs[1]?.execution.name as string;
    const { out, io } = capture();
    expect(await main(['logs', '--run', name, '--json'], io, readEnvConfig())).toBe(0);
    const printed = out.map((line) => JSON.parse(line));
    expect(printed.length).toBe(events.filter((e) => e.record.run === name).length);
    expect(new Set(printed.map((r) => r.run))).toEqual(new Set([name]));
  });

  it('prints a readable line per log record and metric record of one function', async () => {
    const { out, io } = capture();
    expect(await main(['logs', '--function', 'reportOutcome'], io, readEnvConfig())).toBe(0);
    expect(out.some((l) => /reportOutcome\s+INFO\s+outcome {2}.*status=PARTIAL/.test(l))).toBe(
      true,
    );
    expect(out.some((l) => /reportOutcome\s+METRIC Runs=1 .*status=SUCCEEDED/.test(l))).toBe(true);
    expect(out.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}reportOutcome /.test(l))).toBe(true);
  });

  it('follows: prints the lines there are, then each new one as it arrives, until stopped', async () => {
    const { out, io } = capture();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const until = async (done: () => boolean) => {
      for (let waited = 0; !done() && waited < 10_000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const following = logsCommand(
      ['--follow', '--function', 'validateCsv'],
      io,
      readEnvConfig(),
      stopped,
    );
    await until(() => out.length >= runs.length);
    expect(out).toHaveLength(runs.length);
    // A new line in the function's log group, as its next invocation would write it.
    f.twin.cognito.logs.put(
      `/aws/lambda/${localFunctionName('validateCsv')}`,
      '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
      [
        {
          timestamp: Date.now() + 1000,
          message: '{"level":"INFO","message":"validated","run":"imp-later-1","rows":1}',
        },
      ],
    );
    await until(() => out.length > runs.length);
    stop();
    expect(await following).toBe(0);
    expect(out).toHaveLength(runs.length + 1);
    expect(out.at(-1)).toMatch(/validateCsv\s+INFO\s+validated {2}run=imp-later-1 rows=1$/);
  });

  it('refuses a function it does not know and a run name that cannot be one, with exit 2', async () => {
    const { err, io } = capture();
    expect(await main(['logs', '--function', 'importUsers'], io, readEnvConfig())).toBe(2);
    expect(await main(['logs', '--run', 'a run'], io, readEnvConfig())).toBe(2);
    expect(err.join('\n')).toMatch(/not one of the functions.*not an execution name/s);
  });
});
