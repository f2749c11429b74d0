import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../helpers/sign.ts';
import { bytes, eventually, md5, raw, type S3Fixture, sleep, startS3Fixture } from './fixture.ts';

let f: S3Fixture;
beforeEach(async () => {
  f = await startS3Fixture();
});
afterEach(async () => {
  await f.stop();
});

const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};

const getBytes = async (key: string, bucket = 'bkt') => {
  const out = await f.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
};

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('expected the request to fail');
};

describe('PutObject, GetObject, HeadObject, DeleteObject', () => {
  it('round-trips a string body with its Content-Type and user metadata', async () => {
    const put = await f.s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'incoming/users.csv',
        Body: 'email,name\na@example.com,A\n',
        ContentType: 'text/csv',
        Metadata: { source: 'crm', batch: '7' },
      }),
    );
    expect(put.ETag).toBe(`"${md5('email,name\na@example.com,A\n')}"`);
    expect(put.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const got = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'incoming/users.csv' }));
    expect(await got.Body?.transformToString()).toBe('email,name\na@example.com,A\n');
    expect(got).toMatchObject({
      ContentType: 'text/csv',
      ContentLength: 27,
      ETag: put.ETag,
      VersionId: put.VersionId,
      Metadata: { source: 'crm', batch: '7' },
    });
    expect(got.LastModified).toBeInstanceOf(Date);

    const head = await f.s3.send(
      new HeadObjectCommand({ Bucket: 'bkt', Key: 'incoming/users.csv' }),
    );
    expect(head).toMatchObject({ ContentLength: 27, ETag: put.ETag, ContentType: 'text/csv' });
  });

  it('keeps the object as a plain file at <dataDir>/s3/<bucket>/<key>', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a/b/c.txt', Body: 'hello' }));
    const path = join(f.dataDir, 's3', 'bkt', 'a', 'b', 'c.txt');
    expect(readFileSync(path, 'utf8')).toBe('hello');
    expect(f.twin.bucketDir('bkt')).toBe(join(f.dataDir, 's3', 'bkt'));
  });

  it('round-trips a Buffer body byte for byte and echoes the CRC32 the SDK sent', async () => {
    const body = bytes(100_000);
    const put = await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'bin', Body: body }));
    expect(put.ChecksumCRC32).toBe(crc32Base64(body));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect((await getBytes('bin')).equals(body)).toBe(true);
  });

  it('stores only the payload of a several-MB Readable stream sent aws-chunked with a CRC32 trailer', async () => {
    const body = bytes(6 * 1024 * 1024 + 123, 7);
    const pieces = [];
    for (let i = 0; i < body.length; i += 100_000) pieces.push(body.subarray(i, i + 100_000));
    const put = await f.s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'stream.bin',
        Body: Readable.from(pieces),
        ContentLength: body.length,
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(put.ChecksumCRC32).toBe(crc32Base64(body));
    // The s3rver bug: the chunk framing and the trailer stored as object bytes.
    const onDisk = readFileSync(join(f.twin.bucketDir('bkt'), 'stream.bin'));
    expect(onDisk.length).toBe(body.length);
    expect(onDisk.equals(body)).toBe(true);
    expect((await getBytes('stream.bin')).equals(body)).toBe(true);
  });

  it('stores a file stream (whose length the SDK finds itself) byte for byte', async () => {
    const body = bytes(3 * 1024 * 1024 + 5, 3);
    const source = join(f.dataDir, 'source.bin');
    writeFileSync(source, body);
    await f.s3.send(
      new PutObjectCommand({ Bucket: 'bkt', Key: 'file.bin', Body: createReadStream(source) }),
    );
    expect(readFileSync(join(f.twin.bucketDir('bkt'), 'file.bin')).equals(body)).toBe(true);
  });

  it('round-trips keys with spaces, "+", unicode and other punctuation exactly', async () => {
    const keys = [
      'with space.csv',
      'plus+sign.csv',
      'ünïcødé/日本語 ファイル.csv',
      'emoji 😀/a&b=c;d,e@f$g.csv',
      'quotes\'"(1)!*~.csv',
      'percent%20literal.csv',
    ];
    for (const [i, key] of keys.entries())
      await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: `body ${i}` }));
    for (const [i, key] of keys.entries()) {
      const got = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: key }));
      expect(await got.Body?.transformToString()).toBe(`body ${i}`);
    }
    const listed = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([...keys].sort());
    expect(existsSync(join(f.twin.bucketDir('bkt'), 'ünïcødé', '日本語 ファイル.csv'))).toBe(true);
  });

  it('deletes an object, and deleting a missing key succeeds as in S3', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'gone.txt', Body: 'x' }));
    await f.s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'gone.txt' }));
    expect(existsSync(join(f.twin.bucketDir('bkt'), 'gone.txt'))).toBe(false);
    await expect(
      f.s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'never-was.txt' })),
    ).resolves.toBeDefined();
  });

  it('overwrites an object with a new ETag and version id', async () => {
    const first = await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'one' }));
    const second = await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'two' }));
    expect(second.ETag).not.toBe(first.ETag);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect((await getBytes('k')).toString()).toBe('two');
  });

  it('keeps a key ending in "/" (a console "folder") as a folder', async () => {
    await f.s3.send(
      new PutObjectCommand({ Bucket: 'bkt', Key: 'drop-here/', Body: '', ContentLength: 0 }),
    );
    const head = await f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'drop-here/' }));
    expect(head.ContentLength).toBe(0);
    expect(readdirSync(join(f.twin.bucketDir('bkt'), 'drop-here'))).toEqual([]);
    const listed = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['drop-here/']);
  });

  it('refuses a key that needs a file and a folder of the same name', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: 'file' }));
    const error = await errorOf(
      f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a/b', Body: 'x' })),
    );
    expect(error.name).toBe('KeyConflictsWithFolder');
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect((await getBytes('a')).toString()).toBe('file');
  });

  it('honours If-None-Match: * (write only if absent)', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'once', Body: 'first' }));
    const error = await errorOf(
      f.s3.send(
        new PutObjectCommand({ Bucket: 'bkt', Key: 'once', Body: 'second', IfNoneMatch: '*' }),
      ),
    );
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect((await getBytes('once')).toString()).toBe('first');
  });
});

