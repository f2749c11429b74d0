import { receiveSmallBody } from '../body.ts';
import { invalidArgument, S3Error } from '../errors.ts';
import { decodeToken, encodeToken, listPage, type Page, parseMax } from '../listing.ts';
import { iso, OWNER, quoted, type S3Request, sendEmpty, sendXml } from '../request.ts';
import { el, escapeXml, xmlDocument } from '../xml.ts';
import { MAX_XML_BODY, type OperationContext } from './context.ts';

/** The service and bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning, ListObjects (v1 and v2). */

export async function listBuckets(ctx: OperationContext, r: S3Request) {
  const buckets = ctx.store
    .listBuckets()
    .map(
      (b) =>
        `<Bucket>${el('Name', b.name)}${el('CreationDate', iso(b.created))}${el('BucketRegion', ctx.region)}</Bucket>`,
    )
    .join('');
  sendXml(
    r,
    200,
    xmlDocument('ListAllMyBucketsResult', `${OWNER(ctx.account)}<Buckets>${buckets}</Buckets>`),
  );
}

export async function createBucket(ctx: OperationContext, r: S3Request) {
  await receiveSmallBody(r.req, MAX_XML_BODY); // CreateBucketConfiguration: nothing in it matters here.
  if (!ctx.store.createBucket(r.bucket))
    throw new S3Error(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      { BucketName: r.bucket },
    );
  sendEmpty(r, 200, { location: `/${r.bucket}` });
}

export async function headBucket(ctx: OperationContext, r: S3Request) {
  ctx.store.requireBucket(r.bucket);
  sendEmpty(r, 200, { 'x-amz-bucket-region': ctx.region });
}

export async function deleteBucket(ctx: OperationContext, r: S3Request) {
  r.req.resume();
  await ctx.store.deleteBucket(r.bucket);
  sendEmpty(r, 204);
}

export async function getBucketLocation(ctx: OperationContext, r: S3Request) {
  ctx.store.requireBucket(r.bucket);
  const region = ctx.region === 'us-east-1' ? '' : ctx.region;
  sendXml(r, 200, xmlDocument('LocationConstraint', escapeXml(region)));
}

/** The twin keeps one version of each key: its buckets answer as never versioned. */
export async function getBucketVersioning(ctx: OperationContext, r: S3Request) {
  ctx.store.requireBucket(r.bucket);
  sendXml(r, 200, xmlDocument('VersioningConfiguration', ''));
}

const encodeKeyForList = (value: string, encoding: string | null) =>
  encoding === 'url' ? encodeURIComponent(value).replace(/%2F/g, '/').replace(/%20/g, '+') : value;

export const listObjectsV1 = (ctx: OperationContext, r: S3Request) => listObjects(ctx, r, false);
export const listObjectsV2 = (ctx: OperationContext, r: S3Request) => listObjects(ctx, r, true);

async function listObjects(ctx: OperationContext, r: S3Request, v2: boolean) {
  ctx.store.requireBucket(r.bucket);
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
  const keys = await ctx.store.listKeys(r.bucket, prefix);
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
    const o = await ctx.store.describe(r.bucket, key).catch((error: unknown) => {
      // A key a listing found but no request can name (longer than S3 allows): skip it.
      if (error instanceof S3Error) return undefined;
      throw error;
    });
    if (!o) continue; // Deleted since the folder was read.
    contents.push(
      `<Contents>${el('Key', enc(key))}${el('LastModified', iso(o.lastModified))}${el('ETag', quoted(o.etag))}${el('ChecksumAlgorithm', 'CRC32')}${el('ChecksumType', 'FULL_OBJECT')}${el('Size', o.size)}${el('StorageClass', 'STANDARD')}${!v2 || r.query.get('fetch-owner') === 'true' ? OWNER(ctx.account) : ''}</Contents>`,
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
