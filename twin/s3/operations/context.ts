import type { ObjectCreatedReason } from '../events.ts';
import type { S3Faults } from '../faults.ts';
import type { S3Guard } from '../guard.ts';
import type { S3Request } from '../request.ts';
import type { S3Store, StoredObject } from '../store.ts';

/** One line of the request log the twin offers instead of printing anything. */
export interface S3RequestLogEntry {
  service: 's3';
  operation: string;
  status: number;
  ms: number;
}

export interface ServerContext {
  store: S3Store;
  region: string;
  account: string;
  /** Called once for every object a request created, right after it was committed. */
  created(object: StoredObject, reason: ObjectCreatedReason, requestId: string): void;
  onRequest?: (entry: S3RequestLogEntry) => void;
  /** Armed faults: a request they match is answered with their error instead. */
  faults?: S3Faults;
  /** Unexpected failures (a bug, a disk error): the client gets a 500 InternalError. */
  onError?: (error: Error) => void;
  /** Signatures and IAM (guard.ts): who signed each request and what its role allows. */
  guard: S3Guard;
}

/** What an operation gets: the server's context and its own state. */
export interface OperationContext extends ServerContext {
  /** Multipart uploads being completed right now (a second Complete is refused meanwhile). */
  completing: Set<string>;
}

/** One S3 operation: reads the request, does the work, answers. */
export type Operation = (ctx: OperationContext, r: S3Request) => Promise<void>;

/** Request bodies that are XML documents (multipart lists, batch deletes) are at most this large. */
export const MAX_XML_BODY = 4 * 1024 * 1024;
