import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminSetUserPasswordCommand,
  type AuthFlowType,
  InitiateAuthCommand,
  InvalidParameterException,
  NotAuthorizedException,
  PasswordResetRequiredException,
  ResourceNotFoundException,
  RespondToAuthChallengeCommand,
  UnsupportedOperationException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../../../twin/cognito/index.ts';
import { startTwinFixture, type TwinFixture } from '../../helpers/cognito-twin.ts';
import {
  confirmedUser,
  createClient,
  createPool,
  failure,
  importUsers,
  OTHER_PASSWORD,
  PASSWORD,
} from './helpers.ts';

let f: TwinFixture;
let poolId: string;
beforeAll(async () => {
  f = await startTwinFixture();
  poolId = await createPool(f.cognito);
  await confirmedUser(f, poolId, 'alan.turing');
  await importUsers(f, poolId, ['edsger.dijkstra']);
});
afterAll(async () => {
  await f.stop();
});

const userAuth = (clientId: string, flow: AuthFlowType, parameters: Record<string, string>) =>
  f.cognito.send(
    new InitiateAuthCommand({ ClientId: clientId, AuthFlow: flow, AuthParameters: parameters }),
  );
const adminAuth = (
  clientId: string,
  flow: AuthFlowType,
  parameters: Record<string, string>,
  pool = poolId,
) =>
  f.cognito.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool,
      ClientId: clientId,
      AuthFlow: flow,
      AuthParameters: parameters,
    }),
  );
const credentials = { USERNAME: 'alan.turing', PASSWORD };

describe('password flows', () => {
  it('signs in with USER_PASSWORD_AUTH: ID, access and refresh tokens, empty ChallengeParameters', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const out = await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials);
    expect(out.ChallengeParameters).toEqual({});
    expect(out.ChallengeName).toBeUndefined();
    expect(out.AuthenticationResult).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
    expect(out.AuthenticationResult?.IdToken?.split('.')).toHaveLength(3);
    expect(out.AuthenticationResult?.AccessToken?.split('.')).toHaveLength(3);
    expect(out.AuthenticationResult?.RefreshToken?.split('.')).toHaveLength(5);
  });

  it.each(['ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH'] as const)(
    'signs in with AdminInitiateAuth %s',
    async (flow) => {
      const { ClientId } = await createClient(f.cognito, poolId);
      const out = await adminAuth(ClientId, flow, credentials);
      expect(out.AuthenticationResult?.AccessToken).toBeTruthy();
    },
  );

  it('accepts the legacy client flow names: ADMIN_NO_SRP_AUTH and USER_PASSWORD_AUTH', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH', 'USER_PASSWORD_AUTH'],
    });
    expect(
      (await adminAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', credentials)).AuthenticationResult,
    ).toBeTruthy();
    expect(
      (await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials)).AuthenticationResult,
    ).toBeTruthy();
  });

  it('refuses a wrong password with NotAuthorizedException "Incorrect username or password."', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    expect(
      await failure(
        userAuth(ClientId, 'USER_PASSWORD_AUTH', { ...credentials, PASSWORD: OTHER_PASSWORD }),
      ),
    ).toEqual({ name: NotAuthorizedException.name, message: 'Incorrect username or password.' });
  });

  it('answers an unknown user with UserNotFoundException (LEGACY, the API default) or NotAuthorizedException (ENABLED)', async () => {
    const legacy = await createClient(f.cognito, poolId);
    expect(
      await failure(
        userAuth(legacy.ClientId, 'USER_PASSWORD_AUTH', { ...credentials, USERNAME: 'nobody' }),
      ),
    ).toEqual({ name: UserNotFoundException.name, message: 'User does not exist.' });
    const hidden = await createClient(f.cognito, poolId, { PreventUserExistenceErrors: 'ENABLED' });
    expect(
      await failure(
        userAuth(hidden.ClientId, 'USER_PASSWORD_AUTH', { ...credentials, USERNAME: 'nobody' }),
      ),
    ).toEqual({ name: NotAuthorizedException.name, message: 'Incorrect username or password.' });
  });

  it('refuses an imported RESET_REQUIRED user with PasswordResetRequiredException, existence errors hidden or not', async () => {
    for (const prevent of ['LEGACY', 'ENABLED'] as const) {
      const { ClientId } = await createClient(f.cognito, poolId, {
        PreventUserExistenceErrors: prevent,
      });
      expect(
        await failure(
          userAuth(ClientId, 'USER_PASSWORD_AUTH', { USERNAME: 'edsger.dijkstra', PASSWORD }),
        ),
      ).toEqual({
        name: PasswordResetRequiredException.name,
        message: 'Password reset required for the user',
      });
      expect(
        (
          await failure(
            adminAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', {
              USERNAME: 'edsger.dijkstra',
              PASSWORD,
            }),
          )
        ).name,
      ).toBe(PasswordResetRequiredException.name);
    }
  });

  it('asks for the missing USERNAME or PASSWORD', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    expect(await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', { PASSWORD }))).toEqual({
      name: InvalidParameterException.name,
      message: 'Missing required parameter USERNAME',
    });
    expect(
      await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', { USERNAME: 'alan.turing' })),
    ).toEqual({
      name: InvalidParameterException.name,
      message: 'Missing required parameter PASSWORD',
    });
  });

  it('answers ResourceNotFoundException for an unknown client, and for a client of another pool', async () => {
    expect(
      await failure(userAuth('abcdefghijklmnopqrstuvwxyz', 'USER_PASSWORD_AUTH', credentials)),
    ).toEqual({
      name: ResourceNotFoundException.name,
      message: 'User pool client abcdefghijklmnopqrstuvwxyz does not exist.',
    });
    const other = await createPool(f.cognito);
    const { ClientId } = await createClient(f.cognito, other);
    expect((await failure(adminAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', credentials))).name).toBe(
      ResourceNotFoundException.name,
    );
  });
});

