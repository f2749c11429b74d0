/**
 * The service's own osls plugins (plugins/), as functions: which stages they refuse, and how a
 * setting reaches the id of a function's published version. test/deploy checks them in the
 * packaged stack.
 */
import { describe, expect, it } from 'vitest';
import {
  METADATA_KEY,
  type Template,
  versionId,
  versionsFollowSettings,
} from '../../plugins/function-versions.ts';
import StageNames, {
  EVENT_RULE_NAME_LIMIT,
  FUNCTION_NAME_LIMIT,
  type LimitedName,
  STATE_MACHINE_NAME_LIMIT,
  stageNameProblem,
} from '../../plugins/stage-names.ts';
import {
  deployedFunctionName,
  FUNCTION_HANDLERS,
  type FunctionKey,
  SERVICE_NAME,
} from '../../src/workflow/tasks.ts';

/** Every function's key is longer than 9 characters: a 30-character stage makes each name too long. */
const FUNCTIONS = Object.keys(FUNCTION_HANDLERS).length;

/** The names serverless.yml gives a stage's functions, state machine and EventBridge rules. */
const namesFor = (stage: string): LimitedName[] => [
  ...(Object.keys(FUNCTION_HANDLERS) as FunctionKey[]).map((key) => ({
    what: 'function',
    name: deployedFunctionName(stage, key),
    limit: FUNCTION_NAME_LIMIT,
  })),
  {
    what: 'state machine',
    name: `${SERVICE_NAME}-${stage}-import-users`,
    limit: STATE_MACHINE_NAME_LIMIT,
  },
  ...['uploads', 'ended'].map((suffix) => ({
    what: 'EventBridge rule',
    name: `${SERVICE_NAME}-${stage}-${suffix}`,
    limit: EVENT_RULE_NAME_LIMIT,
  })),
];

/**
 * The service as osls hands it to a plugin when it loads plugins: variables resolved, function
 * names not given yet (osls names them once a command runs), the rules in the functions' events.
 */
function oslsService(stage: string) {
  const functions = Object.fromEntries(
    (Object.keys(FUNCTION_HANDLERS) as FunctionKey[]).map((key) => [key, { events: [] }]),
  ) as Record<string, { events: unknown[] }>;
  (functions.startImport as { events: unknown[] }).events = [
    { eventBridge: { name: `${SERVICE_NAME}-${stage}-uploads`, pattern: {} } },
  ];
  (functions.sweepExecution as { events: unknown[] }).events = [
    { eventBridge: { name: `${SERVICE_NAME}-${stage}-ended`, pattern: {} } },
  ];
  return {
    service: {
      service: SERVICE_NAME,
      provider: { stage },
      getAllFunctions: () => Object.keys(functions),
      getFunction: () => ({}),
    },
    configurationInput: {
      functions,
      stepFunctions: {
        stateMachines: { importUsers: { name: `${SERVICE_NAME}-${stage}-import-users` } },
      },
    },
    classes: { Error },
  };
}

describe('stage names', () => {
  it('lets every stage of up to 24 characters deploy', () => {
    for (const stage of ['dev', 'prod', 'test', 'x'.repeat(24)])
      expect(stageNameProblem(stage, namesFor(stage)), stage).toBeUndefined();
  });

  it('refuses a longer stage, naming it, the longest name and the longest stage that deploys', () => {
    const stage = 'feature-very-long-branch-name1';
    expect(stage).toHaveLength(30);
    const problem = stageNameProblem(stage, namesFor(stage));
    expect(problem).toContain(`Stage "${stage}" (30 characters) cannot deploy`);
    expect(problem).toContain(
      `${FUNCTIONS} function names would be longer than the 64 characters AWS allows (${SERVICE_NAME}-${stage}-createImportJob has 70)`,
    );
    expect(problem).toContain('Use a stage of at most 24 characters.');
    expect(problem).not.toContain('state machine');
    // One character over: only the longest keys (createImportJob, applyPostImport: 15) do not fit.
    expect(stageNameProblem('y'.repeat(25), namesFor('y'.repeat(25)))).toContain(
      '2 function names would be longer',
    );
  });

  it('lets the EventBridge rules take a stage of up to 32 characters, and names them past it', () => {
    const fits = 'r'.repeat(32);
    expect(stageNameProblem(fits, namesFor(fits))).not.toContain('EventBridge');
    const stage = 'r'.repeat(33);
    expect(stageNameProblem(stage, namesFor(stage))).toContain(
      `1 EventBridge rule name would be longer than the 64 characters AWS allows (${SERVICE_NAME}-${stage}-uploads has 65)`,
    );
  });

  it('refuses a stage whose rule names osls would refuse as soon as osls loads it, with the stage named', async () => {
    const stage = 'this-is-a-very-long-stage-name-of-40-chr';
    const plugin = new StageNames(oslsService(stage), { stage });
    const refused = await plugin.asyncInit().then(
      () => '',
      (error: Error) => error.message,
    );
    expect(refused).toContain(`Stage "${stage}" (40 characters) cannot deploy`);
    expect(refused).toContain(`${FUNCTIONS} function names would be longer`);
    expect(refused).toContain('2 EventBridge rule names would be longer');
    expect(refused).toContain('Use a stage of at most 24 characters.');
  });

  it('leaves function names that only CloudFormation would refuse to the packaging, which refuses them', async () => {
    const stage = 'feature-very-long-branch-name1';
    const plugin = new StageNames(oslsService(stage), { stage });
    await expect(plugin.asyncInit()).resolves.toBeUndefined();
    expect(() => plugin.hooks['before:package:cleanup']?.()).toThrow(
      `Stage "${stage}" (30 characters) cannot deploy: ${FUNCTIONS} function names`,
    );
    const fine = new StageNames(oslsService('prod'), { stage: 'prod' });
    await expect(fine.asyncInit()).resolves.toBeUndefined();
    expect(() => fine.hooks['before:package:cleanup']?.()).not.toThrow();
  });

  it('also refuses a stage that makes the state machine name longer than 80', () => {
    const names: LimitedName[] = [
      { what: 'state machine', name: `sm-${'s'.repeat(78)}`, limit: 80 },
    ];
    expect(stageNameProblem('s'.repeat(78), names)).toContain(
      '1 state machine name would be longer than the 80 characters AWS allows',
    );
  });
});

