import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../../src/csv/index.ts';
import { cognitoCsv, GOOD, HEADER, issuesOf, rulesFor, run } from './helpers.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/csv');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

const header = HEADER.join(',');
const good = cognitoCsv([GOOD]).split('\n')[1] as string;
const user = (name: string) => good.replace('jdoe', name);

interface Case {
  name: string;
  data: string | Uint8Array;
  mode?: 'normalise' | 'strict';
  /** Issues as `line code`. */
  expected: string[];
  valid: boolean;
}

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

const CASES: Case[] = [
  { name: 'an empty file', data: '', expected: ['0 file.empty'], valid: false },
  { name: 'only blank lines', data: '\n\r\n  \n', expected: ['0 file.empty'], valid: false },
  { name: 'a header only', data: `${header}\n`, expected: ['0 file.no-rows'], valid: false },
  {
    name: 'a BOM (normalise mode removes it)',
    data: bytes([0xef, 0xbb, 0xbf], `${header}\n${good}\n`),
    expected: [],
    valid: true,
  },
  {
    name: 'a BOM (strict mode rejects it)',
    data: bytes([0xef, 0xbb, 0xbf], `${header}\n${good}\n`),
    mode: 'strict',
    expected: ['1 encoding.bom'],
    valid: false,
  },
  {
    name: 'CRLF line ends (normalise mode converts them)',
    data: `${header}\r\n${good}\r\n`,
    expected: [],
    valid: true,
  },
  {
    name: 'CRLF line ends (strict mode warns once)',
    data: `${header}\r\n${good}\r\n${user('b')}\r\n`,
    mode: 'strict',
    expected: ['1 line.crlf'],
    valid: true,
  },
  {
    name: 'blank lines (strict mode warns about each)',
    data: `${header}\n\n${good}\n\n`,
    mode: 'strict',
    expected: ['2 line.blank', '4 line.blank'],
    valid: true,
  },
  {
    name: 'a quoted value (strict mode: quotes are literal, and the comma splits it)',
    data: `${header}\n${good.replace('Jane Doe', '"Doe, Jane"')}\n`,
    mode: 'strict',
    expected: ['2 quote.quoted', '2 field-count'],
    valid: false,
  },
  {
    name: 'a UTF-16 file',
    data: bytes(
      [0xff, 0xfe],
      Buffer.from(`${header}\n${good}\n`, 'utf16le') as unknown as number[],
    ),
    expected: ['1 encoding.utf16'],
    valid: false,
  },
  {
    name: 'a Latin-1 (non-UTF-8) row',
    data: bytes(
      `${header}\n${good}\n`,
      Buffer.from(`${user('b')}\n`.replace('Jane', 'Zoë'), 'latin1') as unknown as number[],
    ),
    expected: ['3 encoding.invalid-utf8'],
    valid: false,
  },
  {
    name: 'a non-UTF-8 header',
    data: bytes([0x63, 0xe9, 0x2c], `${header}\n${good}\n`),
    expected: ['1 header.invalid'],
    valid: false,
  },
  {
    name: 'NUL bytes in a row',
    data: `${header}\n${good.replace('Jane Doe', 'Ja\u0000ne')}\n${user('b')}\n`,
    expected: ['2 encoding.nul'],
    valid: false,
  },
  {
    name: 'a line over 16,000 characters, and the reader goes on after it',
    data: `${header}\n${good.replace('Jane Doe', 'x'.repeat(70_000))}\n${user('b')}\n`,
    expected: ['2 line.too-long'],
    valid: false,
  },
  {
    name: 'too many and too few values',
    data: `${header}\n${good},extra\n${user('b').replace(/,[^,]*$/, '')}\n${user('c')}\n`,
    expected: ['2 field-count', '3 field-count'],
    valid: false,
  },
  {
    name: 'an unterminated quote at the end of the file',
    data: `${header}\n${good}\n${user('b').replace('Jane Doe', '"Jane Doe')}`,
    expected: ['3 quote.unterminated', '3 field-count'],
    valid: false,
  },
  {
    name: 'text after a closing quote',
    data: `${header}\n${good.replace('Jane Doe', '"Jane"Doe')}\n`,
    expected: ['2 quote.unescaped'],
    valid: false,
  },
  {
    name: 'a quoted value with a line break, numbered by its first line',
    data: `${header}\n${good.replace('Jane Doe', '"Jane\nDoe"')}\n${user('b')}\n`,
    expected: ['2 value.newline'],
    valid: false,
  },
  {
    name: 'a value ending in a backslash before a comma',
    data: `${header}\n${good.replace('Jane Doe', 'Jane\\ ')}\n`,
    expected: ['2 value.unrepresentable'],
    valid: false,
  },
];

