import middy from '@middy/core';
import { type FunctionDeps, functionDeps } from './deps.ts';
import { transientErrorsAsOneName } from './transient-errors.ts';

/**
 * Every function's Lambda handler: middy around one core function of src/, which gets the
 * cold-start dependencies. The middlewares every function shares are added here, once.
 *
 * `timeoutEarlyInMillis: 0` turns off middy's early timeout. Left on, it would throw an error
 * named `TimeoutError` a few milliseconds before Lambda's own timeout; that is also the name of
 * the SDK's socket timeout, which counts as a transient fault, so a function that ran out of
 * time would be retried as if a service had been busy, each try running its full timeout. With
 * it off, Lambda's own timeout ends the invocation (`Sandbox.Timedout`), which no Retry matches
 * and every Catch handles.
 */
export function taskHandler<Event, Result>(
  run: (event: Event, deps: FunctionDeps) => Promise<Result>,
) {
  return middy<Event, Result>({ timeoutEarlyInMillis: 0 })
    .use(transientErrorsAsOneName())
    .handler((event) => run(event, functionDeps()));
}
