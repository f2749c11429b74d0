import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long an upload URL is good for: 15 minutes (docs/cognito-behaviour.md, "The upload"). */
export const UPLOAD_URL_SECONDS = 900;

export const UPLOAD_PATH_PREFIX = '/cognito-idp-user-import/';

const amzDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

export type UploadCheck =
  | { ok: true; jobId: string; poolId: string }
  | { ok: false; status: number; code: string; message: string };

/**
 * Signs and checks the twin's pre-signed upload URLs. Like Cognito's (SigV4 query signing on an
 * S3 object), the signature covers the method, path, query, host and the
 * `x-amz-server-side-encryption` header, so a PUT without `aws:kms`, another method or a changed
 * URL is refused with 403 SignatureDoesNotMatch, and a late one with 403 AccessDenied.
 */
export class UploadSigner {
  private readonly secret: string;
  private readonly now: () => number;

  constructor(secret: string, now: () => number) {
    this.secret = secret;
    this.now = now;
  }

  sign(origin: string, account: string, poolId: string, jobId: string, region: string): string {
    const url = new URL(`${UPLOAD_PATH_PREFIX}${account}/${poolId}/${jobId}`, origin);
    const date = amzDate(this.now());
    url.searchParams.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
    url.searchParams.set(
      'X-Amz-Credential',
      `TWINUPLOAD/${date.slice(0, 8)}/${region}/s3/aws4_request`,
    );
    url.searchParams.set('X-Amz-Date', date);
    url.searchParams.set('X-Amz-Expires', String(UPLOAD_URL_SECONDS));
    url.searchParams.set('X-Amz-SignedHeaders', 'host;x-amz-server-side-encryption');
    url.searchParams.set('X-Amz-Signature', this.signature('PUT', url, url.host, 'aws:kms'));
    return url.toString();
  }

  check(method: string, url: URL, host: string | undefined, sse: string | undefined): UploadCheck {
    const mismatch: UploadCheck = {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
    const given = url.searchParams.get('X-Amz-Signature') ?? '';
    const expected = this.signature(method, url, host ?? '', sse ?? '');
    if (
      given.length !== expected.length ||
      !timingSafeEqual(Buffer.from(given), Buffer.from(expected))
    )
      return mismatch;
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (!(this.now() <= signedAt + expires * 1000))
      return { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
    const [, account, poolId, jobId] = url.pathname.slice(UPLOAD_PATH_PREFIX.length - 1).split('/');
    if (!account || !poolId || !jobId) return mismatch;
    return { ok: true, jobId, poolId };
  }

  private signature(method: string, url: URL, host: string, sse: string): string {
    const query = [...url.searchParams.entries()]
      .filter(([key]) => key !== 'X-Amz-Signature')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join('&');
    const canonical = [
      method,
      url.pathname,
      query,
      `host:${host}`,
      `x-amz-server-side-encryption:${sse}`,
    ].join('\n');
    return createHmac('sha256', this.secret).update(canonical).digest('hex');
  }
}
