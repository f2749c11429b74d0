import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  CodeMismatchException,
  ConfirmForgotPasswordCommand,
  ExpiredCodeException,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  InvalidParameterException,
  InvalidPasswordException,
  LimitExceededException,
  NotAuthorizedException,
  PasswordResetRequiredException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { argon2id, bcrypt } from 'hash-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../../../twin/cognito/index.ts';
import { importCsv, startTwinFixture, type TwinFixture } from '../../helpers/cognito-twin.ts';
import {
  confirmedUser,
  createClient,
  createPool,
  failure,
  importUsers,
  latestCode,
  OTHER_PASSWORD,
  PASSWORD,
} from './helpers.ts';

let f: TwinFixture;
let poolId: string;
let clientId: string;
beforeAll(async () => {
  f = await startTwinFixture();
  poolId = await createPool(f.cognito);
  clientId = (await createClient(f.cognito, poolId)).ClientId;
});
afterAll(async () => {
  await f.stop();
});

const signIn = (username: string, password: string, client = clientId) =>
  f.cognito.send(
    new InitiateAuthCommand({
      ClientId: client,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
const forgot = (username: string, client = clientId) =>
  f.cognito.send(new ForgotPasswordCommand({ ClientId: client, Username: username }));
const confirm = (username: string, code: string, password: string, client = clientId) =>
  f.cognito.send(
    new ConfirmForgotPasswordCommand({
      ClientId: client,
      Username: username,
      ConfirmationCode: code,
      Password: password,
    }),
  );
const statusOf = async (username: string, pool = poolId) =>
  (await f.cognito.send(new AdminGetUserCommand({ UserPoolId: pool, Username: username })))
    .UserStatus;

describe('ForgotPassword and ConfirmForgotPassword', () => {
  it('puts the code in the mailbox, readable in-process and over /_twin/mailbox', async () => {
    await importUsers(f, poolId, ['mailbox.user']);
    await forgot('mailbox.user');
    const [message] = f.twin.mailbox(poolId, 'mailbox.user');
    expect(message).toMatchObject({
      purpose: 'ForgotPassword',
      deliveryMedium: 'EMAIL',
      attributeName: 'email',
      destination: 'mailbox.user@example.com',
      clientId,
    });
    expect(await latestCode(f, poolId, 'mailbox.user')).toBe(message?.code);
    const unknownPool = await fetch(
      `${f.twin.endpoint}/_twin/mailbox?pool=us-east-1_none&username=x`,
    );
    expect(unknownPool.status).toBe(404);
    const noQuery = await fetch(`${f.twin.endpoint}/_twin/mailbox`);
    expect(noQuery.status).toBe(400);
  });

  it('sends by SMS when the pool recovers by phone first and the phone is verified', async () => {
    const pool = await createPool(f.cognito, {
      AutoVerifiedAttributes: ['phone_number'],
      AccountRecoverySetting: {
        RecoveryMechanisms: [
          { Name: 'verified_phone_number', Priority: 1 },
          { Name: 'verified_email', Priority: 2 },
        ],
      },
    });
    await importCsv(
      f,
      pool,
      'cognito:username,phone_number,phone_number_verified\nkatherine.johnson,+15550100123,true',
    );
    const client = await createClient(f.cognito, pool);
    const out = await forgot('katherine.johnson', client.ClientId);
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: '+*******0123',
      DeliveryMedium: 'SMS',
      AttributeName: 'phone_number',
    });
  });

  it('refuses a pool that recovers accounts by admin only: "Contact administrator to reset password."', async () => {
    const pool = await createPool(f.cognito, {
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] },
    });
    await importUsers(f, pool, ['admin.only']);
    const client = await createClient(f.cognito, pool);
    expect(await failure(forgot('admin.only', client.ClientId))).toEqual({
      name: NotAuthorizedException.name,
      message: 'Contact administrator to reset password.',
    });
  });

  it('answers an unknown user per PreventUserExistenceErrors: UserNotFoundException, or a simulated delivery', async () => {
    expect(await failure(forgot('nobody'))).toEqual({
      name: UserNotFoundException.name,
      message: 'Username/client id combination not found.',
    });
    const hidden = await createClient(f.cognito, poolId, { PreventUserExistenceErrors: 'ENABLED' });
    const out = await forgot('nobody', hidden.ClientId);
    expect(out.CodeDeliveryDetails?.DeliveryMedium).toBe('EMAIL');
    expect(await failure(confirm('nobody', '123456', PASSWORD, hidden.ClientId))).toEqual({
      name: CodeMismatchException.name,
      message: 'Invalid verification code provided, please try again.',
    });
    expect((await failure(confirm('nobody', '123456', PASSWORD))).name).toBe(
      UserNotFoundException.name,
    );
  });

  it('refuses a user with a temporary password: "User password cannot be reset in the current state."', async () => {
    await importUsers(f, poolId, ['temporary.user']);
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'temporary.user',
        Password: PASSWORD,
        Permanent: false,
      }),
    );
    expect(await failure(forgot('temporary.user'))).toEqual({
      name: NotAuthorizedException.name,
      message: 'User password cannot be reset in the current state.',
    });
  });

  it('refuses a wrong code (CodeMismatchException), then five wrong tries (LimitExceededException)', async () => {
    await importUsers(f, poolId, ['wrong.code']);
    await forgot('wrong.code');
    const code = await latestCode(f, poolId, 'wrong.code');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++)
      expect((await failure(confirm('wrong.code', wrong, PASSWORD))).name).toBe(
        CodeMismatchException.name,
      );
    expect(await failure(confirm('wrong.code', code, PASSWORD))).toEqual({
      name: LimitExceededException.name,
      message: 'Attempt limit exceeded, please try after some time.',
    });
    // A new code starts over.
    await forgot('wrong.code');
    await confirm('wrong.code', await latestCode(f, poolId, 'wrong.code'), PASSWORD);
    expect(await statusOf('wrong.code')).toBe('CONFIRMED');
  });

  it('refuses a code after an hour (ExpiredCodeException), and a code nobody asked for', async () => {
    let clock = Date.now();
    const g = await startTwinFixture({ now: () => clock });
    try {
      const pool = await createPool(g.cognito);
      await importUsers(g, pool, ['late.user']);
      const client = await createClient(g.cognito, pool);
      const confirmIt = (code: string) =>
        g.cognito.send(
          new ConfirmForgotPasswordCommand({
            ClientId: client.ClientId,
            Username: 'late.user',
            ConfirmationCode: code,
            Password: PASSWORD,
          }),
        );
      expect((await failure(confirmIt('123456'))).name).toBe(ExpiredCodeException.name);
      await g.cognito.send(
        new ForgotPasswordCommand({ ClientId: client.ClientId, Username: 'late.user' }),
      );
      const code = g.twin.mailbox(pool, 'late.user')[0]?.code as string;
      clock += 61 * 60_000;
      expect(await failure(confirmIt(code))).toEqual({
        name: ExpiredCodeException.name,
        message: 'Invalid code provided, please request a code again.',
      });
    } finally {
      await g.stop();
    }
  });

  it("applies the pool's password policy: InvalidPasswordException, and the code still works after", async () => {
    await importUsers(f, poolId, ['weak.password']);
    await forgot('weak.password');
    const code = await latestCode(f, poolId, 'weak.password');
    for (const [password, reason] of [
      ['Sh0rt!', 'Password not long enough'],
      ['no-digits-Here', 'Password must have numeric characters'],
      ['NoSymbols123', 'Password must have symbol characters'],
      ['lower-only-123', 'Password must have uppercase characters'],
      ['UPPER-ONLY-123', 'Password must have lowercase characters'],
    ])
      expect(await failure(confirm('weak.password', code, password as string))).toEqual({
        name: InvalidPasswordException.name,
        message: `Password does not conform to policy: ${reason}`,
      });
    await confirm('weak.password', code, PASSWORD);
    expect((await signIn('weak.password', PASSWORD)).AuthenticationResult).toBeTruthy();
  });

  it('follows a pool with a relaxed policy', async () => {
    const pool = await createPool(f.cognito, {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 6,
          RequireUppercase: false,
          RequireLowercase: true,
          RequireNumbers: false,
          RequireSymbols: false,
        },
      },
    });
    await importUsers(f, pool, ['relaxed.user']);
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool,
        Username: 'relaxed.user',
        Password: 'simple',
        Permanent: true,
      }),
    );
    expect(await statusOf('relaxed.user', pool)).toBe('CONFIRMED');
  });

  it('requires SECRET_HASH on a client with a secret', async () => {
    await importUsers(f, poolId, ['secret.user']);
    const { ClientId, ClientSecret } = await createClient(f.cognito, poolId, {
      GenerateSecret: true,
    });
    expect((await failure(forgot('secret.user', ClientId))).name).toBe(NotAuthorizedException.name);
    const out = await f.cognito.send(
      new ForgotPasswordCommand({
        ClientId,
        Username: 'secret.user',
        SecretHash: secretHash(ClientSecret as string, 'secret.user', ClientId),
      }),
    );
    expect(out.CodeDeliveryDetails?.AttributeName).toBe('email');
  });
});

