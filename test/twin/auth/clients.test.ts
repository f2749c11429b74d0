import {
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolClientCommand,
  InvalidParameterException,
  ListUserPoolClientsCommand,
  ResourceNotFoundException,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwinFixture, type TwinFixture } from '../../helpers/cognito-twin.ts';
import { createClient, createPool, failure } from './helpers.ts';

let f: TwinFixture;
let poolId: string;
beforeAll(async () => {
  f = await startTwinFixture();
  poolId = await createPool(f.cognito, {
    Schema: [
      { Name: 'tier', AttributeDataType: 'String' },
      { Name: 'given_name', AttributeDataType: 'String', Required: true },
    ],
  });
});
afterAll(async () => {
  await f.stop();
});

const create = (input: Record<string, unknown> = {}) =>
  f.cognito.send(
    new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'web', ...input }),
  );
const describeClient = async (clientId: string) =>
  (
    await f.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }),
    )
  ).UserPoolClient;

describe('CreateUserPoolClient and DescribeUserPoolClient', () => {
  it('creates a client with Cognito-shaped id and defaults: SRP, refresh and custom auth, 30-day refresh tokens', async () => {
    const { UserPoolClient } = await create();
    expect(UserPoolClient?.ClientId).toMatch(/^[a-z0-9]{26}$/);
    expect(UserPoolClient).toMatchObject({
      UserPoolId: poolId,
      ClientName: 'web',
      RefreshTokenValidity: 30,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_CUSTOM_AUTH', 'ALLOW_USER_SRP_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      EnableTokenRevocation: true,
      AuthSessionValidity: 3,
    });
    expect(UserPoolClient?.ClientSecret).toBeUndefined();
    expect(UserPoolClient?.CreationDate).toBeInstanceOf(Date);
    expect(await describeClient(UserPoolClient?.ClientId as string)).toEqual(UserPoolClient);
  });

  it('keeps the 2016 flow CUSTOM_AUTH_FLOW_ONLY and the other legacy names as given', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
    });
    expect((await describeClient(ClientId))?.ExplicitAuthFlows).toEqual(['CUSTOM_AUTH_FLOW_ONLY']);
    const legacy = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH', 'USER_PASSWORD_AUTH'],
    });
    expect((await describeClient(legacy.ClientId))?.ExplicitAuthFlows).toEqual([
      'ADMIN_NO_SRP_AUTH',
      'USER_PASSWORD_AUTH',
    ]);
  });

  it('refuses legacy and ALLOW_ flow names together with InvalidParameterException', async () => {
    const error = await failure(
      create({ ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    expect(error.name).toBe(InvalidParameterException.name);
    expect(error.message).toMatch(/cannot be combined with ALLOW_ values/);
  });

  it('refuses an unknown flow name with the model enum in the message, in Coral form for a list', async () => {
    const error = await failure(create({ ExplicitAuthFlows: ['ALLOW_EVERYTHING'] }));
    expect(error.name).toBe(InvalidParameterException.name);
    expect(error.message).toContain(
      "Value '[ALLOW_EVERYTHING]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [",
    );
  });

  it('generates a secret with GenerateSecret and shows it in Describe', async () => {
    const { UserPoolClient } = await create({ GenerateSecret: true });
    expect(UserPoolClient?.ClientSecret).toMatch(/^[a-z0-9]{52}$/);
    const described = await describeClient(UserPoolClient?.ClientId as string);
    expect(described?.ClientSecret).toBe(UserPoolClient?.ClientSecret);
  });

  it('refuses GenerateSecret together with a given ClientSecret', async () => {
    const error = await failure(
      create({
        GenerateSecret: true,
        ClientSecret: 'a-given-secret-of-length-32-chars'.replace(/-/g, ''),
      }),
    );
    expect(error.name).toBe(InvalidParameterException.name);
  });

  it('checks ClientName against the model pattern and length', async () => {
    const bad = await failure(create({ ClientName: 'web/app' }));
    expect(bad).toMatchObject({ name: InvalidParameterException.name });
    expect(bad.message).toContain(
      "Value 'web/app' at 'clientName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    );
    const long = await failure(create({ ClientName: 'x'.repeat(129) }));
    expect(long.message).toContain('Member must have length less than or equal to 128');
    const missing = await failure(
      f.cognito.send(new CreateUserPoolClientCommand({ UserPoolId: poolId } as never)),
    );
    expect(missing.message).toContain("Value null at 'clientName'");
  });

  it('takes RefreshTokenValidity in days by default, or in the units TokenValidityUnits gives', async () => {
    const { UserPoolClient } = await create({
      RefreshTokenValidity: 90,
      AccessTokenValidity: 15,
      IdTokenValidity: 2,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'hours', RefreshToken: 'minutes' },
    });
    expect(UserPoolClient).toMatchObject({
      RefreshTokenValidity: 90,
      AccessTokenValidity: 15,
      IdTokenValidity: 2,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'hours', RefreshToken: 'minutes' },
    });
  });

  it('answers RefreshTokenValidity 0 with the 30-day default', async () => {
    const { UserPoolClient } = await create({ RefreshTokenValidity: 0 });
    expect(UserPoolClient).toMatchObject({
      RefreshTokenValidity: 30,
      TokenValidityUnits: { RefreshToken: 'days' },
    });
  });

  it.each([
    [
      'a refresh token under 60 minutes',
      { RefreshTokenValidity: 59, TokenValidityUnits: { RefreshToken: 'minutes' } },
    ],
    ['a refresh token over ten years', { RefreshTokenValidity: 3651 }],
    [
      'an access token under 5 minutes',
      { AccessTokenValidity: 4, TokenValidityUnits: { AccessToken: 'minutes' } },
    ],
    ['an ID token over a day', { IdTokenValidity: 25 }],
  ])('refuses %s: "Invalid range for token validity."', async (_, input) => {
    expect(await failure(create(input))).toEqual({
      name: InvalidParameterException.name,
      message: 'Invalid range for token validity.',
    });
  });

  it('refuses a validity beyond the model range before the unit is considered', async () => {
    const error = await failure(create({ AccessTokenValidity: 86401 }));
    expect(error.message).toContain(
      "Value '86401' at 'accessTokenValidity' failed to satisfy constraint: Member must have value less than or equal to 86400",
    );
  });

  it('keeps ReadAttributes and WriteAttributes that name pool attributes', async () => {
    const { UserPoolClient } = await create({
      ReadAttributes: ['email', 'email_verified', 'custom:tier', 'given_name'],
      WriteAttributes: ['email', 'custom:tier', 'given_name'],
    });
    expect(UserPoolClient).toMatchObject({
      ReadAttributes: ['email', 'email_verified', 'custom:tier', 'given_name'],
      WriteAttributes: ['email', 'custom:tier', 'given_name'],
    });
  });

  it.each([
    [
      'an attribute the pool lacks',
      { ReadAttributes: ['custom:nope'] },
      'Invalid read attributes specified while creating a client',
    ],
    [
      'email_verified as writable',
      { WriteAttributes: ['email_verified', 'given_name'] },
      'Invalid write attributes specified while creating a client',
    ],
    [
      'write attributes without a required one',
      { WriteAttributes: ['email'] },
      'Invalid write attributes specified while creating a client',
    ],
  ])('refuses %s', async (_, input, message) => {
    expect(await failure(create(input))).toEqual({ name: InvalidParameterException.name, message });
  });

  it('answers ResourceNotFoundException for a pool or client that does not exist', async () => {
    const pool = await failure(
      f.cognito.send(
        new CreateUserPoolClientCommand({ UserPoolId: 'us-east-1_nothere', ClientName: 'x' }),
      ),
    );
    expect(pool).toEqual({
      name: ResourceNotFoundException.name,
      message: 'User pool us-east-1_nothere does not exist.',
    });
    const client = await failure(
      f.cognito.send(
        new DescribeUserPoolClientCommand({
          UserPoolId: poolId,
          ClientId: 'abcdefghijklmnopqrstuvwxyz',
        }),
      ),
    );
    expect(client).toEqual({
      name: ResourceNotFoundException.name,
      message: 'User pool client abcdefghijklmnopqrstuvwxyz does not exist.',
    });
  });

  it('does not find a client through another pool', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const other = await createPool(f.cognito);
    const error = await failure(
      f.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: other, ClientId })),
    );
    expect(error.name).toBe(ResourceNotFoundException.name);
  });
});

