import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postImportCheckpointKey } from '../../../src/workflow/keys.ts';
import { applyPostImport } from '../../../src/workflow/post-import.ts';
import type { PostImportState } from '../../../src/workflow/types.ts';
import {
  awsError,
  callList,
  depsFor,
  failureRows,
  itemFor,
  logs,
  putRun,
  RUN,
  resetWorld,
  s3,
  store,
  type User,
  world,
} from './post-import-fixture.ts';

beforeEach(resetWorld);
afterEach(resetWorld);

const user = (
  username: string,
  outcome: User['outcome'],
  groups?: string[],
  values?: Record<string, string>,
): User => ({ username, outcome, ...(groups ? { groups } : {}), ...(values ? { values } : {}) });

/** Runs invocations with the state machine's loop until done (at most `max`). */
async function untilDone(
  make: (post?: PostImportState) => Parameters<typeof applyPostImport>[0],
  deps: () => Parameters<typeof applyPostImport>[1],
  max = 20,
): Promise<PostImportState[]> {
  const states: PostImportState[] = [];
  let post: PostImportState | undefined;
  for (let i = 0; i < max && !post?.done; i++) {
    post = await applyPostImport(make(post), deps());
    states.push(post);
  }
  return states;
}

describe('ApplyPostImport: which rows get what', () => {
  it('adds groups to the rows the job imported, and nothing to skipped or failed rows, under existingUsers skip', async () => {
    const users = [
      user('ann', 'SUCCEEDED', ['admins', 'staff']),
      user('bob', 'SKIPPED', ['staff'], { name: 'Bob' }),
      user('cy', 'FAILED', ['staff']),
      user('dee', 'SUCCEEDED'),
      user('eve', 'SUCCEEDED', ['staff']),
    ];
    putRun([users]);
    const state = await applyPostImport(itemFor(1, users), depsFor());
    expect(callList()).toEqual(['group:ann:admins', 'group:ann:staff', 'group:eve:staff']);
    expect(state).toEqual({
      cursor: 6,
      done: true,
      updated: 0,
      memberships: 3,
      failed: 0,
      invocations: 1,
    });
    // The checkpoint holds what the state machine was answered.
    expect(
      JSON.parse(store.objects.get(postImportCheckpointKey(RUN, 1))?.toString() ?? ''),
    ).toEqual(state);
    expect(failureRows(1)).toEqual([]);
  });

  it('updates only the rows Cognito skipped, under existingUsers update, then adds their groups', async () => {
    const users = [
      user('ann', 'SUCCEEDED', ['staff'], { name: 'Ann' }),
      user('bob', 'SKIPPED', ['staff'], {
        name: 'Bob B',
        email: 'b@example.com',
        email_verified: 'TRUE',
      }),
      user('cy', 'FAILED', [], { name: 'Cy' }),
      user('dee', 'SKIPPED', undefined, { name: 'Dee' }),
    ];
    putRun([users]);
    const state = await applyPostImport(itemFor(1, users, { existingUsers: 'update' }), depsFor());
    expect(callList()).toEqual(['group:ann:staff', 'update:bob', 'group:bob:staff', 'update:dee']);
    expect(world.calls[1]?.attributes).toEqual([
      { Name: 'name', Value: 'Bob B' },
      { Name: 'email', Value: 'b@example.com' },
      { Name: 'email_verified', Value: 'true' },
    ]);
    expect(world.calls[3]?.attributes).toEqual([{ Name: 'name', Value: 'Dee' }]);
    expect(state).toMatchObject({ done: true, updated: 2, memberships: 2, failed: 0 });
  });

  it('reads a value with an escaped comma as one value', async () => {
    const users = [user('bob', 'SKIPPED', undefined, { name: 'Doe, Jane' })];
    putRun([users]);
    await applyPostImport(itemFor(1, users, { existingUsers: 'update' }), depsFor());
    expect(world.calls[0]?.attributes).toEqual([{ Name: 'name', Value: 'Doe, Jane' }]);
  });

  it('returns done at once, reading nothing, for a part without groups under existingUsers skip', async () => {
    const users = [user('ann', 'SUCCEEDED'), user('bob', 'SKIPPED')];
    putRun([users]);
    const state = await applyPostImport(itemFor(1, users), depsFor());
    expect(state).toEqual({
      cursor: 3,
      done: true,
      updated: 0,
      memberships: 0,
      failed: 0,
      invocations: 1,
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
    expect(world.calls).toHaveLength(0);
  });

  it('reads the log again, after a pause, while it lacks lines of rows the job counted', async () => {
    const users = [user('ann', 'SUCCEEDED', ['g']), user('bob', 'SUCCEEDED', ['g'])];
    putRun([users]);
    world.logLag = 2;
    const state = await applyPostImport(itemFor(1, users), depsFor());
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(3);
    expect(world.sleeps.filter((ms) => ms >= 5_000)).toHaveLength(2);
    expect(callList()).toEqual(['group:ann:g', 'group:bob:g']);
    expect(state).toMatchObject({ memberships: 2, done: true });
  });

  it("works only on its own part's rows in a run of several parts", async () => {
    const part1 = [user('a1', 'SUCCEEDED', ['g1']), user('a2', 'SKIPPED', ['g1'], { name: 'A2' })];
    const part2 = [
      user('b1', 'SKIPPED', ['g2'], { name: 'B1' }),
      user('b2', 'SUCCEEDED', ['g2', 'g3']),
      user('b3', 'SKIPPED', undefined, { name: 'B3' }),
    ];
    putRun([part1, part2]);
    const state = await applyPostImport(itemFor(2, part2, { existingUsers: 'update' }), depsFor());
    expect(callList()).toEqual([
      'update:b1',
      'group:b1:g2',
      'group:b2:g2',
      'group:b2:g3',
      'update:b3',
    ]);
    expect(state).toMatchObject({ cursor: 4, done: true, updated: 2, memberships: 3 });
  });

  it.each([
    ['data', 'data rows from 1'],
    ['file', 'the header as line 1'],
  ] as const)("reads Cognito's line numbers as %s (%s)", async (numbering, _reading) => {
    const users = [user('ann', 'SKIPPED', ['g']), user('bob', 'SUCCEEDED', ['g'])];
    putRun([users], numbering);
    await applyPostImport(itemFor(1, users), depsFor({ numbering }));
    // Only bob was imported: with the wrong reading, ann would get bob's line.
    expect(callList()).toEqual(['group:bob:g']);
  });
});

describe('ApplyPostImport: pace and throttling', () => {
  it('spaces its calls at the rate asked for, over both operations', async () => {
    const users = Array.from({ length: 20 }, (_, i) =>
      user(`u${i}`, i % 2 ? 'SKIPPED' : 'SUCCEEDED', ['g'], { name: `N${i}` }),
    );
    putRun([users]);
    world.callMs = 10;
    await applyPostImport(
      itemFor(1, users, { existingUsers: 'update', postImportRate: 5 }),
      depsFor(),
    );
    expect(world.calls).toHaveLength(30);
    const at = world.calls.map((c) => c.at);
    for (let i = 1; i < at.length; i++)
      expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(200);
    // N calls at 5 a second take at least (N - 1) / 5 seconds.
    expect((at[29] as number) - (at[0] as number)).toBeGreaterThanOrEqual(29 * 200);
  });

  it("keeps one user's calls under its own write rate, and a row's few calls at the phase's pace", async () => {
    const many = Array.from({ length: 20 }, (_, i) => `g${i + 1}`);
    const users = [user('ann', 'SUCCEEDED', many), user('bob', 'SUCCEEDED', ['g1', 'g2'])];
    putRun([users]);
    await applyPostImport(itemFor(1, users, { postImportRate: 1000 }), depsFor());
    const at = (name: string) => world.calls.filter((c) => c.username === name).map((c) => c.at);
    const ann = at('ann');
    expect(ann).toHaveLength(20);
    // No second holds more than 8 of ann's calls (Cognito allows a user 10 writes a second).
    for (let i = 8; i < ann.length; i++)
      expect((ann[i] as number) - (ann[i - 8] as number)).toBeGreaterThanOrEqual(1000);
    // Bob's two calls follow each other at the pace of 1,000 a second.
    const [first, second] = at('bob') as [number, number];
    expect(second - first).toBeLessThan(10);
  });

  it('retries throttled calls mid-batch after growing pauses, and counts no failure', async () => {
    const users = [
      user('ann', 'SUCCEEDED', ['g1']),
      user('bob', 'SKIPPED', ['g1'], { name: 'Bob' }),
      user('cy', 'SUCCEEDED', ['g2']),
    ];
    putRun([users]);
    let throttles = 0;
    world.answer = (call) =>
      call.username === 'bob' && throttles++ < 3
        ? awsError('TooManyRequestsException', 'Too many requests')
        : undefined;
    const state = await applyPostImport(itemFor(1, users, { existingUsers: 'update' }), depsFor());
    expect(callList()).toEqual([
      'group:ann:g1',
      'update:bob',
      'update:bob',
      'update:bob',
      'update:bob',
      'group:bob:g1',
      'group:cy:g2',
    ]);
    expect(state).toMatchObject({ done: true, updated: 1, memberships: 3, failed: 0 });
    expect(failureRows(1)).toEqual([]);
    // Pauses between the throttled tries grow (besides the pace's own waits).
    const gaps = [2, 3, 4].map((i) => (world.calls[i]?.at ?? 0) - (world.calls[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThan(0);
    expect(gaps[1]).toBeGreaterThan(gaps[0] as number);
    expect(gaps[2]).toBeGreaterThan(gaps[1] as number);
  });
});

describe('ApplyPostImport: failures of rows', () => {
  it('records a group deleted mid-run as a failure of each row that names it, with line and username, and goes on', async () => {
    const users = [
      user('ann', 'SUCCEEDED', ['keep', 'gone']),
      user('b,ob', 'SUCCEEDED', ['gone']),
      user('cy', 'SUCCEEDED', ['keep']),
      user('dee', 'SUCCEEDED', ['gone', 'keep']),
    ];
    putRun([users]);
    // The group is deleted once ann was added to it.
    world.answer = (call) =>
      call.group === 'gone' && world.calls.filter((c) => c.group === 'gone').length > 1
        ? awsError('ResourceNotFoundException', 'Group not found.')
        : undefined;
    const state = await applyPostImport(itemFor(1, users), depsFor());
    expect(callList()).toEqual([
      'group:ann:keep',
      'group:ann:gone',
      'group:b,ob:gone',
      'group:cy:keep',
      'group:dee:gone',
      'group:dee:keep',
    ]);
    expect(state).toMatchObject({ done: true, memberships: 4, failed: 2 });
    // Source lines: one part, so row n is line n + 1.
    expect(failureRows(1)).toEqual([
      [
        '3',
        'b,ob',
        'ResourceNotFoundException: the group does not exist (adding the user to group 1 of 1 of its row)',
      ],
      [
        '5',
        'dee',
        'ResourceNotFoundException: the group does not exist (adding the user to group 1 of 2 of its row)',
      ],
    ]);
    // No group name in a reason: it is the row's data.
    for (const [, , reason] of failureRows(1)) expect(reason).not.toContain('gone');
  });

  it('records the update of a user deleted since the import as the row failure, and makes no more calls for it', async () => {
    const users = [
      user('ann', 'SKIPPED', ['g'], { name: 'Ann' }),
      user('bob', 'SKIPPED', ['g'], { name: 'Bob' }),
    ];
    putRun([users]);
    world.answer = (call) =>
      call.username === 'ann'
        ? awsError('UserNotFoundException', 'User does not exist.')
        : undefined;
    const state = await applyPostImport(itemFor(1, users, { existingUsers: 'update' }), depsFor());
    expect(callList()).toEqual(['update:ann', 'update:bob', 'group:bob:g']);
    expect(state).toMatchObject({ done: true, updated: 1, memberships: 1, failed: 1 });
    expect(failureRows(1)).toEqual([
      [
        '2',
        'ann',
        "UserNotFoundException: the user no longer exists (updating the user's attributes)",
      ],
    ]);
  });

  it('counts a row once however many of its calls failed, and names refused attributes without their values', async () => {
    const users = [user('ann', 'SKIPPED', ['g1', 'g2'], { name: 'Ann', email: 'a@example.com' })];
    putRun([users]);
    world.answer = (call) =>
      call.op === 'update'
        ? awsError('InvalidParameterException', 'user.email: Invalid email address format.')
        : awsError('LimitExceededException', 'Too many groups');
    const state = await applyPostImport(itemFor(1, users, { existingUsers: 'update' }), depsFor());
    expect(state).toMatchObject({ updated: 0, memberships: 0, failed: 1 });
    const rows = failureRows(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.[2]).toBe(
      "InvalidParameterException: the request was refused (updating the user's attributes; attributes email); " +
        'LimitExceededException: a limit of the user was reached (adding the user to group 1 of 2 of its row); ' +
        'LimitExceededException: a limit of the user was reached (adding the user to group 2 of 2 of its row)',
    );
    expect(rows[0]?.[2]).not.toContain('a@example.com');
  });
});

describe('ApplyPostImport: time, crashes and resumption', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => user(`u${i + 1}`, 'SUCCEEDED', ['g']));

  it('stops close to the end of its time with a cursor, and the next invocation finishes from there', async () => {
    const users = many(30);
    putRun([users]);
    // 10 calls a second, 2 s of work left after the margin of 1 s: about 20 rows an invocation.
    const states = await untilDone(
      (post) => itemFor(1, users, { postImportRate: 10 }, post),
      () => depsFor({ budgetMs: 3_000 }),
    );
    expect(states.length).toBeGreaterThan(1);
    expect(states[0]).toMatchObject({ done: false, invocations: 1 });
    expect(states[0]?.cursor).toBeGreaterThan(1);
    expect(states[0]?.cursor).toBeLessThan(31);
    expect(states.at(-1)).toMatchObject({
      done: true,
      cursor: 31,
      memberships: 30,
      invocations: states.length,
    });
    // Each row once, in order, over all invocations.
    expect(callList()).toEqual(users.map((u) => `group:${u.username}:g`));
    // The job's log was read once: later invocations read the statuses kept in S3.
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(1);
  });

  it('resumes from its checkpoint after a crash mid-batch, with no call for the rows before it and each row counted once', async () => {
    const users = many(10);
    putRun([users]);
    const tuning = { checkpointRows: 3, random: () => 0.5, marginMs: 1_000 };
    // The first try checkpoints after rows 3 and 6, and dies at row 8 (the process is gone:
    // nothing it would write after the crash reaches S3).
    let crashed = false;
    world.answer = (call) => {
      if (call.username === 'u8' && !crashed) {
        crashed = true;
        store.frozen = true;
        return new Error('Runtime exited with error: signal: killed');
      }
      return undefined;
    };
    const item = itemFor(1, users);
    await expect(applyPostImport(item, depsFor({ tuning }))).rejects.toThrow('signal: killed');
    const saved = JSON.parse(store.objects.get(postImportCheckpointKey(RUN, 1))?.toString() ?? '');
    expect(saved).toMatchObject({ cursor: 7, memberships: 6, done: false });
    store.frozen = false;
    world.calls = [];
    // Step Functions retries the Task with the same input.
    const state = await applyPostImport(item, depsFor({ tuning }));
    expect(callList()).toEqual(['group:u7:g', 'group:u8:g', 'group:u9:g', 'group:u10:g']);
    expect(state).toEqual({
      cursor: 11,
      done: true,
      updated: 0,
      memberships: 10,
      failed: 0,
      invocations: 2,
    });
  });

  it('checkpoints and throws TransientServiceError when a service fault outlasts its tries, and the retry resumes at that row', async () => {
    const users = many(5);
    putRun([users]);
    let faults = 0;
    world.answer = (call) =>
      call.username === 'u3' && faults++ < 3
        ? awsError('InternalErrorException', 'Internal error', 500)
        : undefined;
    const item = itemFor(1, users);
    const error = (await applyPostImport(item, depsFor()).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('TransientServiceError');
    expect(error.message).toContain('InternalErrorException');
    expect(
      JSON.parse(store.objects.get(postImportCheckpointKey(RUN, 1))?.toString() ?? ''),
    ).toMatchObject({
      cursor: 3,
      memberships: 2,
    });
    world.calls = [];
    const state = await applyPostImport(item, depsFor());
    expect(callList()).toEqual(['group:u3:g', 'group:u4:g', 'group:u5:g']);
    expect(state).toMatchObject({ done: true, memberships: 5, failed: 0 });
  });

  it('writes the failures of each checkpointed batch to a file named by its first row', async () => {
    const users = many(6);
    putRun([users]);
    const tuning = { checkpointRows: 2, random: () => 0.5, marginMs: 1_000 };
    world.answer = (call) =>
      call.username === 'u2' || call.username === 'u5'
        ? awsError('UserNotFoundException', 'User does not exist.')
        : undefined;
    const state = await applyPostImport(itemFor(1, users), depsFor({ tuning }));
    expect(state).toMatchObject({ failed: 2, memberships: 4 });
    const prefix = `staging/${RUN}/post-import/part-0001-failures/`;
    const files = [...store.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    expect(files).toEqual([`${prefix}0000001.csv`, `${prefix}0000005.csv`]);
    expect(failureRows(1).map(([line, username]) => [line, username])).toEqual([
      ['3', 'u2'],
      ['6', 'u5'],
    ]);
  });

  it('replaces the failures an earlier try of its first batch left, even when the batch has none now', async () => {
    const users = many(3);
    putRun([users]);
    // A try that wrote its batch's failures and died before its checkpoint.
    const stale = `staging/${RUN}/post-import/part-0001-failures/0000001.csv`;
    store.objects.set(
      stale,
      Buffer.from('source_line,username,reason\n2,u1,UserNotFoundException: …\n'),
    );
    const state = await applyPostImport(itemFor(1, users), depsFor());
    expect(state).toMatchObject({ failed: 0, memberships: 3 });
    expect(failureRows(1)).toEqual([]);
  });
});
