import { afterEach, describe, expect, it } from 'vitest';
import {
  createVirtualClock,
  type SfnTwinOptions,
  type TaskHandler,
  type VirtualClock,
} from '../../../twin/sfn/index.ts';
import { elapsed, fn, type SfnFixture, startSfnFixture, types } from './helpers.ts';

const START = Date.UTC(2030, 0, 1);
let f: SfnFixture | undefined;

afterEach(async () => {
  await f?.stop();
  f = undefined;
});

async function run(
  definition: object,
  input: unknown,
  options: Partial<SfnTwinOptions> & { handlers?: Record<string, TaskHandler> } = {},
) {
  const { handlers = {}, ...rest } = options;
  f = await startSfnFixture({
    waitScale: 0,
    ...rest,
    stateMachines: [{ name: 'wf', definition, handlers }],
  });
  const started = performance.now();
  const { executionArn } = f.twin.startExecution({ stateMachineName: 'wf', input });
  const execution = await f.twin.waitFor(executionArn);
  return { execution, history: f.twin.history(executionArn), realMs: performance.now() - started };
}

const waitOn = (field: object) => ({
  StartAt: 'Wait',
  States: { Wait: { Type: 'Wait', ...field, End: true } },
});

describe('virtual time', () => {
  it('advances the clock by a SecondsPath wait of 3600 s exactly, in under 100 ms of real time', async () => {
    const clock = createVirtualClock(START);
    const { execution, history, realMs } = await run(
      waitOn({ SecondsPath: '$.poll.waitSeconds' }),
      { poll: { waitSeconds: 3600 } },
      { clock, waitScale: 0 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(clock.now() - START).toBe(3_600_000);
    expect(elapsed(execution)).toBe(3_600_000);
    expect(realMs).toBeLessThan(100);
    expect(history.map((e) => [e.type, e.timestamp - START])).toEqual([
      ['ExecutionStarted', 0],
      ['WaitStateEntered', 0],
      ['WaitStateExited', 3_600_000],
      ['ExecutionSucceeded', 3_600_000],
    ]);
  });

  it('sleeps the scaled fraction of a wait for real', async () => {
    const clock = createVirtualClock(START);
    const { realMs } = await run(waitOn({ Seconds: 10 }), {}, { clock, waitScale: 0.01 });
    expect(clock.now() - START).toBe(10_000);
    expect(realMs).toBeGreaterThanOrEqual(95);
    expect(realMs).toBeLessThan(1_000);
  });

  it('evaluates SecondsPath on the effective input (after InputPath)', async () => {
    const clock = createVirtualClock(START);
    await run(
      {
        StartAt: 'Wait',
        States: {
          Wait: {
            Type: 'Wait',
            InputPath: '$.job',
            SecondsPath: '$.next',
            OutputPath: '$',
            End: true,
          },
        },
      },
      { job: { next: 42 } },
      { clock },
    );
    expect(clock.now() - START).toBe(42_000);
  });

  it('waits until a Timestamp or TimestampPath on the virtual clock', async () => {
    const clock = createVirtualClock(START);
    await run(waitOn({ TimestampPath: '$.until' }), { until: '2030-01-01T06:00:00Z' }, { clock });
    expect(clock.now() - START).toBe(6 * 3_600_000);
    await f?.stop();
    const later = createVirtualClock(START);
    await run(waitOn({ Timestamp: '2030-01-02T00:00:00+01:00' }), {}, { clock: later });
    expect(later.now() - START).toBe(23 * 3_600_000);
  });

  it('does not wait for a timestamp in the past', async () => {
    const clock = createVirtualClock(START);
    await run(waitOn({ Timestamp: '2029-01-01T00:00:00Z' }), {}, { clock });
    expect(clock.now()).toBe(START);
  });

  it.each([
    [{ secs: -1 }, 'The SecondsPath parameter references a negative value: $.secs'],
    [{ secs: 1.5 }, 'The SecondsPath parameter cannot be parsed as a long value: $.secs'],
    [{ secs: '10' }, 'The SecondsPath parameter cannot be parsed as a long value: $.secs'],
    [{}, 'The SecondsPath parameter does not reference an existing value: $.secs'],
  ])(
    'fails the execution with States.Runtime for a SecondsPath input of %j, as AWS does',
    async (input, message) => {
      const { execution, history } = await run(waitOn({ SecondsPath: '$.secs' }), input, {
        clock: createVirtualClock(START),
      });
      expect(execution.error).toBe('States.Runtime');
      expect(execution.cause).toBe(
        `An error occurred while executing the state 'Wait' (entered at the event id #2). ${message}`,
      );
      expect(types(history)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionFailed']);
    },
  );

  it('fails with States.Runtime for a TimestampPath that is not an ISO-8601 date-time', async () => {
    const { execution } = await run(
      waitOn({ TimestampPath: '$.t' }),
      { t: '2030-01-01 10:00' },
      {
        clock: createVirtualClock(START),
      },
    );
    expect(execution.error).toBe('States.Runtime');
    expect(execution.cause).toContain(
      'The TimestampPath parameter does not reference a valid ISO-8601',
    );
  });

  it('times an execution out on the virtual clock at its TimeoutSeconds', async () => {
    const clock = createVirtualClock(START);
    let polls = 0;
    const { execution, history } = await run(
      {
        TimeoutSeconds: 300,
        StartAt: 'Poll',
        States: {
          Poll: { Type: 'Task', Resource: fn('poll'), Next: 'Wait' },
          Wait: { Type: 'Wait', Seconds: 120, Next: 'Again?' },
          'Again?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.done', IsPresent: true, Next: 'Done' }],
            Default: 'Poll',
          },
          Done: { Type: 'Succeed' },
        },
      },
      {},
      {
        clock,
        handlers: {
          Poll: async () => {
            polls += 1;
            return {};
          },
        },
      },
    );
    expect(execution.status).toBe('TIMED_OUT');
    expect(execution.error).toBeUndefined();
    expect(elapsed(execution)).toBe(300_000);
    expect(clock.now() - START).toBe(300_000);
    expect(polls).toBe(3);
    expect(types(history).slice(-2)).toEqual(['WaitStateEntered', 'ExecutionTimedOut']);
    expect(history.at(-1)?.timestamp).toBe(START + 300_000);
  });

  it('times out on the virtual clock during a retry interval', async () => {
    const clock = createVirtualClock(START);
    const { execution } = await run(
      {
        TimeoutSeconds: 10,
        StartAt: 'Flaky',
        States: {
          Flaky: {
            Type: 'Task',
            Resource: fn('flaky'),
            Retry: [
              { ErrorEquals: ['States.ALL'], IntervalSeconds: 4, BackoffRate: 2, MaxAttempts: 5 },
            ],
            End: true,
          },
        },
      },
      {},
      {
        clock,
        handlers: {
          Flaky: async () => {
            throw new Error('down');
          },
        },
      },
    );
    expect(execution.status).toBe('TIMED_OUT');
    expect(clock.now() - START).toBe(10_000);
  });

  it('does not add up waits that overlap in concurrent Map iterations', async () => {
    const clock = createVirtualClock(START);
    const { execution, history } = await run(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            MaxConcurrency: 3,
            Iterator: {
              StartAt: 'Pause',
              States: { Pause: { Type: 'Wait', SecondsPath: '$.s', End: true } },
            },
            End: true,
          },
        },
      },
      [{ s: 60 }, { s: 60 }, { s: 30 }],
      { clock, waitScale: 0.001 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(clock.now() - START).toBe(60_000);
    const exits = history
      .filter((e) => e.type === 'WaitStateExited')
      .map((e) => e.timestamp - START);
    expect(exits.sort((a, b) => a - b)).toEqual([30_000, 60_000, 60_000]);
  });

  it('uses real time without a clock: timestamps are wall-clock, waits scaled', async () => {
    const before = Date.now();
    const { execution, history, realMs } = await run(
      waitOn({ Seconds: 2 }),
      {},
      { waitScale: 0.02 },
    );
    expect(execution.startDate).toBeGreaterThanOrEqual(before);
    expect(realMs).toBeGreaterThanOrEqual(35);
    expect(realMs).toBeLessThan(1_000);
    const exited = history.find((e) => e.type === 'WaitStateExited');
    expect((exited?.timestamp ?? 0) - execution.startDate).toBeGreaterThanOrEqual(35);
  });

  it('shares one clock with anything else that reads it (the Cognito twin takes it as now)', async () => {
    const clock: VirtualClock = createVirtualClock(START);
    const readings: number[] = [];
    await run(
      {
        StartAt: 'Before',
        States: {
          Before: { Type: 'Task', Resource: fn('read'), Next: 'Wait' },
          Wait: { Type: 'Wait', Seconds: 90, Next: 'After' },
          After: { Type: 'Task', Resource: fn('read'), End: true },
        },
      },
      {},
      {
        clock,
        handlers: {
          Before: async () => readings.push(clock.now()),
          After: async () => readings.push(clock.now()),
        },
      },
    );
    expect(readings).toEqual([START, START + 90_000]);
  });
});
