import { type ClientOptions, type Clients, createClients } from '../../src/aws/clients.ts';
import { type FunctionConfig, readFunctionConfig } from '../../src/config.ts';
import { realSleep } from '../../src/workflow/job-log.ts';
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
  /** Waits (real time): the pace of a core that spaces its calls. */
  sleep: (ms: number) => Promise<void>;
  log: Log;
  metrics: MetricSink;
}

/**
 * Where several functions share one process (the local twin's host): which function's
 * invocation is running, and what is that function's own (its clients, signed with its role's
 * credentials, as Lambda gives each function its execution role's).
 */
export interface FunctionScope {
  current(): string | undefined;
  own(functionName: string): Partial<FunctionDeps>;
}

let cached: FunctionDeps | undefined;
let overrides: Partial<FunctionDeps> = {};
let scope: FunctionScope | undefined;
const cachedByFunction = new Map<string, FunctionDeps>();

function build(telemetry: Telemetry, own: Partial<FunctionDeps> = {}): FunctionDeps {
  return {
    ...createClients(telemetry.instrument ? { instrument: telemetry.instrument } : {}),
    // Read from the environment only when the host has not handed the settings in.
    config: overrides.config ?? readFunctionConfig(),
    upload: putToPresignedUrl,
    now: Date.now,
    sleep: realSleep,
    log: telemetry.log,
    metrics: telemetry.metrics,
    ...overrides,
    ...own,
  };
}

/**
 * The clients and settings every Lambda uses, built once per cold start (on Lambda, one function
 * per process; with a scope, once per function). Log lines carry counts, line numbers and job ids
 * only: never a pre-signed URL, never a row.
 */
export function functionDeps(telemetry: Telemetry): FunctionDeps {
  if (!scope) {
    cached ??= build(telemetry);
    return cached;
  }
  const name = scope.current();
  // Never the process's own credentials for a function the host could not place.
  if (name === undefined) throw new Error('A function ran outside any invocation of its host.');
  let deps = cachedByFunction.get(name);
  if (!deps) {
    deps = build(telemetry, scope.own(name));
    cachedByFunction.set(name, deps);
  }
  return deps;
}

/**
 * Gives each function of this process its own dependencies (see {@link FunctionScope}); none
 * (undefined) for one set shared by all, as on Lambda. Dependencies are rebuilt on the next call.
 */
export function scopeFunctionDeps(given: FunctionScope | undefined): void {
  scope = given;
  resetFunctionDeps();
}

/** Ends a scope, unless another host has set its own since. */
export function endFunctionScope(ended: FunctionScope): void {
  if (scope === ended) scopeFunctionDeps(undefined);
}

/**
 * Replaces some dependencies of every function in this process, for the local twin's host: the
 * settings and the clients that reach the twin (instead of the process environment), its
 * virtual clock, an upload a test can break. What is not replaced is built on the next call.
 */
export function overrideFunctionDeps(partial: Partial<FunctionDeps>): void {
  overrides = partial;
  resetFunctionDeps();
}

/** Forgets the built dependencies: the next call builds them again. */
function resetFunctionDeps(): void {
  cached = undefined;
  cachedByFunction.clear();
}
