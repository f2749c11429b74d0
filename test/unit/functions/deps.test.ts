/**
 * The functions' dependencies: one set per process on Lambda; on a host that runs several
 * functions in one process (the local twin), each function its own, with its own credentials.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  endFunctionScope,
  type FunctionScope,
  functionDeps,
  scopeFunctionDeps,
} from '../../../functions/lib/deps.ts';
import { createClients } from '../../../src/aws/clients.ts';

const telemetry = {
  log: { info: () => {}, warn: () => {}, error: () => {} },
  metrics: { count: () => {}, duration: () => {} },
} as unknown as Parameters<typeof functionDeps>[0];

let running: string | undefined;
const scope: FunctionScope = {
  current: () => running,
  own: (name) =>
    createClients({
      region: 'us-east-1',
      credentials: { accessKeyId: `ASIATWIN${name.toUpperCase()}`, secretAccessKey: name },
    }),
};
afterEach(() => {
  endFunctionScope(scope);
  running = undefined;
});

const keyOf = async (deps: ReturnType<typeof functionDeps>) =>
  (await deps.s3.config.credentials()).accessKeyId;

describe('functionDeps', () => {
  it('builds one set for the whole process, as on Lambda', () => {
    expect(functionDeps(telemetry)).toBe(functionDeps(telemetry));
  });

  it("gives each function of a scope its own clients, signed with that function's credentials", async () => {
    scopeFunctionDeps(scope);
    running = 'prepare';
    const prepare = functionDeps(telemetry);
    running = 'report';
    const report = functionDeps(telemetry);
    expect(report).not.toBe(prepare);
    expect(await keyOf(prepare)).toBe('ASIATWINPREPARE');
    expect(await keyOf(report)).toBe('ASIATWINREPORT');
    running = 'prepare';
    expect(functionDeps(telemetry)).toBe(prepare);
  });

  it('refuses a function that runs outside any invocation of the scope, rather than lend it other credentials', () => {
    scopeFunctionDeps(scope);
    expect(() => functionDeps(telemetry)).toThrow(/outside any invocation/);
  });

  it("leaves another host's scope in place when an earlier one ends", async () => {
    const other: FunctionScope = { ...scope };
    scopeFunctionDeps(scope);
    scopeFunctionDeps(other);
    endFunctionScope(scope);
    running = 'prepare';
    expect(await keyOf(functionDeps(telemetry))).toBe('ASIATWINPREPARE');
    endFunctionScope(other);
  });
});
