import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** The ASL of one state, loosely typed: the twin reads only the fields it needs. */
export interface AslState {
  Type: string;
  Resource?: unknown;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  ItemsPath?: string;
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
  Branches?: AslMachine[];
  Retry?: AslRetrier[];
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  [field: string]: unknown;
}

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'NONE' | 'FULL';
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [field: string]: unknown;
}

/** What the twin knows of one state, found by name anywhere in the machine. */
export interface StateInfo {
  name: string;
  type: string;
  /** The state as shown by DescribeStateMachine (Resource resolved). */
  shown: AslState;
  /** The same state in the definition handed to aws-local-stepfunctions (see prepareStateMachine). */
  run: AslState;
  /** The resolved Resource of a Task state. */
  resource?: string;
}

export interface PreparedMachine {
  name: string;
  /** The definition with CloudFormation references resolved: what AWS would hold after deploy. */
  shown: AslMachine;
  /** The definition the interpreter runs; never shown (see prepareStateMachine). */
  run: AslMachine;
  states: Map<string, StateInfo>;
  timeoutSeconds?: number;
}

/** The resource the interpreter sees for a Wait state the twin runs itself. */
export const WAIT_RESOURCE_NAME = 'cognito-import-local-twin-wait';

/**
 * The longest Task timeout the interpreter can arm: it uses setTimeout, which fires at once past
 * 2^31 − 1 ms. AWS has no Task timeout unless the ASL sets one; aws-local-stepfunctions would
 * default to 60 s, which would kill a long upload that AWS lets finish.
 */
export const MAX_TASK_TIMEOUT_SECONDS = 2_147_483;

function childMachines(state: AslState): AslMachine[] {
  if (state.Type === 'Map') {
    const inner = state.ItemProcessor ?? state.Iterator;
    return inner ? [inner] : [];
  }
  if (state.Type === 'Parallel') return state.Branches ?? [];
  return [];
}

function walk(machine: AslMachine, visit: (name: string, state: AslState) => void): void {
  const states = machine?.States;
  if (typeof states !== 'object' || states === null) return;
  for (const [name, state] of Object.entries(states)) {
    if (typeof state !== 'object' || state === null) continue;
    visit(name, state);
    for (const child of childMachines(state)) walk(child, visit);
  }
}

/**
 * The names of every Task state in a definition, in definition order, including the states inside
 * Map iterators and Parallel branches: the names a handler map must cover.
 */
export function taskStateNames(definition: object): string[] {
  const names: string[] = [];
  walk(definition as AslMachine, (name, state) => {
    if (state.Type === 'Task') names.push(name);
  });
  return names;
}

/**
 * Turns a Task `Resource` into an ARN. The ASL file is deployed by serverless-step-functions,
 * which resolves `{"Fn::GetAtt": ["prepareImport", "Arn"]}` (or `Ref`) to the function's ARN; the
 * twin stands in the ARN AWS would have produced, with the logical name as the function name.
 */
function resolveResource(resource: unknown, region: string, account: string): string | undefined {
  if (typeof resource === 'string') return resource;
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource))
    return undefined;
  const keys = Object.keys(resource);
  if (keys.length !== 1) return undefined;
  const value = (resource as Record<string, unknown>)[keys[0] as string];
  let logical: unknown;
  if (keys[0] === 'Fn::GetAtt') {
    if (Array.isArray(value) && value[1] === 'Arn') logical = value[0];
    else if (typeof value === 'string' && value.endsWith('.Arn')) logical = value.slice(0, -4);
  } else if (keys[0] === 'Ref') logical = value;
  if (typeof logical !== 'string' || !/^[A-Za-z0-9_-]+$/.test(logical)) return undefined;
  return `arn:aws:lambda:${region}:${account}:function:${logical}`;
}

/**
 * Definitions already validated in this process: asl-validator takes about 100 ms a machine,
 * which every test that starts a twin would otherwise pay again for the same definition.
 */
const validated = new Set<string>();

