import { describe, expect, it } from 'vitest';
import { CsvReader, type RecordView, readRecords } from '../../../src/csv/index.ts';

interface Seen {
  records: { line: number; lines: number; values: string[]; utf8: boolean; nul: boolean }[];
  blank: number[];
  overlong: number[];
  utf16: number;
}

function read(chunks: (string | Uint8Array)[], options = { quotes: true, maxLineBytes: 1000 }) {
  const seen: Seen = { records: [], blank: [], overlong: [], utf16: 0 };
  const reader = new CsvReader(
    {
      record(v: RecordView) {
        const values: string[] = [];
        for (let f = 0; f < v.count; f++) {
          const b = v.bufferOf(f).subarray(v.fieldStart[f], v.fieldEnd[f]);
          values.push(Buffer.from(b).toString('utf8'));
        }
        seen.records.push({ line: v.line, lines: v.lines, values, utf8: v.utf8, nul: v.nul });
      },
      blank(line) {
        seen.blank.push(line);
      },
      overlong(line) {
        seen.overlong.push(line);
      },
      utf16() {
        seen.utf16++;
      },
    },
    options,
  );
  for (const c of chunks) reader.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  reader.end();
  return seen;
}

/** Every way to cut `bytes` in two. */
function allSplits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

describe('CsvReader', () => {
  it('splits on commas, trims values and keeps \\, inside a value', () => {
    const seen = read(['a,b\n  x\\, y ,\tz\t\n']);
    expect(seen.records.map((r) => r.values)).toEqual([
      ['a', 'b'],
      ['x\\, y', 'z'],
    ]);
  });

  it('reads LF and CRLF line ends and a last line without one', () => {
    const seen = read(['a,b\r\nc,d\ne,f']);
    expect(seen.records.map((r) => [r.line, ...r.values])).toEqual([
      [1, 'a', 'b'],
      [2, 'c', 'd'],
      [3, 'e', 'f'],
    ]);
  });

  it('numbers physical lines, counting blank lines', () => {
    const seen = read(['h\n\na\n  \r\nb\n']);
    expect(seen.blank).toEqual([2, 4]);
    expect(seen.records.map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it('unquotes RFC 4180 values into the Cognito form', () => {
    const seen = read(['"Doe, Jane"," say ""hi"" ", plain ,""\n']);
    expect(seen.records[0]?.values).toEqual(['Doe\\, Jane', 'say "hi"', 'plain', '']);
  });

  it('keeps quotes as ordinary characters when quoting is off', () => {
    const seen = read(['"Doe, Jane",x\n'], { quotes: false, maxLineBytes: 1000 });
    expect(seen.records[0]?.values).toEqual(['"Doe', 'Jane"', 'x']);
  });

  it('keeps a quote in the middle of an unquoted value', () => {
    const seen = read(['5\'10",O"Brien\n']);
    expect(seen.records[0]?.values).toEqual(['5\'10"', 'O"Brien']);
  });

  it('joins the lines of a quoted value with a line break into one record', () => {
    const seen = read(['a,"one\ntwo",b\nnext\n']);
    expect(seen.records.map((r) => [r.line, r.lines, r.values.length])).toEqual([
      [1, 2, 3],
      [3, 1, 1],
    ]);
  });

  it('reads the lines after a quote that never closes as ordinary lines', () => {
    const seen = read(['h\n"open,x\na,b\nc,d\n']);
    expect(seen.records.map((r) => [r.line, r.lines, ...r.values])).toEqual([
      [1, 1, 'h'],
      [2, 1, 'open\\,x'],
      [3, 1, 'a', 'b'],
      [4, 1, 'c', 'd'],
    ]);
  });

  it('gives up on an open quote at the line limit and re-reads the lines it held', () => {
    const text = Buffer.from('h\n"open\nline3\n\nline5\nline6,"x"\nline7\n');
    const expected = read([text], { quotes: true, maxLineBytes: 20 });
    expect(expected.records.map((r) => [r.line, r.lines, r.values[0]])).toEqual([
      [1, 1, 'h'],
      [2, 1, 'open'],
      [3, 1, 'line3'],
      [5, 1, 'line5'],
      [6, 1, 'line6'],
      [7, 1, 'line7'],
    ]);
    expect(expected.blank).toEqual([4]);
    for (let size = 1; size < text.length; size++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.subarray(i, i + size));
      expect(read(chunks, { quotes: true, maxLineBytes: 20 }), `size ${size}`).toEqual(expected);
    }
  });

  it('reports a line longer than the limit and reads on from the next line', () => {
    const seen = read([`a\n${'x'.repeat(50)}\nb\n`], { quotes: true, maxLineBytes: 20 });
    expect(seen.overlong).toEqual([2]);
    expect(seen.records.map((r) => [r.line, r.values[0]])).toEqual([
      [1, 'a'],
      [3, 'b'],
    ]);
  });

  it('reports an over-long line the same way whatever the chunking', () => {
    const text = Buffer.from(`a\n${'x'.repeat(50)}\nb\n${'y'.repeat(21)}`);
    const expected = read([text], { quotes: true, maxLineBytes: 20 });
    expect(expected.overlong).toEqual([2, 4]);
    for (const size of [1, 2, 3, 7, 19, 20, 21, 22, 50]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.subarray(i, i + size));
      expect(read(chunks, { quotes: true, maxLineBytes: 20 }), `size ${size}`).toEqual(expected);
    }
  });

  it('strips a UTF-8 BOM from the first line only', () => {
    const seen = read([Buffer.from([0xef, 0xbb, 0xbf]), 'h\n\uFEFFv\n']);
    expect(seen.records.map((r) => r.values[0])).toEqual(['h', '\uFEFFv']);
  });

  it('stops at a UTF-16 byte order mark', () => {
    const seen = read([Buffer.from([0xff, 0xfe, 0x68, 0x00, 0x0a, 0x00])]);
    expect(seen.utf16).toBe(1);
    expect(seen.records).toEqual([]);
  });

  it('flags lines with invalid UTF-8 and NUL bytes, and only those', () => {
    const seen = read([Buffer.from('ok\n'), Buffer.from([0x61, 0xc3, 0x28, 0x0a]), 'n\0l\nok\n']);
    expect(seen.records.map((r) => [r.line, r.utf8, r.nul])).toEqual([
      [1, true, false],
      [2, false, false],
      [3, true, true],
      [4, true, false],
    ]);
  });

  it('gives identical records for every cut of a tricky input', () => {
    const text = Buffer.from('h,é\r\nx\\,y,"a,""b"""\r\n€,\\\n"q\nr",z\nlast', 'utf8');
    const expected = read([text]);
    for (const chunks of allSplits(text)) expect(read(chunks)).toEqual(expected);
  });

  it('gives identical records when fed one byte at a time', () => {
    const text = Buffer.from('a,b\r\nü\\,v,"w\r\nx"\n\n"unterminated,\n', 'utf8');
    const bytes = [...text].map((b) => Uint8Array.of(b));
    expect(read(bytes)).toEqual(read([text]));
  });
});

describe('readRecords', () => {
  it('returns logical values: \\, read as a comma, quotes removed', () => {
    expect(readRecords('a,b\nDoe\\, Jane,"x, ""y"""\n')).toEqual([
      { line: 1, values: ['a', 'b'] },
      { line: 2, values: ['Doe, Jane', 'x, "y"'] },
    ]);
  });
});
