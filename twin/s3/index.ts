import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AccessControl } from '../iam/access.ts';
import { type ObjectCreatedEvent, type ObjectCreatedReason, objectCreatedEvent } from './events.ts';
import { S3Faults } from './faults.ts';
import { createS3Guard } from './guard.ts';
import { createS3Server, listen, type S3RequestLogEntry } from './server.ts';
import { S3Store, type StoredObject } from './store.ts';
import { FolderWatcher } from './watcher.ts';

export type {
  ObjectCreatedEvent,
  ObjectCreatedReason,
  S3Notification,
  S3NotificationRecord,
} from './events.ts';
export { encodeNotificationKey, toS3NotificationRecord } from './events.ts';
export type { S3FaultCode, S3FaultRule } from './faults.ts';
export { S3Faults } from './faults.ts';
export type { S3RequestLogEntry } from './server.ts';

export interface S3TwinOptions {
  /** The data folder; objects live as files in `<dataDir>/s3/<bucket>/<key>`. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** `127.0.0.1` unless given: the twin serves personal data and must not face a network. */
  host?: string;
  /** Buckets to create at start (existing ones are kept as they are). */
  buckets?: string[];
  /** The region of the buckets and of events; `us-east-1` unless given. */
  region?: string;
  /** The account id of events; `123456789012` unless given. */
  account?: string;
  /**
   * Watch the bucket folders for files placed by hand and raise "Object Created" for each once it
   * stops growing. Files that were placed while the twin was stopped are raised at start.
   */
  watch?: boolean;
  /** How often the watcher scans the bucket folders; 250 ms unless given. */
  watchIntervalMs?: number;
  /** Called exactly once per object written: by PUT, multipart completion, copy or by hand. */
  onObjectCreated?: (event: ObjectCreatedEvent) => void;
  /** One entry per request: operation, status, time. Never keys' contents. */
  onRequest?: (entry: S3RequestLogEntry) => void;
  /** Unexpected failures (disk errors, a throwing listener); the twin itself never prints. */
  onError?: (error: Error) => void;
  /**
   * Signatures and IAM, shared with the twin's other services. Without it, every well-signed
   * request acts as the account's administrator (a signature is still required).
   */
  access?: AccessControl;
}

/** The events of `S3Twin.events`. */
export interface S3TwinEvents {
  objectCreated: [ObjectCreatedEvent];
}

export interface S3Twin {
  /** `http://127.0.0.1:<port>`: the endpoint for S3 clients (path-style on an IP address). */
  endpoint: string;
  port: number;
  region: string;
  /** The folder holding a bucket's objects; copy a file in here to "upload" it by hand. */
  bucketDir(bucket: string): string;
  /** Emits `objectCreated` for the same events as `onObjectCreated`. */
  events: EventEmitter<S3TwinEvents>;
  /** Errors armed on reads and writes (tests): `faults.add({ operation: 'GetObject', code: 'InternalError', count: 4 })`. */
  faults: S3Faults;
  close(): Promise<void>;
}

/**
 * Starts the local S3 service in-process: one call, a random or given port on 127.0.0.1, objects
 * as plain files under the data folder (metadata beside them in `<dataDir>/s3/.meta/`), and an
 * EventBridge-shaped "Object Created" event for every object created. Data persists across
 * restarts.
 *
 * @throws Error with code EADDRINUSE when the port is taken.
 * @throws S3Error InvalidBucketName when `buckets` names an invalid bucket.
 */
export async function startS3Twin(options: S3TwinOptions): Promise<S3Twin> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const store = new S3Store(join(options.dataDir, 's3'));
  const events = new EventEmitter<S3TwinEvents>();
  const faults = new S3Faults();
  const report = (error: unknown) => {
    try {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  };

  const raise = (object: StoredObject, reason: ObjectCreatedReason, requestId: string) => {
    const event = objectCreatedEvent(object, { reason, requestId, account, region });
    // A listener's failure is the listener's: the write it reports has already succeeded.
    try {
      options.onObjectCreated?.(event);
    } catch (error) {
      report(error);
    }
    try {
      events.emit('objectCreated', event);
    } catch (error) {
      report(error);
    }
  };

  let server: Server;
  let watcher: FolderWatcher | undefined;
  try {
    for (const bucket of options.buckets ?? []) store.createBucket(bucket);
    server = createS3Server({
      store,
      region,
      account,
      created: raise,
      faults,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      onError: report,
      guard: createS3Guard(
        options.access ?? new AccessControl({ account, region }),
        region,
        (bucket) => store.bucketExists(bucket),
      ),
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const host = options.host ?? '127.0.0.1';
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, options.port ?? 0, host);
  } catch (error) {
    store.close();
    throw error;
  }
  if (options.watch) {
    const intervalMs = options.watchIntervalMs ?? 250;
    watcher = new FolderWatcher({
      store,
      intervalMs,
      settleMs: intervalMs,
      found: (object) =>
        raise(
          object,
          'PutObject',
          Buffer.from(object.versionId).toString('hex').slice(0, 16).toUpperCase(),
        ),
      onError: report,
    });
    watcher.start();
  }
  const endpointHost = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${endpointHost}:${address.port}`,
    port: address.port,
    region,
    bucketDir: (bucket) => store.bucketDir(bucket),
    events,
    faults,
    close: async () => {
      await watcher?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
