import type { IncomingMessage } from 'node:http';
import { s3Refusal } from '../auth/errors.ts';
import { UNSIGNED_PAYLOAD } from '../auth/sigv4.ts';
import { type AccessControl, type Caller, isFailure } from '../iam/access.ts';
import { listBucketRequest, S3_ACCESS } from '../iam/actions/s3.ts';
import { S3Error } from './errors.ts';

/**
 * The S3 twin's door: each request's signature (header or pre-signed URL), the IAM requests its
 * operation makes (twin/iam/actions/s3.ts) for the caller's role, and S3's rule that a missing
 * key is 403 AccessDenied, not 404 NoSuchKey, to a caller who may not list the bucket. A bucket
 * that does not exist is NoSuchBucket to anyone (bucket names are global and their existence is
 * no secret): IAM is evaluated only on existing buckets, CreateBucket aside.
 */
export interface S3Guard {
  /** @throws S3Error the refusal of a request that cannot be authenticated. */
  authenticate(req: IncomingMessage, query: URLSearchParams): Caller;
  /** @throws S3Error AccessDenied when the caller's role does not allow the operation. */
  authorize(
    caller: Caller,
    operation: string,
    r: { req: IncomingMessage; bucket: string; key: string; query: URLSearchParams },
  ): void;
  /** The error the caller gets for the one the operation raised. */
  answer(caller: Caller, error: S3Error, bucket: string): S3Error;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function createS3Guard(
  access: AccessControl,
  region: string,
  bucketExists: (bucket: string) => boolean,
): S3Guard {
  return {
    authenticate(req, query) {
      const presigned = !req.headers.authorization && query.has('X-Amz-Signature');
      const declared = header(req, 'x-amz-content-sha256');
      if (req.headers.authorization !== undefined && declared === undefined)
        throw new S3Error(
          'InvalidRequest',
          'Missing required header for this request: x-amz-content-sha256',
        );
      const caller = access.authenticate(req, {
        service: 's3',
        region,
        query,
        payloadHash: presigned
          ? (query.get('X-Amz-Content-Sha256') ?? declared ?? UNSIGNED_PAYLOAD)
          : (declared as string),
      });
      if (isFailure(caller)) {
        const refusal = s3Refusal(caller, presigned);
        throw new S3Error(refusal.code, refusal.message, refusal.status, refusal.fields ?? {});
      }
      return caller;
    },

    authorize(caller, operation, r) {
      const rule = S3_ACCESS[operation];
      if (!rule || caller.kind !== 'session') return;
      if (r.bucket !== '' && operation !== 'CreateBucket' && !bucketExists(r.bucket)) return;
      const presigned = caller.signed.presigned;
      const requests = rule({
        bucket: r.bucket,
        key: r.key,
        query: r.query,
        header: (name) => header(r.req, name),
      }).map((request) => ({
        ...request,
        context: {
          's3:authType': presigned ? 'REST-QUERY-STRING' : 'REST-HEADER',
          's3:signatureversion': 'AWS4-HMAC-SHA256',
          ...(presigned
            ? {}
            : { 's3:x-amz-content-sha256': header(r.req, 'x-amz-content-sha256') ?? '' }),
          ...request.context,
        },
      }));
      const denial = access.authorize(caller, requests);
      if (denial) throw new S3Error('AccessDenied', denial.message, 403);
    },

    answer(caller, error, bucket) {
      if (error.code !== 'NoSuchKey' || caller.kind !== 'session') return error;
      const denial = access.authorize(caller, [listBucketRequest(bucket)]);
      return denial ? new S3Error('AccessDenied', denial.message, 403) : error;
    },
  };
}
