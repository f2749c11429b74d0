import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { errorName, httpStatusOf, isTransientServiceFault } from '../aws/sdk-errors.ts';
import type { FunctionConfig } from '../config.ts';
import { NotificationFailedError } from '../errors.ts';
import { writeFailures } from './failures.ts';
import { outcomeKey } from './keys.ts';
import { type Log, type MetricSink, recordOutcome } from './telemetry.ts';
import type {
  JobState,
  Outcome,
  OutcomeJob,
  OutcomeStatus,
  PartItem,
  PreparedRun,
  StateError,
  ValidationSummary,
} from './types.ts';

/** Whatever state reaches ReportOutcome: any path, including a crash caught early. */
export type ReportInput = Partial<PreparedRun> & {
  input?: unknown;
  validation?: ValidationSummary;
  parts?: (PartItem & { job?: JobState })[];
  error?: StateError;
  /**
   * Set by the sweeper (src/workflow/sweep.ts), never by the state machine: the execution ended
   * outside the workflow (StopExecution, a timeout, a runtime failure) before it reported, so
   * this is the outcome's status and reason.
   */
  ended?: { status: OutcomeStatus; reason: string };
};

export interface ReportDeps {
  s3: Pick<S3Client, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  sns: Pick<SNSClient, 'send'>;
  config: Pick<FunctionConfig, 'topicArn' | 'cognitoLineNumbering'>;
  now: () => number;
  log?: Log;
  metrics?: MetricSink;
  /** Waits before a throttled log page is asked for again (real time unless given). */
  sleep?: (ms: number) => Promise<void>;
}

function sourceOf(state: ReportInput): Outcome['source'] {
  if (state.source)
    return {
      bucket: state.source.bucket,
      key: state.source.key,
      ...(state.source.etag ? { etag: state.source.etag } : {}),
    };
  const input = (typeof state.input === 'object' && state.input !== null ? state.input : state) as {
    bucket?: unknown;
    key?: unknown;
  };
  return {
    bucket: typeof input.bucket === 'string' ? input.bucket : '',
    key: typeof input.key === 'string' ? input.key : '',
  };
}

/** The jobs' counts, and what the parts' post-import phases did. */
function totalsOf(state: ReportInput, jobs: OutcomeJob[]): Outcome['totals'] {
  const posts = (state.parts ?? []).flatMap((part) => (part.post ? [part.post] : []));
  return {
    imported: jobs.reduce((n, j) => n + j.importedUsers, 0),
    skipped: jobs.reduce((n, j) => n + j.skippedUsers, 0),
    failed: jobs.reduce((n, j) => n + j.failedUsers, 0),
    updated: posts.reduce((n, p) => n + p.updated, 0),
    memberships: posts.reduce((n, p) => n + p.memberships, 0),
    postImportFailed: posts.reduce((n, p) => n + p.failed, 0),
  };
}

/**
 * Whether a part's Failed job was answered by the post-import phase: Cognito fails a job in which
 * too many rows were skipped (docs/cognito-behaviour.md, the failure threshold), which is what
 * a corrected re-run of existing users always is. Under `existingUsers: update`, once the phase
 * has done every row and the job handled every row of its part, the job's verdict is not the
 * run's: its rows were imported or updated, or are counted as failed.
 */
function answeredByUpdate(part: PartItem & { job?: JobState }): boolean {
  const { job, post } = part;
  return (
    job?.status === 'Failed' &&
    part.options?.existingUsers === 'update' &&
    post?.done === true &&
    job.importedUsers + job.skippedUsers + job.failedUsers === part.part.rows
  );
}

