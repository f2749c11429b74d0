import {
  type CognitoIdentityProviderClient,
  ListUserImportJobsCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { httpStatusOf, isAwsError } from '../aws/sdk-errors.ts';
import { isActive, stopOrDescribe } from '../cognito/import-job.ts';
import { isUserPoolId } from '../cognito/pool-id.ts';
import type { FunctionConfig } from '../config.ts';
import { NotificationFailedError, OUTCOME_NOT_REPORTED, REPORTED_FAILURES } from '../errors.ts';
import { initialJobState } from './jobs.ts';
import { lineMapKey, outcomeKey, partKey } from './keys.ts';
import {
  composeOutcome,
  publishOutcome,
  type ReportDeps,
  type ReportInput,
  writeFailuresReport,
  writeOutcome,
} from './report.ts';
import { resolvePool } from './target-pool.ts';
import { METRICS, recordOutcome } from './telemetry.ts';
import type {
  JobState,
  Outcome,
  OutcomeStatus,
  PartItem,
  PreparedRun,
  ValidationSummary,
} from './types.ts';

/**
 * The execution statuses the sweeper's EventBridge rule matches ("Step Functions Execution
 * Status Change"): every way an execution can end without the workflow having finished its
 * own clean-up. serverless.yml's rule and the local twin filter on these.
 */
export const SWEPT_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** What the sweeper reads of the event (EventBridge's "Step Functions Execution Status Change"). */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  detail?: {
    executionArn?: string;
    name?: string;
    status?: string;
    startDate?: number;
    stopDate?: number | null;
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

export interface SweepDeps extends ReportDeps {
  sfn: Pick<SFNClient, 'send'>;
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  config: Pick<FunctionConfig, 'topicArn' | 'cognitoLineNumbering' | 'defaultUserPoolId'>;
  /** Waits between the publish attempts (real time on Lambda). */
  sleep: (ms: number) => Promise<void>;
}

export interface SweepResult {
  run?: string;
  status?: string;
  action: 'ignored' | 'reported-by-workflow' | 'swept';
  /** Import jobs of the run that were still active and were stopped now. */
  stoppedJobs: string[];
  /** What became of the outcome. */
  outcome: 'none' | 'existed' | 'written' | 'republished' | 'published' | 'not-written';
}

/** Publish attempts before the sweeper gives up (the event then goes to its dead-letter queue). */
const PUBLISH_ATTEMPTS = 4;
const MAX_JOB_PAGES = 20;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseJson = (text: string | null | undefined): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The whole history, oldest first, with the states' inputs and outputs. */
async function readHistory(sfn: SweepDeps['sfn'], executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

interface RunFacts {
  /** The input of the last ReportOutcome attempt: the run's whole state, every part ended. */
  reportState?: ReportInput;
  prepared?: PreparedRun;
  validation?: ValidationSummary;
  /** The last state seen of each part that had an import job, by part index. */
  parts: Map<number, PartItem & { job?: JobState }>;
  /** ReportOutcome ran out of time (Lambda's timeout, or its Task's). */
  reportTimedOut: boolean;
}

/** What the history says about the run: how far it got and which jobs its parts made. */
function runFacts(history: HistoryEvent[]): RunFacts {
  const facts: RunFacts = { parts: new Map(), reportTimedOut: false };
  let current = '';
  for (const event of history) {
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    const name = entered?.name ?? exited?.name;
    if (entered) current = entered.name ?? '';
    if (
      current === 'ReportOutcome' &&
      (event.lambdaFunctionFailedEventDetails?.error === 'Sandbox.Timedout' ||
        event.type === 'LambdaFunctionTimedOut')
    )
      facts.reportTimedOut = true;
    const data = parseJson(entered?.input ?? exited?.output);
    if (!name || !isObject(data)) continue;
    if (entered && name === 'ReportOutcome') facts.reportState = data as ReportInput;
    if (exited && name === 'PrepareImport' && typeof data.run === 'string')
      facts.prepared = data as unknown as PreparedRun;
    if (exited && name === 'ValidateCsv' && isObject(data.validation))
      facts.validation = data.validation as unknown as ValidationSummary;
    const part = data.part;
    const job = data.job;
    if (isObject(part) && typeof part.index === 'number' && isObject(job) && job.jobId)
      facts.parts.set(part.index, data as unknown as PartItem & { job: JobState });
  }
  return facts;
}

/** The pool an execution input names, resolved as PrepareImport resolves it. */
function poolOfInput(input: unknown, defaultPool: string | undefined): string | undefined {
  if (!isObject(input)) return undefined;
  const given = isUserPoolId(input.userPoolId) ? input.userPoolId : undefined;
  if (typeof input.key !== 'string') return given;
  const resolved = resolvePool({ userPoolId: given, key: input.key }, defaultPool);
  return 'userPoolId' in resolved ? resolved.userPoolId : undefined;
}

/**
 * The run's import jobs, found by name (`<run>-part-<n>`, see jobNameFor), newest first, reading
 * no further back than the execution's start: this also finds a job whose creation the history
 * never recorded (a CreateImportJob Lambda still running when the execution ended).
 */
async function runJobs(
  deps: SweepDeps,
  userPoolId: string,
  run: string,
  startedMs: number,
): Promise<{ index: number; job: UserImportJobType }[]> {
  const found: { index: number; job: UserImportJobType }[] = [];
  const prefix = `${run}-part-`;
  let token: string | undefined;
  for (let page = 0; page < MAX_JOB_PAGES; page++) {
    let jobs: UserImportJobType[];
    try {
      const answer = await deps.cognito.send(
        new ListUserImportJobsCommand({
          UserPoolId: userPoolId,
          MaxResults: 60,
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      jobs = answer.UserImportJobs ?? [];
      token = answer.PaginationToken;
    } catch (error) {
      // A pool the pipeline may not use (IAM refuses it on AWS) holds no job of the pipeline's.
      if (isAwsError(error, 'ResourceNotFoundException', 'AccessDeniedException')) return found;
      throw error;
    }
    let older = false;
    for (const job of jobs) {
      // Listed newest first; five minutes of slack for clocks that disagree.
      if ((job.CreationDate?.getTime() ?? 0) < startedMs - 300_000) older = true;
      const name = job.JobName ?? '';
      if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
        found.push({ index: Number(name.slice(prefix.length)), job });
    }
    if (older || !token) break;
  }
  return found;
}

async function readOutcome(
  deps: SweepDeps,
  bucket: string,
  key: string,
): Promise<Outcome | undefined> {
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await (
      object.Body as { transformToString(): Promise<string> }
    ).transformToString();
    return parseJson(text) as Outcome | undefined;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404 || status === 403) return undefined;
    throw error;
  }
}

function endedReason(
  status: string,
  detail: NonNullable<ExecutionStatusChange['detail']>,
  stopped: string[],
): { status: OutcomeStatus; reason: string } {
  const jobs =
    stopped.length > 0
      ? `its import job${stopped.length > 1 ? 's' : ''} ${stopped.join(', ')} ${stopped.length > 1 ? 'were' : 'was'} stopped`
      : 'no import job of it was still running';
  if (status === 'ABORTED') {
    // The cause is what the operator gave StopExecution; a runtime cause could quote state data.
    const cause = (detail.cause ?? '').replace(/\s+/g, ' ').slice(0, 200);
    return {
      status: 'STOPPED',
      reason: `The execution was stopped from outside the workflow (StopExecution${cause ? `: ${cause}` : ''}); ${jobs}.`,
    };
  }
  if (status === 'TIMED_OUT')
    return { status: 'FAILED', reason: `The execution timed out before it reported; ${jobs}.` };
  // An input Step Functions itself cannot read (JSON null, say) fails before PrepareImport.
  const input = parseJson(detail.input);
  const hint = isObject(input)
    ? ''
    : ' The execution input must be a JSON object with "bucket" and "key".';
  return {
    status: 'FAILED',
    reason: `The execution failed outside the workflow's error handling (${detail.error || 'unknown error'}) before it reported; ${jobs}.${hint}`,
  };
}

/**
 * The sweeper: run for each execution that ended ABORTED (StopExecution), TIMED_OUT or FAILED —
 * the EventBridge rule on "Step Functions Execution Status Change" in AWS, the Step Functions
 * twin's same event locally (including executions the twin ends because it was restarted while
 * they ran). The workflow cleans up after its own errors; the sweeper covers what it cannot:
 *
 * 1. It stops every import job of the run that is still Pending or InProgress (found by its
 *    name, `<run>-part-<n>`), so no ended execution leaves a job holding the account's only
 *    import slot.
 * 2. It writes `reports/<run>/outcome.json` and publishes it when the workflow did not (status
 *    STOPPED for StopExecution, FAILED otherwise, with the jobs as they ended), and republishes
 *    an outcome whose notification failed (OutcomeNotReported).
 *
 * Executions that ended in the workflow's own Fail states (CsvRejected, ImportFailed, …) have
 * reported already: only step 1 runs for them. Safe to run twice for one event (EventBridge
 * delivers at least once).
 *
 * @throws the SDK's errors other than "not found" (the event is retried, then dead-lettered);
 *   NotificationFailedError when the outcome is written but could not be published.
 */
export async function sweepExecution(
  event: ExecutionStatusChange,
  deps: SweepDeps,
): Promise<SweepResult> {
  const detail = event?.detail;
  const status = detail?.status ?? '';
  if (
    !detail?.executionArn ||
    !(SWEPT_STATUSES as readonly string[]).includes(status) ||
    event['detail-type'] !== 'Step Functions Execution Status Change'
  )
    return { action: 'ignored', stoppedJobs: [], outcome: 'none' };
  const swept = await readRun(deps, { ...detail, executionArn: detail.executionArn });

  // 1. No job of the run left running.
  const { stoppedJobs, parts } = swept.userPoolId
    ? await stopRunJobs(deps, swept, swept.userPoolId, detail.startDate ?? deps.now())
    : { stoppedJobs: [], parts: swept.parts };
  if (stoppedJobs.length > 0)
    deps.log?.warn('swept: stopped import jobs the ended execution left running', {
      status,
      stoppedJobs,
    });

  // 2. No outcome lost. The workflow's own Fail states come after ReportOutcome wrote and
  // published the outcome; their jobs were still checked above: StopAfterError, after its
  // retries, may have failed to stop one.
  const result = { run: swept.run, status, stoppedJobs };
  if (status === 'FAILED' && (REPORTED_FAILURES as readonly string[]).includes(detail.error ?? ''))
    return { ...result, action: 'reported-by-workflow', outcome: 'none' };
  const state = outcomeStateFor(swept, parts, endedReason(status, detail, stoppedJobs));
  return { ...result, action: 'swept', outcome: await reportSweptRun(deps, swept, state) };
}

/** What the sweeper knows of a run: its history's facts, its input, its pool and its bucket. */
interface SweptRun extends RunFacts {
  run: string;
  executionArn: string;
  /** How the execution ended (ABORTED, TIMED_OUT, FAILED). */
  status: string;
  startDate?: number;
  input: unknown;
  /** The Fail state's error, if the execution ended in one. */
  error?: string;
  userPoolId?: string;
  bucket: string;
}

/** Reads the run's history (none for an execution Step Functions no longer knows). */
async function readRun(
  deps: SweepDeps,
  detail: NonNullable<ExecutionStatusChange['detail']> & { executionArn: string },
): Promise<SweptRun> {
  let history: HistoryEvent[] = [];
  try {
    history = await readHistory(deps.sfn, detail.executionArn);
  } catch (error) {
    if (!isAwsError(error, 'ExecutionDoesNotExist')) throw error;
  }
  const facts = runFacts(history);
  const input = parseJson(detail.input);
  const userPoolId =
    facts.reportState?.userPoolId ??
    facts.prepared?.userPoolId ??
    poolOfInput(input, deps.config.defaultUserPoolId);
  return {
    ...facts,
    run: detail.name ?? detail.executionArn.split(':').pop() ?? '',
    executionArn: detail.executionArn,
    status: detail.status ?? '',
    ...(detail.startDate ? { startDate: detail.startDate } : {}),
    input,
    ...(detail.error ? { error: detail.error } : {}),
    ...(userPoolId ? { userPoolId } : {}),
    bucket:
      facts.reportState?.source?.bucket ??
      facts.prepared?.source.bucket ??
      (isObject(input) && typeof input.bucket === 'string' ? input.bucket : ''),
  };
}

/**
 * Stops every job of the run that may still run, and answers each part's last state with its job
 * as it now is: the parts the history saw, and those whose job only the listing found.
 */
async function stopRunJobs(
  deps: SweepDeps,
  swept: SweptRun,
  userPoolId: string,
  startedMs: number,
): Promise<{ stoppedJobs: string[]; parts: RunFacts['parts'] }> {
  const stoppedJobs: string[] = [];
  const parts = new Map(swept.parts);
  const listed = await runJobs(deps, userPoolId, swept.run, startedMs);
  const finals = new Map<string, UserImportJobType>();
  for (const { job } of listed) {
    const jobId = job.JobId ?? '';
    if (isActive(job.Status) && job.Status !== 'Stopping') {
      finals.set(jobId, (await stopOrDescribe(deps.cognito, userPoolId, jobId)).job);
      stoppedJobs.push(jobId);
    } else finals.set(jobId, job);
  }
  for (const index of new Set(listed.map((l) => l.index))) {
    const known = parts.get(index);
    const ofPart = listed.filter((l) => l.index === index).map((l) => l.job);
    // The job the history knows for the part, else its newest that ran: one abandoned for an
    // expired upload URL (the retry made another) never started and is no part of the outcome.
    const chosen =
      ofPart.find((job) => job.JobId === known?.job?.jobId) ??
      ofPart.find((job) => job.Status !== 'Created');
    if (!chosen) continue;
    const final = finals.get(chosen.JobId ?? '') ?? chosen;
    parts.set(index, {
      ...(known ?? unseenPart(swept, index, userPoolId)),
      job: initialJobState(final, { stopRequested: stoppedJobs.includes(final.JobId ?? '') }),
    });
  }
  return { stoppedJobs, parts };
}

/** A part whose job the listing found but the history never recorded: where ValidateCsv put it. */
function unseenPart(swept: SweptRun, index: number, userPoolId: string): PartItem {
  return {
    part: {
      index,
      bucket: swept.bucket,
      key: partKey(swept.run, index),
      mapKey: lineMapKey(swept.run),
      rows: 0,
      bytes: 0,
    },
    run: swept.run,
    userPoolId,
    options: swept.prepared?.options ?? { invalidRows: 'reject', notify: true, deadlineSeconds: 0 },
    deadlineAt: 0,
  };
}

/**
 * What ReportOutcome gets for a run that ended outside the workflow: the state it was given, if
 * the run got that far, else the most the history tells, with how the execution ended.
 */
function outcomeStateFor(
  swept: SweptRun,
  parts: RunFacts['parts'],
  ended: NonNullable<ReportInput['ended']>,
): ReportInput {
  const partList = [...parts.values()].sort(byIndex);
  if (swept.reportState)
    return { ...swept.reportState, parts: swept.reportState.parts ?? partList };
  const prepared: ReportInput = swept.prepared ?? {
    run: swept.run,
    executionArn: swept.executionArn,
    ...(swept.startDate ? { startedAt: new Date(swept.startDate).toISOString() } : {}),
    input: swept.input,
    ...(swept.userPoolId ? { userPoolId: swept.userPoolId } : {}),
  };
  return {
    ...prepared,
    ...(swept.validation ? { validation: swept.validation } : {}),
    parts: partList,
    ended,
  };
}

/**
 * Writes and publishes the run's outcome unless it is already in S3; republishes one that is,
 * when the execution failed publishing it (OutcomeNotReported).
 */
async function reportSweptRun(
  deps: SweepDeps,
  swept: SweptRun,
  state: ReportInput,
): Promise<SweepResult['outcome']> {
  const notify = (swept.reportState?.options ?? swept.prepared?.options)?.notify ?? true;
  const existing = swept.bucket
    ? await readOutcome(deps, swept.bucket, outcomeKey(swept.run))
    : undefined;
  if (existing) {
    if (swept.error !== OUTCOME_NOT_REPORTED) return 'existed';
    // ReportOutcome wrote it, then exhausted its retries publishing it.
    deps.metrics?.addMetric(METRICS.outcomeNotReported, 'Count', 1);
    await publishWithRetries(existing, notify, deps);
    recordOutcome(deps.metrics, existing);
    deps.log?.info('swept: republished the outcome', { status: swept.status });
    return 'republished';
  }
  // ReportOutcome ran out of time, most likely building failures.csv: the sweeper has no more
  // time than it had, so the outcome goes out with its counts rather than not at all.
  if (swept.reportTimedOut)
    deps.log?.warn(
      'swept: ReportOutcome ran out of time; the outcome has the counts, not failures.csv',
    );
  const failures = swept.reportTimedOut ? undefined : await writeFailuresReport(state, deps);
  const outcome = composeOutcome(state, failures, deps.now());
  const written = await writeOutcome(outcome, deps);
  if (swept.error === OUTCOME_NOT_REPORTED)
    deps.metrics?.addMetric(METRICS.outcomeNotReported, 'Count', 1);
  const published = await publishWithRetries(outcome, notify, deps);
  recordOutcome(deps.metrics, outcome);
  deps.log?.info('swept: outcome reported', {
    status: swept.status,
    outcome: outcome.status,
    written,
    published,
  });
  return written ? 'written' : published ? 'published' : 'not-written';
}

const byIndex = (a: PartItem, b: PartItem) => a.part.index - b.part.index;

async function publishWithRetries(
  outcome: Outcome,
  notify: boolean,
  deps: SweepDeps,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishOutcome(outcome, notify, deps);
    } catch (error) {
      if (!(error instanceof NotificationFailedError) || attempt >= PUBLISH_ATTEMPTS) throw error;
      await deps.sleep(1000 * 2 ** attempt);
    }
  }
}
