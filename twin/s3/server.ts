import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Caller } from '../iam/access.ts';
import { PayloadDigest, type ReceivedBody, receiveBody, receiveSmallBody } from './body.ts';
import { checksumHeader, toChecksumAlgorithm } from './checksums.ts';
import {
  internalError,
  invalidArgument,
  noSuchKey,
  notImplemented,
  preconditionFailed,
  S3Error,
} from './errors.ts';
import type { ObjectCreatedReason } from './events.ts';
import type { S3Faults } from './faults.ts';
import type { S3Guard } from './guard.ts';
import { keyToPath } from './keys.ts';
import { decodeToken, encodeToken, listPage, type Page, parseMax } from './listing.ts';
import type { PartDoc, S3Store, StoredObject, UploadDoc } from './store.ts';
import { el, elements, escapeXml, textOf, xmlDocument } from './xml.ts';

/** One line of the request log the twin offers instead of printing anything. */
export interface S3RequestLogEntry {
  service: 's3';
  operation: string;
  status: number;
  ms: number;
}

export interface ServerContext {
  store: S3Store;
  region: string;
  account: string;
  /** Called once for every object a request created, right after it was committed. */
  created(object: StoredObject, reason: ObjectCreatedReason, requestId: string): void;
  onRequest?: (entry: S3RequestLogEntry) => void;
  /** Armed faults: a request they match is answered with their error instead. */
  faults?: S3Faults;
  /** Unexpected failures (a bug, a disk error): the client gets a 500 InternalError. */
  onError?: (error: Error) => void;
  /** Signatures and IAM (guard.ts): who signed each request and what its role allows. */
  guard: S3Guard;
}

const MiB = 1024 * 1024;
/** S3's smallest part, except the last. */
const MIN_PART_SIZE = 5 * MiB;
const MAX_XML_BODY = 4 * MiB;

/** Content headers S3 stores with an object and returns on GetObject/HeadObject. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

/** Subresources the twin does not implement: answered 501 rather than mistaken for a list or a get. */
const UNSUPPORTED = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'session',
  'tagging',
  'torrent',
  'versions',
  'website',
];

const OWNER = (account: string) =>
  `<Owner>${el('ID', account)}${el('DisplayName', 'local')}</Owner>`;

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  id: string;
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
  }
}

/**
 * Where a request points. Path style (`/bucket/key`) is what the SDK sends to an IP endpoint;
 * virtual-hosted style (`Host: bucket.localhost:PORT`) is what it sends to a host name. The raw
 * path is split by hand: `new URL()` would resolve `..` segments and quietly turn a key into
 * another one.
 */
function target(req: IncomingMessage): { bucket: string; key: string; query: URLSearchParams } {
  let raw = req.url ?? '/';
  if (/^https?:\/\//i.test(raw)) raw = raw.replace(/^https?:\/\/[^/]*/i, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const host = (header(req, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
  let virtual: string | undefined;
  if (host.endsWith('.localhost')) {
    const name = host.slice(0, -'.localhost'.length);
    // `s3.localhost` as an endpoint is the service itself; `bucket.s3.localhost` names a bucket.
    if (name !== 's3') virtual = name.endsWith('.s3') ? name.slice(0, -3) : name;
  }
  const rest = path.startsWith('/') ? path.slice(1) : path;
  if (virtual !== undefined) return { bucket: virtual, key: decode(rest), query };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decode(rest), key: '', query };
  return { bucket: decode(rest.slice(0, slash)), key: decode(rest.slice(slash + 1)), query };
}

function commonHeaders(id: string): Record<string, string> {
  return {
    'x-amz-request-id': id,
    'x-amz-id-2': Buffer.from(id).toString('base64'),
    server: 'AmazonS3',
  };
}

function sendXml(r: Request, status: number, xml: string, headers: Record<string, string> = {}) {
  r.res.writeHead(status, {
    ...commonHeaders(r.id),
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(xml)),
    ...headers,
  });
  r.res.end(xml);
}

function sendEmpty(r: Request, status: number, headers: Record<string, string> = {}) {
  r.res.writeHead(status, { ...commonHeaders(r.id), 'content-length': '0', ...headers });
  r.res.end();
}

