import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Caller } from '../iam/access.ts';
import { internalError, S3Error } from './errors.ts';
import type { OperationContext, ServerContext } from './operations/context.ts';
import { type S3Request, sendError, target } from './request.ts';
import { route } from './routes.ts';

export type { S3RequestLogEntry, ServerContext } from './operations/context.ts';

/**
 * The twin's HTTP front: the S3 REST API (XML), path-style and virtual-hosted, for the real
 * `@aws-sdk/client-s3` with its default settings, the AWS CLI and curl. Each request is routed
 * (routes.ts) to one operation (operations/*.ts), after any armed fault for it.
 */
export function createS3Server(context: ServerContext): Server {
  const ctx: OperationContext = { ...context, completing: new Set() };
  return createServer((req, res) => {
    const started = performance.now();
    const id = randomBytes(8).toString('hex').toUpperCase();
    const r: S3Request = {
      req,
      res,
      id,
      method: req.method ?? 'GET',
      bucket: '',
      key: '',
      query: new URLSearchParams(),
    };
    let operation = 'Unknown';
    let caller: Caller | undefined;
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    const work = async () => {
      const t = target(req);
      r.bucket = t.bucket;
      r.key = t.key;
      r.query = t.query;
      caller = context.guard.authenticate(req, r.query);
      const routed = route(r);
      operation = routed.operation;
      context.guard.authorize(caller, operation, r);
      const fault = context.faults?.take(operation, r.key);
      if (fault) throw fault;
      await routed.run(ctx, r);
    };
    const settled = work().catch((error: unknown) => {
      let known = error instanceof S3Error ? error : internalError();
      if (caller) known = context.guard.answer(caller, known, r.bucket);
      if (!(error instanceof S3Error)) context.onError?.(error as Error);
      if (res.headersSent) res.destroy();
      else sendError(r, known);
    });
    // Logged once the answer is decided, not when the socket closes: a client that hangs up
    // mid-upload closes it before the twin has chosen its status.
    void Promise.all([settled, closed]).then(() =>
      context.onRequest?.({
        service: 's3',
        operation,
        status: res.statusCode,
        ms: performance.now() - started,
      }),
    );
  });
}

export { listen } from '../http.ts';
