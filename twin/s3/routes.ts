import { notImplemented } from './errors.ts';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listObjectsV1,
  listObjectsV2,
} from './operations/buckets.ts';
import type { Operation } from './operations/context.ts';
import { copyObject } from './operations/copy.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './operations/multipart.ts';
import { deleteObject, deleteObjects, getObject, putObject } from './operations/objects.ts';
import { header, type S3Request } from './request.ts';

/** What a request is about: the service (no bucket), a bucket (no key) or an object. */
type Scope = 'service' | 'bucket' | 'object';

interface Route {
  /** The operation's name, as the request log and the faults know it. */
  operation: string;
  method: string;
  scope: Scope;
  /** What else the request must have (a query parameter, a header); any request if absent. */
  when?: (r: S3Request) => boolean;
  run: Operation;
}

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

const refused =
  (what: string): Operation =>
  async () => {
    throw notImplemented(what);
  };
const has = (name: string) => (r: S3Request) => r.query.has(name);
const copies = (r: S3Request) => header(r.req, 'x-amz-copy-source') !== undefined;
const namesUpload = has('uploadId');

/**
 * Every operation the twin answers, the first matching entry winning: a request's method, what
 * it addresses, then its query parameters and headers tell the S3 REST API's operations apart.
 */
const ROUTES: Route[] = [
  { operation: 'ListBuckets', method: 'GET', scope: 'service', run: listBuckets },
  {
    operation: 'PutBucketVersioning',
    method: 'PUT',
    scope: 'bucket',
    when: has('versioning'),
    run: refused('bucket versioning'),
  },
  { operation: 'CreateBucket', method: 'PUT', scope: 'bucket', run: createBucket },
  { operation: 'HeadBucket', method: 'HEAD', scope: 'bucket', run: headBucket },
  { operation: 'DeleteBucket', method: 'DELETE', scope: 'bucket', run: deleteBucket },
  {
    operation: 'DeleteObjects',
    method: 'POST',
    scope: 'bucket',
    when: has('delete'),
    run: deleteObjects,
  },
  {
    operation: 'GetBucketLocation',
    method: 'GET',
    scope: 'bucket',
    when: has('location'),
    run: getBucketLocation,
  },
  {
    operation: 'GetBucketVersioning',
    method: 'GET',
    scope: 'bucket',
    when: has('versioning'),
    run: getBucketVersioning,
  },
  {
    operation: 'ListMultipartUploads',
    method: 'GET',
    scope: 'bucket',
    when: has('uploads'),
    run: listMultipartUploads,
  },
  {
    operation: 'ListObjectsV2',
    method: 'GET',
    scope: 'bucket',
    when: (r) => r.query.get('list-type') === '2',
    run: listObjectsV2,
  },
  { operation: 'ListObjects', method: 'GET', scope: 'bucket', run: listObjectsV1 },
  {
    operation: 'UploadPartCopy',
    method: 'PUT',
    scope: 'object',
    when: (r) => namesUpload(r) && copies(r),
    run: refused('UploadPartCopy'),
  },
  { operation: 'UploadPart', method: 'PUT', scope: 'object', when: namesUpload, run: uploadPart },
  { operation: 'CopyObject', method: 'PUT', scope: 'object', when: copies, run: copyObject },
  { operation: 'PutObject', method: 'PUT', scope: 'object', run: putObject },
  { operation: 'ListParts', method: 'GET', scope: 'object', when: namesUpload, run: listParts },
  { operation: 'GetObject', method: 'GET', scope: 'object', run: getObject },
  { operation: 'HeadObject', method: 'HEAD', scope: 'object', run: getObject },
  {
    operation: 'AbortMultipartUpload',
    method: 'DELETE',
    scope: 'object',
    when: namesUpload,
    run: abortMultipartUpload,
  },
  { operation: 'DeleteObject', method: 'DELETE', scope: 'object', run: deleteObject },
  {
    operation: 'CreateMultipartUpload',
    method: 'POST',
    scope: 'object',
    when: has('uploads'),
    run: createMultipartUpload,
  },
  {
    operation: 'CompleteMultipartUpload',
    method: 'POST',
    scope: 'object',
    when: namesUpload,
    run: completeMultipartUpload,
  },
];

const scopeOf = (r: S3Request): Scope =>
  r.bucket === '' ? 'service' : r.key === '' ? 'bucket' : 'object';

const SCOPE_NAMES: Record<Scope, string> = {
  service: 'the service',
  bucket: 'a bucket',
  object: 'an object',
};

/** Picks the operation for a request: its name (for the request log and faults) and the work. */
export function route(r: S3Request): { operation: string; run: Operation } {
  const scope = scopeOf(r);
  const unsupported =
    scope === 'service' ? undefined : UNSUPPORTED.find((name) => r.query.has(name));
  if (unsupported)
    return { operation: 'Unsupported', run: refused(`the "${unsupported}" subresource`) };
  const found = ROUTES.find(
    (entry) => entry.scope === scope && entry.method === r.method && (!entry.when || entry.when(r)),
  );
  if (found) return found;
  const what = SCOPE_NAMES[scope];
  return {
    operation: 'Unknown',
    run: refused(
      r.method === 'POST' && scope !== 'service'
        ? `this POST on ${what}`
        : `${r.method} on ${what}`,
    ),
  };
}
