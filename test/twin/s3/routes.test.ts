import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../twin/s3/operations/context.ts';
import type { S3Request } from '../../../twin/s3/request.ts';
import { route } from '../../../twin/s3/routes.ts';

/** A request as the server has it once its target is read; only what routing looks at. */
function request(method: string, path: string, headers: Record<string, string> = {}): S3Request {
  const [where = '', query = ''] = path.split('?');
  const [bucket = '', ...key] = where.replace(/^\//, '').split('/');
  return {
    req: { headers } as unknown as IncomingMessage,
    res: undefined as never,
    id: 'ID',
    method,
    bucket,
    key: key.join('/'),
    query: new URLSearchParams(query),
  };
}

const operationOf = (method: string, path: string, headers?: Record<string, string>) =>
  route(request(method, path, headers)).operation;

describe('the S3 route table', () => {
  it.each([
    ['GET', '/', 'ListBuckets'],
    ['PUT', '/b', 'CreateBucket'],
    ['HEAD', '/b', 'HeadBucket'],
    ['DELETE', '/b', 'DeleteBucket'],
    ['POST', '/b?delete', 'DeleteObjects'],
    ['GET', '/b?location', 'GetBucketLocation'],
    ['GET', '/b?versioning', 'GetBucketVersioning'],
    ['GET', '/b?uploads', 'ListMultipartUploads'],
    ['GET', '/b?list-type=2&prefix=incoming/', 'ListObjectsV2'],
    ['GET', '/b?prefix=incoming/', 'ListObjects'],
    ['PUT', '/b/k.csv', 'PutObject'],
    ['PUT', '/b/k.csv?partNumber=1&uploadId=u', 'UploadPart'],
    ['GET', '/b/k.csv', 'GetObject'],
    ['HEAD', '/b/k.csv', 'HeadObject'],
    ['GET', '/b/k.csv?uploadId=u', 'ListParts'],
    ['DELETE', '/b/k.csv', 'DeleteObject'],
    ['DELETE', '/b/k.csv?uploadId=u', 'AbortMultipartUpload'],
    ['POST', '/b/k.csv?uploads', 'CreateMultipartUpload'],
    ['POST', '/b/k.csv?uploadId=u', 'CompleteMultipartUpload'],
  ])('routes %s %s to %s', (method, path, operation) => {
    expect(operationOf(method, path)).toBe(operation);
  });

  it('tells a copy from a put by its x-amz-copy-source header', () => {
    expect(operationOf('PUT', '/b/k.csv', { 'x-amz-copy-source': '/b/src.csv' })).toBe(
      'CopyObject',
    );
    expect(
      operationOf('PUT', '/b/k.csv?partNumber=1&uploadId=u', { 'x-amz-copy-source': '/b/src.csv' }),
    ).toBe('UploadPartCopy');
  });

  it.each([
    ['PUT', '/b?versioning', 'PutBucketVersioning', 'bucket versioning'],
    ['GET', '/b/k.csv?tagging', 'Unsupported', 'the "tagging" subresource'],
    ['GET', '/b?policy', 'Unsupported', 'the "policy" subresource'],
    ['POST', '/', 'Unknown', 'POST on the service'],
    ['POST', '/b', 'Unknown', 'this POST on a bucket'],
    ['PATCH', '/b/k.csv', 'Unknown', 'PATCH on an object'],
  ])('answers %s %s as %s, not implemented', async (method, path, operation, what) => {
    const routed = route(request(method, path));
    expect(routed.operation).toBe(operation);
    await expect(routed.run({} as OperationContext, request(method, path))).rejects.toMatchObject({
      code: 'NotImplemented',
      status: 501,
      message: expect.stringContaining(what),
    });
  });
});