describe('range GET', () => {
  beforeEach(async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'digits', Body: '0123456789' }));
  });

  it.each([
    ['bytes=2-5', '2345', 'bytes 2-5/10'],
    ['bytes=7-', '789', 'bytes 7-9/10'],
    ['bytes=-3', '789', 'bytes 7-9/10'],
    ['bytes=8-100', '89', 'bytes 8-9/10'],
  ])('serves %s as 206 Partial Content', async (range, body, contentRange) => {
    const got = await f.s3.send(
      new GetObjectCommand({ Bucket: 'bkt', Key: 'digits', Range: range }),
    );
    expect(await got.Body?.transformToString()).toBe(body);
    expect(got.ContentRange).toBe(contentRange);
    expect(got.ContentLength).toBe(body.length);
  });

  it('answers 416 InvalidRange for a range past the end', async () => {
    const error = await errorOf(
      f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'digits', Range: 'bytes=10-' })),
    );
    expect(error.name).toBe('InvalidRange');
    expect(error.$metadata.httpStatusCode).toBe(416);
  });
});

describe('errors map to the SDK exception classes', () => {
  it('GetObject of a missing key raises NoSuchKey (404)', async () => {
    const error = await errorOf(f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'nope' })));
    expect(error).toBeInstanceOf(NoSuchKey);
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('HeadObject of a missing key raises NotFound (404, no body)', async () => {
    const error = await errorOf(f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'nope' })));
    expect(error).toBeInstanceOf(NotFound);
    const response = await raw(f.twin.endpoint, { method: 'HEAD', path: '/bkt/nope' });
    expect(response.status).toBe(404);
    expect(response.body).toBe('');
  });

  it('ListObjectsV2 on a missing bucket raises NoSuchBucket; GetObject names it too', async () => {
    expect(
      await errorOf(f.s3.send(new ListObjectsV2Command({ Bucket: 'missing' }))),
    ).toBeInstanceOf(NoSuchBucket);
    const error = await errorOf(f.s3.send(new GetObjectCommand({ Bucket: 'missing', Key: 'k' })));
    expect(error.name).toBe('NoSuchBucket');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('answers the S3 error document with Code, Message, Key and RequestId', async () => {
    const response = await raw(f.twin.endpoint, { method: 'GET', path: '/bkt/missing%20key.csv' });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/xml');
    expect(response.body).toMatch(
      /<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message><Key>missing key\.csv<\/Key>.*<RequestId>[0-9A-F]{16}<\/RequestId>/,
    );
    expect(response.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
  });
});

describe('buckets', () => {
  it('creates, lists, heads and deletes a bucket', async () => {
    await f.s3.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));
    const { Buckets } = await f.s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toEqual(['bkt', 'second-bucket']);
    expect(Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    await f.s3.send(new HeadBucketCommand({ Bucket: 'second-bucket' }));
    await f.s3.send(new DeleteBucketCommand({ Bucket: 'second-bucket' }));
    expect(
      await errorOf(f.s3.send(new HeadBucketCommand({ Bucket: 'second-bucket' }))),
    ).toBeInstanceOf(NotFound);
  });

  it('answers BucketAlreadyOwnedByYou (409) for a bucket that exists', async () => {
    const error = await errorOf(f.s3.send(new CreateBucketCommand({ Bucket: 'bkt' })));
    expect(error.name).toBe('BucketAlreadyOwnedByYou');
    expect(error.$metadata.httpStatusCode).toBe(409);
  });

  it('refuses to delete a bucket that holds objects (BucketNotEmpty, 409)', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x' }));
    const error = await errorOf(f.s3.send(new DeleteBucketCommand({ Bucket: 'bkt' })));
    expect(error.name).toBe('BucketNotEmpty');
    expect(error.$metadata.httpStatusCode).toBe(409);
  });

  it('refuses an invalid bucket name (InvalidBucketName, 400)', async () => {
    const response = await raw(f.twin.endpoint, { method: 'PUT', path: '/Bad_Name' });
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>InvalidBucketName</Code>');
  });
});

