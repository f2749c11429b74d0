import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  type CognitoTwin,
  type CognitoTwinOptions,
  startCognitoTwin,
} from '../../src/local/cognito/index.ts';

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
