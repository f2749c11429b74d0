/**
 * The bad-CSV corpus, through the whole workflow (the starter, the real ASL and handlers on the
 * twin), not only the CSV engine: each file is dropped into the bucket as a user would, and each
 * must end with the right outcome — REJECTED with the rule on its line, or imported with the
 * change or warning noted — without a crash, without an import job for a rejected file, and with
 * a reason a person can act on that quotes no value of the file.
 *
 * The file-size and row-count limits are in corpus-limits.test.ts (they need their own settings).
 */

import type { CreateUserPoolCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/workflow/types.ts';
import { type Ended, type Fixture, startFixture } from './fixture.ts';

/** Every column a case may use; a case's header is the subset it names. */
const GOOD: Record<string, string> = {
  'cognito:username': 'jdoe',
  name: 'Jane Doe',
  email: 'jane.doe@example.com',
  email_verified: 'true',
  phone_number: '+447700900123',
  phone_number_verified: 'false',
  birthdate: '02/01/1985',
  updated_at: '1471453471',
  'cognito:mfa_enabled': 'false',
  'custom:tier': '3',
  'custom:team': 'blue',
};
const COLUMNS = Object.keys(GOOD);

/** A header and rows: each row is GOOD with a username `u<i>`, its email, and the changes given. */
function file(rows: Record<string, string>[], columns = COLUMNS): string {
  const lines = [columns.join(',')];
  rows.forEach((changes, i) => {
    const user = `u${i}`;
    const row: Record<string, string> = {
      ...GOOD,
      'cognito:username': user,
      email: `${user}.person@example.com`,
      ...changes,
    };
    lines.push(columns.map((c) => row[c] ?? '').join(','));
  });
  return `${lines.join('\n')}\n`;
}
const ok = (n: number) => Array.from({ length: n }, () => ({}));
/** One good row, then the bad one (line 3), then another good row. */
const bad = (changes: Record<string, string>, columns = COLUMNS) =>
  file([{}, changes, {}], columns);
const text = (s: string) => Buffer.from(s, 'utf8');

type PoolKind = 'main' | 'sensitive' | 'phone' | 'required' | 'mfaOn';

interface Case {
  name: string;
  data: string | Buffer;
  pool?: PoolKind;
  options?: Record<string, unknown>;
  status: Outcome['status'];
  /** `<line> <code>` the validation report must hold (line 0: the file). */
  issue?: string;
  /** For REJECTED: what the reason says. */
  reason?: RegExp;
}

const H = COLUMNS.join(',');
const row1 = bad({}).split('\n')[1] as string;

const CASES: Case[] = [
  // ------------------------------------------------------------- empty and almost empty
  { name: 'an empty file', data: '', status: 'REJECTED', reason: /The file is empty/ },
  { name: 'only blank lines', data: '\n\r\n  \n', status: 'REJECTED', issue: '0 file.empty' },
  { name: 'a header only', data: `${H}\n`, status: 'REJECTED', issue: '0 file.no-rows' },
  { name: 'a header only, no final newline', data: H, status: 'REJECTED', issue: '0 file.no-rows' },
  // ------------------------------------------------------------- bytes that are not UTF-8 text
  {
    name: 'a binary file (PNG)',
    data: Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      Buffer.from('IHDR'),
      Buffer.alloc(64, 0xff),
    ]),
    status: 'REJECTED',
  },
  {
    name: 'a gzip file',
    data: Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x4c, 0x4a, 0x06, 0, 0]),
    status: 'REJECTED',
  },
  {
    name: 'NUL bytes in a row',
    data: bad({ name: 'Ja\u0000ne' }),
    status: 'REJECTED',
    issue: '3 encoding.nul',
  },
  {
    name: 'a UTF-16 file',
    data: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(file(ok(2)), 'utf16le')]),
    status: 'REJECTED',
    issue: '1 encoding.utf16',
  },
  {
    name: 'a Latin-1 (not UTF-8) row',
    data: Buffer.concat([
      text(`${H}\n${row1}\n`),
      Buffer.from(`${row1.replace('jdoe', 'u9').replace('Jane', 'Zoë')}\n`, 'latin1'),
    ]),
    status: 'REJECTED',
    issue: '3 encoding.invalid-utf8',
  },
  {
    name: 'a non-UTF-8 header',
    data: Buffer.concat([Buffer.from([0x63, 0xe9, 0x2c]), text(file(ok(1)))]),
    status: 'REJECTED',
    issue: '1 header.invalid',
  },
  // ------------------------------------------------------------- spreadsheet habits (normalised)
  {
    name: 'a UTF-8 byte order mark',
    data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(file(ok(2)))]),
    status: 'SUCCEEDED',
  },
  { name: 'CRLF line ends', data: file(ok(2)).replace(/\n/g, '\r\n'), status: 'SUCCEEDED' },
  {
    name: 'CRLF and LF mixed',
    data: file(ok(3)).replace(/\n/, '\r\n'),
    status: 'SUCCEEDED',
  },
  {
    name: 'blank lines between rows',
    data: file(ok(2)).replace('\n', '\n\n\n'),
    status: 'SUCCEEDED',
  },
  {
    name: 'RFC 4180 quoting, a quoted comma and doubled quotes',
    data: bad({ name: '"O""Brien, Rob"' }),
    status: 'SUCCEEDED',
  },
  { name: 'TRUE and True booleans', data: bad({ email_verified: 'TRUE' }), status: 'SUCCEEDED' },
  { name: 'spaces around values', data: bad({ name: '  Jane  ' }), status: 'SUCCEEDED' },
  // ------------------------------------------------------------- broken quoting and lines
  {
    name: 'an unterminated quote',
    data: bad({ name: '"Jane Doe' }),
    status: 'REJECTED',
    issue: '3 quote.unterminated',
  },
  {
    name: 'text after a closing quote',
    data: bad({ name: '"Jane"Doe' }),
    status: 'REJECTED',
    issue: '3 quote.unescaped',
  },
  {
    name: 'a quoted value with a line break',
    data: bad({ name: '"Jane\nDoe"' }),
    status: 'REJECTED',
    issue: '3 value.newline',
  },
  {
    name: 'old Mac line ends (CR only): one long line',
    data: file(ok(3)).replace(/\n/g, '\r'),
    status: 'REJECTED',
  },
  {
    name: 'a row over 16,000 characters',
    data: bad({ name: 'x'.repeat(16_001) }),
    status: 'REJECTED',
    issue: '3 line.too-long',
  },
  {
    name: 'a header over 64,000 characters',
    data: `${'h'.repeat(70_000)}\n${row1}\n`,
    status: 'REJECTED',
    issue: '1 line.too-long',
  },
  {
    // The validator reports the unknown column, not the length (line.too-long is only seen past
    // the reader's 64 KB line buffer for a header): the file is refused either way.
    name: 'a header of 20,000 characters',
    data: `${'h'.repeat(20_000)}\n${row1}\n`,
    status: 'REJECTED',
    issue: '1 header.unknown',
  },
  {
    name: 'a value over 2,048 characters',
    data: bad({ name: 'x'.repeat(2_049) }),
    status: 'REJECTED',
    issue: '3 value.too-long',
  },
  {
    name: 'a value ending in a backslash (and a space) before a comma',
    data: bad({ name: 'Jane\\ ' }),
    status: 'REJECTED',
    issue: '3 value.unrepresentable',
  },
  {
    name: 'a backslash right before a comma, read as an escaped comma',
    data: bad({ name: 'Jane\\' }),
    status: 'REJECTED',
    issue: '3 field-count',
  },
  // ------------------------------------------------------------- wrong column counts
  {
    name: 'an unescaped comma (one value too many)',
    data: bad({ name: 'Doe, Jane' }),
    status: 'REJECTED',
    issue: '3 field-count',
  },
  {
    name: 'a row one value short',
    data: `${H}\n${row1}\n${row1.replace('jdoe', 'u8').replace(/,[^,]*$/, '')}\n`,
    status: 'REJECTED',
    issue: '3 field-count',
  },
  // ------------------------------------------------------------- the header
  {
    name: 'a duplicated header column',
    data: file(ok(1), [...COLUMNS, 'email']),
    status: 'REJECTED',
    issue: '1 header.duplicate',
  },
  {
    name: 'an unknown header column',
    data: file(ok(1), [...COLUMNS, 'favourite_colour']),
    status: 'REJECTED',
    issue: '1 header.unknown',
  },
  {
    name: 'a misspelt header column',
    data: file(
      ok(1),
      COLUMNS.map((c) => (c === 'email' ? 'e-mail' : c)),
    ),
    status: 'REJECTED',
    issue: '1 header.unknown',
  },
  {
    name: 'an empty header name (a trailing comma)',
    data: `${H},\n${row1},\n`,
    status: 'REJECTED',
    issue: '1 header.empty',
  },
  {
    name: 'no cognito:username column',
    data: file(ok(1), COLUMNS.slice(1)),
    status: 'REJECTED',
    issue: '1 header.missing-username',
  },
  {
    name: 'no email_verified column in an email-verifying pool',
    data: file(
      ok(1),
      COLUMNS.filter((c) => c !== 'email_verified'),
    ),
    status: 'REJECTED',
    issue: '1 verified.column-missing',
  },
  {
    name: 'no column for an attribute the pool requires',
    pool: 'required',
    data: file(
      ok(1),
      COLUMNS.filter((c) => c !== 'name'),
    ),
    status: 'REJECTED',
    issue: '1 required.missing',
  },
  // ------------------------------------------------------------- usernames
  {
    name: 'an empty username',
    data: bad({ 'cognito:username': '' }),
    status: 'REJECTED',
    issue: '3 username.empty',
  },
  {
    name: 'a username with a space',
    data: bad({ 'cognito:username': 'jane doe' }),
    status: 'REJECTED',
    issue: '3 username.whitespace',
  },
  {
    name: 'a username with a tab',
    data: bad({ 'cognito:username': 'jane\tdoe' }),
    status: 'REJECTED',
    issue: '3 username.whitespace',
  },
  {
    name: 'a duplicate username',
    data: file([
      { 'cognito:username': 'same' },
      { 'cognito:username': 'same', email: 'x2@example.com' },
    ]),
    status: 'REJECTED',
    issue: '3 username.duplicate',
  },
  {
    name: 'usernames differing only in case, in a case-insensitive pool',
    data: file([
      { 'cognito:username': 'Anna' },
      { 'cognito:username': 'anna', email: 'a2@example.com' },
    ]),
    status: 'REJECTED',
    issue: '3 username.duplicate',
  },
  {
    name: 'usernames differing only in case, in a case-sensitive pool (a warning: two users)',
    pool: 'sensitive',
    data: file([
      { 'cognito:username': 'Bob' },
      { 'cognito:username': 'bob', email: 'b2@example.com' },
    ]),
    status: 'SUCCEEDED',
    issue: '3 username.case-duplicate',
  },
  // ------------------------------------------------------------- every value rule
  {
    name: 'no auto-verified attribute true',
    data: bad({ email_verified: 'false' }),
    status: 'REJECTED',
    issue: '3 verified.none-true',
  },
  {
    name: 'phone_number_verified false in a phone-verifying pool',
    pool: 'phone',
    data: file([
      { phone_number_verified: 'true' },
      { phone_number_verified: 'false' },
      { phone_number_verified: 'true' },
    ]),
    status: 'REJECTED',
    issue: '3 verified.none-true',
  },
  {
    name: 'email empty while email_verified is true',
    data: bad({ email: '' }),
    status: 'REJECTED',
    issue: '3 email.missing-when-verified',
  },
  {
    name: 'phone_number empty while phone_number_verified is true',
    data: bad({ phone_number: '', phone_number_verified: 'true' }),
    status: 'REJECTED',
    issue: '3 phone.missing-when-verified',
  },
  {
    name: 'an email that is not an address',
    data: bad({ email: 'jane.doe.example.com' }),
    status: 'REJECTED',
    issue: '3 email.format',
  },
  {
    name: 'a phone number with spaces and brackets',
    data: bad({ phone_number: '(432) 555-1212' }),
    status: 'REJECTED',
    issue: '3 phone.format',
  },
  {
    name: 'a boolean that is "yes"',
    data: bad({ phone_number_verified: 'yes' }),
    status: 'REJECTED',
    issue: '3 boolean.format',
  },
  {
    name: 'cognito:mfa_enabled true in a pool with MFA off',
    data: bad({ 'cognito:mfa_enabled': 'true' }),
    status: 'REJECTED',
    issue: '3 mfa.pool-mismatch',
  },
  {
    name: 'cognito:mfa_enabled false in a pool that requires MFA',
    pool: 'mfaOn',
    data: file([
      { 'cognito:mfa_enabled': 'true' },
      { 'cognito:mfa_enabled': 'false' },
      { 'cognito:mfa_enabled': 'true' },
    ]),
    status: 'REJECTED',
    issue: '3 mfa.pool-mismatch',
  },
  {
    name: 'a birthdate written yyyy-mm-dd',
    data: bad({ birthdate: '1985-02-01' }),
    status: 'REJECTED',
    issue: '3 birthdate.format',
  },
  {
    name: 'a birthdate that is no date (02/30/1985)',
    data: bad({ birthdate: '02/30/1985' }),
    status: 'REJECTED',
    issue: '3 birthdate.format',
  },
  {
    name: 'updated_at in milliseconds',
    data: bad({ updated_at: '1471453471000' }),
    status: 'REJECTED',
    issue: '3 updated_at.format',
  },
  {
    name: 'a custom Number attribute that is a word',
    data: bad({ 'custom:tier': 'gold' }),
    status: 'REJECTED',
    issue: '3 custom.type',
  },
  {
    name: 'a custom Number attribute over its maximum',
    data: bad({ 'custom:tier': '11' }),
    status: 'REJECTED',
    issue: '3 custom.bounds',
  },
  {
    name: 'a custom String attribute over its maximum length',
    data: bad({ 'custom:team': 'much-too-long' }),
    status: 'REJECTED',
    issue: '3 custom.bounds',
  },
  {
    name: 'an attribute the pool requires, empty',
    pool: 'required',
    data: bad({ name: '' }),
    status: 'REJECTED',
    issue: '3 required.missing',
  },
  // ------------------------------------------------------------- password hashes
  {
    name: 'a hash algorithm without a password_hash column',
    options: { passwordHashingAlgorithm: 'BCRYPT' },
    data: file(ok(1)),
    status: 'REJECTED',
    issue: '1 hash.column-missing',
  },
  {
    name: 'a password_hash that is no bcrypt hash',
    options: { passwordHashingAlgorithm: 'BCRYPT' },
    data: file([{}, { password_hash: 'hunter2' }], [...COLUMNS, 'password_hash']),
    status: 'REJECTED',
    issue: '3 hash.format',
  },
  {
    name: 'a bcrypt hash over the cost limit',
    options: { passwordHashingAlgorithm: 'BCRYPT' },
    data: file([{}, { password_hash: `$2b$13$${'a'.repeat(53)}` }], [...COLUMNS, 'password_hash']),
    status: 'REJECTED',
    issue: '3 hash.params',
  },
  {
    name: 'an argon2id hash in a bcrypt job',
    options: { passwordHashingAlgorithm: 'BCRYPT' },
    data: file(
      [{}, { password_hash: '$argon2id$v=19$m=19456\\,t=2\\,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo' }],
      [...COLUMNS, 'password_hash'],
    ),
    status: 'REJECTED',
    issue: '3 hash.algorithm-mismatch',
  },
  {
    name: 'an argon2id hash whose commas are not escaped (\\,)',
    options: { passwordHashingAlgorithm: 'ARGON2ID' },
    data: file(
      [{}, { password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo' }],
      [...COLUMNS, 'password_hash'],
    ),
    status: 'REJECTED',
    issue: '3 field-count',
  },
  // ------------------------------------------------------------- the skip policy
  {
    name: 'invalid rows with invalidRows "skip": the rest imports',
    options: { invalidRows: 'skip' },
    data: bad({ email: 'nope' }),
    status: 'PARTIAL',
    issue: '3 email.format',
  },
  {
    name: 'only invalid rows with invalidRows "skip"',
    options: { invalidRows: 'skip' },
    data: file([{ email: 'nope' }, { email_verified: 'maybe' }]),
    status: 'REJECTED',
    issue: '0 file.no-valid-rows',
  },
];

let f: Fixture;
const results = new Map<string, Ended & { pool: string; data: Buffer }>();

beforeAll(async () => {
  f = await startFixture({ cognito: { pace: { pendingMs: 20 } } });
  const schema = [
    {
      Name: 'tier',
      AttributeDataType: 'Number' as const,
      NumberAttributeConstraints: { MinValue: '0', MaxValue: '10' },
    },
    {
      Name: 'team',
      AttributeDataType: 'String' as const,
      StringAttributeConstraints: { MinLength: '2', MaxLength: '8' },
    },
  ];
  const kinds: Record<PoolKind, Partial<CreateUserPoolCommandInput>> = {
    main: { Schema: schema, UsernameConfiguration: { CaseSensitive: false } },
    sensitive: { Schema: schema, UsernameConfiguration: { CaseSensitive: true } },
    phone: { Schema: schema, AutoVerifiedAttributes: ['phone_number'] },
    required: {
      Schema: [...schema, { Name: 'name', AttributeDataType: 'String', Required: true }],
    },
    mfaOn: { Schema: schema, MfaConfiguration: 'ON' },
  };
  // All at once: the rejected ones never reach Cognito's import; the others wait for the slot.
  await Promise.all(
    CASES.map(async (c, i) => {
      // A pool per case: the same usernames in two cases would be SKIPPED the second time.
      const pool = await f.createPool(kinds[c.pool ?? 'main']);
      const data = Buffer.isBuffer(c.data) ? c.data : text(c.data);
      const key = `incoming/${pool}/case-${i}.upload`;
      await f.put(key, data);
      const arn = f.start(
        {
          bucket: f.twin.bucket,
          key,
          userPoolId: pool,
          ...(c.options ? { options: c.options } : {}),
        },
        `corpus-${i}`,
      );
      results.set(c.name, { ...(await f.finish(arn)), pool, data });
    }),
  );
}, 120_000);

afterAll(async () => {
  await f.stop();
});

/** The emails and phone numbers of a file, which no reason or report message may quote. */
function personalData(data: Buffer): string[] {
  const body = data.toString('utf8');
  return [
    // Bounded repeats: a 70,000-letter line must not take seconds to search.
    ...(body.match(/[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g) ?? []),
    ...(body.match(/\+\d{8,15}/g) ?? []),
  ];
}

describe(`a corpus of ${CASES.length} bad CSV files, through the workflow`, () => {
  it('holds at least 40 kinds of bad file', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const result = results.get(c.name);
    if (!result) throw new Error('the case did not run');
    const { execution, outcome, states, pool, data } = result;
    // No crash: the run went through ReportOutcome to its own end, with an outcome.
    expect(states).toContain('ReportOutcome');
    expect(execution.error ?? '').not.toBe('OutcomeNotReported');
    expect(outcome?.status).toBe(c.status);
    const jobs = (await f.jobs(pool)).filter((j) => j.JobName?.startsWith(`${execution.name}-`));
    if (c.status === 'REJECTED') {
      expect(execution.error).toBe('CsvRejected');
      // No import job for a rejected file.
      expect(jobs).toEqual([]);
      // A reason a person can act on: a sentence that says what is wrong and where.
      expect(outcome?.reason ?? '').toMatch(/^[A-Z0-9].{30,}[.)]$/s);
      if (c.reason) expect(outcome?.reason).toMatch(c.reason);
    } else {
      expect(jobs.map((j) => j.Status)).toEqual(['Succeeded']);
    }
    const report = outcome?.validation
      ? (JSON.parse(await f.readText(outcome.validation.reportKey)) as {
          issues: { line: number; code: string; message: string }[];
        })
      : undefined;
    if (c.issue) {
      const [line, code] = c.issue.split(' ');
      const found = report?.issues.find((i) => i.code === code);
      expect(found, `${c.issue} in ${JSON.stringify(report?.issues)}`).toBeDefined();
      expect(found?.line).toBe(Number(line));
      expect(found?.message).toMatch(/^(Line \d+|The file|From line \d+|No row)/);
    }
    // Never a value of the file in what people and logs see.
    const shown = JSON.stringify([outcome, report?.issues.map((i) => i.message), execution.cause]);
    for (const value of personalData(data)) expect(shown).not.toContain(value);
  });

  it('leaves no import job running and loses no outcome', async () => {
    expect(await f.violations()).toEqual([]);
  });
});
