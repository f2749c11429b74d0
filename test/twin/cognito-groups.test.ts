/**
 * User pool groups on the Cognito twin, through the real SDK client: CreateGroup, GetGroup,
 * ListGroups, UpdateGroup, DeleteGroup, AdminAddUserToGroup, AdminRemoveUserFromGroup,
 * AdminListGroupsForUser, ListUsersInGroup and AdminDeleteUser; their quotas, faults that strike
 * mid-batch, the memberships in tokens, and data folders from before groups.
 */
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  UpdateGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlite } from '../../twin/sqlite.ts';
import { importCsv, startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';
import {
  confirmedUser,
  createClient,
  createPool,
  failure,
  importUsers,
  PASSWORD,
} from './auth/helpers.ts';

let f: TwinFixture;
beforeAll(async () => {
  f = await startTwinFixture();
});
afterAll(async () => {
  await f.stop();
});

/** A token's claims, unverified (tokens.test.ts verifies the signatures). */
const decodeJwt = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >;

const ROLE = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

const createGroup = (
  poolId: string,
  name: string,
  more: { Precedence?: number; RoleArn?: string; Description?: string } = {},
) => f.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: name, ...more }));
const add = (poolId: string, user: string, group: string, fixture = f) =>
  fixture.cognito.send(
    new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: user, GroupName: group }),
  );
async function groupsOf(poolId: string, user: string, fixture = f) {
  const { Groups } = await fixture.cognito.send(
    new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: user }),
  );
  return (Groups ?? []).map((group) => group.GroupName);
}
async function membersOf(poolId: string, group: string) {
  const { Users } = await f.cognito.send(
    new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: group }),
  );
  return (Users ?? []).map((user) => user.Username);
}

describe('CreateGroup, GetGroup, UpdateGroup', () => {
  it('creates a group with its description, role and precedence, and answers it as GroupType', async () => {
    const poolId = await createPool(f.cognito);
    const { Group } = await createGroup(poolId, 'editors', {
      Description: 'Edit content',
      RoleArn: ROLE('Editors'),
      Precedence: 2,
    });
    expect(Group).toMatchObject({
      GroupName: 'editors',
      UserPoolId: poolId,
      Description: 'Edit content',
      RoleArn: ROLE('Editors'),
      Precedence: 2,
    });
    expect(Group?.CreationDate).toBeInstanceOf(Date);
    const got = await f.cognito.send(
      new GetGroupCommand({ UserPoolId: poolId, GroupName: 'editors' }),
    );
    expect(got.Group).toEqual(Group);
  });

  it('leaves out the members a group was created without', async () => {
    const poolId = await createPool(f.cognito);
    const { Group } = await createGroup(poolId, 'plain');
    expect(Object.keys(Group ?? {}).sort()).toEqual([
      'CreationDate',
      'GroupName',
      'LastModifiedDate',
      'UserPoolId',
    ]);
  });

  it('refuses a second group of the same name, but not one that differs in case', async () => {
    const poolId = await createPool(f.cognito);
    await createGroup(poolId, 'admins');
    expect(await failure(createGroup(poolId, 'admins'))).toEqual({
      name: 'GroupExistsException',
      message: 'A group with the name admins already exists.',
    });
    await expect(createGroup(poolId, 'Admins')).resolves.toBeDefined();
  });

  it('checks the name, the role ARN and the precedence as the model constrains them', async () => {
    const poolId = await createPool(f.cognito);
    for (const [name, more] of [
      ['has space', {}],
      ['x'.repeat(129), {}],
      ['ok', { Precedence: -1 }],
      ['ok', { RoleArn: 'not-an-arn' }],
      ['ok', { Description: 'd'.repeat(2049) }],
    ] as const)
      expect((await failure(createGroup(poolId, name, more))).name).toBe(
        'InvalidParameterException',
      );
  });

  it('answers ResourceNotFoundException for a pool or a group that does not exist', async () => {
    expect((await failure(createGroup('us-east-1_Missing1', 'g'))).name).toBe(
      'ResourceNotFoundException',
    );
    const poolId = await createPool(f.cognito);
    expect(
      await failure(f.cognito.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'none' }))),
    ).toEqual({ name: 'ResourceNotFoundException', message: 'Group not found.' });
  });

  it('updates the members UpdateGroup gives, keeps the others, and moves LastModifiedDate only', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clocked = await startTwinFixture({ now: () => now });
    try {
      const poolId = await createPool(clocked.cognito);
      await clocked.cognito.send(
        new CreateGroupCommand({
          UserPoolId: poolId,
          GroupName: 'ops',
          Description: 'Operators',
          Precedence: 5,
        }),
      );
      now += 60_000;
      const { Group } = await clocked.cognito.send(
        new UpdateGroupCommand({ UserPoolId: poolId, GroupName: 'ops', RoleArn: ROLE('Ops') }),
      );
      expect(Group).toMatchObject({
        Description: 'Operators',
        Precedence: 5,
        RoleArn: ROLE('Ops'),
        CreationDate: new Date(Date.UTC(2026, 0, 1)),
        LastModifiedDate: new Date(now),
      });
    } finally {
      await clocked.stop();
    }
  });
});

