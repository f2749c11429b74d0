/**
 * How fast the local Cognito twin takes the calls of a membership-and-update phase: imports
 * `users` users, creates `groups` groups, then sends AdminAddUserToGroup (each user into one
 * group, round robin) and AdminUpdateUserAttributes (one attribute each) through the SDK,
 * `concurrency` at a time, with the twin's request-rate quotas lifted (they would hold it to 25 a
 * second). Prints requests per second of each, and the peak memory of the process (twin and
 * client together).
 * Run: node bench/twin-groups.ts [users=20000] [concurrency=8] [groups=20]
 */
import { mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  ListUsersInGroupCommand,
  StartUserImportJobCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoTwin } from '../twin/index.ts';
import { writeUsersFile } from './users-file.ts';

const users = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 8);
const groups = Number(process.argv[4] ?? 20);
const work = mkdtempSync(join(tmpdir(), 'twin-groups-bench-'));
const file = join(work, 'users.csv');
writeUsersFile(file, users);

const twin = await startCognitoTwin({
  dataDir: join(work, 'data'),
  knobs: { requestRateCategories: [], perUserWriteRate: 0 },
});
const cognito = new CognitoIdentityProviderClient({
  endpoint: twin.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});

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
await fetch(UserImportJob?.PreSignedUrl as string, {
  method: 'PUT',
  body: await openAsBlob(file),
  headers: { 'x-amz-server-side-encryption': 'aws:kms' },
});
await cognito.send(new StartUserImportJobCommand({ UserPoolId, JobId }));
let job = UserImportJob;
do {
  await new Promise((resolve) => setTimeout(resolve, 250));
  job = (await cognito.send(new DescribeUserImportJobCommand({ UserPoolId, JobId }))).UserImportJob;
} while (job?.Status !== 'Succeeded' && job?.Status !== 'Failed');
if (job?.ImportedUsers !== users) throw new Error(`imported ${job?.ImportedUsers} of ${users}`);
for (let g = 0; g < groups; g++)
  await cognito.send(new CreateGroupCommand({ UserPoolId, GroupName: `group${g}` }));

/** Runs `count` calls, `concurrency` in flight; answers calls per second. */
async function measure(count: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await call(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const adds = await measure(users, (i) =>
  cognito.send(
    new AdminAddUserToGroupCommand({
      UserPoolId,
      Username: `user${i}`,
      GroupName: `group${i % groups}`,
    }),
  ),
);
const updates = await measure(users, (i) =>
  cognito.send(
    new AdminUpdateUserAttributesCommand({
      UserPoolId,
      Username: `user${i}`,
      UserAttributes: [{ Name: 'given_name', Value: `Updated${i}` }],
    }),
  ),
);
const { Users } = await cognito.send(
  new ListUsersInGroupCommand({ UserPoolId, GroupName: 'group0', Limit: 60 }),
);
await twin.close();
rmSync(work, { recursive: true, force: true });

console.log(
  `twin groups: ${users.toLocaleString('en')} users, ${groups} groups, ${concurrency} calls in flight`,
);
console.log(`  AdminAddUserToGroup        ${Math.round(adds).toLocaleString('en')} requests/s`);
console.log(`  AdminUpdateUserAttributes  ${Math.round(updates).toLocaleString('en')} requests/s`);
console.log(`  group0's first page: ${Users?.length} members`);
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
