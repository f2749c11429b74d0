/**
 * The twin holds the workflow to the stack's IAM: each function calls AWS with its own role's
 * credentials, the roles are serverless.yml's, and a permission taken away from a role fails the
 * run the way it would fail on AWS, with the denial in the outcome.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../twin/iam/policy-engine.ts';
import {
  IAM_DECISION_CHANNEL,
  type PublishedDecision,
  type RoleDefinition,
} from '../../twin/index.ts';
import { csv, type Fixture, HEADER, startFixture, users } from '../hardening/fixture.ts';
import { expectDenials } from '../iam/denials.ts';

expectDenials(
  /-StartImportJobRole cognito-idp:StartUserImportJob |-PrepareImportRole s3:ListBucket |-ImportUsersStateMachineRole lambda:InvokeFunction .*-validateCsv(:\d+)?$/,
  'each permission a test below takes away',
);

/** The roles with one action of one role replaced by another (as an edit of iam.yml would). */
const replacing =
  (role: string, action: string, by: string) =>
  (roles: RoleDefinition[]): RoleDefinition[] =>
    roles.map((r) =>
      !r.name.endsWith(`-${role}`)
        ? r
        : {
            ...r,
            policies: r.policies.map((p) => ({
              ...p,
              document: {
                ...p.document,
                Statement: ([] as PolicyStatement[]).concat(p.document.Statement).map((s) => ({
                  ...s,
                  ...(s.Action !== undefined
                    ? {
                        Action: ([] as string[])
                          .concat(s.Action)
                          .map((a) => (a === action ? by : a)),
                      }
                    : {}),
                })),
              },
            })),
          },
    );

/** Every decision the twin's IAM takes while `run` runs. */
async function decisionsDuring(run: () => Promise<void>): Promise<PublishedDecision[]> {
  const seen: PublishedDecision[] = [];
  const listen = (message: unknown) => seen.push(message as PublishedDecision);
  subscribe(IAM_DECISION_CHANNEL, listen);
  try {
    await run();
  } finally {
    unsubscribe(IAM_DECISION_CHANNEL, listen);
  }
  return seen;
}

describe("the stack's roles, as packaged", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ cognito: { pace: { pendingMs: 20 } } });
  });
  afterAll(async () => {
    await f.stop();
  });

  it('lets each function call AWS as its own role, and allows every call of a successful run', async () => {
    const pool = await f.createPool();
    const decisions = await decisionsDuring(async () => {
      const { outcome } = await f.finish(await f.drop(pool, 'users.csv', csv(HEADER, ...users(3))));
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 3 } });
    });
    expect(decisions.filter((d) => d.decision !== 'allow')).toEqual([]);
    // Each call is made by the session of the function that made it, with that function's role
    // (Step Functions invokes them with the state machine's).
    const functionPrefix = 'cognito-import-pipeline-local-';
    for (const d of decisions)
      expect(d.role.toLowerCase()).toBe(
        d.session === 'import-users'
          ? `${functionPrefix}importusersstatemachinerole`
          : `${functionPrefix}${d.session.slice(functionPrefix.length)}role`.toLowerCase(),
      );
    const made = new Set(decisions.map((d) => `${d.session.split('-').pop()} ${d.action}`));
    for (const call of [
      'startImport states:StartExecution',
      'prepareImport cognito-idp:DescribeUserPool',
      'prepareImport s3:GetObjectVersion',
      'validateCsv cognito-idp:GetCSVHeader',
      'validateCsv s3:PutObject',
      'createImportJob cognito-idp:CreateUserImportJob',
      'createImportJob iam:PassRole',
      'startImportJob cognito-idp:StartUserImportJob',
      'checkImportJob cognito-idp:DescribeUserImportJob',
      'reportOutcome sns:Publish',
      'reportOutcome kms:GenerateDataKey',
      'users lambda:InvokeFunction',
    ])
      expect(made).toContain(call);
  });

  it('answers a missing object 404 to PrepareImport, whose role may list the bucket', async () => {
    const pool = await f.createPool();
    const { outcome } = await f.finish(
      f.start({ bucket: f.twin.bucket, key: `incoming/${pool}/missing.upload` }),
    );
    expect(outcome).toMatchObject({ status: 'REJECTED', code: 'object.not-found' });
  });
});

