import { type ClientOptions, type Clients, createClients } from '../../src/aws/clients.ts';
import { type FunctionConfig, readFunctionConfig } from '../../src/config.ts';
import type { Log, MetricSink } from '../../src/workflow/telemetry.ts';
import { putToPresignedUrl, type Uploader } from '../../src/workflow/upload.ts';

/** What the functions report through: functions/lib/powertools.ts on Lambda and on the twin. */
export interface Telemetry {
  log: Log;
  metrics: MetricSink;
  /** Wraps each SDK client (the X-Ray tracer, when tracing is on). */
  instrument?: ClientOptions['instrument'];
}

export interface FunctionDeps extends Clients {
  config: FunctionConfig;
  upload: Uploader;
  now: () => number;
  log: Log;
  metrics: MetricSink;
}

let cached: FunctionDeps | undefined;
let overrides: Partial<FunctionDeps> = {};

/**
 * The clients and settings every Lambda uses, built once per cold start. Log lines carry counts,
 * line numbers and job ids only: never a pre-signed URL, never a row.
 */
export function functionDeps(telemetry: Telemetry): FunctionDeps {
  cached ??= {
    ...createClients(telemetry.instrument ? { instrument: telemetry.instrument } : {}),
    // Read from the environment only when the host has not handed the settings in.
    config: overrides.config ?? readFunctionConfig(),
    upload: putToPresignedUrl,
    now: Date.now,
    log: telemetry.log,
    metrics: telemetry.metrics,
    ...overrides,
  };
  return cached;
}

/**
 * Replaces some dependencies of every function in this process, for the local twin's host: the
 * settings and the clients that reach the twin (instead of the process environment), its
 * virtual clock, an upload a test can break. What is not replaced is built on the next call.
 */
export function overrideFunctionDeps(partial: Partial<FunctionDeps>): void {
  overrides = partial;
  cached = undefined;
}
