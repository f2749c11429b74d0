import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { PayloadDigest, receiveBody, receiveSmallBody } from '../body.ts';
import { toChecksumAlgorithm } from '../checksums.ts';
import { invalidArgument, S3Error } from '../errors.ts';
import { keyToPath } from '../keys.ts';
import { parseMax } from '../listing.ts';
import { header, iso, OWNER, quoted, type S3Request, sendEmpty, sendXml } from '../request.ts';
import type { PartDoc } from '../store.ts';
import { el, elements, textOf, xmlDocument } from '../xml.ts';
import { MAX_XML_BODY, type OperationContext } from './context.ts';
import { checksumHeaders, writeHeaders } from './objects.ts';

/** The multipart operations: create, upload a part, complete, abort, list parts and uploads. */

/** S3's smallest part, except the last. */
const MIN_PART_SIZE = 5 * 1024 * 1024;

/** The upload a request names (the router sends only requests that name one). */
const uploadIdOf = (r: S3Request) => r.query.get('uploadId') ?? '';

export async function createMultipartUpload(ctx: OperationContext, r: S3Request) {
  const dir = ctx.store.requireBucket(r.bucket);
  if (keyToPath(dir, r.key).folder)
    throw invalidArgument('A key ending in "/" is a folder and cannot hold bytes.', 'key', r.key);
  await receiveSmallBody(r.req, MAX_XML_BODY);
  const algorithm = toChecksumAlgorithm(header(r.req, 'x-amz-checksum-algorithm'));
  const upload = ctx.store.createUpload(r.bucket, r.key, {
    ...writeHeaders(r.req),
    ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
  });
  sendXml(
    r,
    200,
    xmlDocument(
      'InitiateMultipartUploadResult',
      `${el('Bucket', r.bucket)}${el('Key', r.key)}${el('UploadId', upload.id)}`,
    ),
    algorithm ? { 'x-amz-checksum-algorithm': algorithm } : {},
  );
}

function partNumber(r: S3Request): number {
  const value = r.query.get('partNumber') ?? '';
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10000)
    throw invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      value,
    );
  return n;
}

export async function uploadPart(ctx: OperationContext, r: S3Request) {
  const uploadId = uploadIdOf(r);
  ctx.store.requireBucket(r.bucket);
  const part = partNumber(r);
  ctx.store.getUpload(r.bucket, r.key, uploadId);
  const temp = ctx.store.tempFile();
  try {
    const received = await receiveBody(
      r.req,
      createWriteStream(temp, { flags: 'wx', flush: true }),
    );
    const doc: PartDoc = {
      part,
      size: received.size,
      etag: received.md5,
      crc32: received.crc32,
      lastModified: Date.now(),
      ...(received.checksum ? { checksum: received.checksum } : {}),
    };
    ctx.store.commitPart(uploadId, temp, doc);
    sendEmpty(r, 200, { etag: quoted(doc.etag), ...checksumHeaders(received) });
  } finally {
    rmSync(temp, { force: true });
  }
}

export async function completeMultipartUpload(ctx: OperationContext, r: S3Request) {
  const uploadId = uploadIdOf(r);
  ctx.store.requireBucket(r.bucket);
  const upload = ctx.store.getUpload(r.bucket, r.key, uploadId);
  const { body } = await receiveSmallBody(r.req, MAX_XML_BODY);
  const requested = elements(body.toString('utf8'), 'Part').map((p) => ({
    number: Number(textOf(p, 'PartNumber')),
    etag: (textOf(p, 'ETag') ?? '').replace(/"/g, '').trim(),
  }));
  if (requested.length === 0)
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  const stored = new Map(ctx.store.listParts(uploadId).map((p) => [p.part, p]));
  const parts: PartDoc[] = [];
  for (const [i, want] of requested.entries()) {
    if (i > 0 && want.number <= (requested[i - 1]?.number ?? 0))
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    const part = stored.get(want.number);
    if (!part || part.etag !== want.etag)
      throw new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        400,
        { UploadId: uploadId, PartNumber: String(want.number), ETag: want.etag },
      );
    parts.push(part);
  }
  for (const part of parts.slice(0, -1))
    if (part.size < MIN_PART_SIZE)
      throw new S3Error(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        400,
        {
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(part.part),
          ETag: part.etag,
        },
      );
  if (ctx.completing.has(uploadId))
    throw new S3Error(
      'OperationAborted',
      'A conflicting conditional operation is currently in progress against this resource. Please try again.',
      409,
    );
  ctx.completing.add(uploadId);
  const temp = ctx.store.tempFile();
  try {
    const digest = new PayloadDigest();
    const partPaths = parts.map((p) => ctx.store.partPath(uploadId, p.part));
    await pipeline(
      async function* () {
        for (const path of partPaths) yield* createReadStream(path);
      },
      digest,
      createWriteStream(temp, { flags: 'wx', flush: true }),
    );
    const md5s = createHash('md5');
    for (const part of parts) md5s.update(Buffer.from(part.etag, 'hex'));
    const o = await ctx.store.commit(r.bucket, r.key, temp, {
      contentType: upload.contentType,
      headers: upload.headers,
      metadata: upload.metadata,
      size: digest.size,
      etag: `${md5s.digest('hex')}-${parts.length}`,
      crc32: digest.crc32Base64(),
      parts: parts.length,
    });
    ctx.store.removeUpload(uploadId);
    ctx.created(o, 'CompleteMultipartUpload', r.id);
    const location = `http://${header(r.req, 'host') ?? '127.0.0.1'}/${encodeURIComponent(r.bucket)}/${r.key.split('/').map(encodeURIComponent).join('/')}`;
    sendXml(
      r,
      200,
      xmlDocument(
        'CompleteMultipartUploadResult',
        `${el('Location', location)}${el('Bucket', r.bucket)}${el('Key', r.key)}${el('ETag', quoted(o.etag))}`,
      ),
      { 'x-amz-version-id': o.versionId },
    );
  } finally {
    ctx.completing.delete(uploadId);
    rmSync(temp, { force: true });
  }
}

