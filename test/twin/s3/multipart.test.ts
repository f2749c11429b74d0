import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  NoSuchUpload,
  type S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytes, md5, type S3Fixture, startS3Fixture } from './fixture.ts';

let f: S3Fixture;
beforeEach(async () => {
  f = await startS3Fixture();
});
afterEach(async () => {
  await f.stop();
});

const MiB = 1024 * 1024;

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('expected the request to fail');
};

const create = async (key: string) => {
  const { UploadId } = await f.s3.send(
    new CreateMultipartUploadCommand({
      Bucket: 'bkt',
      Key: key,
      ContentType: 'text/csv',
      Metadata: { batch: '42' },
    }),
  );
  return UploadId as string;
};

const uploadPart = async (key: string, uploadId: string, part: number, body: Buffer) => {
  const { ETag } = await f.s3.send(
    new UploadPartCommand({
      Bucket: 'bkt',
      Key: key,
      UploadId: uploadId,
      PartNumber: part,
      Body: body,
    }),
  );
  return ETag as string;
};

describe('multipart upload', () => {
  it('assembles parts into one object whose ETag is the MD5 of the part MD5s, dash part count', async () => {
    const parts = [bytes(5 * MiB, 1), bytes(5 * MiB, 2), bytes(MiB + 17, 3)];
    const uploadId = await create('big/users.csv');
    const etags: string[] = [];
    for (const [i, body] of parts.entries())
      etags.push(await uploadPart('big/users.csv', uploadId, i + 1, body));
    expect(etags).toEqual(parts.map((p) => `"${md5(p)}"`));

    const done = await f.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'bkt',
        Key: 'big/users.csv',
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const md5s = createHash('md5');
    for (const p of parts) md5s.update(createHash('md5').update(p).digest());
    const expected = `"${md5s.digest('hex')}-3"`;
    expect(done.ETag).toBe(expected);
    expect(done.Key).toBe('big/users.csv');

    const whole = Buffer.concat(parts);
    const got = await f.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'big/users.csv' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(whole)).toBe(true);
    expect(got).toMatchObject({
      ETag: expected,
      ContentType: 'text/csv',
      Metadata: { batch: '42' },
    });
    expect(readFileSync(join(f.twin.bucketDir('bkt'), 'big', 'users.csv')).equals(whole)).toBe(
      true,
    );
    // The upload's parts are gone once it is complete.
    expect(readdirSync(join(f.dataDir, 's3', '.meta', 'uploads'))).toEqual([]);
  });

  it('accepts parts sent as streams (aws-chunked framing) and lists them', async () => {
    const first = bytes(5 * MiB, 9);
    const uploadId = await create('streamed.bin');
    const { ETag } = await f.s3.send(
      new UploadPartCommand({
        Bucket: 'bkt',
        Key: 'streamed.bin',
        UploadId: uploadId,
        PartNumber: 1,
        Body: Readable.from([first.subarray(0, 3 * MiB), first.subarray(3 * MiB)]),
        ContentLength: first.length,
      }),
    );
    expect(ETag).toBe(`"${md5(first)}"`);
    await uploadPart('streamed.bin', uploadId, 2, Buffer.from('tail'));
    const listed = await f.s3.send(
      new ListPartsCommand({ Bucket: 'bkt', Key: 'streamed.bin', UploadId: uploadId }),
    );
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 5 * MiB, `"${md5(first)}"`],
      [2, 4, `"${md5('tail')}"`],
    ]);
    const uploads = await f.s3.send(new ListMultipartUploadsCommand({ Bucket: 'bkt' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['streamed.bin', uploadId]]);
  });

  it('refuses a part smaller than 5 MiB that is not the last (EntityTooSmall)', async () => {
    const uploadId = await create('small');
    const a = await uploadPart('small', uploadId, 1, Buffer.from('a'));
    const b = await uploadPart('small', uploadId, 2, Buffer.from('b'));
    const error = await errorOf(
      f.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'small',
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [
              { ETag: a, PartNumber: 1 },
              { ETag: b, PartNumber: 2 },
            ],
          },
        }),
      ),
    );
    expect(error.name).toBe('EntityTooSmall');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses a part list with a wrong ETag (InvalidPart) or out of order (InvalidPartOrder)', async () => {
    const uploadId = await create('k');
    const a = await uploadPart('k', uploadId, 1, bytes(5 * MiB));
    const b = await uploadPart('k', uploadId, 2, Buffer.from('b'));
    const wrong = await errorOf(
      f.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [
              { ETag: a, PartNumber: 1 },
              { ETag: `"${md5('x')}"`, PartNumber: 2 },
            ],
          },
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidPart');
    const order = await errorOf(
      f.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [
              { ETag: b, PartNumber: 2 },
              { ETag: a, PartNumber: 1 },
            ],
          },
        }),
      ),
    );
    expect(order.name).toBe('InvalidPartOrder');
  });

  it('aborts an upload: its parts are gone and the id is NoSuchUpload', async () => {
    const uploadId = await create('aborted');
    await uploadPart('aborted', uploadId, 1, Buffer.from('x'));
    await f.s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId: uploadId }),
    );
    expect(readdirSync(join(f.dataDir, 's3', '.meta', 'uploads'))).toEqual([]);
    const error = await errorOf(
      f.s3.send(
        new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId: uploadId }),
      ),
    );
    expect(error).toBeInstanceOf(NoSuchUpload);
    expect(error.$metadata.httpStatusCode).toBe(404);
    const part = await errorOf(uploadPart('aborted', uploadId, 2, Buffer.from('y')));
    expect(part.name).toBe('NoSuchUpload');
    const head = await errorOf(f.s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'aborted' })));
    expect(head.$metadata.httpStatusCode).toBe(404);
  });

  it('refuses an upload id that belongs to another key', async () => {
    const uploadId = await create('one');
    const error = await errorOf(uploadPart('two', uploadId, 1, Buffer.from('x')));
    expect(error.name).toBe('NoSuchUpload');
  });

  it('refuses a part number outside 1..10000 (InvalidArgument)', async () => {
    const uploadId = await create('k');
    const error = await errorOf(uploadPart('k', uploadId, 10001, Buffer.from('x')));
    expect(error.name).toBe('InvalidArgument');
  });
});
