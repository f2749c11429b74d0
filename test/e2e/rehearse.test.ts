import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cognito-import.ts');

/** Runs the command as a user would, in a child process; answers its exit code and output. */
async function cli(args: string[]) {
  try {
    // The embedded twin on --data-dir, whatever endpoint the test's environment names.
    const {
      AWS_ENDPOINT_URL: _all,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: _cognito,
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

/** Nothing secret or personal in what the command printed. */
function expectNoSecrets(printed: string) {
  // The data folder's name is random and could hold six digits: leave it out of the checks.
  const output = printed.replace(/\(\/[^)]*\)/g, '(dir)');
  expect(output).not.toMatch(/@example\.com/);
  expect(output).not.toMatch(/eyJ[\w-]+\./); // a JWT or JWE
  expect(output).not.toMatch(/\b\d{6}\b/); // a confirmation code
  expect(output).not.toMatch(/ada\.lovelace|grace\.hopper/);
}

let dataDir: string;
let poolId: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rehearse-'));
  const imported = await cli(['run', 'examples/users.csv', '--data-dir', dataDir, '--json']);
  expect(imported.code).toBe(0);
  poolId = JSON.parse(imported.stdout).userPoolId;
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cognito-import rehearse', () => {
  it('takes 5 imported users from RESET_REQUIRED to a refreshed session: every step 5/5, exit 0', async () => {
    const { code, stdout, stderr } = await cli([
      'rehearse',
      '--pool',
      poolId,
      '--data-dir',
      dataDir,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`rehearse ${poolId} on the local twin`);
    for (const label of [
      'sign-in refused, reset required',
      'ForgotPassword',
      'code in the mailbox',
      'ConfirmForgotPassword',
      'first sign-in',
      'tokens verified (JWKS, groups claim)',
      'refresh, tokens verified',
    ])
      expect(stdout).toMatch(new RegExp(`${label.replace(/[()]/g, '\\$&')} +5/5`));
    expect(stdout).toMatch(/5 of 5 users made it from RESET_REQUIRED to a refreshed session\./);
    expectNoSecrets(stdout + stderr);
  });

  it("checks each ID token's cognito:groups claim against the groups the import added", async () => {
    const groupsDir = mkdtempSync(join(tmpdir(), 'rehearse-groups-'));
    try {
      const imported = await cli([
        'run',
        'examples/users-with-groups.csv',
        '--create-groups',
        '--data-dir',
        groupsDir,
        '--json',
      ]);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout).totals.memberships).toBe(8);
      const pool = JSON.parse(imported.stdout).userPoolId;
      const { code, stdout } = await cli([
        'rehearse',
        '--pool',
        pool,
        '--users',
        '8',
        '--data-dir',
        groupsDir,
        '--json',
      ]);
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(
        report.steps.find((s: { step: string }) => s.step === 'tokens-verified'),
      ).toMatchObject({
        attempted: 8,
        passed: 8,
        errors: [],
      });
    } finally {
      rmSync(groupsDir, { recursive: true, force: true });
    }
  });

  it('reports JSON with --json, taking the next users (the first five are CONFIRMED now)', async () => {
    const { code, stdout } = await cli([
      'rehearse',
      '--pool',
      poolId,
      '--users',
      '3',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ userPoolId: poolId, requested: 3, users: 3, madeIt: 3 });
    expect(report.steps).toHaveLength(7);
    for (const step of report.steps)
      expect(step).toMatchObject({ attempted: 3, passed: 3, errors: [] });
    expectNoSecrets(stdout);
  });

  it('rehearses what is left when fewer users are RESET_REQUIRED than asked', async () => {
    const { code, stdout } = await cli([
      'rehearse',
      '--pool',
      poolId,
      '--users',
      '1000',
      '--data-dir',
      dataDir,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/only 32 RESET_REQUIRED users \(asked for 1000\)/);
    expect(stdout).toMatch(/32 of 32 users made it/);
  });

  it('exits 1 when no user of the pool is RESET_REQUIRED any more', async () => {
    const { code, stdout } = await cli(['rehearse', '--pool', poolId, '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/no user of the pool is RESET_REQUIRED/);
  });

  it('exits 1 with the first error of each kind when users cannot reset (no verified email or phone)', async () => {
    // A pool that recovers accounts by email, whose users were imported with unverified emails.
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-unverified-'));
    try {
      const pool = await prepareUnverifiedPool(dir);
      const { code, stdout } = await cli(['rehearse', '--pool', pool, '--data-dir', dir]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/sign-in refused, reset required +2\/2/);
      expect(stdout).toMatch(/ForgotPassword +0\/2/);
      expect(stdout).toContain(
        '×2 InvalidParameterException, first: Cannot reset password for the user as there is no registered/verified email or phone_number',
      );
      expect(stdout).toMatch(/code in the mailbox +0\/0/);
      expect(stdout).toMatch(/0 of 2 users made it/);
      expectNoSecrets(stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['rehearse'], /Name the user pool to rehearse with --pool/],
    [['rehearse', '--pool', 'nope'], /is not a user pool id/],
    [
      ['rehearse', '--pool', 'us-east-1_abc', '--users', '0'],
      /--users must be a number from 1 to 1000/,
    ],
    [['rehearse', '--pool', 'us-east-1_abc', '--frobnicate'], /Unknown option '--frobnicate'/],
    [
      ['rehearse', '--pool', 'us-east-1_doesNotExist'],
      /User pool us-east-1_doesNotExist does not exist/,
    ],
  ])('answers %j with a clear message and exit code 2', async (args, message) => {
    const { code, stderr } = await cli([...args, '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('prints its help', async () => {
    const { code, stdout } = await cli(['rehearse', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: cognito-import rehearse --pool <id>/);
  });
});

/** Sets up, in-process, a pool whose imported users have no verified contact to reset with. */
async function prepareUnverifiedPool(dir: string) {
  const { startCognitoTwin } = await import('../../twin/cognito/index.ts');
  const { CognitoIdentityProviderClient, CreateUserPoolCommand } = await import(
    '@aws-sdk/client-cognito-identity-provider'
  );
  const { importCsv } = await import('../helpers/cognito-twin.ts');
  const twin = await startCognitoTwin({ dataDir: dir });
  const cognito = new CognitoIdentityProviderClient({
    endpoint: twin.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: 'unverified',
        AutoVerifiedAttributes: ['phone_number'],
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      }),
    );
    const pool = UserPool?.Id as string;
    await importCsv(
      { twin, cognito } as Parameters<typeof importCsv>[0],
      pool,
      [
        'cognito:username,email,email_verified,phone_number,phone_number_verified',
        'ada.lovelace,ada.lovelace@example.com,false,+15550100000,true',
        'grace.hopper,grace.hopper@example.com,false,+15550100001,true',
      ].join('\n'),
    );
    return pool;
  } finally {
    cognito.destroy();
    await twin.close();
  }
}
