import { describe, expect, it } from 'vitest';
import { poolRulesFrom, RULE_CODES, STANDARD_CSV_HEADER } from '../../../src/csv/index.ts';
import { cognitoCsv, GOOD, HEADER, issuesOf, POOL, rowCodes, rulesFor, run } from './helpers.ts';

describe('poolRulesFrom', () => {
  it('maps DescribeUserPool fields to rules', () => {
    const rules = poolRulesFrom(
      {
        Id: 'us-east-1_AbC123',
        AutoVerifiedAttributes: ['phone_number', 'email'],
        MfaConfiguration: 'ON',
        UsernameConfiguration: { CaseSensitive: false },
        UsernameAttributes: ['email'],
        SchemaAttributes: [
          { Name: 'sub', AttributeDataType: 'String', Required: true },
          { Name: 'email', AttributeDataType: 'String', Required: true },
          { Name: 'dev:custom:secret', AttributeDataType: 'String' },
          {
            Name: 'custom:age',
            AttributeDataType: 'Number',
            NumberAttributeConstraints: { MinValue: '18', MaxValue: '130' },
          },
          {
            Name: 'custom:nick',
            AttributeDataType: 'String',
            StringAttributeConstraints: { MinLength: '1', MaxLength: '20' },
          },
        ],
      },
      [...STANDARD_CSV_HEADER, 'custom:age', 'custom:nick'],
      { passwordHashingAlgorithm: 'BCRYPT' },
    );
    expect(rules).toEqual({
      userPoolId: 'us-east-1_AbC123',
      csvHeader: [...STANDARD_CSV_HEADER, 'custom:age', 'custom:nick'],
      autoVerified: ['phone_number', 'email'],
      mfa: 'ON',
      caseSensitive: false,
      required: ['email'],
      custom: {
        'custom:age': { type: 'Number', minValue: 18, maxValue: 130 },
        'custom:nick': { type: 'String', minLength: 1, maxLength: 20 },
      },
      usernameAttributes: ['email'],
      passwordHashingAlgorithm: 'BCRYPT',
    });
    expect(JSON.parse(JSON.stringify(rules))).toEqual(rules);
  });

  it('treats a pool without UsernameConfiguration as case-sensitive and without MFA', () => {
    const rules = poolRulesFrom({}, []);
    expect(rules.caseSensitive).toBe(true);
    expect(rules.mfa).toBe('OFF');
    expect(rules.autoVerified).toEqual([]);
  });
});

