import { describe, expect, it } from 'vitest';
import {
  GROUPS_COLUMN,
  isGroupName,
  joinGroupNames,
  MEMBERSHIPS_HEADER,
  memorySink,
  readRecords,
  sniffGroupsColumn,
  splitGroupNames,
  type ValidateOptions,
} from '../../../src/csv/index.ts';
import { cognitoCsv, GOOD, HEADER, issuesOf, rulesFor, run } from './helpers.ts';

/** The pool's header with `cognito:groups` inserted at `at` (default: after the username). */
function headerWithGroups(at = 1): string[] {
  return [...HEADER.slice(0, at), GROUPS_COLUMN, ...HEADER.slice(at)];
}

const user = (n: number, groups = '', extra: Record<string, string> = {}) => ({
  ...GOOD,
  'cognito:username': `user${n}`,
  email: `user${n}@example.com`,
  [GROUPS_COLUMN]: groups,
  ...extra,
});

const KNOWN = new Set(['admins', 'staff', 'a;b', 'a,b']);

/** Validates rows under a header with the column, with memberships captured. */
async function runGroups(
  rows: Record<string, string>[],
  options: ValidateOptions = {},
  header = headerWithGroups(),
) {
  const memberships = memorySink();
  const result = await run(cognitoCsv(rows, header), rulesFor(), {
    groups: { known: KNOWN, create: false },
    memberships,
    ...options,
  });
  return { ...result, memberships };
}

/** The records of a part or map, decoded (header first). */
const recordsOf = (text: string) => readRecords(text).map((r) => r.values);

describe('splitGroupNames', () => {
  it('splits on ; and reads \\; as a ; inside a name', () => {
    expect(splitGroupNames('admins;staff')).toEqual(['admins', 'staff']);
    expect(splitGroupNames('a\\;b;c')).toEqual(['a;b', 'c']);
    // Any other backslash is itself, as the dialect treats a backslash before anything but a comma.
    expect(splitGroupNames('x\\y;z')).toEqual(['x\\y', 'z']);
    expect(splitGroupNames('x\\\\;z')).toEqual(['x\\;z']);
  });

  it('passes over empty segments, keeps each name once in first-seen order, and trims nothing', () => {
    expect(splitGroupNames('')).toEqual([]);
    expect(splitGroupNames(';;')).toEqual([]);
    expect(splitGroupNames('b;;a;b;')).toEqual(['b', 'a']);
    expect(splitGroupNames('a; b')).toEqual(['a', ' b']);
  });

  it('reads back what joinGroupNames writes', () => {
    for (const names of [['a;b', 'c'], ['x\\y', ';'], ['plain'], ['a', 'ends\\']]) {
      expect(splitGroupNames(joinGroupNames(names))).toEqual(names);
    }
  });
});

describe('isGroupName', () => {
  it("keeps to Cognito's GroupName: 1 to 128 characters, no space or control character", () => {
    expect(isGroupName('admins')).toBe(true);
    expect(isGroupName('Équipe-Nord_2;+')).toBe(true);
    expect(isGroupName('x'.repeat(128))).toBe(true);
    expect(isGroupName('x'.repeat(129))).toBe(false);
    expect(isGroupName('')).toBe(false);
    expect(isGroupName('two words')).toBe(false);
    expect(isGroupName('tab\there')).toBe(false);
    expect(isGroupName('nbsp\u00a0')).toBe(false);
  });
});

