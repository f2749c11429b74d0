import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asStateMachineError } from '../../src/aws/sdk-errors.ts';
import {
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  OUTCOME_NOT_REPORTED,
  REPORTED_FAILURES,
  RESUMABLE_CRASH_RETRY,
  RESUMABLE_TASKS,
  RETRIED_ERRORS,
  TRANSIENT_RETRY,
  UploadExpiredError,
  WORKFLOW_ERRORS,
} from '../../src/errors.ts';
import {
  type AslDefinition,
  allStates,
  FUNCTION_HANDLERS,
  matchedErrorNames,
  taskFunctions,
} from '../../src/workflow/tasks.ts';

const definition = JSON.parse(
  readFileSync('statemachine/import-users.asl.json', 'utf8'),
) as AslDefinition;

type Retrier = { ErrorEquals: string[] } & Record<string, unknown>;
type Catcher = { ErrorEquals: string[]; Next: string };
type State = {
  Type: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Error?: string;
  Choices?: { Next: string }[];
  Default?: string;
};

const states = allStates(definition) as unknown as [string, State][];
const stateNamed = (name: string) => states.find(([n]) => n === name)?.[1];
const tasks = states.filter(([, state]) => state.Type === 'Task');
const retriers = tasks.flatMap(([, state]) => state.Retry ?? []);
const isCrashName = (name: string) => (LAMBDA_CRASH_ERRORS as readonly string[]).includes(name);
const isServiceName = (name: string) =>
  !isCrashName(name) && (name.startsWith('Lambda.') || name.startsWith('States.'));

describe('the state machine and the code agree', () => {
  it('gives every Task state a function whose handler file exists and exports a handler', async () => {
    const functions = taskFunctions(definition);
    // Every function but the two EventBridge targets runs as a Task.
    expect(new Set(Object.values(functions))).toEqual(
      new Set(
        Object.keys(FUNCTION_HANDLERS).filter(
          (key) => key !== 'startImport' && key !== 'sweepExecution',
        ),
      ),
    );
    for (const [state, key] of Object.entries(functions)) {
      const file = FUNCTION_HANDLERS[key as keyof typeof FUNCTION_HANDLERS];
      expect(existsSync(file), `${state} runs ${file}`).toBe(true);
      const module = (await import(`../../${file}`)) as { handler?: unknown };
      expect(typeof module.handler, `${file} exports handler`).toBe('function');
    }
  });

  it('names each error class after the name it throws with', () => {
    for (const [name, ErrorClass] of Object.entries(WORKFLOW_ERRORS))
      expect(new ErrorClass('x').name).toBe(name);
  });

  it('uses JSONPath only: no JSONata, no Assign', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"QueryLanguage":"JSONata"|"Assign"|\{%/);
  });
});

