import { createHash, randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TwinClock } from './clock.ts';
import { type PreparedMachine, prepareStateMachine } from './definition.ts';
import {
  executionAlreadyExists,
  executionDoesNotExist,
  invalidArn,
  invalidExecutionInput,
  invalidName,
  invalidToken,
  SfnError,
  stateMachineDoesNotExist,
  validation,
} from './errors.ts';
import {
  type HistoryEvent,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
  toWire,
  withoutExecutionData,
} from './history.ts';
import {
  ExecutionRun,
  type ExecutionStatus,
  type RunOutcome,
  type TaskHandler,
} from './interpreter.ts';
import type { ExecutionRecord, SfnStore } from './store.ts';

/** One state machine the twin serves, and the handlers its Task states are bound to. */
export interface StateMachineSpec {
  name: string;
  /** The ASL as in the file; a Task Resource may be `{"Fn::GetAtt": [fn, "Arn"]}` or `{"Ref": fn}`. */
  definition: object;
  /** One handler per Task state name, including Task states inside Map iterators and branches. */
  handlers: Record<string, TaskHandler>;
  /**
   * Aliases (names) executions may be started through, as `<state machine ARN>:<alias>`: the
   * twin keeps one version of each state machine, its definition, which every alias routes to.
   */
  aliases?: string[];
}

/** An execution as the in-process API returns it (dates in epoch ms on the twin's clock): its record, less the twin's bookkeeping. */
export type Execution = Pick<
  ExecutionRecord,
  | 'executionArn'
  | 'stateMachineArn'
  | 'stateMachineName'
  | 'name'
  | 'status'
  | 'input'
  | 'output'
  | 'error'
  | 'cause'
  | 'startDate'
  | 'stopDate'
>;

interface Registered {
  name: string;
  arn: string;
  prepared: PreparedMachine;
  definition: string;
  hash: string;
  creationDate: number;
  machine: StateMachine;
  handlers: Record<string, TaskHandler>;
  aliases: string[];
}

interface Running {
  run: ExecutionRun;
  record: ExecutionRecord;
}

interface Waiter {
  resolve: (execution: Execution) => void;
  reject: (error: Error) => void;
}

const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** The cause recorded for an execution that was RUNNING when the twin last stopped. */
export const INTERRUPTED_CAUSE =
  'The local Step Functions twin was stopped or restarted while this execution was running; its interpreter (aws-local-stepfunctions) cannot resume an execution, so the twin ended it.';

/**
 * AWS's rule for state machine and execution names: 1–80 characters, none of them whitespace,
 * `< > { } [ ] ? * " # % \ ^ | ~ \` $ & , ; : /`, a control character (U+0000–001F,
 * U+007F–009F), U+FFFE/U+FFFF or a UTF-16 surrogate.
 */
