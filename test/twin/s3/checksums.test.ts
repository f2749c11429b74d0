import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKSUM_ALGORITHMS, checksumOf } from '../../../twin/s3/checksums.ts';
import { AwsChunkedDecoder } from '../../../twin/s3/chunked.ts';
import { bytes, type S3Fixture, startS3Fixture } from './fixture.ts';

const hex = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

describe('checksum algorithms', () => {
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
  ] as const)('%s gives the catalogued check value for "123456789"', (algorithm, check) => {
    expect(hex(checksumOf(algorithm, Buffer.from('123456789')))).toBe(check);
  });
});

async function decode(chunks: Buffer[]) {
  const decoder = new AwsChunkedDecoder();
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    decoder,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return { payload: Buffer.concat(out), trailers: Object.fromEntries(decoder.trailers) };
}

describe('aws-chunked decoding', () => {
  const payload = Buffer.from('id,email\n1,a@example.com\n2,b@example.com\n');
  const framed = Buffer.concat([
    Buffer.from('10\r\n'),
    payload.subarray(0, 16),
    Buffer.from(`\r\n${(payload.length - 16).toString(16)}\r\n`),
    payload.subarray(16),
    Buffer.from('\r\n0\r\nx-amz-checksum-crc32:abcd==\r\n\r\n'),
  ]);

  it('yields the payload and the trailers however the body is split into packets', async () => {
    for (let cut = 1; cut < framed.length; cut++) {
      const result = await decode([framed.subarray(0, cut), framed.subarray(cut)]);
      expect(result.payload.equals(payload)).toBe(true);
      expect(result.trailers).toEqual({ 'x-amz-checksum-crc32': 'abcd==' });
    }
    const oneByteAtATime = await decode([...framed].map((b) => Buffer.from([b])));
    expect(oneByteAtATime.payload.equals(payload)).toBe(true);
  });

  it('accepts signed chunks (chunk-signature extensions) and a body without a trailer', async () => {
    const signed = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)};chunk-signature=${'a'.repeat(64)}\r\n`),
      payload,
      Buffer.from(`\r\n0;chunk-signature=${'b'.repeat(64)}\r\n\r\n`),
    ]);
    const result = await decode([signed]);
    expect(result.payload.equals(payload)).toBe(true);
    expect(result.trailers).toEqual({});
  });

  it('refuses a body cut off before its last chunk (IncompleteBody)', async () => {
    await expect(decode([framed.subarray(0, 30)])).rejects.toMatchObject({
      code: 'IncompleteBody',
    });
  });

  it('refuses a chunk longer than its declared size', async () => {
    const bad = Buffer.from('3\r\nabcdef\r\n0\r\n\r\n');
    await expect(decode([bad])).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});

describe('flexible checksums sent by the SDK', () => {
  let f: S3Fixture;
  beforeEach(async () => {
    f = await startS3Fixture();
  });
  afterEach(async () => {
    await f.stop();
  });

  it.each(CHECKSUM_ALGORITHMS)(
    'verifies and echoes %s, in a header (Buffer) and in a trailer (stream)',
    async (algorithm) => {
      const body = bytes(300_000, 5);
      const field = `Checksum${algorithm}` as const;
      const expected = checksumOf(algorithm, body);
      const inHeader = await f.s3.send(
        new PutObjectCommand({
          Bucket: 'bkt',
          Key: `h-${algorithm}`,
          Body: body,
          ChecksumAlgorithm: algorithm,
        }),
      );
      expect(inHeader[field]).toBe(expected);
      const inTrailer = await f.s3.send(
        new PutObjectCommand({
          Bucket: 'bkt',
          Key: `t-${algorithm}`,
          Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
          ContentLength: body.length,
          ChecksumAlgorithm: algorithm,
        }),
      );
      expect(inTrailer[field]).toBe(expected);
    },
  );
});
