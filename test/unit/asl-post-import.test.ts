/**
 * The post-import states of statemachine/import-users.asl.json (NeedsPostImport, ApplyPostImport,
 * PostImportDone), taken from the file as they are and run on aws-local-stepfunctions with a
 * local handler in place of the function: which parts get a post-import phase, the rounds until
 * done, and where a crash or a failure leads.
 */
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { type AslDefinition, allStates } from '../../src/workflow/tasks.ts';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:applyPostImport';

const states = Object.fromEntries(
  allStates(
    JSON.parse(readFileSync('statemachine/import-users.asl.json', 'utf8')) as AslDefinition,
  ),
) as unknown as Record<string, Record<string, unknown>>;

/** The part's end of the Map iteration, from NeedsPostImport on, with ApplyPostImport local. */
const definition = {
  StartAt: 'NeedsPostImport',
  States: {
    NeedsPostImport: states.NeedsPostImport,
    ApplyPostImport: { ...states.ApplyPostImport, Resource: LAMBDA },
    PostImportDone: states.PostImportDone,
    PartDone: states.PartDone,
    PartFailed: states.PartFailed,
  },
};

type Round = (input: Record<string, unknown>) => unknown;

/** Runs the states on `item`; each call of ApplyPostImport is answered by the next round. */
async function run(item: object, rounds: Round[] = []) {
  const calls: Record<string, unknown>[] = [];
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = machine.run(item as never, {
    overrides: {
      taskResourceLocalHandlers: {
        ApplyPostImport: async (input: unknown) => {
          calls.push(input as Record<string, unknown>);
          const round = rounds[calls.length - 1];
          if (!round) throw new Error(`no round ${calls.length} was expected`);
          return round(input as Record<string, unknown>) as never;
        },
      },
      retryIntervalOverrides: { ApplyPostImport: 0 },
    },
  });
  const output = (await execution.result) as Record<string, unknown>;
  return { output, calls };
}

const post = (cursor: number, done: boolean, invocations: number) => ({
  cursor,
  done,
  updated: 0,
  memberships: cursor - 1,
  failed: 0,
  invocations,
});

const job = (status: string, skippedUsers = 0) => ({ status, skippedUsers, importedUsers: 3 });

/** A part's state after JobStatus saw its job end. */
function item({
  status = 'Succeeded',
  skippedUsers = 0,
  groupRows,
  existingUsers,
}: {
  status?: string;
  skippedUsers?: number;
  groupRows?: number;
  existingUsers?: string;
}) {
  return {
    part: { index: 1, rows: 3, ...(groupRows === undefined ? {} : { groupRows }) },
    run: 'run-1',
    userPoolId: 'us-east-1_Abc',
    options: {
      invalidRows: 'reject',
      notify: true,
      deadlineSeconds: 3600,
      ...(existingUsers === undefined ? {} : { existingUsers }),
    },
    job: job(status, skippedUsers),
  };
}

const finished = () => post(4, true, 1);

describe('which parts get a post-import phase', () => {
  it.each([
    ['a part with group rows whose job succeeded', { groupRows: 2 }],
    ['a part with group rows whose job failed part way', { groupRows: 2, status: 'Failed' }],
    ['a part with group rows whose job was stopped', { groupRows: 2, status: 'Stopped' }],
    [
      'a part whose job skipped existing users, under existingUsers=update',
      { existingUsers: 'update', skippedUsers: 2 },
    ],
  ])('runs it for %s', async (_, shape) => {
    const { output, calls } = await run(item(shape), [finished]);
    expect(calls).toHaveLength(1);
    expect(output.post).toEqual(finished());
  });

  it.each([
    [
      'a part without group rows, on a run of an earlier version (no groupRows, no existingUsers)',
      {},
    ],
    ['a part whose group rows are 0', { groupRows: 0 }],
    ['a part whose job expired before it ran', { groupRows: 2, status: 'Expired' }],
    [
      'a part whose job skipped existing users, under existingUsers=skip',
      { existingUsers: 'skip', skippedUsers: 2 },
    ],
    [
      'a part whose job skipped nobody, under existingUsers=update',
      { existingUsers: 'update', skippedUsers: 0 },
    ],
  ])('ends %s at PartDone without it', async (_, shape) => {
    const state = item(shape);
    const { output, calls } = await run(state, []);
    expect(calls).toHaveLength(0);
    expect(output).toEqual(state);
  });
});

describe('the rounds of the post-import phase', () => {
  it('calls ApplyPostImport again with its own result until it says done', async () => {
    const { output, calls } = await run(item({ groupRows: 3 }), [
      () => post(2, false, 1),
      () => post(3, false, 2),
      () => post(4, true, 3),
    ]);
    expect(calls).toHaveLength(3);
    // Each round starts from where the one before stopped: the part item, with its `post`.
    expect(calls[0]?.post).toBeUndefined();
    expect(calls[1]?.post).toEqual(post(2, false, 1));
    expect(calls[2]?.post).toEqual(post(3, false, 2));
    expect(calls[2]?.job).toEqual(job('Succeeded'));
    expect(output.post).toEqual(post(4, true, 3));
    expect(output.error).toBeUndefined();
  });

  it('retries a time-out or a crash of the function twice, since it resumes from its checkpoint', async () => {
    const crash = (name: string) => () => {
      throw Object.assign(new Error('the invocation ended'), { name });
    };
    const { output, calls } = await run(item({ groupRows: 3 }), [
      crash('Sandbox.Timedout'),
      crash('Runtime.ExitError'),
      finished,
    ]);
    expect(calls).toHaveLength(3);
    expect(output.post).toEqual(finished());
    expect(output.error).toBeUndefined();
  });

  it('fails the part, keeping the error and the rounds already done, after a third crash', async () => {
    const crash = () => {
      throw Object.assign(new Error('out of time'), { name: 'Sandbox.Timedout' });
    };
    const { output, calls } = await run(item({ groupRows: 3 }), [
      () => post(2, false, 1),
      crash,
      crash,
      crash,
    ]);
    expect(calls).toHaveLength(4);
    expect(output.error).toMatchObject({ Error: 'Sandbox.Timedout' });
    expect(output.post).toEqual(post(2, false, 1));
    // No clean-up of the job: it ended before the phase began.
    expect(output.cleanup).toBeUndefined();
  });

  it('fails the part at once on an error that another try would not cure', async () => {
    const { output, calls } = await run(item({ groupRows: 3 }), [
      () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
    ]);
    expect(calls).toHaveLength(1);
    expect(output.error).toMatchObject({ Error: 'AccessDeniedException' });
  });
});
