import { StateMachine } from 'aws-local-stepfunctions';
import type { AslRetrier } from './definition.ts';

/**
 * The two places where the Step Functions twin reaches into aws-local-stepfunctions beyond its
 * documented API. Both depend on how version 3.0.0 works inside, which is why package.json pins
 * that exact version and test/twin/sfn/library-hooks.test.ts checks each assumption by running
 * the library: an upgrade that changes them fails there, by name, not somewhere in a history.
 *
 * 1. `StateMachine.prototype.execute` (private) is wrapped, so that a run's event logger can be
 *    hooked before the run begins (see {@link installExecuteHook}).
 * 2. `Date.prototype.toISOString` answers one call with the twin's own time, the one with which
 *    the library stamps `$$.Execution.StartTime` (see {@link answerNextToISOString}).
 */

/** An event as aws-local-stepfunctions dispatches it (its docs/execution-event-logs.md). */
export interface LibraryEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  output?: unknown;
  Error?: unknown;
  Cause?: unknown;
  retry?: { retrier: AslRetrier; attempt: number };
}

/** What the library hands `execute` for a run or a nested one (a Map iteration, a Parallel branch). */
export interface ExecuteOptions {
  /** The options given to `run()`, spread into every nested run's (symbol keys included). */
  runOptions?: Record<PropertyKey, unknown>;
  /** The run's logger: everything the run does goes through its `dispatch`, synchronously. */
  eventLogger: { dispatch(event: LibraryEvent): void };
}

/** A run's hook: called before the run and before each run nested in it begins. */
export interface RunHook {
  attach(options: ExecuteOptions): void;
}

const HOOK = Symbol.for('cognito-import.sfn-twin.run');
const INSTALLED = Symbol.for('cognito-import.sfn-twin.patched');

/** The run option that carries a hook; object spread copies it into every nested run's options. */
export const hookOption = (hook: RunHook) => ({ [HOOK]: hook });

/**
 * aws-local-stepfunctions publishes its events through an async generator, which reaches a
 * reader several microtasks late and, for Map iterations, through per-iteration forwarders that
 * interleave out of order. A history needs each event at the moment it happens (for the right
 * order, the right clock time, and to know which state a handler call belongs to), so
 * `StateMachine.prototype.execute` is wrapped once per process: for a run whose options carry a
 * hook ({@link hookOption}), the hook gets the run's options (and its logger) before the run
 * begins. Runs started by anyone else pass through untouched.
 */
export function installExecuteHook(): void {
  const proto = StateMachine.prototype as unknown as Record<PropertyKey, unknown> & {
    execute: (input: unknown, options: ExecuteOptions, cleanup: () => void) => Promise<unknown>;
  };
  if (proto[INSTALLED]) return;
  const original = proto.execute;
  if (typeof original !== 'function' || original.length !== 3)
    throw new Error(
      'aws-local-stepfunctions changed: StateMachine.prototype.execute(input, options, cleanup) is gone; the Step Functions twin cannot hook its runs (twin/sfn/library-hooks.ts).',
    );
  proto.execute = function (this: unknown, input, options, cleanup) {
    (options?.runOptions?.[HOOK] as RunHook | undefined)?.attach(options);
    return original.call(this, input, options, cleanup);
  };
  proto[INSTALLED] = true;
}

/**
 * The library builds a run's Context Object right after it dispatches ExecutionStarted, and
 * stamps `$$.Execution.StartTime` with `new Date().toISOString()`: wall-clock time, whatever the
 * run options say. So that the state machine sees the execution start on the twin's clock, call
 * this from the logger's dispatch of ExecutionStarted: the very next `toISOString` call (the
 * library's, synchronously after) answers `iso`, and the original is back at once; a queued
 * microtask restores it regardless, as does the function returned.
 */
export function answerNextToISOString(iso: string): () => void {
  const original = Date.prototype.toISOString;
  let armed = true;
  const restore = () => {
    if (!armed) return;
    armed = false;
    Date.prototype.toISOString = original;
  };
  Date.prototype.toISOString = () => {
    restore();
    return iso;
  };
  queueMicrotask(restore);
  return restore;
}
