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
    config: readFunctionConfig(),
    upload: putToPresignedUrl,
    now: Date.now,
    log: (message) => console.log(message),
    ...overrides,
  };
  return cached;
}

/**
 * Replaces some dependencies of every function in this process, for the local twin: its virtual
 * clock, or a log that goes to the twin's own sink. Clients are rebuilt on the next call.
 */
export function overrideFunctionDeps(partial: Partial<FunctionDeps>): void {
  overrides = partial;
  cached = undefined;
}

/** Forgets the cached clients, so a process that moves the endpoints (the local twin) builds new ones. */
export function resetFunctionDeps(): void {
  cached = undefined;
}
