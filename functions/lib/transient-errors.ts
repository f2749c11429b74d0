import type { MiddlewareObj } from '@middy/core';
import { asStateMachineError } from '../../src/aws/sdk-errors.ts';

/**
 * A middy middleware that renames transient faults at the handler's edge: whatever throttling,
 * 5xx or network error escapes the core function leaves the Lambda as one TransientServiceError,
 * the name every Task's Retry lists (src/errors.ts, TRANSIENT_RETRY). It runs here and not in the
 * SDK clients because core functions catch some service errors by their own name
 * (ResourceNotFoundException, PreconditionNotMetException, …) before anything escapes.
 */
export function transientErrorsAsOneName(): MiddlewareObj {
  return {
    onError: (request) => {
      request.error = asStateMachineError(request.error) as Error;
    },
  };
}
