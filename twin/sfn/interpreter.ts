import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { sleep, type TwinClock } from './clock.ts';
import type { AslRetrier, PreparedMachine, StateInfo } from './definition.ts';
import {
  type HistoryEvent,
  type HistoryEventDetails,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
} from './history.ts';
import {
  answerNextToISOString,
  type ExecuteOptions,
  hookOption,
  installExecuteHook,
  type LibraryEvent,
  type RunHook,
} from './library-hooks.ts';
import { readPath } from './paths.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What a Task handler learns about the call besides its input. */
export interface TaskContext {
  executionArn: string;
  executionName: string;
  /** The Task state's name (handlers are bound by state name, as in aws-local-stepfunctions). */
  stateName: string;
  /** 1 for the first call of this state entry, 2 for its first retry, and so on. */
  attempt: number;
}

/**
 * Stands in for the Lambda function a Task state invokes: gets the state's effective input
 * (after InputPath/Parameters) and returns the function's result. A thrown error fails the task
 * with the error's `name` as the ASL error (what Retry/Catch match), as the Node.js Lambda
 * runtime reports it.
 */
export type TaskHandler = (input: unknown, context: TaskContext) => unknown | Promise<unknown>;

export interface RunOutcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
  stopDate: number;
}

/** Where a run reports to: every history event as it happens, then the outcome once. */
export interface RunSink {
  append(event: HistoryEvent): void;
  finish(outcome: RunOutcome): void;
}

export interface RunSpec {
  prepared: PreparedMachine;
  machine: StateMachine;
  handlers: Record<string, TaskHandler>;
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  roleArn: string;
  region: string;
  input: unknown;
  inputJson: string;
  startDate: number;
  clock: TwinClock;
  waitScale: number;
  sink: RunSink;
}

/** A key the twin adds to the interpreter's run options; spreading copies it to nested runs. */
const FRAME = Symbol.for('cognito-import.sfn-twin.frame');

/** Events a logger re-dispatches on behalf of a nested Map iteration or Parallel branch. */
const FORWARDED = new Set([
  'MapIterationStarted',
  'MapIterationSucceeded',
  'MapIterationFailed',
  'ParallelBranchStarted',
  'ParallelBranchSucceeded',
  'ParallelBranchFailed',
]);

interface Composite {
  kind: 'Map' | 'Parallel';
  name: string;
  startedId: number;
  nextIndex: number;
  /** An iteration or branch failed: the state fails, and nothing more of it starts. */
  failed: boolean;
}

interface AttemptToken {
  settled: boolean;
}

/** One running (sub)machine: the root, a Map iteration or a Parallel branch. */
class Frame {
  /** The event a next event in this frame follows (AWS's previousEventId). */
  last = 0;
  /** The (sub)machine ended: whatever its interpreter still does is not part of the history. */
  closed = false;
  composite: Composite | undefined;
  compositeFailed = false;
  readonly attempts = new Map<string, number>();
  readonly enteredIds = new Map<string, number>();
  readonly retryCounts = new Map<string, number[]>();
  readonly retryDelays = new Map<string, number[]>();
  /** When each state last failed: its retry interval runs from there. */
  readonly failedAt = new Map<string, number>();
  readonly tokens = new Map<string, AttemptToken>();

  readonly parent: Frame | undefined;
  readonly kind: 'root' | 'Map' | 'Parallel' | 'orphan';
  /** The Map or Parallel state this iteration or branch belongs to. */
  readonly owner: string;
  readonly index: number;

  constructor(
    parent: Frame | undefined,
    kind: 'root' | 'Map' | 'Parallel' | 'orphan',
    owner = '',
    index = 0,
  ) {
    this.parent = parent;
    this.kind = kind;
    this.owner = owner;
    this.index = index;
  }
}

interface PendingCall {
  frame: Frame;
  attempt: number;
  enteredId: number;
}

const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const FAIL_STATE_DEFAULT_ERROR = 'FailStateError';
const FAIL_STATE_DEFAULT_CAUSE = 'Execution failed because of a Fail state';