describe('the cognito:groups column', () => {
  it('is a known column although GetCSVHeader never lists it', async () => {
    const { report } = await runGroups([user(1, 'admins')]);
    expect(report.valid).toBe(true);
    expect(report.counts['header.unknown']).toBeUndefined();
    expect(report.header).toContain(GROUPS_COLUMN);
  });

  it('is left out of every part, header and rows, wherever it stands', async () => {
    for (const at of [0, 1, headerWithGroups().length - 1]) {
      const header = headerWithGroups(at);
      const { report, parts } = await runGroups(
        [user(1, 'admins;staff'), user(2, ''), user(3, 'staff', { name: '  Jane Doe ' })],
        {},
        header,
      );
      expect(report.valid, `column at ${at}`).toBe(true);
      const records = recordsOf((parts[0] as ReturnType<typeof memorySink>).text());
      expect(records[0]).toEqual(HEADER);
      const username = HEADER.indexOf('cognito:username');
      expect(records.slice(1).map((r) => r[username])).toEqual(['user1', 'user2', 'user3']);
      expect(records[3]?.[HEADER.indexOf('name')]).toBe('Jane Doe');
      for (const record of records) expect(record).toHaveLength(HEADER.length);
      expect(parts[0]?.text()).not.toContain('admins');
    }
  });

  it('leaves the part rows in Cognito’s dialect: no empty field where the column was', async () => {
    const header = ['cognito:username', GROUPS_COLUMN, 'email', 'email_verified'];
    const rules = rulesFor({}, {}, header);
    const { parts } = await run(
      'cognito:username,cognito:groups,email,email_verified\nu1,admins,u1@example.com,TRUE\nu2,,u2@example.com,true\n',
      rules,
      { groups: { known: KNOWN, create: false } },
    );
    expect(parts[0]?.text()).toBe(
      'cognito:username,email,email_verified\nu1,u1@example.com,true\nu2,u2@example.com,true\n',
    );
  });

  it('keeps the line map as without the column, and writes memberships with the same numbering', async () => {
    const rows = [user(1, 'admins'), user(2), user(3, 'staff;admins;staff'), user(4, 'admins')];
    const { map, memberships, report } = await runGroups(rows, {
      partLimits: { maxRows: 2 },
    });
    expect(report.parts.map((p) => p.rows)).toEqual([2, 2]);
    expect(recordsOf(map.text()).slice(1)).toEqual([
      ['1', '1', '2', '2', '1', 'user1'],
      ['1', '2', '3', '3', '2', 'user2'],
      ['2', '1', '2', '4', '3', 'user3'],
      ['2', '2', '3', '5', '4', 'user4'],
    ]);
    expect(memberships.text()).toBe(
      `${MEMBERSHIPS_HEADER}1,1,admins\n2,1,staff;admins\n2,2,admins\n`,
    );
    expect(memberships.ended).toBe(true);
    expect(report.parts.map((p) => p.groupRows)).toEqual([1, 2]);
    expect(report.groups).toEqual({
      rows: 3,
      memberships: 4,
      missing: [],
      missingCount: 0,
      create: false,
    });
  });

  it('writes names with ; or , so that the memberships read back to the same names', async () => {
    // In Cognito's dialect a comma is \, (cognitoCsv escapes it); a ; inside a name is \;.
    const { memberships, report } = await runGroups([user(1, 'a\\;b;a,b')]);
    expect(report.valid).toBe(true);
    const [header, line] = recordsOf(memberships.text());
    expect(header).toEqual(['part', 'part_row', 'groups']);
    expect(line?.slice(0, 2)).toEqual(['1', '1']);
    expect(splitGroupNames(line?.[2] ?? '')).toEqual(['a;b', 'a,b']);
  });

  it('reads an RFC 4180 quoted list in normalise mode', async () => {
    const header = ['cognito:username', 'email', 'email_verified', GROUPS_COLUMN];
    const memberships = memorySink();
    const { report } = await run(
      'cognito:username,email,email_verified,cognito:groups\nu1,u1@example.com,true,"a,b;staff"\n',
      rulesFor({}, {}, header),
      { groups: { known: KNOWN, create: false }, memberships },
    );
    expect(report.valid).toBe(true);
    expect(memberships.text()).toBe(`${MEMBERSHIPS_HEADER}1,1,"a,b;staff"\n`);
  });

  it('makes a row naming an unknown group an error, and the file invalid under reject', async () => {
    const { report, memberships, parts } = await runGroups([
      user(1, 'admins'),
      user(2, 'admins;ghosts;phantoms'),
    ]);
    expect(report.valid).toBe(false);
    expect(report.invalidRows).toBe(1);
    expect(issuesOf(report, true)).toEqual(['3 groups.unknown@cognito:groups']);
    const message = report.issues[0]?.message ?? '';
    expect(message).toContain('2 groups');
    expect(message).not.toContain('ghosts');
    expect(report.groups?.missing).toEqual(['ghosts', 'phantoms']);
    expect(report.groups?.missingCount).toBe(2);
    // The valid row still went to the part; the invalid one wrote no membership.
    expect(parts[0]?.text()).not.toContain('user2');
    expect(memberships.text()).toBe(`${MEMBERSHIPS_HEADER}1,1,admins\n`);
  });

  it('sets a row with an unknown group aside under skip', async () => {
    const { report, rejected, memberships } = await runGroups(
      [user(1, 'ghosts'), user(2, 'staff')],
      { invalidRows: 'skip' },
    );
    expect(report.valid).toBe(true);
    expect(report.acceptedRows).toBe(1);
    expect(recordsOf(rejected.text())[1]?.slice(0, 3)).toEqual([
      '2',
      '1',
      'groups.unknown@cognito:groups',
    ]);
    expect(memberships.text()).toBe(`${MEMBERSHIPS_HEADER}1,1,staff\n`);
    expect(report.groups).toMatchObject({ rows: 1, memberships: 1 });
  });

  it('collects the missing groups of valid rows instead, when they are to be created', async () => {
    const { report, memberships } = await runGroups(
      [
        user(1, 'admins;new-one'),
        user(2, 'new-two;new-one'),
        user(3, 'never', { email: 'not-an-email' }),
      ],
      { groups: { known: KNOWN, create: true }, invalidRows: 'skip' },
    );
    expect(report.valid).toBe(true);
    expect(report.counts['groups.unknown']).toBeUndefined();
    expect(report.groups).toEqual({
      rows: 2,
      memberships: 4,
      missing: ['new-one', 'new-two'],
      missingCount: 2,
      create: true,
    });
    expect(memberships.text()).toBe(
      `${MEMBERSHIPS_HEADER}1,1,admins;new-one\n1,2,new-two;new-one\n`,
    );
  });

  it('reports names Cognito cannot accept, without their text', async () => {
    const long = 'g'.repeat(129);
    const { report } = await runGroups(
      [user(1, 'admins; staff'), user(2, long), user(3, 'ok;also ok;bad name')],
      { groups: { known: KNOWN, create: true } },
    );
    expect(issuesOf(report)).toEqual([
      '2 groups.invalid-name',
      '3 groups.invalid-name',
      '4 groups.invalid-name',
    ]);
    expect(report.issues[2]?.message).toContain('2 names');
    for (const issue of report.issues) {
      expect(issue.message).not.toContain('staff');
      expect(issue.message).not.toContain(long);
    }
    expect(report.valid).toBe(false);
    // Invalid rows name no group to create.
    expect(report.groups?.missingCount).toBe(0);
  });

  it('checks only the names’ form without the pool’s groups', async () => {
    const memberships = memorySink();
    const { report } = await run(
      cognitoCsv([user(1, 'anything;else')], headerWithGroups()),
      rulesFor(),
      { memberships },
    );
    expect(report.valid).toBe(true);
    expect(report.groups).toMatchObject({ rows: 1, memberships: 2, missingCount: 0 });
  });

  it('counts a name given twice in a row once, and passes over empty segments', async () => {
    const { report, memberships } = await runGroups([user(1, 'staff;;staff;admins;')]);
    expect(report.valid).toBe(true);
    expect(report.groups?.memberships).toBe(2);
    expect(memberships.text()).toBe(`${MEMBERSHIPS_HEADER}1,1,staff;admins\n`);
  });

  it('writes no membership for rows that name none, and zero group rows for their parts', async () => {
    const { report, memberships } = await runGroups([user(1), user(2, ';')]);
    expect(report.valid).toBe(true);
    expect(memberships.text()).toBe(MEMBERSHIPS_HEADER);
    expect(report.groups).toMatchObject({ rows: 0, memberships: 0 });
    expect(report.parts.map((p) => p.groupRows)).toEqual([0]);
  });

  it('leaves the memberships sink untouched, and the report without groups, without the column', async () => {
    const memberships = memorySink();
    const { report, parts } = await run(cognitoCsv([GOOD]), rulesFor(), {
      groups: { known: KNOWN, create: true },
      memberships,
    });
    expect(report.valid).toBe(true);
    expect(report.groups).toBeUndefined();
    expect(report.parts[0]?.groupRows).toBeUndefined();
    expect(memberships.text()).toBe('');
    expect(memberships.ended).toBe(false);
    expect(parts).toHaveLength(1);
  });

  it('measures the 16,000-character row limit without the column', async () => {
    const header = ['cognito:username', 'email', 'email_verified', 'name', GROUPS_COLUMN];
    const rules = rulesFor({}, {}, header);
    const fixed = 'u1,u1@example.com,true,'.length;
    const name = 'n'.repeat(16_000 - fixed);
    const groups = Array.from({ length: 40 }, (_, i) => `group-${i}`).join(';');
    const line = `u1,u1@example.com,true,${name},${groups}`;
    expect(line.length).toBeGreaterThan(16_000);
    const { report, parts } = await run(`${header.join(',')}\n${line}\n`, rules, {
      limits: { maxValueChars: 20_000 },
    });
    expect(report.counts['line.too-long']).toBeUndefined();
    expect(report.valid).toBe(true);
    const written = (parts[0]?.text() ?? '').split('\n')[1] ?? '';
    expect(written.length).toBe(16_000);

    const over = `u1,u1@example.com,true,${name}n,admins`;
    const { report: tooLong } = await run(`${header.join(',')}\n${over}\n`, rules, {
      limits: { maxValueChars: 20_000 },
    });
    expect(issuesOf(tooLong)).toEqual(['2 line.too-long']);
  });

  it('holds the column to no attribute value limit', async () => {
    const groups = Array.from({ length: 30 }, (_, i) => `g${i}-${'x'.repeat(90)}`).join(';');
    expect(groups.length).toBeGreaterThan(2_048);
    const { report } = await runGroups([user(1, groups)], {
      groups: { known: KNOWN, create: true },
    });
    expect(report.counts['value.too-long']).toBeUndefined();
    expect(report.valid).toBe(true);
    expect(report.groups?.missingCount).toBe(30);
  });

  it('makes a row naming more groups than a user can be in (100) an error', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `g${i}`).join(';');
    const { report } = await runGroups([user(1, names(100)), user(2, names(101))], {
      groups: { known: KNOWN, create: true },
    });
    expect(issuesOf(report, true)).toEqual(['3 groups.too-many-for-user@cognito:groups']);
    expect(report.issues[0]?.message).toContain('101 groups; a user can be in at most 100');
    expect(report.invalidRows).toBe(1);
  });

  it('keeps every copy of a duplicated column out of the parts', async () => {
    const header = [...headerWithGroups(), GROUPS_COLUMN];
    const { report, parts } = await runGroups([{ ...user(1, 'admins') }], {}, header);
    expect(issuesOf(report)).toContain('1 header.duplicate');
    expect(recordsOf(parts[0]?.text() ?? '')[0]).toEqual(HEADER);
  });
});

