/**
 * Canary for twin/sfn/library-hooks.ts: each assumption the Step Functions twin makes about
 * aws-local-stepfunctions' internals, checked by running the library itself. When an upgrade
 * breaks one, this file says which, before any history comes out wrong.
 */
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  answerNextToISOString,
  type ExecuteOptions,
  hookOption,
  installExecuteHook,
} from '../../../twin/sfn/library-hooks.ts';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:work';

/** Runs a definition with a hook that records every event as its logger dispatches it. */
async function runHooked(
  definition: object,
  input: unknown,
  options: { onStarted?: () => void; task?: (input: unknown) => unknown } = {},
) {
  installExecuteHook();
  const seen: string[] = [];
  const attached: ExecuteOptions[] = [];
  const hook = {
    attach(execute: ExecuteOptions) {
      attached.push(execute);
      const logger = execute.eventLogger;
      const dispatch = logger.dispatch.bind(logger);
      logger.dispatch = (event) => {
        seen.push(event.state ? `${event.type} ${event.state.name}` : event.type);
        dispatch(event);
        if (event.type === 'ExecutionStarted') options.onStarted?.();
      };
    },
  };
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const run = machine.run(
    input as never,
    {
      overrides: {
        taskResourceLocalHandlers: {
          Work: async (value: unknown) => {
            seen.push('handler Work');
            return options.task ? options.task(value) : value;
          },
        },
      },
      ...hookOption(hook),
    } as never,
  );
  void (async () => {
    for await (const _ of run.eventLogs);
  })();
  return { output: await run.result, seen, attached };
}

describe('aws-local-stepfunctions, as the twin hooks it', () => {
  it('is the exact version the hooks were written for, pinned in package.json', () => {
    const library = JSON.parse(
      readFileSync('node_modules/aws-local-stepfunctions/package.json', 'utf8'),
    ) as { version: string };
    const project = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(project.dependencies['aws-local-stepfunctions']).toBe('3.0.0');
    expect(library.version).toBe('3.0.0');
  });

  it('hands the hook each run and each Map iteration before it begins, with the run options spread into them', async () => {
    const { output, attached, seen } = await runHooked(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'Step', States: { Step: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      { items: [1, 2] },
    );
    expect(output).toEqual([1, 2]);
    // The root run, then one nested run per iteration, each carrying the hook's option.
    expect(attached).toHaveLength(3);
    for (const execute of attached)
      expect(Object.getOwnPropertySymbols(execute.runOptions)).not.toHaveLength(0);
    expect(seen[0]).toBe('ExecutionStarted');
    expect(seen.filter((e) => e === 'ExecutionStarted')).toHaveLength(3);
  });

  it("dispatches a Task's StateEntered synchronously before its handler runs, so a call is known to its state", async () => {
    const { seen } = await runHooked(
      { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, End: true } } },
      { n: 1 },
    );
    expect(seen.slice(0, 3)).toEqual(['ExecutionStarted', 'StateEntered Work', 'handler Work']);
  });

  it('stamps $$.Execution.StartTime with the first toISOString call after dispatching ExecutionStarted', async () => {
    const start = '2001-02-03T04:05:06.000Z';
    const { output } = await runHooked(
      {
        StartAt: 'Read',
        States: {
          Read: { Type: 'Pass', Parameters: { 'start.$': '$$.Execution.StartTime' }, End: true },
        },
      },
      {},
      { onStarted: () => answerNextToISOString(start) },
    );
    expect(output).toEqual({ start });
    // The swap lasted one call.
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it('answers one toISOString call, then restores it, also when nothing calls it', async () => {
    const restore = answerNextToISOString('2001-02-03T04:05:06.000Z');
    expect(new Date(0).toISOString()).toBe('2001-02-03T04:05:06.000Z');
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    restore();
    answerNextToISOString('2001-02-03T04:05:06.000Z');
    await Promise.resolve();
    expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it('leaves runs started without a hook untouched', async () => {
    installExecuteHook();
    const machine = new StateMachine({
      StartAt: 'Done',
      States: { Done: { Type: 'Pass', Result: 'ok', End: true } },
    } as never);
    await expect(machine.run({}).result).resolves.toBe('ok');
  });
});
