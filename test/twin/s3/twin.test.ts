import { lookup as dnsLookup } from 'node:dns';
import { readdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type S3RequestLogEntry, startS3Twin } from '../../../twin/s3/index.ts';
import { credentials, md5, raw, type S3Fixture, startS3Fixture } from './fixture.ts';

let f: S3Fixture;
beforeEach(async () => {
  f = await startS3Fixture();
});
afterEach(async () => {
  await f.stop();
});

/** Records the host and path of every request the SDK sends, before it goes out. */
function spy(client: S3Client): { host: string; path: string }[] {
  const seen: { host: string; path: string }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { hostname: string; path: string };
      seen.push({ host: request.hostname, path: request.path });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'spyOnAddressing' },
  );
  return seen;
}

/** Resolves `*.localhost` to 127.0.0.1, as systemd-resolved and macOS do but plain glibc does not. */
const localhostLookup: LookupFunction = (hostname, options, callback) =>
  dnsLookup(hostname.endsWith('.localhost') ? '127.0.0.1' : hostname, options, callback);

describe('addressing', () => {
  it('binds to 127.0.0.1 and the SDK sends path-style requests to that IP endpoint', async () => {
    expect(f.twin.endpoint).toBe(`http://127.0.0.1:${f.twin.port}`);
    const seen = spy(f.s3);
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/a b.csv', Body: 'x' }));
    expect(seen[0]).toEqual({ host: '127.0.0.1', path: '/bkt/dir/a%20b.csv' });
  });

  it('the SDK sends virtual-hosted requests (Host: bkt.localhost) to a localhost endpoint, which the twin serves', async () => {
    const s3 = new S3Client({
      endpoint: `http://localhost:${f.twin.port}`,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
      requestHandler: { httpAgent: new Agent({ lookup: localhostLookup }) },
    });
    const seen = spy(s3);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'vh/k.csv', Body: 'virtual' }));
    expect(seen[0]).toEqual({ host: 'bkt.localhost', path: '/vh/k.csv' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'vh/k.csv' }));
    expect(await got.Body?.transformToString()).toBe('virtual');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'vh/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['vh/k.csv']);
    s3.destroy();
  });

  it('serves a localhost endpoint path-style with forcePathStyle', async () => {
    const s3 = f.client({ endpoint: `http://localhost:${f.twin.port}`, forcePathStyle: true });
    const seen = spy(s3);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'ps.csv', Body: 'path' }));
    expect(seen[0]).toEqual({ host: 'localhost', path: '/bkt/ps.csv' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ps.csv' }));
    expect(await got.Body?.transformToString()).toBe('path');
    s3.destroy();
  });

  it('serves virtual-hosted style requests sent by hand with Host: bucket.localhost:PORT', async () => {
    const host = `bkt.localhost:${f.twin.port}`;
    const put = await raw(f.twin.endpoint, {
      method: 'PUT',
      path: '/by%20host/k+1.txt',
      headers: { host, 'content-type': 'text/plain' },
      body: 'hosted',
    });
    expect(put.status).toBe(200);
    const got = await raw(f.twin.endpoint, {
      method: 'GET',
      path: '/by%20host/k+1.txt',
      headers: { host },
    });
    expect(got).toMatchObject({ status: 200, body: 'hosted' });
    const list = await raw(f.twin.endpoint, {
      method: 'GET',
      path: '/?list-type=2',
      headers: { host },
    });
    expect(list.body).toContain('<Key>by host/k+1.txt</Key>');
    const sdk = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'by host/k+1.txt' }));
    expect(await sdk.Body?.transformToString()).toBe('hosted');
  });
});

describe('persistence', () => {
  it('keeps objects, metadata, versions and sequencers across a restart', async () => {
    const put = await f.s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'keep/me.csv',
        Body: 'kept',
        ContentType: 'text/csv',
        Metadata: { owner: 'ops' },
        CacheControl: 'no-cache',
      }),
    );
    const before = await f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'keep/me.csv' }));
    await f.restart({ buckets: ['bkt', 'other'] });
    const after = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'keep/me.csv' }));
    expect(await after.Body?.transformToString()).toBe('kept');
    expect(after).toMatchObject({
      ETag: put.ETag,
      VersionId: put.VersionId,
      ContentType: 'text/csv',
      CacheControl: 'no-cache',
      Metadata: { owner: 'ops' },
      LastModified: before.LastModified,
    });
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'later', Body: 'x' }));
    const [first, second] = f.events;
    expect((second?.detail.object.sequencer ?? '') > (first?.detail.object.sequencer ?? '')).toBe(
      true,
    );
  });

  it('keeps a multipart upload in progress across a restart', async () => {
    const { UploadId } = await f.s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp' }),
    );
    await f.s3.send(
      new UploadPartCommand({ Bucket: 'bkt', Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }),
    );
    await f.restart();
    const parts = await f.s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp', UploadId }));
    expect(parts.Parts?.map((p) => p.ETag)).toEqual([`"${md5('part')}"`]);
  });

  it('serves a file copied in by hand with metadata computed on first sight, and notices a replacement', async () => {
    const path = join(f.twin.bucketDir('bkt'), 'hand.csv');
    writeFileSync(path, 'first');
    const first = await f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'hand.csv' }));
    expect(first).toMatchObject({
      ETag: `"${md5('first')}"`,
      ContentLength: 5,
      ContentType: 'text/csv',
    });
    writeFileSync(path, 'second!');
    const second = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'hand.csv' }));
    expect(await second.Body?.transformToString()).toBe('second!');
    expect(second.ETag).toBe(`"${md5('second!')}"`);
    expect(second.VersionId).not.toBe(first.VersionId);
  });

  it('creates the buckets it is given at start and lists hand-made bucket folders', async () => {
    const dataDir = join(f.dataDir, 'second');
    const twin = await startS3Twin({ dataDir, buckets: ['alpha', 'beta'] });
    try {
      expect(readdirSync(join(dataDir, 's3')).sort()).toEqual(['.meta', 'alpha', 'beta']);
      const s3 = new S3Client({ endpoint: twin.endpoint, region: 'us-east-1', credentials });
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'k', Body: 'v' }));
      s3.destroy();
    } finally {
      await twin.close();
    }
  });
});

describe('request log', () => {
  it('reports each request through onRequest (operation, status, time) and prints nothing', async () => {
    const entries: S3RequestLogEntry[] = [];
    await f.restart({ onRequest: (entry) => entries.push(entry) });
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'v' }));
    await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'missing' })).catch(() => undefined);
    await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(entries.map((e) => [e.service, e.operation, e.status])).toEqual([
      ['s3', 'PutObject', 200],
      ['s3', 'GetObject', 404],
      ['s3', 'ListObjectsV2', 200],
    ]);
    expect(entries.every((e) => e.ms >= 0)).toBe(true);
  });
});