describe('AdminSetUserPassword and AdminResetUserPassword', () => {
  it('sets a permanent password (CONFIRMED) or a temporary one (FORCE_CHANGE_PASSWORD)', async () => {
    await importUsers(f, poolId, ['set.permanent', 'set.temporary']);
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'set.permanent',
        Password: PASSWORD,
        Permanent: true,
      }),
    );
    await f.cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: 'set.temporary',
        Password: PASSWORD,
        Permanent: false,
      }),
    );
    expect(await statusOf('set.permanent')).toBe('CONFIRMED');
    expect(await statusOf('set.temporary')).toBe('FORCE_CHANGE_PASSWORD');
    expect((await signIn('set.permanent', PASSWORD)).AuthenticationResult).toBeTruthy();
    expect((await signIn('set.temporary', PASSWORD)).ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  });

  it('refuses a weak password and an unknown user', async () => {
    await importUsers(f, poolId, ['set.weak']);
    expect(
      (
        await failure(
          f.cognito.send(
            new AdminSetUserPasswordCommand({
              UserPoolId: poolId,
              Username: 'set.weak',
              Password: 'weak',
            }),
          ),
        )
      ).name,
    ).toBe(InvalidPasswordException.name);
    expect(
      await failure(
        f.cognito.send(
          new AdminSetUserPasswordCommand({
            UserPoolId: poolId,
            Username: 'nobody',
            Password: PASSWORD,
          }),
        ),
      ),
    ).toEqual({ name: UserNotFoundException.name, message: 'User does not exist.' });
  });

  it('never puts the password in an error message', async () => {
    const error = await failure(
      f.cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: poolId,
          Username: 'nobody',
          Password: 'x'.repeat(257),
        }),
      ),
    );
    expect(error.name).toBe(InvalidParameterException.name);
    expect(error.message).toBe(
      "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
  });

  it('resets a confirmed user to RESET_REQUIRED and mails a code that completes the reset', async () => {
    await confirmedUser(f, poolId, 'reset.me');
    await f.cognito.send(
      new AdminResetUserPasswordCommand({ UserPoolId: poolId, Username: 'reset.me' }),
    );
    expect(await statusOf('reset.me')).toBe('RESET_REQUIRED');
    expect((await failure(signIn('reset.me', PASSWORD))).name).toBe(
      PasswordResetRequiredException.name,
    );
    const [message] = f.twin.mailbox(poolId, 'reset.me');
    expect(message?.purpose).toBe('AdminResetUserPassword');
    await confirm('reset.me', message?.code as string, OTHER_PASSWORD);
    expect(await statusOf('reset.me')).toBe('CONFIRMED');
    expect((await signIn('reset.me', OTHER_PASSWORD)).AuthenticationResult).toBeTruthy();
    expect((await failure(signIn('reset.me', PASSWORD))).name).toBe(NotAuthorizedException.name);
  });

  it('refuses to reset a user without a verified contact, and an unknown user', async () => {
    const pool = await createPool(f.cognito, {
      AutoVerifiedAttributes: ['phone_number'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
    await importCsv(
      f,
      pool,
      'cognito:username,email,email_verified,phone_number,phone_number_verified\nno.contact,n@example.com,false,+15550100999,true',
    );
    expect(
      (
        await failure(
          f.cognito.send(
            new AdminResetUserPasswordCommand({ UserPoolId: pool, Username: 'no.contact' }),
          ),
        )
      ).message,
    ).toBe(
      'Cannot reset password for the user as there is no registered/verified email or phone_number',
    );
    expect(
      (
        await failure(
          f.cognito.send(
            new AdminResetUserPasswordCommand({ UserPoolId: pool, Username: 'nobody' }),
          ),
        )
      ).name,
    ).toBe(UserNotFoundException.name);
  });
});

describe('users imported with a password hash', () => {
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  const importWithHash = async (
    algorithm: 'PBKDF2_SHA256' | 'SCRYPT' | 'BCRYPT' | 'ARGON2ID',
    username: string,
    hash: string,
  ) => {
    const pool = await createPool(f.cognito);
    const job = await importCsv(
      f,
      pool,
      // Cognito's CSV dialect escapes a comma inside a value (ARGON2ID parameters) as \,
      `cognito:username,email,email_verified,password_hash\n${username},${username}@example.com,true,${hash.replace(/,/g, '\\,')}`,
      { PasswordHashingAlgorithm: algorithm },
    );
    expect(job.ImportedUsers).toBe(1);
    expect(await statusOf(username, pool)).toBe('CONFIRMED');
    return { pool, client: (await createClient(f.cognito, pool)).ClientId };
  };

  it('signs in a PBKDF2_SHA256 user with the right password and refuses a wrong one', async () => {
    const salt = randomBytes(16);
    const hash = pbkdf2Sync(PASSWORD, salt, 10_000, 32, 'sha256');
    const { client } = await importWithHash(
      'PBKDF2_SHA256',
      'pbkdf2.user',
      `$pbkdf2-sha256$10000$${b64(salt)}$${b64(hash)}`,
    );
    expect((await failure(signIn('pbkdf2.user', OTHER_PASSWORD, client))).name).toBe(
      NotAuthorizedException.name,
    );
    expect((await signIn('pbkdf2.user', PASSWORD, client)).AuthenticationResult).toBeTruthy();
    // After the first sign-in the password is the pool's own; it keeps working.
    expect((await signIn('pbkdf2.user', PASSWORD, client)).AuthenticationResult).toBeTruthy();
  });

  it('reads PBKDF2 salts and hashes in passlib adapted base64 too', async () => {
    const salt = randomBytes(16);
    const hash = pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256');
    const ab64 = (b: Buffer) => b64(b).replace(/\+/g, '.');
    const { client } = await importWithHash(
      'PBKDF2_SHA256',
      'passlib.user',
      `$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(hash)}`,
    );
    expect((await signIn('passlib.user', PASSWORD, client)).AuthenticationResult).toBeTruthy();
  });

  it('signs in a SCRYPT user with the right password and refuses a wrong one', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 });
    const { client } = await importWithHash(
      'SCRYPT',
      'scrypt.user',
      `16384$8$1$${salt.toString('hex')}$${hash.toString('hex')}`,
    );
    expect((await failure(signIn('scrypt.user', OTHER_PASSWORD, client))).name).toBe(
      NotAuthorizedException.name,
    );
    expect((await signIn('scrypt.user', PASSWORD, client)).AuthenticationResult).toBeTruthy();
  });

  it.each(['2a', '2b', '2y'])(
    'signs in a BCRYPT ($%s$) user with the right password and refuses a wrong one',
    async (variant) => {
      const hash = (
        await bcrypt({ password: PASSWORD, salt: randomBytes(16), costFactor: 4 })
      ).replace(/^\$2[aby]\$/, `$${variant}$`);
      const username = `bcrypt-${variant}.user`;
      const { client } = await importWithHash('BCRYPT', username, hash);
      expect((await failure(signIn(username, OTHER_PASSWORD, client))).name).toBe(
        NotAuthorizedException.name,
      );
      expect((await signIn(username, PASSWORD, client)).AuthenticationResult).toBeTruthy();
      expect((await signIn(username, PASSWORD, client)).AuthenticationResult).toBeTruthy();
    },
  );

  it('reads only the first 72 bytes of a password against a BCRYPT hash, as bcrypt does', async () => {
    const long = `${PASSWORD}${'x'.repeat(80)}`;
    const hash = await bcrypt({
      password: Buffer.from(long).subarray(0, 72),
      salt: randomBytes(16),
      costFactor: 4,
    });
    const { client } = await importWithHash('BCRYPT', 'long.user', hash);
    expect(
      (await signIn('long.user', `${long.slice(0, 72)}different`, client)).AuthenticationResult,
    ).toBeTruthy();
  });

  it('signs in an ARGON2ID user with the right password and refuses a wrong one', async () => {
    const hash = await argon2id({
      password: PASSWORD,
      salt: randomBytes(16),
      iterations: 1,
      memorySize: 64,
      parallelism: 1,
      hashLength: 32,
      outputType: 'encoded',
    });
    const { client } = await importWithHash('ARGON2ID', 'argon2.user', hash);
    expect((await failure(signIn('argon2.user', OTHER_PASSWORD, client))).name).toBe(
      NotAuthorizedException.name,
    );
    expect((await signIn('argon2.user', PASSWORD, client)).AuthenticationResult).toBeTruthy();
  });

  it('refuses a password against an ARGON2ID hash of another argon2 version', async () => {
    // A hash labelled v=16 (argon2 1.0), which the twin does not compute: never a match.
    const hash = (
      await argon2id({
        password: PASSWORD,
        salt: randomBytes(16),
        iterations: 1,
        memorySize: 64,
        parallelism: 1,
        hashLength: 32,
        outputType: 'encoded',
      })
    ).replace('v=19', 'v=16');
    const { client } = await importWithHash('ARGON2ID', 'argon2v16.user', hash);
    expect((await failure(signIn('argon2v16.user', PASSWORD, client))).name).toBe(
      NotAuthorizedException.name,
    );
  });
});

