import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTransientServiceFault } from '../aws/sdk-errors.ts';
import { TransientServiceError, UploadExpiredError, UploadFailedError } from '../errors.ts';

/** Sends a body of known length to a pre-signed URL. Tests and the CLI can swap it. */
export type Uploader = (url: string, body: Readable, length: number) => Promise<void>;

/**
 * PUTs a stream to Cognito's pre-signed URL with the signed `x-amz-server-side-encryption:
 * aws:kms` header and an exact Content-Length (S3 refuses chunked PUTs), without buffering the
 * file. The URL is a credential: no error message here ever contains it.
 *
 * @throws UploadExpiredError when S3 says the URL expired; TransientServiceError when the upload
 *   got no answer (a network error, a timeout) or a refusal worth another try (a 5xx,
 *   throttling, S3's RequestTimeout, judged as the SDK judges its own calls); UploadFailedError
 *   for any other refusal.
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
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('the upload timed out'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
  });
  let answer: { status: number; text: string };
  try {
    await pipeline(body, request);
    answer = await response;
  } catch (error) {
    // No answer from S3 (a reset, a timeout, the part's own stream failing): another try, with
    // a new job and a new URL, is the only way to find out.
    const code = (error as NodeJS.ErrnoException).code ?? 'connection error';
    // No cause attached: a request error may quote the URL, which is a credential.
    throw new TransientServiceError(`The upload to the pre-signed URL failed: ${code}.`);
  }
  const { status, text } = answer;
  if (status >= 200 && status < 300) return;
  if (status === 403 && /expired/i.test(text))
    throw new UploadExpiredError('The pre-signed upload URL expired before the upload finished.');
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'unknown';
  const message = `The upload to the pre-signed URL was refused: HTTP ${status} ${code}.`;
  // The answer as the SDK would have read it, so that the same rules say whether it is transient.
  const asSdkError = { name: code, $metadata: { httpStatusCode: status } };
  throw isTransientServiceFault(asSdkError)
    ? new TransientServiceError(message)
    : new UploadFailedError(message);
};
