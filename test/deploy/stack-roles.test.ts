/**
 * The roles the twin enforces are serverless.yml's, read with the twin's names: each function's
 * role, the pools the allowed-pools setting opens, the twin's bucket, state machine, topic and
 * logs role in the ARNs; and an edit of the stack is what the next start enforces, with no step
 * to remember, while an unchanged stack is read from the cache.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackRoles, type StackRoles, type StackSource } from '../../src/local/stack-roles.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_BUCKET,
  LOCAL_REGION,
  LOGS_ROLE_ARN,
  OUTCOME_TOPIC,
  STATE_MACHINE_NAME,
} from '../../src/local/twin.ts';
import { FUNCTION_HANDLERS } from '../../src/workflow/tasks.ts';
import type { PolicyStatement } from '../../twin/iam/policy-engine.ts';
import { expectDenials } from '../iam/denials.ts';

expectDenials(
  / (cognito-idp:StartUserImportJob|cognito-idp:AdminAddUserToGroup|cognito-idp:AdminUpdateUserAttributes|cognito-idp:CreateGroup|cognito-idp:ListGroups|iam:PassRole|s3:PutObject) /,
  'what the roles must refuse',
);

import { AccessControl, type RoleDefinition } from '../../twin/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const names = {
  account: LOCAL_ACCOUNT,
  region: LOCAL_REGION,
  bucket: LOCAL_BUCKET,
  stateMachine: STATE_MACHINE_NAME,
  topic: OUTCOME_TOPIC,
  logsRoleArn: LOGS_ROLE_ARN,
};
const POOL = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123';

const statements = (role: RoleDefinition): PolicyStatement[] =>
  role.policies.flatMap((p) => ([] as PolicyStatement[]).concat(p.document.Statement));
const actionsOf = (role: RoleDefinition) =>
  statements(role).flatMap((s) => ([] as string[]).concat(s.Action ?? []));
const roleOf = (stack: StackRoles, key: string) =>
  stack.roles.find((r) => r.name === stack.functionRoles[key]) as RoleDefinition;

/** The decision of a function's role for one request, through the twin's own evaluation. */
function decide(stack: StackRoles, key: string, action: string, resource: string, context = {}) {
  const access = new AccessControl({
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    roles: stack.roles,
  });
  const credentials = access.issue(stack.functionRoles[key] as string, key);
  return access.check(credentials, [{ action, resource, context }]) === undefined
    ? 'allow'
    : 'deny';
}