describe('ListGroups', () => {
  it('lists the groups in name order, in pages of Limit, with a token only when more remain', async () => {
    const poolId = await createPool(f.cognito);
    for (const name of ['delta', 'alpha', 'charlie', 'bravo', 'echo'])
      await createGroup(poolId, name);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await f.cognito.send(
        new ListGroupsCommand({ UserPoolId: poolId, Limit: 2, NextToken: token }),
      );
      seen.push(...(page.Groups ?? []).map((g) => g.GroupName as string));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    expect(pages).toBe(3);
    const all = await f.cognito.send(new ListGroupsCommand({ UserPoolId: poolId, Limit: 0 }));
    expect(all.Groups).toHaveLength(5);
    expect(all.NextToken).toBeUndefined();
  });

  it("refuses a token that is not the twin's, or that belongs to another pool's listing", async () => {
    const one = await createPool(f.cognito);
    const two = await createPool(f.cognito);
    for (const name of ['a', 'b']) await createGroup(one, name);
    const { NextToken } = await f.cognito.send(
      new ListGroupsCommand({ UserPoolId: one, Limit: 1 }),
    );
    expect(NextToken).toBeDefined();
    for (const [pool, token] of [
      [two, NextToken],
      [one, 'bm90LWEtdG9rZW4'],
    ])
      expect(
        (
          await failure(
            f.cognito.send(new ListGroupsCommand({ UserPoolId: pool, NextToken: token })),
          )
        ).name,
      ).toBe('InvalidParameterException');
  });
});