export function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const char = name[i] as string;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) return false;
    if (' <>{}[]?*"#%\\^|~`$&,;:/'.includes(char) || /\s/.test(char)) return false;
  }
  return true;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      )
      .join(',')}}`;
  return JSON.stringify(value);
}

function sameInput(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

function publicView(record: ExecutionRecord): Execution {
  const { definitionHash: _hash, seq: _seq, ...execution } = record;
  return execution;
}

const seconds = (ms: number) => ms / 1000;

function pageSize(value: unknown): number {
  if (value === undefined || value === null || value === 0) return DEFAULT_PAGE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw validation('maxResults', value, 'Member must have value greater than or equal to 0');
  if (value > MAX_PAGE)
    throw validation(
      'maxResults',
      value,
      `Member must have value less than or equal to ${MAX_PAGE}`,
    );
  return value;
}

function encodeToken(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeToken(token: unknown, kind: string, scope: string): number {
  if (typeof token !== 'string') throw invalidToken(String(token));
  try {
    const payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (payload.k === kind && payload.s === scope && typeof payload.c === 'number')
      return payload.c;
  } catch {
    // falls through to the error below
  }
  throw invalidToken(token);
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (value === undefined || value === null)
    throw validation(field, null, 'Member must not be null');
  if (typeof value !== 'string')
    throw new SfnError('SerializationException', `${field} must be a string.`);
  return value;
}

function optionalString(
  input: Record<string, unknown>,
  field: string,
  max?: number,
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new SfnError('SerializationException', `${field} must be a string.`);
  if (max !== undefined && value.length > max)
    throw validation(field, value, `Member must have length less than or equal to ${max}`);
  return value;
}

export interface ServiceOptions {
  clock: TwinClock;
  region: string;
  account: string;
  waitScale: number;
  stateMachines: StateMachineSpec[];
  onEvent?: (executionArn: string, event: HistoryEvent) => void;
  /** Each execution as it ends (SUCCEEDED, FAILED, TIMED_OUT or ABORTED), once. */
  onEnded?: (execution: Execution) => void;
}

/**
 * The Step Functions API the twin implements, shared by the HTTP endpoint and the in-process
 * API: state machines registered at start, executions run on aws-local-stepfunctions, records
 * and histories kept in the store.
 */
export class SfnService {
  readonly region: string;
  readonly account: string;
  readonly roleArn: string;
  private store!: SfnStore;
  private readonly clock: TwinClock;
  private readonly waitScale: number;
  private readonly onEvent: ServiceOptions['onEvent'];
  private readonly onEnded: ServiceOptions['onEnded'];
  private readonly machines = new Map<string, Registered>();
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Waiter[]>();
  private closed = false;

  constructor(options: ServiceOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.account = options.account;
    this.waitScale = options.waitScale;
    this.onEvent = options.onEvent;
    this.onEnded = options.onEnded;
    this.roleArn = `arn:aws:iam::${this.account}:role/cognito-import-local-twin-states`;
    for (const spec of options.stateMachines) {
      if (!isValidName(spec.name))
        throw new Error(`'${spec.name}' is not a valid state machine name.`);
      if (this.machines.has(spec.name))
        throw new Error(`The state machine name '${spec.name}' is registered twice.`);
      const prepared = prepareStateMachine(
        spec.name,
        spec.definition,
        Object.keys(spec.handlers),
        this.region,
        this.account,
      );
      const definition = JSON.stringify(prepared.shown, null, 2);
      const hash = createHash('sha256').update(definition).digest('hex');
      this.machines.set(spec.name, {
        name: spec.name,
        arn: this.stateMachineArn(spec.name),
        prepared,
        definition,
        hash,
        creationDate: 0,
        // Checked already (prepareStateMachine); the run definition has the twin's rewrites.
        machine: new StateMachine(prepared.run as unknown as StateMachineDefinition, {
          validationOptions: { noValidate: true },
        }),
        handlers: spec.handlers,
        aliases: spec.aliases ?? [],
      });
    }
  }

  /**
   * Attaches the store: registers the machines in it and ends the executions a previous run of
   * the twin left RUNNING, which it returns.
   */
  open(store: SfnStore): Execution[] {
    this.store = store;
    for (const machine of this.machines.values()) {
      machine.creationDate = this.store.stateMachineCreated(machine.name, this.clock.now());
      this.store.putDefinition(machine.hash, machine.definition);
    }
    const interrupted: Execution[] = [];
    for (const record of this.store.executionsWithStatus('RUNNING')) {
      const now = this.clock.now();
      const last = this.store.lastEventId(record.executionArn);
      if (last < MAX_HISTORY_EVENTS)
        this.append(record.executionArn, {
          id: last + 1,
          previousEventId: last,
          timestamp: now,
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: 'States.Runtime', cause: INTERRUPTED_CAUSE },
        });
      const ended: ExecutionRecord = {
        ...record,
        status: 'FAILED',
        error: 'States.Runtime',
        cause: INTERRUPTED_CAUSE,
        stopDate: now,
      };
      this.store.finishExecution(ended);
      interrupted.push(publicView(ended));
    }
    return interrupted;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  /** The state machine an ARN names; with `qualified`, also through one of its aliases. */
  private machineByArn(arn: string, qualified = false): Registered {
    const match =
      /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([^:]+))(?::([^:]+))?$/.exec(arn);
    if (!match || (match[3] !== undefined && !qualified)) throw invalidArn(arn);
    const machine = this.machines.get(match[2] as string);
    if (!machine || machine.arn !== match[1]) throw stateMachineDoesNotExist(arn);
    if (match[3] !== undefined && !machine.aliases.includes(match[3]))
      throw new SfnError('ResourceNotFound', `Resource not found: '${arn}'`);
    return machine;
  }

  private recordByArn(arn: string): ExecutionRecord {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn))
      throw invalidArn(arn);
    const running = this.running.get(arn);
    if (running) return running.record;
    const record = this.store.getExecution(arn);
    if (!record) throw executionDoesNotExist(arn);
    return record;
  }

  // --- the in-process API ---------------------------------------------------------------

  start(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    if (this.closed) throw new SfnError('ServiceUnavailable', 'The twin is closed.', 503);
    const machine = this.machineByArn(request.stateMachineArn, true);
    if (request.name !== undefined && !isValidName(request.name)) throw invalidName(request.name);
    const name = request.name ?? randomUUID();
    const inputJson = request.input ?? '{}';
    if (Buffer.byteLength(inputJson, 'utf8') > MAX_PAYLOAD_BYTES)
      throw invalidExecutionInput(
        `The input is ${Buffer.byteLength(inputJson, 'utf8')} bytes; the limit is ${MAX_PAYLOAD_BYTES}.`,
      );
    let input: unknown;
    try {
      input = JSON.parse(inputJson);
    } catch (error) {
      throw invalidExecutionInput((error as Error).message);
    }
    const executionArn = `arn:aws:states:${this.region}:${this.account}:execution:${machine.name}:${name}`;
    const existing =
      this.running.get(executionArn)?.record ?? this.store.getExecution(executionArn);
    if (existing) {
      // StartExecution is idempotent for a STANDARD execution that is still running with the
      // same name and input; any other reuse of a name is refused.
      if (
        request.name !== undefined &&
        existing.status === 'RUNNING' &&
        sameInput(existing.input, inputJson)
      )
        return { executionArn, startDate: existing.startDate };
      throw executionAlreadyExists(executionArn);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      status: 'RUNNING',
      input: inputJson,
      startDate: this.clock.now(),
      definitionHash: machine.hash,
      seq: this.store.nextSeq(),
    };
    this.store.putExecution(record);
    const run = new ExecutionRun({
      prepared: machine.prepared,
      machine: machine.machine,
      handlers: machine.handlers,
      executionArn,
      executionName: name,
      stateMachineArn: machine.arn,
      roleArn: this.roleArn,
      region: this.region,
      input,
      inputJson,
      startDate: record.startDate,
      clock: this.clock,
      waitScale: this.waitScale,
      sink: {
        append: (event) => this.append(executionArn, event),
        finish: (outcome) => this.finish(executionArn, outcome),
      },
    });
    this.running.set(executionArn, { run, record });
    try {
      run.start();
    } catch (error) {
      // The interpreter refused to start: the execution exists, and failed at once.
      run.detach();
      this.running.delete(executionArn);
      const failed: ExecutionRecord = {
        ...record,
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `The local interpreter could not start the execution: ${(error as Error)?.message ?? String(error)}`,
        stopDate: this.clock.now(),
      };
      this.store.finishExecution(failed);
      this.ended(failed);
    }
    return { executionArn, startDate: record.startDate };
  }

  describe(executionArn: string): Execution {
    return publicView(this.recordByArn(executionArn));
  }

  waitFor(executionArn: string): Promise<Execution> {
    const record = this.recordByArn(executionArn);
    if (record.status !== 'RUNNING' || !this.running.has(executionArn))
      return Promise.resolve(publicView(record));
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(executionArn) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(executionArn, list);
    });
  }

  history(executionArn: string): HistoryEvent[] {
    this.recordByArn(executionArn);
    return this.store.events(executionArn, 0, MAX_HISTORY_EVENTS, false);
  }

  list(stateMachineName: string, status?: ExecutionStatus): Execution[] {
    const out: ExecutionRecord[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const page = this.store.listExecutions(stateMachineName, status, before, 1000);
      out.push(...page.map((record) => this.running.get(record.executionArn)?.record ?? record));
      if (page.length < 1000) break;
      before = (page.at(-1) as ExecutionRecord).seq;
    }
    return out.map(publicView);
  }

  stop(executionArn: string, error?: string, cause?: string): Execution {
    this.recordByArn(executionArn);
    this.running.get(executionArn)?.run.stop(error, cause);
    return publicView(this.recordByArn(executionArn));
  }

  // --- the wire API (AWS JSON 1.0 shapes; dates in epoch seconds) ------------------------

  listStateMachines(input: Record<string, unknown>): unknown {
    const size = pageSize(input.maxResults);
    const start = input.nextToken === undefined ? 0 : decodeToken(input.nextToken, 'sm', '');
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = all.slice(start, start + size);
    return {
      stateMachines: page.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: seconds(machine.creationDate),
      })),
      ...(start + size < all.length
        ? { nextToken: encodeToken({ k: 'sm', s: '', c: start + size }) }
        : {}),
    };
  }

  describeStateMachine(input: Record<string, unknown>): unknown {
    const machine = this.machineByArn(requireString(input, 'stateMachineArn'));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition,
      roleArn: this.roleArn,
      type: 'STANDARD',
      creationDate: seconds(machine.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  describeStateMachineForExecution(input: Record<string, unknown>): unknown {
    const record = this.recordByArn(requireString(input, 'executionArn'));
    const registered = this.machines.get(record.stateMachineName);
    return {
      stateMachineArn: record.stateMachineArn,
      name: record.stateMachineName,
      definition: this.store.getDefinition(record.definitionHash) ?? registered?.definition ?? '',
      roleArn: this.roleArn,
      updateDate: seconds(registered?.creationDate ?? record.startDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  startExecution(input: Record<string, unknown>): unknown {
    const started = this.start({
      stateMachineArn: requireString(input, 'stateMachineArn'),
      ...(optionalString(input, 'name') !== undefined
        ? { name: optionalString(input, 'name') }
        : {}),
      ...(optionalString(input, 'input') !== undefined
        ? { input: optionalString(input, 'input') }
        : {}),
    });
    return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
  }

  describeExecution(input: Record<string, unknown>): unknown {
    const record = this.recordByArn(requireString(input, 'executionArn'));
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      ...(record.stopDate !== undefined ? { stopDate: seconds(record.stopDate) } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined
        ? { output: record.output, outputDetails: { included: true } }
        : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: 0,
    };
  }

  listExecutions(input: Record<string, unknown>): unknown {
    const arn = optionalString(input, 'stateMachineArn');
    if (arn === undefined)
      throw new SfnError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    const machine = this.machineByArn(arn);
    const status = optionalString(input, 'statusFilter');
    if (
      status !== undefined &&
      !STATUSES.includes(status as ExecutionStatus) &&
      status !== 'PENDING_REDRIVE'
    )
      throw validation(
        'statusFilter',
        status,
        'Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]',
      );
    const size = pageSize(input.maxResults);
    const before =
      input.nextToken === undefined || input.nextToken === null
        ? Number.MAX_SAFE_INTEGER
        : decodeToken(input.nextToken, 'ex', machine.arn + (status ?? ''));
    // Nothing is ever PENDING_REDRIVE here: the twin does not redrive.
    const page =
      status === 'PENDING_REDRIVE'
        ? []
        : this.store.listExecutions(
            machine.name,
            status as ExecutionStatus | undefined,
            before,
            size + 1,
          );
    const more = page.length > size;
    const items = page.slice(0, size).map((stored) => {
      const record = this.running.get(stored.executionArn)?.record ?? stored;
      return {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: seconds(record.startDate),
        ...(record.stopDate !== undefined ? { stopDate: seconds(record.stopDate) } : {}),
        redriveCount: 0,
      };
    });
    const last = page[size - 1];
    return {
      executions: items,
      ...(more && last
        ? { nextToken: encodeToken({ k: 'ex', s: machine.arn + (status ?? ''), c: last.seq }) }
        : {}),
    };
  }

  stopExecution(input: Record<string, unknown>): unknown {
    const arn = requireString(input, 'executionArn');
    const error = optionalString(input, 'error', 256);
    const cause = optionalString(input, 'cause', 32768);
    const execution = this.stop(arn, error, cause);
    return { stopDate: seconds(execution.stopDate ?? this.clock.now()) };
  }

  getExecutionHistory(input: Record<string, unknown>): unknown {
    const arn = requireString(input, 'executionArn');
    this.recordByArn(arn);
    const size = pageSize(input.maxResults);
    const reverse = input.reverseOrder === true;
    const scope = `${arn}${reverse ? ':r' : ''}`;
    const cursor =
      input.nextToken === undefined || input.nextToken === null
        ? reverse
          ? Number.MAX_SAFE_INTEGER
          : 0
        : decodeToken(input.nextToken, 'h', scope);
    const page = this.store.events(arn, cursor, size + 1, reverse);
    const events = page.slice(0, size);
    const last = events.at(-1);
    const withData = input.includeExecutionData !== false;
    return {
      events: events.map((event) => toWire(withData ? event : withoutExecutionData(event))),
      ...(page.length > size && last
        ? { nextToken: encodeToken({ k: 'h', s: scope, c: last.id }) }
        : {}),
    };
  }

  // --- lifecycle -----------------------------------------------------------------------

  private append(executionArn: string, event: HistoryEvent): void {
    if (this.closed) return;
    this.store.appendEvent(executionArn, event);
    if (!this.onEvent) return;
    try {
      this.onEvent(executionArn, event);
    } catch (error) {
      // A listener's bug must not break the execution it listens to.
      process.emitWarning(`sfn twin: onEvent listener failed: ${(error as Error)?.message}`);
    }
  }

  private finish(executionArn: string, outcome: RunOutcome): void {
    const running = this.running.get(executionArn);
    if (!running || this.closed) return;
    const { status, output, error, cause, stopDate } = outcome;
    const record: ExecutionRecord = {
      ...running.record,
      status,
      stopDate,
      ...(output !== undefined ? { output } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    };
    running.record = record;
    this.store.finishExecution(record);
    this.running.delete(executionArn);
    const waiters = this.waiters.get(executionArn) ?? [];
    this.waiters.delete(executionArn);
    for (const waiter of waiters) waiter.resolve(publicView(record));
    this.ended(record);
  }

  private ended(record: ExecutionRecord): void {
    if (!this.onEnded) return;
    try {
      this.onEnded(publicView(record));
    } catch (error) {
      // A listener's bug must not break the twin.
      process.emitWarning(`sfn twin: onEnded listener failed: ${(error as Error)?.message}`);
    }
  }

  /**
   * Stops every running interpreter without ending its execution: the records stay RUNNING on
   * disk (with the history up to this point), so the next start reports them as interrupted.
   */
  close(): void {
    if (this.closed) return;
    for (const { run } of this.running.values()) run.detach();
    this.closed = true;
    for (const [arn, waiters] of this.waiters)
      for (const waiter of waiters)
        waiter.reject(new Error(`The local Step Functions twin closed while ${arn} was running.`));
    this.waiters.clear();
    this.running.clear();
  }
}