describe('row rules: each with a passing and a failing row', () => {
  it('accepts the reference row', async () => {
    expect(await rowCodes({})).toEqual([]);
  });

  it('rejects an empty username', async () => {
    expect(await rowCodes({ 'cognito:username': '' })).toEqual(['username.empty']);
  });

  it('rejects a username with a space', async () => {
    expect(await rowCodes({ 'cognito:username': 'jane doe' })).toEqual(['username.whitespace']);
  });

  it('rejects a username with a tab', async () => {
    expect(await rowCodes({ 'cognito:username': 'jane\tdoe' })).toEqual(['username.whitespace']);
  });

  it('accepts a non-ASCII username and one with an escaped comma', async () => {
    expect(await rowCodes({ 'cognito:username': 'zoë.müller' })).toEqual([]);
    expect(await rowCodes({ 'cognito:username': 'doe,jane' })).toEqual([]);
  });

  it('reports a duplicated username on the later line, naming the first', async () => {
    const text = cognitoCsv([GOOD, { ...GOOD, 'cognito:username': 'other' }, GOOD]);
    const { report } = await run(text);
    expect(issuesOf(report)).toEqual(['4 username.duplicate']);
    expect(report.issues[0]?.message).toContain('line 2');
    expect(report.issues[0]?.row).toBe(3);
  });

  it('reports usernames differing only by case as duplicates in a case-insensitive pool', async () => {
    const text = cognitoCsv([GOOD, { ...GOOD, 'cognito:username': 'JDoe' }]);
    const { report } = await run(
      text,
      rulesFor({ UsernameConfiguration: { CaseSensitive: false } }),
    );
    expect(issuesOf(report)).toEqual(['3 username.duplicate']);
  });

  it('folds non-ASCII case in a case-insensitive pool', async () => {
    const text = cognitoCsv([
      { ...GOOD, 'cognito:username': 'ÉLODIE' },
      { ...GOOD, 'cognito:username': 'élodie' },
    ]);
    const { report } = await run(
      text,
      rulesFor({ UsernameConfiguration: { CaseSensitive: false } }),
    );
    expect(issuesOf(report)).toEqual(['3 username.duplicate']);
  });

  it('warns about usernames differing only by case in a case-sensitive pool', async () => {
    const text = cognitoCsv([GOOD, { ...GOOD, 'cognito:username': 'JDoe' }]);
    const { report } = await run(
      text,
      rulesFor({ UsernameConfiguration: { CaseSensitive: true } }),
    );
    expect(issuesOf(report)).toEqual(['3 username.case-duplicate']);
    expect(report.issues[0]?.severity).toBe('warning');
    expect(report.invalidRows).toBe(0);
  });

  it('reports exact duplicates in a case-sensitive pool as duplicates, not case duplicates', async () => {
    const text = cognitoCsv([GOOD, GOOD]);
    const { report } = await run(
      text,
      rulesFor({ UsernameConfiguration: { CaseSensitive: true } }),
    );
    expect(issuesOf(report)).toEqual(['3 username.duplicate']);
  });

  it('makes duplicate usernames warnings, not errors, when asked to', async () => {
    const { report } = await run(cognitoCsv([GOOD, GOOD]), rulesFor(), {
      duplicateUsernames: 'warning',
    });
    expect(report.issues.map((i) => [i.code, i.severity])).toEqual([
      ['username.duplicate', 'warning'],
    ]);
    expect(report.invalidRows).toBe(0);
    expect(report.valid).toBe(true);
  });

  it('requires the only auto-verified attribute to be true', async () => {
    expect(await rowCodes({ email_verified: 'false' })).toEqual(['verified.none-true']);
    expect(await rowCodes({ email_verified: '' })).toEqual(['verified.none-true']);
    const phoneOnly = rulesFor({ AutoVerifiedAttributes: ['phone_number'] });
    expect(await rowCodes({ phone_number_verified: 'true' }, phoneOnly)).toEqual([]);
    expect(await rowCodes({}, phoneOnly)).toEqual(['verified.none-true']);
  });

  it('requires one of two auto-verified attributes to be true', async () => {
    const both = rulesFor({ AutoVerifiedAttributes: ['email', 'phone_number'] });
    expect(
      await rowCodes({ email_verified: 'false', phone_number_verified: 'true' }, both),
    ).toEqual([]);
    expect(
      await rowCodes({ email_verified: 'false', phone_number_verified: 'false' }, both),
    ).toEqual(['verified.none-true']);
  });

  it('requires an email when email_verified is true', async () => {
    expect(await rowCodes({ email: '', email_verified: 'true' })).toEqual([
      'email.missing-when-verified',
    ]);
  });

  it('requires a phone number when phone_number_verified is true', async () => {
    expect(await rowCodes({ phone_number_verified: 'true' })).toEqual([]);
    expect(await rowCodes({ phone_number: '', phone_number_verified: 'true' })).toEqual([
      'phone.missing-when-verified',
    ]);
  });

  it('checks that an email has a plausible x@y shape', async () => {
    expect(await rowCodes({ email: 'a@b' })).toEqual([]);
    for (const bad of [
      'jane.doe',
      '@example.com',
      'jane@',
      'a@b@c',
      'jane doe@x.com',
      'a,b@x.com',
    ]) {
      expect(await rowCodes({ email: bad }), bad).toEqual(['email.format']);
    }
  });

  it('checks phone numbers are + and digits', async () => {
    expect(await rowCodes({ phone_number: '+442071838750' })).toEqual([]);
    for (const bad of ['+1 432 555 1212', '14325551212', '+1-432-555', '(432) 555-1212', '+']) {
      expect(await rowCodes({ phone_number: bad }), bad).toEqual(['phone.format']);
    }
  });

  it('accepts booleans in any case and rejects other words', async () => {
    expect(await rowCodes({ email_verified: 'TRUE', phone_number_verified: 'False' })).toEqual([]);
    expect(await rowCodes({ phone_number_verified: 'yes' })).toEqual(['boolean.format']);
    expect(await rowCodes({ 'cognito:mfa_enabled': '1' })).toEqual(['boolean.format']);
  });

  it('checks cognito:mfa_enabled against an MFA-required pool', async () => {
    const on = rulesFor({ MfaConfiguration: 'ON' });
    expect(await rowCodes({ 'cognito:mfa_enabled': 'true' }, on)).toEqual([]);
    expect(await rowCodes({ 'cognito:mfa_enabled': '' }, on)).toEqual([]);
    expect(await rowCodes({ 'cognito:mfa_enabled': 'false' }, on)).toEqual(['mfa.pool-mismatch']);
  });

  it('checks cognito:mfa_enabled against an MFA-off pool', async () => {
    const off = rulesFor({ MfaConfiguration: 'OFF' });
    expect(await rowCodes({ 'cognito:mfa_enabled': '' }, off)).toEqual([]);
    expect(await rowCodes({ 'cognito:mfa_enabled': 'true' }, off)).toEqual(['mfa.pool-mismatch']);
  });

  it('accepts any cognito:mfa_enabled in an optional-MFA pool', async () => {
    const optional = rulesFor({ MfaConfiguration: 'OPTIONAL' });
    for (const v of ['true', 'false', '']) {
      expect(await rowCodes({ 'cognito:mfa_enabled': v }, optional)).toEqual([]);
    }
  });

  it('checks birthdate is a real mm/dd/yyyy date', async () => {
    expect(await rowCodes({ birthdate: '02/29/2000' })).toEqual([]);
    for (const bad of ['1985-02-01', '2/1/1985', '13/01/1985', '02/30/1985', '02/29/1900']) {
      expect(await rowCodes({ birthdate: bad }), bad).toEqual(['birthdate.format']);
    }
  });

  it('checks updated_at is whole epoch seconds', async () => {
    expect(await rowCodes({ updated_at: '0' })).toEqual([]);
    for (const bad of ['1471453471000', '1471453471.5', '-5', '2016-08-17']) {
      expect(await rowCodes({ updated_at: bad }), bad).toEqual(['updated_at.format']);
    }
  });

  it('requires attributes the pool marks required', async () => {
    const rules = rulesFor({
      SchemaAttributes: [{ Name: 'given_name', AttributeDataType: 'String', Required: true }],
    });
    expect(await rowCodes({}, rules)).toEqual([]);
    expect(await rowCodes({ given_name: '' }, rules)).toEqual(['required.missing']);
  });

  it('reports a required attribute with no column once, on the header', async () => {
    const rules = rulesFor({
      SchemaAttributes: [{ Name: 'given_name', AttributeDataType: 'String', Required: true }],
    });
    const header = HEADER.filter((h) => h !== 'given_name');
    const { report } = await run(cognitoCsv([GOOD], header), rules);
    expect(issuesOf(report, true)).toEqual(['1 required.missing@given_name']);
    expect(report.valid).toBe(false);
  });

  it('checks the type of a Number custom attribute', async () => {
    expect(await rowCodes({ 'custom:tier': '10' })).toEqual([]);
    expect(await rowCodes({ 'custom:tier': 'gold' })).toEqual(['custom.type']);
  });

  it('checks the bounds of a Number custom attribute', async () => {
    expect(await rowCodes({ 'custom:tier': '0' })).toEqual([]);
    expect(await rowCodes({ 'custom:tier': '11' })).toEqual(['custom.bounds']);
    expect(await rowCodes({ 'custom:tier': '-1' })).toEqual(['custom.bounds']);
  });

  it('checks the length bounds of a String custom attribute in characters', async () => {
    expect(await rowCodes({ 'custom:team': 'ünïcödé!' })).toEqual([]);
    expect(await rowCodes({ 'custom:team': 'x' })).toEqual(['custom.bounds']);
    expect(await rowCodes({ 'custom:team': 'ninechars' })).toEqual(['custom.bounds']);
  });

  it('checks a value is at most 2,048 characters (not bytes)', async () => {
    expect(await rowCodes({ address: 'é'.repeat(2048) })).toEqual([]);
    expect(await rowCodes({ address: 'a'.repeat(2049) })).toEqual(['value.too-long']);
  });

  it('checks a row is at most 16,000 characters', async () => {
    const long = { address: 'a'.repeat(2000), name: 'b'.repeat(2000), nickname: 'c'.repeat(2000) };
    const more = {
      ...long,
      profile: 'd'.repeat(2000),
      picture: 'e'.repeat(2000),
      website: 'f'.repeat(2000),
      locale: 'g'.repeat(2000),
      zoneinfo: 'h'.repeat(2000),
    };
    expect(await rowCodes(long)).toEqual([]);
    expect(await rowCodes(more)).toEqual(['line.too-long']);
  });

  it('checks password hashes when an algorithm is set', async () => {
    const rules = rulesFor({}, { passwordHashingAlgorithm: 'BCRYPT' }, [
      ...HEADER,
      'password_hash',
    ]);
    const hash = `$2b$10$${'a'.repeat(53)}`;
    const check = async (value: string) => {
      const text = cognitoCsv([{ ...GOOD, password_hash: value }], [...HEADER, 'password_hash']);
      return (await run(text, rules)).report.issues.map((i) => i.code);
    };
    expect(await check(hash)).toEqual([]);
    expect(await check('')).toEqual([]);
    expect(await check('not-a-hash')).toEqual(['hash.format']);
    expect(await check(`$2b$13$${'a'.repeat(53)}`)).toEqual(['hash.params']);
    expect(await check('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA')).toEqual([
      'hash.algorithm-mismatch',
    ]);
  });

  it('reads argon2id hashes whose commas are escaped in the CSV', async () => {
    const header = [...HEADER, 'password_hash'];
    const rules = rulesFor({}, { passwordHashingAlgorithm: 'ARGON2ID' }, header);
    const ok = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    const tooHard = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    const { report } = await run(
      cognitoCsv(
        [
          { ...GOOD, password_hash: ok },
          { ...GOOD, 'cognito:username': 'b', password_hash: tooHard },
        ],
        header,
      ),
      rules,
    );
    expect(issuesOf(report)).toEqual(['3 hash.params']);
  });
});

