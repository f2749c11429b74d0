import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { type FunctionDeps, functionDeps } from '../../src/aws/function-deps.ts';
import { correlationKeys } from '../../src/workflow/telemetry.ts';
import { logger, metrics, telemetry, tracer } from './powertools.ts';

/**
 * Every function's Lambda handler: middy around one core function of src/, which gets the
 * cold-start dependencies. The middlewares every function shares are added here, once: the X-Ray
 * segment (where the function traces), the Lambda context and the run's correlation keys (run,
 * part, jobId) on every log line and metric record, reset after each invocation, and the metrics
 * published when it ends (error or not).
 */
export function taskHandler<Event, Result>(
  run: (event: Event, deps: FunctionDeps) => Promise<Result>,
) {
  const handler = middy<Event, Result>();
  if (tracer) handler.use(captureLambdaHandler(tracer, { captureResponse: false }));
  return handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((event) => {
      const keys = correlationKeys(event);
      logger.appendKeys(keys);
      for (const [key, value] of Object.entries(keys)) metrics.addMetadata(key, String(value));
      return run(event, functionDeps(telemetry));
    });
}