describe("the project's roles, read for the twin", () => {
  let tagged: StackRoles;
  beforeAll(async () => {
    tagged = await loadStackRoles({ allowedUserPools: 'tagged', names });
  }, 120_000);

  it('gives every function the twin runs its role from serverless.yml, and the state machine its own', () => {
    expect(Object.keys(tagged.functionRoles).sort()).toEqual(Object.keys(FUNCTION_HANDLERS).sort());
    expect(new Set(Object.values(tagged.functionRoles)).size).toBe(
      Object.keys(FUNCTION_HANDLERS).length,
    );
    expect(tagged.stateMachineRole).toBe(
      'cognito-import-pipeline-local-ImportUsersStateMachineRole',
    );
  });

  it('leaves no reference unresolved', () => {
    expect(JSON.stringify(tagged.roles)).not.toMatch(/\$\{|"Ref"|"Fn::/);
  });

  it("names the twin's own resources: its bucket, state machine, topic and the logs role", () => {
    const text = JSON.stringify(tagged.roles);
    expect(text).toContain(`arn:aws:s3:::${LOCAL_BUCKET}/incoming/*`);
    expect(text).toContain(
      `arn:aws:states:us-east-1:123456789012:execution:${STATE_MACHINE_NAME}:*`,
    );
    expect(text).toContain(`arn:aws:sns:us-east-1:123456789012:${OUTCOME_TOPIC}`);
    expect(
      decide(tagged, 'createImportJob', 'iam:PassRole', LOGS_ROLE_ARN, {
        'iam:PassedToService': 'cognito-idp.amazonaws.com',
      }),
    ).toBe('allow');
    expect(
      decide(tagged, 'createImportJob', 'iam:PassRole', LOGS_ROLE_ARN, {
        'iam:PassedToService': 'lambda.amazonaws.com',
      }),
    ).toBe('deny');
    expect(tagged.topicKeys[OUTCOME_TOPIC]).toMatch(
      /^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/,
    );
  });

  it('opens tagged pools only, with the default setting', () => {
    const open = { 'aws:ResourceTag/cognito-import:allowed': 'true' };
    expect(decide(tagged, 'startImportJob', 'cognito-idp:StartUserImportJob', POOL, open)).toBe(
      'allow',
    );
    expect(decide(tagged, 'startImportJob', 'cognito-idp:StartUserImportJob', POOL)).toBe('deny');
    expect(decide(tagged, 'prepareImport', 'cognito-idp:StartUserImportJob', POOL, open)).toBe(
      'deny',
    );
  });

  it('lets the post-import function add memberships and update users of open pools, and write only its own files', () => {
    const open = { 'aws:ResourceTag/cognito-import:allowed': 'true' };
    for (const action of [
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminUpdateUserAttributes',
    ]) {
      expect(decide(tagged, 'applyPostImport', action, POOL, open), action).toBe('allow');
      expect(decide(tagged, 'applyPostImport', action, POOL), action).toBe('deny');
      // No other function may change users or memberships.
      expect(decide(tagged, 'validateCsv', action, POOL, open), action).toBe('deny');
    }
    const object = (key: string) => `arn:aws:s3:::${LOCAL_BUCKET}/${key}`;
    expect(
      decide(
        tagged,
        'applyPostImport',
        's3:PutObject',
        object('staging/run-1/post-import/part-0001.json'),
      ),
    ).toBe('allow');
    expect(
      decide(tagged, 'applyPostImport', 's3:GetObject', object('staging/run-1/memberships.csv')),
    ).toBe('allow');
    for (const key of [
      'staging/run-1/part-0001.csv',
      'staging/run-1/lines.csv',
      'reports/run-1/outcome.json',
    ])
      expect(decide(tagged, 'applyPostImport', 's3:PutObject', object(key)), key).toBe('deny');
  });

  it('lets the validator list and create the groups of open pools only', () => {
    const open = { 'aws:ResourceTag/cognito-import:allowed': 'true' };
    for (const action of ['cognito-idp:ListGroups', 'cognito-idp:CreateGroup']) {
      expect(decide(tagged, 'validateCsv', action, POOL, open), action).toBe('allow');
      expect(decide(tagged, 'validateCsv', action, POOL), action).toBe('deny');
    }
    expect(decide(tagged, 'applyPostImport', 'cognito-idp:CreateGroup', POOL, open)).toBe('deny');
  });

  it('opens what the allowed-pools setting says: any pool not tagged false, or the listed ones', async () => {
    const any = await loadStackRoles({ allowedUserPools: 'any', names });
    expect(decide(any, 'startImportJob', 'cognito-idp:StartUserImportJob', POOL)).toBe('allow');
    expect(
      decide(any, 'startImportJob', 'cognito-idp:StartUserImportJob', POOL, {
        'aws:ResourceTag/cognito-import:allowed': 'false',
      }),
    ).toBe('deny');
    const listed = await loadStackRoles({
      allowedUserPools: 'us-east-1_AbC123,us-east-1_Other1',
      names,
    });
    expect(decide(listed, 'startImportJob', 'cognito-idp:StartUserImportJob', POOL)).toBe('allow');
    expect(
      decide(
        listed,
        'startImportJob',
        'cognito-idp:StartUserImportJob',
        POOL.replace('AbC123', 'Third1'),
      ),
    ).toBe('deny');
  });
});

describe('a change to the stack', () => {
  let source: StackSource;
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'stack-roles-'));
    const root = join(work, 'project');
    mkdirSync(root);
    for (const file of ['serverless.yml', 'package.json', 'package-lock.json', 'tsconfig.json'])
      cpSync(join(ROOT, file), join(root, file));
    for (const dir of ['resources', 'statemachine', 'functions', 'src', 'plugins'])
      cpSync(join(ROOT, dir), join(root, dir), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    source = { root, cacheDir: join(work, 'cache') };
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('is enforced on the next start, and an unchanged stack is read from the cache', async () => {
    const load = () => loadStackRoles({ allowedUserPools: 'tagged', names, source });
    const before = await load();
    expect(actionsOf(roleOf(before, 'startImportJob'))).toContain('cognito-idp:StartUserImportJob');
    const iam = join(source.root, 'resources', 'iam.yml');
    const text = readFileSync(iam, 'utf8');
    expect(text.match(/- cognito-idp:StartUserImportJob$/gm)).toHaveLength(1);
    writeFileSync(
      iam,
      text.replace(/- cognito-idp:StartUserImportJob$/m, '- cognito-idp:GetCSVHeader'),
    );
    const after = await load();
    expect(actionsOf(roleOf(after, 'startImportJob'))).not.toContain(
      'cognito-idp:StartUserImportJob',
    );
    expect(readdirSync(source.cacheDir).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    // Unchanged since: read from the cache, printed by nobody.
    await load();
    expect(readdirSync(source.cacheDir).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  }, 240_000);

  it('refuses to start without the packaging tool, rather than enforce nothing', async () => {
    const bare = join(work, 'bare');
    mkdirSync(join(bare, 'resources'), { recursive: true });
    cpSync(join(ROOT, 'serverless.yml'), join(bare, 'serverless.yml'));
    await expect(
      loadStackRoles({
        allowedUserPools: 'tagged',
        names,
        source: { root: bare, cacheDir: join(work, 'bare-cache') },
      }),
    ).rejects.toThrow(
      /reads its IAM policies from serverless\.yml with osls, which is not installed/,
    );
  });
});
