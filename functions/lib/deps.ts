import { type Clients, createClients } from '../../src/aws/clients.ts';
import { type FunctionConfig, readFunctionConfig } from '../../src/config.ts';
import { putToPresignedUrl, type Uploader } from '../../src/workflow/upload.ts';

export interface FunctionDeps extends Clients {
  config: FunctionConfig;
  upload: Uploader;
  now: () => number;
  log: (message: string) => void;
}

let cached: FunctionDeps | undefined;
let overrides: Partial<FunctionDeps> = {};

/**
 * The clients and settings every Lambda uses, built once per cold start. Log lines carry counts,
 * line numbers and job ids only: never a pre-signed URL, never a row.
 */
export function functionDeps(): FunctionDeps {
  cached ??= {
    ...createClients(),
    // Read from the environment only when the host has not handed the settings in.
    config: overrides.config ?? readFunctionConfig(),
    upload: putToPresignedUrl,
    now: Date.now,
    log: (message) => console.log(message),
    ...overrides,
  };
  return cached;
}

/**
 * Replaces some dependencies of every function in this process, for the local twin's host: the
 * settings and the clients that reach the twin (instead of the process environment), its
 * virtual clock, a log that goes to the twin's own sink. What is not replaced is built on the
 * next call.
 */
export function overrideFunctionDeps(partial: Partial<FunctionDeps>): void {
  overrides = partial;
  cached = undefined;
}
