import { describe, expect, it } from 'vitest';
import {
  type ByteSink,
  CsvValidator,
  memorySink,
  readRecords,
  type ValidateOptions,
} from '../../../src/csv/index.ts';
import { cognitoCsv, GOOD, HEADER, rulesFor, run } from './helpers.ts';

/** mulberry32: a small seeded PRNG, so every failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Zoë', '中文', '🙂', ' ', ',', '"', '\\', 'x.y', '-', 'Ω', '\t'];

function randomText(rnd: () => number, max: number): string {
  let s = '';
  const n = Math.floor(rnd() * max);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  return s;
}

/** A messy CSV: quoted and escaped commas, odd spacing, CRLF, blank lines, bad bytes. */
function randomCsv(seed: number, rows: number): Buffer {
  const rnd = prng(seed);
  const parts: Buffer[] = [];
  if (rnd() < 0.5) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  parts.push(Buffer.from(`${HEADER.join(',')}\n`));
  for (let r = 0; r < rows; r++) {
    const roll = rnd();
    if (roll < 0.03) {
      parts.push(Buffer.from(rnd() < 0.5 ? '\n' : '  \r\n'));
      continue;
    }
    const values = HEADER.map((h) => {
      let v = GOOD[h] ?? '';
      if (h === 'cognito:username') v = `u${Math.floor(rnd() * rows * 2)}`;
      if (h === 'email_verified')
        v = ['true', 'TRUE', 'True', 'false', 'yes'][Math.floor(rnd() * 5)] ?? '';
      if (h === 'name' || h === 'address' || h === 'nickname') v = randomText(rnd, 8);
      if (rnd() < 0.5) {
        // Cognito dialect, unless the value is quoted.
        if (v.includes('"') && rnd() < 0.5) return `"${v.replaceAll('"', '""')}"`;
        const escaped = v.replaceAll(',', '\\,');
        return escaped.endsWith('\\') ? `${escaped}x` : escaped;
      }
      return `${rnd() < 0.2 ? ' ' : ''}"${v.replaceAll('"', '""')}"${rnd() < 0.2 ? '\t' : ''}`;
    });
    let line = values.join(',');
    if (roll < 0.06) line = line.replace(',', '');
    else if (roll < 0.08) line += 'x'.repeat(400);
    const eol = rnd() < 0.3 ? '\r\n' : '\n';
    const buf = Buffer.from(line + eol);
    if (roll > 0.98) buf[3] = 0xff;
    else if (roll > 0.97) buf[2] = 0;
    parts.push(buf);
  }
  if (rnd() < 0.5) parts.push(Buffer.from('"unterminated,value\nlast,line'));
  return Buffer.concat(parts);
}

function cut(data: Buffer, rnd: () => number, max: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    // Copy, so that a reader keeping a view of a chunk would be caught.
    chunks.push(Uint8Array.from(data.subarray(i, i + n)));
    i += n;
  }
  return chunks;
}

const USER = HEADER.indexOf('cognito:username');

const SMALL: ValidateOptions = {
  invalidRows: 'skip',
  limits: { maxLineChars: 300 },
  partLimits: { maxRows: 7, maxBytes: 3000 },
  blockSize: 512,
};

async function snapshot(chunks: Uint8Array[] | Buffer, options: ValidateOptions = SMALL) {
  const { report, parts, map, rejected } = await run(
    Array.isArray(chunks) ? chunks : [chunks],
    rulesFor({ UsernameConfiguration: { CaseSensitive: true } }),
    options,
  );
  return { report, parts: parts.map((p) => p.text()), map: map.text(), rejected: rejected.text() };
}

describe('chunking', () => {
  it('gives the same result for random chunk sizes as for one chunk', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const data = randomCsv(seed, 60);
      const whole = await snapshot(data);
      expect(whole.report.rows, `seed ${seed}`).toBeGreaterThan(50);
      const rnd = prng(seed * 7919);
      for (const max of [1, 3, 17, 64, 1000]) {
        expect(await snapshot(cut(data, rnd, max)), `seed ${seed} max ${max}`).toEqual(whole);
      }
    }
  });

  it("does not keep the caller's chunk after write returns", async () => {
    const data = Buffer.from(cognitoCsv([GOOD, { ...GOOD, 'cognito:username': 'b' }]));
    const expected = await snapshot(data);
    const v = new CsvValidator(rulesFor({ UsernameConfiguration: { CaseSensitive: true } }), {
      ...SMALL,
      parts: () => memorySink(),
    });
    const reused = Buffer.alloc(5);
    for (let i = 0; i < data.length; i += 5) {
      const n = data.copy(reused, 0, i, i + 5);
      await v.write(reused.subarray(0, n));
      reused.fill(0x58);
    }
    const report = await v.end();
    expect(report).toEqual(expected.report);
  });
});

