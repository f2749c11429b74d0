/**
 * Execution history in the shapes of the Step Functions API (`HistoryEvent`), with one
 * difference for in-process readers: `timestamp` is epoch milliseconds on the twin's clock
 * (the HTTP endpoint sends epoch seconds, as AWS does).
 */

export interface DataDetails {
  truncated: boolean;
}

export interface StateEnteredDetails {
  name: string;
  input?: string;
  inputDetails?: DataDetails;
}

export interface StateExitedDetails {
  name: string;
  output?: string;
  outputDetails?: DataDetails;
}

export interface ErrorDetails {
  error?: string;
  cause?: string;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds on the twin's clock. */
  timestamp: number;
  type: string;
  executionStartedEventDetails?: { input?: string; inputDetails?: DataDetails; roleArn: string };
  executionSucceededEventDetails?: { output?: string; outputDetails?: DataDetails };
  executionFailedEventDetails?: ErrorDetails;
  executionAbortedEventDetails?: ErrorDetails;
  executionTimedOutEventDetails?: ErrorDetails;
  stateEnteredEventDetails?: StateEnteredDetails;
  stateExitedEventDetails?: StateExitedDetails;
  lambdaFunctionScheduledEventDetails?: {
    resource: string;
    input?: string;
    inputDetails?: DataDetails;
    timeoutInSeconds?: number;
  };
  lambdaFunctionSucceededEventDetails?: { output?: string; outputDetails?: DataDetails };
  lambdaFunctionFailedEventDetails?: ErrorDetails;
  lambdaFunctionTimedOutEventDetails?: ErrorDetails;
  taskScheduledEventDetails?: {
    resourceType: string;
    resource: string;
    region: string;
    parameters: string;
    timeoutInSeconds?: number;
  };
  taskStartedEventDetails?: { resourceType: string; resource: string };
  taskSucceededEventDetails?: {
    resourceType: string;
    resource: string;
    output?: string;
    outputDetails?: DataDetails;
  };
  taskFailedEventDetails?: ErrorDetails & { resourceType: string; resource: string };
  taskTimedOutEventDetails?: ErrorDetails & { resourceType: string; resource: string };
  mapStateStartedEventDetails?: { length?: number };
  mapIterationStartedEventDetails?: { name: string; index: number };
  mapIterationSucceededEventDetails?: { name: string; index: number };
  mapIterationFailedEventDetails?: { name: string; index: number };
  mapIterationAbortedEventDetails?: { name: string; index: number };
}

export type HistoryEventDetails = Omit<
  HistoryEvent,
  'id' | 'previousEventId' | 'timestamp' | 'type'
>;

/** AWS's hard limit of events in one standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

/** AWS's limit on execution input and on every state's input and output: 256 KiB of UTF-8. */
export const MAX_PAYLOAD_BYTES = 262_144;

const DATA_FIELDS = ['input', 'inputDetails', 'output', 'outputDetails', 'parameters'];

/**
 * The event as GetExecutionHistory returns it with `includeExecutionData: false`: names, errors
 * and causes stay, inputs, outputs and task parameters go.
 */
export function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const details: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of DATA_FIELDS) delete details[field];
    copy[key] = details;
  }
  return copy as unknown as HistoryEvent;
}

/** The event as it travels over the AWS JSON protocol: timestamps in epoch seconds. */
export function toWire(event: HistoryEvent): Record<string, unknown> {
  return { ...event, timestamp: event.timestamp / 1000 };
}
