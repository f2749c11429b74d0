import { createWriteStream, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { type ReceivedBody, receiveBody, receiveSmallBody } from '../body.ts';
import { checksumHeader } from '../checksums.ts';
import { invalidArgument, noSuchKey, preconditionFailed, S3Error } from '../errors.ts';
import { keyToPath } from '../keys.ts';
import { commonHeaders, header, quoted, type S3Request, sendEmpty, sendXml } from '../request.ts';
import type { StoredObject, UploadDoc } from '../store.ts';
import { el, elements, textOf, xmlDocument } from '../xml.ts';
import { MAX_XML_BODY, type OperationContext } from './context.ts';

/** The object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects. */

/** Content headers S3 stores with an object and returns on GetObject/HeadObject. */
export const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

/** Content-Type, content headers and `x-amz-meta-*` of a write request. */
export function writeHeaders(req: IncomingMessage): UploadDoc {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let value = header(req, name);
    // `aws-chunked` describes the request's framing, not the object: S3 drops it.
    if (name === 'content-encoding' && value !== undefined)
      value = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked')
        .join(', ');
    if (value) headers[name] = value;
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  return { contentType: header(req, 'content-type') ?? 'binary/octet-stream', headers, metadata };
}

export function checksumHeaders(received: ReceivedBody): Record<string, string> {
  if (!received.checksum) return {};
  return {
    [checksumHeader(received.checksum.algorithm)]: received.checksum.value,
    'x-amz-checksum-type': 'FULL_OBJECT',
  };
}

function objectHeaders(o: StoredObject, query: URLSearchParams): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': o.contentType,
    etag: quoted(o.etag),
    'last-modified': new Date(o.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'x-amz-version-id': o.versionId,
    ...o.headers,
  };
  for (const [name, value] of Object.entries(o.metadata)) headers[`x-amz-meta-${name}`] = value;
  // GetObject's response-* parameters override what is stored (pre-signed download links use them).
  for (const name of ['content-type', ...STORED_HEADERS]) {
    const override = query.get(`response-${name}`);
    if (override !== null) headers[name] = override;
  }
  return headers;
}

/** Parses `Range: bytes=…`: undefined for the whole object (also when the header is not one range). */
function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = () =>
    new S3Error(
      'InvalidRange',
      'The requested range is not satisfiable',
      416,
      {
        RangeRequested: value,
        ActualObjectSize: String(size),
      },
      { 'content-range': `bytes */${size}` },
    );
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

/** If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, as S3 applies them to reads. */
function checkReadConditions(r: S3Request, o: StoredObject): 'not-modified' | undefined {
  const ifMatch = header(r.req, 'if-match');
  const ifNoneMatch = header(r.req, 'if-none-match');
  const ifModifiedSince = header(r.req, 'if-modified-since');
  const ifUnmodifiedSince = header(r.req, 'if-unmodified-since');
  const matches = (list: string) =>
    list
      .split(',')
      .some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '').replace(/"/g, '') === o.etag);
  const seconds = Math.floor(o.lastModified / 1000);
  const since = (v: string) => Math.floor(Date.parse(v) / 1000);
  if (ifMatch !== undefined && !matches(ifMatch)) throw preconditionFailed('If-Match');
  if (
    ifMatch === undefined &&
    ifUnmodifiedSince !== undefined &&
    !Number.isNaN(since(ifUnmodifiedSince)) &&
    seconds > since(ifUnmodifiedSince)
  )
    throw preconditionFailed('If-Unmodified-Since');
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? 'not-modified' : undefined;
  if (
    ifModifiedSince !== undefined &&
    !Number.isNaN(since(ifModifiedSince)) &&
    seconds <= since(ifModifiedSince)
  )
    return 'not-modified';
  return undefined;
}