describe('flows the client does not allow', () => {
  it('refuses USER_PASSWORD_AUTH on a client without it: "USER_PASSWORD_AUTH flow not enabled for this client"', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
    expect(await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials))).toEqual({
      name: InvalidParameterException.name,
      message: 'USER_PASSWORD_AUTH flow not enabled for this client',
    });
  });

  it('refuses the admin password flows on a client without them: "Auth flow not enabled for this client"', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'],
    });
    for (const flow of ['ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH'] as const)
      expect(await failure(adminAuth(ClientId, flow, credentials))).toEqual({
        name: InvalidParameterException.name,
        message: 'Auth flow not enabled for this client',
      });
  });

  it('refuses the default client (SRP, refresh, custom) any password flow', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, { ExplicitAuthFlows: undefined });
    expect((await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials))).message).toBe(
      'USER_PASSWORD_AUTH flow not enabled for this client',
    );
  });

  it('refuses each flow on the API it does not belong to: "Initiate Auth method not supported."', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    for (const attempt of [
      userAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', credentials),
      userAuth(ClientId, 'ADMIN_NO_SRP_AUTH', credentials),
      adminAuth(ClientId, 'USER_PASSWORD_AUTH', credentials),
    ])
      expect(await failure(attempt)).toEqual({
        name: InvalidParameterException.name,
        message: 'Initiate Auth method not supported.',
      });
  });

  it('lets a CUSTOM_AUTH_FLOW_ONLY client run no flow but the custom one', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
    });
    expect((await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials))).message).toBe(
      'USER_PASSWORD_AUTH flow not enabled for this client',
    );
    expect((await failure(adminAuth(ClientId, 'ADMIN_NO_SRP_AUTH', credentials))).message).toBe(
      'Auth flow not enabled for this client',
    );
    expect(
      await failure(userAuth(ClientId, 'USER_SRP_AUTH', { USERNAME: 'alan.turing', SRP_A: 'ab' })),
    ).toEqual({
      name: InvalidParameterException.name,
      message: 'USER_SRP_AUTH is not enabled for the client.',
    });
    // The custom flow itself needs the pool's Lambda triggers, which this pool does not have.
    expect(await failure(userAuth(ClientId, 'CUSTOM_AUTH', { USERNAME: 'alan.turing' }))).toEqual({
      name: InvalidParameterException.name,
      message: 'Custom auth lambda trigger is not configured for the user pool.',
    });
  });

  it('answers a refresh on a CUSTOM_AUTH_FLOW_ONLY client per the knob: refresh kept by default, refused when set', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'],
    });
    // No sign-in can happen on such a client here, so any refresh token is unknown to it.
    expect(
      await failure(adminAuth(ClientId, 'REFRESH_TOKEN', { REFRESH_TOKEN: 'a.b.c.d.e' })),
    ).toEqual({
      name: NotAuthorizedException.name,
      message: 'Invalid Refresh Token',
    });
    f.twin.knobs.customAuthFlowOnlyRefresh = 'refused';
    try {
      expect(
        await failure(adminAuth(ClientId, 'REFRESH_TOKEN', { REFRESH_TOKEN: 'a.b.c.d.e' })),
      ).toEqual({
        name: InvalidParameterException.name,
        message: 'Refresh Token flow not enabled for this client',
      });
    } finally {
      f.twin.knobs.customAuthFlowOnlyRefresh = 'allowed';
    }
  });

  it('says plainly that the twin has no SRP and runs no Lambda triggers', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH'],
    });
    const srp = await failure(
      userAuth(ClientId, 'USER_SRP_AUTH', { USERNAME: 'alan.turing', SRP_A: 'ab' }),
    );
    expect(srp.name).toBe(UnsupportedOperationException.name);
    expect(srp.message).toMatch(/^The local twin does not implement SRP/);
    const triggered = await createPool(f.cognito, {
      LambdaConfig: {
        DefineAuthChallenge: 'arn:aws:lambda:us-east-1:123456789012:function:define',
      },
    });
    const client = await createClient(f.cognito, triggered, {
      ExplicitAuthFlows: ['ALLOW_CUSTOM_AUTH'],
    });
    const custom = await failure(userAuth(client.ClientId, 'CUSTOM_AUTH', { USERNAME: 'x' }));
    expect(custom.name).toBe(UnsupportedOperationException.name);
    expect(custom.message).toMatch(/does not run Lambda triggers/);
  });
});

