import type { AccessRequest, ContextValue } from '../policy-engine.ts';

/**
 * What IAM evaluates for each Cognito user-pools operation the twin serves (the service
 * authorization reference, "Actions defined by Amazon Cognito User Pools"): the action
 * `cognito-idp:<Operation>`, on the user pool's ARN with the pool's tags as
 * `aws:ResourceTag/<key>`, or on `*` for the account-level operations. CreateUserImportJob also
 * passes the role Cognito will write the job's logs with: `iam:PassRole` on that role, for
 * `cognito-idp.amazonaws.com` (whether Cognito checks it is not documented: the twin's
 * `passRoleChecked` knob). test/twin/iam/actions.test.ts checks the table against the IAM
 * reference data.
 */

export interface CognitoAccessContext {
  account: string;
  /** The region the request was signed for: the region of a new pool and of the account-level calls. */
  region: string;
  /** A pool's tags, or undefined when there is no such pool (IAM then sees no tag). */
  poolTags(poolId: string): Record<string, string> | undefined;
  passRoleChecked: boolean;
}

/** Operations AWS serves without a signature (the public sign-in API): IAM is not involved. */
export const COGNITO_UNSIGNED_OPERATIONS: ReadonlySet<string> = new Set([
  'InitiateAuth',
  'RespondToAuthChallenge',
  'ForgotPassword',
  'ConfirmForgotPassword',
]);

const poolIdOf = (input: Record<string, unknown>) => String(input.UserPoolId ?? '');

/** `us-east-1_AbC123` lives in us-east-1. */
const poolRegion = (poolId: string, fallback: string) =>
  /^([a-z]{2}(?:-[a-z]+)+-\d+)_/.exec(poolId)?.[1] ?? fallback;

const tagKeys = (prefix: string, tags: Record<string, string> | undefined) => {
  const context: Record<string, ContextValue> = {};
  for (const [key, value] of Object.entries(tags ?? {})) context[`${prefix}/${key}`] = value;
  return context;
};

function onPool(
  operation: string,
  poolId: string,
  at: CognitoAccessContext,
  extra: Record<string, ContextValue> = {},
): AccessRequest {
  return {
    action: `cognito-idp:${operation}`,
    resource: `arn:aws:cognito-idp:${poolRegion(poolId, at.region)}:${at.account}:userpool/${poolId}`,
    context: { ...tagKeys('aws:ResourceTag', at.poolTags(poolId)), ...extra },
  };
}

type Rule = (input: Record<string, unknown>, at: CognitoAccessContext) => AccessRequest[];

/** The public operations: nothing for IAM to evaluate. */
const unsigned: Rule = () => [];
const onTheInputPool =
  (operation: string): Rule =>
  (input, at) => [onPool(operation, poolIdOf(input), at)];

/** The pool a tagging call names by its ARN. */
const poolOfArn = (arn: unknown) =>
  /:userpool\/([\w-]+_[0-9a-zA-Z]+)$/.exec(String(arn ?? ''))?.[1] ?? '';

const POOL_OPERATIONS = [
  'DescribeUserPool',
  'DeleteUserPool',
  'GetCSVHeader',
  'ListUsers',
  'AdminGetUser',
  'AdminDeleteUser',
  'AdminUpdateUserAttributes',
  'CreateGroup',
  'GetGroup',
  'ListGroups',
  'UpdateGroup',
  'DeleteGroup',
  'AdminAddUserToGroup',
  'AdminRemoveUserFromGroup',
  'AdminListGroupsForUser',
  'ListUsersInGroup',
  'StartUserImportJob',
  'StopUserImportJob',
  'DescribeUserImportJob',
  'ListUserImportJobs',
  'CreateUserPoolClient',
  'DescribeUserPoolClient',
  'UpdateUserPoolClient',
  'ListUserPoolClients',
  'DeleteUserPoolClient',
  'AdminInitiateAuth',
  'AdminRespondToAuthChallenge',
  'AdminSetUserPassword',
  'AdminResetUserPassword',
] as const;

export const COGNITO_ACCESS: Readonly<Record<string, Rule>> = {
  ...Object.fromEntries(POOL_OPERATIONS.map((op) => [op, onTheInputPool(op)])),
  CreateUserPool: (input) => {
    const tags = (input.UserPoolTags ?? {}) as Record<string, string>;
    return [
      {
        action: 'cognito-idp:CreateUserPool',
        resource: '*',
        context: { ...tagKeys('aws:RequestTag', tags), 'aws:TagKeys': Object.keys(tags) },
      },
    ];
  },
  ListUserPools: () => [{ action: 'cognito-idp:ListUserPools', resource: '*' }],
  CreateUserImportJob: (input, at) => {
    const job = onPool('CreateUserImportJob', poolIdOf(input), at);
    const role = String(input.CloudWatchLogsRoleArn ?? '');
    if (!at.passRoleChecked || role === '') return [job];
    return [
      job,
      {
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' },
      },
    ];
  },
  TagResource: (input, at) => {
    const tags = (input.Tags ?? {}) as Record<string, string>;
    return [
      onPool('TagResource', poolOfArn(input.ResourceArn), at, {
        ...tagKeys('aws:RequestTag', tags),
        'aws:TagKeys': Object.keys(tags),
      }),
    ];
  },
  UntagResource: (input, at) => [
    onPool('UntagResource', poolOfArn(input.ResourceArn), at, {
      'aws:TagKeys': ((input.TagKeys ?? []) as unknown[]).map(String),
    }),
  ],
  ListTagsForResource: (input, at) => [
    onPool('ListTagsForResource', poolOfArn(input.ResourceArn), at),
  ],
  ...Object.fromEntries([...COGNITO_UNSIGNED_OPERATIONS].map((op) => [op, unsigned])),
};