describe('a corpus of bad files', () => {
  for (const c of CASES) {
    it(`reports ${c.name}`, async () => {
      const { report } = await run(c.data, rulesFor(), c.mode ? { mode: c.mode } : {});
      expect(issuesOf(report).filter((i) => !i.includes('header.missing-column'))).toEqual(
        c.expected,
      );
      expect(report.valid).toBe(c.valid);
    });
  }

  it('reports a file over the byte and row limits once each', async () => {
    const text = cognitoCsv([
      GOOD,
      ...['b', 'c', 'd'].map((u) => ({ ...GOOD, 'cognito:username': u })),
    ]);
    const { report } = await run(text, rulesFor(), {
      limits: { maxFileRows: 2, maxFileBytes: 100 },
    });
    expect(issuesOf(report)).toEqual(['4 file.too-many-rows', '0 file.too-large']);
    expect(report.issues[1]?.message).toContain(String(Buffer.byteLength(text)));
    expect(report).toMatchObject({ valid: false, rows: 4, invalidRows: 0, fileErrors: 2 });
  });

  it('stops at a header longer than the line limit', async () => {
    const { report } = await run(`${'h'.repeat(70_000)}\n${good}\n`);
    expect(issuesOf(report)).toEqual(['1 line.too-long']);
    expect(report.valid).toBe(false);
  });

  it('warns once when it stops tracking usernames, and reports duplicates of those it holds', async () => {
    const rows = ['a', 'b', 'c', 'a', 'd'].map((u) => ({ ...GOOD, 'cognito:username': u }));
    const { report } = await run(cognitoCsv(rows), rulesFor(), {
      limits: { maxTrackedUsernames: 2 },
    });
    expect(issuesOf(report)).toEqual(['4 username.untracked', '5 username.duplicate']);
  });

  it('gives the same report with or without a size hint', async () => {
    const data = fixture('every-rule.csv');
    const plain = await run(data);
    const hinted = await run(data, rulesFor(), { sourceBytes: 50_000_000 });
    expect(hinted.report).toEqual(plain.report);
  });

  it('reports every rule of every-rule.csv on its line', async () => {
    const { report, rejected } = await run(fixture('every-rule.csv'), rulesFor(), {
      invalidRows: 'skip',
    });
    expect(issuesOf(report, true)).toEqual([
      '3 username.empty@cognito:username',
      '4 username.whitespace@cognito:username',
      '5 username.duplicate@cognito:username',
      '6 verified.none-true@email_verified',
      '7 email.missing-when-verified@email',
      '8 email.format@email',
      '9 phone.format@phone_number',
      '10 phone.missing-when-verified@phone_number',
      '11 boolean.format@email_verified',
      '11 verified.none-true@email_verified',
      '12 mfa.pool-mismatch@cognito:mfa_enabled',
      '13 birthdate.format@birthdate',
      '14 updated_at.format@updated_at',
      '15 custom.type@custom:tier',
      '16 custom.bounds@custom:tier',
      '17 custom.bounds@custom:team',
      '18 field-count',
    ]);
    expect(report).toMatchObject({ rows: 18, invalidRows: 16, acceptedRows: 2, valid: true });
    const lines = rejected.text().trim().split('\n');
    expect(lines[0]).toBe('line,row,reasons,record');
    expect(lines[1]).toBe(
      '3,2,username.empty@cognito:username,",,,,,,,,,,empty@example.com,true,,,,,,,,,,,"',
    );
    expect(lines).toHaveLength(17);
  });

  it('accepts valid.csv as it is', async () => {
    const { report, parts } = await run(fixture('valid.csv'));
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ valid: true, rows: 3, invalidRows: 0, warnings: 0 });
    expect(parts.map((p) => p.text())).toEqual([fixture('valid.csv').toString('utf8')]);
  });

  it('turns spreadsheet-export.csv into Cognito dialect and counts each change', async () => {
    const { report, parts } = await run(fixture('spreadsheet-export.csv'));
    expect(report.issues).toEqual([]);
    expect(report.normalised).toEqual({
      bomRemoved: 1,
      quotedFields: 3,
      crlf: 4,
      booleans: 4,
      blankLines: 1,
      trimmedFields: 0,
    });
    const text = parts[0]?.text() ?? '';
    expect(text).not.toContain('\r');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    const rows = readRecords(text);
    expect(rows.map((r) => r.values[1])).toEqual(['name', 'Doe, Jane', 'O"Brien, Rob']);
    expect(text.split('\n')[1]).toContain('Doe\\, Jane');
    expect(text.split('\n')[1]).toContain(',true,');
    expect(text.split('\n')[1]).toContain(',false,');
  });
});