export async function abortMultipartUpload(ctx: OperationContext, r: S3Request) {
  const uploadId = uploadIdOf(r);
  ctx.store.requireBucket(r.bucket);
  r.req.resume();
  ctx.store.getUpload(r.bucket, r.key, uploadId);
  ctx.store.removeUpload(uploadId);
  sendEmpty(r, 204);
}

export async function listParts(ctx: OperationContext, r: S3Request) {
  const uploadId = uploadIdOf(r);
  ctx.store.requireBucket(r.bucket);
  r.req.resume();
  const upload = ctx.store.getUpload(r.bucket, r.key, uploadId);
  const max = parseMax(r.query.get('max-parts'), 'max-parts');
  const marker = Number(r.query.get('part-number-marker') ?? '0') || 0;
  const all = ctx.store.listParts(uploadId).filter((p) => p.part > marker);
  const parts = all.slice(0, max);
  const truncated = all.length > parts.length;
  const body = parts
    .map(
      (p) =>
        `<Part>${el('PartNumber', p.part)}${el('LastModified', iso(p.lastModified))}${el('ETag', quoted(p.etag))}${el('Size', p.size)}${p.checksum ? el(`Checksum${p.checksum.algorithm}`, p.checksum.value) : ''}</Part>`,
    )
    .join('');
  const last = parts.at(-1)?.part;
  sendXml(
    r,
    200,
    xmlDocument(
      'ListPartsResult',
      `${el('Bucket', r.bucket)}${el('Key', r.key)}${el('UploadId', uploadId)}${el('PartNumberMarker', marker)}${last !== undefined ? el('NextPartNumberMarker', last) : ''}${el('MaxParts', max)}${el('IsTruncated', truncated)}${body}<Initiator>${el('ID', ctx.account)}${el('DisplayName', 'local')}</Initiator>${OWNER(ctx.account)}${el('StorageClass', 'STANDARD')}${upload.checksumAlgorithm ? el('ChecksumAlgorithm', upload.checksumAlgorithm) : ''}`,
    ),
  );
}

export async function listMultipartUploads(ctx: OperationContext, r: S3Request) {
  ctx.store.requireBucket(r.bucket);
  const prefix = r.query.get('prefix') ?? '';
  const max = parseMax(r.query.get('max-uploads'), 'max-uploads');
  const all = ctx.store.listUploads(r.bucket).filter((u) => u.key.startsWith(prefix));
  const uploads = all.slice(0, max);
  const body = uploads
    .map(
      (u) =>
        `<Upload>${el('Key', u.key)}${el('UploadId', u.id)}<Initiator>${el('ID', ctx.account)}${el('DisplayName', 'local')}</Initiator>${OWNER(ctx.account)}${el('StorageClass', 'STANDARD')}${el('Initiated', iso(u.initiated))}</Upload>`,
    )
    .join('');
  sendXml(
    r,
    200,
    xmlDocument(
      'ListMultipartUploadsResult',
      `${el('Bucket', r.bucket)}${el('KeyMarker', '')}${el('UploadIdMarker', '')}${el('Prefix', prefix)}${el('MaxUploads', max)}${el('IsTruncated', all.length > uploads.length)}${body}`,
    ),
  );
}