describe('refresh tokens', () => {
  it.each(['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN'] as const)(
    '%s returns new ID and access tokens and no refresh token',
    async (flow) => {
      const { ClientId } = await createClient(f.cognito, poolId);
      const signedIn = await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials);
      const token = signedIn.AuthenticationResult?.RefreshToken as string;
      for (const refresh of [
        userAuth(ClientId, flow, { REFRESH_TOKEN: token }),
        adminAuth(ClientId, flow, { REFRESH_TOKEN: token }),
      ]) {
        const out = await refresh;
        expect(out.ChallengeParameters).toEqual({});
        expect(out.AuthenticationResult).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
        expect(out.AuthenticationResult?.RefreshToken).toBeUndefined();
        expect(out.AuthenticationResult?.AccessToken).not.toBe(
          signedIn.AuthenticationResult?.AccessToken,
        );
      }
    },
  );

  it('refuses a refresh on a client without ALLOW_REFRESH_TOKEN_AUTH', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'],
    });
    const signedIn = await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials);
    expect(
      await failure(
        userAuth(ClientId, 'REFRESH_TOKEN_AUTH', {
          REFRESH_TOKEN: signedIn.AuthenticationResult?.RefreshToken as string,
        }),
      ),
    ).toEqual({
      name: InvalidParameterException.name,
      message: 'Refresh Token flow not enabled for this client',
    });
  });

  it('lets a legacy client refresh without naming it, as 2016 clients could', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ExplicitAuthFlows: ['USER_PASSWORD_AUTH'],
    });
    const signedIn = await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials);
    const out = await userAuth(ClientId, 'REFRESH_TOKEN', {
      REFRESH_TOKEN: signedIn.AuthenticationResult?.RefreshToken as string,
    });
    expect(out.AuthenticationResult?.IdToken).toBeTruthy();
  });

  it('refuses a refresh token of another client, or none the twin issued: "Invalid Refresh Token"', async () => {
    const a = await createClient(f.cognito, poolId);
    const b = await createClient(f.cognito, poolId);
    const signedIn = await userAuth(a.ClientId, 'USER_PASSWORD_AUTH', credentials);
    const token = signedIn.AuthenticationResult?.RefreshToken as string;
    for (const attempt of [
      userAuth(b.ClientId, 'REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: token }),
      userAuth(a.ClientId, 'REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: `${token}x` }),
    ])
      expect(await failure(attempt)).toEqual({
        name: NotAuthorizedException.name,
        message: 'Invalid Refresh Token',
      });
    expect(await failure(userAuth(a.ClientId, 'REFRESH_TOKEN_AUTH', {}))).toEqual({
      name: InvalidParameterException.name,
      message: 'Missing required parameter REFRESH_TOKEN',
    });
  });

  it('stops working once the client is deleted', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const signedIn = await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials);
    const { DeleteUserPoolClientCommand } = await import(
      '@aws-sdk/client-cognito-identity-provider'
    );
    await f.cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId }));
    const error = await failure(
      userAuth(ClientId, 'REFRESH_TOKEN_AUTH', {
        REFRESH_TOKEN: signedIn.AuthenticationResult?.RefreshToken as string,
      }),
    );
    expect(error.name).toBe(ResourceNotFoundException.name);
  });
});