describe('memberships', () => {
  it('adds an imported user to groups, and lists them without changing the user', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada', 'grace']);
    for (const name of ['readers', 'editors']) await createGroup(poolId, name);
    await add(poolId, 'ada', 'readers');
    await add(poolId, 'ada', 'editors');
    await add(poolId, 'grace', 'readers');
    expect(await groupsOf(poolId, 'ada')).toEqual(['editors', 'readers']);
    expect(await membersOf(poolId, 'readers')).toEqual(['ada', 'grace']);
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ada' }),
    );
    expect(user.UserStatus).toBe('RESET_REQUIRED');
  });

  it('adds a member again without error and without a second membership', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada', 'readers');
    await add(poolId, 'ada', 'readers');
    expect(await membersOf(poolId, 'readers')).toEqual(['ada']);
  });

  it('finds the user by the sub, as AdminGetUser does', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ada' }),
    );
    const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value as string;
    await add(poolId, sub, 'readers');
    expect(await groupsOf(poolId, 'ada')).toEqual(['readers']);
  });

  it('finds the user by the email of a pool whose users sign in with it', async () => {
    const poolId = await createPool(f.cognito, { UsernameAttributes: ['email'] });
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada@example.com', 'readers');
    expect(await groupsOf(poolId, 'ada@example.com')).toEqual(['readers']);
  });

  it('answers UserNotFoundException for an unknown user and ResourceNotFoundException for an unknown group', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    expect(await failure(add(poolId, 'nobody', 'readers'))).toEqual({
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
    expect((await failure(add(poolId, 'ada', 'missing'))).name).toBe('ResourceNotFoundException');
    expect(
      (
        await failure(
          f.cognito.send(
            new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'nobody' }),
          ),
        )
      ).name,
    ).toBe('UserNotFoundException');
    expect(
      (
        await failure(
          f.cognito.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'missing' })),
        )
      ).name,
    ).toBe('ResourceNotFoundException');
  });

  it('removes a member, and answers the same for a user who was not one', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada', 'grace']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada', 'readers');
    const remove = (user: string) =>
      f.cognito.send(
        new AdminRemoveUserFromGroupCommand({
          UserPoolId: poolId,
          Username: user,
          GroupName: 'readers',
        }),
      );
    await remove('ada');
    await remove('grace');
    expect(await membersOf(poolId, 'readers')).toEqual([]);
    expect(await groupsOf(poolId, 'ada')).toEqual([]);
  });

  it("pages a group's members and a user's groups", async () => {
    const poolId = await createPool(f.cognito);
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    await importUsers(f, poolId, users);
    for (const name of ['g1', 'g2', 'g3']) await createGroup(poolId, name);
    for (const user of users) await add(poolId, user, 'g1');
    for (const group of ['g1', 'g2', 'g3']) await add(poolId, 'u1', group);
    const members: string[] = [];
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUsersInGroupCommand({
          UserPoolId: poolId,
          GroupName: 'g1',
          Limit: 2,
          NextToken: token,
        }),
      );
      expect(page.Users?.length).toBeLessThanOrEqual(2);
      members.push(...(page.Users ?? []).map((u) => u.Username as string));
      token = page.NextToken;
    } while (token);
    expect(members).toEqual(users);
    const first = await f.cognito.send(
      new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'u1', Limit: 2 }),
    );
    expect(first.Groups?.map((g) => g.GroupName)).toEqual(['g1', 'g2']);
    const second = await f.cognito.send(
      new AdminListGroupsForUserCommand({
        UserPoolId: poolId,
        Username: 'u1',
        Limit: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.Groups?.map((g) => g.GroupName)).toEqual(['g3']);
    expect(second.NextToken).toBeUndefined();
    // A token of u1's listing does not page u2's.
    expect(
      (
        await failure(
          f.cognito.send(
            new AdminListGroupsForUserCommand({
              UserPoolId: poolId,
              Username: 'u2',
              NextToken: first.NextToken,
            }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterException');
  });
});

describe('DeleteGroup and AdminDeleteUser', () => {
  it('deletes a group with its memberships: a group made again under the name starts empty', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada', 'readers');
    await f.cognito.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'readers' }));
    expect(await groupsOf(poolId, 'ada')).toEqual([]);
    expect(
      (
        await failure(
          f.cognito.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'readers' })),
        )
      ).name,
    ).toBe('ResourceNotFoundException');
    await createGroup(poolId, 'readers');
    expect(await membersOf(poolId, 'readers')).toEqual([]);
  });

  it('refuses to delete a group with members when the knob says so', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada', 'readers');
    f.twin.knobs.deleteGroupWithMembers = 'refused';
    try {
      expect(
        (
          await failure(
            f.cognito.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'readers' })),
          )
        ).name,
      ).toBe('InvalidParameterException');
      await createGroup(poolId, 'empty');
      await f.cognito.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'empty' }));
    } finally {
      f.twin.knobs.deleteGroupWithMembers = 'allowed';
    }
    expect(await membersOf(poolId, 'readers')).toEqual(['ada']);
  });

  it('deletes a user with its memberships; a user imported again under the name is in no group', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada', 'grace']);
    await createGroup(poolId, 'readers');
    await add(poolId, 'ada', 'readers');
    await add(poolId, 'grace', 'readers');
    await f.cognito.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'ada' }));
    expect(
      (
        await failure(
          f.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ada' })),
        )
      ).name,
    ).toBe('UserNotFoundException');
    expect(await membersOf(poolId, 'readers')).toEqual(['grace']);
    expect(
      await failure(
        f.cognito.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'ada' })),
      ),
    ).toEqual({ name: 'UserNotFoundException', message: 'User does not exist.' });
    await importUsers(f, poolId, ['ada']);
    expect(await groupsOf(poolId, 'ada')).toEqual([]);
  });

  it("frees a deleted user's email for another user of an email-username pool", async () => {
    const poolId = await createPool(f.cognito, { UsernameAttributes: ['email'] });
    await importUsers(f, poolId, ['ada']);
    await f.cognito.send(
      new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'ada@example.com' }),
    );
    const job = await importCsv(
      f,
      poolId,
      'cognito:username,email,email_verified\nada2,ada@example.com,true',
    );
    expect(job.ImportedUsers).toBe(1);
  });
});

