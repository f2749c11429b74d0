import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import {
  type Checksum,
  type ChecksumAlgorithm,
  checksumHeader,
  createChecksum,
  toChecksumAlgorithm,
} from './checksums.ts';
import { AwsChunkedDecoder } from './chunked.ts';
import { badDigest, incompleteBody, invalidArgument, S3Error } from './errors.ts';

/** What the twin learned about a body while it passed through. */
export interface ReceivedBody {
  size: number;
  /** Hex MD5 of the payload: the ETag of a single-part object. */
  md5: string;
  /** Base64 CRC32 of the payload, kept for every object so GetObject can offer it to the SDK. */
  crc32: string;
  /** The flexible checksum the client sent (header or trailer), verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** Counts and hashes the payload on its way through. */
export class PayloadDigest extends Transform {
  size = 0;
  private readonly md5 = createHash('md5');
  private crc = 0;
  private readonly sha256?: ReturnType<typeof createHash>;
  readonly extra?: Checksum;

  constructor(options: { extra?: ChecksumAlgorithm; sha256?: boolean } = {}) {
    super();
    if (options.extra && options.extra !== 'CRC32') this.extra = createChecksum(options.extra);
    if (options.sha256) this.sha256 = createHash('sha256');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    this.md5.update(chunk);
    this.crc = crc32(chunk, this.crc);
    this.extra?.update(chunk);
    this.sha256?.update(chunk);
    callback(null, chunk);
  }

  md5Hex(): string {
    return this.md5.digest('hex');
  }

  crc32Base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out.toString('base64');
  }

  sha256Hex(): string | undefined {
    return this.sha256?.digest('hex');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether the body is `aws-chunked` framed (SigV4 streaming, SDK v3 streams). */
export function isAwsChunked(req: IncomingMessage): boolean {
  return (
    /(^|,)\s*aws-chunked\s*(,|$)/i.test(header(req, 'content-encoding') ?? '') ||
    (header(req, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-')
  );
}

/** The flexible checksum algorithm a request announces, by header, trailer or algorithm name. */
function announcedAlgorithm(req: IncomingMessage): ChecksumAlgorithm | undefined {
  for (const name of Object.keys(req.headers)) {
    const match = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.exec(name);
    if (match) return toChecksumAlgorithm(match[1]);
  }
  const trailer = /x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)\b/i.exec(
    header(req, 'x-amz-trailer') ?? '',
  );
  if (trailer) return toChecksumAlgorithm(trailer[1]);
  return toChecksumAlgorithm(
    header(req, 'x-amz-sdk-checksum-algorithm') ?? header(req, 'x-amz-checksum-algorithm'),
  );
}

/**
 * Streams a request body into `sink`, undoing `aws-chunked` framing, and verifies everything the
 * client said about it: `x-amz-decoded-content-length`, a flexible checksum in a header or a
 * trailer (BadDigest), `Content-MD5` (BadDigest) and a hex `x-amz-content-sha256`
 * (XAmzContentSHA256Mismatch). The caller decides what the sink is and discards it on error.
 */
export async function receiveBody(req: IncomingMessage, sink: Writable): Promise<ReceivedBody> {
  const chunked = isAwsChunked(req);
  const algorithm = announcedAlgorithm(req);
  const contentSha = header(req, 'x-amz-content-sha256');
  const verifySha = !chunked && contentSha !== undefined && /^[0-9a-f]{64}$/.test(contentSha);
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16)
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  const digest = new PayloadDigest({
    ...(algorithm ? { extra: algorithm } : {}),
    sha256: verifySha,
  });
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  // The request is piped in rather than handed to pipeline(), which would destroy it (and with it
  // the socket) on the first bad chunk: the client should get a 400 document, not a reset.
  const entry = new PassThrough();
  req.on('error', (error) => entry.destroy(error));
  req.on('close', () => {
    if (!req.complete) entry.destroy(incompleteBody());
  });
  req.pipe(entry);
  try {
    if (decoder) await pipeline(entry, decoder, digest, sink);
    else await pipeline(entry, digest, sink);
  } catch (error) {
    req.unpipe(entry);
    req.resume();
    if (error instanceof S3Error) throw error;
    // The client went away or the connection broke: nothing was received in full.
    throw incompleteBody();
  }

  const declared = header(req, 'x-amz-decoded-content-length');
  if (chunked && declared !== undefined && Number(declared) !== digest.size) throw incompleteBody();

  const md5 = digest.md5Hex();
  const crc = digest.crc32Base64();
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').toString('hex') !== md5)
    throw badDigest();
  if (verifySha && digest.sha256Hex() !== contentSha)
    throw new S3Error(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );

  let checksum: ReceivedBody['checksum'];
  if (algorithm) {
    const computed = algorithm === 'CRC32' ? crc : (digest.extra?.digest() ?? '');
    const name = checksumHeader(algorithm);
    const given = header(req, name) ?? decoder?.trailers.get(name);
    if (given !== undefined && given !== computed) throw badDigest();
    checksum = { algorithm, value: computed };
  }
  return { size: digest.size, md5, crc32: crc, ...(checksum ? { checksum } : {}) };
}

/** A request body small enough to hold in memory (the XML of DeleteObjects and friends). */
export async function receiveSmallBody(
  req: IncomingMessage,
  limit: number,
): Promise<ReceivedBody & { body: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) {
        callback(invalidArgument('The request body is too large.'));
        return;
      }
      chunks.push(chunk);
      callback();
    },
  });
  const received = await receiveBody(req, sink);
  return { ...received, body: Buffer.concat(chunks) };
}