function validate(definition: AslMachine): void {
  const text = JSON.stringify(definition);
  if (validated.has(text)) return;
  // On a copy: asl-validator writes defaults (QueryLanguage) into what it checks.
  new StateMachine(JSON.parse(text) as StateMachineDefinition);
  validated.add(text);
}

function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Checks a state machine and derives the two definitions the twin works with.
 *
 * `shown` is the file's definition with each Task Resource resolved to an ARN, validated by
 * aws-local-stepfunctions' own validator (asl-validator); DescribeStateMachine returns it.
 *
 * `run` is what the interpreter executes. It differs in three ways the interpreter needs and a
 * reader never sees: each Wait state becomes a Task bound to the twin's own wait (so the wait
 * runs on the twin's clock, with the state's effective input in hand), Task states without a
 * timeout get the longest one the interpreter can arm (AWS has none by default), and the top-level
 * TimeoutSeconds is removed (the twin enforces it on its own clock).
 *
 * @throws Error naming the state machine and the state at fault: a Resource that cannot be
 *   resolved, duplicate state names, an invalid definition, a Task without a handler, or a handler
 *   that matches no Task.
 */
export function prepareStateMachine(
  name: string,
  definition: object,
  handlerNames: readonly string[],
  region: string,
  account: string,
): PreparedMachine {
  const where = `State machine '${name}'`;
  const shown = cloneJson(definition) as AslMachine;
  const seen = new Set<string>();
  walk(shown, (stateName, state) => {
    // aws-local-stepfunctions binds handlers by state name, and AWS wants names unique across
    // the whole machine, so a name used twice would be ambiguous.
    if (seen.has(stateName))
      throw new Error(`${where}: the state name '${stateName}' is used twice.`);
    seen.add(stateName);
    if (state.Type !== 'Task') return;
    const arn = resolveResource(state.Resource, region, account);
    if (arn === undefined)
      throw new Error(
        `${where}: the Resource of Task state '${stateName}' is neither an ARN nor a Fn::GetAtt/Ref to a function: ${JSON.stringify(state.Resource)}`,
      );
    state.Resource = arn;
  });
  try {
    validate(shown);
  } catch (error) {
    throw new Error(`${where} has an invalid definition: ${(error as Error).message}`);
  }

  const tasks = taskStateNames(shown);
  const missing = tasks.filter((task) => !handlerNames.includes(task));
  if (missing.length > 0)
    throw new Error(
      `${where}: no handler for Task state${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}.`,
    );
  const stray = handlerNames.filter((handler) => !tasks.includes(handler));
  if (stray.length > 0)
    throw new Error(
      `${where}: handler${stray.length > 1 ? 's' : ''} ${stray.map((s) => `'${s}'`).join(', ')} match${stray.length > 1 ? '' : 'es'} no Task state.`,
    );

  const run = cloneJson(shown);
  const timeoutSeconds = run.TimeoutSeconds;
  delete run.TimeoutSeconds;
  const runStates = new Map<string, AslState>();
  walk(run, (stateName, state) => {
    runStates.set(stateName, state);
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && !state.TimeoutSecondsPath)
      state.TimeoutSeconds = MAX_TASK_TIMEOUT_SECONDS;
  });
  for (const [stateName, state] of runStates) {
    if (state.Type !== 'Wait') continue;
    const task: AslState = {
      Type: 'Task',
      Resource: `arn:aws:lambda:${region}:${account}:function:${WAIT_RESOURCE_NAME}`,
      TimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS,
    };
    for (const field of ['InputPath', 'OutputPath', 'Next', 'End', 'Comment'])
      if (field in state) task[field] = state[field];
    for (const key of Object.keys(state)) delete state[key];
    Object.assign(state, task);
    runStates.set(stateName, state);
  }

  const states = new Map<string, StateInfo>();
  walk(shown, (stateName, state) => {
    const runState = runStates.get(stateName) as AslState;
    states.set(stateName, {
      name: stateName,
      type: state.Type,
      shown: state,
      run: runState,
      ...(state.Type === 'Task' ? { resource: state.Resource as string } : {}),
    });
  });
  return { name, shown, run, states, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) };
}
