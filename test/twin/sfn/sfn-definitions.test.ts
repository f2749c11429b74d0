import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isValidName,
  type SfnTwinOptions,
  startSfnTwin,
  taskStateNames,
} from '../../../twin/sfn/index.ts';
import { signedJsonPost } from '../../helpers/sign.ts';
import { fn } from './helpers.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'sfn-defs-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const nested = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: { 'Fn::GetAtt': ['prepareImport', 'Arn'] }, Next: 'Parts' },
    Parts: {
      Type: 'Map',
      ItemsPath: '$.parts',
      Iterator: {
        StartAt: 'CreateJob',
        States: {
          CreateJob: { Type: 'Task', Resource: fn('createImportJob'), Next: 'Both' },
          Both: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Notify',
                States: { Notify: { Type: 'Task', Resource: fn('notify'), End: true } },
              },
              { StartAt: 'Idle', States: { Idle: { Type: 'Pass', End: true } } },
            ],
            End: true,
          },
        },
      },
      Next: 'Later',
    },
    Later: {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Report',
        States: { Report: { Type: 'Task', Resource: { Ref: 'reportOutcome' }, End: true } },
      },
      End: true,
    },
  },
};

const handlersFor = (names: string[]) =>
  Object.fromEntries(names.map((name) => [name, async (input: unknown) => input]));

async function start(options: Partial<SfnTwinOptions>) {
  return startSfnTwin({ dataDir, waitScale: 0, stateMachines: [], ...options });
}

describe('taskStateNames', () => {
  it('lists every Task state, through Map iterators (Iterator and ItemProcessor) and Parallel branches', () => {
    expect(taskStateNames(nested)).toEqual(['Prepare', 'CreateJob', 'Notify', 'Report']);
  });

  it('lists nothing for a machine without Task states, and tolerates junk', () => {
    expect(taskStateNames({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } })).toEqual(
      [],
    );
    expect(taskStateNames({})).toEqual([]);
  });
});

describe('starting the twin with state machines', () => {
  it('refuses a Task state without a handler, naming it, before touching the data folder', async () => {
    const handlers = handlersFor(['Prepare', 'CreateJob', 'Report']);
    await expect(
      start({ stateMachines: [{ name: 'import-users', definition: nested, handlers }] }),
    ).rejects.toThrow("State machine 'import-users': no handler for Task state 'Notify'.");
    expect(existsSync(join(dataDir, 'sfn'))).toBe(false);
  });

  it('names every Task state that lacks a handler', async () => {
    await expect(
      start({ stateMachines: [{ name: 'm', definition: nested, handlers: {} }] }),
    ).rejects.toThrow("no handler for Task states 'Prepare', 'CreateJob', 'Notify', 'Report'.");
  });

  it('refuses a handler that matches no Task state (a typo would otherwise go unnoticed)', async () => {
    const handlers = handlersFor(['Prepare', 'CreateJob', 'Notify', 'Report', 'Prepare2']);
    await expect(
      start({ stateMachines: [{ name: 'm', definition: nested, handlers }] }),
    ).rejects.toThrow("handler 'Prepare2' matches no Task state.");
  });

  it('resolves Fn::GetAtt and Ref resources to function ARNs in the region and account', async () => {
    const twin = await start({
      region: 'eu-west-1',
      account: '210987654321',
      stateMachines: [
        {
          name: 'm',
          definition: nested,
          handlers: handlersFor(['Prepare', 'CreateJob', 'Notify', 'Report']),
        },
      ],
    });
    try {
      expect(twin.stateMachineArn('m')).toBe(
        'arn:aws:states:eu-west-1:210987654321:stateMachine:m',
      );
      const response = await signedJsonPost(
        twin.endpoint,
        'AWSStepFunctions.DescribeStateMachine',
        { stateMachineArn: twin.stateMachineArn('m') },
        { service: 'states', version: '1.0', region: 'eu-west-1' },
      );
      const definition = JSON.parse(((await response.json()) as { definition: string }).definition);
      expect(definition.States.Prepare.Resource).toBe(
        'arn:aws:lambda:eu-west-1:210987654321:function:prepareImport',
      );
      expect(definition.States.Later.ItemProcessor.States.Report.Resource).toBe(
        'arn:aws:lambda:eu-west-1:210987654321:function:reportOutcome',
      );
      // The file's definition object is left as it was.
      expect(nested.States.Prepare.Resource).toEqual({ 'Fn::GetAtt': ['prepareImport', 'Arn'] });
    } finally {
      await twin.close();
    }
  });

  it('refuses a Resource it cannot resolve, naming the state', async () => {
    const definition = {
      StartAt: 'Odd',
      States: {
        Odd: { Type: 'Task', Resource: { 'Fn::ImportValue': 'shared-function-arn' }, End: true },
      },
    };
    await expect(
      start({ stateMachines: [{ name: 'm', definition, handlers: handlersFor(['Odd']) }] }),
    ).rejects.toThrow(/Task state 'Odd' is neither an ARN nor a Fn::GetAtt\/Ref/);
  });

  it('refuses an invalid definition with the validator’s reason', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    await expect(
      start({ stateMachines: [{ name: 'broken', definition, handlers: {} }] }),
    ).rejects.toThrow(/State machine 'broken' has an invalid definition: .*Nowhere/s);
  });

  it('refuses a state name used twice (handlers are bound by name)', async () => {
    const definition = {
      StartAt: 'Work',
      States: {
        Work: { Type: 'Pass', Next: 'Each' },
        Each: {
          Type: 'Map',
          Iterator: { StartAt: 'Work', States: { Work: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    };
    await expect(
      start({ stateMachines: [{ name: 'm', definition, handlers: {} }] }),
    ).rejects.toThrow("the state name 'Work' is used twice");
  });

  it('refuses an invalid state machine name, a name used twice, and a negative waitScale', async () => {
    const ok = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    await expect(
      start({ stateMachines: [{ name: 'bad name', definition: ok, handlers: {} }] }),
    ).rejects.toThrow("'bad name' is not a valid state machine name.");
    await expect(
      start({
        stateMachines: [
          { name: 'a', definition: ok, handlers: {} },
          { name: 'a', definition: ok, handlers: {} },
        ],
      }),
    ).rejects.toThrow("'a' is registered twice");
    await expect(start({ waitScale: -1 })).rejects.toThrow(RangeError);
  });
});

describe('isValidName', () => {
  it('follows the AWS rules for execution names', () => {
    expect(isValidName('imp-users-csv-0f3a9c')).toBe(true);
    expect(isValidName('a.b_c-d')).toBe(true);
    expect(isValidName('x'.repeat(80))).toBe(true);
    expect(isValidName('x'.repeat(81))).toBe(false);
    for (const bad of [
      ' ',
      '\t',
      '\u00a0',
      '<',
      '>',
      '{',
      '}',
      '[',
      ']',
      '?',
      '*',
      '"',
      '#',
      '%',
      '\\',
      '^',
      '|',
      '~',
      '`',
      '$',
      '&',
      ',',
      ';',
      ':',
      '/',
      '\u0000',
      '\u007f',
      '\u009f',
      '\ufffe',
      '\ud83d',
    ])
      expect(isValidName(`a${bad}b`), JSON.stringify(bad)).toBe(false);
  });
});