describe('a permission taken away', () => {
  it('fails a run whose StartImportJob role lacks cognito-idp:StartUserImportJob, saying access was denied', async () => {
    const f = await startFixture({
      cognito: { pace: { pendingMs: 20 } },
      adjustRoles: replacing(
        'StartImportJobRole',
        'cognito-idp:StartUserImportJob',
        'cognito-idp:GetCSVHeader',
      ),
    });
    try {
      const pool = await f.createPool();
      const { execution, outcome, states } = await f.finish(
        await f.drop(pool, 'users.csv', csv(HEADER, ...users(2))),
      );
      expect(execution.status).toBe('FAILED');
      expect(states).toContain('StopAfterError');
      expect(outcome).toMatchObject({
        status: 'FAILED',
        reason: expect.stringMatching(
          /^AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role\/cognito-import-pipeline-local-StartImportJobRole\/cognito-import-pipeline-local-startImportJob is not authorized to perform: cognito-idp:StartUserImportJob on resource: arn:aws:cognito-idp:us-east-1:123456789012:userpool\/us-east-1_\w+ because no identity-based policy allows the cognito-idp:StartUserImportJob action/,
        ),
      });
      // The job the run created was never started, and nothing was imported.
      expect((await f.jobs(pool)).map((j) => j.Status)).toEqual(['Created']);
      expect(await f.violations()).toEqual([]);
    } finally {
      await f.stop();
    }
  });

  it('answers a missing object 403 without s3:ListBucket, as S3 does: REJECTED object.forbidden', async () => {
    const f = await startFixture({
      adjustRoles: replacing('PrepareImportRole', 's3:ListBucket', 's3:GetBucketLocation'),
    });
    try {
      const pool = await f.createPool();
      const { outcome } = await f.finish(
        f.start({ bucket: f.twin.bucket, key: `incoming/${pool}/missing.upload` }),
      );
      expect(outcome).toMatchObject({ status: 'REJECTED', code: 'object.forbidden' });
    } finally {
      await f.stop();
    }
  });

  it('fails the Task when the state machine role may not invoke its function', async () => {
    const f = await startFixture({
      adjustRoles: (roles) =>
        roles.map((r) =>
          r.name.endsWith('-ImportUsersStateMachineRole')
            ? {
                ...r,
                policies: r.policies.map((p) => ({
                  ...p,
                  document: {
                    ...p.document,
                    Statement: ([] as PolicyStatement[]).concat(p.document.Statement).map((s) =>
                      s.Sid === 'InvokeTaskFunctions'
                        ? {
                            ...s,
                            Resource: ([] as string[])
                              .concat(s.Resource ?? [])
                              .filter((arn) => !arn.includes('-validateCsv')),
                          }
                        : s,
                    ),
                  },
                })),
              }
            : r,
        ),
    });
    try {
      const pool = await f.createPool();
      const { outcome, history } = await f.finish(
        await f.drop(pool, 'users.csv', csv(HEADER, ...users(1))),
      );
      const failed = history.find(
        (e) => e.lambdaFunctionFailedEventDetails,
      )?.lambdaFunctionFailedEventDetails;
      expect(failed).toMatchObject({
        error: 'Lambda.AWSLambdaException',
        cause: expect.stringContaining('is not authorized to perform: lambda:InvokeFunction'),
      });
      expect(outcome).toMatchObject({
        status: 'FAILED',
        reason: expect.stringContaining('lambda:InvokeFunction'),
      });
    } finally {
      await f.stop();
    }
  });
});
