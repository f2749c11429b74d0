import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { startCognitoTwin } from '../../twin/index.ts';
import { createClients } from '../aws/clients.ts';
import type { EnvConfig } from '../config.ts';
import { LOCAL_STAGE } from '../local/twin.ts';
import { deployedFunctionName, FUNCTION_HANDLERS, type FunctionKey } from '../workflow/tasks.ts';
import { LOCAL_CREDENTIALS } from './cognito-target.ts';
import { UsageError } from './errors.ts';
import type { Io } from './io.ts';

export const LOGS_HELP = `Usage: cognito-import logs [--function NAME] [--run NAME] [--follow] [--json] [--stage STAGE] [--aws] [--data-dir DIR]

Prints what the pipeline's functions wrote to CloudWatch Logs (/aws/lambda/<function name>),
oldest first: their JSON log lines (level, message, the run, part and job id, and counts) and
their EMF metric records. Reads the local twin's CloudWatch Logs, a twin run by "serve" when the
environment points at one, or AWS with --aws.

Options:
  --function NAME   one function, by its key (validateCsv) or its deployed name
  --run NAME        only the lines of one run (its execution name)
  --follow          keep printing lines as they arrive (Ctrl-C stops)
  --json            print each line as the function wrote it (one JSON object per line)
  --stage STAGE     whose functions (cognito-import-pipeline-<stage>-*): default local on the
                    twin, dev on AWS
  --aws             read AWS's CloudWatch Logs (the SDK's usual credentials and region)
  --data-dir DIR    the local twin's data folder (default: .cognito-import)
  -h, --help        this help`;

/** Keys every Powertools log line carries; the rest are the line's own fields. */
const CONTEXT_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'requestId',
]);

interface Line {
  timestamp: number;
  id: string;
  functionKey: string;
  message: string;
}

const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** One line for a person: time, function, level, message and fields (or the metrics of a record). */
export function formatLine(line: Line): string {
  const time = new Date(line.timestamp).toISOString();
  let record: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(line.message) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      record = parsed as Record<string, unknown>;
  } catch {
    record = undefined;
  }
  const head = `${time}  ${line.functionKey.padEnd(15)}`;
  if (!record) return `${head}  -      ${line.message}`;
  const emf = (record._aws as { CloudWatchMetrics?: { Metrics?: { Name?: string }[] }[] })
    ?.CloudWatchMetrics?.[0];
  if (emf) {
    const names = (emf.Metrics ?? []).map((m) => m.Name ?? '');
    const metrics = names.map((name) => `${name}=${value(record[name])}`);
    const others = Object.keys(record)
      .filter((k) => k !== '_aws' && k !== 'service' && !names.includes(k))
      .map((k) => `${k}=${value(record[k])}`);
    return `${head}  METRIC ${[...metrics, ...others].join(' ')}`;
  }
  const fields = Object.keys(record)
    .filter((k) => !CONTEXT_KEYS.has(k))
    .map((k) => `${k}=${value(record[k])}`);
  return `${head}  ${String(record.level ?? '-').padEnd(6)} ${value(record.message ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

async function logsTarget(
  config: EnvConfig,
  aws: boolean,
  dataDir: string,
): Promise<{ logs: CloudWatchLogsClient; where: string; close(): Promise<void> }> {
  if (aws || config.endpointsFromEnv) {
    const clients = createClients();
    return {
      logs: clients.logs,
      where: config.endpointsFromEnv ? 'the endpoint in AWS_ENDPOINT_URL_CLOUDWATCH_LOGS' : 'AWS',
      close: async () => {
        for (const client of Object.values(clients)) client.destroy();
      },
    };
  }
  // Only to read: jobs a twin run by another process on this folder stay with it.
  const twin = await startCognitoTwin({ dataDir, resumeJobs: false });
  const clients = createClients({
    endpoints: { logs: twin.endpoint },
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    logs: clients.logs,
    where: `the local twin (${dataDir})`,
    close: async () => {
      for (const client of Object.values(clients)) client.destroy();
      await twin.close();
    },
  };
}

async function functionGroups(logs: CloudWatchLogsClient, prefix: string): Promise<string[]> {
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: prefix,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const group of page.logGroups ?? [])
      if (group.logGroupName) groups.push(group.logGroupName);
    nextToken = page.nextToken;
  } while (nextToken);
  return groups;
}

export async function logs(
  argv: string[],
  io: Io,
  config: EnvConfig,
  stopped: Promise<void>,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      function: { type: 'string' },
      run: { type: 'string' },
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
      stage: { type: 'string' },
      aws: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const aws = values.aws ?? false;
  const stage = values.stage ?? (aws && !config.endpointsFromEnv ? 'dev' : LOCAL_STAGE);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(stage))
    throw new UsageError(`--stage must be a stage name (letters, digits, -), not "${stage}".`);
  // Execution names are [A-Za-z0-9_-]: anything else cannot be a run, and must not reach a pattern.
  if (values.run !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(values.run))
    throw new UsageError(`"${values.run}" is not an execution name (letters, digits, - and _).`);
  const prefix = `/aws/lambda/${deployedFunctionName(stage)}-`;
  let only: string | undefined;
  if (values.function !== undefined) {
    const key = values.function.startsWith(deployedFunctionName(stage))
      ? values.function.slice(deployedFunctionName(stage).length + 1)
      : values.function;
    if (!(key in FUNCTION_HANDLERS))
      throw new UsageError(
        `"${values.function}" is not one of the functions: ${Object.keys(FUNCTION_HANDLERS).join(', ')}.`,
      );
    only = `${prefix}${key as FunctionKey}`;
  }
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const target = await logsTarget(config, aws, dataDir);
  try {
    const seen = new Set<string>();
    let since: number | undefined;
    const print = async () => {
      const groups = (await functionGroups(target.logs, prefix)).filter(
        (group) => !only || group === only,
      );
      const lines: Line[] = [];
      for (const group of groups) {
        let nextToken: string | undefined;
        do {
          const page = await target.logs.send(
            new FilterLogEventsCommand({
              logGroupName: group,
              ...(values.run ? { filterPattern: `{ $.run = "${values.run}" }` } : {}),
              ...(since !== undefined ? { startTime: since } : {}),
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          for (const event of page.events ?? [])
            lines.push({
              timestamp: event.timestamp ?? 0,
              id: `${group} ${event.eventId ?? `${event.logStreamName} ${event.timestamp} ${event.message}`}`,
              functionKey: group.slice(prefix.length),
              message: event.message ?? '',
            });
          nextToken = page.nextToken;
        } while (nextToken);
      }
      lines.sort((a, b) => a.timestamp - b.timestamp);
      for (const line of lines) {
        if (seen.has(line.id)) continue;
        seen.add(line.id);
        io.out(values.json ? line.message : formatLine(line));
        // The next look starts at the newest time seen (inclusive: the ids tell lines apart).
        since = Math.max(since ?? 0, line.timestamp);
      }
    };
    await print();
    if (!values.follow) {
      if (seen.size === 0 && !values.json)
        io.err(
          `No function log lines${values.run ? ` of run ${values.run}` : ''} in ${target.where}.`,
        );
      return 0;
    }
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    while (!done) {
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 1000))]);
      if (!done) await print();
    }
    return 0;
  } finally {
    await target.close();
  }
}
