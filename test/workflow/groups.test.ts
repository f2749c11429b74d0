import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEntry } from '../../src/local/twin.ts';
import { failuresKey } from '../../src/workflow/keys.ts';
import { csv, startWorkflowFixture, type WorkflowFixture } from '../helpers/workflow.ts';

const HEADER = 'cognito:username,email,email_verified,given_name,cognito:groups';
const row = (i: number, groups: string, name = `Given${i}`) =>
  `user${i},user${i}@example.com,true,${name},${groups}`;

let f: WorkflowFixture;
const requests: RequestEntry[] = [];
beforeAll(async () => {
  f = await startWorkflowFixture({
    // The phase at 1,000 requests a second, the twin's quotas lifted: Cognito's 25 a second
    // would make these runs last minutes; the pacing itself is checked in the unit tests.
    functionEnv: { POST_IMPORT_RATE: '1000' },
    cognito: { knobs: { requestRateCategories: [] } },
    onRequest: (entry) => requests.push(entry),
    // A file put under a `manual-` name starts no run: the test starts it, with its options.
    deliverObjectCreated: (event, deliver) => {
      if (!JSON.stringify(event).includes('/manual-')) deliver();
    },
  });
});
afterAll(async () => {
  await f.stop();
});

async function groupsOf(pool: string, username: string): Promise<string[]> {
  const { Groups } = await f.cognito.send(
    new AdminListGroupsForUserCommand({ UserPoolId: pool, Username: username }),
  );
  return (Groups ?? []).map((g) => g.GroupName as string).sort();
}

async function createGroups(
  cognito: CognitoIdentityProviderClient,
  pool: string,
  ...names: string[]
) {
  for (const GroupName of names)
    await cognito.send(new CreateGroupCommand({ UserPoolId: pool, GroupName }));
}

const calls = (operation: string) =>
  requests.filter((r) => r.operation === operation && r.status === 200).length;

