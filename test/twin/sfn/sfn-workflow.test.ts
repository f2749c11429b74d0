import { afterEach, describe, expect, it } from 'vitest';
import {
  createVirtualClock,
  type HistoryEvent,
  type TaskContext,
  type TaskHandler,
} from '../../../twin/sfn/index.ts';
import { elapsed, fn, JobNotReady, type SfnFixture, startSfnFixture, types } from './helpers.ts';

const START = Date.UTC(2030, 0, 1);
let f: SfnFixture | undefined;

afterEach(async () => {
  await f?.stop();
  f = undefined;
});

async function twinWith(definition: object, handlers: Record<string, TaskHandler>) {
  f = await startSfnFixture({
    clock: createVirtualClock(START),
    waitScale: 0,
    stateMachines: [{ name: 'wf', definition, handlers }],
  });
  return f.twin;
}

async function run(definition: object, handlers: Record<string, TaskHandler>, input: unknown = {}) {
  const twin = await twinWith(definition, handlers);
  const { executionArn } = twin.startExecution({ stateMachineName: 'wf', input });
  const execution = await twin.waitFor(executionArn);
  return { execution, history: twin.history(executionArn) };
}

/**
 * The shape of the product's workflow in small: a Task, a poll loop (Wait on SecondsPath, a
 * Task, a Choice), a Map over parts with MaxConcurrency 1, Retry on a custom error, and a Catch
 * that leads to a Fail state.
 */
const importLike = {
  Comment: 'prepare, poll until ready, import each part, fail on a bad part',
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Task',
      Resource: { 'Fn::GetAtt': ['prepareImport', 'Arn'] },
      Retry: [{ ErrorEquals: ['JobNotReady'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ImportFailed' }],
      Next: 'WaitForJob',
    },
    WaitForJob: { Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'CheckJob' },
    CheckJob: {
      Type: 'Task',
      Resource: fn('checkImportJob'),
      Next: 'JobDone?',
    },
    'JobDone?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'Succeeded', Next: 'ImportParts' }],
      Default: 'WaitForJob',
    },
    ImportParts: {
      Type: 'Map',
      ItemsPath: '$.parts',
      MaxConcurrency: 1,
      ResultPath: '$.results',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'ImportPart',
        States: {
          ImportPart: { Type: 'Task', Resource: fn('importPart'), End: true },
        },
      },
      Catch: [{ ErrorEquals: ['PartRejected'], ResultPath: '$.error', Next: 'ImportFailed' }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    ImportFailed: {
      Type: 'Fail',
      Error: 'ImportFailed',
      Cause: 'An import step failed; see the history.',
    },
  },
};

class PartRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartRejected';
  }
}

