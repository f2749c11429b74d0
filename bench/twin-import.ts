/**
 * Imports a 500,000-row file through the local Cognito twin (create job, pre-signed PUT, start,
 * poll to the end) and prints the wall time and the peak memory of the process that ran it.
 * Run: node bench/twin-import.ts [rows]
 */
import { mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoTwin } from '../twin/index.ts';
import { writeUsersFile } from './users-file.ts';

const rows = Number(process.argv[2] ?? 500_000);
const work = mkdtempSync(join(tmpdir(), 'twin-bench-'));
const file = join(work, 'users.csv');
writeUsersFile(file, rows);
const bytes = statSync(file).size;

const twin = await startCognitoTwin({ dataDir: join(work, 'data') });
const cognito = new CognitoIdentityProviderClient({
  endpoint: twin.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const started = performance.now();
const { UserPool } = await cognito.send(
  new CreateUserPoolCommand({ PoolName: 'bench', AutoVerifiedAttributes: ['email'] }),
);
const UserPoolId = UserPool?.Id as string;
const { UserImportJob } = await cognito.send(
  new CreateUserImportJobCommand({
    UserPoolId,
    JobName: 'bench',
    CloudWatchLogsRoleArn: 'arn:aws:iam::123456789012:role/Logs',
  }),
);
const JobId = UserImportJob?.JobId as string;
const put = await fetch(UserImportJob?.PreSignedUrl as string, {
  method: 'PUT',
  body: await openAsBlob(file),
  headers: { 'x-amz-server-side-encryption': 'aws:kms' },
});
if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
const uploaded = performance.now();
await cognito.send(new StartUserImportJobCommand({ UserPoolId, JobId }));
let job = UserImportJob;
do {
  await new Promise((resolve) => setTimeout(resolve, 250));
  job = (await cognito.send(new DescribeUserImportJobCommand({ UserPoolId, JobId }))).UserImportJob;
} while (job?.Status !== 'Succeeded' && job?.Status !== 'Failed');
const finished = performance.now();
await twin.close();
rmSync(work, { recursive: true, force: true });

const seconds = (finished - started) / 1000;
console.log(`twin import: ${rows.toLocaleString('en')} rows, ${(bytes / 1e6).toFixed(1)} MB`);
console.log(
  `  status ${job?.Status}: ${job?.ImportedUsers} imported, ${job?.SkippedUsers} skipped, ${job?.FailedUsers} failed`,
);
console.log(
  `  upload ${((uploaded - started) / 1000).toFixed(2)} s, total ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString('en')} rows/s`,
);
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB `);
