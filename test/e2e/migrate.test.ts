/**
 * The migration path end to end, as a team would run it: an export made the way each provider
 * makes it (with users whose passwords are known), `cognito-import convert`, `cognito-import run`
 * with no options, then each user signs in on the twin with USER_PASSWORD_AUTH: those whose hash
 * Cognito can take with their old password (a wrong one is refused), the others are asked to
 * reset. Auth0's migration runs the commands as child processes, as a user runs them; the others
 * call the same command functions in-process, which saves a Node start per command.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/cli/convert.ts';
import type { Io } from '../../src/cli/io.ts';
import { rehearse } from '../../src/cli/rehearse.ts';
import { run } from '../../src/cli/run.ts';
import { validate } from '../../src/cli/validate.ts';
import { readEnvConfig } from '../../src/config.ts';
import { startCognitoTwin } from '../../twin/cognito/index.ts';
import {
  auth0Export,
  csvExport,
  djangoExport,
  type ExpectedUser,
  firebaseExport,
  type GeneratedExport,
  keycloakExport,
  supabaseExport,
} from '../helpers/exports.ts';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cognito-import.ts');

/** Runs a command: in a child process, or in this process through the command's function. */
async function cli(args: string[], inProcess = false) {
  if (inProcess) {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      out: (line) => void out.push(line),
      err: (line) => void err.push(line),
      errRaw: () => {},
      isTty: false,
    };
    const [command, ...rest] = args;
    const config = readEnvConfig({});
    const code =
      command === 'convert'
        ? await convert(rest, io)
        : command === 'run'
          ? await run(rest, io, config)
          : await rehearse(rest, io, config);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }
  try {
    const {
      AWS_ENDPOINT_URL: _a,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: _c,
      ...env
    } = process.env;
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'migrate-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A Cognito twin on a data folder, with a client that signs users in with their password. */
async function onTwin<T>(
  dataDir: string,
  work: (cognito: CognitoIdentityProviderClient) => Promise<T>,
): Promise<T> {
  const twin = await startCognitoTwin({ dataDir });
  const cognito = new CognitoIdentityProviderClient({
    endpoint: twin.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    return await work(cognito);
  } finally {
    cognito.destroy();
    await twin.close();
  }
}

const outcomeOf = async (cognito: CognitoIdentityProviderClient, poolId: string) => {
  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'migrated-app',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const clientId = UserPoolClient?.ClientId as string;
  return async (username: string, password: string) => {
    try {
      const answer = await cognito.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      );
      return answer.AuthenticationResult?.AccessToken ? 'signed in' : 'no tokens';
    } catch (error) {
      return (error as Error).name;
    }
  };
};

interface Migration {
  source: string;
  generated: GeneratedExport;
  convertArgs?: string[];
  /** The algorithms of the import jobs (undefined: the job of the users without a hash). */
  jobs: (string | undefined)[];
  /** Runs before `run`, to make the pool; `run` then takes it with --pool. */
  pool?: (cognito: CognitoIdentityProviderClient) => Promise<string>;
  /** Run the commands as child processes (else through their functions, in this process). */
  childProcesses?: boolean;
}

async function migrate(m: Migration) {
  const dir = mkdtempSync(join(root, `${m.source}-`));
  const exportFile = join(dir, 'export');
  writeFileSync(exportFile, m.generated.file);
  const args = ['convert', '--from', m.source, exportFile, '--out', join(dir, 'users.csv')];
  if (m.generated.passwords) {
    writeFileSync(join(dir, 'passwords.json'), m.generated.passwords);
    args.push('--passwords', join(dir, 'passwords.json'));
  }
  const inProcess = !m.childProcesses;
  const converted = await cli([...args, ...(m.convertArgs ?? []), '--json'], inProcess);
  expect(converted.stderr).toBe('');
  expect(converted.code).toBe(0);
  const report = JSON.parse(converted.stdout);
  expect(report.converted).toBe(m.generated.users.length);
  // The users left out are listed, with the reason, beside the output; none is in it.
  const listed = readFileSync(join(dir, 'users.left-out.csv'), 'utf8').trim().split('\n');
  expect(listed.length - 1).toBe(Object.keys(m.generated.leftOut).length);
  const output = readFileSync(join(dir, 'users.csv'), 'utf8');
  for (const id of Object.keys(m.generated.leftOut)) expect(output).not.toContain(`${id},`);

  const dataDir = join(dir, 'data');
  const poolId = m.pool ? await onTwin(dataDir, m.pool) : undefined;
  const imported = await cli(
    [
      'run',
      join(dir, 'users.csv'),
      '--data-dir',
      dataDir,
      '--json',
      ...(poolId ? ['--pool', poolId] : []),
    ],
    inProcess,
  );
  expect(imported.code, imported.stderr).toBe(0);
  const outcome = JSON.parse(imported.stdout);
  expect(outcome.status).toBe('SUCCEEDED');
  expect(outcome.totals).toMatchObject({
    imported: m.generated.users.length,
    skipped: 0,
    failed: 0,
  });
  expect(
    outcome.jobs.map((j: { passwordHashingAlgorithm?: string }) => j.passwordHashingAlgorithm),
  ).toEqual(m.jobs);

  await onTwin(dataDir, async (cognito) => {
    const { Users } = await cognito.send(new ListUsersCommand({ UserPoolId: outcome.userPoolId }));
    expect(Users?.map((u) => u.Username).sort()).toEqual(
      m.generated.users.map((u) => u.username).sort(),
    );
    const signIn = await outcomeOf(cognito, outcome.userPoolId);
    const other = (user: ExpectedUser) =>
      (m.generated.users.find((u) => u !== user) as ExpectedUser).password;
    for (const user of m.generated.users) {
      if (user.keeps) {
        expect(await signIn(user.username, other(user)), user.username).toBe(
          'NotAuthorizedException',
        );
        expect(await signIn(user.username, user.password), user.username).toBe('signed in');
      } else {
        expect(await signIn(user.username, user.password), user.username).toBe(
          'PasswordResetRequiredException',
        );
      }
    }
  });
}

describe('migrating with convert, then run without options', () => {
  it('auth0: database users keep their bcrypt password; federated users are not imported', async () => {
    await migrate({
      source: 'auth0',
      generated: await auth0Export(),
      jobs: ['BCRYPT', undefined],
      childProcesses: true,
    });
  });

  it('keycloak: a realm with mixed algorithms imports as one job per algorithm', async () => {
    await migrate({
      source: 'keycloak',
      generated: await keycloakExport(),
      jobs: ['PBKDF2_SHA256', 'ARGON2ID', undefined, 'BCRYPT'],
    });
  });

  it('supabase: bcrypt passwords carry over; passwordless and OAuth users do not', async () => {
    await migrate({
      source: 'supabase',
      generated: await supabaseExport(),
      jobs: ['BCRYPT', undefined],
    });
  });

  it('django: pbkdf2_sha256, argon2, bcrypt and scrypt carry over within Cognito’s limits', async () => {
    await migrate({
      source: 'django',
      generated: await djangoExport(),
      convertArgs: ['--email-verified', 'true'],
      jobs: ['PBKDF2_SHA256', undefined, 'ARGON2ID', 'BCRYPT', 'SCRYPT'],
    });
  });

  it('firebase: every user imports with the profile and resets the password', async () => {
    await migrate({ source: 'firebase', generated: firebaseExport(), jobs: [undefined] });
  });

  it('csv with a mapping: hashes already in Cognito’s formats, a custom attribute', async () => {
    const generated = csvExport();
    const mappingFile = join(root, 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify(generated.mapping));
    await migrate({
      source: 'csv',
      generated,
      convertArgs: ['--mapping', mappingFile],
      jobs: ['PBKDF2_SHA256', 'SCRYPT', undefined],
      pool: async (cognito) => {
        const { UserPool } = await cognito.send(
          new CreateUserPoolCommand({
            PoolName: 'legacy',
            AutoVerifiedAttributes: ['email'],
            // Opted in to the pipeline: it imports only into pools tagged so.
            UserPoolTags: { 'cognito-import:allowed': 'true' },
            Schema: [{ Name: 'plan', AttributeDataType: 'String', Mutable: true }],
          }),
        );
        return UserPool?.Id as string;
      },
    });
  });
});

describe('cognito-import rehearse --passwords', () => {
  it('signs users in with their old passwords; a user who must reset is reported, not passed', async () => {
    const dir = mkdtempSync(join(root, 'rehearse-'));
    const generated = await supabaseExport();
    writeFileSync(join(dir, 'auth-users.csv'), generated.file);
    const out = join(dir, 'users.csv');
    expect(
      (
        await cli(
          ['convert', '--from', 'supabase', join(dir, 'auth-users.csv'), '--out', out],
          true,
        )
      ).code,
    ).toBe(0);
    const dataDir = join(dir, 'data');
    const imported = await cli(['run', out, '--data-dir', dataDir, '--json'], true);
    const poolId = JSON.parse(imported.stdout).userPoolId as string;
    const keeps = generated.users.filter((u) => u.keeps);
    const resets = generated.users.find((u) => !u.keeps) as ExpectedUser;
    const csv = (users: ExpectedUser[]) =>
      `username,password\n${users.map((u) => `${u.username},"${u.password.replace(/"/g, '""')}"`).join('\n')}\n`;
    writeFileSync(join(dir, 'kept.csv'), csv(keeps));
    writeFileSync(join(dir, 'mixed.csv'), csv([keeps[0] as ExpectedUser, resets]));
    const rehearse = (file: string) =>
      cli(['rehearse', '--pool', poolId, '--passwords', file, '--data-dir', dataDir]);
    const kept = await rehearse(join(dir, 'kept.csv'));
    expect(kept.code, kept.stderr).toBe(0);
    for (const label of [
      'wrong password refused',
      'sign-in with the old password',
      'tokens verified (JWKS, groups claim)',
      'refresh, tokens verified',
    ])
      expect(kept.stdout).toMatch(
        new RegExp(`${label.replace(/[()]/g, '\\$&')} +${keeps.length}/${keeps.length}`),
      );
    expect(kept.stdout).toContain(
      `${keeps.length} of ${keeps.length} users signed in with their old password`,
    );
    const mixed = await rehearse(join(dir, 'mixed.csv'));
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toMatch(/wrong password refused +1\/2/);
    expect(mixed.stdout).toContain('×1 PasswordResetRequiredException');
    for (const user of generated.users)
      expect(kept.stdout + mixed.stdout).not.toContain(user.password);
  });
});