describe('the cognito:groups column and existing users, on the local twin', () => {
  it('puts each user in exactly the groups its row lists, and Cognito never sees the column', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'admins', 'staff', 'beta');
    const arn = await f.drop(
      pool,
      'users.csv',
      csv(HEADER, row(0, 'admins;staff'), row(1, 'beta'), row(2, ''), row(3, 'staff;staff')),
    );
    const { execution, outcome, states } = await f.finish(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: {
        imported: 4,
        skipped: 0,
        failed: 0,
        updated: 0,
        memberships: 4,
        postImportFailed: 0,
      },
    });
    expect(states).toContain('ApplyPostImport');
    expect(await groupsOf(pool, 'user0')).toEqual(['admins', 'staff']);
    expect(await groupsOf(pool, 'user1')).toEqual(['beta']);
    expect(await groupsOf(pool, 'user2')).toEqual([]);
    expect(await groupsOf(pool, 'user3')).toEqual(['staff']);
  });

  it('updates every existing user on a corrected re-run with existingUsers "update", and adds their groups', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff', 'beta');
    const first = await f.finish(
      await f.drop(pool, 'first.csv', csv(HEADER, row(0, 'staff'), row(1, ''), row(2, ''))),
    );
    expect(first.outcome?.status).toBe('SUCCEEDED');
    const corrected = csv(
      HEADER,
      row(0, 'beta', 'Ada'),
      row(1, 'staff', 'Grace'),
      row(2, '', 'Edsger'),
      row(3, 'beta'),
    );
    const { execution, outcome } = await f.finish(
      f.start(
        {
          bucket: f.twin.bucket,
          key: await put(pool, 'corrected.csv', corrected),
          options: { existingUsers: 'update' },
        },
        'corrected-rerun',
      ),
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: { imported: 1, skipped: 3, updated: 3, memberships: 3, postImportFailed: 0 },
    });
    const given = async (username: string) =>
      (
        await f.cognito.send(new AdminGetUserCommand({ UserPoolId: pool, Username: username }))
      ).UserAttributes?.find((a) => a.Name === 'given_name')?.Value;
    expect([await given('user0'), await given('user1'), await given('user2')]).toEqual([
      'Ada',
      'Grace',
      'Edsger',
    ]);
    // Memberships are only added: user0 keeps staff from the first run.
    expect(await groupsOf(pool, 'user0')).toEqual(['beta', 'staff']);
    expect(await groupsOf(pool, 'user1')).toEqual(['staff']);
    expect(await groupsOf(pool, 'user3')).toEqual(['beta']);
  });

  it('leaves existing users alone under the default "skip": PARTIAL, nothing updated', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'a.csv', csv(HEADER, row(0, ''))));
    const { outcome } = await f.finish(
      await f.drop(pool, 'b.csv', csv(HEADER, row(0, '', 'Ada'), row(1, ''), row(2, ''))),
    );
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 2, skipped: 1, updated: 0, memberships: 0 },
    });
  });

  it('rejects a file naming a group the pool lacks, under the default policy; creates it with createGroups', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff');
    const file = csv(HEADER, row(0, 'staff'), row(1, 'ghosts'));
    const rejected = await f.finish(await f.drop(pool, 'unknown.csv', file));
    expect(rejected.outcome).toMatchObject({ status: 'REJECTED', code: 'rows.invalid' });
    const validation = JSON.parse(await f.readText(rejected.outcome?.validation?.reportKey ?? ''));
    expect(JSON.stringify(validation.issues)).toContain('groups.unknown');

    const { outcome } = await f.finish(
      f.start(
        {
          bucket: f.twin.bucket,
          key: `incoming/${pool}/unknown.csv`,
          options: { createGroups: true },
        },
        'create-groups',
      ),
    );
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: { imported: 2, memberships: 2 },
      groups: { created: ['ghosts'], createdCount: 1 },
    });
    expect(await groupsOf(pool, 'user1')).toEqual(['ghosts']);
  });

  it('takes fewer history events than users for 1,000 users with a group', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff');
    const rows = Array.from({ length: 1000 }, (_, i) => row(i, 'staff'));
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'many.csv', csv(HEADER, ...rows)),
    );
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { memberships: 1000 } });
    expect(history.length).toBeLessThan(1000);
  });

  it('rides out throttling mid-batch: every membership added, none failed', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff');
    f.twin.cognito.faults.add({
      kind: 'throttle',
      operation: 'AdminAddUserToGroup',
      after: 20,
      count: 5,
    });
    const rows = Array.from({ length: 60 }, (_, i) => row(i, 'staff'));
    const { outcome } = await f.finish(await f.drop(pool, 'throttled.csv', csv(HEADER, ...rows)));
    f.twin.cognito.faults.clear();
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: { memberships: 60, postImportFailed: 0 },
    });
    expect(await groupsOf(pool, 'user59')).toEqual(['staff']);
  });

  it('reports the rows of a group deleted mid-run, with their line and username, and adds the others', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff', 'beta');
    f.twin.cognito.faults.add({
      kind: 'call',
      operation: 'AdminAddUserToGroup',
      after: 2,
      call: 'DeleteGroup',
      input: { UserPoolId: pool, GroupName: 'beta' },
    });
    const file = csv(HEADER, row(0, 'beta'), row(1, 'staff'), row(2, 'beta'), row(3, 'staff'));
    const { outcome } = await f.finish(await f.drop(pool, 'deleted-group.csv', file));
    f.twin.cognito.faults.clear();
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 4, memberships: 3, postImportFailed: 1 },
    });
    const failures = await f.readText(failuresKey(outcome?.run ?? ''));
    const lines = failures.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^4,user2,/);
  });

  it('reports an existing user deleted before its update, and updates the others', async () => {
    const pool = await f.createPool();
    await f.finish(await f.drop(pool, 'a.csv', csv(HEADER, row(0, ''), row(1, ''), row(2, ''))));
    f.twin.cognito.faults.add({
      kind: 'call',
      operation: 'AdminUpdateUserAttributes',
      after: 1,
      call: 'AdminDeleteUser',
      input: { UserPoolId: pool, Username: 'user1' },
    });
    const { outcome } = await f.finish(
      f.start(
        {
          bucket: f.twin.bucket,
          key: await put(pool, 'again.csv', csv(HEADER, row(0, ''), row(1, ''), row(2, ''))),
          options: { existingUsers: 'update' },
        },
        'deleted-user',
      ),
    );
    f.twin.cognito.faults.clear();
    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      totals: { skipped: 3, updated: 2, postImportFailed: 1 },
    });
    const failures = await f.readText(failuresKey(outcome?.run ?? ''));
    expect(failures).toMatch(/\n3,user1,/);
  });

  it('resumes after a crash mid-batch without doing the rows before its checkpoint again', async () => {
    const pool = await f.createPool();
    await createGroups(f.cognito, pool, 'staff');
    const before = calls('AdminAddUserToGroup');
    // Cognito fails 12 calls in a row mid-batch: the function gives up after its SDK client's
    // three tries times its own three, the state machine retries the Task, and the next
    // invocation resumes from the checkpoint written before it gave up.
    f.twin.cognito.faults.add({
      kind: 'internal-error',
      operation: 'AdminAddUserToGroup',
      after: 150,
      count: 12,
    });
    const rows = Array.from({ length: 300 }, (_, i) => row(i, 'staff'));
    const { outcome, history } = await f.finish(
      await f.drop(pool, 'crash.csv', csv(HEADER, ...rows)),
    );
    f.twin.cognito.faults.clear();
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { memberships: 300 } });
    const crashes = history.filter(
      (e) =>
        e.type === 'LambdaFunctionFailed' &&
        e.lambdaFunctionFailedEventDetails?.error === 'TransientServiceError',
    );
    expect(crashes.length).toBeGreaterThan(0);
    // Each membership was added once: none of the 150 before the fault was sent again.
    expect(calls('AdminAddUserToGroup') - before).toBe(300);
  });

  it('works in rounds when an invocation has little time: each round resumes at its cursor, no call made twice', async () => {
    // A twin whose ApplyPostImport has a timeout of 0.4 s: its context counts that down, as
    // Lambda's would for a function so configured.
    const seen: RequestEntry[] = [];
    const g = await startWorkflowFixture({
      functionEnv: { POST_IMPORT_RATE: '1000' },
      cognito: { knobs: { requestRateCategories: [] } },
      functionTimeouts: { applyPostImport: 0.4 },
      onRequest: (entry) => seen.push(entry),
    });
    try {
      const pool = await g.createPool();
      await createGroups(g.cognito, pool, 'staff');
      const rows = Array.from({ length: 600 }, (_, i) => row(i, 'staff'));
      const { outcome, history } = await g.finish(
        await g.drop(pool, 'rounds.csv', csv(HEADER, ...rows)),
      );
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { memberships: 600 } });
      const rounds = history.filter(
        (e) =>
          e.type === 'LambdaFunctionScheduled' &&
          e.lambdaFunctionScheduledEventDetails?.resource?.endsWith(':applyPostImport'),
      );
      expect(rounds.length).toBeGreaterThan(1);
      const added = seen.filter((r) => r.operation === 'AdminAddUserToGroup' && r.status === 200);
      expect(added).toHaveLength(600);
    } finally {
      await g.stop();
    }
  });
});

/** Puts a file where the pipeline reads it, without starting a run (see the fixture). */
async function put(pool: string, name: string, body: string): Promise<string> {
  const key = `incoming/${pool}/manual-${name}`;
  await f.s3.send(new PutObjectCommand({ Bucket: f.twin.bucket, Key: key, Body: body }));
  return key;
}