export async function putObject(ctx: OperationContext, r: S3Request) {
  const dir = ctx.store.requireBucket(r.bucket);
  const { folder } = keyToPath(dir, r.key); // Refuse a bad key before reading its body.
  const meta = writeHeaders(r.req);
  const ifMatch = header(r.req, 'if-match');
  if (ifMatch !== undefined) {
    const current = await ctx.store.describe(r.bucket, r.key);
    if (!current) throw noSuchKey(r.key);
    if (ifMatch.replace(/"/g, '').trim() !== current.etag) throw preconditionFailed('If-Match');
  }
  if (folder) {
    const received = await receiveSmallBody(r.req, MAX_XML_BODY);
    if (received.size > 0)
      throw invalidArgument(
        'The local S3 twin keeps a key ending in "/" as a folder, which cannot hold bytes.',
        'key',
        r.key,
      );
    const o = ctx.store.putFolder(r.bucket, r.key, {
      ...meta,
      size: 0,
      etag: received.md5,
      crc32: received.crc32,
    });
    ctx.created(o, 'PutObject', r.id);
    sendEmpty(r, 200, {
      etag: quoted(o.etag),
      'x-amz-version-id': o.versionId,
      ...checksumHeaders(received),
    });
    return;
  }
  const temp = ctx.store.tempFile();
  try {
    const received = await receiveBody(
      r.req,
      createWriteStream(temp, { flags: 'wx', flush: true }),
    );
    const ifNoneMatch = header(r.req, 'if-none-match');
    const o = await ctx.store.commit(
      r.bucket,
      r.key,
      temp,
      {
        ...meta,
        size: received.size,
        etag: received.md5,
        crc32: received.crc32,
        ...(received.checksum ? { checksum: received.checksum } : {}),
      },
      ifNoneMatch !== undefined ? { ifNoneMatch: ifNoneMatch.trim() } : {},
    );
    ctx.created(o, 'PutObject', r.id);
    sendEmpty(r, 200, {
      etag: quoted(o.etag),
      'x-amz-version-id': o.versionId,
      ...checksumHeaders(received),
    });
  } finally {
    rmSync(temp, { force: true });
  }
}

/** GetObject, and HeadObject (the same answer without a body). */
export async function getObject(ctx: OperationContext, r: S3Request) {
  const dir = ctx.store.requireBucket(r.bucket);
  keyToPath(dir, r.key);
  r.req.resume();
  const opened = await ctx.store.openObject(r.bucket, r.key);
  if (!opened) throw noSuchKey(r.key);
  let handle: FileHandle | undefined = opened.handle;
  try {
    const o = opened.object;
    const versionId = r.query.get('versionId');
    if (versionId !== null && versionId !== 'null' && versionId !== o.versionId)
      throw new S3Error('NoSuchVersion', 'The specified version does not exist.', 404, {
        Key: r.key,
        VersionId: versionId,
      });
    const headers = objectHeaders(o, r.query);
    if (checkReadConditions(r, o) === 'not-modified') {
      r.res.writeHead(304, {
        ...commonHeaders(r.id),
        etag: headers.etag ?? '',
        'last-modified': headers['last-modified'] ?? '',
      });
      r.res.end();
      return;
    }
    const range = parseRange(header(r.req, 'range'), o.size);
    if (!range && header(r.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      // The SDK checks the body against this, so every GetObject through it is verified end to end.
      headers['x-amz-checksum-crc32'] = o.crc32;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? o.size - 1;
    const length = o.size === 0 ? 0 : end - start + 1;
    r.res.writeHead(range ? 206 : 200, {
      ...commonHeaders(r.id),
      ...headers,
      'content-length': String(length),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${o.size}` } : {}),
    });
    if (r.method === 'HEAD' || length === 0 || !handle) {
      r.res.end();
      return;
    }
    const stream = handle.createReadStream({ start, end, autoClose: true });
    handle = undefined; // The stream closes it.
    try {
      await pipeline(stream, r.res);
    } catch {
      // The client stopped reading; nothing to answer.
    }
  } finally {
    await handle?.close();
  }
}

export async function deleteObject(ctx: OperationContext, r: S3Request) {
  const dir = ctx.store.requireBucket(r.bucket);
  keyToPath(dir, r.key);
  r.req.resume();
  ctx.store.deleteObject(r.bucket, r.key);
  sendEmpty(r, 204);
}

export async function deleteObjects(ctx: OperationContext, r: S3Request) {
  ctx.store.requireBucket(r.bucket);
  const { body } = await receiveSmallBody(r.req, MAX_XML_BODY);
  const xml = body.toString('utf8');
  const objects = elements(xml, 'Object');
  if (!/<Delete[\s>]/.test(xml) || objects.length > 1000)
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  const quiet = textOf(xml, 'Quiet') === 'true';
  let out = '';
  for (const object of objects) {
    const key = textOf(object, 'Key') ?? '';
    try {
      ctx.store.deleteObject(r.bucket, key);
      if (!quiet) out += `<Deleted>${el('Key', key)}</Deleted>`;
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      out += `<Error>${el('Key', key)}${el('Code', error.code)}${el('Message', error.message)}</Error>`;
    }
  }
  sendXml(r, 200, xmlDocument('DeleteResult', out));
}