function decideStatus(
  state: ReportInput,
  jobs: OutcomeJob[],
  partErrors: number,
  totals: Outcome['totals'],
): { status: OutcomeStatus; reason?: string; code?: string } {
  if (state.ended) return state.ended;
  const rejected = state.rejected ?? state.validation?.rejected;
  if (rejected) return { status: 'REJECTED', reason: rejected.reason, code: rejected.code };
  if (state.error && jobs.length === 0)
    return { status: 'FAILED', reason: describeError(state.error) };
  const failedPart = (state.parts ?? []).find((part) => part.error);
  const failedJob = (state.parts ?? []).find(
    (part) => part.job?.status === 'Failed' && !answeredByUpdate(part),
  )?.job;
  if (partErrors > 0 || failedJob || state.error) {
    const job = failedJob;
    const reason = failedPart?.error
      ? describeError(failedPart.error)
      : state.error
        ? describeError(state.error)
        : job?.completionMessage;
    return { status: 'FAILED', ...(reason ? { reason } : {}) };
  }
  if (jobs.some((job) => job.status === 'Stopped'))
    return {
      status: 'STOPPED',
      reason: "An import job was stopped: it passed the run's deadline.",
    };
  if (jobs.some((job) => job.status === 'Expired'))
    return { status: 'EXPIRED', reason: 'An import job expired before it started.' };
  // A row landed when Cognito imported it, or when it skipped an existing user the run then
  // updated; anything else, or a failed update or membership, makes the run PARTIAL.
  const partial =
    totals.failed > 0 ||
    totals.skipped > totals.updated ||
    totals.postImportFailed > 0 ||
    (state.validation?.invalidRows ?? 0) > 0;
  return { status: partial ? 'PARTIAL' : 'SUCCEEDED' };
}

function describeError(error: StateError): string {
  const cause = (error.Cause ?? '').split('\n')[0] ?? '';
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // Locally the cause is the message itself; in AWS it is a JSON document.
  }
  return `${error.Error}${message ? `: ${message}` : ''}`.slice(0, 500);
}

/** The notification subject: one ASCII line under SNS's 100 characters. */
export function subjectFor(
  outcome: Pick<Outcome, 'status' | 'source' | 'userPoolId' | 'totals' | 'reason'>,
): string {
  const file = outcome.source.key.split('/').pop() || outcome.source.key || 'input';
  const counts =
    outcome.status === 'REJECTED'
      ? (outcome.reason ?? 'rejected')
      : `${outcome.totals.imported.toLocaleString('en')} imported, ${outcome.totals.skipped.toLocaleString('en')} skipped, ${outcome.totals.failed.toLocaleString('en')} failed${outcome.totals.updated ? `, ${outcome.totals.updated.toLocaleString('en')} updated` : ''}`;
  const text = `[${outcome.status}] ${file} -> ${outcome.userPoolId ?? 'no pool'}: ${counts}`;
  // SNS subjects must be printable ASCII.
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 99 ? ascii : `${ascii.slice(0, 96)}...`;
}

/**
 * ReportOutcome: on every path, writes `failures.csv` (each FAILED and SKIPPED log line of every
 * job mapped back to its source line and username, in S3 only), decides the outcome, writes
 * `outcome.json`, and publishes the notification. The outcome is written before it is published,
 * so a notification that fails (and is retried) never loses it.
 *
 * @throws NotificationFailedError when SNS refuses the message; the state machine retries.
 */
export async function reportOutcome(state: ReportInput, deps: ReportDeps): Promise<Outcome> {
  const failures = await writeFailuresReport(state, deps);
  const outcome = composeOutcome(state, failures, deps.now());
  await writeOutcome(outcome, deps);
  await publishOutcome(outcome, state.options?.notify ?? true, deps);
  recordOutcome(deps.metrics, outcome);
  return outcome;
}

/** The import jobs of a run's parts, as the outcome reports them. */
const jobsOf = (state: ReportInput): OutcomeJob[] =>
  (state.parts ?? []).flatMap((part) => (part.job?.jobId ? [strip(part.job)] : []));

/**
 * Writes the run's `failures.csv`: each FAILED and SKIPPED line of its jobs' import logs, mapped
 * back to its source line and username. Answers what the outcome says of it, or nothing when no
 * job ran or the list could not be built: throttling and service faults are thrown (the state
 * machine retries), anything else (the line map gone or not readable) must not cost the outcome
 * itself, which then goes out with its counts, without the list.
 */
export async function writeFailuresReport(
  state: ReportInput,
  deps: ReportDeps,
): Promise<Outcome['failures']> {
  const run = state.run ?? 'unknown-run';
  if (!state.userPoolId || jobsOf(state).length === 0) return undefined;
  try {
    const parts = (state.parts ?? []).flatMap(({ part, job, post, options }) => {
      if (!job?.jobId) return [];
      // Skipped rows the phase updated have landed; the ones it could not are its failures.
      const skippedUpdated = options?.existingUsers === 'update' && post?.done === true;
      const postImportFailed = post?.failed ?? 0;
      const logged = job.failedUsers + (skippedUpdated ? 0 : job.skippedUsers);
      // A part with nothing failed or skipped has no line worth reading back.
      return logged + postImportFailed > 0 ? [{ part, job, skippedUpdated, postImportFailed }] : [];
    });
    return await writeFailures(deps, run, sourceOf(state).bucket, state.userPoolId, parts);
  } catch (error) {
    if (isTransientServiceFault(error)) throw error;
    deps.log?.warn('failures.csv could not be written; the outcome has the counts', {
      errorName: errorName(error),
    });
    return undefined;
  }
}

