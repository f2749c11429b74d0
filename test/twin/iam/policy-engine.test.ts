/**
 * The twin's IAM evaluation (pbac with the parts of AWS's evaluation logic it lacks), case by
 * case from AWS's documentation: "Policy evaluation logic", "IAM JSON policy elements:
 * Condition operators" and "…: Action / Resource", "Single-valued vs. multivalued context keys".
 */
import { describe, expect, it } from 'vitest';
import { arnLike } from '../../../twin/iam/arn.ts';
import {
  type AccessRequest,
  holds,
  type PolicyDocument,
  PolicySet,
  type PolicyStatement,
} from '../../../twin/iam/policy-engine.ts';

const POOL = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123';
const TAG = 'aws:ResourceTag/cognito-import:allowed';

const policy = (...Statement: PolicyStatement[]): { name: string; document: PolicyDocument } => ({
  name: 'test',
  document: { Version: '2012-10-17', Statement },
});
const decide = (statements: PolicyStatement[], request: AccessRequest) =>
  new PolicySet([policy(...statements)]).decide(request);

const allowPools = (Condition?: PolicyStatement['Condition']): PolicyStatement => ({
  Effect: 'Allow',
  Action: 'cognito-idp:StartUserImportJob',
  Resource: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/*',
  ...(Condition ? { Condition } : {}),
});
const start = (context: Record<string, string> = {}): AccessRequest => ({
  action: 'cognito-idp:StartUserImportJob',
  resource: POOL,
  context,
});

describe('the order of evaluation', () => {
  it('denies what no statement allows (an implicit deny)', () => {
    expect(decide([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }], start())).toBe(
      'implicit-deny',
    );
  });

  it('allows what a statement allows', () => {
    expect(decide([allowPools()], start())).toBe('allow');
  });

  it('lets an explicit deny win over any allow, and says it was explicit', () => {
    expect(
      decide([allowPools(), { Effect: 'Deny', Action: 'cognito-idp:*', Resource: POOL }], start()),
    ).toBe('explicit-deny');
  });

  it('joins the statements of several policies', () => {
    const set = new PolicySet([
      policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }),
      policy(allowPools()),
    ]);
    expect(set.decide(start())).toBe('allow');
    expect(set.decide({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' })).toBe('allow');
    expect(set.decide({ action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' })).toBe(
      'implicit-deny',
    );
  });
});

describe('Action and Resource', () => {
  it('matches actions case-insensitively ("Action values are not case-sensitive")', () => {
    const statement = { Effect: 'Allow', Action: 'COGNITO-IDP:startuserimportjob', Resource: '*' };
    expect(decide([statement as PolicyStatement], start())).toBe('allow');
  });

  it('takes wildcards in actions', () => {
    expect(
      decide([{ Effect: 'Allow', Action: 'cognito-idp:*UserImportJob', Resource: '*' }], start()),
    ).toBe('allow');
    expect(
      decide([{ Effect: 'Allow', Action: 'cognito-idp:Describe*', Resource: '*' }], start()),
    ).toBe('implicit-deny');
  });

  it('allows every action but the NotAction ones, on every resource but the NotResource ones', () => {
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', NotAction: 'cognito-idp:DeleteUserPool', NotResource: 'arn:aws:s3:::*' },
    ];
    expect(decide(statements, start())).toBe('allow');
    expect(decide(statements, { ...start(), action: 'cognito-idp:DeleteUserPool' })).toBe(
      'implicit-deny',
    );
    expect(decide(statements, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' })).toBe(
      'implicit-deny',
    );
  });

  it('matches resources with * and ?, case-sensitively', () => {
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/incoming/*' },
    ];
    const get = (key: string) => decide(statements, { action: 's3:GetObject', resource: key });
    expect(get('arn:aws:s3:::bucket/incoming/us-east-1_A/users.csv')).toBe('allow');
    expect(get('arn:aws:s3:::bucket/staging/run/part-1.csv')).toBe('implicit-deny');
    expect(get('arn:aws:s3:::bucket/Incoming/x.csv')).toBe('implicit-deny');
    expect(
      decide([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/part-?.csv' }], {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::b/part-1.csv',
      }),
    ).toBe('allow');
  });

  it('matches a log group resource ending in :* to its log streams', () => {
    const statements: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: 'logs:PutLogEvents',
        Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*',
      },
    ];
    expect(
      decide(statements, {
        action: 'logs:PutLogEvents',
        resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:s',
      }),
    ).toBe('allow');
  });
});

describe('conditions', () => {
  it('reads a tag key that holds a colon (aws:ResourceTag/cognito-import:allowed)', () => {
    const tagged = [allowPools({ StringEquals: { [TAG]: 'true' } })];
    expect(decide(tagged, start({ [TAG]: 'true' }))).toBe('allow');
    expect(decide(tagged, start({ [TAG]: 'false' }))).toBe('implicit-deny');
    expect(decide(tagged, start({ 'aws:ResourceTag/other:allowed': 'true' }))).toBe(
      'implicit-deny',
    );
    expect(decide(tagged, start())).toBe('implicit-deny');
  });

  it('matches condition key names case-insensitively ("Condition key names are not case-sensitive")', () => {
    const statements = [allowPools({ StringEquals: { 'AWS:SourceAccount': '123456789012' } })];
    expect(decide(statements, start({ 'aws:sourceaccount': '123456789012' }))).toBe('allow');
  });

  it('compares string values case-sensitively with StringEquals, not with StringEqualsIgnoreCase', () => {
    expect(holds('StringEquals', 'True', ['true'])).toBe(false);
    expect(holds('StringEqualsIgnoreCase', 'True', ['true'])).toBe(true);
  });

  it('holds a negated operator on a missing key ("…with the exception of negated operators")', () => {
    const anyPool = [allowPools({ StringNotEquals: { [TAG]: 'false' } })];
    expect(decide(anyPool, start())).toBe('allow');
    expect(decide(anyPool, start({ [TAG]: 'true' }))).toBe('allow');
    expect(decide(anyPool, start({ [TAG]: 'false' }))).toBe('implicit-deny');
    expect(holds('ArnNotLike', undefined, ['arn:aws:s3:::*'])).toBe(true);
  });

  it('fails a positive operator on a missing key', () => {
    expect(holds('StringEquals', undefined, ['x'])).toBe(false);
    expect(holds('StringLike', undefined, ['*'])).toBe(false);
    expect(holds('ArnLike', undefined, ['arn:*:*:*:*:*'])).toBe(false);
  });

  it('ORs the values of one key and, for a negated operator, NORs them', () => {
    expect(holds('StringEquals', 'b', ['a', 'b'])).toBe(true);
    expect(holds('StringEquals', 'c', ['a', 'b'])).toBe(false);
    expect(holds('StringNotEquals', 'b', ['a', 'b'])).toBe(false);
    expect(holds('StringNotEquals', 'c', ['a', 'b'])).toBe(true);
    expect(holds('StringNotLike', 'staging/x', ['incoming/*', 'staging/*'])).toBe(false);
  });

  it('ANDs the keys of one operator and the operators of one statement', () => {
    const statements = [
      allowPools({
        StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:RequestedRegion': 'us-east-1' },
        StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/*' },
      }),
    ];
    const context = {
      'aws:SourceAccount': '123456789012',
      'aws:RequestedRegion': 'us-east-1',
      'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/r',
    };
    expect(decide(statements, start(context))).toBe('allow');
    expect(decide(statements, start({ ...context, 'aws:RequestedRegion': 'eu-west-1' }))).toBe(
      'implicit-deny',
    );
    expect(decide(statements, start({ ...context, 'aws:PrincipalArn': 'x' }))).toBe(
      'implicit-deny',
    );
  });

  it('treats a missing key as a match with …IfExists, and checks a present one', () => {
    // The Cognito logs role's trust: IfExists, because Cognito may not send the keys.
    expect(holds('StringEqualsIfExists', undefined, ['123456789012'])).toBe(true);
    expect(holds('StringEqualsIfExists', '123456789012', ['123456789012'])).toBe(true);
    expect(holds('StringEqualsIfExists', '999999999999', ['123456789012'])).toBe(false);
    const pools = 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/*';
    expect(holds('ArnLikeIfExists', undefined, [pools])).toBe(true);
    expect(holds('ArnLikeIfExists', POOL, [pools])).toBe(true);
    expect(holds('ArnLikeIfExists', 'arn:aws:cognito-idp:us-east-1:999:userpool/x', [pools])).toBe(
      false,
    );
  });

  it('tests presence with Null: "true" for a missing key, "false" for a present one', () => {
    expect(holds('Null', undefined, ['true'])).toBe(true);
    expect(holds('Null', 'AES256', ['true'])).toBe(false);
    expect(holds('Null', 'AES256', ['false'])).toBe(true);
    expect(holds('Null', undefined, [false])).toBe(false);
    const statements: PolicyStatement[] = [
      allowPools(),
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
      },
    ];
    expect(decide(statements, start())).toBe('allow');
    expect(
      decide(statements, start({ 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256' })),
    ).toBe('explicit-deny');
  });

  it('follows the set operators: ForAnyValue fails and ForAllValues holds on a missing or empty key', () => {
    expect(holds('ForAnyValue:StringEquals', ['a', 'x'], ['a', 'b'])).toBe(true);
    expect(holds('ForAnyValue:StringEquals', ['x', 'y'], ['a', 'b'])).toBe(false);
    expect(holds('ForAnyValue:StringEquals', undefined, ['a'])).toBe(false);
    expect(holds('ForAnyValue:StringEquals', [], ['a'])).toBe(false);
    expect(holds('ForAllValues:StringEquals', ['a', 'b'], ['a', 'b', 'c'])).toBe(true);
    expect(holds('ForAllValues:StringEquals', ['a', 'x'], ['a', 'b'])).toBe(false);
    expect(holds('ForAllValues:StringEquals', undefined, ['a'])).toBe(true);
    expect(holds('ForAllValues:StringEquals', [], ['a'])).toBe(true);
    // Negated set operators: some / every request value matches none of the policy's.
    expect(holds('ForAnyValue:StringNotEquals', ['a', 'x'], ['a'])).toBe(true);
    expect(holds('ForAllValues:StringNotEquals', ['a', 'x'], ['a'])).toBe(false);
    expect(holds('ForAllValues:StringNotEquals', ['x', 'y'], ['a'])).toBe(true);
  });

  it('compares numbers, dates and booleans as IAM does', () => {
    expect(holds('NumericLessThan', '1.1', ['1.2'])).toBe(true);
    expect(holds('NumericGreaterThanEquals', '10', ['9'])).toBe(true);
    expect(holds('NumericEquals', 'ten', ['10'])).toBe(false);
    expect(holds('NumericNotEquals', '10', ['10'])).toBe(false);
    expect(holds('DateLessThan', '2026-01-01T00:00:00Z', ['2026-06-01T00:00:00Z'])).toBe(true);
    expect(holds('DateGreaterThan', '1767225600', ['2025-12-31T00:00:00Z'])).toBe(true);
    expect(holds('Bool', 'false', ['false'])).toBe(true);
    expect(holds('Bool', 'true', ['false'])).toBe(false);
    expect(holds('IpAddress', '203.0.113.7', ['203.0.113.0/24'])).toBe(true);
    expect(holds('NotIpAddress', '198.51.100.1', ['203.0.113.0/24'])).toBe(true);
  });

  it('refuses an operator IAM does not have, rather than evaluating it', () => {
    expect(() => new PolicySet([policy(allowPools({ StringEqualz: { [TAG]: 'true' } }))])).toThrow(
      /Unknown condition operator StringEqualz/,
    );
  });

  it('refuses policy variables, which it does not evaluate', () => {
    expect(
      () =>
        new PolicySet([
          policy({
            Effect: 'Allow',
            Action: 's3:GetObject',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not JavaScript
            Resource: 'arn:aws:s3:::b/${aws:username}/*',
          }),
        ]),
    ).toThrow(/policy variable/);
  });
});

describe('ARN matching (ArnLike, ArnEquals)', () => {
  it('compares the six parts separately; the resource part may hold colons', () => {
    expect(
      arnLike(
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/cognito/userpools/p/n:*',
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/cognito/userpools/*',
      ),
    ).toBe(true);
    expect(arnLike(POOL, 'arn:aws:cognito-idp:*:123456789012:userpool/*')).toBe(true);
    expect(arnLike(POOL, 'arn:aws:cognito-idp:*:999999999999:userpool/*')).toBe(false);
  });

  it('keeps a wildcard within its part', () => {
    // A * in the region cannot swallow the account.
    expect(arnLike('arn:aws:sns:us-east-1:123456789012:topic', 'arn:aws:sns:*:topic')).toBe(false);
    expect(arnLike('not-an-arn', '*')).toBe(false);
  });

  it('lets ArnEquals match like ArnLike, as IAM does', () => {
    expect(holds('ArnEquals', POOL, ['arn:aws:cognito-idp:us-east-1:*:userpool/*'])).toBe(true);
    expect(holds('ArnNotEquals', POOL, ['arn:aws:cognito-idp:us-east-1:*:userpool/*'])).toBe(false);
  });
});