describe('normalised output', () => {
  it('reads back as the same rows, trimmed, unquoted and with lower-case booleans', async () => {
    const rnd = prng(99);
    const expectedRows: string[][] = [];
    const lines: string[] = [HEADER.join(',')];
    for (let r = 0; r < 200; r++) {
      const logical = HEADER.map((h) => {
        if (h === 'cognito:username') return `user${r}`;
        if (h === 'name' || h === 'address' || h === 'nickname' || h === 'locale') {
          // Trimmed, and not ending in a backslash (which no CSV form could carry before a comma).
          return randomText(rnd, 6)
            .replaceAll('\t', '')
            .replace(/[\s\\]+$/, '')
            .trim();
        }
        return GOOD[h] ?? '';
      });
      const encoded = logical.map((v, i) => {
        const h = HEADER[i];
        if (h === 'email_verified') return ['TRUE', 'True', 'true'][r % 3] ?? '';
        const style = rnd();
        // A value starting with a quote must be quoted: unquoted, the quote would open one.
        if (style < 0.4 || v.startsWith('"')) return ` "${v.replaceAll('"', '""')}" `;
        if (style < 0.5) return `  ${v.replaceAll(',', '\\,')}\t`;
        return v.replaceAll(',', '\\,');
      });
      lines.push(encoded.join(','));
      expectedRows.push(logical.map((v, i) => (HEADER[i] === 'email_verified' ? 'true' : v)));
    }
    const { report, parts } = await run(`${lines.join('\r\n')}\r\n`, rulesFor(), {
      partLimits: { maxRows: 64 },
    });
    // Values that start with a quote are legal but flagged: Cognito's reading of them is unknown.
    expect(report.errors).toBe(0);
    expect(report.counts).toEqual({ 'quote.quoted': report.warnings });
    expect(report.normalised.booleans).toBe(134);
    expect(parts).toHaveLength(4);
    // The parts are Cognito's dialect, where quotes are ordinary characters.
    const readBack = parts.flatMap((p) =>
      readRecords(p.text(), { quotes: false })
        .slice(1)
        .map((r) => r.values),
    );
    expect(readBack).toEqual(expectedRows);
    for (const p of parts) {
      expect(p.text()).not.toContain('\r');
      expect(p.text().startsWith(`${HEADER.join(',')}\n`)).toBe(true);
    }
  });

  it('splits into parts within the byte and row limits, rows in order, with a line map', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({
      ...GOOD,
      'cognito:username': i === 5 ? 'a,b"c' : `user${i}`,
      nickname: 'n'.repeat(i * 10),
    }));
    const text = cognitoCsv(rows).replace('\n', '\n\n');
    const maxBytes = 900;
    const { report, parts, map } = await run(text, rulesFor(), {
      partLimits: { maxRows: 5, maxBytes },
    });
    expect(report.valid).toBe(true);
    const texts = parts.map((p) => p.text());
    const header = `${HEADER.join(',')}\n`;
    let expectedLine = 3;
    const mapLines = map.text().trim().split('\n');
    expect(mapLines[0]).toBe('part,part_row,part_line,source_line,source_row,username');
    const mapRows = readRecords(map.text()).slice(1);
    let k = 0;
    texts.forEach((t, p) => {
      expect(t.startsWith(header)).toBe(true);
      const bytes = Buffer.byteLength(t);
      const dataRows = t.split('\n').length - 2;
      expect(dataRows).toBeLessThanOrEqual(5);
      if (dataRows > 1) expect(bytes).toBeLessThanOrEqual(maxBytes);
      expect(report.parts[p]).toMatchObject({ part: p + 1, rows: dataRows, bytes });
      const records = readRecords(t, { quotes: false });
      records.slice(1).forEach((rec, i) => {
        const m = mapRows[k++]?.values;
        expect(m).toEqual([
          String(p + 1),
          String(i + 1),
          String(i + 2),
          String(expectedLine),
          String(expectedLine - 2),
          rec.values[USER],
        ]);
        expectedLine++;
      });
    });
    expect(k).toBe(23);
    expect(mapRows[5]?.values[5]).toBe('a,b"c');
    expect(mapLines.filter((l) => l.endsWith(',8,6,"a,b""c"'))).toHaveLength(1);
  });

  it('keeps invalid rows out of the parts and lists them in the rejected rows', async () => {
    const text = cognitoCsv([
      GOOD,
      { ...GOOD, 'cognito:username': 'bad user' },
      { ...GOOD, 'cognito:username': 'ok' },
    ]);
    const skip = await run(text, rulesFor(), { invalidRows: 'skip' });
    expect(skip.report).toMatchObject({ valid: true, rows: 3, invalidRows: 1, acceptedRows: 2 });
    expect(readRecords(skip.parts[0]?.text() ?? '').map((r) => r.values[USER])).toEqual([
      'cognito:username',
      'jdoe',
      'ok',
    ]);
    expect(skip.rejected.text().split('\n')[1]).toMatch(
      /^3,2,username\.whitespace@cognito:username,/,
    );
    const reject = await run(text, rulesFor());
    expect(reject.report).toMatchObject({ valid: false, invalidRows: 1, policy: 'reject' });
  });

  it('rejects the file under skip policy when no row is valid', async () => {
    const { report } = await run(cognitoCsv([{ ...GOOD, email_verified: 'false' }]), rulesFor(), {
      invalidRows: 'skip',
    });
    expect(report.counts['file.no-valid-rows']).toBe(1);
    expect(report.valid).toBe(false);
  });

  it('waits for async sinks and keeps their writes in order', async () => {
    const events: string[] = [];
    const slow = (name: string): ByteSink => ({
      async write(chunk) {
        await new Promise((r) => setTimeout(r, 1));
        events.push(`${name}:${Buffer.from(chunk).toString('utf8').split('\n').length - 1}`);
      },
      async end() {
        await new Promise((r) => setTimeout(r, 1));
        events.push(`${name}:end`);
      },
    });
    const rows = Array.from({ length: 10 }, (_, i) => ({ ...GOOD, 'cognito:username': `u${i}` }));
    const report = await new Promise<unknown>((resolve, reject) => {
      const v = new CsvValidator(rulesFor(), {
        parts: async (n) => {
          await new Promise((r) => setTimeout(r, 1));
          return slow(`part${n}`);
        },
        partLimits: { maxRows: 4 },
        blockSize: 256,
      });
      (async () => {
        for (const chunk of cut(Buffer.from(cognitoCsv(rows)), prng(3), 200)) {
          const pending = v.write(chunk);
          if (pending) await pending;
        }
        return v.end();
      })().then(resolve, reject);
    });
    expect(report).toMatchObject({ valid: true, acceptedRows: 10, parts: [{}, {}, {}] });
    expect(events.filter((e) => e.endsWith(':end'))).toEqual([
      'part1:end',
      'part2:end',
      'part3:end',
    ]);
    const partOf = (e: string) => Number(e.slice(4, e.indexOf(':')));
    const order = events.map(partOf);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('passes a sink error to the caller', async () => {
    const failing: ByteSink = {
      write() {
        throw new Error('disk full');
      },
      end() {},
    };
    await expect(run(cognitoCsv([GOOD]), rulesFor(), { parts: () => failing })).rejects.toThrow(
      'disk full',
    );
  });

  it('caps the issue list but keeps exact totals', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ ...GOOD, 'cognito:username': `u ${i}` }));
    const { report } = await run(cognitoCsv(rows), rulesFor(), { maxIssues: 10 });
    expect(report.issues).toHaveLength(10);
    expect(report.issuesOmitted).toBe(20);
    expect(report.counts['username.whitespace']).toBe(30);
    expect(report).toMatchObject({ invalidRows: 30, errors: 30 });
  });

  it('never puts a cell value in a message', async () => {
    const secret = 'secretvalue';
    const rows = [
      { ...GOOD, 'cognito:username': `${secret} x`, email: `${secret}`, phone_number: secret },
      { ...GOOD, 'cognito:username': `${secret} x`, birthdate: secret, updated_at: secret },
      { ...GOOD, 'custom:tier': secret, 'custom:team': secret, email_verified: secret },
    ];
    const { report } = await run(
      cognitoCsv(rows, [...HEADER, 'password_hash']),
      rulesFor({}, { passwordHashingAlgorithm: 'BCRYPT' }, [...HEADER, 'password_hash']),
    );
    expect(report.errors).toBeGreaterThan(5);
    expect(JSON.stringify(report)).not.toContain(secret);
  });
});
