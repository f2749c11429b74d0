import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { TransientServiceError, WorkflowError } from '../errors.ts';

/**
 * What the code reads of an error the AWS SDK (or the network under it) threw, in one place:
 * its name (the service's error code, which is also what the state machine matches), the HTTP
 * status the service answered with, and whether it is a transient fault worth another try.
 */

type Shape = { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };

const shapeOf = (error: unknown): Shape =>
  typeof error === 'object' && error !== null ? (error as Shape) : {};

/** The error's `name` (for an SDK error, the service's error code); '' when it has none. */
export function errorName(error: unknown): string {
  const name = shapeOf(error).name;
  return typeof name === 'string' ? name : '';
}

/** The error's message; '' when it has none. */
export function errorMessage(error: unknown): string {
  const message = shapeOf(error).message;
  return typeof message === 'string' ? message : '';
}

/** The HTTP status of the answer the SDK error came from; undefined for a network error. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether the error is one of the named service errors. */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}

/**
 * Service faults some services answer without a status the SDK's own classifier reads (a HEAD
 * answer has no body; aws-sdk-client-mock builds errors by name only).
 */
const SERVICE_FAULT_NAMES = [
  'InternalErrorException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
];

/**
 * Whether an error says "try again later" and nothing about the input: throttling, a 5xx, a
 * connection reset or timeout. The SDK's own classifier (`@smithy/core/retry`, what its retry
 * strategy uses) decides, so the state machine retries what the SDK retries. Errors the code
 * threw on purpose (WorkflowError) never count: their names are their own contract.
 */
export function isTransientServiceFault(error: unknown): boolean {
  if (error instanceof WorkflowError) return false;
  if (typeof error !== 'object' || error === null) return false;
  const sdk = error as Parameters<typeof isTransientError>[0];
  return (
    isThrottlingError(sdk) ||
    isTransientError(sdk) ||
    isServerError(sdk) ||
    SERVICE_FAULT_NAMES.includes(errorName(error))
  );
}

/**
 * Whether an error is a refusal for going too fast (Cognito's TooManyRequestsException, the
 * SDK's other throttling names). LimitExceededException is left out although the SDK counts it
 * as throttling: Cognito also answers it for a quota of the request itself (a user's 101st
 * group), which no retry cures.
 */
export function isThrottling(error: unknown): boolean {
  if (error instanceof WorkflowError || isAwsError(error, 'LimitExceededException')) return false;
  if (typeof error !== 'object' || error === null) return false;
  return isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);
}

/**
 * The error as the state machine should see it: a transient fault becomes one
 * TransientServiceError (which every Task retries), naming the original in its message and
 * keeping it as its cause; anything else is returned as it is.
 */
export function asStateMachineError(error: unknown): unknown {
  if (!isTransientServiceFault(error)) return error;
  const name = errorName(error) || 'Error';
  const status = httpStatusOf(error);
  const message = errorMessage(error);
  return new TransientServiceError(
    `${name}${status ? ` (HTTP ${status})` : ''}${message && message !== name ? `: ${message}` : ''}`,
    { cause: error },
  );
}
