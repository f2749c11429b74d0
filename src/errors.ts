/**
 * The errors the Lambdas throw on purpose. A class's `name` is its contract with the state
 * machine: `statemachine/import-users.asl.json` matches it in `Retry` (or lets it reach a
 * `Catch`), and a test (test/unit/asl-contract.test.ts) checks that the two agree.
 */
export class WorkflowError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkflowError';
  }
}

/** The pre-signed upload could not finish before its URL expired: a new job is made (Retry). */
export class UploadExpiredError extends WorkflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UploadExpiredError';
  }
}

/**
 * The pre-signed upload was refused for a reason another try will not cure (a 4xx other than an
 * expired URL). Not retried: the part fails and its job is left to expire. A refusal that is
 * worth another try (a 5xx, a network error, S3's RequestTimeout) is a TransientServiceError.
 */
export class UploadFailedError extends WorkflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UploadFailedError';
  }
}

/** The outcome is in S3 but its notification could not be published: retried. */
export class NotificationFailedError extends WorkflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationFailedError';
  }
}

/**
 * A throttling error, a 5xx or a network fault of an AWS service or of the upload: it says "try
 * again later" and nothing about the input. The handlers turn every such error into this one
 * (functions/lib/transient-errors.ts, with the SDK's own classifier in src/aws/sdk-errors.ts),
 * so the state machine retries one name instead of each service's spelling of "busy". Its
 * message starts with the original error's name; the original is its cause.
 */
export class TransientServiceError extends WorkflowError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransientServiceError';
  }
}

/** Every error class above, by name. */
export const WORKFLOW_ERRORS = {
  UploadExpiredError,
  UploadFailedError,
  NotificationFailedError,
  TransientServiceError,
} as const;

/**
 * The names the state machine retries (besides Lambda's own errors): one for every transient
 * fault, and two workflow errors with their own policy. Everything else ends in a Catch.
 */
export const RETRIED_ERRORS = [
  'TransientServiceError',
  'UploadExpiredError',
  'NotificationFailedError',
] as const;

/**
 * Lambda's own transient failures (the invoke, not the function), retried on every Task: the
 * errors AWS's "handle Lambda service exceptions" guidance lists.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * The retry policy for transient faults, stated once: every Task state of
 * statemachine/import-users.asl.json carries exactly this retrier (a test checks it). Six
 * attempts with full jitter, 2 s doubling to at most 60 s, ride out a few minutes of throttling
 * on top of the SDK's own three tries.
 */
export const TRANSIENT_RETRY = {
  ErrorEquals: [...LAMBDA_SERVICE_ERRORS, 'TransientServiceError'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
} as const;

/**
 * Lambda's names for an invocation that ended without the function's own error: out of time
 * (`Sandbox.Timedout`), the process gone (`Runtime.ExitError`, which an out-of-memory kill gives),
 * or anything Lambda cannot name (`Lambda.Unknown`). Not retried on the other Tasks: a time-out
 * there is a budget spent, and the work would start over.
 */
export const LAMBDA_CRASH_ERRORS = [
  'Sandbox.Timedout',
  'Runtime.ExitError',
  'Lambda.Unknown',
] as const;

/**
 * The Tasks that resume from their own checkpoint in S3 rather than from their input, so that a
 * crash or a time-out costs only the work since the last checkpoint: a retry of
 * {@link LAMBDA_CRASH_ERRORS} is worth it there, and only there.
 */
export const RESUMABLE_TASKS = ['ApplyPostImport'] as const;

/**
 * The crash retrier of a {@link RESUMABLE_TASKS} state, before {@link TRANSIENT_RETRY}. Two more
 * tries: a crash that comes back a third time from the same checkpoint is the work itself (a
 * row that always exhausts memory, say), which no fourth try would cure.
 */
export const RESUMABLE_CRASH_RETRY = {
  ErrorEquals: [...LAMBDA_CRASH_ERRORS],
  IntervalSeconds: 5,
  MaxAttempts: 2,
  BackoffRate: 2,
} as const;

/**
 * The `Error` of each Fail state the workflow reaches after ReportOutcome wrote and published
 * the outcome (chosen by the outcome's status). The sweeper reads an execution's error to know
 * whether the outcome was reported; a test checks these against the ASL's Fail states.
 */
export const REPORTED_FAILURES = [
  'CsvRejected',
  'ImportFailed',
  'ImportStopped',
  'ImportExpired',
] as const;

/** The `Error` of the Fail state reached when ReportOutcome itself failed: the outcome may be missing or unsent. */
export const OUTCOME_NOT_REPORTED = 'OutcomeNotReported';
