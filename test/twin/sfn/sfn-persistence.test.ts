import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createVirtualClock,
  type Execution,
  INTERRUPTED_CAUSE,
  startSfnTwin,
} from '../../../twin/sfn/index.ts';
import { fn, type SfnFixture, startSfnFixture, types, until } from './helpers.ts';

const START = Date.UTC(2030, 0, 1);
let f: SfnFixture | undefined;

afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const jobs = {
  StartAt: 'StartJob',
  States: {
    StartJob: { Type: 'Task', Resource: fn('startImportJob'), Next: 'WaitForJob' },
    WaitForJob: { Type: 'Wait', SecondsPath: '$.waitSeconds', End: true },
  },
};

async function fixture(onInterrupted?: (execution: Execution) => void) {
  const clock = createVirtualClock(START);
  f = await startSfnFixture({
    clock,
    // Real-time waits: an execution with a long wait is still RUNNING when the twin stops.
    waitScale: 1,
    stateMachines: [
      {
        name: 'jobs',
        definition: jobs,
        handlers: { StartJob: async (input) => ({ ...(input as object), jobId: 'import-1' }) },
      },
    ],
    ...(onInterrupted ? { onInterrupted } : {}),
  });
  return { clock, fixture: f };
}

describe('persistence under <dataDir>/sfn/', () => {
  it('keeps finished executions and their histories across a restart', async () => {
    const { fixture: fx } = await fixture();
    const smArn = fx.twin.stateMachineArn('jobs');
    const { executionArn } = await fx.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: smArn,
        name: 'quick',
        input: '{"waitSeconds":0}',
      }),
    );
    await fx.twin.waitFor(executionArn as string);
    const before = await fx.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(existsSync(join(fx.dataDir, 'sfn', 'sfn.sqlite'))).toBe(true);

    await fx.restart();
    const described = await fx.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"waitSeconds":0,"jobId":"import-1"}',
    });
    const after = await fx.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(after.events).toEqual(before.events);
    const { executions } = await fx.sfn.send(new ListExecutionsCommand({ stateMachineArn: smArn }));
    expect(executions?.map((e) => e.name)).toEqual(['quick']);

    // The name stays taken, and new executions list before old ones.
    await expect(
      fx.sfn.send(new StartExecutionCommand({ stateMachineArn: smArn, name: 'quick' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await fx.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: smArn,
        name: 'second',
        input: '{"waitSeconds":0}',
      }),
    );
    const listed = await fx.sfn.send(new ListExecutionsCommand({ stateMachineArn: smArn }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['second', 'quick']);
  });

  it('marks an execution that was running when the twin stopped FAILED, and reports it to onInterrupted once', async () => {
    const { fixture: fx } = await fixture();
    const { executionArn } = fx.twin.startExecution({
      stateMachineName: 'jobs',
      name: 'long',
      input: { waitSeconds: 3600 },
    });
    await until(() => types(fx.twin.history(executionArn)).includes('WaitStateEntered'));
    const waiting = fx.twin.waitFor(executionArn);
    const interrupted: Execution[] = [];
    await fx.restart({ onInterrupted: (execution) => interrupted.push(execution) });
    await expect(waiting).rejects.toThrow(/closed/);

    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({
      executionArn,
      name: 'long',
      status: 'FAILED',
      error: 'States.Runtime',
      cause: INTERRUPTED_CAUSE,
      input: '{"waitSeconds":3600}',
    });
    const described = await fx.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: INTERRUPTED_CAUSE,
    });
    const history = fx.twin.history(executionArn);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'ExecutionFailed',
    ]);
    expect(history.at(-1)?.executionFailedEventDetails).toEqual({
      error: 'States.Runtime',
      cause: INTERRUPTED_CAUSE,
    });

    // Reported once: a second restart has nothing left to report.
    const again: Execution[] = [];
    await fx.restart({ onInterrupted: (execution) => again.push(execution) });
    expect(again).toEqual([]);
    expect(fx.twin.describe(executionArn).status).toBe('FAILED');
  });

  it('refuses a second twin on the same data folder while the first runs', async () => {
    const { fixture: fx } = await fixture();
    const { executionArn } = fx.twin.startExecution({
      stateMachineName: 'jobs',
      input: { waitSeconds: 3600 },
    });
    await expect(startSfnTwin({ dataDir: fx.dataDir, stateMachines: [] })).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringContaining('in use'),
    });
    // The first twin's execution was left alone.
    expect(fx.twin.describe(executionArn).status).toBe('RUNNING');
    expect(types(fx.twin.history(executionArn))).not.toContain('ExecutionFailed');
  });

  it('leaves interrupted executions for the next start when the port is taken', async () => {
    const { fixture: fx } = await fixture();
    const { executionArn } = fx.twin.startExecution({
      stateMachineName: 'jobs',
      input: { waitSeconds: 3600 },
    });
    const port = fx.twin.port;
    await fx.twin.close();
    const blockerDir = mkdtempSync(join(tmpdir(), 'sfn-blocker-'));
    const blocker = await startSfnTwin({ dataDir: blockerDir, port, stateMachines: [] });
    const interrupted: Execution[] = [];
    try {
      await expect(fx.restart({ port, onInterrupted: (e) => interrupted.push(e) })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await blocker.close();
      rmSync(blockerDir, { recursive: true, force: true });
    }
    await fx.restart({ port: 0, onInterrupted: (e) => interrupted.push(e) });
    expect(interrupted.map((e) => e.executionArn)).toEqual([executionArn]);
  });

  it('can be closed twice, and refuses new work once closed', async () => {
    const { fixture: fx } = await fixture();
    await fx.twin.close();
    await fx.twin.close();
    expect(() => fx.twin.startExecution({ stateMachineName: 'jobs' })).toThrow(/closed/);
    await fx.restart();
  });
});
