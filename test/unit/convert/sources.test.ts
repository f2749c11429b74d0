import { describe, expect, it } from 'vitest';
import {
  type ConvertOptions,
  type ConvertReport,
  convertExport,
  type LeftOutUser,
  MappingError,
  outputColumns,
  parseMapping,
} from '../../../src/convert/index.ts';
import { detectPasswordHash, readRecords } from '../../../src/csv/index.ts';
import { checkPassword } from '../../../twin/cognito/auth/passwords.ts';
import {
  auth0Export,
  csvExport,
  djangoExport,
  firebaseExport,
  type GeneratedExport,
  keycloakExport,
  supabaseExport,
} from '../../helpers/exports.ts';

interface Converted {
  report: ConvertReport;
  rows: Record<string, string>[];
  leftOut: LeftOutUser[];
}

async function run(options: Omit<ConvertOptions, 'onLeftOut'>): Promise<Converted> {
  let text = '';
  const leftOut: LeftOutUser[] = [];
  const report = await convertExport(
    { ...options, onLeftOut: (u) => void leftOut.push(u) },
    {
      write: (t) => {
        text += t;
      },
    },
  );
  const [header, ...records] = readRecords(text, { quotes: false });
  const columns = header?.values ?? [];
  const rows = records.map((r) =>
    Object.fromEntries(columns.map((c, i) => [c, r.values[i] ?? ''])),
  );
  return { report, rows, leftOut };
}

/** Everything a converted export must hold, checked against what was generated. */
async function expectConverted(generated: GeneratedExport, converted: Converted) {
  const { report, rows, leftOut } = converted;
  const byName = new Map(rows.map((r) => [r['cognito:username'], r]));
  expect([...byName.keys()].sort()).toEqual(generated.users.map((u) => u.username).sort());
  for (const user of generated.users) {
    const row = byName.get(user.username) as Record<string, string>;
    expect(row.email_verified === 'true' || row.phone_number_verified === 'true').toBe(true);
    if (!user.keeps) {
      expect(row.password_hash).toBe('');
      continue;
    }
    // The hash verifies with the user's old password, in the format the twin reads.
    const hash = row.password_hash as string;
    const algorithm = detectPasswordHash(hash) as string;
    expect(await checkPassword({ algorithm, value: hash }, user.password)).toBe('match');
    expect(await checkPassword({ algorithm, value: hash }, `${user.password}?`)).toBe('mismatch');
  }
  const reasons: Record<string, number> = {};
  for (const u of generated.users.filter((x) => !x.keeps))
    reasons[u.reason as string] = (reasons[u.reason as string] ?? 0) + 1;
  expect(report.mustReset.reasons).toEqual(reasons);
  expect(report.keepPassword.total).toBe(generated.users.filter((u) => u.keeps).length);
  expect(Object.fromEntries(leftOut.map((u) => [u.id, u.leftOut]))).toEqual(generated.leftOut);
  expect(report.converted).toBe(generated.users.length);
  expect(report.read).toBe(generated.users.length + Object.keys(generated.leftOut).length);
}

describe('auth0', () => {
  it('joins the user export to the password export; federated, blocked and unverified users are left out', async () => {
    const generated = await auth0Export();
    const converted = await run({
      source: 'auth0',
      input: [generated.file],
      passwords: [generated.passwords as Buffer],
    });
    await expectConverted(generated, converted);
    expect(converted.report.keepPassword.byAlgorithm).toEqual({ BCRYPT: 3 });
    expect(converted.report.unmatchedHashes).toBe(1);
    const ada = converted.rows[0] as Record<string, string>;
    expect(ada).toMatchObject({
      given_name: 'ada',
      family_name: 'Example',
      nickname: 'ada',
      picture: 'https://example.com/ada.png',
      updated_at: '1704164645',
    });
    expect(converted.rows.some((r) => r['cognito:username']?.startsWith('google'))).toBe(false);
  });

  it('without the password export, converts every database user to reset', async () => {
    const generated = await auth0Export();
    const { report } = await run({ source: 'auth0', input: [generated.file] });
    expect(report.keepPassword.total).toBe(0);
    expect(report.mustReset.reasons).toEqual({ 'no password export given': 5 });
  });
});

describe('keycloak', () => {
  it('carries pbkdf2-sha256, argon2 within limits and bcrypt; resets the rest, saying why', async () => {
    const generated = await keycloakExport();
    const converted = await run({ source: 'keycloak', input: [generated.file] });
    await expectConverted(generated, converted);
    expect(converted.report.keepPassword.byAlgorithm).toEqual({
      PBKDF2_SHA256: 2,
      ARGON2ID: 1,
      BCRYPT: 1,
    });
    expect(converted.rows[0]).toMatchObject({ given_name: 'pbkdf2.user', locale: 'en' });
  });

  it('reads a directory export: the realm file without users, then each users file', async () => {
    const generated = await keycloakExport();
    const realm = JSON.parse(generated.file.toString());
    const users = realm.users as unknown[];
    const { users: _, ...withoutUsers } = realm;
    const part = (list: unknown[]) => Buffer.from(JSON.stringify({ realm: 'demo', users: list }));
    const converted = await run({
      source: 'keycloak',
      input: [Buffer.from(JSON.stringify(withoutUsers))],
      moreInputs: [[part(users.slice(0, 4))], [part(users.slice(4))]],
    });
    await expectConverted(generated, converted);
  });
});

