/**
 * An osls plugin of this service (serverless.yml `plugins`): refuses a stage whose resource names
 * AWS would refuse, naming the stage and the longest stage that would deploy.
 *
 * Two checks, at two moments:
 *
 * - The EventBridge rules (`<service>-<stage>-uploads`, `-ended`: serverless.yml
 *   `custom.eventRules`) may have at most 64 characters, and osls itself refuses a longer rule
 *   name while it validates the configuration, before any command runs, with a message that names
 *   the property and not the stage. So the rule names are checked when osls loads its plugins
 *   (`asyncInit`, which runs before that validation), for every command: osls would refuse them
 *   anyway.
 * - Function names (Lambda allows 64 characters: `cognito-import-pipeline-<stage>-createImportJob`
 *   leaves 24 for the stage) and the state machine's (80) osls does not check: a long stage
 *   packages fine and fails only in CloudFormation, partway through creating the stack. They are
 *   checked at the first event of `osls package` (and of `osls deploy`), before anything is built.
 *
 * Either way the message lists every name that does not fit.
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
/** EventBridge rule names: at most 64 characters (osls checks this one itself). */
export const EVENT_RULE_NAME_LIMIT = 64;

/** The kind of name osls refuses on its own, before any plugin hook runs. */
const EVENT_RULE = 'EventBridge rule';

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
    service?: string;
    provider: { stage?: string };
    getAllFunctions(): string[];
    getFunction(key: string): { name?: string };
  };
  configurationInput?: {
    functions?: Record<string, { events?: unknown[] } | null>;
    stepFunctions?: { stateMachines?: Record<string, { name?: unknown }> };
  };
  classes: { Error: new (message: string) => Error };
}

/**
 * The names a packaged stack would create, from the service as osls resolved it. A function
 * without a name yet (osls names them only once a command runs) gets the one osls will give it,
 * `<service>-<stage>-<key>`.
 */
export function namesOf(serverless: Serverless, stage: string): LimitedName[] {
  const names: LimitedName[] = serverless.service.getAllFunctions().map((key) => ({
    what: 'function',
    name:
      serverless.service.getFunction(key).name ?? `${serverless.service.service}-${stage}-${key}`,
    limit: FUNCTION_NAME_LIMIT,
  }));
  const machines = serverless.configurationInput?.stepFunctions?.stateMachines ?? {};
  for (const machine of Object.values(machines))
    if (typeof machine.name === 'string')
      names.push({ what: 'state machine', name: machine.name, limit: STATE_MACHINE_NAME_LIMIT });
  for (const fn of Object.values(serverless.configurationInput?.functions ?? {}))
    for (const event of fn?.events ?? []) {
      const rule = (event as { eventBridge?: { name?: unknown } } | null)?.eventBridge;
      if (typeof rule?.name === 'string')
        names.push({ what: EVENT_RULE, name: rule.name, limit: EVENT_RULE_NAME_LIMIT });
    }
  return names;
}

export default class StageNames {
  readonly hooks: Record<string, () => void>;
  private readonly serverless: Serverless;
  private readonly options: { stage?: string };

  constructor(serverless: Serverless, options: { stage?: string }) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = {
      // The first event of `osls package` (and of `osls deploy`, which packages first).
      'before:package:cleanup': () => this.refuse(() => true),
    };
  }

  /**
   * Called by osls once its plugins are loaded, before it validates the configuration: the names
   * that validation would refuse (the EventBridge rules'), with the stage's own message.
   */
  async asyncInit(): Promise<void> {
    this.refuse((over) => over.some((name) => name.what === EVENT_RULE));
  }

  /** Throws the stage's problem when some names do not fit and `now` says to refuse them now. */
  private refuse(now: (over: LimitedName[]) => boolean): void {
    const stage = this.options.stage ?? this.serverless.service.provider.stage ?? 'dev';
    const names = namesOf(this.serverless, stage);
    const over = names.filter((n) => n.name.length > n.limit);
    if (over.length === 0 || !now(over)) return;
    throw new this.serverless.classes.Error(stageNameProblem(stage, names) as string);
  }
}
