import type { Outcome } from './types.ts';

/**
 * What the core functions tell operators, as structural types: on Lambda (functions/lib/
 * powertools.ts) the Powertools Logger, which writes one JSON object per line with the level,
 * the Lambda context and the run's correlation keys, and Powertools Metrics, which writes
 * CloudWatch embedded metric format (EMF) records. Fields carry counts, line numbers, job ids and
 * statuses only: never a pre-signed URL, a row value or a username.
 */
export interface Log {
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

export type MetricUnit = 'Count' | 'Seconds';

/** A record of metrics published at once, with its own dimensions (Powertools `singleMetric()`). */
export interface SingleMetric {
  addDimension(name: string, value: string): unknown;
  addMetadata(key: string, value: string): unknown;
  addMetric(name: string, unit: MetricUnit, value: number): unknown;
}

/** The invocation's metrics, published when it ends, under the service's dimension only. */
export interface MetricSink {
  addMetric(name: string, unit: MetricUnit, value: number): unknown;
  addMetadata(key: string, value: string): unknown;
  singleMetric(): SingleMetric;
}

/**
 * The pipeline's metric catalogue (docs/DEPLOY.md, "Metrics"): namespace `CognitoImport`
 * (POWERTOOLS_METRICS_NAMESPACE), dimension `service` (POWERTOOLS_SERVICE_NAME, one per stage),
 * and `status` on `Runs` only.
 */
export const METRICS_NAMESPACE = 'CognitoImport';

export const METRICS = {
  /** One per outcome written and published, dimension `status` (SUCCEEDED, PARTIAL, ...). */
  runs: 'Runs',
  usersImported: 'UsersImported',
  usersSkipped: 'UsersSkipped',
  usersFailed: 'UsersFailed',
  /** The post-import phase: existing users updated, memberships added, rows it could not do. */
  usersUpdated: 'UsersUpdated',
  membershipsAdded: 'MembershipsAdded',
  postImportFailures: 'PostImportFailures',
  /** Rows validation set aside (the skip policy) or that rejected the file. */
  invalidRows: 'InvalidRows',
  /** From the execution's start to the outcome. */
  runDuration: 'RunDurationSeconds',
  /** One value per import job that ran: Cognito's start to completion. */
  jobDuration: 'JobDurationSeconds',
  /** One value per import job started: how long it waited for the account's import slot. */
  slotWait: 'SlotWaitSeconds',
  /** An execution ended in OutcomeNotReported: ReportOutcome could not write or publish. */
  outcomeNotReported: 'OutcomeNotReported',
} as const;

const seconds = (from: string | undefined, to: string | undefined): number | undefined => {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
};

/**
 * Records one outcome: a `Runs` record with its status (published at once), and the counts and
 * durations of the run. Called once the outcome is written and published, so that a retried
 * ReportOutcome counts a run once.
 */
export function recordOutcome(metrics: MetricSink | undefined, outcome: Outcome): void {
  if (!metrics) return;
  const run = metrics.singleMetric();
  run.addDimension('status', outcome.status);
  run.addMetadata('run', outcome.run);
  run.addMetric(METRICS.runs, 'Count', 1);
  metrics.addMetric(METRICS.usersImported, 'Count', outcome.totals.imported);
  metrics.addMetric(METRICS.usersSkipped, 'Count', outcome.totals.skipped);
  metrics.addMetric(METRICS.usersFailed, 'Count', outcome.totals.failed);
  metrics.addMetric(METRICS.usersUpdated, 'Count', outcome.totals.updated);
  metrics.addMetric(METRICS.membershipsAdded, 'Count', outcome.totals.memberships);
  metrics.addMetric(METRICS.postImportFailures, 'Count', outcome.totals.postImportFailed);
  metrics.addMetric(METRICS.invalidRows, 'Count', outcome.validation?.invalidRows ?? 0);
  const runSeconds = seconds(outcome.startedAt, outcome.finishedAt);
  if (runSeconds !== undefined) metrics.addMetric(METRICS.runDuration, 'Seconds', runSeconds);
  for (const job of outcome.jobs) {
    const jobSeconds = seconds(job.startedAt, job.completedAt);
    if (jobSeconds !== undefined) metrics.addMetric(METRICS.jobDuration, 'Seconds', jobSeconds);
  }
}

/** The correlation keys every log line of an invocation carries, read from its event. */
export function correlationKeys(event: unknown): { run?: string; part?: number; jobId?: string } {
  if (typeof event !== 'object' || event === null) return {};
  const e = event as {
    run?: unknown;
    execution?: { name?: unknown };
    detail?: { name?: unknown };
    part?: { index?: unknown };
    job?: { jobId?: unknown };
  };
  const run = [e.run, e.execution?.name, e.detail?.name].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const part = e.part?.index;
  const jobId = e.job?.jobId;
  return {
    ...(run ? { run } : {}),
    ...(typeof part === 'number' ? { part } : {}),
    ...(typeof jobId === 'string' && jobId ? { jobId } : {}),
  };
}
