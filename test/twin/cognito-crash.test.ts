import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { ROLE_ARN, upload, waitForJob } from '../helpers/cognito-twin.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('a twin killed mid-import', () => {
  it('loses nothing: after kill -9 and a restart, every row is imported exactly once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'twin-crash-'));
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '..', 'fixtures', 'twin', 'slow-cognito.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const endpoint = await new Promise<string>((resolve) =>
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
      );
      const cognito = new CognitoIdentityProviderClient({
        endpoint,
        region: 'us-east-1',
        credentials,
      });
      const { UserPool } = await cognito.send(
        new CreateUserPoolCommand({ PoolName: 'crash', AutoVerifiedAttributes: ['email'] }),
      );
      const UserPoolId = UserPool?.Id as string;
      const { UserImportJob } = await cognito.send(
        new CreateUserImportJobCommand({
          UserPoolId,
          JobName: 'crash',
          CloudWatchLogsRoleArn: ROLE_ARN,
        }),
      );
      const JobId = UserImportJob?.JobId as string;
      const rows = Array.from({ length: 3000 }, (_, i) => `u${i},u${i}@example.com,true`);
      expect(
        (
          await upload(
            UserImportJob?.PreSignedUrl as string,
            `cognito:username,email,email_verified\n${rows.join('\n')}\n`,
          )
        ).status,
      ).toBe(200);
      await cognito.send(new StartUserImportJobCommand({ UserPoolId, JobId }));
      await waitForJob(async () => {
        const job = (await cognito.send(new DescribeUserImportJobCommand({ UserPoolId, JobId })))
          .UserImportJob;
        return { Status: (job?.ImportedUsers ?? 0) >= 500 ? 'midway' : job?.Status };
      }, ['midway']);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      cognito.destroy();

      // Restart in this process on the same data folder.
      const { startCognitoTwin } = await import('../../twin/cognito/index.ts');
      const twin = await startCognitoTwin({ dataDir, pace: { rowsPerStep: 100, stepDelayMs: 50 } });
      try {
        const again = new CognitoIdentityProviderClient({
          endpoint: twin.endpoint,
          region: 'us-east-1',
          credentials,
        });
        const describe = async () =>
          (await again.send(new DescribeUserImportJobCommand({ UserPoolId, JobId })))
            .UserImportJob ?? {};
        const midway = await describe();
        expect(midway.ImportedUsers).toBeLessThan(3000);
        await waitForJob(describe, ['Succeeded', 'Failed']);
        expect(await describe()).toMatchObject({
          Status: 'Succeeded',
          ImportedUsers: 3000,
          SkippedUsers: 0,
          FailedUsers: 0,
        });
        const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
        const logs = new CloudWatchLogsClient({
          endpoint: twin.endpoint,
          region: 'us-east-1',
          credentials,
        });
        const lines: string[] = [];
        let token: string | undefined;
        for (;;) {
          const page = await logs.send(
            new GetLogEventsCommand({
              logGroupName: `/aws/cognito/userpools/${UserPoolId}/crash`,
              logStreamName: `${JobId}/crash`,
              startFromHead: true,
              nextToken: token,
            }),
          );
          if (!page.events?.length) break;
          lines.push(...page.events.map((e) => e.message as string));
          token = page.nextForwardToken;
        }
        expect(lines).toHaveLength(3000);
        expect(new Set(lines).size).toBe(3000);
      } finally {
        await twin.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
