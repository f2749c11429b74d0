import {
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { importCsv, type TwinFixture } from '../../helpers/cognito-twin.ts';

/** A password that satisfies Cognito's default policy; tests never print it. */
export const PASSWORD = 'Correct-Horse-9';
export const OTHER_PASSWORD = 'Battery-Staple-7';

export async function createPool(
  cognito: CognitoIdentityProviderClient,
  input: Partial<CreateUserPoolCommandInput> = {},
): Promise<string> {
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({ PoolName: 'auth', AutoVerifiedAttributes: ['email'], ...input }),
  );
  return UserPool?.Id as string;
}

export async function createClient(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  input: Partial<CreateUserPoolClientCommandInput> = {},
) {
  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'app',
      ExplicitAuthFlows: [
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_ADMIN_USER_PASSWORD_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ],
      ...input,
    }),
  );
  return UserPoolClient as { ClientId: string; ClientSecret?: string };
}

/** Imports users (RESET_REQUIRED) with verified emails, as a migration would. */
export async function importUsers(f: TwinFixture, poolId: string, usernames: string[]) {
  const rows = usernames.map((name) => `${name},${name}@example.com,true`);
  const job = await importCsv(
    f,
    poolId,
    ['cognito:username,email,email_verified', ...rows].join('\n'),
  );
  if (job.ImportedUsers !== usernames.length)
    throw new Error(`imported ${job.ImportedUsers} of ${usernames.length}`);
}

/**
 * A CONFIRMED user with PASSWORD, made the way an administrator would; `login` names the user to
 * AdminSetUserPassword when the pool does not keep the file's username (an email-username pool).
 */
export async function confirmedUser(
  f: TwinFixture,
  poolId: string,
  username: string,
  options: { login?: string } = {},
) {
  await importUsers(f, poolId, [username]);
  await f.cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: poolId,
      Username: options.login ?? username,
      Password: PASSWORD,
      Permanent: true,
    }),
  );
}

/** The newest code in the twin's mailbox for a user, read over its control endpoint. */
export async function latestCode(f: TwinFixture, poolId: string, username: string) {
  const url = `${f.twin.endpoint}/_twin/mailbox?pool=${encodeURIComponent(poolId)}&username=${encodeURIComponent(username)}`;
  const response = await fetch(url);
  const body = (await response.json()) as { messages: { code: string }[] };
  const code = body.messages[0]?.code;
  if (!code) throw new Error('no message in the mailbox');
  return code;
}

/**
 * aws-jwt-verify fetches JWKS over https only; the twin serves http, so fetch it with fetch().
 * One immediate retry, as aws-jwt-verify's own fetcher does (a kept-alive socket to a twin that
 * restarted fails once).
 */
export const httpJwksCache = () =>
  new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        const get = async () => {
          const response = await fetch(uri);
          if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`);
          return response.arrayBuffer();
        };
        try {
          return await get();
        } catch {
          return get();
        }
      },
    },
  });

/** The error a command failed with (name and message), for asserting refusals. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error;
    return { name: e.name, message: e.message };
  }
  throw new Error('expected the command to fail');
}