describe('refresh token validity, on the twin clock', () => {
  it('honours RefreshTokenValidity: refreshes until it runs out, then "Refresh Token has expired"', async () => {
    let clock = Date.now();
    const g = await startTwinFixture({ now: () => clock });
    try {
      const pool = await createPool(g.cognito);
      await confirmedUser(g, pool, 'grace.hopper');
      const { ClientId } = await createClient(g.cognito, pool, {
        RefreshTokenValidity: 60,
        TokenValidityUnits: { RefreshToken: 'minutes' },
      });
      const signedIn = await g.cognito.send(
        new InitiateAuthCommand({
          ClientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'grace.hopper', PASSWORD },
        }),
      );
      const refresh = () =>
        g.cognito.send(
          new InitiateAuthCommand({
            ClientId,
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            AuthParameters: {
              REFRESH_TOKEN: signedIn.AuthenticationResult?.RefreshToken as string,
            },
          }),
        );
      clock += 59 * 60_000;
      expect((await refresh()).AuthenticationResult?.AccessToken).toBeTruthy();
      clock += 60_000;
      expect(await failure(refresh())).toEqual({
        name: NotAuthorizedException.name,
        message: 'Refresh Token has expired',
      });
    } finally {
      await g.stop();
    }
  });
});

describe('clients with a secret', () => {
  it('requires SECRET_HASH = Base64(HMAC_SHA256(secret, username + clientId)) and checks it', async () => {
    const { ClientId, ClientSecret } = await createClient(f.cognito, poolId, {
      GenerateSecret: true,
    });
    expect(await failure(userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials))).toEqual({
      name: NotAuthorizedException.name,
      message: `Client ${ClientId} is configured for secret but secret was not received`,
    });
    expect(
      await failure(
        userAuth(ClientId, 'USER_PASSWORD_AUTH', {
          ...credentials,
          SECRET_HASH: secretHash(ClientSecret as string, 'someone.else', ClientId),
        }),
      ),
    ).toEqual({
      name: NotAuthorizedException.name,
      message: `Unable to verify secret hash for client ${ClientId}`,
    });
    const out = await userAuth(ClientId, 'USER_PASSWORD_AUTH', {
      ...credentials,
      SECRET_HASH: secretHash(ClientSecret as string, 'alan.turing', ClientId),
    });
    expect(out.AuthenticationResult?.RefreshToken).toBeTruthy();
  });

  it('checks SECRET_HASH on refresh too, computed with the username or the sub', async () => {
    const { ClientId, ClientSecret } = await createClient(f.cognito, poolId, {
      GenerateSecret: true,
    });
    const secret = ClientSecret as string;
    const signedIn = await adminAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', {
      ...credentials,
      SECRET_HASH: secretHash(secret, 'alan.turing', ClientId),
    });
    const token = signedIn.AuthenticationResult?.RefreshToken as string;
    const sub = JSON.parse(
      Buffer.from(
        signedIn.AuthenticationResult?.AccessToken?.split('.')[1] as string,
        'base64url',
      ).toString(),
    ).sub as string;
    expect(
      (await failure(adminAuth(ClientId, 'REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: token }))).message,
    ).toBe(`Client ${ClientId} is configured for secret but secret was not received`);
    for (const name of ['alan.turing', sub]) {
      const out = await adminAuth(ClientId, 'REFRESH_TOKEN_AUTH', {
        REFRESH_TOKEN: token,
        SECRET_HASH: secretHash(secret, name, ClientId),
      });
      expect(out.AuthenticationResult?.IdToken).toBeTruthy();
    }
    expect(
      (
        await failure(
          adminAuth(ClientId, 'REFRESH_TOKEN_AUTH', {
            REFRESH_TOKEN: token,
            SECRET_HASH: secretHash(secret, 'nobody', ClientId),
          }),
        )
      ).message,
    ).toBe(`Unable to verify secret hash for client ${ClientId}`);
  });
});

