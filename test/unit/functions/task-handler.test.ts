import { describe, expect, it } from 'vitest';
import { taskHandler } from '../../../functions/lib/task-handler.ts';

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'TooManyRequestsException',
    $metadata: { httpStatusCode: 400 },
  });

/** A Lambda context that says only `remaining` ms are left. */
const contextWith = (remaining: number) => ({
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => remaining,
});

describe('taskHandler', () => {
  it('hands the core function its event and the shared dependencies', async () => {
    const handler = taskHandler(async (event: { n: number }, deps) => ({
      n: event.n + 1,
      hasConfig: typeof deps.config.maxObjectBytes === 'number',
    }));
    await expect(handler({ n: 1 }, contextWith(60_000) as never)).resolves.toEqual({
      n: 2,
      hasConfig: true,
    });
  });

  it("gives the core the invocation's remaining time, as the Lambda context counts it", async () => {
    let left = 60_000;
    const context = { ...contextWith(0), getRemainingTimeInMillis: () => left };
    const handler = taskHandler(async (_: unknown, deps) => {
      const first = deps.remainingMs();
      left = 12_345;
      return [first, deps.remainingMs()];
    });
    await expect(handler({}, context as never)).resolves.toEqual([60_000, 12_345]);
  });

  it('turns a transient service fault into TransientServiceError, keeping the original as cause', async () => {
    const original = throttled();
    const handler = taskHandler(async () => {
      throw original;
    });
    const error = (await handler({}, contextWith(60_000) as never).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.name).toBe('TransientServiceError');
    expect(error.message).toBe('TooManyRequestsException (HTTP 400): Rate exceeded');
    expect(error.cause).toBe(original);
  });

  it('lets any other error out as it was thrown', async () => {
    const original = Object.assign(new Error('no such pool'), {
      name: 'ResourceNotFoundException',
    });
    const handler = taskHandler(async () => {
      throw original;
    });
    await expect(handler({}, contextWith(60_000) as never)).rejects.toBe(original);
  });

  it("has no early timeout: a function near Lambda's limit is not cut short with a TimeoutError", async () => {
    // middy's default would throw TimeoutError 5 ms before the limit, here at once.
    const handler = taskHandler(
      () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 30)),
    );
    await expect(handler({}, contextWith(1) as never)).resolves.toBe('done');
  });
});