describe('quotas', () => {
  it('refuses a group beyond the groups a pool may have, and a user in more groups than allowed', async () => {
    const limited = await startTwinFixture({
      quotas: { maxGroupsPerPool: 3, maxGroupsPerUser: 2 },
    });
    try {
      const poolId = await createPool(limited.cognito);
      await importUsers(limited, poolId, ['ada']);
      for (const name of ['g1', 'g2', 'g3'])
        await limited.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: name }));
      expect(
        await failure(
          limited.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'g4' })),
        ),
      ).toEqual({
        name: 'LimitExceededException',
        message: 'A user pool can have at most 3 groups.',
      });
      await add(poolId, 'ada', 'g1', limited);
      await add(poolId, 'ada', 'g2', limited);
      // Already a member: no new membership, no limit.
      await add(poolId, 'ada', 'g2', limited);
      expect((await failure(add(poolId, 'ada', 'g3', limited))).name).toBe(
        'LimitExceededException',
      );
      limited.twin.knobs.groupsPerUserError = 'InvalidParameterException';
      expect((await failure(add(poolId, 'ada', 'g3', limited))).name).toBe(
        'InvalidParameterException',
      );
      expect(await groupsOf(poolId, 'ada', limited)).toEqual(['g1', 'g2']);
    } finally {
      await limited.stop();
    }
  });
});

describe('faults in the middle of a batch', () => {
  it('throttles the calls after the first N, for as many calls as the fault counts', async () => {
    const poolId = await createPool(f.cognito);
    const users = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
    await importUsers(f, poolId, users);
    await createGroup(poolId, 'batch');
    f.twin.faults.add({ kind: 'throttle', operation: 'AdminAddUserToGroup', after: 3, count: 2 });
    const outcomes: string[] = [];
    for (const user of users)
      outcomes.push(
        await add(poolId, user, 'batch').then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ok',
      'TooManyRequestsException',
      'TooManyRequestsException',
      'ok',
    ]);
    expect(await membersOf(poolId, 'batch')).toEqual(['b1', 'b2', 'b3', 'b6']);
  });

  it('deletes the group just before the Nth add, armed over the control endpoint', async () => {
    const poolId = await createPool(f.cognito);
    const users = ['c1', 'c2', 'c3', 'c4'];
    await importUsers(f, poolId, users);
    await createGroup(poolId, 'doomed');
    const armed = await fetch(`${f.twin.endpoint}/_twin/faults`, {
      method: 'POST',
      body: JSON.stringify({
        rules: [
          {
            kind: 'call',
            operation: 'AdminAddUserToGroup',
            after: 2,
            call: 'DeleteGroup',
            input: { UserPoolId: poolId, GroupName: 'doomed' },
          },
        ],
      }),
    });
    expect(armed.status).toBe(200);
    const outcomes: string[] = [];
    for (const user of users)
      outcomes.push(
        await add(poolId, user, 'doomed').then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ResourceNotFoundException',
      'ResourceNotFoundException',
    ]);
    // The deleted group took its first two memberships with it.
    expect(await groupsOf(poolId, 'c1')).toEqual([]);
  });

  it('deletes a user between two calls that name it', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['d1']);
    for (const name of ['x', 'y']) await createGroup(poolId, name);
    f.twin.faults.add({
      kind: 'call',
      operation: 'AdminAddUserToGroup',
      after: 1,
      call: 'AdminDeleteUser',
      input: { UserPoolId: poolId, Username: 'd1' },
    });
    await add(poolId, 'd1', 'x');
    expect((await failure(add(poolId, 'd1', 'y'))).name).toBe('UserNotFoundException');
  });
});

