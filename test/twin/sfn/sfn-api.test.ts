import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVirtualClock, MAX_PAYLOAD_BYTES } from '../../../twin/sfn/index.ts';
import { signedJsonPost } from '../../helpers/sign.ts';
import { ACCOUNT, fn, REGION, type SfnFixture, startSfnFixture, until } from './helpers.ts';

/** Echo: one Task. Hold: a Wait long enough to keep an execution RUNNING. */
const echo = {
  StartAt: 'Echo',
  States: {
    Echo: { Type: 'Task', Resource: { 'Fn::GetAtt': ['echoFunction', 'Arn'] }, End: true },
  },
};
const hold = {
  StartAt: 'Hold',
  States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } },
};

let f: SfnFixture;
const smArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

beforeEach(async () => {
  f = await startSfnFixture({
    clock: createVirtualClock(Date.UTC(2030, 0, 1)),
    // Waits sleep in real time: a held execution stays RUNNING for the whole test.
    waitScale: 1,
    stateMachines: [
      {
        name: 'echo',
        definition: echo,
        handlers: { Echo: async (input) => ({ echoed: input }) },
        aliases: ['live'],
      },
      { name: 'hold', definition: hold, handlers: {} },
    ],
  });
});
afterEach(async () => {
  await f.stop();
});

async function finished(executionArn: string) {
  await f.twin.waitFor(executionArn);
  return f.sfn.send(new DescribeExecutionCommand({ executionArn }));
}

