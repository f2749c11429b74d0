import {
  type CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { isAwsError, isTransientServiceFault } from '../aws/sdk-errors.ts';
import type { OutcomeJob } from './types.ts';

/*
 * Reading an import job's CloudWatch log, shared by failures.csv (failures.ts) and the
 * post-import phase (post-import/): the pool's log groups, then the job's stream page after page
 * (FilterLogEvents: at most 10,000 events or 1 MB a page, under an account-wide rate quota). A
 * page that is throttled or meets a service fault is asked for again after a pause, rather than
 * the whole reading failing and starting over from the first page.
 */

export interface JobLogDeps {
  logs: Pick<CloudWatchLogsClient, 'send'>;
  /** Waits before a log page is asked for again (real time unless given). */
  sleep?: (ms: number) => Promise<void>;
}

/** What a reading did, for its log line. */
export interface JobLogStats {
  logPages: number;
  logRetries: number;
}

/** Tries of one log page (each the SDK's own attempts) before the error is the caller's. */
const PAGE_TRIES = 8;
const PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 16_000;

/** A line of an import log: its outcome, the line number Cognito gives and the reason. */
export const JOB_LOG_LINE = /^\[(SUCCEEDED|FAILED|SKIPPED)\] Line Number (\d+) - (.*)$/;

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What Cognito's `Line Number` is less the part row it names: 0 when it numbers data rows from
 * 1, 1 when it numbers the file's lines with the header as line 1 (`cognitoLineNumbering`).
 */
export const lineNumberOffset = (numbering: 'data' | 'file') => (numbering === 'file' ? 1 : 0);

/** Calls `send` until it answers, pausing after a throttle or a service fault, up to PAGE_TRIES. */
export async function persistently<T>(
  deps: Pick<JobLogDeps, 'sleep'>,
  stats: JobLogStats,
  send: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!isTransientServiceFault(error) || attempt >= PAGE_TRIES) throw error;
      stats.logRetries++;
      // Exponential, with jitter: readers that collide on the account's quota spread out.
      const pause = Math.min(MAX_PAUSE_MS, PAUSE_MS * 2 ** (attempt - 1));
      await (deps.sleep ?? realSleep)(pause / 2 + (Math.random() * pause) / 2);
    }
  }
}

/** The pool's import log groups (one per pool; found by prefix, as their names are not rebuilt). */
export async function logGroups(
  deps: JobLogDeps,
  stats: JobLogStats,
  userPoolId: string,
): Promise<string[]> {
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await persistently(deps, stats, () =>
      deps.logs.send(
        new DescribeLogGroupsCommand({
          logGroupNamePrefix: `/aws/cognito/userpools/${userPoolId}/`,
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    for (const group of page.logGroups ?? [])
      if (group.logGroupName) groups.push(group.logGroupName);
    nextToken = page.nextToken;
  } while (nextToken);
  return groups;
}

/**
 * Hands each message of one job's log that matches `filterPattern` to `onMessage`, every page
 * of every group, in log order; stops between pages once `stop` is aborted.
 */
export async function readJobLog(
  deps: JobLogDeps,
  stats: JobLogStats,
  groups: string[],
  job: Pick<OutcomeJob, 'jobId' | 'jobName'>,
  filterPattern: string,
  onMessage: (message: string) => void,
  stop?: AbortSignal,
): Promise<void> {
  for (const group of groups) {
    let nextToken: string | undefined;
    do {
      if (stop?.aborted) return;
      const input: FilterLogEventsCommandInput = {
        logGroupName: group,
        logStreamNames: [`${job.jobId}/${job.jobName}`],
        filterPattern,
        ...(nextToken ? { nextToken } : {}),
      };
      const page = await persistently(deps, stats, () =>
        deps.logs.send(new FilterLogEventsCommand(input)),
      ).catch((error: unknown) => {
        // A group without the job's stream: the job wrote elsewhere (or nothing).
        if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
        throw error;
      });
      if (!page) break;
      stats.logPages++;
      for (const event of page.events ?? []) onMessage(event.message ?? '');
      nextToken = page.nextToken;
    } while (nextToken);
  }
}
