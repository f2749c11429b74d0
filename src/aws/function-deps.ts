import { type FunctionConfig, readFunctionConfig } from '../config.ts';
import type { Log, MetricSink } from '../workflow/telemetry.ts';
import { putToPresignedUrl, type Uploader } from '../workflow/upload.ts';
import { type ClientOptions, type Clients, createClients } from './clients.ts';

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
    config: readFunctionConfig(),
    upload: putToPresignedUrl,
    now: Date.now,
    log: telemetry.log,
    metrics: telemetry.metrics,
    ...overrides,
  };
  return cached;
}

/**
 * Replaces some dependencies of every function in this process, for the local twin: its virtual
 * clock, or an upload a test can break. Clients are rebuilt on the next call.
 */
export function overrideFunctionDeps(partial: Partial<FunctionDeps>): void {
  overrides = partial;
  cached = undefined;
}

/** Forgets the cached clients, so a process that moves the endpoints (the local twin) builds new ones. */
export function resetFunctionDeps(): void {
  cached = undefined;
}