function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value) ?? 'null';
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function failureKey(error: unknown, cause: unknown): string {
  return JSON.stringify([error ?? null, cause ?? null]);
}

/**
 * The error a Task reports for what its handler threw, as the Node.js Lambda runtime reports an
 * exception: the ASL error is the error's `name` (what Retry/Catch match), the cause is the
 * runtime's JSON (`errorType`, `errorMessage`, `trace`), which is also what a Catch hands on.
 */
export function lambdaFailure(thrown: unknown): { error: string; cause: string } {
  try {
    if (typeof thrown === 'object' && thrown !== null) {
      const e = thrown as { name?: unknown; message?: unknown; stack?: unknown };
      const name = typeof e.name === 'string' && e.name.length > 0 ? e.name : 'Error';
      const message = typeof e.message === 'string' ? e.message : String(e.message ?? '');
      const trace = typeof e.stack === 'string' ? e.stack.split('\n') : [];
      return {
        error: name,
        cause: JSON.stringify({ errorType: name, errorMessage: message, trace }),
      };
    }
    const type = typeof thrown;
    return {
      error: type,
      cause: JSON.stringify({ errorType: type, errorMessage: String(thrown), trace: [] }),
    };
  } catch {
    return {
      error: 'Error',
      cause: JSON.stringify({ errorType: 'Error', errorMessage: 'unprintable error', trace: [] }),
    };
  }
}

function retryDelayMs(retrier: AslRetrier, retriesSoFar: number): number {
  let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retriesSoFar;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  const ms = Math.round(seconds * 1000);
  return retrier.JitterStrategy === 'FULL' ? Math.floor(Math.random() * (ms + 1)) : ms;
}

function isLambdaFunction(resource: string): boolean {
  return /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource);
}

/** `arn:aws:states:::sqs:sendMessage.sync` → resourceType `sqs`, resource `sendMessage.sync`. */
function serviceOf(resource: string): { resourceType: string; resource: string } {
  const match = /^arn:[^:]+:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  return match?.[1] && match[2]
    ? { resourceType: match[1], resource: match[2] }
    : { resourceType: 'unknown', resource };
}

/**
 * One execution on aws-local-stepfunctions, translated into AWS's history as it runs, on the
 * twin's clock. It owns the interpreter run; the service owns the record (through the sink).
 */
export class ExecutionRun implements RunHook {
  private readonly spec: RunSpec;
  private readonly root = new Frame(undefined, 'root');
  private readonly states: Map<string, StateInfo>;
  private readonly controller = new AbortController();
  private readonly seen = new WeakSet<object>();
  private readonly pending = new Map<string, PendingCall>();
  private readonly refinements = new Map<string, { error?: string; cause?: string }>();
  private readonly ownFailures = new Set<string>();
  private readonly context: Record<string, unknown>;
  private readonly startIso: string;
  private handle: ReturnType<StateMachine['run']> | undefined;
  private abortWanted = false;
  private count = 0;
  private ended = false;
  private lastFailedFrame: Frame | undefined;
  private restoreIso: (() => void) | undefined;
  private deadline: number | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(spec: RunSpec) {
    installExecuteHook();
    this.spec = spec;
    this.states = spec.prepared.states;
    this.startIso = new Date(spec.startDate).toISOString();
    this.context = {
      Execution: {
        Id: spec.executionArn,
        Name: spec.executionName,
        RoleArn: spec.roleArn,
        Input: spec.input,
        StartTime: this.startIso,
        RedriveCount: 0,
      },
      StateMachine: { Id: spec.stateMachineArn, Name: spec.prepared.name },
    };
    if (spec.prepared.timeoutSeconds !== undefined)
      this.deadline = spec.startDate + spec.prepared.timeoutSeconds * 1000;
  }

