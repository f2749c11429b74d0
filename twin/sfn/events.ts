import { randomUUID } from 'node:crypto';
import type { ExecutionStatus } from './interpreter.ts';
import type { Execution } from './service.ts';

/**
 * The "Step Functions Execution Status Change" event that a STANDARD state machine sends to the
 * default EventBridge bus whenever an execution changes status (the shape an EventBridge rule
 * hands its Lambda target). Dates are epoch milliseconds; `input` and `output` are JSON texts,
 * and null when absent, as AWS sends them.
 */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: true };
    output: string | null;
    outputDetails: { included: true } | null;
    error: string | null;
    cause: string | null;
  };
}

/** The event for an execution as it is now (the twin raises it once, when the execution ends). */
export function executionStatusChangeEvent(
  execution: Execution,
  context: { region: string; account: string; time: number },
): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: context.account,
    time: new Date(context.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate ?? null,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output ?? null,
      outputDetails: execution.output !== undefined ? { included: true } : null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}
