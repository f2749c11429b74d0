import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createVirtualClock,
  type HistoryEvent,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
  type TaskHandler,
} from '../../../twin/sfn/index.ts';
import { elapsed, fn, type SfnFixture, startSfnFixture, types } from './helpers.ts';

const START = Date.UTC(2030, 0, 1);
let f: SfnFixture | undefined;

afterEach(async () => {
  await f?.stop();
  f = undefined;
});

/** The product's poll loop in small: check a job, stop when it is done, else wait and check again. */
const pollLoop = {
  StartAt: 'CheckJob',
  States: {
    CheckJob: { Type: 'Task', Resource: fn('checkImportJob'), Next: 'JobDone?' },
    'JobDone?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'Succeeded', Next: 'Done' }],
      Default: 'WaitForJob',
    },
    WaitForJob: { Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'CheckJob' },
    Done: { Type: 'Succeed' },
  },
};

async function run(
  definition: object,
  handlers: Record<string, TaskHandler>,
  input: unknown = {},
  onEvent?: (arn: string, event: HistoryEvent) => void,
) {
  f = await startSfnFixture({
    clock: createVirtualClock(START),
    waitScale: 0,
    stateMachines: [{ name: 'wf', definition, handlers }],
    ...(onEvent ? { onEvent } : {}),
  });
  const { executionArn } = f.twin.startExecution({ stateMachineName: 'wf', input });
  const execution = await f.twin.waitFor(executionArn);
  return { execution, history: f.twin.history(executionArn) };
}

describe('history of a Task → Choice → Wait poll loop', () => {
  it('costs 9 events per poll round: 5 for the Lambda task, 2 each for the Choice and the Wait', async () => {
    let polls = 0;
    const { execution, history } = await run(pollLoop, {
      CheckJob: async () => {
        polls += 1;
        return { status: polls < 4 ? 'InProgress' : 'Succeeded', waitSeconds: 30 };
      },
    });
    expect(execution.status).toBe('SUCCEEDED');

    const starts = history.flatMap((e, i) => (e.type === 'TaskStateEntered' ? [i] : []));
    expect(starts).toHaveLength(4);
    const rounds = starts.slice(1).map((start, i) => history.slice(starts[i], start));
    for (const round of rounds) {
      expect(types(round)).toEqual([
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ChoiceStateEntered',
        'ChoiceStateExited',
        'WaitStateEntered',
        'WaitStateExited',
      ]);
      // Each event follows the one before it, and only the wait moves the clock.
      for (const [i, event] of round.entries()) {
        if (i > 0) expect(event.previousEventId).toBe((round[i - 1] as HistoryEvent).id);
      }
      expect((round[8] as HistoryEvent).timestamp - (round[7] as HistoryEvent).timestamp).toBe(
        30_000,
      );
    }
    // ExecutionStarted + 3 full rounds + the last check (5) and choice (2) + Succeed (2) + end.
    expect(history).toHaveLength(1 + 3 * 9 + 5 + 2 + 2 + 1);
    expect(types(history).slice(-3)).toEqual([
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it(`fails an execution that would exceed ${MAX_HISTORY_EVENTS} events with States.Runtime, as AWS does`, async () => {
    const seen: HistoryEvent[] = [];
    const started = performance.now();
    const { execution, history } = await run(
      pollLoop,
      { CheckJob: async () => ({ status: 'InProgress', waitSeconds: 60 }) },
      {},
      (_arn, event) => seen.push(event),
    );
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect(execution.cause).toContain(String(MAX_HISTORY_EVENTS));
    expect(history).toHaveLength(MAX_HISTORY_EVENTS);
    expect(history.at(-1)).toMatchObject({
      id: MAX_HISTORY_EVENTS,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Runtime' },
    });
    expect(history.at(-1)?.previousEventId).toBe(MAX_HISTORY_EVENTS - 1);
    expect(seen).toHaveLength(MAX_HISTORY_EVENTS);
    // ~2,777 rounds of a 60 s poll: about 46 hours of virtual time.
    expect(Math.floor(elapsed(execution) / 3_600_000)).toBe(46);

    const sfn = f?.sfn;
    const last = await sfn?.send(
      new GetExecutionHistoryCommand({
        executionArn: execution.executionArn,
        reverseOrder: true,
        maxResults: 1,
      }),
    );
    expect(last?.events?.[0]?.id).toBe(MAX_HISTORY_EVENTS);
  }, 60_000);
});

describe('onEvent', () => {
  it('sees every event as it is recorded, and may stop the execution from inside', async () => {
    const stops: string[] = [];
    const { execution, history } = await run(
      pollLoop,
      { CheckJob: async () => ({ status: 'InProgress', waitSeconds: 10 }) },
      {},
      (arn, event) => {
        if (event.type === 'WaitStateEntered' && stops.length === 0) {
          stops.push(arn);
          f?.twin.stop(arn, 'Listener', 'seen enough');
        }
      },
    );
    expect(stops).toEqual([execution.executionArn]);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Listener', cause: 'seen enough' });
    expect(types(history).slice(-2)).toEqual(['WaitStateEntered', 'ExecutionAborted']);
    expect(history.map((e) => e.id)).toEqual(history.map((_e, i) => i + 1));
  });
});

describe('payload limits', () => {
  const single = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: fn('work'),
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };

  it('fails a task whose result exceeds 256 KiB with States.DataLimitExceeded, which a Catch can take', async () => {
    const { execution, history } = await run(single, {
      Work: async () => ({ rows: 'x'.repeat(MAX_PAYLOAD_BYTES) }),
    });
    expect(execution.status).toBe('SUCCEEDED');
    const caught = JSON.parse(execution.output as string);
    expect(caught.Error).toBe('States.DataLimitExceeded');
    expect(caught.Cause).toBe(
      `The state/task '${fn('work')}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
    const failed = history.find((e) => e.type === 'LambdaFunctionFailed');
    expect(failed?.lambdaFunctionFailedEventDetails?.error).toBe('States.DataLimitExceeded');
  });

  it('fails the execution when a state output exceeds 256 KiB', async () => {
    const { execution, history } = await run(
      {
        StartAt: 'Double',
        States: {
          Double: { Type: 'Pass', Parameters: { 'a.$': '$.data', 'b.$': '$.data' }, End: true },
        },
      },
      {},
      { data: 'x'.repeat(200_000) },
    );
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(types(history)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
  });
});