describe('users who sign in with an email (UsernameAttributes)', () => {
  it('signs the user in with the email the pool uses as username', async () => {
    const pool = await createPool(f.cognito, { UsernameAttributes: ['email'] });
    // The pool names its users by a generated id: the administrator sets the password by email.
    await confirmedUser(f, pool, 'b7c1d2e3-0000-4000-8000-000000000001', {
      login: 'b7c1d2e3-0000-4000-8000-000000000001@example.com',
    });
    const { ClientId } = await createClient(f.cognito, pool);
    const out = await userAuth(ClientId, 'USER_PASSWORD_AUTH', {
      USERNAME: 'b7c1d2e3-0000-4000-8000-000000000001@example.com',
      PASSWORD,
    });
    expect(out.AuthenticationResult?.AccessToken).toBeTruthy();
  });
});

describe('temporary passwords (AdminSetUserPassword with Permanent false)', () => {
  it('answers NEW_PASSWORD_REQUIRED, and RespondToAuthChallenge sets the new password and signs in', async () => {
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'alan.turing',
        Password: OTHER_PASSWORD,
        Permanent: false,
      }),
    );
    const { ClientId } = await createClient(f.cognito, poolId);
    const challenge = await userAuth(ClientId, 'USER_PASSWORD_AUTH', {
      USERNAME: 'alan.turing',
      PASSWORD: OTHER_PASSWORD,
    });
    expect(challenge.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(challenge.Session?.length).toBeGreaterThanOrEqual(20);
    expect(challenge.ChallengeParameters).toMatchObject({
      USER_ID_FOR_SRP: 'alan.turing',
      requiredAttributes: '[]',
    });
    expect(JSON.parse(challenge.ChallengeParameters?.userAttributes as string)).toMatchObject({
      email: 'alan.turing@example.com',
    });
    const wrong = await failure(
      f.cognito.send(
        new RespondToAuthChallengeCommand({
          ClientId,
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: 'x'.repeat(40),
          ChallengeResponses: { USERNAME: 'alan.turing', NEW_PASSWORD: PASSWORD },
        }),
      ),
    );
    expect(wrong).toEqual({
      name: NotAuthorizedException.name,
      message: 'Invalid session for the user.',
    });
    const done = await f.cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: challenge.Session,
        ChallengeResponses: { USERNAME: 'alan.turing', NEW_PASSWORD: PASSWORD },
      }),
    );
    expect(done.AuthenticationResult?.RefreshToken).toBeTruthy();
    expect(
      (await userAuth(ClientId, 'USER_PASSWORD_AUTH', credentials)).AuthenticationResult,
    ).toBeTruthy();
  });

  it('answers the same through AdminRespondToAuthChallenge', async () => {
    await confirmedUser(f, poolId, 'barbara.liskov');
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'barbara.liskov',
        Password: OTHER_PASSWORD,
      }),
    );
    const { ClientId } = await createClient(f.cognito, poolId);
    const challenge = await adminAuth(ClientId, 'ADMIN_USER_PASSWORD_AUTH', {
      USERNAME: 'barbara.liskov',
      PASSWORD: OTHER_PASSWORD,
    });
    const done = await f.cognito.send(
      new AdminRespondToAuthChallengeCommand({
        UserPoolId: poolId,
        ClientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: challenge.Session,
        ChallengeResponses: { USERNAME: 'barbara.liskov', NEW_PASSWORD: PASSWORD },
      }),
    );
    expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('refuses a temporary password after TemporaryPasswordValidityDays', async () => {
    let clock = Date.now();
    const g = await startTwinFixture({ now: () => clock });
    try {
      const pool = await createPool(g.cognito);
      await importUsers(g, pool, ['frances.allen']);
      await g.cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool,
          Username: 'frances.allen',
          Password: PASSWORD,
        }),
      );
      const { ClientId } = await createClient(g.cognito, pool);
      clock += 8 * 86_400_000;
      const error = await failure(
        g.cognito.send(
          new InitiateAuthCommand({
            ClientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'frances.allen', PASSWORD },
          }),
        ),
      );
      expect(error).toEqual({
        name: NotAuthorizedException.name,
        message: 'Temporary password has expired and must be reset by an administrator.',
      });
    } finally {
      await g.stop();
    }
  });
});
