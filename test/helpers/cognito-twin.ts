import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  type CognitoTwin,
  type CognitoTwinOptions,
  startCognitoTwin,
} from '../../twin/cognito/index.ts';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/CognitoImportLogs';

export interface TwinFixture {
  twin: CognitoTwin;
  dataDir: string;
  cognito: CognitoIdentityProviderClient;
  logs: CloudWatchLogsClient;
  restart(options?: Partial<CognitoTwinOptions>): Promise<void>;
  stop(): Promise<void>;
}

/** A twin on a fresh data folder, with real SDK clients that do not retry (faults stay visible). */
export async function startTwinFixture(
  options: Partial<CognitoTwinOptions> = {},
): Promise<TwinFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cognito-twin-'));
  const clientsFor = (endpoint: string) => {
    const config = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    };
    return {
      cognito: new CognitoIdentityProviderClient(config),
      logs: new CloudWatchLogsClient(config),
    };
  };
  const fixture = {
    dataDir,
    twin: await startCognitoTwin({ dataDir, ...options }),
  } as TwinFixture;
  Object.assign(fixture, clientsFor(fixture.twin.endpoint));
  fixture.restart = async (more = {}) => {
    await fixture.twin.close();
    fixture.twin = await startCognitoTwin({ dataDir, ...options, ...more });
    Object.assign(fixture, clientsFor(fixture.twin.endpoint));
  };
  fixture.stop = async () => {
    await fixture.twin.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return fixture;
}

/** PUTs a CSV to a pre-signed URL as the guide's curl example does. */
export async function upload(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { 'x-amz-server-side-encryption': 'aws:kms' },
) {
  return fetch(url, { method: 'PUT', body, headers });
}

/** Polls until the job reaches one of the statuses. */
export async function waitForJob(
  describe: () => Promise<{ Status?: string }>,
  statuses: string[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await describe();
    if (job.Status && statuses.includes(job.Status)) return;
    if (Date.now() > deadline) throw new Error(`job still ${job.Status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Creates, uploads, starts and waits for one import job; answers the finished job. */
export async function importCsv(
  f: TwinFixture,
  poolId: string,
  csv: string | Uint8Array,
  jobInput: { PasswordHashingAlgorithm?: 'BCRYPT' | 'SCRYPT' | 'ARGON2ID' | 'PBKDF2_SHA256' } = {},
) {
  const { CreateUserImportJobCommand, StartUserImportJobCommand, DescribeUserImportJobCommand } =
    await import('@aws-sdk/client-cognito-identity-provider');
  const created = await f.cognito.send(
    new CreateUserImportJobCommand({
      UserPoolId: poolId,
      JobName: 'import',
      CloudWatchLogsRoleArn: ROLE_ARN,
      ...jobInput,
    }),
  );
  const jobId = created.UserImportJob?.JobId as string;
  const put = await upload(created.UserImportJob?.PreSignedUrl as string, csv);
  if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
  await f.cognito.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: jobId }));
  const describe = async () =>
    (await f.cognito.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId })))
      .UserImportJob ?? {};
  await waitForJob(describe, ['Succeeded', 'Failed', 'Stopped']);
  return describe();
}