/**
 * Decides the outcome of a run from its state and what `failures.csv` holds; writes nothing.
 * `now` is the outcome's finishing time.
 */
export function composeOutcome(
  state: ReportInput,
  failures: Outcome['failures'],
  now: number,
): Outcome {
  const source = sourceOf(state);
  const run = state.run ?? 'unknown-run';
  const jobs = jobsOf(state);
  const partErrors = (state.parts ?? []).filter((part) => part.error).length;
  const totals = totalsOf(state, jobs);
  const { status, reason, code } = decideStatus(state, jobs, partErrors, totals);
  const groups = state.validation?.groups;
  const outcomeWithoutSummary = {
    status,
    run,
    ...(state.userPoolId ? { userPoolId: state.userPoolId } : {}),
    source,
    ...(reason ? { reason } : {}),
    ...(code ? { code } : {}),
    ...(state.validation
      ? {
          validation: {
            rows: state.validation.rows,
            invalidRows: state.validation.invalidRows,
            warnings: state.validation.warnings,
            reportKey: state.validation.reportKey,
          },
        }
      : {}),
    jobs,
    totals,
    ...(groups ? { groups: { created: groups.created, createdCount: groups.createdCount } } : {}),
    ...(failures && failures.count > 0 ? { failures } : {}),
    reportKey: outcomeKey(run),
    ...(state.executionArn ? { executionArn: state.executionArn } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    finishedAt: new Date(now).toISOString(),
  };
  return { ...outcomeWithoutSummary, summary: subjectFor(outcomeWithoutSummary) };
}

/**
 * Writes `outcome.json` to the source's bucket. A bucket that does not exist or that the pipeline
 * may not write (a run started for a bucket that is not the import bucket: its input is REJECTED)
 * cannot hold the outcome; the notification and the execution's output still carry it, so that
 * is logged and answered `false` rather than thrown, which would lose the notification too.
 *
 * @throws the SDK's other errors (throttling, service faults), which the state machine retries.
 */
export async function writeOutcome(outcome: Outcome, deps: ReportDeps): Promise<boolean> {
  const { bucket } = outcome.source;
  if (bucket) {
    try {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: outcome.reportKey,
          Body: JSON.stringify(outcome, null, 2),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== 403 && status !== 404) throw error;
      deps.log?.warn(
        "the outcome could not be written to S3; it is in the notification and the execution's output",
        { errorName: errorName(error) },
      );
      return false;
    }
  }
  deps.log?.info('outcome', {
    status: outcome.status,
    imported: outcome.totals.imported,
    skipped: outcome.totals.skipped,
    failed: outcome.totals.failed,
    written: Boolean(bucket),
  });
  return Boolean(bucket);
}

/**
 * Publishes the outcome to the topic (unless the run asked for no notification or no topic is
 * configured).
 *
 * @throws NotificationFailedError when SNS refuses the message.
 */
export async function publishOutcome(
  outcome: Outcome,
  notify: boolean,
  deps: ReportDeps,
): Promise<boolean> {
  const status = outcome.status;
  if (notify && deps.config.topicArn) {
    try {
      await deps.sns.send(
        new PublishCommand({
          TopicArn: deps.config.topicArn,
          Subject: outcome.summary,
          Message: JSON.stringify(outcome),
          MessageAttributes: {
            status: { DataType: 'String', StringValue: status },
            userPoolId: { DataType: 'String', StringValue: outcome.userPoolId ?? 'none' },
          },
        }),
      );
    } catch (error) {
      throw new NotificationFailedError(
        `The outcome is in S3, but publishing it failed: ${errorName(error)}.`,
        { cause: error },
      );
    }
    return true;
  }
  return false;
}

function strip(job: JobState): OutcomeJob {
  const {
    poll: _poll,
    slotBusy: _busy,
    slotWaitSince: _since,
    mustStop: _must,
    stopReason: _reason,
    stopRequested: _requested,
    ...facts
  } = job;
  return facts;
}