describe('sniffGroupsColumn', () => {
  const bytesOf = async (source: AsyncIterable<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of source) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  };

  it('answers from the header alone, and hands on every byte', async () => {
    const text = 'cognito:username,email\nann,cognito:groups@example.com\n';
    const sniffed = await sniffGroupsColumn([
      Buffer.from(text.slice(0, 5)),
      Buffer.from(text.slice(5)),
    ]);
    expect(sniffed.mentions).toBe(false);
    expect(await bytesOf(sniffed.source)).toBe(text);
  });

  it('finds the column in a header after blank lines, cut across chunks, or without a line end', async () => {
    const text = '\r\n \t\n"cognito:username",cognito:gr';
    const chunks = [text.slice(0, 3), text.slice(3, 12), text.slice(12), 'oups\nann,admins\n'];
    const sniffed = await sniffGroupsColumn(chunks.map((c) => Buffer.from(c)));
    expect(sniffed.mentions).toBe(true);
    expect(await bytesOf(sniffed.source)).toBe(chunks.join(''));
    expect(
      (await sniffGroupsColumn([Buffer.from('cognito:username,cognito:groups')])).mentions,
    ).toBe(true);
    expect((await sniffGroupsColumn([])).mentions).toBe(false);
  });

  it('says true when the header is not whole within the bytes it may hold', async () => {
    const sniffed = await sniffGroupsColumn([Buffer.from('x'.repeat(100)), Buffer.from('y\n')], 64);
    expect(sniffed.mentions).toBe(true);
    expect(await bytesOf(sniffed.source)).toBe(`${'x'.repeat(100)}y\n`);
  });
});