function sendError(r: Request, error: S3Error): void {
  // Whatever the client still sends is read and dropped, so that it sees this answer.
  if (!r.req.complete) r.req.resume();
  if (r.method === 'HEAD') {
    r.res.writeHead(error.status, { ...commonHeaders(r.id), ...error.headers });
    r.res.end();
    return;
  }
  const fields = Object.entries(error.fields)
    .map(([name, value]) => el(name, value))
    .join('');
  const resource = `/${r.bucket}${r.key ? `/${r.key}` : ''}`;
  const xml = xmlDocument(
    'Error',
    `${el('Code', error.code)}${el('Message', error.message)}${fields}${el('Resource', resource)}${el('RequestId', r.id)}${el('HostId', Buffer.from(r.id).toString('base64'))}`,
    false,
  );
  sendXml(r, error.status, xml, error.headers);
}

const quoted = (etag: string) => `"${etag}"`;
const iso = (ms: number) => new Date(ms).toISOString();

/** Content-Type, content headers and `x-amz-meta-*` of a write request. */
function writeHeaders(req: IncomingMessage): UploadDoc {
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

function checksumHeaders(received: ReceivedBody): Record<string, string> {
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
function checkReadConditions(r: Request, o: StoredObject): 'not-modified' | undefined {
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

/**
 * The twin's HTTP front: the S3 REST API (XML), path-style and virtual-hosted, for the real
 * `@aws-sdk/client-s3` with its default settings, the AWS CLI and curl.
 */
export function createS3Server(context: ServerContext): Server {
  const { store } = context;
  const encodeKeyForList = (value: string, encoding: string | null) =>
    encoding === 'url'
      ? encodeURIComponent(value).replace(/%2F/g, '/').replace(/%20/g, '+')
      : value;

  async function listBuckets(r: Request) {
    const buckets = store
      .listBuckets()
      .map(
        (b) =>
          `<Bucket>${el('Name', b.name)}${el('CreationDate', iso(b.created))}${el('BucketRegion', context.region)}</Bucket>`,
      )
      .join('');
    sendXml(
      r,
      200,
      xmlDocument(
        'ListAllMyBucketsResult',
        `${OWNER(context.account)}<Buckets>${buckets}</Buckets>`,
      ),
    );
  }

  async function createBucket(r: Request) {
    await receiveSmallBody(r.req, MAX_XML_BODY); // CreateBucketConfiguration: nothing in it matters here.
    if (!store.createBucket(r.bucket))
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: r.bucket },
      );
    sendEmpty(r, 200, { location: `/${r.bucket}` });
  }

  async function listObjects(r: Request, v2: boolean) {
    store.requireBucket(r.bucket);
    const prefix = r.query.get('prefix') ?? '';
    const delimiter = r.query.get('delimiter') || undefined;
    const maxKeys = parseMax(r.query.get('max-keys'), 'max-keys');
    const encoding = r.query.get('encoding-type');
    if (encoding !== null && encoding !== 'url')
      throw invalidArgument(
        'Invalid Encoding Method specified in Request',
        'encoding-type',
        encoding,
      );
    const token = v2 ? r.query.get('continuation-token') : null;
    const after = (v2 ? r.query.get('start-after') : r.query.get('marker')) || undefined;
    const keys = await store.listKeys(r.bucket, prefix);
    const page: Page = listPage({
      keys,
      prefix,
      ...(delimiter ? { delimiter } : {}),
      maxKeys,
      ...(after !== undefined ? { after } : {}),
      ...(token !== null ? { resume: decodeToken(token) } : {}),
    });
    const enc = (value: string) => encodeKeyForList(value, encoding);
    const contents: string[] = [];
    for (const key of page.keys) {
      const o = await store.describe(r.bucket, key).catch((error: unknown) => {
        // A key a listing found but no request can name (longer than S3 allows): skip it.
        if (error instanceof S3Error) return undefined;
        throw error;
      });
      if (!o) continue; // Deleted since the folder was read.
      contents.push(
        `<Contents>${el('Key', enc(key))}${el('LastModified', iso(o.lastModified))}${el('ETag', quoted(o.etag))}${el('ChecksumAlgorithm', 'CRC32')}${el('ChecksumType', 'FULL_OBJECT')}${el('Size', o.size)}${el('StorageClass', 'STANDARD')}${!v2 || r.query.get('fetch-owner') === 'true' ? OWNER(context.account) : ''}</Contents>`,
      );
    }
    const prefixes = page.prefixes
      .map((p) => `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`)
      .join('');
    const head = `${el('Name', r.bucket)}${el('Prefix', enc(prefix))}`;
    const tail = `${delimiter ? el('Delimiter', enc(delimiter)) : ''}${el('MaxKeys', maxKeys)}${encoding ? el('EncodingType', encoding) : ''}${el('IsTruncated', page.truncated)}`;
    const body = v2
      ? `${head}${token !== null ? el('ContinuationToken', token) : ''}${page.last ? el('NextContinuationToken', encodeToken(page.last)) : ''}${after !== undefined ? el('StartAfter', enc(after)) : ''}${el('KeyCount', contents.length + page.prefixes.length)}${tail}`
      : `${head}${el('Marker', enc(after ?? ''))}${page.last ? el('NextMarker', enc(page.last.item)) : ''}${tail}`;
    sendXml(r, 200, xmlDocument('ListBucketResult', `${body}${contents.join('')}${prefixes}`));
  }

  async function putObject(r: Request) {
    const dir = store.requireBucket(r.bucket);
    const { folder } = keyToPath(dir, r.key); // Refuse a bad key before reading its body.
    const meta = writeHeaders(r.req);
    const ifMatch = header(r.req, 'if-match');
    if (ifMatch !== undefined) {
      const current = await store.describe(r.bucket, r.key);
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
      const o = store.putFolder(r.bucket, r.key, {
        ...meta,
        size: 0,
        etag: received.md5,
        crc32: received.crc32,
      });
      context.created(o, 'PutObject', r.id);
      sendEmpty(r, 200, {
        etag: quoted(o.etag),
        'x-amz-version-id': o.versionId,
        ...checksumHeaders(received),
      });
      return;
    }
    const temp = store.tempFile();
    try {
      const received = await receiveBody(
        r.req,
        createWriteStream(temp, { flags: 'wx', flush: true }),
      );
      const ifNoneMatch = header(r.req, 'if-none-match');
      const o = await store.commit(
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
      context.created(o, 'PutObject', r.id);
      sendEmpty(r, 200, {
        etag: quoted(o.etag),
        'x-amz-version-id': o.versionId,
        ...checksumHeaders(received),
      });
    } finally {
      rmSync(temp, { force: true });
    }
  }

  async function getObject(r: Request) {
    const dir = store.requireBucket(r.bucket);
    keyToPath(dir, r.key);
    r.req.resume();
    const opened = await store.openObject(r.bucket, r.key);
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

  async function deleteObject(r: Request) {
    const dir = store.requireBucket(r.bucket);
    keyToPath(dir, r.key);
    r.req.resume();
    store.deleteObject(r.bucket, r.key);
    sendEmpty(r, 204);
  }

  async function deleteObjects(r: Request) {
    store.requireBucket(r.bucket);
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
        store.deleteObject(r.bucket, key);
        if (!quiet) out += `<Deleted>${el('Key', key)}</Deleted>`;
      } catch (error) {
        if (!(error instanceof S3Error)) throw error;
        out += `<Error>${el('Key', key)}${el('Code', error.code)}${el('Message', error.message)}</Error>`;
      }
    }
    sendXml(r, 200, xmlDocument('DeleteResult', out));
  }

  async function copyObject(r: Request, source: string) {
    const dir = store.requireBucket(r.bucket);
    if (keyToPath(dir, r.key).folder)
      throw invalidArgument(
        'A key ending in "/" is a folder and cannot be a copy target.',
        'key',
        r.key,
      );
    r.req.resume();
    const q = source.indexOf('?');
    const path = decode((q === -1 ? source : source.slice(0, q)).replace(/^\//, ''));
    const sourceVersion =
      q === -1 ? null : new URLSearchParams(source.slice(q + 1)).get('versionId');
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
    store.requireBucket(fromBucket);
    const opened = await store.openObject(fromBucket, fromKey);
    if (!opened) throw noSuchKey(fromKey);
    const temp = store.tempFile();
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
      const o = await store.commit(r.bucket, r.key, temp, {
        ...meta,
        size: digest.size,
        etag: digest.md5Hex(),
        crc32: digest.crc32Base64(),
      });
      context.created(o, 'CopyObject', r.id);
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

  async function createMultipartUpload(r: Request) {
    const dir = store.requireBucket(r.bucket);
    if (keyToPath(dir, r.key).folder)
      throw invalidArgument('A key ending in "/" is a folder and cannot hold bytes.', 'key', r.key);
    await receiveSmallBody(r.req, MAX_XML_BODY);
    const algorithm = toChecksumAlgorithm(header(r.req, 'x-amz-checksum-algorithm'));
    const upload = store.createUpload(r.bucket, r.key, {
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

  function partNumber(r: Request): number {
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

  async function uploadPart(r: Request, uploadId: string) {
    store.requireBucket(r.bucket);
    const part = partNumber(r);
    store.getUpload(r.bucket, r.key, uploadId);
    const temp = store.tempFile();
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
      store.commitPart(uploadId, temp, doc);
      sendEmpty(r, 200, { etag: quoted(doc.etag), ...checksumHeaders(received) });
    } finally {
      rmSync(temp, { force: true });
    }
  }

  const completing = new Set<string>();

  async function completeMultipartUpload(r: Request, uploadId: string) {
    store.requireBucket(r.bucket);
    const upload = store.getUpload(r.bucket, r.key, uploadId);
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
    const stored = new Map(store.listParts(uploadId).map((p) => [p.part, p]));
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
    if (completing.has(uploadId))
      throw new S3Error(
        'OperationAborted',
        'A conflicting conditional operation is currently in progress against this resource. Please try again.',
        409,
      );
    completing.add(uploadId);
    const temp = store.tempFile();
    try {
      const digest = new PayloadDigest();
      const partPaths = parts.map((p) => store.partPath(uploadId, p.part));
      await pipeline(
        async function* () {
          for (const path of partPaths) yield* createReadStream(path);
        },
        digest,
        createWriteStream(temp, { flags: 'wx', flush: true }),
      );
      const md5s = createHash('md5');
      for (const part of parts) md5s.update(Buffer.from(part.etag, 'hex'));
      const o = await store.commit(r.bucket, r.key, temp, {
        contentType: upload.contentType,
        headers: upload.headers,
        metadata: upload.metadata,
        size: digest.size,
        etag: `${md5s.digest('hex')}-${parts.length}`,
        crc32: digest.crc32Base64(),
        parts: parts.length,
      });
      store.removeUpload(uploadId);
      context.created(o, 'CompleteMultipartUpload', r.id);
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
      completing.delete(uploadId);
      rmSync(temp, { force: true });
    }
  }

  async function abortMultipartUpload(r: Request, uploadId: string) {
    store.requireBucket(r.bucket);
    r.req.resume();
    store.getUpload(r.bucket, r.key, uploadId);
    store.removeUpload(uploadId);
    sendEmpty(r, 204);
  }

  async function listParts(r: Request, uploadId: string) {
    store.requireBucket(r.bucket);
    r.req.resume();
    const upload = store.getUpload(r.bucket, r.key, uploadId);
    const max = parseMax(r.query.get('max-parts'), 'max-parts');
    const marker = Number(r.query.get('part-number-marker') ?? '0') || 0;
    const all = store.listParts(uploadId).filter((p) => p.part > marker);
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
        `${el('Bucket', r.bucket)}${el('Key', r.key)}${el('UploadId', uploadId)}${el('PartNumberMarker', marker)}${last !== undefined ? el('NextPartNumberMarker', last) : ''}${el('MaxParts', max)}${el('IsTruncated', truncated)}${body}<Initiator>${el('ID', context.account)}${el('DisplayName', 'local')}</Initiator>${OWNER(context.account)}${el('StorageClass', 'STANDARD')}${upload.checksumAlgorithm ? el('ChecksumAlgorithm', upload.checksumAlgorithm) : ''}`,
      ),
    );
  }

  async function listMultipartUploads(r: Request) {
    store.requireBucket(r.bucket);
    const prefix = r.query.get('prefix') ?? '';
    const max = parseMax(r.query.get('max-uploads'), 'max-uploads');
    const all = store.listUploads(r.bucket).filter((u) => u.key.startsWith(prefix));
    const uploads = all.slice(0, max);
    const body = uploads
      .map(
        (u) =>
          `<Upload>${el('Key', u.key)}${el('UploadId', u.id)}<Initiator>${el('ID', context.account)}${el('DisplayName', 'local')}</Initiator>${OWNER(context.account)}${el('StorageClass', 'STANDARD')}${el('Initiated', iso(u.initiated))}</Upload>`,
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

  /** Picks the operation: its name (for the request log) and the work. */
  function route(r: Request): { operation: string; run: () => Promise<void> } {
    const { method, query } = r;
    const has = (name: string) => query.has(name);
    const unsupported = UNSUPPORTED.find(has);
    const refuse = (operation: string, what: string) => ({
      operation,
      run: async () => {
        throw notImplemented(what);
      },
    });
    if (r.bucket === '') {
      if (method === 'GET') return { operation: 'ListBuckets', run: () => listBuckets(r) };
      return refuse('Unknown', `${method} on the service`);
    }
    if (unsupported) return refuse('Unsupported', `the "${unsupported}" subresource`);
    if (r.key === '') {
      switch (method) {
        case 'PUT':
          if (has('versioning')) return refuse('PutBucketVersioning', 'bucket versioning');
          return { operation: 'CreateBucket', run: () => createBucket(r) };
        case 'HEAD':
          return {
            operation: 'HeadBucket',
            run: async () => {
              store.requireBucket(r.bucket);
              sendEmpty(r, 200, { 'x-amz-bucket-region': context.region });
            },
          };
        case 'DELETE':
          return {
            operation: 'DeleteBucket',
            run: async () => {
              r.req.resume();
              await store.deleteBucket(r.bucket);
              sendEmpty(r, 204);
            },
          };
        case 'POST':
          if (has('delete')) return { operation: 'DeleteObjects', run: () => deleteObjects(r) };
          return refuse('Unknown', 'this POST on a bucket');
        case 'GET':
          if (has('location'))
            return {
              operation: 'GetBucketLocation',
              run: async () => {
                store.requireBucket(r.bucket);
                const region = context.region === 'us-east-1' ? '' : context.region;
                sendXml(r, 200, xmlDocument('LocationConstraint', escapeXml(region)));
              },
            };
          if (has('versioning'))
            return {
              operation: 'GetBucketVersioning',
              run: async () => {
                store.requireBucket(r.bucket);
                sendXml(r, 200, xmlDocument('VersioningConfiguration', ''));
              },
            };
          if (has('uploads'))
            return { operation: 'ListMultipartUploads', run: () => listMultipartUploads(r) };
          if (query.get('list-type') === '2')
            return { operation: 'ListObjectsV2', run: () => listObjects(r, true) };
          return { operation: 'ListObjects', run: () => listObjects(r, false) };
      }
      return refuse('Unknown', `${method} on a bucket`);
    }
    const uploadId = query.get('uploadId');
    switch (method) {
      case 'PUT': {
        const source = header(r.req, 'x-amz-copy-source');
        if (uploadId !== null) {
          if (source !== undefined) return refuse('UploadPartCopy', 'UploadPartCopy');
          return { operation: 'UploadPart', run: () => uploadPart(r, uploadId) };
        }
        if (source !== undefined)
          return { operation: 'CopyObject', run: () => copyObject(r, source) };
        return { operation: 'PutObject', run: () => putObject(r) };
      }
      case 'GET':
        if (uploadId !== null) return { operation: 'ListParts', run: () => listParts(r, uploadId) };
        return { operation: 'GetObject', run: () => getObject(r) };
      case 'HEAD':
        return { operation: 'HeadObject', run: () => getObject(r) };
      case 'DELETE':
        if (uploadId !== null)
          return {
            operation: 'AbortMultipartUpload',
            run: () => abortMultipartUpload(r, uploadId),
          };
        return { operation: 'DeleteObject', run: () => deleteObject(r) };
      case 'POST':
        if (has('uploads'))
          return { operation: 'CreateMultipartUpload', run: () => createMultipartUpload(r) };
        if (uploadId !== null)
          return {
            operation: 'CompleteMultipartUpload',
            run: () => completeMultipartUpload(r, uploadId),
          };
        return refuse('Unknown', 'this POST on an object');
    }
    return refuse('Unknown', `${method} on an object`);
  }

  return createServer((req, res) => {
    const started = performance.now();
    const id = randomBytes(8).toString('hex').toUpperCase();
    const r: Request = {
      req,
      res,
      id,
      method: req.method ?? 'GET',
      bucket: '',
      key: '',
      query: new URLSearchParams(),
    };
    let operation = 'Unknown';
    let caller: Caller | undefined;
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    const work = async () => {
      const t = target(req);
      r.bucket = t.bucket;
      r.key = t.key;
      r.query = t.query;
      caller = context.guard.authenticate(req, r.query);
      const routed = route(r);
      operation = routed.operation;
      context.guard.authorize(caller, operation, r);
      const fault = context.faults?.take(operation, r.key);
      if (fault) throw fault;
      await routed.run();
    };
    const settled = work().catch((error: unknown) => {
      let known = error instanceof S3Error ? error : internalError();
      if (caller) known = context.guard.answer(caller, known, r.bucket);
      if (!(error instanceof S3Error)) context.onError?.(error as Error);
      if (res.headersSent) res.destroy();
      else sendError(r, known);
    });
    // Logged once the answer is decided, not when the socket closes: a client that hangs up
    // mid-upload closes it before the twin has chosen its status.
    void Promise.all([settled, closed]).then(() =>
      context.onRequest?.({
        service: 's3',
        operation,
        status: res.statusCode,
        ms: performance.now() - started,
      }),
    );
  });
}

export { listen } from '../http.ts';