describe('CopyObject', () => {
  it('copies bytes and metadata, and replaces metadata when asked', async () => {
    await f.s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'src dir/a+b.csv',
        Body: 'a,b\n1,2\n',
        ContentType: 'text/csv',
        Metadata: { origin: 'upload' },
      }),
    );
    const copied = await f.s3.send(
      new CopyObjectCommand({
        Bucket: 'bkt',
        Key: 'dst/copy.csv',
        CopySource: `bkt/${encodeURIComponent('src dir/a+b.csv')}`,
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5('a,b\n1,2\n')}"`);
    const head = await f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'dst/copy.csv' }));
    expect(head).toMatchObject({ ContentType: 'text/csv', Metadata: { origin: 'upload' } });
    expect((await getBytes('dst/copy.csv')).toString()).toBe('a,b\n1,2\n');

    await f.s3.send(
      new CopyObjectCommand({
        Bucket: 'bkt',
        Key: 'dst/replaced.csv',
        CopySource: `/bkt/${encodeURIComponent('src dir/a+b.csv')}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
        Metadata: { origin: 'copy' },
      }),
    );
    const replaced = await f.s3.send(
      new HeadObjectCommand({ Bucket: 'bkt', Key: 'dst/replaced.csv' }),
    );
    expect(replaced).toMatchObject({ ContentType: 'text/plain', Metadata: { origin: 'copy' } });
  });

  it('answers NoSuchKey for a missing source and InvalidRequest for a copy onto itself', async () => {
    const missing = await errorOf(
      f.s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'dst', CopySource: 'bkt/missing' })),
    );
    expect(missing).toBeInstanceOf(NoSuchKey);
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'self', Body: 'x' }));
    const self = await errorOf(
      f.s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'self', CopySource: 'bkt/self' })),
    );
    expect(self.name).toBe('InvalidRequest');
  });
});

describe('DeleteObjects', () => {
  it('deletes many keys in one request and reports each, missing ones included', async () => {
    for (const key of ['x/1', 'x/2 two', 'x/3&<>']) {
      await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: key }));
    }
    const result = await f.s3.send(
      new DeleteObjectsCommand({
        Bucket: 'bkt',
        Delete: {
          Objects: [{ Key: 'x/1' }, { Key: 'x/2 two' }, { Key: 'x/3&<>' }, { Key: 'x/none' }],
        },
      }),
    );
    expect(result.Deleted?.map((d) => d.Key).sort()).toEqual([
      'x/1',
      'x/2 two',
      'x/3&<>',
      'x/none',
    ]);
    expect(result.Errors ?? []).toEqual([]);
    const listed = await f.s3.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('reports a key that cannot be a path as an error entry', async () => {
    const result = await f.s3.send(
      new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: '../outside' }] } }),
    );
    expect(result.Errors?.[0]).toMatchObject({ Key: '../outside', Code: 'InvalidArgument' });
  });
});

describe('checksums', () => {
  it('refuses a body whose CRC32 header does not match (BadDigest) and stores nothing', async () => {
    const error = await errorOf(
      f.s3.send(
        new PutObjectCommand({
          Bucket: 'bkt',
          Key: 'bad',
          Body: 'hello',
          ChecksumCRC32: 'AAAAAA==',
        }),
      ),
    );
    expect(error.name).toBe('BadDigest');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(existsSync(join(f.twin.bucketDir('bkt'), 'bad'))).toBe(false);
  });

  it('refuses an aws-chunked body whose CRC32 trailer does not match, leaving no file', async () => {
    const payload = Buffer.from('id,email\n1,a@example.com\n');
    const framed = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)}\r\n`),
      payload,
      Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    ]);
    const headers = {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': String(payload.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'content-length': String(framed.length),
    };
    const bad = await raw(f.twin.endpoint, {
      method: 'PUT',
      path: '/bkt/t.csv',
      headers,
      body: framed,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>BadDigest</Code>');
    expect(existsSync(join(f.twin.bucketDir('bkt'), 't.csv'))).toBe(false);
    expect(readdirSync(join(f.dataDir, 's3', '.meta', 'tmp'))).toEqual([]);

    const good = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)}\r\n`),
      payload,
      Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crc32Base64(payload)}\r\n\r\n`),
    ]);
    const ok = await raw(f.twin.endpoint, {
      method: 'PUT',
      path: '/bkt/t.csv',
      headers: { ...headers, 'content-length': String(good.length) },
      body: good,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(crc32Base64(payload));
    expect(readFileSync(join(f.twin.bucketDir('bkt'), 't.csv')).equals(payload)).toBe(true);
  });

  it('accepts a plain body with no checksum at all (curl)', async () => {
    const response = await raw(f.twin.endpoint, {
      method: 'PUT',
      path: '/bkt/plain.txt',
      headers: { 'content-type': 'text/plain' },
      body: 'plain',
    });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${md5('plain')}"`);
    expect((await getBytes('plain.txt')).toString()).toBe('plain');
  });

  it('verifies a Content-MD5 header', async () => {
    const response = await raw(f.twin.endpoint, {
      method: 'PUT',
      path: '/bkt/md5.txt',
      headers: { 'content-md5': Buffer.from(md5('other'), 'hex').toString('base64') },
      body: 'plain',
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>BadDigest</Code>');
  });
});

