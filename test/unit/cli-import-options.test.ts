import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.ts';
import {
  importOptionsEnv,
  importOptionsOf,
  postImportLines,
} from '../../src/cli/import-options.ts';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { readFunctionConfig } from '../../src/config.ts';
import { parseExecutionInput } from '../../src/workflow/prepare.ts';
import type { Outcome } from '../../src/workflow/types.ts';

const MACHINE =
  'arn:aws:states:eu-west-1:123456789012:stateMachine:cognito-import-pipeline-prod-import-users';

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    errRaw: () => {},
    isTty: false,
  };
}

describe('the import option flags', () => {
  it('leaves every option to the stage when no flag is given', () => {
    expect(importOptionsOf({})).toEqual({});
    expect(importOptionsEnv({})).toEqual({});
  });

  it('reads --existing-users, --create-groups and --post-import-rate', () => {
    expect(
      importOptionsOf({
        'existing-users': 'update',
        'create-groups': true,
        'post-import-rate': '50',
      }),
    ).toEqual({ existingUsers: 'update', createGroups: true, postImportRate: 50 });
  });

  it.each([
    [{ 'existing-users': 'overwrite' }, /--existing-users must be skip or update/],
    [{ 'existing-users': '' }, /--existing-users must be skip or update/],
    [
      { 'post-import-rate': '0' },
      /--post-import-rate must be a whole number .* from 1 to 1000, not "0"/,
    ],
    [{ 'post-import-rate': '1001' }, /from 1 to 1000, not "1001"/],
    [{ 'post-import-rate': '2.5' }, /not "2.5"/],
    [{ 'post-import-rate': '-3' }, /not "-3"/],
    [{ 'post-import-rate': 'fast' }, /not "fast"/],
    [{ 'post-import-rate': '' }, /not ""/],
  ])('refuses %j with a usage error naming the flag', (values, message) => {
    expect(() => importOptionsOf(values)).toThrow(UsageError);
    expect(() => importOptionsOf(values)).toThrow(message);
  });

  it('hands run the options as the variables the functions read for the stage defaults', () => {
    const env = importOptionsEnv({
      existingUsers: 'update',
      createGroups: true,
      postImportRate: 7,
    });
    expect(env).toEqual({ EXISTING_USERS: 'update', CREATE_GROUPS: 'true', POST_IMPORT_RATE: '7' });
    expect(readFunctionConfig(env).defaultOptions).toMatchObject({
      existingUsers: 'update',
      createGroups: true,
      postImportRate: 7,
    });
  });
});

describe('cognito-import start', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  const started = () => {
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:run`,
      startDate: new Date(),
    });
    return () =>
      JSON.parse(String(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input)) as Record<
        string,
        unknown
      >;
  };
  const config = { dataDir: '.cognito-import', endpointsFromEnv: false };
  const args = ['start', '--bucket', 'import-bucket', '--key', 'incoming/users.csv'];

  it('sends the options as the execution input options, which PrepareImport accepts', async () => {
    const input = started();
    const io = capture();
    const code = await main(
      [
        ...args,
        '--state-machine-arn',
        MACHINE,
        '--invalid-rows',
        'skip',
        '--existing-users',
        'update',
        '--create-groups',
        '--post-import-rate',
        '10',
      ],
      io,
      config,
    );
    expect(code).toBe(0);
    expect(input().options).toEqual({
      invalidRows: 'skip',
      existingUsers: 'update',
      createGroups: true,
      postImportRate: 10,
    });
    const defaults = readFunctionConfig({}).defaultOptions;
    expect(parseExecutionInput(input(), defaults).options).toMatchObject({
      invalidRows: 'skip',
      existingUsers: 'update',
      createGroups: true,
      postImportRate: 10,
    });
  });

  it('sends no options when no flag sets one, so the stage defaults apply', async () => {
    const input = started();
    expect(await main([...args, '--state-machine-arn', MACHINE], capture(), config)).toBe(0);
    expect(input()).toEqual({ bucket: 'import-bucket', key: 'incoming/users.csv' });
  });

  it('refuses a bad value before starting anything, with exit code 2', async () => {
    started();
    const io = capture();
    const code = await main(
      [...args, '--state-machine-arn', MACHINE, '--existing-users', 'merge'],
      io,
      config,
    );
    expect(code).toBe(2);
    expect(io.errors.join('\n')).toMatch(/--existing-users must be skip or update/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('what the post-import phase did, in the printed outcome', () => {
  const outcome = (extra: Partial<Outcome>): Outcome =>
    ({
      status: 'SUCCEEDED',
      run: 'run-1',
      source: { bucket: 'b', key: 'k' },
      jobs: [],
      totals: {
        imported: 5,
        skipped: 2,
        failed: 0,
        updated: 0,
        memberships: 0,
        postImportFailed: 0,
      },
      reportKey: 'reports/run-1/outcome.json',
      summary: 'SUCCEEDED',
      ...extra,
    }) as Outcome;

  it('says nothing when the run had no post-import phase and created no group', () => {
    expect(postImportLines(outcome({}))).toEqual([]);
    // An outcome written before the phase existed carries none of its totals.
    expect(
      postImportLines(
        outcome({ totals: { imported: 1, skipped: 0, failed: 0 } as Outcome['totals'] }),
      ),
    ).toEqual([]);
  });

  it('counts users updated, memberships added and rows that failed', () => {
    const totals = {
      imported: 1_000,
      skipped: 2_500,
      failed: 0,
      updated: 2_499,
      memberships: 3_200,
      postImportFailed: 1,
    };
    expect(postImportLines(outcome({ totals }))).toEqual([
      'after the import: 2,499 existing users updated, 3,200 group memberships added, 1 rows failed',
    ]);
  });

  it('lists the groups created, and how many more than the outcome names', () => {
    expect(
      postImportLines(outcome({ groups: { created: ['admins', 'staff'], createdCount: 2 } })),
    ).toEqual(['groups created (2): admins, staff']);
    expect(
      postImportLines(outcome({ groups: { created: ['g1', 'g2'], createdCount: 150 } })),
    ).toEqual(['groups created (150): g1, g2 and 148 more']);
    expect(postImportLines(outcome({ groups: { created: [], createdCount: 0 } }))).toEqual([]);
  });
});