describe('StartExecution and DescribeExecution through @aws-sdk/client-sfn', () => {
  it('starts an execution through an alias of the state machine, on its one version', async () => {
    const started = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${smArn('echo')}:live`, name: 'via-alias' }),
    );
    expect(started.executionArn).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:echo:via-alias`,
    );
    expect(await finished(started.executionArn as string)).toMatchObject({
      stateMachineArn: smArn('echo'),
      status: 'SUCCEEDED',
    });
    const unknown = await f.sfn
      .send(new StartExecutionCommand({ stateMachineArn: `${smArn('echo')}:beta` }))
      .catch((error: Error) => error);
    expect((unknown as Error).name).toBe('ResourceNotFound');
    const qualifiedDescribe = await f.sfn
      .send(new DescribeStateMachineCommand({ stateMachineArn: `${smArn('echo')}:live` }))
      .catch((error: Error) => error);
    expect((qualifiedDescribe as Error).name).toBe('InvalidArn');
  });

  it('runs an execution to SUCCEEDED and describes it as AWS does', async () => {
    const started = await f.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: smArn('echo'),
        name: 'run-1',
        input: '{"a":1}',
      }),
    );
    expect(started.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:echo:run-1`);
    expect(started.startDate?.getTime()).toBe(Date.UTC(2030, 0, 1));
    const described = await finished(started.executionArn as string);
    expect(described).toMatchObject({
      executionArn: started.executionArn,
      stateMachineArn: smArn('echo'),
      name: 'run-1',
      status: 'SUCCEEDED',
      input: '{"a":1}',
      inputDetails: { included: true },
      output: '{"echoed":{"a":1}}',
      outputDetails: { included: true },
    });
    expect(described.stopDate?.getTime()).toBe(Date.UTC(2030, 0, 1));
    expect(described.error).toBeUndefined();
  });

  it('names an execution with a UUID when no name is given and defaults the input to {}', async () => {
    const started = await f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('echo') }));
    const described = await finished(started.executionArn as string);
    expect(described.name).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(described.input).toBe('{}');
  });

  it('answers dates as epoch seconds with fractional milliseconds on the wire', async () => {
    const clockless = await signedJsonPost(
      f.twin.endpoint,
      'AWSStepFunctions.StartExecution',
      { stateMachineArn: smArn('echo'), name: 'wire' },
      { service: 'states', version: '1.0' },
    );
    expect(clockless.status).toBe(200);
    expect(clockless.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    const body = (await clockless.json()) as { startDate: number };
    expect(body.startDate).toBe(Date.UTC(2030, 0, 1) / 1000);
  });

  it('is idempotent for the same name and input while the execution runs', async () => {
    const request = { stateMachineArn: smArn('hold'), name: 'same', input: '{"k":"v","n":1}' };
    const first = await f.sfn.send(new StartExecutionCommand(request));
    // Same JSON, other key order: the same input.
    const again = await f.sfn.send(
      new StartExecutionCommand({ ...request, input: '{"n":1, "k":"v"}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    const { executions } = await f.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: smArn('hold') }),
    );
    expect(executions).toHaveLength(1);
  });

  it('refuses the same name with another input, and any reuse of a closed execution name', async () => {
    const request = { stateMachineArn: smArn('hold'), name: 'taken', input: '{"n":1}' };
    const first = await f.sfn.send(new StartExecutionCommand(request));
    const other = f.sfn.send(new StartExecutionCommand({ ...request, input: '{"n":2}' }));
    await expect(other).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(other).rejects.toThrow(`Execution Already Exists: '${first.executionArn}'`);

    const done = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo'), name: 'done', input: '{}' }),
    );
    await finished(done.executionArn as string);
    await expect(
      f.sfn.send(
        new StartExecutionCommand({ stateMachineArn: smArn('echo'), name: 'done', input: '{}' }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('lets two state machines use the same execution name', async () => {
    await f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('echo'), name: 'shared' }));
    const other = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('hold'), name: 'shared' }),
    );
    expect(other.executionArn).toContain(':execution:hold:shared');
  });

  it.each([
    ['an empty name', ''],
    ['81 characters', 'a'.repeat(81)],
    ['a space', 'my run'],
    ['a slash', 'incoming/users'],
    ['a colon', 'a:b'],
    ['brackets', 'a[1]'],
    ['a control character', 'a\u0001b'],
    ['a C1 control character', 'a\u0085b'],
    ['an emoji (surrogates)', 'run-🚀'],
  ])('refuses an execution name with %s (InvalidName)', async (_label, name) => {
    const attempt = f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('echo'), name }));
    await expect(attempt).rejects.toBeInstanceOf(InvalidName);
    await expect(attempt).rejects.toThrow(`Invalid Name: '${name}'`);
  });

  it('accepts every name AWS accepts: 80 characters, dots, non-ASCII letters', async () => {
    for (const name of ['a'.repeat(80), 'imp-users.csv-0f3a_9', 'import-ÄÖÜ-日本']) {
      const started = await f.sfn.send(
        new StartExecutionCommand({ stateMachineArn: smArn('echo'), name }),
      );
      expect(started.executionArn?.endsWith(`:${name}`)).toBe(true);
    }
  });

  it('refuses input that is not JSON or exceeds 256 KiB (InvalidExecutionInput)', async () => {
    const notJson = f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo'), input: '{not json' }),
    );
    await expect(notJson).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(notJson).rejects.toThrow(/^Invalid State Machine Execution Input: '/);
    const big = JSON.stringify({ data: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('echo'), input: big })),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
    // Exactly at the limit is fine.
    const atLimit = JSON.stringify({ d: 'x'.repeat(MAX_PAYLOAD_BYTES - 8) });
    expect(Buffer.byteLength(atLimit)).toBe(MAX_PAYLOAD_BYTES);
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('echo'), input: atLimit })),
    ).resolves.toHaveProperty('executionArn');
  });

  it('answers StateMachineDoesNotExist, ExecutionDoesNotExist and InvalidArn like AWS', async () => {
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('nope') })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidArn);
    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:execution:echo:missing`;
    const described = f.sfn.send(new DescribeExecutionCommand({ executionArn: missing }));
    await expect(described).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(described).rejects.toThrow(`Execution Does Not Exist: '${missing}'`);
    await expect(
      f.sfn.send(new DescribeExecutionCommand({ executionArn: smArn('echo') })),
    ).rejects.toBeInstanceOf(InvalidArn);
  });
});