describe('header rules', () => {
  it('accepts the full header in any order', async () => {
    const shuffled = [...HEADER].reverse();
    const { report } = await run(cognitoCsv([GOOD], shuffled));
    expect(report.issues).toEqual([]);
    expect(report.valid).toBe(true);
  });

  it('rejects a column the pool does not have, without echoing an unknown name', async () => {
    const { report } = await run(cognitoCsv([GOOD], [...HEADER, 'jane@example.com']));
    expect(issuesOf(report, true)).toEqual([`1 header.unknown@#${HEADER.length + 1}`]);
    expect(report.issues[0]?.message).not.toContain('jane');
  });

  it('suggests the spelling of a column that differs only in case', async () => {
    const header = HEADER.map((h) => (h === 'email' ? 'Email' : h));
    const { report } = await run(cognitoCsv([GOOD], header));
    expect(issuesOf(report, true)).toEqual([
      '1 header.unknown@#10',
      '1 header.missing-column@email',
      '2 email.missing-when-verified',
    ]);
    expect(report.issues[0]?.message).toContain('did you mean email?');
  });

  it('rejects a duplicated column', async () => {
    const { report } = await run(cognitoCsv([GOOD], [...HEADER, 'email']));
    expect(issuesOf(report, true)).toEqual(['1 header.duplicate@email']);
  });

  it('rejects an empty column name', async () => {
    const { report } = await run(cognitoCsv([GOOD], [...HEADER, '']));
    expect(issuesOf(report)).toEqual(['1 header.empty']);
  });

  it('rejects a header without cognito:username', async () => {
    const header = HEADER.filter((h) => h !== 'cognito:username');
    const { report } = await run(cognitoCsv([GOOD], header));
    expect(report.issues.map((i) => i.code)).toEqual([
      'header.missing-username',
      'header.missing-column',
    ]);
  });

  it('warns about each missing GetCSVHeader column but accepts the subset', async () => {
    const header = ['cognito:username', 'email', 'email_verified'];
    const { report } = await run(cognitoCsv([GOOD], header));
    expect(report.counts['header.missing-column']).toBe(HEADER.length - 3);
    expect(report.errors).toBe(0);
    expect(report.valid).toBe(true);
  });

  it('rejects a file without any verified column the pool needs', async () => {
    const header = HEADER.filter((h) => h !== 'email_verified');
    const { report } = await run(cognitoCsv([GOOD], header));
    expect(issuesOf(report, true)).toEqual([
      '1 verified.column-missing@email_verified',
      '2 verified.none-true',
    ]);
  });

  it('rejects a pool with no auto-verified attribute', async () => {
    const { report } = await run(cognitoCsv([GOOD]), rulesFor({ AutoVerifiedAttributes: [] }));
    expect(issuesOf(report)).toEqual(['1 pool.no-auto-verified']);
    expect(report.valid).toBe(false);
  });

  it('requires a password_hash column when a hashing algorithm is set', async () => {
    const { report } = await run(
      cognitoCsv([GOOD]),
      rulesFor({}, { passwordHashingAlgorithm: 'SCRYPT' }),
    );
    expect(issuesOf(report)).toEqual(['1 hash.column-missing']);
    expect(report.fileErrors).toBe(1);
  });

  it('takes a password_hash column without an algorithm: each hash names its own', async () => {
    const header = [...HEADER, 'password_hash'];
    const { report } = await run(cognitoCsv([GOOD], header));
    expect(issuesOf(report, true)).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.passwordHashes).toEqual({ none: 1 });
  });

  it('warns when the pool uses email or phone as the username', async () => {
    const { report } = await run(cognitoCsv([GOOD]), rulesFor({ UsernameAttributes: ['email'] }));
    expect(issuesOf(report)).toEqual(['1 pool.username-attributes']);
  });
});

describe('rule codes', () => {
  it('has a message for every code that names no cell value', async () => {
    const { messageFor } = await import('../../../src/csv/index.ts');
    for (const code of RULE_CODES) {
      const text = messageFor(code, { line: 7, column: 'email', detail: 3 });
      expect(text.length, code).toBeGreaterThan(10);
    }
  });

  it('documents the pool used by these tests', () => {
    expect(POOL.AutoVerifiedAttributes).toEqual(['email']);
  });
});
