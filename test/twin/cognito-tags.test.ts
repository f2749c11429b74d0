/**
 * User pool tags on the Cognito twin, through the real SDK client: CreateUserPool's UserPoolTags,
 * DescribeUserPool, TagResource, UntagResource and ListTagsForResource, kept across restarts, and
 * data folders written before the twin knew tags.
 */
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCognitoTwin } from '../../twin/cognito/index.ts';
import { loadSqlite } from '../../twin/sqlite.ts';
import { startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';

let f: TwinFixture;
beforeAll(async () => {
  f = await startTwinFixture();
});
afterAll(async () => {
  await f.stop();
});

async function createPool(tags?: Record<string, string>) {
  const { UserPool } = await f.cognito.send(
    new CreateUserPoolCommand({
      PoolName: 'tagged',
      AutoVerifiedAttributes: ['email'],
      ...(tags ? { UserPoolTags: tags } : {}),
    }),
  );
  return { id: UserPool?.Id as string, arn: UserPool?.Arn as string };
}

const describePool = async (id: string) =>
  (await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool;
const listTags = async (arn: string) =>
  (await f.cognito.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags;

describe('tags on create and describe', () => {
  it('keeps the UserPoolTags of CreateUserPool and shows them in DescribeUserPool and ListTagsForResource', async () => {
    const { id, arn } = await createPool({ 'cognito-import:allowed': 'true', team: 'identity' });
    expect(arn).toBe(`arn:aws:cognito-idp:us-east-1:123456789012:userpool/${id}`);
    const tags = { 'cognito-import:allowed': 'true', team: 'identity' };
    expect((await describePool(id))?.UserPoolTags).toEqual(tags);
    expect(await listTags(arn)).toEqual(tags);
  });

  it('describes a pool created without tags with an empty UserPoolTags', async () => {
    const { id, arn } = await createPool();
    expect((await describePool(id))?.UserPoolTags).toEqual({});
    expect(await listTags(arn)).toEqual({});
  });

  it('refuses a tag key over 128 characters, a value over 256 and more than 50 tags', async () => {
    for (const tags of [
      { ['k'.repeat(129)]: 'v' },
      { key: 'v'.repeat(257) },
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key${i}`, 'v'])),
    ])
      await expect(createPool(tags)).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('TagResource, UntagResource, ListTagsForResource', () => {
  it('adds and overwrites tags, removes them, and keeps them across a restart', async () => {
    const { id, arn } = await createPool({ team: 'identity' });
    await f.cognito.send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: { 'cognito-import:allowed': 'true', team: 'platform' },
      }),
    );
    expect(await listTags(arn)).toEqual({ 'cognito-import:allowed': 'true', team: 'platform' });
    await f.cognito.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['team', 'nope'] }));
    expect(await listTags(arn)).toEqual({ 'cognito-import:allowed': 'true' });
    await f.restart();
    expect((await describePool(id))?.UserPoolTags).toEqual({ 'cognito-import:allowed': 'true' });
  });

  it('answers ResourceNotFoundException for a pool that does not exist or an ARN of another account', async () => {
    const { id } = await createPool();
    for (const arn of [
      'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Gone12345',
      `arn:aws:cognito-idp:us-east-1:999999999999:userpool/${id}`,
    ]) {
      await expect(listTags(arn)).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(
        f.cognito.send(new TagResourceCommand({ ResourceArn: arn, Tags: { a: 'b' } })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
    }
  });

  it('checks the ARN against the model pattern and refuses tagging past 50 tags', async () => {
    await expect(listTags('not an arn at all, sorry')).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    const { arn } = await createPool(
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, 'v'])),
    );
    await expect(
      f.cognito.send(new TagResourceCommand({ ResourceArn: arn, Tags: { one: 'more' } })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('data folders from before tags', () => {
  it('opens pools stored without tags: untagged, or with the tags their request carried', async () => {
    const old = await startTwinFixture();
    try {
      const created = async () =>
        (
          await old.cognito.send(
            new CreateUserPoolCommand({ PoolName: 'old', AutoVerifiedAttributes: ['email'] }),
          )
        ).UserPool as { Id: string; Arn: string };
      const plain = await created();
      const echoed = await created();
      await old.twin.close();
      // Rewrite the two pools as an older twin stored them: no `tags`; the UserPoolTags of the
      // request, which it did not know, kept in `echo`.
      const { DatabaseSync } = loadSqlite();
      const db = new DatabaseSync(join(old.dataDir, 'cognito', 'cognito.sqlite'));
      const rewrite = (id: string, echo: Record<string, unknown>) => {
        const row = db.prepare('SELECT doc FROM pools WHERE id = ?').get(id) as { doc: string };
        const { tags: _dropped, ...stored } = JSON.parse(row.doc) as Record<string, unknown>;
        db.prepare('UPDATE pools SET doc = ? WHERE id = ?').run(
          JSON.stringify({ ...stored, echo }),
          id,
        );
      };
      rewrite(plain.Id, {});
      rewrite(echoed.Id, { UserPoolTags: { 'cognito-import:allowed': 'true' } });
      db.close();
      old.twin = await startCognitoTwin({ dataDir: old.dataDir });
      const cognito = new CognitoIdentityProviderClient({
        endpoint: old.twin.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        const tagsOf = async (id: string) =>
          (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool
            ?.UserPoolTags;
        expect(await tagsOf(plain.Id)).toEqual({});
        expect(await tagsOf(echoed.Id)).toEqual({ 'cognito-import:allowed': 'true' });
        const listed = await cognito.send(
          new ListTagsForResourceCommand({ ResourceArn: echoed.Arn }),
        );
        expect(listed.Tags).toEqual({ 'cognito-import:allowed': 'true' });
        await cognito.send(
          new TagResourceCommand({
            ResourceArn: plain.Arn,
            Tags: { 'cognito-import:allowed': 'true' },
          }),
        );
        expect(await tagsOf(plain.Id)).toEqual({ 'cognito-import:allowed': 'true' });
      } finally {
        cognito.destroy();
      }
    } finally {
      await old.stop();
    }
  });
});