describe('the hashSaltEncoding knob (how Cognito reads a PBKDF2 or SCRYPT salt is not documented)', () => {
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  const importOne = async (
    algorithm: 'PBKDF2_SHA256' | 'SCRYPT',
    username: string,
    hash: string,
  ) => {
    const pool = await createPool(f.cognito);
    const job = await importCsv(
      f,
      pool,
      `cognito:username,email,email_verified,password_hash\n${username},${username}@example.com,true,${hash}`,
      { PasswordHashingAlgorithm: algorithm },
    );
    expect(job.ImportedUsers).toBe(1);
    return (await createClient(f.cognito, pool)).ClientId;
  };

  it('reads salts as text when set to text: the decoded forms then no longer match', async () => {
    const textSalt = 'aBcDeFgHiJkLmNoP';
    const pbkdf2Text = `$pbkdf2-sha256$1000$${textSalt}$${b64(pbkdf2Sync(PASSWORD, textSalt, 1000, 32, 'sha256'))}`;
    const salt = randomBytes(16);
    const pbkdf2Decoded = `$pbkdf2-sha256$1000$${b64(salt)}$${b64(pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256'))}`;
    const hexSalt = 'a1b2c3d4e5f60718';
    const scryptText = `1024$8$1$${hexSalt}$${scryptSync(PASSWORD, hexSalt, 32, { N: 1024, r: 8, p: 1 }).toString('hex')}`;
    const clients = {
      pbkdf2Text: await importOne('PBKDF2_SHA256', 'salt.text', pbkdf2Text),
      pbkdf2Decoded: await importOne('PBKDF2_SHA256', 'salt.decoded', pbkdf2Decoded),
      scryptText: await importOne('SCRYPT', 'scrypt.text', scryptText),
    };
    f.twin.knobs.hashSaltEncoding = 'text';
    try {
      expect(
        (await signIn('salt.text', PASSWORD, clients.pbkdf2Text)).AuthenticationResult,
      ).toBeTruthy();
      expect(
        (await signIn('scrypt.text', PASSWORD, clients.scryptText)).AuthenticationResult,
      ).toBeTruthy();
      expect((await failure(signIn('salt.decoded', PASSWORD, clients.pbkdf2Decoded))).name).toBe(
        NotAuthorizedException.name,
      );
      // Once signed in, the password is the pool's own: the knob no longer applies to it.
      expect(
        (await signIn('salt.text', PASSWORD, clients.pbkdf2Text)).AuthenticationResult,
      ).toBeTruthy();
    } finally {
      f.twin.knobs.hashSaltEncoding = 'decoded';
    }
    expect(
      (await signIn('salt.decoded', PASSWORD, clients.pbkdf2Decoded)).AuthenticationResult,
    ).toBeTruthy();
  });
});

describe('password storage', () => {
  it('keeps no password in the data folder, only salted hashes', async () => {
    await confirmedUser(f, poolId, 'stored.user');
    const dir = join(f.dataDir, 'cognito');
    for (const file of readdirSync(dir)) {
      if (!file.startsWith('cognito.sqlite')) continue;
      const bytes = readFileSync(join(dir, file));
      expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
      expect(bytes.includes(Buffer.from(OTHER_PASSWORD))).toBe(false);
    }
  });
});
