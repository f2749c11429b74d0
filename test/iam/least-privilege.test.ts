/**
 * The least-privilege check itself (the suite-wide part is recorder.setup.ts and
 * recorder.global.ts): it finds a granted action no call used, excuses only what the twin cannot
 * exercise, and listens on the channel the twin publishes its decisions on.
 */
import { describe, expect, it } from 'vitest';
import { type RoleDefinition, IAM_DECISION_CHANNEL as TWIN_CHANNEL } from '../../twin/index.ts';
import { grantsOf, unusedGrants } from './least-privilege.ts';
import { IAM_DECISION_CHANNEL } from './names.ts';

const role = (name: string, actions: string[]): RoleDefinition => ({
  name,
  arn: `arn:aws:iam::123456789012:role/${name}`,
  policies: [
    {
      name: 'p',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: actions, Resource: '*' },
          { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
        ],
      },
    },
  ],
});

describe('the least-privilege check', () => {
  it('listens where the twin publishes its decisions', () => {
    expect(IAM_DECISION_CHANNEL).toBe(TWIN_CHANNEL);
  });

  it('lists what each role allows, not what it denies', () => {
    expect(
      grantsOf([role('x-PrepareImportRole', ['s3:GetObject', 'xray:PutTraceSegments'])]),
    ).toEqual(['x-PrepareImportRole s3:GetObject', 'x-PrepareImportRole xray:PutTraceSegments']);
  });

  it('finds a granted action no call used, and excuses only what the twin cannot exercise', () => {
    const roles = [
      role('x-PrepareImportRole', ['s3:GetObject', 's3:PutObject', 'xray:PutTraceSegments']),
      role('x-ReportOutcomeRole', ['logs:Filter*']),
    ];
    const { unused, excused } = unusedGrants(roles, [
      'x-PrepareImportRole s3:GetObject',
      'x-ReportOutcomeRole logs:FilterLogEvents',
      'x-ReportOutcomeRole s3:PutObject',
    ]);
    expect(unused).toEqual(['x-PrepareImportRole s3:PutObject']);
    expect(excused.map((e) => e.grant)).toEqual(['x-PrepareImportRole xray:PutTraceSegments']);
  });
});