describe('a Task / Wait / Choice / Map / Retry / Catch / Fail workflow', () => {
  it('retries a custom error, polls until ready, imports each part in order, and succeeds', async () => {
    const seen: Array<{ state: string; attempt: number; input: unknown }> = [];
    let prepareCalls = 0;
    let polls = 0;
    const { execution, history } = await run(
      importLike,
      {
        Prepare: async (input, context) => {
          seen.push({ state: context.stateName, attempt: context.attempt, input });
          prepareCalls += 1;
          if (prepareCalls < 3) throw new JobNotReady(`attempt ${context.attempt}`);
          return { ...(input as object), waitSeconds: 60 };
        },
        CheckJob: async (input) => {
          polls += 1;
          return { ...(input as object), status: polls < 3 ? 'InProgress' : 'Succeeded' };
        },
        ImportPart: async (part, context) => {
          seen.push({ state: context.stateName, attempt: context.attempt, input: part });
          return { part, imported: true };
        },
      },
      { parts: ['part-0001', 'part-0002'] },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toEqual({
      parts: ['part-0001', 'part-0002'],
      waitSeconds: 60,
      status: 'Succeeded',
      results: [
        { part: 'part-0001', imported: true },
        { part: 'part-0002', imported: true },
      ],
    });
    expect(seen.map((s) => [s.state, s.attempt, s.input])).toEqual([
      ['Prepare', 1, { parts: ['part-0001', 'part-0002'] }],
      ['Prepare', 2, { parts: ['part-0001', 'part-0002'] }],
      ['Prepare', 3, { parts: ['part-0001', 'part-0002'] }],
      ['ImportPart', 1, 'part-0001'],
      ['ImportPart', 1, 'part-0002'],
    ]);
    // Retry intervals 2 s and 4 s, then three 60 s waits: the virtual clock moved by 186 s.
    expect(elapsed(execution)).toBe(186_000);

    const lambda = history.filter((e) => e.type.startsWith('LambdaFunction'));
    expect(lambda.slice(0, 10).map((e) => e.type)).toEqual([
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'LambdaFunctionScheduled',
    ]);
    const failed = history.find((e) => e.type === 'LambdaFunctionFailed') as HistoryEvent;
    expect(failed.lambdaFunctionFailedEventDetails?.error).toBe('JobNotReady');
    // The cause is what the Node.js Lambda runtime reports: errorType, errorMessage, trace.
    expect(JSON.parse(failed.lambdaFunctionFailedEventDetails?.cause as string)).toMatchObject({
      errorType: 'JobNotReady',
      errorMessage: 'attempt 1',
      trace: expect.arrayContaining([expect.stringContaining('JobNotReady: attempt 1')]),
    });
    const retried = history.filter((e) => e.type === 'LambdaFunctionScheduled').slice(0, 3);
    expect(retried.map((e) => e.timestamp - START)).toEqual([0, 2_000, 6_000]);

    const map = history.filter((e) => e.type.startsWith('Map'));
    expect(map.map((e) => e.type)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
    expect(map[1]?.mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(map[4]?.mapIterationStartedEventDetails).toEqual({ name: 'ImportParts', index: 1 });
    // Each iteration hangs from MapStateStarted; MapStateExited follows the last iteration.
    expect(map[2]?.previousEventId).toBe(map[1]?.id);
    expect(map[4]?.previousEventId).toBe(map[1]?.id);
    expect(map[6]?.previousEventId).toBe(map[5]?.id);
    expect(map[7]?.previousEventId).toBe(map[5]?.id);
    expect(history.at(-2)?.type).toBe('SucceedStateExited');
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(history.map((e) => e.id)).toEqual(history.map((_e, i) => i + 1));
  });

  it('catches an error in a Map iteration and ends in the Fail state with its error', async () => {
    const { execution, history } = await run(
      importLike,
      {
        Prepare: async (input) => ({ ...(input as object), waitSeconds: 1 }),
        CheckJob: async (input) => ({ ...(input as object), status: 'Succeeded' }),
        ImportPart: async (part) => {
          if (part === 'bad') throw new PartRejected('part bad has no header');
          return part;
        },
      },
      { parts: ['good', 'bad', 'never'] },
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'ImportFailed',
      cause: 'An import step failed; see the history.',
    });
    expect(types(history).slice(-10)).toEqual([
      'MapIterationStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'MapIterationFailed',
      'MapStateFailed',
      'MapStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    const exited = history.find((e) => e.type === 'MapStateExited') as HistoryEvent;
    // AWS chains MapIterationFailed and MapStateFailed both to the iteration's last event, and
    // MapStateExited to MapStateFailed.
    const iterationFailed = history.find((e) => e.type === 'MapIterationFailed') as HistoryEvent;
    const mapFailed = history.find((e) => e.type === 'MapStateFailed') as HistoryEvent;
    expect(iterationFailed.previousEventId).toBe(iterationFailed.id - 1);
    expect(mapFailed.previousEventId).toBe(iterationFailed.previousEventId);
    expect(exited.previousEventId).toBe(mapFailed.id);
    const caught = JSON.parse(exited.stateExitedEventDetails?.output as string);
    expect(caught.error.Error).toBe('PartRejected');
    expect(JSON.parse(caught.error.Cause)).toMatchObject({
      errorType: 'PartRejected',
      errorMessage: 'part bad has no header',
    });
    // The third part never started: MaxConcurrency 1 and the Map failed on the second.
    expect(history.filter((e) => e.type === 'MapIterationStarted')).toHaveLength(2);
    const end = history.at(-1) as HistoryEvent;
    expect(end.executionFailedEventDetails).toEqual({
      error: 'ImportFailed',
      cause: 'An import step failed; see the history.',
    });
    expect(end.previousEventId).toBe(end.id - 1);
  });

  it('catches a task that fails after its retries are spent', async () => {
    const { execution, history } = await run(importLike, {
      Prepare: async () => {
        throw new JobNotReady('never ready');
      },
      CheckJob: async (input) => input,
      ImportPart: async (part) => part,
    });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ImportFailed' });
    // 1 call + 3 retries, each with its own Lambda events; then the caught exit.
    expect(history.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(4);
    const exited = history.find((e) => e.type === 'TaskStateExited') as HistoryEvent;
    expect(JSON.parse(exited.stateExitedEventDetails?.output as string).error.Error).toBe(
      'JobNotReady',
    );
    // Intervals 2, 4 and 8 s.
    expect(elapsed(execution)).toBe(14_000);
  });
});

describe('Task handlers', () => {
  const single = (retry?: object[], catches?: object[]) => ({
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: fn('work'),
        ...(retry ? { Retry: retry } : {}),
        ...(catches ? { Catch: catches } : {}),
        End: true,
      },
      ...(catches ? { Caught: { Type: 'Pass', End: true } } : {}),
    },
  });

  it('fails the execution with the error name and the Lambda-style cause when nothing catches it', async () => {
    const { execution, history } = await run(single(), {
      Work: async () => {
        throw new PartRejected('bad row 12');
      },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PartRejected');
    expect(JSON.parse(execution.cause as string)).toMatchObject({
      errorType: 'PartRejected',
      errorMessage: 'bad row 12',
    });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
    ]);
    expect(history[5]?.previousEventId).toBe(5);
  });

  it.each([
    ['a plain Error', () => new Error('plain'), 'Error'],
    ['a TypeError', () => new TypeError('bad type'), 'TypeError'],
    [
      'an Error whose name is not a string',
      () => Object.assign(new Error('odd'), { name: 42 }),
      'Error',
    ],
    ['an Error with an empty name', () => Object.assign(new Error('empty'), { name: '' }), 'Error'],
    ['a thrown string', () => 'just a string', 'string'],
    ['a thrown number', () => 7, 'number'],
    ['a thrown null', () => null, 'object'],
  ])(
    'reports %s by the name the Lambda runtime would use, which States.ALL and States.TaskFailed still catch',
    async (_label, make, expected) => {
      const { execution, history } = await run(
        single(undefined, [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }]),
        {
          Work: async () => {
            throw make();
          },
        },
      );
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output as string).Error).toBe(expected);
      const failed = history.find((e) => e.type === 'LambdaFunctionFailed') as HistoryEvent;
      expect(failed.lambdaFunctionFailedEventDetails?.error).toBe(expected);
    },
  );

  it('matches a retrier by the custom error name only', async () => {
    let calls = 0;
    const { execution } = await run(
      single([
        { ErrorEquals: ['SomethingElse'], MaxAttempts: 5, IntervalSeconds: 1 },
        { ErrorEquals: ['JobNotReady'], MaxAttempts: 1, IntervalSeconds: 1 },
      ]),
      {
        Work: async () => {
          calls += 1;
          throw new JobNotReady('no');
        },
      },
    );
    expect(execution.error).toBe('JobNotReady');
    expect(calls).toBe(2);
  });

  it('hands the handler a copy of the effective input and the execution it belongs to', async () => {
    let context: TaskContext | undefined;
    let received: unknown;
    const { execution } = await run(
      {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: fn('work'),
            InputPath: '$.job',
            Parameters: { 'id.$': '$.id', 'run.$': '$$.Execution.Name', fixed: 1 },
            ResultPath: '$.result',
            End: true,
          },
        },
      },
      {
        Work: async (input, ctx) => {
          received = input;
          context = ctx;
          (input as { id: string }).id = 'mutated';
          return { at: new Date(Date.UTC(2030, 0, 2)), nothing: undefined };
        },
      },
      { job: { id: 'j-1' } },
    );
    expect(received).toEqual({ id: 'mutated', run: execution.name, fixed: 1 });
    expect(context).toEqual({
      executionArn: execution.executionArn,
      executionName: execution.name,
      stateName: 'Work',
      attempt: 1,
    });
    // The result travels as JSON, as a Lambda's does: dates become strings, undefined goes.
    expect(JSON.parse(execution.output as string)).toEqual({
      job: { id: 'j-1' },
      result: { at: '2030-01-02T00:00:00.000Z' },
    });
  });

  it('treats a handler that returns nothing as a null result', async () => {
    const { execution } = await run(single(), { Work: async () => undefined });
    expect(execution.output).toBe('null');
  });
});