describe('UpdateUserPoolClient', () => {
  it('replaces the configuration: members left out go back to their defaults, the name and secret stay', async () => {
    const { UserPoolClient } = await create({
      GenerateSecret: true,
      ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH'],
      RefreshTokenValidity: 7,
      ReadAttributes: ['email'],
    });
    const clientId = UserPoolClient?.ClientId as string;
    const { UserPoolClient: updated } = await f.cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
      }),
    );
    expect(updated).toMatchObject({
      ClientName: 'web',
      ClientSecret: UserPoolClient?.ClientSecret,
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
      RefreshTokenValidity: 30,
    });
    expect(updated?.ReadAttributes).toBeUndefined();
    expect(Number(updated?.LastModifiedDate)).toBeGreaterThanOrEqual(
      Number(UserPoolClient?.LastModifiedDate),
    );
    expect(await describeClient(clientId)).toEqual(updated);
  });

  it('renames, and applies the same rules as Create', async () => {
    const { UserPoolClient } = await create();
    const clientId = UserPoolClient?.ClientId as string;
    const renamed = await f.cognito.send(
      new UpdateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        ClientName: 'mobile',
      }),
    );
    expect(renamed.UserPoolClient?.ClientName).toBe('mobile');
    const mixed = await failure(
      f.cognito.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientId: clientId,
          ExplicitAuthFlows: ['USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'],
        }),
      ),
    );
    expect(mixed.name).toBe(InvalidParameterException.name);
    const write = await failure(
      f.cognito.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientId: clientId,
          WriteAttributes: ['sub', 'given_name'],
        }),
      ),
    );
    expect(write.message).toBe('Invalid write attributes specified while updating a client');
  });

  it('answers ResourceNotFoundException for an unknown client', async () => {
    const error = await failure(
      f.cognito.send(
        new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: 'nothere1234' }),
      ),
    );
    expect(error.name).toBe(ResourceNotFoundException.name);
  });
});

