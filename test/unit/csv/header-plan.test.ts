import { describe, expect, it } from 'vitest';
import { CheckKind, ColumnOutput, labelAt, planColumns } from '../../../src/csv/header-plan.ts';
import { HEADER, rulesFor } from './helpers.ts';

const codes = (names: string[], rules = rulesFor()) =>
  planColumns(names, rules).issues.map((i) => i.code);

describe('planColumns', () => {
  it('finds no problem in the pool’s own header, and knows where each column is', () => {
    const plan = planColumns(HEADER, rulesFor());
    expect(plan.issues).toEqual([]);
    expect(plan.labels).toEqual(HEADER);
    expect(plan.columns).toEqual({
      username: HEADER.indexOf('cognito:username'),
      email: HEADER.indexOf('email'),
      phoneNumber: HEADER.indexOf('phone_number'),
      emailVerified: HEADER.indexOf('email_verified'),
      phoneNumberVerified: HEADER.indexOf('phone_number_verified'),
      mfaEnabled: HEADER.indexOf('cognito:mfa_enabled'),
      passwordHash: -1,
      groups: -1,
    });
  });

  it('plans the value checks of the columns present, custom attributes with their rule', () => {
    const rules = rulesFor();
    const plan = planColumns(HEADER, rules);
    expect(plan.checks).toEqual([
      { col: HEADER.indexOf('birthdate'), kind: CheckKind.Birthdate },
      { col: HEADER.indexOf('updated_at'), kind: CheckKind.UpdatedAt },
      {
        col: HEADER.indexOf('custom:tier'),
        kind: CheckKind.CustomNumber,
        rule: rules.custom['custom:tier'],
      },
      {
        col: HEADER.indexOf('custom:team'),
        kind: CheckKind.CustomString,
        rule: rules.custom['custom:team'],
      },
    ]);
    const short = ['cognito:username', 'email', 'email_verified'];
    expect(planColumns(short, rules).checks).toEqual([]);
  });

  it('marks the boolean columns, custom booleans included, for lower-casing in the parts', () => {
    const header = [
      'cognito:username',
      'email_verified',
      'name',
      'custom:vip',
      'cognito:mfa_enabled',
    ];
    const rules = rulesFor(
      {
        SchemaAttributes: [{ Name: 'custom:vip', AttributeDataType: 'Boolean' }],
        AutoVerifiedAttributes: ['email'],
      },
      {},
      header,
    );
    const plan = planColumns(header, rules);
    expect([...plan.output]).toEqual([
      ColumnOutput.AsIs,
      ColumnOutput.Boolean,
      ColumnOutput.AsIs,
      ColumnOutput.Boolean,
      ColumnOutput.Boolean,
    ]);
    expect(plan.checks).toEqual([
      { col: 3, kind: CheckKind.CustomBoolean, rule: { type: 'Boolean' } },
    ]);
  });

  it('reports empty, unknown and repeated names at their position, with a near miss named', () => {
    const plan = planColumns(
      ['cognito:username', 'Email', '', 'jane@example.com', 'cognito:username'],
      rulesFor(),
    );
    expect(plan.issues.slice(0, 4)).toEqual([
      { code: 'header.unknown', col: 1, detail: 'did you mean email?' },
      { code: 'header.empty', col: 2 },
      { code: 'header.unknown', col: 3, detail: undefined },
      { code: 'header.duplicate', col: 4 },
    ]);
  });

  it('never labels a name that is not the pool’s, since it may be a data value', () => {
    const plan = planColumns(['cognito:username', 'jane@example.com', 'name'], rulesFor());
    expect(plan.labels).toEqual(['cognito:username', '#2', 'name']);
    expect(labelAt(plan.labels, 1)).toBe('#2');
    expect(labelAt(plan.labels, 7)).toBe('#8');
  });

  it('reports the missing username column and the missing GetCSVHeader columns by name', () => {
    const plan = planColumns(['email', 'email_verified'], rulesFor());
    expect(plan.issues[0]).toEqual({ code: 'header.missing-username' });
    const missing = plan.issues.filter((i) => i.code === 'header.missing-column');
    expect(missing.map((i) => i.column)).toEqual(
      HEADER.filter((n) => !['email', 'email_verified'].includes(n)),
    );
  });

  it('reports a required attribute without a column, and checks it when present', () => {
    const rules = rulesFor({
      SchemaAttributes: [{ Name: 'name', AttributeDataType: 'String', Required: true }],
    });
    const without = planColumns(['cognito:username', 'email_verified'], rules);
    expect(without.issues).toContainEqual({
      code: 'required.missing',
      detail: 'column',
      column: 'name',
    });
    // Not reported a second time as a missing GetCSVHeader column.
    expect(without.issues.filter((i) => i.column === 'name')).toHaveLength(1);
    const withName = planColumns(['cognito:username', 'email_verified', 'name'], rules);
    expect(withName.checks).toContainEqual({ col: 2, kind: CheckKind.Required });
  });

  it('asks for a verified column of the attributes the pool auto-verifies', () => {
    const noVerified = ['cognito:username', 'email', 'phone_number'];
    expect(planColumns(noVerified, rulesFor()).issues).toContainEqual({
      code: 'verified.column-missing',
      detail: 'email_verified',
      column: 'email_verified',
    });
    const both = rulesFor({ AutoVerifiedAttributes: ['email', 'phone_number'] });
    expect(planColumns(noVerified, both).issues).toContainEqual({
      code: 'verified.column-missing',
      detail: 'email_verified or phone_number_verified',
      column: undefined,
    });
    // One of the two is enough.
    expect(codes([...noVerified, 'phone_number_verified'], both)).not.toContain(
      'verified.column-missing',
    );
    expect(codes(HEADER, rulesFor({ AutoVerifiedAttributes: [] }))).toEqual([
      'pool.no-auto-verified',
    ]);
  });

  it('takes password_hash as a known column and checks it', () => {
    const plan = planColumns([...HEADER, 'password_hash'], rulesFor());
    expect(plan.issues).toEqual([]);
    expect(plan.columns.passwordHash).toBe(HEADER.length);
    expect(plan.checks.at(-1)).toEqual({ col: HEADER.length, kind: CheckKind.PasswordHash });
  });

  it('wants a password_hash column when the rules name an algorithm', () => {
    const rules = rulesFor({}, { passwordHashingAlgorithm: 'BCRYPT' });
    expect(planColumns(HEADER, rules).issues).toEqual([
      { code: 'hash.column-missing', detail: 'BCRYPT' },
    ]);
  });

  it('warns when the pool signs in with email or phone as the username', () => {
    expect(codes(HEADER, rulesFor({ UsernameAttributes: ['email'] }))).toEqual([
      'pool.username-attributes',
    ]);
  });
});