describe('supabase', () => {
  it('reads auth.users: bcrypt, confirmations, the phone without +, the profile JSON', async () => {
    const generated = await supabaseExport();
    const converted = await run({ source: 'supabase', input: [generated.file] });
    await expectConverted(generated, converted);
    expect(converted.rows[0]).toMatchObject({
      name: 'ada Supa, Jr.',
      picture: 'https://example.com/ada.png',
      phone_number: '+14155550100',
      phone_number_verified: 'true',
      email_verified: 'true',
      updated_at: '1714979289',
    });
  });
});

describe('django', () => {
  it('needs --email-verified: auth_user does not record it', async () => {
    const generated = await djangoExport();
    await expect(run({ source: 'django', input: [generated.file] })).rejects.toThrow(
      /--email-verified true or --email-verified false/,
    );
  });

  it('carries pbkdf2_sha256, argon2id, bcrypt and scrypt within limits; resets the rest', async () => {
    const generated = await djangoExport();
    const converted = await run({ source: 'django', input: [generated.file], emailVerified: true });
    await expectConverted(generated, converted);
    expect(converted.report.keepPassword.byAlgorithm).toEqual({
      PBKDF2_SHA256: 1,
      ARGON2ID: 1,
      BCRYPT: 1,
      SCRYPT: 1,
    });
    expect(converted.report.emailVerified).toBe('true');
  });

  it('with --email-verified false, leaves out users with no verified phone either', async () => {
    const generated = await djangoExport();
    const { report, rows } = await run({
      source: 'django',
      input: [generated.file],
      emailVerified: false,
    });
    expect(rows).toEqual([]);
    expect(report.leftOut.reasons['neither email nor phone number verified']).toBe(9);
  });
});

describe('firebase', () => {
  it('converts local users with their profile and no hash; federated and disabled users are left out', async () => {
    const generated = firebaseExport();
    const converted = await run({ source: 'firebase', input: [generated.file] });
    await expectConverted(generated, converted);
    expect(converted.rows[0]).toMatchObject({ name: 'Ada Fire', password_hash: '' });
    expect(converted.rows[1]).toMatchObject({
      phone_number: '+14155550123',
      phone_number_verified: 'true',
    });
  });
});

describe('csv with a mapping', () => {
  it('maps columns, trims and lowercases, makes phone numbers E.164 and dates Cognito’s', async () => {
    const generated = csvExport();
    const mapping = parseMapping(generated.mapping);
    const converted = await run({ source: 'csv', input: [generated.file], mapping });
    await expectConverted(generated, converted);
    expect(converted.rows[0]).toMatchObject({
      email: 'kim@example.com',
      phone_number: '+442079460018',
      birthdate: '02/01/1985',
      'custom:plan': 'gold',
    });
    expect(converted.rows[1]).toMatchObject({
      phone_number: '+447700900123',
      birthdate: '03/04/1990',
    });
  });

  it('refuses a mapping it cannot follow, saying what is wrong', () => {
    expect(() => parseMapping({ columns: { email: 'Mail' } })).toThrow(/cognito:username/);
    expect(() => parseMapping({ columns: { 'cognito:username': 'a', mail: 'b' } })).toThrow(
      /"mail" is not a Cognito attribute/,
    );
    expect(() =>
      parseMapping({
        columns: { 'cognito:username': 'a', email: { from: 'b', transform: 'phone' } },
      }),
    ).toThrow(/applies to phone_number/);
    expect(() =>
      parseMapping({ columns: { 'cognito:username': 'a' }, defaultCountry: 'uk' }),
    ).toThrow(MappingError);
  });

  it('needs --email-verified when no column says which emails are verified', async () => {
    const mapping = parseMapping({ columns: { 'cognito:username': 'u', email: 'e' } });
    const input = [Buffer.from('u,e\nann,ann@example.com\n')];
    await expect(run({ source: 'csv', input, mapping })).rejects.toThrow(/--email-verified/);
    const { rows } = await run({ source: 'csv', input, mapping, emailVerified: true });
    expect(rows[0]).toMatchObject({ 'cognito:username': 'ann', email_verified: 'true' });
  });
});

describe('values Cognito’s CSV cannot carry', () => {
  it('escapes commas, drops what cannot be written, and leaves out unusable usernames', async () => {
    const mapping = parseMapping({
      columns: {
        'cognito:username': 'u',
        email: 'e',
        name: 'n',
        address: 'a',
        phone_number: 'p',
        website: 'w',
        birthdate: 'b',
      },
    });
    const csv = [
      'u,e,n,a,p,w,b',
      'ok,ok@example.com,"Doe, Jane","line\nbreak",12345,"""quoted""",not a date',
      '"two words",x@example.com,,,,,',
      'bad,not-an-email,,,,,',
    ].join('\n');
    const { rows, report, leftOut } = await run({
      source: 'csv',
      input: [Buffer.from(csv)],
      mapping,
      emailVerified: true,
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 'Doe, Jane',
      address: '',
      phone_number: '',
      website: '',
    });
    expect(report.valuesDropped.reasons).toEqual({
      'address: has a line break': 1,
      'phone_number: no country code': 1,
      'website: has a leading quote': 1,
      'birthdate: not a date': 1,
      'email: not an email address': 1,
    });
    expect(leftOut).toEqual([
      { id: 'two words', leftOut: 'a username with spaces' },
      { id: 'bad', leftOut: 'neither email nor phone number verified' },
    ]);
  });

  it('writes the standard header, custom columns, then password_hash', () => {
    const columns = outputColumns(['custom:plan']);
    expect(columns[0]).toBe('cognito:username');
    expect(columns.slice(-2)).toEqual(['custom:plan', 'password_hash']);
    expect(columns).toHaveLength(23);
  });
});
