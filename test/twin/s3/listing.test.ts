import {
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type S3Fixture, startS3Fixture } from './fixture.ts';

let f: S3Fixture;
beforeEach(async () => {
  f = await startS3Fixture();
});
afterEach(async () => {
  await f.stop();
});

const put = async (...keys: string[]) => {
  for (const key of keys)
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: `#${key}` }));
};

const keysOf = (page: ListObjectsV2CommandOutput) => (page.Contents ?? []).map((c) => c.Key);
const prefixesOf = (page: ListObjectsV2CommandOutput) =>
  (page.CommonPrefixes ?? []).map((c) => c.Prefix);

describe('ListObjectsV2', () => {
  it('lists keys with size, ETag, LastModified and storage class', async () => {
    await put('b.csv', 'a.csv');
    const page = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(page).toMatchObject({ KeyCount: 2, IsTruncated: false, Name: 'bkt', MaxKeys: 1000 });
    expect(page.Contents?.[0]).toMatchObject({ Key: 'a.csv', Size: 6, StorageClass: 'STANDARD' });
    expect(page.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(page.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
  });

  it('pages with max-keys and continuation tokens, and the SDK paginator walks every page', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `k/${String(i).padStart(2, '0')}`);
    await put(...keys);
    const first = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt', MaxKeys: 10 }));
    expect(first).toMatchObject({ KeyCount: 10, IsTruncated: true, MaxKeys: 10 });
    expect(keysOf(first)).toEqual(keys.slice(0, 10));
    const second = await f.s3.send(
      new ListObjectsV2Command({
        Bucket: 'bkt',
        MaxKeys: 10,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(keysOf(second)).toEqual(keys.slice(10, 20));
    expect(second.ContinuationToken).toBe(first.NextContinuationToken);

    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: f.s3, pageSize: 10 },
      { Bucket: 'bkt' },
    )) {
      pages++;
      seen.push(...(keysOf(page) as string[]));
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('rolls keys up into CommonPrefixes by delimiter, under a prefix', async () => {
    await put(
      'top.csv',
      'incoming/a.csv',
      'incoming/b.csv',
      'incoming/2024/c.csv',
      'reports/x.json',
    );
    const root = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Delimiter: '/' }));
    expect(keysOf(root)).toEqual(['top.csv']);
    expect(prefixesOf(root)).toEqual(['incoming/', 'reports/']);
    expect(root.KeyCount).toBe(3);

    const incoming = await f.s3.send(
      new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'incoming/', Delimiter: '/' }),
    );
    expect(keysOf(incoming)).toEqual(['incoming/a.csv', 'incoming/b.csv']);
    expect(prefixesOf(incoming)).toEqual(['incoming/2024/']);

    const partial = await f.s3.send(
      new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'incoming/a' }),
    );
    expect(keysOf(partial)).toEqual(['incoming/a.csv']);
  });

  it('counts common prefixes against max-keys and never repeats one across pages', async () => {
    await put('a/1', 'a/2', 'a/3', 'b/1', 'c', 'd/1', 'e');
    const items: string[] = [];
    let token: string | undefined;
    do {
      const page = await f.s3.send(
        new ListObjectsV2Command({
          Bucket: 'bkt',
          Delimiter: '/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      expect((page.KeyCount ?? 0) <= 2).toBe(true);
      items.push(...(prefixesOf(page) as string[]), ...(keysOf(page) as string[]));
      token = page.NextContinuationToken;
    } while (token);
    expect(items.sort()).toEqual(['a/', 'b/', 'c', 'd/', 'e']);
  });

  it('starts after start-after', async () => {
    await put('a', 'b', 'c', 'd');
    const page = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt', StartAfter: 'b' }));
    expect(keysOf(page)).toEqual(['c', 'd']);
    expect(page.StartAfter).toBe('b');
  });

  it('orders keys by their UTF-8 bytes, as S3 does', async () => {
    await put('z', 'é', 'Z', '\u{1F600}', '\uFF21');
    const page = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(keysOf(page)).toEqual(['Z', 'z', 'é', '\uFF21', '\u{1F600}']);
  });

  it('returns nothing for a prefix no key can have', async () => {
    await put('a/b');
    const page = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: '../' }));
    expect(page.KeyCount).toBe(0);
    expect(page.Contents).toBeUndefined();
  });

  it('URL-encodes keys when asked to (encoding-type=url, as the AWS CLI asks)', async () => {
    await put('with space/and+plus.csv');
    const page = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt', EncodingType: 'url' }));
    expect(keysOf(page)).toEqual(['with+space/and%2Bplus.csv']);
  });
});

describe('ListObjects (v1)', () => {
  it('lists with marker, max-keys, NextMarker and delimiter', async () => {
    await put('a/1', 'a/2', 'b', 'c', 'd');
    const first = await f.s3.send(
      new ListObjectsCommand({ Bucket: 'bkt', MaxKeys: 2, Delimiter: '/' }),
    );
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(first.Contents?.map((c) => c.Key)).toEqual(['b']);
    expect(first.IsTruncated).toBe(true);
    const next = await f.s3.send(new ListObjectsCommand({ Bucket: 'bkt', Marker: 'b' }));
    expect(next.Contents?.map((c) => c.Key)).toEqual(['c', 'd']);
    expect(next.IsTruncated).toBe(false);
  });
});
