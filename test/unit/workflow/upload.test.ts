import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { putToPresignedUrl } from '../../../src/workflow/upload.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A stand-in for the pre-signed URL's bucket that answers every PUT the same way. */
async function bucketAnswering(status: number, code?: string, message = ''): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(code ? `<Error><Code>${code}</Code><Message>${message}</Message></Error>` : '');
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/import-bucket/part.csv?X-Amz-Signature=secret`;
}

const upload = (url: string) =>
  putToPresignedUrl(url, Readable.from([Buffer.from('a,b\n')]), 4).then(
    () => 'ok',
    (error: Error) => error,
  );

describe('putToPresignedUrl', () => {
  it('succeeds on a 2xx', async () => {
    expect(await upload(await bucketAnswering(200))).toBe('ok');
  });

  it('says the URL expired when S3 says so: a new job is made', async () => {
    const error = await upload(await bucketAnswering(403, 'AccessDenied', 'Request has expired'));
    expect(error).toMatchObject({ name: 'UploadExpiredError' });
  });

  it.each([
    [500, 'InternalError'],
    [503, 'SlowDown'],
    [400, 'RequestTimeout'],
  ])('retries a %i %s as a transient fault', async (status, code) => {
    const error = await upload(await bucketAnswering(status, code));
    expect(error).toMatchObject({
      name: 'TransientServiceError',
      message: `The upload to the pre-signed URL was refused: HTTP ${status} ${code}.`,
    });
  });

  it('fails without retry on a refusal another try cannot cure', async () => {
    const error = await upload(await bucketAnswering(403, 'SignatureDoesNotMatch'));
    expect(error).toMatchObject({ name: 'UploadFailedError' });
  });

  it('retries an upload that got no answer, and never quotes the URL', async () => {
    const url = await bucketAnswering(200);
    server?.removeAllListeners('request');
    server?.on('request', (req) => req.socket.destroy());
    const error = (await upload(url)) as Error;
    expect(error.name).toBe('TransientServiceError');
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain('secret');
  });
});
