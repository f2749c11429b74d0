import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import {
  type ObjectCreatedEvent,
  type S3Twin,
  type S3TwinOptions,
  startS3Twin,
} from '../../../twin/s3/index.ts';
import { signedHeaders } from '../../helpers/sign.ts';

export interface S3Fixture {
  twin: S3Twin;
  dataDir: string;
  /** The real SDK client with its default settings, against the twin's 127.0.0.1 endpoint. */
  s3: S3Client;
  /** Every "Object Created" event the twin raised, in order. */
  events: ObjectCreatedEvent[];
  errors: Error[];
  client(config?: Partial<S3ClientConfig>): S3Client;
  restart(options?: Partial<S3TwinOptions>): Promise<void>;
  stop(): Promise<void>;
}

export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A twin on a fresh data folder with one bucket, `bkt`. */
export async function startS3Fixture(options: Partial<S3TwinOptions> = {}): Promise<S3Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 's3-twin-'));
  const events: ObjectCreatedEvent[] = [];
  const errors: Error[] = [];
  const start = (more: Partial<S3TwinOptions> = {}) =>
    startS3Twin({
      dataDir,
      buckets: ['bkt'],
      onObjectCreated: (event) => events.push(event),
      onError: (error) => errors.push(error),
      ...options,
      ...more,
    });
  const fixture = { dataDir, events, errors, twin: await start() } as S3Fixture;
  fixture.client = (config = {}) =>
    new S3Client({
      endpoint: fixture.twin.endpoint,
      // Signed for the twin's region, which S3 checks in the credential scope.
      region: fixture.twin.region,
      credentials,
      maxAttempts: 1,
      ...config,
    });
  fixture.s3 = fixture.client();
  fixture.restart = async (more = {}) => {
    await fixture.twin.close();
    fixture.twin = await start(more);
    fixture.s3 = fixture.client();
  };
  fixture.stop = async () => {
    fixture.s3.destroy();
    await fixture.twin.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return fixture;
}

export const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** Deterministic pseudo-random bytes, so a corrupted byte anywhere shows. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request exactly as written: no SDK, no URL normalisation (`..` stays `..`), any Host header;
 * signed as the SDK signs (the twin refuses unsigned requests) unless `unsigned`.
 */
export async function raw(
  endpoint: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    unsigned?: boolean;
  },
): Promise<RawResponse> {
  const { hostname, port } = new URL(endpoint);
  const headers = options.unsigned
    ? options.headers
    : await signedHeaders(
        {
          method: options.method,
          url: `${endpoint}${options.path}`,
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.body !== undefined ? { body: options.body } : {}),
        },
        { service: 's3' },
      );
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, method: options.method, path: options.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