describe('the retry policy', () => {
  it('gives every Task exactly one transient retrier, last, equal to TRANSIENT_RETRY', () => {
    for (const [name, state] of tasks) {
      const transient = (state.Retry ?? []).filter((r) =>
        r.ErrorEquals.includes('TransientServiceError'),
      );
      expect(transient, name).toEqual([TRANSIENT_RETRY]);
      expect(state.Retry?.at(-1), `${name}: specific retriers come first`).toEqual(TRANSIENT_RETRY);
    }
  });

  it("retries Lambda's own service errors on every Task, ClientExecutionTimeoutException included", () => {
    expect(LAMBDA_SERVICE_ERRORS).toContain('Lambda.ClientExecutionTimeoutException');
    for (const [name, state] of tasks) {
      const lambda = (state.Retry ?? []).flatMap((r) => r.ErrorEquals).filter(isServiceName);
      expect(lambda.sort(), name).toEqual([...LAMBDA_SERVICE_ERRORS].sort());
    }
  });

  it('matches transient faults under one name: at most 3 other names, at most 8 per Retry', () => {
    const named = new Set(
      retriers
        .flatMap((r) => r.ErrorEquals)
        .filter((name) => !isServiceName(name) && !isCrashName(name)),
    );
    expect(named).toEqual(new Set(RETRIED_ERRORS));
    expect(named.size).toBeLessThanOrEqual(3);
    for (const retrier of retriers) expect(retrier.ErrorEquals.length).toBeLessThanOrEqual(8);
  });

  it('retries a crash or a time-out only where the Task resumes from its checkpoint, before the transient retrier', () => {
    const crashRetried = tasks
      .filter(([, state]) => (state.Retry ?? []).some((r) => r.ErrorEquals.some(isCrashName)))
      .map(([name]) => name);
    expect(crashRetried.sort()).toEqual([...RESUMABLE_TASKS].sort());
    for (const name of RESUMABLE_TASKS)
      expect(stateNamed(name)?.Retry, name).toEqual([RESUMABLE_CRASH_RETRY, TRANSIENT_RETRY]);
    // Bounded: a crash that keeps coming back from the same checkpoint ends in the Catch.
    expect(RESUMABLE_CRASH_RETRY.MaxAttempts).toBeLessThanOrEqual(3);
  });

  it('matches only error classes of src/errors.ts, Lambda errors and States errors', () => {
    for (const name of matchedErrorNames(definition)) {
      if (isServiceName(name) || isCrashName(name)) continue;
      expect(Object.keys(WORKFLOW_ERRORS), `${name} is matched but is no error class`).toContain(
        name,
      );
    }
  });

  it('ends every Task in a Catch of States.ALL, so nothing a function throws escapes the workflow', () => {
    for (const [name, state] of tasks)
      expect(state.Catch?.at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
  });
});

describe('what the handlers throw reaches that policy', () => {
  const sdkError = (name: string, status?: number, extra: object = {}) =>
    Object.assign(new Error(`${name} happened`), {
      name,
      ...(status ? { $metadata: { httpStatusCode: status } } : {}),
      ...extra,
    });
  const retried = (error: unknown) =>
    TRANSIENT_RETRY.ErrorEquals.includes(
      (asStateMachineError(error) as Error).name as (typeof TRANSIENT_RETRY.ErrorEquals)[number],
    );

  it.each([
    ['Cognito throttling', sdkError('TooManyRequestsException', 400)],
    ['Cognito internal error', sdkError('InternalErrorException', 500)],
    ['CloudWatch Logs throttling', sdkError('ThrottlingException', 400)],
    ['SNS throttling', sdkError('Throttling', 400)],
    ['S3 SlowDown', sdkError('SlowDown', 503)],
    ['S3 InternalError', sdkError('InternalError', 500)],
    ['S3 503 on a HEAD, which the SDK cannot name', sdkError('Unknown', 503)],
    ['a 502 from any service', sdkError('BadGateway', 502)],
    ['SNS InternalFailure, by name only', sdkError('InternalFailure')],
    ['ServiceUnavailable, by name only', sdkError('ServiceUnavailable')],
    ["the SDK's socket timeout", sdkError('TimeoutError')],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'a throttling trait',
      sdkError('SomeLimitException', 400, { $retryable: { throttling: true } }),
    ],
  ])('retries %s as TransientServiceError', (_, error) => {
    const classified = asStateMachineError(error) as Error;
    expect(classified.name).toBe('TransientServiceError');
    expect(classified.message).toMatch(new RegExp(`^${(error as Error).name}`));
    expect(classified.cause).toBe(error);
    expect(retried(error)).toBe(true);
  });

  it.each([
    ['a pool that does not exist', sdkError('ResourceNotFoundException', 400)],
    ['a job that cannot be stopped', sdkError('PreconditionNotMetException', 400)],
    ['a missing object', sdkError('NoSuchKey', 404)],
    ['access denied', sdkError('AccessDenied', 403)],
    ['a bad parameter', sdkError('InvalidParameterException', 400)],
    ['a bug', new TypeError('x is undefined')],
    ['an aborted request', sdkError('AbortError')],
  ])('lets %s reach the Catch under its own name', (_, error) => {
    expect(asStateMachineError(error)).toBe(error);
    expect(retried(error)).toBe(false);
  });

  it('leaves the errors the code throws on purpose as they are, whatever caused them', () => {
    const expired = new UploadExpiredError('expired', { cause: sdkError('SlowDown', 503) });
    expect(asStateMachineError(expired)).toBe(expired);
  });
});

describe('the Fail states', () => {
  const failStates = states.filter(([, state]) => state.Type === 'Fail');

  it('are exactly the errors the sweeper reads: the reported outcomes and OutcomeNotReported', () => {
    expect(failStates.map(([, state]) => state.Error).sort()).toEqual(
      [...REPORTED_FAILURES, OUTCOME_NOT_REPORTED].sort(),
    );
  });

  it('end a run that reported its outcome in one of REPORTED_FAILURES, chosen by its status', () => {
    const outcomeStatus = stateNamed('OutcomeStatus');
    const targets = [
      ...(outcomeStatus?.Choices ?? []).map((choice) => choice.Next),
      outcomeStatus?.Default,
    ];
    const fails = targets.map((name) => stateNamed(name ?? '')).filter((s) => s?.Type === 'Fail');
    expect(fails.map((state) => state?.Error).sort()).toEqual([...REPORTED_FAILURES].sort());
  });

  it('end a run whose ReportOutcome failed in OutcomeNotReported', () => {
    const catcher = stateNamed('ReportOutcome')?.Catch?.at(-1);
    expect(stateNamed(catcher?.Next ?? '')?.Error).toBe(OUTCOME_NOT_REPORTED);
  });
});
