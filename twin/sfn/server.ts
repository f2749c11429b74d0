import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { jsonRefusal } from '../auth/errors.ts';
import { payloadHashOf } from '../auth/sigv4.ts';
import { readBody as readAwsBody, sendAwsJson } from '../http.ts';
import { type AccessControl, isFailure } from '../iam/access.ts';
import { SFN_ACCESS } from '../iam/actions/sfn.ts';
import { SfnError } from './errors.ts';
import type { SfnService } from './service.ts';

export interface SfnRequestLog {
  service: 'states';
  operation: string;
  status: number;
  ms: number;
}

type Operation = (input: Record<string, unknown>) => unknown;

/** AWS takes requests up to 1 MB; an execution input is at most 256 KiB before JSON escaping. */
const MAX_BODY = 4 << 20;

const readBody = (req: IncomingMessage) =>
  readAwsBody(
    req,
    MAX_BODY,
    () => new SfnError('SerializationException', 'The request body is too large.', 413),
  );

const send = (res: ServerResponse, status: number, body: unknown, errorType?: string) =>
  sendAwsJson(res, '1.0', status, body, errorType);

/**
 * The twin's Step Functions endpoint: the AWS JSON 1.0 protocol (`POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`), errors as `{"__type", "message"}`, so
 * `@aws-sdk/client-sfn` and the AWS CLI work against it through an endpoint URL. Request and
 * response bodies are never logged: they carry execution input and output.
 */
export function createSfnServer(
  service: SfnService,
  onRequest: ((entry: SfnRequestLog) => void) | undefined,
  ready: () => boolean,
  /** Signatures and IAM (twin/iam), and the one region whose credential scope the twin takes. */
  guard: { access: AccessControl; region: string },
): Server {
  const operations: Record<string, Operation> = {
    ListStateMachines: (input) => service.listStateMachines(input),
    DescribeStateMachine: (input) => service.describeStateMachine(input),
    DescribeStateMachineForExecution: (input) => service.describeStateMachineForExecution(input),
    StartExecution: (input) => service.startExecution(input),
    DescribeExecution: (input) => service.describeExecution(input),
    ListExecutions: (input) => service.listExecutions(input),
    StopExecution: (input) => service.stopExecution(input),
    GetExecutionHistory: (input) => service.getExecutionHistory(input),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix = '', operation = ''] = target.split('.');
    let status = 200;
    try {
      const run = prefix === 'AWSStepFunctions' ? operations[operation] : undefined;
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://twin').pathname !== '/') {
        req.resume();
        throw new SfnError(
          'UnknownOperationException',
          'The local Step Functions twin serves POST / only.',
          404,
        );
      }
      const raw = await readBody(req);
      const caller = guard.access.authenticate(req, {
        service: 'states',
        region: guard.region,
        query: new URL(req.url ?? '/', 'http://twin').searchParams,
        payloadHash: payloadHashOf(raw),
      });
      if (isFailure(caller)) {
        const refusal = jsonRefusal(caller);
        throw new SfnError(refusal.code, refusal.message, refusal.status);
      }
      if (!ready())
        throw new SfnError('ServiceUnavailable', 'The local Step Functions twin is starting.', 503);
      if (!run)
        throw new SfnError(
          'UnknownOperationException',
          `The local Step Functions twin does not implement ${target || 'this operation'}.`,
        );
      let input: unknown;
      try {
        input = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      } catch {
        throw new SfnError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new SfnError('SerializationException', 'The request body must be a JSON object.');
      const denial = guard.access.authorize(
        caller,
        SFN_ACCESS[operation]?.(input as Record<string, unknown>),
      );
      if (denial) throw new SfnError('AccessDeniedException', denial.message);
      send(res, 200, run(input as Record<string, unknown>));
    } catch (error) {
      const known =
        error instanceof SfnError
          ? error
          : new SfnError('InternalFailure', 'An internal error occurred.', 500);
      if (!(error instanceof SfnError))
        process.emitWarning(`sfn twin: ${operation} failed: ${(error as Error)?.message}`);
      status = known.status;
      send(res, known.status, { __type: known.type, message: known.message }, known.type);
    } finally {
      onRequest?.({ service: 'states', operation, status, ms: performance.now() - started });
    }
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, { __type: 'InternalFailure', message: 'An internal error occurred.' });
      process.emitWarning(`sfn twin: request failed: ${(error as Error)?.message}`);
    });
  });
}

export { listen } from '../http.ts';
