import {
  AdminGetUserCommand,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  InvalidParameterException,
  PasswordResetRequiredException,
} from '@aws-sdk/client-cognito-identity-provider';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv, startTwinFixture, type TwinFixture } from '../../helpers/cognito-twin.ts';
import {
  createClient,
  createPool,
  failure,
  httpJwksCache,
  importUsers,
  latestCode,
  PASSWORD,
} from './helpers.ts';

let f: TwinFixture;
beforeAll(async () => {
  f = await startTwinFixture();
});
afterAll(async () => {
  await f.stop();
});

describe('an imported user, from RESET_REQUIRED to a refreshed session', () => {
  it('is refused sign-in with PasswordResetRequiredException, resets with the mailed code, signs in, verifies and refreshes', async () => {
    const poolId = await createPool(f.cognito);
    await importUsers(f, poolId, ['ada.lovelace']);
    const { ClientId } = await createClient(f.cognito, poolId);
    const signIn = (password: string) =>
      f.cognito.send(
        new InitiateAuthCommand({
          ClientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'ada.lovelace', PASSWORD: password },
        }),
      );

    // 1. Imported: RESET_REQUIRED, whatever password is tried.
    await expect(signIn(PASSWORD)).rejects.toThrow(PasswordResetRequiredException);
    await expect(signIn(PASSWORD)).rejects.toThrow('Password reset required for the user');

    // 2. ForgotPassword sends a code to the verified email: the twin's mailbox has it.
    const forgot = await f.cognito.send(
      new ForgotPasswordCommand({ ClientId, Username: 'ada.lovelace' }),
    );
    expect(forgot.CodeDeliveryDetails).toEqual({
      Destination: 'a***@e***.com',
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    });
    const code = await latestCode(f, poolId, 'ada.lovelace');
    expect(code).toMatch(/^\d{6}$/);
    await f.cognito.send(
      new ConfirmForgotPasswordCommand({
        ClientId,
        Username: 'ada.lovelace',
        ConfirmationCode: code,
        Password: PASSWORD,
      }),
    );
    const user = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ada.lovelace' }),
    );
    expect(user.UserStatus).toBe('CONFIRMED');

    // 3. First sign-in through the app client.
    const first = await signIn(PASSWORD);
    const tokens = first.AuthenticationResult;
    expect(tokens).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    expect(tokens?.RefreshToken).toBeTruthy();

    // 4. The tokens verify against the twin's JWKS with aws-jwt-verify.
    const issuer = `${f.twin.endpoint}/${poolId}`;
    const verifier = (tokenUse: 'id' | 'access') =>
      JwtVerifier.create(
        {
          issuer,
          audience: null,
          jwksUri: `${issuer}/.well-known/jwks.json`,
          customJwtCheck: ({ payload }) =>
            validateCognitoJwtFields(payload, { tokenUse, clientId: ClientId }),
        },
        { jwksCache: httpJwksCache() },
      );
    const id = await verifier('id').verify(tokens?.IdToken as string);
    expect(id).toMatchObject({
      'cognito:username': 'ada.lovelace',
      email: 'ada.lovelace@example.com',
      email_verified: true,
    });
    const access = await verifier('access').verify(tokens?.AccessToken as string);
    expect(access.sub).toBe(id.sub);

    // 5. Refresh: new ID and access tokens, no new refresh token, same sign-in.
    const refreshed = await f.cognito.send(
      new InitiateAuthCommand({
        ClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: tokens?.RefreshToken as string },
      }),
    );
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
    const again = await verifier('access').verify(
      refreshed.AuthenticationResult?.AccessToken as string,
    );
    expect(again.origin_jti).toBe(access.origin_jti);
    expect(again.jti).not.toBe(access.jti);
    expect(again.auth_time).toBe(access.auth_time);
  });

  it('cannot reset without a verified email or phone number', async () => {
    // The pool verifies phone numbers but recovers accounts by email only; the import carried
    // the email with email_verified false, so there is nothing to send the code to.
    const poolId = await createPool(f.cognito, {
      AutoVerifiedAttributes: ['phone_number'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
    const job = await importCsv(
      f,
      poolId,
      [
        'cognito:username,email,email_verified,phone_number,phone_number_verified',
        'grace.hopper,grace.hopper@example.com,false,+15550100001,true',
      ].join('\n'),
    );
    expect(job.ImportedUsers).toBe(1);
    const { ClientId } = await createClient(f.cognito, poolId);
    const error = await failure(
      f.cognito.send(new ForgotPasswordCommand({ ClientId, Username: 'grace.hopper' })),
    );
    expect(error).toEqual({
      name: InvalidParameterException.name,
      message:
        'Cannot reset password for the user as there is no registered/verified email or phone_number',
    });
  });
});
