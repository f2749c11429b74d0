import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

/**
 * The Lambda service's side of running the functions inside the twin's process: each invocation
 * gets a Lambda context, runs on an instance of its function (an execution environment with its
 * own log stream, reused by later invocations while it is idle, as Lambda reuses warm
 * environments), and everything it writes to stdout or stderr becomes log events of that stream
 * instead of the process's output — as Lambda sends a function's output to
 * `/aws/lambda/<function name>`. An invocation that fails also gets the ERROR line Lambda's
 * runtime writes ("Invoke Error", with the error's type and message).
 *
 * Many invocations run at once in this one process, as on Lambda Managed Instances: the host
 * sets `AWS_LAMBDA_MAX_CONCURRENCY` and provides the runtime's invoke store
 * (`globalThis.awslambda.InvokeStore`, the contract of `@aws/lambda-invoke-store`), so that
 * what Powertools keeps per invocation (the Lambda context, appended log keys, metrics) stays
 * with its invocation.
 */

export type LambdaHandler = (event: unknown, context: object) => Promise<unknown>;

/** One line a function wrote, where Lambda would put it. */
export interface FunctionLogEvent {
  functionName: string;
  logGroup: string;
  logStream: string;
  timestamp: number;
  message: string;
}

export interface LocalLambdaOptions {
  region: string;
  account: string;
  now: () => number;
  /** A new instance of a function starts, with its own log stream. */
  onInstance: (instance: { functionName: string; logGroup: string; logStream: string }) => void;
  /** Each line an invocation writes, as it is written. */
  onLog: (event: FunctionLogEvent) => void;
  /**
   * A function's configured timeout in milliseconds, which its context's
   * `getRemainingTimeInMillis` counts down from (Lambda's 900 s maximum when unknown). The
   * timeout is not enforced: only told.
   */
  timeoutMs?: (functionName: string) => number | undefined;
}

export interface LocalLambda {
  /** Runs a handler as the function `functionName` would run on Lambda. */
  invoke(functionName: string, handler: LambdaHandler, event: unknown): Promise<unknown>;
  close(): void;
}

/** What an invocation's output is collected into. */
class Output {
  private pending = '';
  private readonly emit: (line: string) => void;
  /** The function whose invocation writes here. */
  readonly functionName: string;
  constructor(functionName: string, emit: (line: string) => void) {
    this.functionName = functionName;
    this.emit = emit;
  }

  write(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.emit(line);
  }

  flush(): void {
    if (this.pending.trim() !== '') this.emit(this.pending);
    this.pending = '';
  }
}

const running = new AsyncLocalStorage<Output>();

/** The function whose invocation the calling code runs in, if any. */
export const currentFunction = (): string | undefined => running.getStore()?.functionName;

/** The runtime's invoke store, one context per invocation (what `@aws/lambda-invoke-store` calls multi). */
class HostInvokeStore extends InvokeStoreBase {
  private readonly contexts = new AsyncLocalStorage<Record<string | symbol, unknown>>();
  getContext() {
    return this.contexts.getStore();
  }
  hasContext() {
    return this.contexts.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.contexts.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const context = this.contexts.getStore();
    if (!context) throw new Error('No context available');
    context[key] = value;
  }
  run<T>(context: Record<string | symbol, unknown>, fn: () => T): T {
    return this.contexts.run(context, fn);
  }
}

function installInvokeStore(): HostInvokeStore {
  const global = globalThis as { awslambda?: { InvokeStore?: unknown } };
  global.awslambda ??= {};
  const existing = global.awslambda.InvokeStore;
  if (existing instanceof HostInvokeStore) return existing;
  const store = new HostInvokeStore();
  global.awslambda.InvokeStore = store;
  return store;
}

/**
 * While any local Lambda is open, process.stdout and process.stderr send what an invocation
 * writes to that invocation; everything else is written as usual.
 */
let outputUsers = 0;
let restoreOutput: (() => void) | undefined;

function divert(stream: NodeJS.WriteStream): () => void {
  const own = Object.getOwnPropertyDescriptor(stream, 'write');
  const original = stream.write;
  const write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const output = running.getStore();
    if (!output) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
    output.write(
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding),
    );
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  };
  stream.write = write as NodeJS.WriteStream['write'];
  return () => {
    if (own) Object.defineProperty(stream, 'write', own);
    else delete (stream as { write?: unknown }).write;
  };
}

function holdOutput(): () => void {
  if (outputUsers++ === 0) {
    const out = divert(process.stdout);
    const err = divert(process.stderr);
    restoreOutput = () => {
      err();
      out();
    };
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--outputUsers === 0) restoreOutput?.();
  };
}

/** `2026/11/27/[$LATEST]<32 hex digits>`: the stream of one execution environment. */
const streamName = (now: number) =>
  `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;

export function startLocalLambda(options: LocalLambdaOptions): LocalLambda {
  const store = installInvokeStore();
  const release = holdOutput();
  const idle = new Map<string, string[]>();
  return {
    async invoke(functionName, handler, event) {
      const logGroup = `/aws/lambda/${functionName}`;
      let logStream = idle.get(functionName)?.pop();
      if (!logStream) {
        logStream = streamName(options.now());
        options.onInstance({ functionName, logGroup, logStream });
      }
      const stream = logStream;
      const requestId = randomUUID();
      const output = new Output(functionName, (message) =>
        options.onLog({
          functionName,
          logGroup,
          logStream: stream,
          timestamp: options.now(),
          message,
        }),
      );
      // Real time, as Lambda counts it, even under the twin's virtual clock.
      const deadline = Date.now() + (options.timeoutMs?.(functionName) ?? 900_000);
      const context = {
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.account}:function:${functionName}`,
        awsRequestId: requestId,
        logGroupName: logGroup,
        logStreamName: stream,
        callbackWaitsForEmptyEventLoop: false,
      };
      try {
        return await running.run(output, () =>
          store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, () =>
            handler(event, context),
          ),
        );
      } catch (error) {
        const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
        output.write(
          `${JSON.stringify({
            timestamp: new Date(options.now()).toISOString(),
            level: 'ERROR',
            requestId,
            message: 'Invoke Error',
            errorType: typeof name === 'string' ? name : 'Error',
            errorMessage: typeof message === 'string' ? message : String(error),
          })}\n`,
        );
        throw error;
      } finally {
        output.flush();
        const streams = idle.get(functionName) ?? [];
        streams.push(stream);
        idle.set(functionName, streams);
      }
    },
    close: release,
  };
}