describe('the Context Object', () => {
  it('gives the ASL the execution id, name, input and start time on the twin clock, and the state machine', async () => {
    const twin = await twinWith(
      {
        StartAt: 'Context',
        States: {
          Context: {
            Type: 'Pass',
            Parameters: {
              'id.$': '$$.Execution.Id',
              'name.$': '$$.Execution.Name',
              'input.$': '$$.Execution.Input',
              'start.$': '$$.Execution.StartTime',
              'machine.$': '$$.StateMachine.Id',
              'machineName.$': '$$.StateMachine.Name',
            },
            End: true,
          },
        },
      },
      {},
    );
    const { executionArn } = twin.startExecution({
      stateMachineName: 'wf',
      name: 'ctx',
      input: { a: 1 },
    });
    const execution = await twin.waitFor(executionArn);
    expect(JSON.parse(execution.output as string)).toEqual({
      id: executionArn,
      name: 'ctx',
      input: { a: 1 },
      start: '2030-01-01T00:00:00.000Z',
      machine: twin.stateMachineArn('wf'),
      machineName: 'wf',
    });
    // Only the interpreter's one read was answered with the start time.
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('states without handlers', () => {
  it('ends at a Fail state without Error or Cause with neither, as AWS does', async () => {
    const { execution, history } = await run(
      { StartAt: 'Stop', States: { Stop: { Type: 'Fail' } } },
      {},
    );
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBeUndefined();
    expect(execution.cause).toBeUndefined();
    expect(history.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'FailStateEntered'],
      [3, 2, 'ExecutionFailed'],
    ]);
  });

  it('reports a Choice that matches nothing as States.NoChoiceMatched naming the state', async () => {
    const { execution } = await run(
      {
        StartAt: 'Pick',
        States: {
          Pick: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'End' }] },
          End: { Type: 'Succeed' },
        },
      },
      {},
      { x: 2 },
    );
    expect(execution.error).toBe('States.NoChoiceMatched');
    expect(execution.cause).toMatch(
      /^An error occurred while executing the state 'Pick' \(entered at the event id #2\)\./,
    );
  });

  it('runs a Parallel state with the events AWS writes', async () => {
    const { execution, history } = await run(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'a', End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Task', Resource: fn('b'), End: true } } },
            ],
            End: true,
          },
        },
      },
      { B: async () => 'b' },
    );
    expect(execution.output).toBe('["a","b"]');
    expect(types(history)[1]).toBe('ParallelStateEntered');
    expect(types(history)[2]).toBe('ParallelStateStarted');
    expect(types(history).slice(-3)).toEqual([
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ]);
    // The branches' first events hang from ParallelStateStarted.
    const firstOfBranches = history.filter((e) => e.previousEventId === 3);
    expect(firstOfBranches.map((e) => e.type)).toEqual(['PassStateEntered', 'TaskStateEntered']);
  });
});