describe('ListUserPoolClients and DeleteUserPoolClient', () => {
  it('lists a pool clients in pages, then deletes one so Describe no longer finds it', async () => {
    const pool = await createPool(f.cognito);
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three'])
      ids.push((await createClient(f.cognito, pool, { ClientName: name })).ClientId);
    const first = await f.cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId: pool, MaxResults: 2 }),
    );
    expect(first.UserPoolClients).toEqual([
      { ClientId: ids[0], UserPoolId: pool, ClientName: 'one' },
      { ClientId: ids[1], UserPoolId: pool, ClientName: 'two' },
    ]);
    expect(first.NextToken).toBeTruthy();
    const second = await f.cognito.send(
      new ListUserPoolClientsCommand({
        UserPoolId: pool,
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.UserPoolClients?.map((c) => c.ClientName)).toEqual(['three']);
    expect(second.NextToken).toBeUndefined();

    await f.cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: pool, ClientId: ids[1] }));
    const after = await f.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: pool }));
    expect(after.UserPoolClients?.map((c) => c.ClientName)).toEqual(['one', 'three']);
    const gone = await failure(
      f.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: pool, ClientId: ids[1] })),
    );
    expect(gone.name).toBe(ResourceNotFoundException.name);
    const again = await failure(
      f.cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: pool, ClientId: ids[1] })),
    );
    expect(again.name).toBe(ResourceNotFoundException.name);
  });

  it('refuses a pagination token from another pool, and MaxResults over 60', async () => {
    const pool = await createPool(f.cognito);
    await createClient(f.cognito, pool);
    await createClient(f.cognito, pool);
    const page = await f.cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId: pool, MaxResults: 1 }),
    );
    const foreign = await failure(
      f.cognito.send(
        new ListUserPoolClientsCommand({ UserPoolId: poolId, NextToken: page.NextToken }),
      ),
    );
    expect(foreign.name).toBe(InvalidParameterException.name);
    const tooMany = await failure(
      f.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: pool, MaxResults: 61 })),
    );
    expect(tooMany.message).toContain('Member must have value less than or equal to 60');
  });

  it('removes a pool clients with the pool', async () => {
    const pool = await createPool(f.cognito);
    const { ClientId } = await createClient(f.cognito, pool);
    await f.cognito.send(new DeleteUserPoolCommand({ UserPoolId: pool }));
    const error = await failure(
      f.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: pool, ClientId })),
    );
    expect(error.name).toBe(ResourceNotFoundException.name);
  });

  it('keeps clients across a restart of the twin (SQLite store)', async () => {
    const { ClientId, ClientSecret } = await createClient(f.cognito, poolId, {
      GenerateSecret: true,
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
    });
    await f.restart();
    const described = await describeClient(ClientId);
    expect(described).toMatchObject({
      ClientSecret,
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
    });
  });
});
