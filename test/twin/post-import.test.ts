/**
 * The post-import phase against the Cognito twin through the real SDK clients: the job's log
 * as the twin's CloudWatch Logs writes it, and the memberships and updates as the twin's
 * Cognito keeps them. S3 is a map here (the workflow tests run the whole pipeline on the twin's
 * S3): this file is about what Cognito and its log answer.
 */
import { Readable } from 'node:stream';
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CreateGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPostImport } from '../../src/workflow/post-import.ts';
import type { PartItem } from '../../src/workflow/types.ts';
import { importCsv, startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';
import { createPool, importUsers } from './auth/helpers.ts';

let f: TwinFixture;
const s3 = mockClient(S3Client);
const objects = new Map<string, Buffer>();
beforeAll(async () => {
  f = await startTwinFixture();
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const bytes = objects.get(input.Key);
    if (!bytes) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return {
      Body: Object.assign(Readable.from([bytes]), {
        transformToString: async () => bytes.toString(),
        transformToByteArray: async () => new Uint8Array(bytes),
      }),
    };
  });
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string | Uint8Array }) => {
    objects.set(input.Key, Buffer.from(input.Body));
    return {};
  });
});
afterAll(async () => {
  s3.restore();
  await f.stop();
});

const groupsOf = async (poolId: string, username: string) =>
  (
    (
      await f.cognito.send(
        new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: username }),
      )
    ).Groups ?? []
  )
    .map((g) => g.GroupName)
    .sort();

describe('ApplyPostImport on the twin', () => {
  it("adds the imported rows' groups and updates the users the job skipped, from the twin's own import log", async () => {
    const poolId = await createPool(f.cognito);
    for (const name of ['staff', 'admins'])
      await f.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: name }));
    // `old` exists before the import: the job skips its row.
    await importUsers(f, poolId, ['old']);
    const part = [
      'cognito:username,name,email,email_verified',
      'new1,New One,new1@example.com,true',
      'old,Old\\, Renamed,old@example.com,true',
      'new2,,new2@example.com,true',
    ].join('\n');
    const job = await importCsv(f, poolId, `${part}\n`);
    expect([job.ImportedUsers, job.SkippedUsers]).toEqual([2, 1]);
    objects.set('staging/run-t/part-0001.csv', Buffer.from(`${part}\n`));
    objects.set(
      'staging/run-t/lines.csv',
      Buffer.from(
        'part,part_row,part_line,source_line,source_row,username\n1,1,2,2,1,new1\n1,2,3,3,2,old\n1,3,4,4,3,new2\n',
      ),
    );
    objects.set(
      'staging/run-t/memberships.csv',
      Buffer.from('part,part_row,groups\n1,1,staff;admins\n1,2,staff\n'),
    );
    const item: PartItem = {
      part: {
        index: 1,
        bucket: 'imports',
        key: 'staging/run-t/part-0001.csv',
        mapKey: 'staging/run-t/lines.csv',
        rows: 3,
        bytes: part.length,
        groupRows: 2,
      },
      run: 'run-t',
      userPoolId: poolId,
      options: {
        invalidRows: 'reject',
        notify: false,
        deadlineSeconds: 3600,
        existingUsers: 'update',
        postImportRate: 50,
      },
      deadlineAt: 0,
      job: {
        jobId: job.JobId as string,
        jobName: job.JobName as string,
        status: job.Status as string,
        importedUsers: job.ImportedUsers ?? 0,
        skippedUsers: job.SkippedUsers ?? 0,
        failedUsers: job.FailedUsers ?? 0,
        poll: { rounds: 1, waitSeconds: 5 },
        slotBusy: false,
        mustStop: false,
        stopRequested: false,
      },
    };
    const state = await applyPostImport(item, {
      cognito: f.cognito,
      logs: f.logs,
      s3: new S3Client({ region: 'us-east-1' }),
      config: { cognitoLineNumbering: 'data' },
    });
    expect(state).toEqual({
      cursor: 4,
      done: true,
      updated: 1,
      memberships: 3,
      failed: 0,
      invocations: 1,
    });
    expect(await groupsOf(poolId, 'new1')).toEqual(['admins', 'staff']);
    expect(await groupsOf(poolId, 'old')).toEqual(['staff']);
    expect(await groupsOf(poolId, 'new2')).toEqual([]);
    const old = await f.cognito.send(
      new AdminGetUserCommand({ UserPoolId: poolId, Username: 'old' }),
    );
    const attributes = Object.fromEntries((old.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    expect(attributes).toMatchObject({
      name: 'Old, Renamed',
      email: 'old@example.com',
      email_verified: 'true',
    });
    // Username, status and sub stay as the import left them.
    expect(old.Username).toBe('old');
    expect(old.UserStatus).toBe('RESET_REQUIRED');
  });
});