describe('untrusted keys', () => {
  it.each([
    '/bkt/../outside.txt',
    '/bkt/a/../../outside.txt',
    '/bkt/a/%2e%2e/%2E%2E/outside.txt',
    '/bkt/%2Fetc%2Fpasswd',
    '/bkt/a//b',
    '/bkt/./a',
    '/bkt/nul%00byte',
  ])('refuses PUT %s with 400 and writes nothing outside the bucket', async (path) => {
    const response = await raw(f.twin.endpoint, { method: 'PUT', path, body: 'x' });
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>InvalidArgument</Code>');
    expect(existsSync(join(f.dataDir, 's3', 'outside.txt'))).toBe(false);
    expect(existsSync(join(f.dataDir, 'outside.txt'))).toBe(false);
    expect(readdirSync(f.twin.bucketDir('bkt'))).toEqual([]);
  });

  it('refuses a traversal key sent through the SDK', async () => {
    const error = await errorOf(
      f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: '../../outside.txt', Body: 'x' })),
    );
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(existsSync(join(f.dataDir, 'outside.txt'))).toBe(false);
  });

  it('refuses GET of a traversal key instead of reading outside the bucket', async () => {
    writeFileSync(join(f.dataDir, 's3', 'private.txt'), 'PERSONAL DATA');
    const response = await raw(f.twin.endpoint, { method: 'GET', path: '/bkt/../private.txt' });
    expect(response.status).toBe(400);
    expect(response.body).not.toContain('PERSONAL DATA');
  });
});

