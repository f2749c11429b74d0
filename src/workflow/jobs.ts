import type { Readable } from 'node:stream';
import {
  type CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { errorMessage, errorName, isAwsError, isTransientServiceFault } from '../aws/sdk-errors.ts';
import { isActive, jobFacts, stopOrDescribe } from '../cognito/import-job.ts';
import type { ConfigWith } from '../config.ts';
import { MAX_POLL_ROUNDS, nextWaitSeconds, slotWaitSeconds } from './poll.ts';
import { type Log, METRICS, type MetricSink } from './telemetry.ts';
import type { JobState, PartItem } from './types.ts';
import type { Uploader } from './upload.ts';

export interface JobDeps {
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  /** To ask whether the execution still runs (StartImportJob); without it, it is assumed to. */
  sfn?: Pick<SFNClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  upload: Uploader;
  now: () => number;
  log?: Log;
  metrics?: MetricSink;
}

/** CreateImportJob also needs the role Cognito writes the job's logs with. */
export interface CreateJobDeps extends JobDeps {
  config: Pick<ConfigWith<'logsRoleArn'>, 'logsRoleArn'>;
}

/**
 * A job's state for the state machine before any poll. `stopRequested` is set for a job the
 * sweeper has just stopped.
 */
export function initialJobState(
  job: UserImportJobType,
  { stopRequested = false }: { stopRequested?: boolean } = {},
): JobState {
  return {
    ...jobFacts(job),
    poll: { rounds: 0, waitSeconds: 0 },
    slotBusy: false,
    mustStop: false,
    stopRequested,
  };
}

/** The Cognito JobName of a part: the run name (already `[A-Za-z0-9_-]`) and the part number. */
export const jobNameFor = (item: PartItem) => `${item.run}-part-${item.part.index}`.slice(0, 128);

function requireJob(item: PartItem): JobState {
  if (!item.job?.jobId)
    throw new Error('The state has no import job: CreateImportJob must run first.');
  return item.job;
}

/**
 * CreateImportJob: opens the part in S3, creates the part's import job and streams the part to
 * the job's pre-signed URL. The part is opened first, so that a failed read (retried) leaves no
 * job behind. The URL lives 15 minutes; when it lapses mid-upload the state machine retries
 * this task, which makes a new job (the abandoned one expires on its own: Cognito cannot stop a
 * job that never started).
 *
 * @throws UploadExpiredError, UploadFailedError, TransientServiceError (see upload.ts); the SDK's
 *   errors.
 */
export async function createImportJob(item: PartItem, deps: CreateJobDeps): Promise<JobState> {
  const object = await deps.s3.send(
    new GetObjectCommand({ Bucket: item.part.bucket, Key: item.part.key }),
  );
  const body = object.Body as Readable;
  // The part's own algorithm (a file that mixes algorithms is split by algorithm); a state from
  // before parts carried one falls back to the run's option.
  const algorithm = item.part.passwordHashingAlgorithm ?? item.options.passwordHashingAlgorithm;
  let UserImportJob: UserImportJobType | undefined;
  try {
    ({ UserImportJob } = await deps.cognito.send(
      new CreateUserImportJobCommand({
        UserPoolId: item.userPoolId,
        JobName: jobNameFor(item),
        CloudWatchLogsRoleArn: deps.config.logsRoleArn,
        ...(algorithm ? { PasswordHashingAlgorithm: algorithm } : {}),
      }),
    ));
  } catch (error) {
    body?.destroy?.();
    throw error;
  }
  const job = UserImportJob as UserImportJobType;
  deps.log?.info('created import job', {
    jobId: job.JobId,
    part: item.part.index,
    rows: item.part.rows,
  });
  await deps.upload(job.PreSignedUrl as string, body, object.ContentLength ?? item.part.bytes);
  deps.log?.info('uploaded part to import job', { jobId: job.JobId, part: item.part.index });
  return initialJobState(job);
}

// "No csv file was uploaded" is the one PreconditionNotMet that waiting will not cure.
const slotIsBusy = (error: unknown) =>
  isAwsError(error, 'PreconditionNotMetException', 'LimitExceededException') &&
  !/no csv file/i.test(errorMessage(error));

/**
 * StartImportJob: starts the job. Cognito runs one import job per account at a time, so a refusal
 * because another job holds the slot is not an error: the state says so and the state machine
 * waits and asks again, until the run's deadline.
 *
 * @throws the SDK's errors other than "another job is active".
 */
export async function startImportJob(item: PartItem, deps: JobDeps): Promise<JobState> {
  const job = requireJob(item);
  try {
    const { UserImportJob } = await deps.cognito.send(
      new StartUserImportJobCommand({ UserPoolId: item.userPoolId, JobId: job.jobId }),
    );
    const waited = job.slotWaitSince === undefined ? 0 : (deps.now() - job.slotWaitSince) / 1000;
    deps.metrics?.addMetric(METRICS.slotWait, 'Seconds', Math.max(0, waited));
    deps.log?.info('started import job', { jobId: job.jobId, slotWaitSeconds: waited });
    const started: JobState = {
      ...job,
      ...jobFacts(UserImportJob ?? {}),
      slotBusy: false,
      poll: { rounds: 0, waitSeconds: nextWaitSeconds(0, 0) },
    };
    if (await executionStillRuns(item, deps)) return started;
    // Stopped while this Lambda was running (StopExecution): the sweeper that ran at the stop
    // could not see this job yet, and nothing else would ever stop it.
    const now = await stopOrDescribe(deps.cognito, item.userPoolId, job.jobId);
    deps.log?.warn('stopped import job: its execution ended while it was being started', {
      jobId: job.jobId,
    });
    return { ...started, ...jobFacts(now.job), stopRequested: true };
  } catch (error) {
    if (!slotIsBusy(error)) throw error;
    // A job refused because it can no longer start (it expired while it waited) is over, not busy.
    const { UserImportJob } = await deps.cognito.send(
      new DescribeUserImportJobCommand({ UserPoolId: item.userPoolId, JobId: job.jobId }),
    );
    if (UserImportJob?.Status && UserImportJob.Status !== 'Created') {
      return {
        ...job,
        ...jobFacts(UserImportJob),
        slotBusy: false,
        poll: { rounds: 0, waitSeconds: 1 },
      };
    }
    const attempt = job.slotBusy ? job.poll.rounds + 1 : 0;
    const pastDeadline = deps.now() >= item.deadlineAt;
    deps.log?.info("import job waits for the account's import slot", {
      jobId: job.jobId,
      attempt: attempt + 1,
    });
    if (pastDeadline) throw error;
    return {
      ...job,
      slotBusy: true,
      slotWaitSince: job.slotWaitSince ?? deps.now(),
      poll: { rounds: attempt, waitSeconds: slotWaitSeconds(attempt) },
    };
  }
}

/** Whether the part's execution is still RUNNING; when that cannot be read, it is assumed so. */
async function executionStillRuns(item: PartItem, deps: JobDeps): Promise<boolean> {
  if (!item.executionArn || !deps.sfn) return true;
  try {
    const { status } = await deps.sfn.send(
      new DescribeExecutionCommand({ executionArn: item.executionArn }),
    );
    return status === undefined || status === 'RUNNING';
  } catch (error) {
    deps.log?.warn("could not read the execution's status", { errorName: errorName(error) });
    return true;
  }
}

/**
 * CheckImportJob: reads the job and plans the next look: a growing wait, and whether the deadline
 * or the poll cap says the job must be stopped.
 */
export async function checkImportJob(item: PartItem, deps: JobDeps): Promise<JobState> {
  const job = requireJob(item);
  const { UserImportJob } = await deps.cognito.send(
    new DescribeUserImportJobCommand({ UserPoolId: item.userPoolId, JobId: job.jobId }),
  );
  const facts = jobFacts(UserImportJob ?? {});
  const rounds = job.poll.rounds + 1;
  const now = deps.now();
  const ageSeconds = facts.startedAt ? Math.max(0, (now - Date.parse(facts.startedAt)) / 1000) : 0;
  const overDeadline = now >= item.deadlineAt;
  const overPolls = rounds >= MAX_POLL_ROUNDS;
  const mustStop = isActive(facts.status) && (overDeadline || overPolls);
  deps.log?.info('checked import job', {
    jobId: job.jobId,
    status: facts.status,
    imported: facts.importedUsers,
    skipped: facts.skippedUsers,
    failed: facts.failedUsers,
    ...(mustStop ? { mustStop } : {}),
  });
  return {
    ...job,
    ...facts,
    poll: { rounds, waitSeconds: job.stopRequested ? 5 : nextWaitSeconds(rounds, ageSeconds) },
    mustStop,
    ...(mustStop ? { stopReason: overDeadline ? 'deadline' : 'poll-cap' } : {}),
  };
}

/** StopImportJob: stops a job past its deadline or poll cap; a job that already ended is left as it is. */
export async function stopImportJob(item: PartItem, deps: JobDeps): Promise<JobState> {
  const job = requireJob(item);
  const now = await stopOrDescribe(deps.cognito, item.userPoolId, job.jobId);
  if (now.stopped)
    deps.log?.info('stopped import job', {
      jobId: job.jobId,
      reason: job.stopReason ?? 'requested',
    });
  return {
    ...job,
    ...jobFacts(now.job),
    stopRequested: true,
    poll: { rounds: job.poll.rounds, waitSeconds: 5 },
  };
}

/** What StopAfterError did: whether it stopped the part's job, and the job's status. */
export interface StopAfterErrorResult {
  jobId?: string;
  stopped: boolean;
  status?: string;
  /** Why nothing was stopped, when that is not the job's status. */
  note?: string;
}

/**
 * StopAfterError: after any failure once a job exists, stops that job if it may still run, so no
 * failed part leaves an import job running. Throttling and service faults are thrown, for the
 * state machine to retry (swallowed, they left the job running: a burst of throttling on
 * StopUserImportJob was enough); anything else is reported, not thrown.
 */
export async function stopAfterError(item: PartItem, deps: JobDeps): Promise<StopAfterErrorResult> {
  const job = item.job;
  if (!job?.jobId) return { stopped: false, note: 'no import job existed' };
  try {
    const { UserImportJob } = await deps.cognito.send(
      new DescribeUserImportJobCommand({ UserPoolId: item.userPoolId, JobId: job.jobId }),
    );
    const status = UserImportJob?.Status;
    if (!isActive(status) || status === 'Stopping')
      return { jobId: job.jobId, stopped: false, status: status ?? 'Unknown' };
    const now = await stopOrDescribe(deps.cognito, item.userPoolId, job.jobId);
    if (now.stopped) deps.log?.info('stopped import job after an error', { jobId: job.jobId });
    return {
      jobId: job.jobId,
      stopped: now.stopped,
      status: now.job.Status ?? (now.stopped ? 'Stopping' : 'Unknown'),
    };
  } catch (error) {
    if (isTransientServiceFault(error)) throw error;
    return {
      jobId: job.jobId,
      stopped: false,
      note: `could not stop the job: ${errorName(error)}`,
    };
  }
}
