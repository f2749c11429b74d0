import { describe, expect, it } from 'vitest';
import { detectPasswordHash, readRecords } from '../../../src/csv/index.ts';
import { cognitoCsv, GOOD, HEADER, issuesOf, rulesFor, run } from './helpers.ts';

const HASHED = [...HEADER, 'password_hash'];
const BCRYPT = `$2b$10$${'a'.repeat(53)}`;
const ARGON2ID = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const PBKDF2 = '$pbkdf2-sha256$600000$c2FsdA$aGFzaA';
const SCRYPT = '16384$8$1$abcdef01$0123456789abcdef';

const user = (name: string, password_hash: string) => ({
  ...GOOD,
  'cognito:username': name,
  password_hash,
});

describe('detectPasswordHash', () => {
  it('names the algorithm each of Cognito’s formats is written in', () => {
    expect(detectPasswordHash(BCRYPT)).toBe('BCRYPT');
    expect(detectPasswordHash(`$2y$12$${'b'.repeat(53)}`)).toBe('BCRYPT');
    expect(detectPasswordHash(ARGON2ID)).toBe('ARGON2ID');
    expect(detectPasswordHash(PBKDF2)).toBe('PBKDF2_SHA256');
    expect(detectPasswordHash(SCRYPT)).toBe('SCRYPT');
    expect(detectPasswordHash('pbkdf2_sha256$600000$salt$hash')).toBeUndefined();
    expect(detectPasswordHash('hunter2')).toBeUndefined();
  });
});

describe('a file with password hashes and no algorithm given', () => {
  it('puts the rows of each algorithm, and those without a hash, in parts of their own', async () => {
    const rows = [
      user('b1', BCRYPT),
      user('none1', ''),
      user('a1', ARGON2ID),
      user('b2', BCRYPT),
      user('p1', PBKDF2),
      user('s1', SCRYPT),
      user('none2', ''),
    ];
    const { report, parts, map } = await run(cognitoCsv(rows, HASHED), rulesFor({}, {}, HASHED));
    expect(report.valid).toBe(true);
    expect(report.passwordHashes).toEqual({
      BCRYPT: 2,
      none: 2,
      ARGON2ID: 1,
      PBKDF2_SHA256: 1,
      SCRYPT: 1,
    });
    // Numbered in the order they start; each labelled with the algorithm of its hashes.
    expect(report.parts.map((p) => [p.part, p.passwordHashingAlgorithm, p.rows])).toEqual([
      [1, 'BCRYPT', 2],
      [2, undefined, 2],
      [3, 'ARGON2ID', 1],
      [4, 'PBKDF2_SHA256', 1],
      [5, 'SCRYPT', 1],
    ]);
    const usernames = (text: string) =>
      readRecords(text, { quotes: false })
        .slice(1)
        .map((r) => r.values[HASHED.indexOf('cognito:username')]);
    expect(parts.map((p) => usernames(p.text()))).toEqual([
      ['b1', 'b2'],
      ['none1', 'none2'],
      ['a1'],
      ['p1'],
      ['s1'],
    ]);
    // Every part starts with the header; the ARGON2ID part keeps the hash's commas escaped.
    for (const part of parts) expect(part.text().split('\n')[0]).toBe(HASHED.join(','));
    expect(parts[2]?.text()).toContain('m=19456\\,t=2\\,p=1');
    // The line map still takes every row of every part back to its source line.
    const entries = readRecords(map.text())
      .slice(1)
      .map((r) => r.values.join(','));
    expect(entries).toEqual([
      '1,1,2,2,1,b1',
      '2,1,2,3,2,none1',
      '3,1,2,4,3,a1',
      '1,2,3,5,4,b2',
      '4,1,2,6,5,p1',
      '5,1,2,7,6,s1',
      '2,2,3,8,7,none2',
    ]);
  });

  it('keeps each algorithm’s parts within the limits', async () => {
    const rows = [
      user('b1', BCRYPT),
      user('b2', BCRYPT),
      user('n1', ''),
      user('b3', BCRYPT),
      user('n2', ''),
    ];
    const { report } = await run(cognitoCsv(rows, HASHED), rulesFor({}, {}, HASHED), {
      partLimits: { maxRows: 2 },
    });
    expect(report.parts.map((p) => [p.part, p.passwordHashingAlgorithm ?? 'none', p.rows])).toEqual(
      [
        [1, 'BCRYPT', 2],
        [2, 'none', 2],
        [3, 'BCRYPT', 1],
      ],
    );
  });

  it('refuses a hash in no format Cognito takes, and one over its algorithm’s limits', async () => {
    const rows = [
      user('ok', BCRYPT),
      user('django', 'pbkdf2_sha256$870000$salt$aGFzaA=='),
      user('costly', `$2b$13$${'a'.repeat(53)}`),
      user('argon2i', ARGON2ID.replace('argon2id', 'argon2i')),
    ];
    const { report } = await run(cognitoCsv(rows, HASHED), rulesFor({}, {}, HASHED));
    expect(issuesOf(report, true)).toEqual([
      '3 hash.unrecognised@password_hash',
      '4 hash.params@password_hash',
      '5 hash.format@password_hash',
    ]);
    expect(report.issues.map((i) => i.message).join(' ')).not.toContain('salt');
    expect(report.valid).toBe(false);
  });
});

describe('a file with password hashes and an algorithm given', () => {
  it('keeps every row in the parts of that algorithm, and refuses a hash of another', async () => {
    const rows = [user('b1', BCRYPT), user('n1', ''), user('a1', ARGON2ID)];
    const { report } = await run(
      cognitoCsv(rows, HASHED),
      rulesFor({}, { passwordHashingAlgorithm: 'BCRYPT' }, HASHED),
      { invalidRows: 'skip' },
    );
    expect(issuesOf(report)).toEqual(['4 hash.algorithm-mismatch']);
    expect(report.parts.map((p) => [p.passwordHashingAlgorithm, p.rows])).toEqual([['BCRYPT', 2]]);
    expect(report.passwordHashes).toEqual({ BCRYPT: 2 });
  });
});