describe('ListExecutions', () => {
  it('lists newest first, filters by status and pages with nextToken', async () => {
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { executionArn } = await f.sfn.send(
        new StartExecutionCommand({ stateMachineArn: smArn('echo'), name: `e${i}` }),
      );
      arns.push(executionArn as string);
      await f.twin.waitFor(executionArn as string);
    }
    const held = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('hold'), name: 'held' }),
    );

    const page1 = await f.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: smArn('echo'), maxResults: 2 }),
    );
    expect(page1.executions?.map((e) => e.name)).toEqual(['e4', 'e3']);
    expect(page1.nextToken).toBeTypeOf('string');
    const page2 = await f.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: smArn('echo'),
        maxResults: 2,
        nextToken: page1.nextToken,
      }),
    );
    expect(page2.executions?.map((e) => e.name)).toEqual(['e2', 'e1']);
    const page3 = await f.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: smArn('echo'),
        maxResults: 2,
        nextToken: page2.nextToken,
      }),
    );
    expect(page3.executions?.map((e) => e.name)).toEqual(['e0']);
    expect(page3.nextToken).toBeUndefined();
    expect(page1.executions?.[0]).toMatchObject({
      executionArn: arns[4],
      stateMachineArn: smArn('echo'),
      status: 'SUCCEEDED',
    });

    const running = await f.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: smArn('hold'), statusFilter: 'RUNNING' }),
    );
    expect(running.executions?.map((e) => e.executionArn)).toEqual([held.executionArn]);
    const failed = await f.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: smArn('echo'), statusFilter: 'FAILED' }),
    );
    expect(failed.executions).toEqual([]);
  });

  it('checks maxResults, statusFilter and nextToken like AWS', async () => {
    await expect(
      f.sfn.send(new ListExecutionsCommand({ stateMachineArn: smArn('echo'), maxResults: 1001 })),
    ).rejects.toThrow(
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    await expect(
      f.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: smArn('echo'),
          statusFilter: 'succeeded' as 'SUCCEEDED',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      f.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: smArn('echo'), nextToken: 'garbage' }),
      ),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      f.sfn.send(new ListExecutionsCommand({ stateMachineArn: smArn('nope') })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});

describe('StopExecution', () => {
  it('aborts a running execution with the given error and cause', async () => {
    const { executionArn } = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('hold'), name: 'to-stop' }),
    );
    const stopped = await f.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by hand' }),
    );
    expect(stopped.stopDate?.getTime()).toBe(Date.UTC(2030, 0, 1));
    const described = await f.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'stopped by hand',
    });
    const { events } = await f.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'ExecutionAborted',
    ]);
    // AWS chains ExecutionAborted to nothing.
    expect(events?.[2]).toMatchObject({
      id: 3,
      previousEventId: 0,
      executionAbortedEventDetails: { error: 'Operator', cause: 'stopped by hand' },
    });
  });

  it('leaves an ended execution as it was', async () => {
    const { executionArn } = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo') }),
    );
    await f.twin.waitFor(executionArn as string);
    await f.sfn.send(new StopExecutionCommand({ executionArn }));
    const described = await f.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
  });

  it('resolves a waiter when the execution is stopped in-process', async () => {
    const { executionArn } = f.twin.startExecution({ stateMachineName: 'hold' });
    const waiting = f.twin.waitFor(executionArn);
    f.twin.stop(executionArn);
    await expect(waiting).resolves.toMatchObject({ status: 'ABORTED' });
    expect(f.twin.describe(executionArn).error).toBeUndefined();
  });
});

