import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  csvRows,
  decompressed,
  type JoinStats,
  JsonArrayScanner,
  JsonShapeError,
  joinOnId,
  jsonArrayItems,
  ndjsonLines,
} from '../../../src/convert/index.ts';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

/** The bytes cut at random places (seeded), to prove results do not depend on chunking. */
function chunked(bytes: Buffer, seed: number): Buffer[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * 40);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const REALM = {
  id: 'demo',
  realm: 'demo',
  // Keys and strings that look like the array the scanner looks for, or close it early.
  clients: [{ clientId: 'users', attributes: { users: '[1,2]', note: 'a "quoted" ] } [ {' } }],
  smtpServer: { users: [{ not: 'these' }] },
  'escaped \\"users\\"': [{ nor: 'these' }],
  users: [
    { username: 'a', attributes: { x: ['}]'] }, n: 1 },
    { username: 'b\\"c', emoji: 'é😀', nested: [[], [{}], { users: [] }] },
    'a string',
    42,
    null,
  ],
  after: { users: [{ never: 'read' }] },
};

describe('jsonArrayItems', () => {
  it('streams the top-level array under its key, whatever the chunking and the other keys', async () => {
    const bytes = Buffer.from(JSON.stringify(REALM, null, 2));
    const expected = REALM.users;
    expect(
      await collect(
        jsonArrayItems(
          (async function* () {
            yield bytes;
          })(),
          'users',
        ),
      ),
    ).toEqual(expected);
    for (let seed = 1; seed <= 20; seed++) {
      const chunks = chunked(bytes, seed);
      expect(
        await collect(
          jsonArrayItems(
            (async function* () {
              yield* chunks;
            })(),
            'users',
          ),
        ),
      ).toEqual(expected);
    }
  });

  it('reads a document that is the array itself, and an empty array', async () => {
    const source = (text: string) =>
      (async function* () {
        yield Buffer.from(text);
      })();
    expect(await collect(jsonArrayItems(source(' [ {"a":1} , {"b":[2]} ] '), undefined))).toEqual([
      { a: 1 },
      { b: [2] },
    ]);
    expect(await collect(jsonArrayItems(source('{"users": []}'), 'users'))).toEqual([]);
  });

  it('says what is wrong with a document of another shape', async () => {
    const source = (text: string) =>
      (async function* () {
        yield Buffer.from(text);
      })();
    await expect(collect(jsonArrayItems(source('{"realm":"x"}'), 'users'))).rejects.toThrow(
      JsonShapeError,
    );
    await expect(
      collect(jsonArrayItems(source('{"realm":"x"}'), 'users', { optional: true })),
    ).resolves.toEqual([]);
    await expect(collect(jsonArrayItems(source('[1,2]'), 'users'))).rejects.toThrow(
      /not an object/,
    );
    await expect(collect(jsonArrayItems(source('{"users":[{"a":1},'), 'users'))).rejects.toThrow(
      /ends inside/,
    );
  });

  it('keeps memory to one element: a huge element is refused, not buffered', () => {
    const scanner = new JsonArrayScanner('users');
    scanner.write(Buffer.from('{"users":[{"x":"'));
    const mb = Buffer.alloc(1024 * 1024, 0x61);
    expect(() => {
      for (let i = 0; i < 20; i++) scanner.write(mb);
    }).toThrow(/larger than/);
  });
});

describe('ndjsonLines and decompressed', () => {
  it('reads NDJSON (gzipped or not, CRLF, blank lines), reporting a bad line and going on', async () => {
    const text = '{"a":1}\r\n\r\n{"b":"é"}\nnot json\n{"c":3}';
    for (const bytes of [Buffer.from(text), gzipSync(text)]) {
      const lines = await collect(ndjsonLines(chunked(bytes, 7)));
      expect(lines).toEqual([
        { line: 1, value: { a: 1 }, text: '{"a":1}' },
        { line: 3, value: { b: 'é' }, text: '{"b":"é"}' },
        { line: 4, error: 'not a JSON value' },
        { line: 5, value: { c: 3 }, text: '{"c":3}' },
      ]);
    }
  });

  it('passes plain bytes through and inflates gzip by its magic bytes', async () => {
    expect(Buffer.concat(await collect(decompressed([Buffer.from('plain')]))).toString()).toBe(
      'plain',
    );
    expect(Buffer.concat(await collect(decompressed([gzipSync('zipped')]))).toString()).toBe(
      'zipped',
    );
  });
});

describe('csvRows', () => {
  it('reads PostgreSQL COPY CSV: quoted JSON, commas and line breaks in values', async () => {
    const text = 'id,meta,note\n1,"{""a"": ""b,c""}","two\nlines"\n2,,plain\n';
    expect(await collect(csvRows(chunked(Buffer.from(text), 3)))).toEqual([
      { id: '1', meta: '{"a": "b,c"}', note: 'two\nlines' },
      { id: '2', meta: '', note: 'plain' },
    ]);
  });

  it('names the line of a row it cannot read, never its content', async () => {
    const error = await collect(csvRows([Buffer.from('a,b\n1,2\n3,"secret\n')])).catch((e) => e);
    expect(error.name).toBe('ExportFormatError');
    expect(error.message).not.toContain('secret');
  });
});

describe('joinOnId', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const users = (n: number) =>
    (async function* () {
      for (let i = 0; i < n; i++) {
        const id = i % 10 === 9 ? undefined : `u${i}`;
        // Some records come with their JSON text (spilled as is), one with a tab in it.
        if (i % 3 === 0) yield { id, record: { i }, raw: `{ "i":\t${i} }` };
        else yield { id, record: { i } };
      }
    })();
  const hashes = (n: number) =>
    (async function* () {
      for (let i = 0; i < n; i += 2) yield { id: `u${i}`, hash: `h${i}` };
      yield { id: 'orphan', hash: 'h' };
    })();

  it('joins in memory, in the users’ order, and counts hashes no user had', async () => {
    const stats: JoinStats = { unmatched: 0, spilled: false };
    const out = await collect(joinOnId(users(100), hashes(100), stats));
    expect(out.map((o) => o.record.i)).toEqual([...Array(100).keys()]);
    for (const { record, hash } of out)
      expect(hash).toBe(record.i % 2 === 0 && record.i % 10 !== 9 ? `h${record.i}` : undefined);
    expect(stats).toEqual({ unmatched: 1, spilled: false });
  });

  it('joins on disk past its memory limit, with the same pairs, and removes its files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'join-test-'));
    dirs.push(dir);
    const stats: JoinStats = { unmatched: 0, spilled: false };
    const out = await collect(
      joinOnId(users(1000), hashes(1000), stats, {
        memoryEntries: 50,
        partitions: 7,
        tempDir: dir,
      }),
    );
    expect(stats).toEqual({ unmatched: 1, spilled: true });
    expect(out).toHaveLength(1000);
    const pairs = new Map(out.map((o) => [o.record.i, o.hash]));
    for (let i = 0; i < 1000; i++)
      expect(pairs.get(i)).toBe(i % 2 === 0 && i % 10 !== 9 ? `h${i}` : undefined);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });
});