describe('cognito-import convert', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    const captured: Io = {
      out: (line) => void lines.out.push(line),
      err: (line) => void lines.err.push(line),
      errRaw: () => {},
      isTty: false,
    };
    return { lines, captured };
  };

  it('prints a report of counts and reasons, never a user’s data', async () => {
    const dir = mkdtempSync(join(root, 'report-'));
    const generated = await auth0Export();
    writeFileSync(join(dir, 'users.json.gz'), generated.file);
    writeFileSync(join(dir, 'passwords.json'), generated.passwords as Buffer);
    const { lines, captured } = io();
    const code = await convert(
      [
        '--from',
        'auth0',
        join(dir, 'users.json.gz'),
        '--passwords',
        join(dir, 'passwords.json'),
        '--out',
        join(dir, 'users.csv'),
      ],
      captured,
    );
    expect(code).toBe(0);
    expect(lines.out).toEqual([]);
    const text = lines.err.join('\n');
    expect(text).toContain('5 of 9 users converted');
    expect(text).toContain('keep their password: 3 (BCRYPT 3)');
    expect(text).toMatch(/1 {2}bcrypt cost 13 > 12/);
    expect(text).toMatch(/1 {2}not a database user \(google-oauth2\)/);
    expect(text).toContain('password hashes with no user in the export: 1');
    expect(text).not.toMatch(/@example\.com|auth0\||\$2b\$/);
  });

  it('stops with a clear message when Django’s verification is not given, and writes nothing', async () => {
    const dir = mkdtempSync(join(root, 'django-'));
    writeFileSync(join(dir, 'auth_user.csv'), (await djangoExport()).file);
    const { captured } = io();
    const error = await convert(
      ['--from', 'django', join(dir, 'auth_user.csv'), '--out', join(dir, 'users.csv')],
      captured,
    ).catch((e: Error) => e);
    expect((error as Error).name).toBe('UsageError');
    expect((error as Error).message).toContain('--email-verified true or --email-verified false');
    expect(() => readFileSync(join(dir, 'users.csv'))).toThrow();
    expect(() => readFileSync(join(dir, 'users.csv.partial'))).toThrow();
  });

  it('reads a Keycloak directory export, and refuses an export of another shape', async () => {
    const dir = mkdtempSync(join(root, 'kc-dir-'));
    const generated = await keycloakExport();
    const { users, ...realm } = JSON.parse(generated.file.toString());
    writeFileSync(join(dir, 'demo-realm.json'), JSON.stringify(realm));
    writeFileSync(
      join(dir, 'demo-users-0.json'),
      JSON.stringify({ realm: 'demo', users: users.slice(0, 5) }),
    );
    writeFileSync(
      join(dir, 'demo-users-1.json'),
      JSON.stringify({ realm: 'demo', users: users.slice(5) }),
    );
    const { lines, captured } = io();
    expect(
      await convert(['--from', 'keycloak', dir, '--out', join(root, 'kc.csv'), '--json'], captured),
    ).toBe(0);
    expect(JSON.parse(lines.out.join('\n'))).toMatchObject({ read: 9, converted: 7 });
    const error = await convert(
      ['--from', 'keycloak', join(dir, 'demo-realm.json'), '--out', join(root, 'kc2.csv')],
      captured,
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/no "users" array/);
  });

  it('hands validate a file whose hash algorithms it names, one import job each', async () => {
    const dir = mkdtempSync(join(root, 'validate-'));
    writeFileSync(join(dir, 'realm.json'), (await keycloakExport()).file);
    const { captured } = io();
    await convert(
      ['--from', 'keycloak', join(dir, 'realm.json'), '--out', join(dir, 'users.csv')],
      captured,
    );
    const checked = io();
    const code = await validate(
      [join(dir, 'users.csv'), '--data-dir', join(dir, 'data')],
      checked.captured,
      readEnvConfig({}),
    );
    expect(code).toBe(0);
    expect(checked.lines.out).toContain(
      '  password hashes: PBKDF2_SHA256 2, ARGON2ID 1, no hash 3, BCRYPT 1 (one import job each)',
    );
  });

  it('exits 2 on a usage mistake, as every command does', async () => {
    const code = await cli(['convert', '--from', 'okta', 'x.json', '--out', 'y.csv']);
    expect(code.code).toBe(2);
    expect(code.stderr).toContain(
      '--from must be one of auth0, keycloak, supabase, django, firebase, csv',
    );
  });
});