describe('groups in tokens', () => {
  it('puts cognito:groups on the ID and access tokens, best precedence first, with the roles and the preferred role on the ID token', async () => {
    const poolId = await createPool(f.cognito);
    const client = await createClient(f.cognito, poolId);
    await confirmedUser(f, poolId, 'ada');
    const signIn = async () =>
      (
        await f.cognito.send(
          new AdminInitiateAuthCommand({
            UserPoolId: poolId,
            ClientId: client.ClientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'ada', PASSWORD },
          }),
        )
      ).AuthenticationResult as { IdToken: string; AccessToken: string; RefreshToken: string };
    const before = await signIn();
    expect(decodeJwt(before.IdToken)['cognito:groups']).toBeUndefined();
    expect(decodeJwt(before.AccessToken)['cognito:groups']).toBeUndefined();
    await createGroup(poolId, 'zeta', { Precedence: 1, RoleArn: ROLE('Zeta') });
    await createGroup(poolId, 'alpha', { Precedence: 3, RoleArn: ROLE('Alpha') });
    await createGroup(poolId, 'none');
    for (const group of ['alpha', 'none', 'zeta']) await add(poolId, 'ada', group);
    const after = await signIn();
    const id = decodeJwt(after.IdToken);
    expect(id['cognito:groups']).toEqual(['zeta', 'alpha', 'none']);
    expect(id['cognito:roles']).toEqual([ROLE('Zeta'), ROLE('Alpha')]);
    expect(id['cognito:preferred_role']).toBe(ROLE('Zeta'));
    expect(decodeJwt(after.AccessToken)['cognito:groups']).toEqual(['zeta', 'alpha', 'none']);
    expect(decodeJwt(after.AccessToken)['cognito:roles']).toBeUndefined();
    // A refresh reads the memberships of its moment.
    await f.cognito.send(
      new AdminRemoveUserFromGroupCommand({
        UserPoolId: poolId,
        Username: 'ada',
        GroupName: 'zeta',
      }),
    );
    const refreshed = await f.cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId: client.ClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: after.RefreshToken },
      }),
    );
    const again = decodeJwt(refreshed.AuthenticationResult?.IdToken as string);
    expect(again['cognito:groups']).toEqual(['alpha', 'none']);
    expect(again['cognito:preferred_role']).toBe(ROLE('Alpha'));
  });

  it('leaves cognito:preferred_role out when the best groups tie with different roles', async () => {
    const poolId = await createPool(f.cognito);
    const client = await createClient(f.cognito, poolId);
    await confirmedUser(f, poolId, 'ada');
    await createGroup(poolId, 'a', { Precedence: 1, RoleArn: ROLE('A') });
    await createGroup(poolId, 'b', { Precedence: 1, RoleArn: ROLE('B') });
    for (const group of ['a', 'b']) await add(poolId, 'ada', group);
    const { AuthenticationResult } = await f.cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId: client.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ada', PASSWORD },
      }),
    );
    const id = decodeJwt(AuthenticationResult?.IdToken as string);
    expect(id['cognito:groups']).toEqual(['a', 'b']);
    expect(id['cognito:preferred_role']).toBeUndefined();
  });
});

describe('the data folder', () => {
  it('keeps groups and memberships across a restart, and opens a folder from before groups', async () => {
    const own = await startTwinFixture();
    try {
      const poolId = await createPool(own.cognito);
      await importUsers(own, poolId, ['ada']);
      await own.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'kept' }));
      await add(poolId, 'ada', 'kept', own);
      await own.restart();
      expect(await groupsOf(poolId, 'ada', own)).toEqual(['kept']);
      // Rewrite the folder as a twin from before groups left it: no group tables at all.
      const { DatabaseSync } = loadSqlite();
      const db = new DatabaseSync(join(own.dataDir, 'cognito', 'cognito.sqlite'));
      db.exec('DROP TABLE group_members; DROP TABLE groups;');
      db.close();
      await own.restart();
      expect(await groupsOf(poolId, 'ada', own)).toEqual([]);
      await own.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'new' }));
      await add(poolId, 'ada', 'new', own);
      expect(await groupsOf(poolId, 'ada', own)).toEqual(['new']);
    } finally {
      await own.stop();
    }
  });
});
