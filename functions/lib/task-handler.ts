import middy from '@middy/core';
import { type FunctionDeps, functionDeps } from '../../src/aws/function-deps.ts';

/**
 * Every function's Lambda handler: middy around one core function of src/, which gets the
 * cold-start dependencies. The middlewares every function shares are added here, once.
 */
export function taskHandler<Event, Result>(
  run: (event: Event, deps: FunctionDeps) => Promise<Result>,
) {
  return middy<Event, Result>().handler((event) => run(event, functionDeps()));
}
