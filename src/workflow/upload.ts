import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadExpiredError, UploadFailedError } from '../errors.ts';

/** Sends a body of known length to a pre-signed URL. Tests and the CLI can swap it. */
export type Uploader = (url: string, body: Readable, length: number) => Promise<void>;

/**
 * PUTs a stream to Cognito's pre-signed URL with the signed `x-amz-server-side-encryption:
 * aws:kms` header and an exact Content-Length (S3 refuses chunked PUTs), without buffering the
 * file. The URL is a credential: no error message here ever contains it.
 *
 * @throws UploadExpiredError when S3 says the URL expired; UploadFailedError for other failures.
 */
export const putToPresignedUrl: Uploader = async (url, body, length) => {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
    method: 'PUT',
    headers: {
      'content-length': length,
      'x-amz-server-side-encryption': 'aws:kms',
      'content-type': 'text/csv',
    },
    timeout: 120_000,
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 4096) text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('the upload timed out')));
    request.on('error', reject);
  });
  try {
    await pipeline(body, request);
    const { status, text } = await response;
    if (status >= 200 && status < 300) return;
    if (status === 403 && /expired/i.test(text))
      throw new UploadExpiredError('The pre-signed upload URL expired before the upload finished.');
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'unknown';
    throw new UploadFailedError(
      `The upload to the pre-signed URL was refused: HTTP ${status} ${code}.`,
    );
  } catch (error) {
    if (error instanceof UploadExpiredError || error instanceof UploadFailedError) throw error;
    throw new UploadFailedError(
      `The upload to the pre-signed URL failed: ${(error as NodeJS.ErrnoException).code ?? 'connection error'}.`,
    );
  }
};
