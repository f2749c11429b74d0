import type { UserImportJobType } from '@aws-sdk/client-cognito-identity-provider';
import type { HashingAlgorithm, JobState, OutcomeJob } from '../workflow/types.ts';

export const ACTIVE_JOB_STATUSES = ['Pending', 'InProgress', 'Stopping'] as const;
export const FINAL_JOB_STATUSES = ['Succeeded', 'Failed', 'Stopped', 'Expired'] as const;

export const isActive = (status: string | undefined) =>
  (ACTIVE_JOB_STATUSES as readonly string[]).includes(status ?? '');
export const isFinal = (status: string | undefined) =>
  (FINAL_JOB_STATUSES as readonly string[]).includes(status ?? '');

/** The job as the workflow's state and the outcome carry it (no pre-signed URL: it is a credential). */
export function jobFacts(job: UserImportJobType): OutcomeJob {
  return {
    jobId: job.JobId ?? '',
    jobName: job.JobName ?? '',
    status: job.Status ?? 'Unknown',
    importedUsers: job.ImportedUsers ?? 0,
    skippedUsers: job.SkippedUsers ?? 0,
    failedUsers: job.FailedUsers ?? 0,
    ...(job.PasswordHashingAlgorithm
      ? { passwordHashingAlgorithm: job.PasswordHashingAlgorithm as HashingAlgorithm }
      : {}),
    ...(job.CompletionMessage ? { completionMessage: job.CompletionMessage } : {}),
    ...(job.StartDate ? { startedAt: job.StartDate.toISOString() } : {}),
    ...(job.CompletionDate ? { completedAt: job.CompletionDate.toISOString() } : {}),
  };
}

/** A fresh job state for the state machine, before any poll. */
export function initialJobState(job: UserImportJobType): JobState {
  return {
    ...jobFacts(job),
    poll: { rounds: 0, waitSeconds: 0 },
    slotBusy: false,
    mustStop: false,
    stopRequested: false,
  };
}
