import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ByteSink } from '../csv/index.ts';

/**
 * A byte sink that streams into an S3 object with a multipart upload, holding at most a few
 * 5 MiB parts in memory whatever the object's size. Blocks are copied because the CSV engine
 * lends them and reuses them once `write` returns.
 */
export function s3Sink(
  s3: S3Client,
  bucket: string,
  key: string,
  contentType = 'text/csv',
): ByteSink & { done(): Promise<void> } {
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
    queueSize: 2,
  });
  const finished = upload.done().then(() => undefined);
  // Surface an upload failure through write/end rather than as an unhandled rejection.
  finished.catch(() => {});
  return {
    write(chunk) {
      if (body.write(Buffer.from(chunk))) return;
      return new Promise<void>((resolve, reject) => {
        body.once('drain', resolve);
        finished.catch(reject);
      });
    },
    async end() {
      body.end();
      await finished;
    },
    done: () => finished,
  };
}
