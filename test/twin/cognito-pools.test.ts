import {
  AdminGetUserCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  InvalidParameterException,
  ListUserImportJobsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv, startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';
import { signedJsonPost } from './../helpers/sign.ts';

let f: TwinFixture;
beforeAll(async () => {
  f = await startTwinFixture();
});
afterAll(async () => {
  await f.stop();
});

const createPool = async (
  input: Partial<ConstructorParameters<typeof CreateUserPoolCommand>[0]> = {},
) => {
  const { UserPool } = await f.cognito.send(
    new CreateUserPoolCommand({ PoolName: 'pool', AutoVerifiedAttributes: ['email'], ...input }),
  );
  return UserPool?.Id as string;
};

describe('CreateUserPool and DescribeUserPool', () => {
  it('creates a pool whose id carries the region the request was signed for', async () => {
    const id = await createPool();
    expect(id).toMatch(/^us-east-1_[0-9a-zA-Z]{9}$/);
  });

  it('describes custom attributes with their constraints, auto-verified attributes, MFA and case sensitivity', async () => {
    const id = await createPool({
      Schema: [
        {
          Name: 'tier',
          AttributeDataType: 'Number',
          NumberAttributeConstraints: { MinValue: '1', MaxValue: '5' },
        },
        {
          Name: 'team',
          AttributeDataType: 'String',
          StringAttributeConstraints: { MinLength: '2', MaxLength: '10' },
        },
        { Name: 'given_name', AttributeDataType: 'String', Required: true },
      ],
      MfaConfiguration: 'OPTIONAL',
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email', 'phone_number'],
    });
    const { UserPool } = await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }));
    const byName = Object.fromEntries((UserPool?.SchemaAttributes ?? []).map((a) => [a.Name, a]));
    expect(byName['custom:tier']).toMatchObject({
      AttributeDataType: 'Number',
      NumberAttributeConstraints: { MinValue: '1', MaxValue: '5' },
    });
    expect(byName['custom:team']).toMatchObject({
      StringAttributeConstraints: { MinLength: '2', MaxLength: '10' },
    });
    expect(byName.given_name?.Required).toBe(true);
    expect(byName.sub?.Required).toBe(true);
    expect(UserPool).toMatchObject({
      MfaConfiguration: 'OPTIONAL',
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email', 'phone_number'],
      EstimatedNumberOfUsers: 0,
    });
    expect(UserPool?.CreationDate).toBeInstanceOf(Date);
  });

  it('keeps pools created without a UsernameConfiguration case-sensitive', async () => {
    const id = await createPool({ UsernameAttributes: ['email'] });
    const { UserPool } = await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }));
    expect(UserPool?.UsernameConfiguration?.CaseSensitive).toBe(true);
    expect(UserPool?.UsernameAttributes).toEqual(['email']);
  });

  it('refuses a required custom attribute as Cognito does', async () => {
    await expect(
      createPool({ Schema: [{ Name: 'x', AttributeDataType: 'String', Required: true }] }),
    ).rejects.toThrow('Required custom attributes are not supported currently.');
  });

  it('checks the pool name against the model pattern and lists every violation', async () => {
    const error = await createPool({
      PoolName: 'bad/name',
      MfaConfiguration: 'SOMETIMES' as 'ON',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toMatch(/^2 validation errors detected: /);
    expect(error.message).toContain(
      "at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
    expect(error.message).toContain(
      "at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set",
    );
  });

  it('refuses a custom attribute name longer than 20 characters', async () => {
    await expect(
      createPool({ Schema: [{ Name: 'a'.repeat(21), AttributeDataType: 'String' }] }),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('refuses UsernameAttributes together with AliasAttributes', async () => {
    await expect(
      createPool({ UsernameAttributes: ['email'], AliasAttributes: ['preferred_username'] }),
    ).rejects.toThrow(/Only one of AliasAttributes and UsernameAttributes/);
  });
});

describe('DescribeUserPool, ListUserPools, DeleteUserPool', () => {
  it('answers ResourceNotFoundException for a pool that does not exist', async () => {
    await expect(
      f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_nothere' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses a pool id of the wrong shape with the model pattern', async () => {
    const error = await f.cognito
      .send(new DescribeUserPoolCommand({ UserPoolId: 'no-underscore' }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain('[\\w-]+_[0-9a-zA-Z]+');
  });

  it('pages pools with NextToken and requires MaxResults within 1–60', async () => {
    for (let i = 0; i < 3; i++) await createPool({ PoolName: `paged-${i}` });
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUserPoolsCommand({ MaxResults: 2, NextToken: token }),
      );
      expect(page.UserPools?.length).toBeLessThanOrEqual(2);
      for (const pool of page.UserPools ?? []) seen.add(pool.Id as string);
      token = page.NextToken;
    } while (token);
    expect(seen.size).toBeGreaterThanOrEqual(3);
    await expect(
      f.cognito.send(new ListUserPoolsCommand({ MaxResults: 61 })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      f.cognito.send(new ListUserPoolsCommand({ MaxResults: 0 })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('deletes a pool, after which it is not found', async () => {
    const id = await createPool();
    await f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: id }));
    await expect(
      f.cognito.send(new GetCSVHeaderCommand({ UserPoolId: id })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('GetCSVHeader', () => {
  it('answers the 21 documented columns in order, then the custom attributes', async () => {
    const id = await createPool({ Schema: [{ Name: 'tier', AttributeDataType: 'Number' }] });
    const { CSVHeader, UserPoolId } = await f.cognito.send(
      new GetCSVHeaderCommand({ UserPoolId: id }),
    );
    expect(UserPoolId).toBe(id);
    expect(CSVHeader).toEqual([
      'name',
      'given_name',
      'family_name',
      'middle_name',
      'nickname',
      'preferred_username',
      'profile',
      'picture',
      'website',
      'email',
      'email_verified',
      'gender',
      'birthdate',
      'zoneinfo',
      'locale',
      'phone_number',
      'phone_number_verified',
      'address',
      'updated_at',
      'cognito:mfa_enabled',
      'cognito:username',
      'custom:tier',
    ]);
  });

  it('puts custom columns first and lists password_hash when the knobs say so', async () => {
    const id = await createPool({ Schema: [{ Name: 'tier', AttributeDataType: 'Number' }] });
    f.twin.knobs.customColumns = 'start';
    f.twin.knobs.headerListsPasswordHash = true;
    try {
      const { CSVHeader } = await f.cognito.send(new GetCSVHeaderCommand({ UserPoolId: id }));
      expect(CSVHeader?.[0]).toBe('custom:tier');
      expect(CSVHeader?.at(-1)).toBe('password_hash');
    } finally {
      f.twin.knobs.customColumns = 'end';
      f.twin.knobs.headerListsPasswordHash = false;
    }
  });
});

describe('ListUsers and AdminGetUser', () => {
  let poolId: string;
  beforeAll(async () => {
    poolId = await createPool();
    const rows = Array.from(
      { length: 7 },
      (_, i) => `user${i},user${i}@example.com,true,${i % 2 ? 'Ann' : 'Bob'}`,
    );
    await importCsv(
      f,
      poolId,
      ['cognito:username,email,email_verified,given_name', ...rows].join('\n'),
    );
  });

  it('pages with Limit and PaginationToken and visits every user once', async () => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await f.cognito.send(
        new ListUsersCommand({ UserPoolId: poolId, Limit: 3, PaginationToken: token }),
      );
      expect(page.Users?.length).toBeLessThanOrEqual(3);
      names.push(...(page.Users ?? []).map((u) => u.Username as string));
      token = page.PaginationToken;
    } while (token);
    expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `user${i}`));
  });

  it('returns only the AttributesToGet', async () => {
    const { Users } = await f.cognito.send(
      new ListUsersCommand({ UserPoolId: poolId, AttributesToGet: ['email'], Limit: 1 }),
    );
    expect(Users?.[0]?.Attributes?.map((a) => a.Name)).toEqual(['email']);
  });

  it('filters with = and ^= on an attribute and on the user status', async () => {
    const exact = await f.cognito.send(
      new ListUsersCommand({ UserPoolId: poolId, Filter: 'email = "user3@example.com"' }),
    );
    expect(exact.Users?.map((u) => u.Username)).toEqual(['user3']);
    const prefix = await f.cognito.send(
      new ListUsersCommand({ UserPoolId: poolId, Filter: 'given_name ^= "An"' }),
    );
    expect(prefix.Users?.map((u) => u.Username).sort()).toEqual(['user1', 'user3', 'user5']);
    const status = await f.cognito.send(
      new ListUsersCommand({
        UserPoolId: poolId,
        Filter: 'cognito:user_status = "RESET_REQUIRED"',
      }),
    );
    expect(status.Users).toHaveLength(7);
  });

  it('refuses a filter it cannot parse', async () => {
    await expect(
      f.cognito.send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'email contains x' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('gets an imported user as RESET_REQUIRED with a generated sub', async () => {
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'user2' }),
    );
    expect(user.UserStatus).toBe('RESET_REQUIRED');
    expect(user.Enabled).toBe(true);
    const attributes = Object.fromEntries(
      (user.UserAttributes ?? []).map((a) => [a.Name, a.Value]),
    );
    expect(attributes.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(attributes.email).toBe('user2@example.com');
    expect(attributes.email_verified).toBe('true');
  });

  it('answers UserNotFoundException for an unknown user', async () => {
    await expect(
      f.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'nobody' })),
    ).rejects.toBeInstanceOf(UserNotFoundException);
  });
});

describe('requests', () => {
  it('requires MaxResults on ListUserImportJobs, as the model does', async () => {
    const id = await createPool();
    const error = await f.cognito
      .send(new ListUserImportJobsCommand({ UserPoolId: id } as never))
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain(
      "Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
    );
  });

  it('answers an operation it does not implement with a clear error', async () => {
    const response = await signedJsonPost(
      f.twin.endpoint,
      'AWSCognitoIdentityProviderService.AdminDisableProviderForUser',
      '{}',
      { service: 'cognito-idp' },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
