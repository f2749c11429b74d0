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
import {
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

/** The names serverless.yml gives a stage's functions and state machine. */
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
];

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
      `10 function names would be longer than the 64 characters AWS allows (${SERVICE_NAME}-${stage}-createImportJob has 70)`,
    );
    expect(problem).toContain('Use a stage of at most 24 characters.');
    expect(problem).not.toContain('state machine');
    expect(stageNameProblem('y'.repeat(25), namesFor('y'.repeat(25)))).toContain(
      '1 function name would be longer',
    );
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
