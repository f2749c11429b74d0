/**
 * The host's local Lambda (src/local/lambda-runtime.ts): what an invocation writes goes to its
 * function's log stream, not to the process's output; instances are reused while idle, as warm
 * environments are; a failed invocation gets its Invoke Error line; and the runtime's invoke store
 * keeps each of the invocations that run at once apart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FunctionLogEvent,
  type LocalLambda,
  startLocalLambda,
} from '../../src/local/lambda-runtime.ts';

let written: string[];
let restore: () => void;
let events: FunctionLogEvent[];
let instances: string[];
let lambda: LocalLambda;
let now: number;

beforeEach(() => {
  // The process's stdout, as the local Lambda finds it: what passes through lands here.
  written = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  restore = () => {
    process.stdout.write = original;
  };
  events = [];
  instances = [];
  now = Date.parse('2026-11-27T09:00:00Z');
  lambda = startLocalLambda({
    region: 'us-east-1',
    account: '123456789012',
    now: () => now,
    onInstance: ({ logStream }) => instances.push(logStream),
    onLog: (event) => events.push(event),
  });
});

afterEach(() => {
  lambda.close();
  restore();
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the local Lambda', () => {
  it("sends an invocation's output, line by line, to its function's log stream and not to stdout", async () => {
    // Act
    const result = await lambda.invoke(
      'svc-local-validateCsv',
      async (event, context) => {
        process.stdout.write('{"level":"INFO","message":"one"}\n{"level":"INFO",');
        await tick();
        process.stdout.write('"message":"two"}\n');
        process.stderr.write('{"level":"ERROR","message":"three"}\n');
        process.stdout.write('no line end');
        return { event, name: (context as { functionName: string }).functionName };
      },
      { run: 'imp-a-1' },
    );
    process.stdout.write('outside any invocation\n');
    // Assess
    expect(result).toEqual({ event: { run: 'imp-a-1' }, name: 'svc-local-validateCsv' });
    expect(events.map((e) => e.message)).toEqual([
      '{"level":"INFO","message":"one"}',
      '{"level":"INFO","message":"two"}',
      '{"level":"ERROR","message":"three"}',
      'no line end',
    ]);
    expect(new Set(events.map((e) => e.logGroup))).toEqual(
      new Set(['/aws/lambda/svc-local-validateCsv']),
    );
    expect(events[0]?.logStream).toMatch(/^2026\/11\/27\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(events[0]?.timestamp).toBe(now);
    expect(written).toEqual(['outside any invocation\n']);
  });

  it('hands each invocation a Lambda context, and reuses an idle instance as Lambda reuses a warm one', async () => {
    const contexts: Record<string, unknown>[] = [];
    const handler = async (_event: unknown, context: object) => {
      contexts.push(context as Record<string, unknown>);
      await tick();
      return null;
    };
    await lambda.invoke('svc-local-checkImportJob', handler, {});
    await lambda.invoke('svc-local-checkImportJob', handler, {});
    // Two at once need two instances.
    await Promise.all([
      lambda.invoke('svc-local-checkImportJob', handler, {}),
      lambda.invoke('svc-local-checkImportJob', handler, {}),
    ]);
    expect(instances).toHaveLength(2);
    expect(contexts[0]).toMatchObject({
      functionName: 'svc-local-checkImportJob',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:svc-local-checkImportJob',
      logGroupName: '/aws/lambda/svc-local-checkImportJob',
      logStreamName: instances[0],
    });
    expect(contexts[1]?.logStreamName).toBe(instances[0]);
    expect(new Set(contexts.map((c) => c.awsRequestId)).size).toBe(4);
  });

  it('writes the Invoke Error line of a failed invocation, and passes the error on', async () => {
    const error = Object.assign(new Error('The pre-signed upload URL expired.'), {
      name: 'UploadExpiredError',
    });
    await expect(
      lambda.invoke(
        'svc-local-createImportJob',
        async () => {
          throw error;
        },
        {},
      ),
    ).rejects.toBe(error);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.message ?? '')).toMatchObject({
      level: 'ERROR',
      message: 'Invoke Error',
      errorType: 'UploadExpiredError',
      errorMessage: 'The pre-signed upload URL expired.',
      requestId: expect.any(String),
    });
  });

  it("gives each of the invocations that run at once its own context in the runtime's invoke store", async () => {
    const store = () =>
      (
        globalThis as {
          awslambda?: {
            InvokeStore?: {
              getRequestId(): string;
              set(k: string, v: unknown): void;
              get(k: string): unknown;
            };
          };
        }
      ).awslambda?.InvokeStore;
    const seen: [string, unknown, unknown][] = [];
    const handler = async (event: unknown, context: object) => {
      store()?.set('run', (event as { run: string }).run);
      await tick();
      await tick();
      seen.push([
        (context as { awsRequestId: string }).awsRequestId,
        store()?.getRequestId(),
        store()?.get('run'),
      ]);
      return null;
    };
    await Promise.all(
      ['imp-a-1', 'imp-b-2', 'imp-c-3'].map((run) =>
        lambda.invoke('svc-local-x', handler, { run }),
      ),
    );
    expect(seen).toHaveLength(3);
    for (const [requestId, fromStore] of seen) expect(fromStore).toBe(requestId);
    expect(new Set(seen.map(([, , run]) => run))).toEqual(
      new Set(['imp-a-1', 'imp-b-2', 'imp-c-3']),
    );
  });

  it("counts the context's remaining time down from the function's timeout, in real time", async () => {
    // Arrange
    const timed = startLocalLambda({
      region: 'us-east-1',
      account: '123456789012',
      now: () => now,
      onInstance: () => {},
      onLog: () => {},
      timeoutMs: (name) => (name === 'svc-local-slow' ? 890_000 : undefined),
    });
    const remaining = (context: object) =>
      (context as { getRemainingTimeInMillis: () => number }).getRemainingTimeInMillis();
    try {
      // Act
      const [first, later, other] = await Promise.all([
        timed.invoke('svc-local-slow', async (_, context) => remaining(context), {}),
        timed.invoke(
          'svc-local-slow',
          async (_, context) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return remaining(context);
          },
          {},
        ),
        timed.invoke('svc-local-other', async (_, context) => remaining(context), {}),
      ]);
      // Assess: the virtual clock stood still, the remaining time did not.
      expect(first).toBeGreaterThan(889_000);
      expect(first).toBeLessThanOrEqual(890_000);
      expect(later).toBeLessThanOrEqual(890_000 - 40);
      // A function whose timeout is not known gets Lambda's longest.
      expect(other).toBeGreaterThan(899_000);
      expect(other).toBeLessThanOrEqual(900_000);
    } finally {
      timed.close();
    }
  });

  it('gives the process its output back once closed', async () => {
    lambda.close();
    await lambda.invoke(
      'svc-local-x',
      async () => {
        process.stdout.write('after close\n');
        return null;
      },
      {},
    );
    expect(written).toEqual(['after close\n']);
  });
});
