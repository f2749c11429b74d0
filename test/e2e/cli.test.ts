import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  ListUserImportJobsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cognito-import.ts');

/** Runs the command as a user would, in a child process; answers its exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cli-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cognito-import run', () => {
  it('imports the valid example: SUCCEEDED, exit 0, the users RESET_REQUIRED in the twin', async () => {
    const { code, stdout } = await cli([
      'run',
      'examples/users.csv',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(code).toBe(0);
    const outcome = JSON.parse(stdout);
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      totals: { imported: 40, skipped: 0, failed: 0 },
    });
    // Look at the users as a person would: the twin's Cognito, started on the same data folder.
    const { startCognitoTwin } = await import('../../twin/cognito/index.ts');
    const twin = await startCognitoTwin({ dataDir });
    try {
      const cognito = new CognitoIdentityProviderClient({
        endpoint: twin.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
      const { Users } = await cognito.send(
        new ListUsersCommand({ UserPoolId: outcome.userPoolId }),
      );
      expect(Users).toHaveLength(40);
      expect(new Set(Users?.map((u) => u.UserStatus))).toEqual(new Set(['RESET_REQUIRED']));
    } finally {
      await twin.close();
    }
  });

  it('imports the spreadsheet export after normalising it', async () => {
    const { code, stdout } = await cli([
      'run',
      'examples/spreadsheet-export.csv',
      '--data-dir',
      dataDir,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^\[SUCCEEDED\] spreadsheet-export\.csv -> us-east-1_\w+: 5 imported, 0 skipped, 0 failed/,
    );
    expect(stdout).toMatch(
      /outcome: +.*reports\/imp-spreadsheet-export-[0-9a-f]{32}\/outcome\.json/,
    );
  });

  it('rejects the example with errors: REJECTED, exit 1; with --invalid-rows skip it imports the rest', async () => {
    const rejected = await cli(['run', 'examples/users-with-errors.csv', '--data-dir', dataDir]);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toMatch(/^\[REJECTED\]/);
    expect(rejected.stdout).toMatch(/reason: 7 of 10 rows are invalid/);
    const skipped = await cli([
      'run',
      'examples/users-with-errors.csv',
      '--data-dir',
      dataDir,
      '--invalid-rows',
      'skip',
      '--json',
    ]);
    expect(skipped.code).toBe(1);
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      status: 'PARTIAL',
      totals: { imported: 3 },
      validation: { invalidRows: 7 },
    });
  });

  it.each([
    [['run', 'no-such-file.csv'], /no-such-file\.csv: no such file/],
    [['run', 'examples'], /examples is a directory/],
    [['run', 'examples/users.csv', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['run', 'examples/users.csv', '--pool', 'not-a-pool'], /is not a user pool id/],
    [
      ['run', 'examples/users.csv', '--invalid-rows', 'maybe'],
      /--invalid-rows must be reject or skip/,
    ],
    [
      ['run', 'examples/users.csv', '--existing-users', 'overwrite'],
      /--existing-users must be skip or update/,
    ],
    [
      ['run', 'examples/users.csv', '--post-import-rate', '0'],
      /--post-import-rate must be a whole number of requests a second from 1 to 1000, not "0"/,
    ],
    [
      ['run', 'examples/users.csv', '--allowed-pools', 'all'],
      /--allowed-pools \(or ALLOWED_USER_POOLS\) must be "tagged", "any" or a comma-separated list/,
    ],
    [['bogus'], /Unknown command "bogus"/],
  ])('answers %j with a clear message and exit code 2', async (args, message) => {
    const { code, stderr } = await cli([...args, '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('refuses --pool of an untagged pool (REJECTED pool.not-allowed) unless --allowed-pools names it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-pools-'));
    try {
      const { startCognitoTwin } = await import('../../twin/cognito/index.ts');
      const twin = await startCognitoTwin({ dataDir: dir });
      let pool: string;
      try {
        const cognito = new CognitoIdentityProviderClient({
          endpoint: twin.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
        });
        const { UserPool } = await cognito.send(
          new CreateUserPoolCommand({ PoolName: 'untagged', AutoVerifiedAttributes: ['email'] }),
        );
        pool = UserPool?.Id as string;
        cognito.destroy();
      } finally {
        await twin.close();
      }
      const refused = await cli(['run', 'examples/users.csv', '--pool', pool, '--data-dir', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/^\[REJECTED\] users\.csv -> us-east-1_\w+: The user pool/);
      expect(refused.stdout).toMatch(/tag it cognito-import:allowed=true .*\(pool\.not-allowed\)/);
      const listed = await cli(
        ['run', 'examples/users.csv', '--pool', pool, '--data-dir', dir, '--json'],
        { ALLOWED_USER_POOLS: pool },
      );
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ status: 'SUCCEEDED', userPoolId: pool });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints help for every command', async () => {
    for (const command of ['run', 'serve', 'start', 'status', 'validate', 'header', 'outcomes']) {
      const { code, stdout } = await cli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: cognito-import ${command}`));
    }
  });
});

describe('cognito-import validate and header', () => {
  it('validates without importing: exit 0 for a valid file, 1 with the report for an invalid one', async () => {
    expect((await cli(['validate', 'examples/users.csv', '--data-dir', dataDir])).code).toBe(0);
    const bad = await cli([
      'validate',
      'examples/users-with-errors.csv',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report).toMatchObject({ rows: 10, invalidRows: 7, valid: false });
    expect(JSON.stringify(report)).not.toMatch(/@example\.com/);
  });

  it('prints the header of the default pool', async () => {
    const { code, stdout } = await cli(['header', '--data-dir', dataDir]);
    expect(code).toBe(0);
    expect(stdout.trim().split(',')).toContain('cognito:username');
  });
});

describe('cognito-import serve', () => {
  let child: ChildProcess;
  let env: Record<string, string> = {};
  const serveDir = () => join(dataDir, 'serve');
  beforeAll(async () => {
    child = spawn(process.execPath, [BIN, 'serve', '--data-dir', serveDir()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    env = await new Promise<Record<string, string>>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('STATE_MACHINE_ARN=')) {
          resolve(
            Object.fromEntries(
              out
                .trim()
                .split('\n')
                .map((line) => line.replace(/^export /, '').split('=') as [string, string]),
            ),
          );
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
  });
  afterAll(() => {
    child.kill('SIGTERM');
  });

  const clients = () => {
    const base = {
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    return {
      cognito: new CognitoIdentityProviderClient({
        ...base,
        endpoint: env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
      }),
      s3: new S3Client({ ...base, endpoint: env.AWS_ENDPOINT_URL_S3 }),
      sfn: new SFNClient({ ...base, endpoint: env.AWS_ENDPOINT_URL_SFN }),
    };
  };

  async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('timed out');
  }

  it('starts a run for an object put with the default S3 client, and keeps its outcome', async () => {
    const { cognito, s3, sfn } = clients();
    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: 'serve',
        AutoVerifiedAttributes: ['email'],
        UserPoolTags: { 'cognito-import:allowed': 'true' },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'cognito-imports-local',
        Key: `incoming/${UserPool?.Id}/served.csv`,
        Body: 'cognito:username,email,email_verified\nann,ann@example.com,true\n',
      }),
    );
    const execution = await until(async () => {
      const { executions } = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: env.STATE_MACHINE_ARN }),
      );
      const found = executions?.find((e) => e.name?.startsWith('imp-served-'));
      return found && found.status !== 'RUNNING' ? found : undefined;
    });
    expect(execution.status).toBe('SUCCEEDED');
    const outcomes = await cli(['outcomes', '--data-dir', serveDir()]);
    expect(outcomes.stdout).toMatch(/\[SUCCEEDED\] served\.csv -> us-east-1_\w+: 1 imported/);
  });

  it('runs StartExecution from @aws-sdk/client-sfn; DescribeExecution gives the outcome as output', async () => {
    const { cognito, s3, sfn } = clients();
    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: 'direct',
        AutoVerifiedAttributes: ['email'],
        UserPoolTags: { 'cognito-import:allowed': 'true' },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'cognito-imports-local',
        Key: `incoming/${UserPool?.Id}/direct.upload`,
        Body: 'cognito:username,email,email_verified\nbo,bo@example.com,true\n',
      }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.STATE_MACHINE_ARN,
        input: JSON.stringify({
          bucket: 'cognito-imports-local',
          key: `incoming/${UserPool?.Id}/direct.upload`,
          userPoolId: UserPool?.Id,
        }),
      }),
    );
    const described = await until(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    });
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({
      status: 'SUCCEEDED',
      userPoolId: UserPool?.Id,
      totals: { imported: 1 },
    });
    const status = await cli(['status', executionArn as string], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/SUCCEEDED/);
  });

  it('refuses an untagged pool and a key with no pool folder, and imports a nested key into its pool', async () => {
    const { cognito, s3, sfn } = clients();
    const create = async (name: string, tags?: Record<string, string>) =>
      (
        await cognito.send(
          new CreateUserPoolCommand({
            PoolName: name,
            AutoVerifiedAttributes: ['email'],
            ...(tags ? { UserPoolTags: tags } : {}),
          }),
        )
      ).UserPool?.Id as string;
    const untagged = await create('untagged');
    const tagged = await create('nested', { 'cognito-import:allowed': 'true' });
    const body = 'cognito:username,email,email_verified\ncy,cy@example.com,true\n';
    const keys = {
      refused: `incoming/${untagged}/refused.csv`,
      nested: `incoming/${tagged}/2026/12/nested.csv`,
      nopool: 'incoming/not-a-pool/nopool.csv',
    };
    for (const key of Object.values(keys))
      await s3.send(
        new PutObjectCommand({ Bucket: 'cognito-imports-local', Key: key, Body: body }),
      );
    const ended = async (base: string) =>
      until(async () => {
        const { executions } = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: env.STATE_MACHINE_ARN }),
        );
        const found = executions?.find((e) => e.name?.startsWith(`imp-${base}-`));
        return found && found.status !== 'RUNNING' ? found : undefined;
      });
    const outcomeOf = async (name: string) => {
      const object = await s3.send(
        new GetObjectCommand({
          Bucket: 'cognito-imports-local',
          Key: `reports/${name}/outcome.json`,
        }),
      );
      return JSON.parse((await object.Body?.transformToString()) ?? '{}');
    };
    const refused = await ended('refused');
    expect(refused.status).toBe('FAILED');
    expect(await outcomeOf(refused.name as string)).toMatchObject({
      status: 'REJECTED',
      code: 'pool.not-allowed',
      userPoolId: untagged,
    });
    const { UserImportJobs } = await cognito.send(
      new ListUserImportJobsCommand({ UserPoolId: untagged, MaxResults: 60 }),
    );
    expect(UserImportJobs).toEqual([]);
    const nested = await ended('nested');
    expect(nested.status).toBe('SUCCEEDED');
    expect(await outcomeOf(nested.name as string)).toMatchObject({
      status: 'SUCCEEDED',
      userPoolId: tagged,
      totals: { imported: 1 },
    });
    const nopool = await ended('nopool');
    expect(await outcomeOf(nopool.name as string)).toMatchObject({
      status: 'REJECTED',
      code: 'key.no-pool-folder',
    });
  });

  it('refuses a port that is in use with exit code 2', async () => {
    const port = new URL(env.AWS_ENDPOINT_URL_S3 as string).port;
    const { code, stderr } = await cli([
      'serve',
      '--data-dir',
      join(dataDir, 'other'),
      '--port',
      port,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/already in use/);
  });
});
