import type { TaskHandler } from '../../twin/sfn/index.ts';

/** A crash of a task's Lambda: before its code runs, or after it did its work. */
export interface Crash {
  when: 'before' | 'after';
  /** The error's name, e.g. TypeError (an unhandled bug) or Lambda.ServiceException. */
  error: string;
  /** How many invocations crash (default 1). */
  times?: number;
}

/**
 * The Lambda service between Step Functions and the handlers (the twin's `wrapTask`): crashes
 * armed per state name, each used up as it fires.
 */
export class Crashes {
  private readonly armed = new Map<string, Crash & { left: number }>();
  /** State names, each time a crash fired. */
  readonly fired: string[] = [];

  arm(state: string, crash: Crash): void {
    this.armed.set(state, { ...crash, left: crash.times ?? 1 });
  }

  clear(): void {
    this.armed.clear();
  }

  wrap = (state: string, invoke: TaskHandler): TaskHandler => {
    return async (input, context) => {
      const before = this.take(state, 'before');
      if (before) throw before;
      const result = await invoke(input, context);
      const after = this.take(state, 'after');
      if (after) throw after;
      return result;
    };
  };

  private take(state: string, when: Crash['when']): Error | undefined {
    const crash = this.armed.get(state);
    if (!crash || crash.when !== when || crash.left <= 0) return undefined;
    crash.left -= 1;
    this.fired.push(state);
    return Object.assign(new Error(`the ${state} function crashed (${when} its work)`), {
      name: crash.error,
    });
  }
}