describe('GetExecutionHistory', () => {
  it('returns AWS-shaped events with JSON strings for inputs and outputs', async () => {
    const { executionArn } = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo'), input: '{"a":1}' }),
    );
    await f.twin.waitFor(executionArn as string);
    const { events } = await f.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'TaskStateEntered'],
      [3, 2, 'LambdaFunctionScheduled'],
      [4, 3, 'LambdaFunctionStarted'],
      [5, 4, 'LambdaFunctionSucceeded'],
      [6, 5, 'TaskStateExited'],
      [7, 6, 'ExecutionSucceeded'],
    ]);
    expect(events?.[0]?.executionStartedEventDetails).toEqual({
      input: '{"a":1}',
      inputDetails: { truncated: false },
      roleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\//),
    });
    expect(events?.[2]?.lambdaFunctionScheduledEventDetails).toEqual({
      resource: fn('echoFunction'),
      input: '{"a":1}',
      inputDetails: { truncated: false },
    });
    expect(events?.[5]?.stateExitedEventDetails).toEqual({
      name: 'Echo',
      output: '{"echoed":{"a":1}}',
      outputDetails: { truncated: false },
    });
    expect(events?.[0]?.timestamp).toBeInstanceOf(Date);
    expect(events?.[0]?.timestamp?.getTime()).toBe(Date.UTC(2030, 0, 1));
  });

  it('pages forwards and backwards, and leaves data out on request', async () => {
    const { executionArn } = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo'), input: '{"secret":"x"}' }),
    );
    await f.twin.waitFor(executionArn as string);
    const ids: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await f.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 3, nextToken }),
      );
      expect(page.events?.length).toBeLessThanOrEqual(3);
      ids.push(...(page.events ?? []).map((e) => e.id as number));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const reversed = await f.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events?.map((e) => e.id)).toEqual([7, 6]);
    const next = await f.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 2,
        nextToken: reversed.nextToken,
      }),
    );
    expect(next.events?.map((e) => e.id)).toEqual([5, 4]);

    const bare = await f.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );
    expect(JSON.stringify(bare.events)).not.toContain('secret');
    expect(bare.events?.[1]?.stateEnteredEventDetails).toEqual({ name: 'Echo' });
    await expect(
      f.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('state machines', () => {
  it('lists and describes the state machines, showing the definition with Fn::GetAtt resolved', async () => {
    const { stateMachines } = await f.sfn.send(new ListStateMachinesCommand({}));
    expect(stateMachines?.map((sm) => [sm.name, sm.stateMachineArn, sm.type])).toEqual([
      ['echo', smArn('echo'), 'STANDARD'],
      ['hold', smArn('hold'), 'STANDARD'],
    ]);
    const described = await f.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: smArn('echo') }),
    );
    expect(described).toMatchObject({
      name: 'echo',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: expect.stringContaining(':role/'),
    });
    expect(JSON.parse(described.definition as string)).toEqual({
      StartAt: 'Echo',
      States: { Echo: { Type: 'Task', Resource: fn('echoFunction'), End: true } },
    });
  });

  it('describes the state machine an execution ran', async () => {
    const { executionArn } = await f.sfn.send(
      new StartExecutionCommand({ stateMachineArn: smArn('echo') }),
    );
    const described = await f.sfn.send(
      new DescribeStateMachineForExecutionCommand({ executionArn }),
    );
    expect(described.stateMachineArn).toBe(smArn('echo'));
    expect(JSON.parse(described.definition as string).States.Echo.Resource).toBe(
      fn('echoFunction'),
    );
  });
});

describe('the endpoint', () => {
  it('answers an unknown operation with an AWS JSON error', async () => {
    const response = await signedJsonPost(
      f.twin.endpoint,
      'AWSStepFunctions.CreateActivity',
      '{}',
      {
        service: 'states',
        version: '1.0',
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('reports each request to onRequest without bodies', async () => {
    const seen: unknown[] = [];
    await f.restart({ onRequest: (entry) => seen.push(entry) });
    await f.sfn.send(new ListStateMachinesCommand({}));
    await until(() => seen.length > 0);
    expect(seen[0]).toMatchObject({
      service: 'states',
      operation: 'ListStateMachines',
      status: 200,
    });
    expect(Object.keys(seen[0] as object).sort()).toEqual(['ms', 'operation', 'service', 'status']);
  });
});
