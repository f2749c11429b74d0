import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { tracingEnabled } from '../../src/config.ts';
import type { Telemetry } from './deps.ts';

/**
 * The functions' Powertools, one of each per execution environment (the powertools `commons`
 * shape). They take their settings from the environment serverless.yml sets (and the local twin
 * sets the same way): POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, and Lambda's
 * AWS_LAMBDA_LOG_LEVEL from the function's logging configuration. Logs and metrics go to stdout as
 * one JSON object per line, which Lambda sends to the function's log group.
 */
export const logger = new Logger();

/**
 * Metrics' own notices go through the logger, as JSON. A function that recorded no metric in an
 * invocation (most of them, most of the time) has nothing to publish: that notice is only DEBUG.
 */
const metricsNotices = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.info(message),
  warn: (message: string) =>
    /^No application metrics to publish/.test(message)
      ? logger.debug(message)
      : logger.warn(message),
  error: (message: string) => logger.error(message),
};

export const metrics = new Metrics({ logger: metricsNotices });

/**
 * The X-Ray tracer, where the function traces (on Lambda, where serverless.yml makes tracing
 * Active). Elsewhere there is no X-Ray daemon, and the X-Ray SDK is not loaded at all: it costs
 * tens of milliseconds of module init and hooks every promise of the process.
 */
export const tracer: Tracer | undefined = tracingEnabled()
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer()
  : undefined;

/** What the core functions get: the logger, the metrics, and each SDK client traced when tracing is on. */
export const telemetry: Telemetry = {
  log: logger,
  metrics,
  ...(tracer
    ? { instrument: <C extends object>(client: C) => tracer.captureAWSv3Client(client) }
    : {}),
};
