/**
 * Every function of the stack. Which function each Task state of
 * `statemachine/import-users.asl.json` runs: the ASL names the function's key (`Fn::GetAtt:
 * [<key>, Arn]`), serverless.yml maps the key to a handler file, and the local twin binds the
 * state to that same handler. `startImport` (S3 "Object Created") and `sweepExecution`
 * (Step Functions "Execution Status Change") are EventBridge targets, not Task states.
 */
export const FUNCTION_HANDLERS = {
  startImport: 'functions/start-import.ts',
  prepareImport: 'functions/prepare-import.ts',
  validateCsv: 'functions/validate-csv.ts',
  createImportJob: 'functions/create-import-job.ts',
  startImportJob: 'functions/start-import-job.ts',
  checkImportJob: 'functions/check-import-job.ts',
  stopImportJob: 'functions/stop-import-job.ts',
  stopAfterError: 'functions/stop-after-error.ts',
  applyPostImport: 'functions/apply-post-import.ts',
  reportOutcome: 'functions/report-outcome.ts',
  sweepExecution: 'functions/sweep-execution.ts',
} as const;

export type FunctionKey = keyof typeof FUNCTION_HANDLERS;

/** serverless.yml's `service`. */
export const SERVICE_NAME = 'cognito-import-pipeline';

/**
 * The name a function is deployed under (`<service>-<stage>-<key>`, as the framework names it;
 * its log group is `/aws/lambda/<name>`); without a key, the stage's prefix, also the
 * `service` of its logs and metrics (POWERTOOLS_SERVICE_NAME).
 */
export const deployedFunctionName = (stage: string, key?: FunctionKey) =>
  key ? `${SERVICE_NAME}-${stage}-${key}` : `${SERVICE_NAME}-${stage}`;

interface AslState {
  Type: string;
  Resource?: unknown;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}

export interface AslDefinition {
  States: Record<string, AslState>;
}

/** Every state of a definition, through Map and Parallel, with its name. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  const out: [string, AslState][] = [];
  const visit = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      out.push([name, state]);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) visit(inner.States);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return out;
}

/** The function key a Task state's Resource names (`{"Fn::GetAtt": [key, "Arn"]}`). */
export function functionKeyOf(state: AslState): string | undefined {
  const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return resource?.['Fn::GetAtt']?.[0];
}

/** Task state name → function key, for every Task of the definition. */
export function taskFunctions(definition: AslDefinition): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const key = functionKeyOf(state);
    if (!key) throw new Error(`Task state ${name} does not name its function with Fn::GetAtt.`);
    map[name] = key;
  }
  return map;
}

/** Every error name the definition's Retry and Catch blocks match. */
export function matchedErrorNames(definition: AslDefinition): Set<string> {
  const names = new Set<string>();
  for (const [, state] of allStates(definition)) {
    for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])])
      for (const name of rule.ErrorEquals) names.add(name);
  }
  return names;
}
