import {
  endFunctionScope,
  type FunctionScope,
  scopeFunctionDeps,
} from '../../functions/lib/deps.ts';
import { AccessControl, type Credentials, type RoleDefinition } from '../../twin/index.ts';
import { type ClientOptions, createClients } from '../aws/clients.ts';
import { currentFunction } from './lambda-runtime.ts';
import { loadStackRoles, type StackRoles, type TwinNames } from './stack-roles.ts';

/**
 * The twin holds the functions to the stack's IAM: the roles serverless.yml packages
 * (stack-roles.ts) become the twin's, each function the twin runs calls AWS with credentials of
 * its own role's session (named after the function, as Lambda names them), and what the host
 * does for a function in-process (its log writes, Step Functions invoking it) is checked against
 * the same policies.
 */
export interface TwinIam {
  access: AccessControl;
  roles: StackRoles;
  /** Throws what Step Functions reports when its role may not invoke the function. */
  checkInvoke(functionName: string): void;
  /** Whether a function's role lets it write to a stream of its log group (as Lambda does with it). */
  mayLog(functionName: string, logGroup: string, logStream: string): boolean;
  /**
   * Where the functions' clients reach the twin, once its services are up: each function's own
   * clients are built with these and its credentials, at its first invocation.
   */
  connect(options: Omit<ClientOptions, 'credentials'>): void;
  close(): void;
}

export async function startTwinIam(options: {
  names: TwinNames;
  allowedUserPools: string;
  /** Every function the twin runs: its key in serverless.yml and its deployed name. */
  functions: { key: string; name: string }[];
  /** Changes the roles before they are enforced (a test removes a permission). */
  adjustRoles?: (roles: RoleDefinition[]) => RoleDefinition[];
}): Promise<TwinIam> {
  const { names } = options;
  const loaded = await loadStackRoles({
    allowedUserPools: options.allowedUserPools,
    names,
  });
  const roles: StackRoles = {
    ...loaded,
    roles: options.adjustRoles ? options.adjustRoles(loaded.roles) : loaded.roles,
  };
  const access = new AccessControl({
    account: names.account,
    region: names.region,
    roles: roles.roles,
  });
  const credentials = new Map<string, Credentials>();
  for (const { key, name } of options.functions) {
    const role = roles.functionRoles[key];
    if (!role) throw new Error(`serverless.yml declares no function ${key}, which the twin runs.`);
    credentials.set(name, access.issue(role, name));
  }
  const machine = roles.stateMachineRole
    ? access.issue(roles.stateMachineRole, names.stateMachine)
    : undefined;
  let clientOptions: Omit<ClientOptions, 'credentials'> | undefined;
  const scope: FunctionScope = {
    current: currentFunction,
    own: (name) => {
      const own = credentials.get(name);
      if (!own) throw new Error(`The twin issued no credentials to ${name}.`);
      if (!clientOptions) throw new Error('A function ran before the twin was up.');
      return createClients({ ...clientOptions, credentials: own });
    },
  };
  scopeFunctionDeps(scope);
  const logDecisions = new Map<string, boolean>();
  const logArn = (group: string) =>
    `arn:aws:logs:${names.region}:${names.account}:log-group:${group}`;
  return {
    access,
    roles,
    checkInvoke(functionName) {
      if (!machine) return;
      // A state machine that invokes published versions (useExactVersion) names one: the twin
      // runs each function's code as it is, which stands for version 1.
      const qualifier = roles.invokesVersions ? ':1' : '';
      const denial = access.check(machine, [
        {
          action: 'lambda:InvokeFunction',
          resource: `arn:aws:lambda:${names.region}:${names.account}:function:${functionName}${qualifier}`,
        },
      ]);
      if (denial)
        throw Object.assign(
          new Error(
            `${denial.message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)`,
          ),
          {
            name: 'Lambda.AWSLambdaException',
          },
        );
    },
    mayLog(functionName, logGroup, logStream) {
      const id = `${functionName}\n${logStream}`;
      let allowed = logDecisions.get(id);
      if (allowed === undefined) {
        const own = credentials.get(functionName);
        const resource = `${logArn(logGroup)}:log-stream:${logStream}`;
        allowed =
          own !== undefined &&
          access.check(own, [
            { action: 'logs:CreateLogStream', resource },
            { action: 'logs:PutLogEvents', resource },
          ]) === undefined;
        logDecisions.set(id, allowed);
      }
      return allowed;
    },
    connect(options) {
      clientOptions = options;
    },
    close() {
      endFunctionScope(scope);
    },
  };
}
