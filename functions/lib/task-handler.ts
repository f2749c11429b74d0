import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { type ConfigWith, type RequiredSetting, requireSettings } from '../../src/config.ts';
import { correlationKeys } from '../../src/workflow/telemetry.ts';
import { type FunctionDeps, functionDeps } from './deps.ts';
import { logger, metrics, telemetry, tracer } from './powertools.ts';
import { transientErrorsAsOneName } from './transient-errors.ts';

/**
 * A function's dependencies, with the settings it declared it needs known to be set, and the
 * invocation's time left (the Lambda context's `getRemainingTimeInMillis`), for a core that
 * works until close to its timeout.
 */
export type TaskDeps<K extends RequiredSetting> = FunctionDeps & {
  config: ConfigWith<K>;
  remainingMs: () => number;
};

/** The part of the Lambda context a core may use. */
interface TaskContext {
  getRemainingTimeInMillis?: () => number;
}

/**
 * Every function's Lambda handler: middy around one core function of src/, which gets the
 * cold-start dependencies. The middlewares every function shares are added here, once: the X-Ray
 * segment (where the function traces), the Lambda context and the run's correlation keys (run,
 * part, jobId) on every log line and metric record, reset after each invocation, the metrics
 * published when it ends (error or not), and a transient service fault renamed as the one error
 * the state machine retries (added last, so that its onError runs first and the trace and the
 * logs see the name the state machine sees).
 *
 * `needs` names the settings without a default the function cannot run without
 * (src/config.ts, REQUIRED_SETTINGS): a missing one fails the invocation with a message that
 * names its variable, before any service is called. The handler carries them as `needs`, so the
 * deployment's test can check the stack sets them.
 *
 * `timeoutEarlyInMillis: 0` turns off middy's early timeout. Left on, it would throw an error
 * named `TimeoutError` a few milliseconds before Lambda's own timeout; that is also the name of
 * the SDK's socket timeout, which counts as a transient fault, so a function that ran out of
 * time would be retried as if a service had been busy, each try running its full timeout. With
 * it off, Lambda's own timeout ends the invocation (`Sandbox.Timedout`), which no Retry matches
 * and every Catch handles.
 */
export function taskHandler<Event, Result, K extends RequiredSetting = never>(
  run: (event: Event, deps: TaskDeps<K>) => Promise<Result>,
  { needs = [] }: { needs?: readonly K[] } = {},
) {
  const handler = middy<Event, Result>({ timeoutEarlyInMillis: 0 });
  if (tracer) handler.use(captureLambdaHandler(tracer, { captureResponse: false }));
  handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(transientErrorsAsOneName())
    .handler((event, context: TaskContext) => {
      const keys = correlationKeys(event);
      logger.appendKeys(keys);
      for (const [key, value] of Object.entries(keys)) metrics.addMetadata(key, String(value));
      const deps = functionDeps(telemetry);
      // A context without the method (a test calling the handler bare) leaves the time unlimited.
      const remainingMs = () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      return run(event, { ...deps, config: requireSettings(deps.config, needs), remainingMs });
    });
  return Object.assign(handler, { needs });
}
