import { internalError, ServiceError, tooManyRequests } from './errors.ts';

/**
 * A fault armed on an operation ('*' for all). `after` lets that many calls through first, so a
 * fault can strike in the middle of a batch. A `call` fault runs another operation of the twin
 * (a DeleteGroup, an AdminDeleteUser) just before the chosen call is handled, once: the state
 * changes under a running batch at an exact point.
 */
export type FaultRule =
  | { kind: 'throttle'; operation: string; count?: number; perSecond?: number; after?: number }
  | { kind: 'internal-error'; operation: string; count?: number; after?: number }
  | {
      kind: 'call';
      operation: string;
      after?: number;
      call: string;
      input: Record<string, unknown>;
    };

/** Another operation to run before the request at hand, from a `call` fault. */
export interface FaultCall {
  call: string;
  input: Record<string, unknown>;
}

/** What happens to the next job(s) that start. */
export type JobFault =
  | { kind: 'fail'; message: string; jobId?: string }
  | { kind: 'never-finish'; jobId?: string };

interface ArmedRule {
  rule: FaultRule;
  remaining: number;
  /** Matching calls still to let through before the fault strikes. */
  waiting: number;
  window: number[];
}

/**
 * Fault injection for tests: throttling by count (the next N calls, after M let through) or by
 * rate (calls beyond N per second), internal errors, changes made under a running batch, failing
 * jobs and jobs that never finish. Faults are armed in-process or through the twin's control
 * endpoint and never persist.
 */
export class Faults {
  private rules: ArmedRule[] = [];
  private jobFaults: JobFault[] = [];

  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  add(rule: FaultRule): void {
    this.rules.push({
      rule,
      remaining:
        rule.kind === 'call' ? 1 : rule.count !== undefined ? rule.count : Number.POSITIVE_INFINITY,
      waiting: rule.after ?? 0,
      window: [],
    });
  }

  addJobFault(fault: JobFault): void {
    this.jobFaults.push(fault);
  }

  clear(): void {
    this.rules = [];
    this.jobFaults = [];
  }

  /**
   * @param service - whose error codes a fault answers with: Cognito's TooManyRequestsException and
   *   InternalErrorException, or CloudWatch Logs' ThrottlingException and ServiceUnavailableException.
   * @throws ServiceError when a fault is armed for this call.
   */
  check(operation: string, service: 'cognito-idp' | 'logs' = 'cognito-idp'): void {
    const now = this.now();
    for (const armed of this.rules) {
      const { rule } = armed;
      if (rule.kind === 'call') continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.kind === 'throttle' && rule.perSecond !== undefined) {
        if (armed.waiting > 0) {
          armed.waiting -= 1;
          continue;
        }
        armed.window = armed.window.filter((t) => now - t < 1000);
        if (armed.window.length >= rule.perSecond) throw faultError('throttle', service);
        armed.window.push(now);
        continue;
      }
      if (armed.remaining <= 0) continue;
      if (armed.waiting > 0) {
        armed.waiting -= 1;
        continue;
      }
      armed.remaining -= 1;
      throw faultError(rule.kind, service);
    }
    this.rules = this.rules.filter((armed) => armed.remaining > 0);
  }

  /**
   * The `call` faults this request sets off: asked before check(), for every request, so their
   * `after` counts every call of the operation.
   */
  takeCalls(operation: string): FaultCall[] {
    const due: FaultCall[] = [];
    for (const armed of this.rules) {
      const { rule } = armed;
      if (rule.kind !== 'call' || armed.remaining <= 0) continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (armed.waiting > 0) {
        armed.waiting -= 1;
        continue;
      }
      armed.remaining = 0;
      due.push({ call: rule.call, input: rule.input });
    }
    if (due.length > 0) this.rules = this.rules.filter((armed) => armed.remaining > 0);
    return due;
  }

  /** The fault that applies to a job that is starting, consumed once used. */
  takeJobFault(jobId: string): JobFault | undefined {
    const index = this.jobFaults.findIndex(
      (fault) => fault.jobId === undefined || fault.jobId === jobId,
    );
    if (index < 0) return undefined;
    const [fault] = this.jobFaults.splice(index, 1);
    return fault;
  }
}

function faultError(
  kind: 'throttle' | 'internal-error',
  service: 'cognito-idp' | 'logs',
): ServiceError {
  if (service === 'logs')
    return kind === 'throttle'
      ? new ServiceError('ThrottlingException', 'Rate exceeded')
      : new ServiceError(
          'ServiceUnavailableException',
          'The service cannot complete the request.',
          500,
        );
  return kind === 'throttle' ? tooManyRequests() : internalError();
}

export { ServiceError };
