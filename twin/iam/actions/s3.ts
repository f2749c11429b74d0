import type { AccessRequest, ContextValue } from '../policy-engine.ts';

/**
 * What IAM evaluates for each S3 operation the twin serves (the S3 guide, "Policy actions for
 * Amazon S3"): reads of an object are `s3:GetObject` (`s3:GetObjectVersion` when a version is
 * named) on `arn:aws:s3:::<bucket>/<key>`, HeadObject included; writes, multipart parts and
 * completion included, are `s3:PutObject`; listing a bucket, and HeadBucket, is `s3:ListBucket`
 * on the bucket's ARN with the listing's `s3:prefix`, `s3:delimiter` and `s3:max-keys`. A copy
 * also reads its source. S3's request headers that are condition keys of an action are passed
 * when sent.
 */

export interface S3Target {
  bucket: string;
  key: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
}

type Rule = (t: S3Target) => AccessRequest[];

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

/** Condition keys S3 fills from the request's headers, for the writes. */
const WRITE_HEADER_KEYS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-acl',
  'x-amz-storage-class',
  'x-amz-copy-source',
  'x-amz-metadata-directive',
] as const;

function headerKeys(t: S3Target, names: readonly string[]): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  for (const name of names) {
    const value = t.header(name);
    if (value !== undefined) context[`s3:${name}`] = value;
  }
  return context;
}

const onBucket =
  (action: string, withListing = false): Rule =>
  (t) => {
    const context: Record<string, ContextValue> = {};
    if (withListing)
      for (const name of ['prefix', 'delimiter', 'max-keys'] as const) {
        const value = t.query.get(name);
        if (value !== null) context[`s3:${name}`] = value;
      }
    return [{ action, resource: bucketArn(t.bucket), context }];
  };

const read: Rule = (t) => [
  {
    action: t.query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject',
    resource: objectArn(t.bucket, t.key),
  },
];

const write: Rule = (t) => [
  {
    action: 's3:PutObject',
    resource: objectArn(t.bucket, t.key),
    context: headerKeys(t, WRITE_HEADER_KEYS),
  },
];

/** The source object of a copy: `bucket/key` or `/bucket/key`, URL-encoded, `?versionId=` optional. */
function copySource(t: S3Target): AccessRequest {
  const source = t.header('x-amz-copy-source') ?? '';
  const q = source.indexOf('?');
  let path = q === -1 ? source : source.slice(0, q);
  try {
    path = decodeURIComponent(path);
  } catch {
    // The operation itself refuses a source it cannot read.
  }
  const versioned = q !== -1 && new URLSearchParams(source.slice(q + 1)).has('versionId');
  return {
    action: versioned ? 's3:GetObjectVersion' : 's3:GetObject',
    resource: `arn:aws:s3:::${path.replace(/^\//, '')}`,
  };
}

export const S3_ACCESS: Readonly<Record<string, Rule>> = {
  ListBuckets: () => [{ action: 's3:ListAllMyBuckets', resource: '*' }],
  CreateBucket: onBucket('s3:CreateBucket'),
  DeleteBucket: onBucket('s3:DeleteBucket'),
  HeadBucket: onBucket('s3:ListBucket'),
  GetBucketLocation: onBucket('s3:GetBucketLocation'),
  GetBucketVersioning: onBucket('s3:GetBucketVersioning'),
  ListObjects: onBucket('s3:ListBucket', true),
  ListObjectsV2: onBucket('s3:ListBucket', true),
  ListMultipartUploads: onBucket('s3:ListBucketMultipartUploads'),
  // Deleting several keys is one s3:DeleteObject per key, which the twin evaluates as one
  // request on every key of the bucket (a simplification: twin/README.md).
  DeleteObjects: (t) => [{ action: 's3:DeleteObject', resource: objectArn(t.bucket, '*') }],
  GetObject: read,
  HeadObject: read,
  PutObject: write,
  CreateMultipartUpload: write,
  UploadPart: write,
  CompleteMultipartUpload: write,
  CopyObject: (t) => [...write(t), copySource(t)],
  AbortMultipartUpload: (t) => [
    { action: 's3:AbortMultipartUpload', resource: objectArn(t.bucket, t.key) },
  ],
  ListParts: (t) => [
    { action: 's3:ListMultipartUploadParts', resource: objectArn(t.bucket, t.key) },
  ],
  DeleteObject: (t) => [
    {
      action: t.query.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: objectArn(t.bucket, t.key),
    },
  ],
};

/** The request that decides whether a missing key answers 404 (allowed) or 403 (S3's rule). */
export const listBucketRequest = (bucket: string): AccessRequest => ({
  action: 's3:ListBucket',
  resource: bucketArn(bucket),
});
