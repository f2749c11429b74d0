/**
 * An osls plugin of this service (serverless.yml `plugins`): refuses a stage whose resource names
 * AWS would refuse. osls does not check name lengths, so a long stage packages fine and fails
 * only in CloudFormation, partway through creating the stack (Lambda allows function names of at
 * most 64 characters: `cognito-import-pipeline-<stage>-createImportJob` leaves 24 for the stage).
 * The check runs first, before anything is built, and names the stage and the longest stage that
 * would deploy.
 */

/** A name the stack gives a resource, and the most characters AWS allows for it. */
export interface LimitedName {
  what: string;
  name: string;
  limit: number;
}

/** Lambda function names: at most 64 characters. */
export const FUNCTION_NAME_LIMIT = 64;
/** Step Functions state machine names: at most 80 characters. */
export const STATE_MACHINE_NAME_LIMIT = 80;

/**
 * Why a stage cannot deploy, or undefined when every name fits. Each name is assumed to hold the
 * stage once, which is how serverless.yml builds them (`<service>-<stage>-…`).
 */
export function stageNameProblem(stage: string, names: LimitedName[]): string | undefined {
  const over = names.filter((n) => n.name.length > n.limit);
  if (over.length === 0) return undefined;
  const longestStage = Math.min(...names.map((n) => n.limit - (n.name.length - stage.length)));
  const kinds = [...new Set(over.map((n) => n.what))].map((what) => {
    const these = over.filter((n) => n.what === what).sort((a, b) => b.name.length - a.name.length);
    const longest = these[0] as LimitedName;
    return `${these.length} ${what} name${these.length > 1 ? 's' : ''} would be longer than the ${longest.limit} characters AWS allows (${longest.name} has ${longest.name.length})`;
  });
  return (
    `Stage "${stage}" (${stage.length} characters) cannot deploy: ${kinds.join('; ')}. ` +
    `Use a stage of at most ${Math.max(longestStage, 0)} characters.`
  );
}

/** The parts of osls this plugin reads. */
interface Serverless {
  service: {
    provider: { stage?: string };
    getAllFunctions(): string[];
    getFunction(key: string): { name?: string };
  };
  configurationInput?: {
    stepFunctions?: { stateMachines?: Record<string, { name?: unknown }> };
  };
  classes: { Error: new (message: string) => Error };
}

/** The names a packaged stack would create, from the service as osls resolved it. */
export function namesOf(serverless: Serverless): LimitedName[] {
  const names: LimitedName[] = serverless.service.getAllFunctions().map((key) => ({
    what: 'function',
    name: serverless.service.getFunction(key).name ?? key,
    limit: FUNCTION_NAME_LIMIT,
  }));
  const machines = serverless.configurationInput?.stepFunctions?.stateMachines ?? {};
  for (const machine of Object.values(machines))
    if (typeof machine.name === 'string')
      names.push({ what: 'state machine', name: machine.name, limit: STATE_MACHINE_NAME_LIMIT });
  return names;
}

export default class StageNames {
  readonly hooks: Record<string, () => void>;

  constructor(serverless: Serverless, options: { stage?: string }) {
    this.hooks = {
      // The first event of `osls package` (and of `osls deploy`, which packages first).
      'before:package:cleanup': () => {
        const stage = options.stage ?? serverless.service.provider.stage ?? 'dev';
        const problem = stageNameProblem(stage, namesOf(serverless));
        if (problem) throw new serverless.classes.Error(problem);
      },
    };
  }
}
