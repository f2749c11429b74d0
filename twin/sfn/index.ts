import type { Server } from 'node:http';
import { join } from 'node:path';
import { AccessControl } from '../iam/access.ts';
import { twinClock, type VirtualClock } from './clock.ts';
import { type ExecutionStatusChangeEvent, executionStatusChangeEvent } from './events.ts';
import type { HistoryEvent } from './history.ts';
import type { ExecutionStatus } from './interpreter.ts';
import { createSfnServer, listen, type SfnRequestLog } from './server.ts';
import { type Execution, SfnService, type StateMachineSpec } from './service.ts';
import { SfnStore } from './store.ts';

export { createVirtualClock, type VirtualClock } from './clock.ts';
export { taskStateNames } from './definition.ts';
export { SfnError } from './errors.ts';
export type { ExecutionStatusChangeEvent } from './events.ts';
export { executionStatusChangeEvent } from './events.ts';
export type { HistoryEvent } from './history.ts';
export { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from './history.ts';
export type { ExecutionStatus, TaskContext, TaskHandler } from './interpreter.ts';
export type { SfnRequestLog } from './server.ts';
export type { Execution, StateMachineSpec } from './service.ts';
export { INTERRUPTED_CAUSE, isValidName } from './service.ts';

export interface SfnTwinOptions {
  /** The data folder; the twin keeps its state in `<dataDir>/sfn/`. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Default us-east-1. */
  region?: string;
  /** Default 123456789012. */
  account?: string;
  stateMachines: StateMachineSpec[];
  /**
   * The twin's time. Without one, real time (Date.now); with one, each Wait state and retry
   * interval moves it forward by its full duration (see `waitScale`), and every date the twin
   * reports (history timestamps, startDate, stopDate, `$$.Execution.StartTime`) is read from it.
   */
  clock?: VirtualClock;
  /**
   * The fraction of each Wait duration and retry interval really slept: 1 (the default) is real
   * time, 0.001 turns a minute into 60 ms, 0 sleeps not at all (but still yields to the event loop).
   */
  waitScale?: number;
  /** Every history event as it is recorded. */
  onEvent?: (executionArn: string, event: HistoryEvent) => void;
  /**
   * Each execution that was RUNNING when the twin last stopped: the interpreter cannot resume
   * it, so the twin marks it FAILED (States.Runtime) and reports it here once, during start,
   * for clean-up (for example stopping the Cognito import job it had started).
   */
  onInterrupted?: (execution: Execution) => void;
  /**
   * The "Step Functions Execution Status Change" event AWS sends to EventBridge, raised once for
   * each execution as it ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), including each execution
   * the twin ends at start because it was interrupted (after `onInterrupted`). Listeners filter
   * it as an EventBridge rule would.
   */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => void;
  /** One entry per HTTP request (operation, status, duration; never bodies). */
  onRequest?: (entry: SfnRequestLog) => void;
  /**
   * Signatures and IAM, shared with the twin's other services. Without it, every well-signed
   * request acts as the account's administrator (a signature is still required).
   */
  access?: AccessControl;
}

export interface StartExecutionRequest {
  stateMachineName: string;
  /** Default: a random UUID. */
  name?: string;
  /** The input as a value (serialised as JSON); default `{}`. */
  input?: unknown;
}

export interface SfnTwin {
  /** `http://127.0.0.1:<port>`: the endpoint for `@aws-sdk/client-sfn` and the AWS CLI. */
  endpoint: string;
  port: number;
  region: string;
  account: string;
  stateMachineArn(name: string): string;
  /** StartExecution, in-process. @throws SfnError as the HTTP API would answer. */
  startExecution(request: StartExecutionRequest): { executionArn: string; startDate: number };
  /** DescribeExecution. @throws SfnError ExecutionDoesNotExist / InvalidArn. */
  describe(executionArn: string): Execution;
  /** Resolves once the execution has ended (at once if it has); rejects if the twin closes first. */
  waitFor(executionArn: string): Promise<Execution>;
  /** The whole history, oldest first. */
  history(executionArn: string): HistoryEvent[];
  /** Executions of one state machine, newest first. */
  listExecutions(stateMachineName: string, status?: ExecutionStatus): Execution[];
  /** StopExecution: a running execution ends ABORTED; an ended one is left as it is. */
  stop(executionArn: string, error?: string, cause?: string): Execution;
  /**
   * Stops the endpoint and every running interpreter. Running executions are not ended: their
   * records stay RUNNING on disk, with their history so far, exactly as if the process had been
   * killed, so the next start marks them FAILED and reports them through `onInterrupted`.
   * Pending `waitFor` calls reject.
   */
  close(): Promise<void>;
}

/**
 * Starts the local Step Functions twin in-process: the given state machines run on
 * aws-local-stepfunctions with each Task bound to its handler, behind a Step Functions endpoint
 * on 127.0.0.1, with executions and histories kept under the data folder.
 *
 * @throws Error naming the state machine and state when a definition is invalid, a Task state
 *   has no handler, or a handler matches no Task; Error with code EADDRINUSE when the port is
 *   taken.
 */
export async function startSfnTwin(options: SfnTwinOptions): Promise<SfnTwin> {
  const waitScale = options.waitScale ?? 1;
  if (!Number.isFinite(waitScale) || waitScale < 0)
    throw new RangeError(`waitScale must be a finite number ≥ 0, not ${waitScale}.`);
  const clock = twinClock(options.clock);
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const host = options.host ?? '127.0.0.1';
  const statusChanged = (execution: Execution) =>
    options.onStatusChange?.(
      executionStatusChangeEvent(execution, { region, account, time: clock.now() }),
    );
  // Definitions and handlers are checked before anything touches the data folder.
  const service = new SfnService({
    clock,
    region,
    account,
    waitScale,
    stateMachines: options.stateMachines,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.onStatusChange ? { onEnded: statusChanged } : {}),
  });
  const store = new SfnStore(join(options.dataDir, 'sfn'));
  let ready = false;
  const server: Server = createSfnServer(service, options.onRequest, () => ready, {
    access: options.access ?? new AccessControl({ account, region }),
    region,
  });
  let port: number;
  let interrupted: Execution[];
  try {
    port = (await listen(server, options.port ?? 0, host)).port;
    // Only once the twin can serve: a start that fails leaves interrupted executions for the next.
    interrupted = service.open(store);
    ready = true;
  } catch (error) {
    if (server.listening) server.close();
    store.close();
    throw error;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    service.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
  };
  for (const execution of interrupted) {
    try {
      options.onInterrupted?.(execution);
      statusChanged(execution);
    } catch (error) {
      await close();
      throw error;
    }
  }
  return {
    endpoint: `http://${host}:${port}`,
    port,
    region,
    account,
    stateMachineArn: (name) => service.stateMachineArn(name),
    startExecution: (request) =>
      service.start({
        stateMachineArn: service.stateMachineArn(request.stateMachineName),
        ...(request.name !== undefined ? { name: request.name } : {}),
        input: JSON.stringify(request.input === undefined ? {} : request.input) ?? 'null',
      }),
    describe: (arn) => service.describe(arn),
    waitFor: (arn) => service.waitFor(arn),
    history: (arn) => service.history(arn),
    listExecutions: (name, status) => service.list(name, status),
    stop: (arn, error, cause) => service.stop(arn, error, cause),
    close,
  };
}
