import { S3Error } from './errors.ts';

/** The errors a fault can answer with, as S3 sends them. */
export const S3_FAULT_ERRORS = {
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  AccessDenied: { status: 403, message: 'Access Denied' },
} as const;

export type S3FaultCode = keyof typeof S3_FAULT_ERRORS;

/**
 * A fault armed on the S3 twin: the next `count` requests (all of them without a count) of an
 * operation as the request log names it (`GetObject`, `HeadObject`, `PutObject`, `UploadPart`,
 * `CreateMultipartUpload`, `CompleteMultipartUpload`, … or `*`) on keys starting with
 * `keyPrefix` are answered with the error instead of being served.
 */
export interface S3FaultRule {
  operation: string;
  code: S3FaultCode;
  count?: number;
  keyPrefix?: string;
}

interface Armed {
  rule: S3FaultRule;
  remaining: number;
}

/**
 * Fault injection for the S3 twin, as the Cognito twin has its own: errors on reads and writes,
 * by operation and key prefix, for the next N requests. Armed in-process; never persisted.
 */
export class S3Faults {
  private armed: Armed[] = [];
  /** How many requests a fault answered, by operation (for the tests' figures). */
  readonly fired = new Map<string, number>();

  add(rule: S3FaultRule): void {
    if (!(rule.code in S3_FAULT_ERRORS))
      throw new RangeError(`Unknown S3 fault code ${String(rule.code)}.`);
    this.armed.push({ rule, remaining: rule.count ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.armed = [];
  }

  /** The error to answer this request with, if a fault is armed for it (and counts it down). */
  take(operation: string, key: string): S3Error | undefined {
    for (const armed of this.armed) {
      const { rule } = armed;
      if (armed.remaining <= 0) continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.keyPrefix !== undefined && !key.startsWith(rule.keyPrefix)) continue;
      armed.remaining -= 1;
      this.armed = this.armed.filter((a) => a.remaining > 0);
      this.fired.set(operation, (this.fired.get(operation) ?? 0) + 1);
      const { status, message } = S3_FAULT_ERRORS[rule.code];
      return new S3Error(rule.code, message, status);
    }
    return undefined;
  }
}