describe('atomic writes', () => {
  it('keeps nothing of an upload the client abandons half way, and raises no event', async () => {
    const { hostname, port } = new URL(f.twin.endpoint);
    const headers = await signedHeaders(
      {
        method: 'PUT',
        url: `${f.twin.endpoint}/bkt/half.bin`,
        headers: { 'content-length': '1000000' },
      },
      { service: 's3', payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    await new Promise<void>((resolve) => {
      const req = request({ hostname, port, method: 'PUT', path: '/bkt/half.bin', headers });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(300_000, 7));
      setTimeout(() => req.destroy(), 50);
    });
    await eventually(() => readdirSync(join(f.dataDir, 's3', '.meta', 'tmp')).length === 0);
    expect(readdirSync(f.twin.bucketDir('bkt'))).toEqual([]);
    expect(f.events).toHaveLength(0);
  });

  it('serves the previous version in full while a new one is still arriving', async () => {
    await f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'doc.csv', Body: 'version one' }));
    const { hostname, port } = new URL(f.twin.endpoint);
    const next = Buffer.from('version two, longer');
    const headers = await signedHeaders(
      {
        method: 'PUT',
        url: `${f.twin.endpoint}/bkt/doc.csv`,
        headers: { 'content-length': String(next.length) },
      },
      { service: 's3', payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const req = request({ hostname, port, method: 'PUT', path: '/bkt/doc.csv', headers });
    const answered = new Promise<number>((resolve) =>
      req.on('response', (res) => resolve(res.statusCode ?? 0)),
    );
    req.write(next.subarray(0, 8));
    await sleep(50);
    expect((await getBytes('doc.csv')).toString()).toBe('version one');
    req.end(next.subarray(8));
    expect(await answered).toBe(200);
    expect((await getBytes('doc.csv')).toString()).toBe('version two, longer');
  });

  it('ends concurrent writes to one key with exactly one of them, whole, and its own ETag', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => bytes(150_000 + i, i + 1));
    await Promise.all(
      bodies.map((body) =>
        f.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'race', Body: body })),
      ),
    );
    const got = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'race' }));
    const served = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bodies.some((b) => b.equals(served))).toBe(true);
    expect(got.ETag).toBe(`"${md5(served)}"`);
    expect(f.events).toHaveLength(12);
  });
});