  /** Starts the interpreter; the first events are recorded before this returns. */
  start(): void {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const info of this.states.values()) {
      const handler = this.spec.handlers[info.name];
      if (info.type === 'Task' && handler)
        handlers[info.name] = (input) => this.runTask(info, handler, input);
      else if (info.type === 'Wait') handlers[info.name] = (input) => this.runWait(info, input);
    }
    const {
      Input: _input,
      StartTime: _start,
      ...execution
    } = this.context.Execution as Record<string, unknown>;
    const options = {
      noThrowOnAbort: true,
      context: { Execution: execution, StateMachine: this.context.StateMachine },
      overrides: {
        taskResourceLocalHandlers: handlers,
        // Read by the interpreter right after a retryable state fails: the twin decides each
        // retry interval, the interpreter sleeps the scaled fraction the twin answers, and the
        // twin moves its clock to the interval's end when the retry happens.
        retryIntervalOverrides: new Proxy(
          {},
          {
            get: (_target, key) => (typeof key === 'string' ? this.retryIntervals(key) : undefined),
          },
        ),
      },
      ...hookOption(this),
    } as unknown as RunOptions;
    let handle: ReturnType<StateMachine['run']>;
    try {
      handle = this.spec.machine.run(this.spec.input as never, options);
    } finally {
      this.restoreIso?.();
    }
    this.handle = handle;
    // Nobody else reads the interpreter's own event stream; drain it so it does not pile up.
    void (async () => {
      for await (const _event of handle.eventLogs);
    })();
    handle.result.then(
      () => this.onInterpreterDone(undefined),
      (error: unknown) => this.onInterpreterDone(error),
    );
    if (this.abortWanted) handle.abort();
    this.armDeadline();
  }

  /** StopExecution: ends the execution as ABORTED with the given error and cause. */
  stop(error?: string, cause?: string): void {
    this.end(
      'ABORTED',
      { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) },
      true,
    );
  }

  /**
   * Stops the interpreter without ending the execution: nothing more is recorded and the
   * record stays RUNNING, as if the process had died here (the twin's close()).
   */
  detach(): void {
    if (this.ended) return;
    this.ended = true;
    this.cleanup();
    this.handle?.abort();
  }

  /** Called by the hooked interpreter for this run and each nested run it starts. */
  attach(options: ExecuteOptions): void {
    const runOptions = options.runOptions as Record<PropertyKey, unknown>;
    const parent = runOptions[FRAME] as Frame | undefined;
    let frame = this.root;
    if (parent) {
      const composite = parent.composite;
      // After an iteration failed, the interpreter may still start the next queued one (its
      // concurrency limiter moves on before the Map gives up); AWS would not, so it runs unseen.
      frame =
        composite && !composite.failed
          ? new Frame(parent, composite.kind, composite.name, composite.nextIndex++)
          : new Frame(parent, 'orphan');
    }
    runOptions[FRAME] = frame;
    const logger = options.eventLogger;
    const dispatch = logger.dispatch.bind(logger);
    logger.dispatch = (event: LibraryEvent) => {
      const own = !this.seen.has(event) && !FORWARDED.has(event.type);
      if (own) {
        this.seen.add(event);
        this.safely(() => this.onEvent(frame, event));
      }
      dispatch(event);
      if (own && event.type === 'ExecutionStarted') this.armStartTime();
    };
  }

  /** `$$.Execution.StartTime` on the twin's clock (see answerNextToISOString). */
  private armStartTime(): void {
    this.restoreIso?.();
    this.restoreIso = answerNextToISOString(this.startIso);
  }

  private safely(work: () => void): void {
    try {
      work();
    } catch (error) {
      try {
        this.end(
          'FAILED',
          {
            error: 'States.Runtime',
            cause: `The local twin failed while running the execution: ${(error as Error)?.message ?? String(error)}`,
          },
          true,
        );
      } catch {
        this.ended = true;
        this.cleanup();
      }
    }
  }

  private onEvent(frame: Frame, event: LibraryEvent): void {
    if (this.ended || frame.closed || frame.kind === 'orphan') return;
    this.checkDeadline();
    if (this.ended) return;
    switch (event.type) {
      case 'ExecutionStarted':
        this.onMachineStarted(frame);
        break;
      case 'ExecutionSucceeded':
        this.onMachineSucceeded(frame, event);
        break;
      case 'ExecutionFailed':
        this.onMachineFailed(frame, event);
        break;
      case 'ExecutionAborted':
        this.onMachineAborted(frame);
        break;
      case 'StateEntered':
        this.onStateEntered(frame, event);
        break;
      case 'StateExited':
        this.onStateExited(frame, event);
        break;
      case 'StateFailed':
        this.onStateFailed(frame, event);
        break;
      case 'StateRetried':
        this.onStateRetried(frame, event);
        break;
      default:
        // StateCaught adds nothing: the interpreter follows it with StateExited.
        break;
    }
  }

  private onMachineStarted(frame: Frame): void {
    if (frame === this.root) {
      this.emit(
        frame,
        'ExecutionStarted',
        {
          executionStartedEventDetails: {
            input: this.spec.inputJson,
            inputDetails: { truncated: false },
            roleArn: this.spec.roleArn,
          },
        },
        'side',
        0,
      );
      return;
    }
    const composite = frame.parent?.composite;
    if (!composite) return;
    if (frame.kind === 'Map') {
      this.emit(
        frame,
        'MapIterationStarted',
        { mapIterationStartedEventDetails: { name: frame.owner, index: frame.index } },
        'chain',
        composite.startedId,
      );
    } else frame.last = composite.startedId;
  }

  private onMachineSucceeded(frame: Frame, event: LibraryEvent): void {
    if (frame === this.root) {
      this.end('SUCCEEDED', { output: toJson(event.output) }, false);
      return;
    }
    const parent = frame.parent as Frame;
    frame.closed = true;
    if (frame.kind === 'Map') {
      const id = this.emit(
        frame,
        'MapIterationSucceeded',
        { mapIterationSucceededEventDetails: { name: frame.owner, index: frame.index } },
        'side',
      );
      if (id) parent.last = id;
    } else parent.last = frame.last;
  }

  private onMachineFailed(frame: Frame, event: LibraryEvent): void {
    if (frame === this.root) {
      const refined = this.refinements.get(failureKey(event.Error, event.Cause)) ?? {
        ...(typeof event.Error === 'string' ? { error: event.Error } : {}),
        ...(event.Cause !== undefined ? { cause: String(event.Cause) } : {}),
      };
      this.end('FAILED', refined, false);
      return;
    }
    const parent = frame.parent as Frame;
    frame.closed = true;
    if (parent.composite) parent.composite.failed = true;
    if (frame.kind === 'Map')
      this.emit(
        frame,
        'MapIterationFailed',
        { mapIterationFailedEventDetails: { name: frame.owner, index: frame.index } },
        'side',
      );
    // AWS chains what follows a failed iteration (MapStateFailed, a retry's MapStateStarted) to
    // the iteration's last event, not to MapIterationFailed itself.
    parent.last = frame.last;
  }

  private onMachineAborted(frame: Frame): void {
    if (frame === this.root) {
      this.end('ABORTED', {}, false);
      return;
    }
    frame.closed = true;
    if (frame.kind === 'Map')
      this.emit(
        frame,
        'MapIterationAborted',
        { mapIterationAbortedEventDetails: { name: frame.owner, index: frame.index } },
        'side',
      );
  }

  private onStateEntered(frame: Frame, event: LibraryEvent): void {
    const state = event.state;
    const info = state && this.states.get(state.name);
    if (!state || !info) return;
    frame.attempts.set(info.name, 1);
    frame.retryCounts.delete(info.name);
    frame.compositeFailed = false;
    const id = this.emit(frame, `${info.type}StateEntered`, {
      stateEnteredEventDetails: {
        name: info.name,
        input: toJson(state.input),
        inputDetails: { truncated: false },
      },
    });
    if (!id) return;
    frame.enteredIds.set(info.name, id);
    if (info.type === 'Task' || info.type === 'Wait')
      this.pending.set(info.name, { frame, attempt: 1, enteredId: id });
    else if (info.type === 'Map' || info.type === 'Parallel')
      this.startComposite(frame, info, state.input);
  }

  /** MapStateStarted / ParallelStateStarted, and the frame their iterations or branches hang from. */
  private startComposite(frame: Frame, info: StateInfo, rawInput: unknown): void {
    if (info.type === 'Parallel') {
      const id = this.emit(frame, 'ParallelStateStarted');
      frame.composite = {
        kind: 'Parallel',
        name: info.name,
        startedId: id,
        nextIndex: 0,
        failed: false,
      };
      return;
    }
    // The interpreter evaluates InputPath and ItemsPath without telling; the twin reads them too
    // for the item count AWS reports. A path it cannot read leaves the count out.
    let details: { length?: number } = {};
    const inputPath = info.run.InputPath;
    let effective: { ok: boolean; value?: unknown; reason?: string } =
      inputPath === undefined
        ? { ok: true, value: rawInput }
        : inputPath === null
          ? { ok: true, value: {} }
          : readPath(inputPath, rawInput, this.context);
    if (effective.ok && info.run.ItemsPath !== undefined)
      effective = readPath(info.run.ItemsPath, effective.value, this.context);
    if (effective.ok) {
      // Not a list: the interpreter fails the state before it starts, as AWS does.
      if (!Array.isArray(effective.value)) return;
      details = { length: effective.value.length };
    } else if (effective.reason === 'missing') return;
    const id = this.emit(frame, 'MapStateStarted', { mapStateStartedEventDetails: details });
    frame.composite = { kind: 'Map', name: info.name, startedId: id, nextIndex: 0, failed: false };
  }

  private onStateExited(frame: Frame, event: LibraryEvent): void {
    const state = event.state;
    const info = state && this.states.get(state.name);
    if (!state || !info) return;
    const output = toJson(state.output);
    if (utf8Bytes(output) > MAX_PAYLOAD_BYTES) {
      this.end(
        'FAILED',
        {
          error: 'States.DataLimitExceeded',
          cause: `The state/task '${info.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
        },
        true,
      );
      return;
    }
    if ((info.type === 'Map' || info.type === 'Parallel') && !frame.compositeFailed)
      this.emit(frame, `${info.type}StateSucceeded`, undefined, 'side');
    if (info.type === 'Map' || info.type === 'Parallel') frame.composite = undefined;
    this.emit(frame, `${info.type}StateExited`, {
      stateExitedEventDetails: { name: info.name, output, outputDetails: { truncated: false } },
    });
  }

  private onStateFailed(frame: Frame, event: LibraryEvent): void {
    const info = event.state && this.states.get(event.state.name);
    if (!info) return;
    this.lastFailedFrame = frame;
    frame.failedAt.set(info.name, this.spec.clock.now());
    const key = failureKey(event.Error, event.Cause);
    if (!this.refinements.has(key)) this.refinements.set(key, this.refine(frame, info, event));
    if (info.type === 'Task') {
      const token = frame.tokens.get(info.name);
      // The interpreter gave up waiting (TimeoutSeconds); the handler may still answer later.
      if (event.Error === 'States.Timeout' && token && !token.settled) {
        token.settled = true;
        const resource = info.resource ?? '';
        if (isLambdaFunction(resource))
          this.emit(frame, 'LambdaFunctionTimedOut', {
            lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' },
          });
        else
          this.emit(frame, 'TaskTimedOut', {
            taskTimedOutEventDetails: { ...serviceOf(resource), error: 'States.Timeout' },
          });
      }
    } else if (info.type === 'Map' || info.type === 'Parallel') {
      frame.compositeFailed = true;
      this.emit(frame, `${info.type}StateFailed`);
    }
  }

  /**
   * The error and cause AWS would report for a failure the interpreter raised: a Fail state
   * without Error/Cause reports neither (the interpreter fills in its own), a Task timeout has no
   * cause, and the interpreter's own runtime errors name the state and the event it entered at.
   */
  private refine(
    frame: Frame,
    info: StateInfo,
    event: LibraryEvent,
  ): { error?: string; cause?: string } {
    let error = typeof event.Error === 'string' ? event.Error : undefined;
    let cause =
      event.Cause === undefined || event.Cause === null
        ? undefined
        : typeof event.Cause === 'string'
          ? event.Cause
          : toJson(event.Cause);
    const optional = () => ({
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    if (info.type === 'Fail') {
      const shown = info.shown;
      if (
        shown.Error === undefined &&
        shown.ErrorPath === undefined &&
        error === FAIL_STATE_DEFAULT_ERROR
      )
        error = undefined;
      if (
        shown.Cause === undefined &&
        shown.CausePath === undefined &&
        cause === FAIL_STATE_DEFAULT_CAUSE
      )
        cause = undefined;
      return optional();
    }
    if (error === 'States.Timeout' && cause === 'States.Timeout') return { error };
    if (this.ownFailures.has(failureKey(error, cause))) return optional();
    if (error?.startsWith('States.'))
      cause =
        `An error occurred while executing the state '${info.name}' (entered at the event id #${frame.enteredIds.get(info.name) ?? 0}). ${cause ?? ''}`.trim();
    return optional();
  }

  private onStateRetried(frame: Frame, event: LibraryEvent): void {
    const info = event.state && this.states.get(event.state.name);
    if (!info || !event.state || !event.retry) return;
    const retriers = info.run.Retry ?? [];
    const index = retriers.indexOf(event.retry.retrier);
    const counts = frame.retryCounts.get(info.name) ?? [];
    if (index >= 0) counts[index] = event.retry.attempt;
    frame.retryCounts.set(info.name, counts);
    const delay = frame.retryDelays.get(info.name)?.[index] ?? 0;
    const failedAt = frame.failedAt.get(info.name) ?? this.spec.clock.now();
    if (!this.advanceRetry(failedAt, delay)) return;
    const attempt = (frame.attempts.get(info.name) ?? 1) + 1;
    frame.attempts.set(info.name, attempt);
    if (info.type === 'Task')
      this.pending.set(info.name, {
        frame,
        attempt,
        enteredId: frame.enteredIds.get(info.name) ?? 0,
      });
    else if (info.type === 'Map' || info.type === 'Parallel') {
      frame.compositeFailed = false;
      this.startComposite(frame, info, event.state.input);
    }
  }

  private retryIntervals(stateName: string): number[] | undefined {
    const retriers = this.states.get(stateName)?.run.Retry;
    const frame = this.lastFailedFrame;
    if (!retriers || retriers.length === 0 || !frame) return undefined;
    const counts = frame.retryCounts.get(stateName) ?? [];
    const delays = retriers.map((retrier, i) => retryDelayMs(retrier, counts[i] ?? 0));
    frame.retryDelays.set(stateName, delays);
    return delays.map((ms) => ms * this.spec.waitScale);
  }

  private takePending(stateName: string): PendingCall | undefined {
    const call = this.pending.get(stateName);
    this.pending.delete(stateName);
    return call;
  }

  /** An error the interpreter will treat as the task's failure, remembered as the twin's own. */
  private ownError(error: string, cause: string): Error {
    const thrown = new Error(cause);
    thrown.name = error;
    this.ownFailures.add(failureKey(error, cause));
    return thrown;
  }

  private async runTask(info: StateInfo, handler: TaskHandler, input: unknown): Promise<unknown> {
    const call = this.takePending(info.name);
    if (!call || this.ended || call.frame.closed)
      throw this.ownError('States.Runtime', 'The execution is no longer running.');
    const { frame } = call;
    const resource = info.resource ?? '';
    const lambda = isLambdaFunction(resource);
    const timeout =
      typeof info.shown.TimeoutSeconds === 'number'
        ? { timeoutInSeconds: info.shown.TimeoutSeconds }
        : {};
    const payload = toJson(input);
    const token: AttemptToken = { settled: false };
    frame.tokens.set(info.name, token);
    if (lambda) {
      this.emit(frame, 'LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: payload,
          inputDetails: { truncated: false },
          ...timeout,
        },
      });
      this.emit(frame, 'LambdaFunctionStarted');
    } else {
      const service = serviceOf(resource);
      this.emit(frame, 'TaskScheduled', {
        taskScheduledEventDetails: {
          ...service,
          region: this.spec.region,
          parameters: payload,
          ...timeout,
        },
      });
      this.emit(frame, 'TaskStarted', { taskStartedEventDetails: service });
    }
    let output: string;
    try {
      const result = await handler(JSON.parse(payload), {
        executionArn: this.spec.executionArn,
        executionName: this.spec.executionName,
        stateName: info.name,
        attempt: call.attempt,
      });
      output = toJson(result);
    } catch (thrown) {
      throw this.taskFailed(frame, info, token, lambdaFailure(thrown));
    }
    if (utf8Bytes(output) > MAX_PAYLOAD_BYTES)
      throw this.taskFailed(frame, info, token, {
        error: 'States.DataLimitExceeded',
        cause: `The state/task '${resource}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      });
    if (!token.settled) {
      token.settled = true;
      if (lambda)
        this.emit(frame, 'LambdaFunctionSucceeded', {
          lambdaFunctionSucceededEventDetails: { output, outputDetails: { truncated: false } },
        });
      else
        this.emit(frame, 'TaskSucceeded', {
          taskSucceededEventDetails: {
            ...serviceOf(resource),
            output,
            outputDetails: { truncated: false },
          },
        });
    }
    return JSON.parse(output);
  }

  private taskFailed(
    frame: Frame,
    info: StateInfo,
    token: AttemptToken,
    failure: { error: string; cause: string },
  ): Error {
    if (!token.settled) {
      token.settled = true;
      const resource = info.resource ?? '';
      if (isLambdaFunction(resource))
        this.emit(frame, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure });
      else
        this.emit(frame, 'TaskFailed', {
          taskFailedEventDetails: { ...serviceOf(resource), ...failure },
        });
    }
    return this.ownError(failure.error, failure.cause);
  }

  /**
   * A Wait state, run by the twin: it computes the state's duration from its effective input,
   * sleeps `duration × waitScale` real milliseconds, then moves the clock to the moment the wait
   * ends, so the next event carries the time AWS would show. Moving *to* that moment (not *by*
   * the duration) keeps waits that overlap, in concurrent Map iterations, from adding up.
   */
  private async runWait(info: StateInfo, input: unknown): Promise<unknown> {
    const call = this.takePending(info.name);
    if (!call || this.ended || call.frame.closed)
      throw this.ownError('States.Runtime', 'The execution is no longer running.');
    const begin = this.spec.clock.now();
    let end = begin + this.waitMillis(info, input, call.enteredId);
    const timesOut = this.deadline !== undefined && this.spec.clock.virtual && end >= this.deadline;
    if (timesOut) end = this.deadline as number;
    await sleep((end - begin) * this.spec.waitScale, this.controller.signal);
    if (this.ended) return input;
    this.advanceTo(end);
    if (timesOut) this.timeOut();
    return input;
  }

  private waitMillis(info: StateInfo, input: unknown, enteredId: number): number {
    const state = info.shown;
    const fail = (message: string): never => {
      throw this.ownError(
        'States.Runtime',
        `An error occurred while executing the state '${info.name}' (entered at the event id #${enteredId}). ${message}`,
      );
    };
    const now = this.spec.clock.now();
    if (typeof state.Seconds === 'number') return state.Seconds * 1000;
    if (typeof state.Timestamp === 'string') return Math.max(0, Date.parse(state.Timestamp) - now);
    const path = state.SecondsPath ?? state.TimestampPath;
    if (typeof path !== 'string') return 0;
    const field = state.SecondsPath !== undefined ? 'SecondsPath' : 'TimestampPath';
    const read = readPath(path, input, this.context);
    if (!read.ok)
      return fail(
        read.reason === 'unsupported'
          ? `The local twin reads only reference paths; it cannot evaluate the ${field} '${path}'.`
          : `The ${field} parameter does not reference an existing value: ${path}`,
      );
    if (field === 'SecondsPath') {
      if (typeof read.value !== 'number' || !Number.isInteger(read.value))
        return fail(`The SecondsPath parameter cannot be parsed as a long value: ${path}`);
      if (read.value < 0)
        return fail(`The SecondsPath parameter references a negative value: ${path}`);
      return read.value * 1000;
    }
    if (typeof read.value !== 'string' || !RFC3339.test(read.value))
      return fail(
        `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path}`,
      );
    return Math.max(0, Date.parse(read.value) - now);
  }

  /** Moves the clock forward to `moment` (never back). */
  private advanceTo(moment: number): void {
    const now = this.spec.clock.now();
    if (moment > now) this.spec.clock.advance(moment - now);
  }

  /**
   * Moves the clock to the end of a retry interval that began at `from`; false when the
   * execution's timeout falls first (the execution then has timed out).
   */
  private advanceRetry(from: number, ms: number): boolean {
    const end = from + ms;
    if (this.deadline !== undefined && this.spec.clock.virtual && end >= this.deadline) {
      this.advanceTo(this.deadline);
      this.timeOut();
      return false;
    }
    this.advanceTo(end);
    return true;
  }

  private checkDeadline(): void {
    if (this.deadline !== undefined && this.spec.clock.now() >= this.deadline) this.timeOut();
  }

  /** Real time passes without the twin: a timer watches the deadline (re-armed past setTimeout's range). */
  private armDeadline(): void {
    if (this.deadline === undefined || this.spec.clock.virtual || this.ended) return;
    const left = this.deadline - this.spec.clock.now();
    this.deadlineTimer = setTimeout(
      () => {
        this.checkDeadline();
        this.armDeadline();
      },
      Math.min(Math.max(left, 0), 2_147_483_647),
    );
    this.deadlineTimer.unref();
  }

  private timeOut(): void {
    this.end('TIMED_OUT', {}, true);
  }

  private onInterpreterDone(error: unknown): void {
    if (this.ended) return;
    // Every normal end was recorded from its event; reaching here means the interpreter stopped
    // without telling, which the twin reports as AWS reports its own failures.
    this.end(
      'FAILED',
      {
        error: 'States.Runtime',
        cause: `The local interpreter stopped unexpectedly${error ? `: ${(error as Error)?.message ?? String(error)}` : '.'}`,
      },
      false,
    );
  }

  private emit(
    frame: Frame,
    type: string,
    details?: HistoryEventDetails,
    link: 'chain' | 'side' = 'chain',
    previous = frame.last,
  ): number {
    if (this.ended) return 0;
    // The last of AWS's 25,000 events is kept for the one that ends the execution.
    if (this.count + 1 >= MAX_HISTORY_EVENTS) {
      this.end(
        'FAILED',
        {
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
        },
        true,
      );
      return 0;
    }
    const id = this.push(type, previous, details);
    if (link === 'chain') frame.last = id;
    return id;
  }

  private push(type: string, previous: number, details?: HistoryEventDetails): number {
    // Taken before the sink runs: a listener may stop the execution from inside it.
    const id = ++this.count;
    this.spec.sink.append({
      id,
      previousEventId: previous,
      timestamp: this.spec.clock.now(),
      type,
      ...details,
    });
    return id;
  }

  private end(
    status: RunOutcome['status'],
    fields: { output?: string; error?: string; cause?: string },
    stopInterpreter: boolean,
  ): void {
    if (this.ended) return;
    this.ended = true;
    const details: HistoryEventDetails =
      status === 'SUCCEEDED'
        ? {
            executionSucceededEventDetails: {
              output: fields.output ?? 'null',
              outputDetails: { truncated: false },
            },
          }
        : status === 'FAILED'
          ? { executionFailedEventDetails: { ...fields } }
          : status === 'ABORTED'
            ? { executionAbortedEventDetails: { ...fields } }
            : { executionTimedOutEventDetails: { ...fields } };
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      ABORTED: 'ExecutionAborted',
      TIMED_OUT: 'ExecutionTimedOut',
    }[status];
    // AWS does not chain ExecutionAborted to anything (previousEventId 0).
    this.push(type, status === 'ABORTED' ? 0 : this.root.last, details);
    this.cleanup();
    if (stopInterpreter) {
      // Not from inside the interpreter's own dispatch: let the current step unwind first.
      if (this.handle) {
        const handle = this.handle;
        queueMicrotask(() => handle.abort());
      } else this.abortWanted = true;
    }
    this.spec.sink.finish({ status, ...fields, stopDate: this.spec.clock.now() });
  }

  private cleanup(): void {
    this.controller.abort();
    this.pending.clear();
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}
