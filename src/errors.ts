/**
 * The errors the Lambdas throw on purpose. A class's `name` is its contract with the state
 * machine: `statemachine/import-users.asl.json` matches it in `Retry`/`Catch`, and a test checks
 * that the two agree in both directions.
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

/** The upload failed for a reason worth another try (a network error, a 5xx). */
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

/** Every error class above, by name. */
export const WORKFLOW_ERRORS = {
  UploadExpiredError,
  UploadFailedError,
  NotificationFailedError,
} as const;

/**
 * SDK exceptions the state machine retries by name: throttling and service faults of Cognito,
 * S3 and SNS, which say "try again later" and nothing about the input.
 */
export const RETRIED_SERVICE_ERRORS = [
  'TooManyRequestsException',
  'InternalErrorException',
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'InternalFailure',
  'TimeoutError',
] as const;

/** Lambda's own transient failures, retried on every task (the workflows-collection convention). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;
