import { createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { PayloadDigest } from '../body.ts';
import { invalidArgument, noSuchKey, preconditionFailed, S3Error } from '../errors.ts';
import { keyToPath } from '../keys.ts';
import { decode, header, iso, quoted, type S3Request, sendXml } from '../request.ts';
import { el, xmlDocument } from '../xml.ts';
import type { OperationContext } from './context.ts';
import { writeHeaders } from './objects.ts';

/** CopyObject: `x-amz-copy-source` names the source; metadata is copied or replaced. */
export async function copyObject(ctx: OperationContext, r: S3Request) {
  const source = header(r.req, 'x-amz-copy-source') ?? '';
  const dir = ctx.store.requireBucket(r.bucket);
  if (keyToPath(dir, r.key).folder)
    throw invalidArgument(
      'A key ending in "/" is a folder and cannot be a copy target.',
      'key',
      r.key,
    );
  r.req.resume();
  const q = source.indexOf('?');
  const path = decode((q === -1 ? source : source.slice(0, q)).replace(/^\//, ''));
  const sourceVersion = q === -1 ? null : new URLSearchParams(source.slice(q + 1)).get('versionId');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1)
    throw invalidArgument(
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      'x-amz-copy-source',
      source,
    );
  const fromBucket = path.slice(0, slash);
  const fromKey = path.slice(slash + 1);
  const directive = (header(r.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  if (fromBucket === r.bucket && fromKey === r.key && directive === 'COPY')
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  ctx.store.requireBucket(fromBucket);
  const opened = await ctx.store.openObject(fromBucket, fromKey);
  if (!opened) throw noSuchKey(fromKey);
  const temp = ctx.store.tempFile();
  try {
    const from = opened.object;
    if (sourceVersion !== null && sourceVersion !== 'null' && sourceVersion !== from.versionId)
      throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404, {
        Key: fromKey,
        VersionId: sourceVersion,
      });
    const ifMatch = header(r.req, 'x-amz-copy-source-if-match');
    const ifNoneMatch = header(r.req, 'x-amz-copy-source-if-none-match');
    if (ifMatch !== undefined && ifMatch.replace(/"/g, '').trim() !== from.etag)
      throw preconditionFailed('x-amz-copy-source-If-Match');
    if (ifNoneMatch !== undefined && ifNoneMatch.replace(/"/g, '').trim() === from.etag)
      throw preconditionFailed('x-amz-copy-source-If-None-Match');
    const digest = new PayloadDigest();
    const out = createWriteStream(temp, { flags: 'wx', flush: true });
    if (opened.handle) {
      const stream = opened.handle.createReadStream({ autoClose: true });
      opened.handle = undefined;
      await pipeline(stream, digest, out);
    } else await pipeline(async function* () {}, digest, out);
    const meta =
      directive === 'REPLACE'
        ? writeHeaders(r.req)
        : { contentType: from.contentType, headers: from.headers, metadata: from.metadata };
    const o = await ctx.store.commit(r.bucket, r.key, temp, {
      ...meta,
      size: digest.size,
      etag: digest.md5Hex(),
      crc32: digest.crc32Base64(),
    });
    ctx.created(o, 'CopyObject', r.id);
    sendXml(
      r,
      200,
      xmlDocument(
        'CopyObjectResult',
        `${el('LastModified', iso(o.lastModified))}${el('ETag', quoted(o.etag))}`,
      ),
      { 'x-amz-version-id': o.versionId, 'x-amz-copy-source-version-id': from.versionId },
    );
  } finally {
    await opened.handle?.close();
    rmSync(temp, { force: true });
  }
}
