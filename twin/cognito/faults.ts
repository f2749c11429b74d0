import { internalError, ServiceError, tooManyRequests } from './errors.ts';

/** A fault armed on an operation ('*' for all). */
export type FaultRule =
  | { kind: 'throttle'; operation: string; count?: number; perSecond?: number }
  | { kind: 'internal-error'; operation: string; count?: number };

/** What happens to the next job(s) that start. */
export type JobFault =
  | { kind: 'fail'; message: string; jobId?: string }
  | { kind: 'never-finish'; jobId?: string };

interface ArmedRule {
  rule: FaultRule;
  remaining: number;
  window: number[];
}

/**
 * Fault injection for tests: throttling by count (the next N calls) or by rate (calls beyond N
 * per second), internal errors, failing jobs and jobs that never finish. Faults are armed
 * in-process or through the twin's control endpoint and never persist.
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
        'count' in rule && rule.count !== undefined ? rule.count : Number.POSITIVE_INFINITY,
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
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.kind === 'throttle' && rule.perSecond !== undefined) {
        armed.window = armed.window.filter((t) => now - t < 1000);
        if (armed.window.length >= rule.perSecond) throw faultError('throttle', service);
        armed.window.push(now);
        continue;
      }
      if (armed.remaining <= 0) continue;
      armed.remaining -= 1;
      throw faultError(rule.kind, service);
    }
    this.rules = this.rules.filter((armed) => armed.remaining > 0);
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

function faultError(kind: FaultRule['kind'], service: 'cognito-idp' | 'logs'): ServiceError {
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
