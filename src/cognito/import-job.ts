import {
  type CognitoIdentityProviderClient,
  DescribeUserImportJobCommand,
  StopUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { isAwsError } from '../aws/sdk-errors.ts';
import type { HashingAlgorithm } from '../config.ts';

export const ACTIVE_JOB_STATUSES = ['Pending', 'InProgress', 'Stopping'] as const;
export const FINAL_JOB_STATUSES = ['Succeeded', 'Failed', 'Stopped', 'Expired'] as const;

export const isActive = (status: string | undefined) =>
  (ACTIVE_JOB_STATUSES as readonly string[]).includes(status ?? '');
export const isFinal = (status: string | undefined) =>
  (FINAL_JOB_STATUSES as readonly string[]).includes(status ?? '');

/** An import job as the workflow's state and the outcome carry it. */
export interface ImportJobFacts {
  jobId: string;
  jobName: string;
  status: string;
  importedUsers: number;
  skippedUsers: number;
  failedUsers: number;
  /** The job's PasswordHashingAlgorithm, when it imports password hashes. */
  passwordHashingAlgorithm?: HashingAlgorithm;
  completionMessage?: string;
  startedAt?: string;
  completedAt?: string;
}

/** The facts of a job as Cognito describes it (no pre-signed URL: it is a credential). */
export function jobFacts(job: UserImportJobType): ImportJobFacts {
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

/**
 * Stops a job; a job that can no longer be stopped (it ended meanwhile, or never started) is
 * described instead, so the answer is always the job as it now is, and whether this call
 * stopped it.
 *
 * @throws the SDK's errors other than "this job cannot be stopped".
 */
export async function stopOrDescribe(
  cognito: Pick<CognitoIdentityProviderClient, 'send'>,
  userPoolId: string,
  jobId: string,
): Promise<{ job: UserImportJobType; stopped: boolean }> {
  try {
    const { UserImportJob } = await cognito.send(
      new StopUserImportJobCommand({ UserPoolId: userPoolId, JobId: jobId }),
    );
    return { job: UserImportJob ?? { JobId: jobId }, stopped: true };
  } catch (error) {
    if (!isAwsError(error, 'PreconditionNotMetException', 'InvalidParameterException')) throw error;
    const { UserImportJob } = await cognito.send(
      new DescribeUserImportJobCommand({ UserPoolId: userPoolId, JobId: jobId }),
    );
    return { job: UserImportJob ?? { JobId: jobId }, stopped: false };
  }
}