describe('function versions follow the settings', () => {
  const OSLS_ID = 'PrepareImportLambdaVersionAbC123';

  /** A template as osls compiles it: a function whose environment names two parameters. */
  const template = (): Template => ({
    Resources: {
      PrepareImportLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Environment: {
            Variables: {
              ALLOWED_USER_POOLS: { Ref: 'AllowedUserPools' },
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub
              TOPIC: { 'Fn::Sub': '${DefaultUserPoolId}-${OutcomeTopic}' },
              ROLE: { 'Fn::GetAtt': ['LogsRole', 'Arn'] },
            },
          },
        },
      },
      [OSLS_ID]: {
        Type: 'AWS::Lambda::Version',
        Properties: { FunctionName: { Ref: 'PrepareImportLambdaFunction' } },
      },
      OtherLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } },
      OtherLambdaVersionXyZ: {
        Type: 'AWS::Lambda::Version',
        Properties: { FunctionName: { Ref: 'OtherLambdaFunction' } },
      },
    },
    Outputs: { PrepareImportLambdaFunctionQualifiedArn: { Value: { Ref: OSLS_ID } } },
  });
  const parameters = (pools: string, deadline = 21_600) => ({
    AllowedUserPools: { Default: pools },
    DefaultUserPoolId: { Default: '' },
    ImportDeadlineSeconds: { Default: deadline },
  });
  const versionOf = (t: Template) =>
    Object.keys(t.Resources).find((id) => id.startsWith('PrepareImportLambdaVersion')) as string;

  it("renames a function's version after the values of the parameters it refers to, and says so in its metadata", () => {
    const t = template();
    const renamed = versionsFollowSettings(t, parameters('tagged'));
    const id = versionOf(t);
    expect(renamed.get(OSLS_ID)).toBe(id);
    expect(id).toMatch(/^PrepareImportLambdaVersion[0-9A-Za-z]+$/);
    expect(id).not.toBe(OSLS_ID);
    expect(id).toBe(
      versionId(OSLS_ID, [
        ['AllowedUserPools', 'tagged'],
        ['DefaultUserPoolId', ''],
      ]),
    );
    expect(t.Resources[id]?.Metadata).toEqual({
      [METADATA_KEY]: { code: OSLS_ID, settings: ['AllowedUserPools', 'DefaultUserPoolId'] },
    });
    expect(t.Outputs?.PrepareImportLambdaFunctionQualifiedArn?.Value).toEqual({ Ref: id });
  });

  it('publishes a new version when a setting the function reads changes, and only then', () => {
    const ids = [
      parameters('tagged'),
      parameters('eu-west-1_AbC123'),
      parameters('tagged', 3600),
    ].map((p) => {
      const t = template();
      versionsFollowSettings(t, p);
      return versionOf(t);
    });
    expect(ids[1]).not.toBe(ids[0]);
    // ImportDeadlineSeconds is not one of this function's settings.
    expect(ids[2]).toBe(ids[0]);
  });

  it('leaves the version of a function that reads no setting as osls named it', () => {
    const t = template();
    versionsFollowSettings(t, parameters('tagged'));
    expect(t.Resources.OtherLambdaVersionXyZ?.Metadata).toBeUndefined();
  });
});
