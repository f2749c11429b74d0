/*
 * The comparison point: the same rules, normalisation and splitting written the straightforward
 * way, on csv-parse (a mature, widely used streaming parser) with strings, regular expressions
 * and a Set of usernames. Not tuned, not sabotaged: it is what one would write first.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { PoolRules } from '../src/csv/index.ts';

export interface BaselineResult {
  rows: number;
  invalidRows: number;
  acceptedRows: number;
  parts: number;
  outputBytes: number;
}

const BOOL = /^(true|false)$/i;
const EMAIL = /^[^\s@,\\]+@[^\s@,\\]+$/;
const PHONE = /^\+\d+$/;
const BIRTHDATE = /^(\d\d)\/(\d\d)\/(\d{4})$/;
const UPDATED_AT = /^\d{1,10}$/;
const NUMBER = /^[+-]?\d+(\.\d+)?$/;

function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++)
    if (v.charCodeAt(i) < 0x20 || v.charCodeAt(i) === 0x7f) return true;
  return false;
}

function dateOk(v: string): boolean {
  const m = BIRTHDATE.exec(v);
  if (!m) return false;
  const month = Number(m[1]);
  const day = Number(m[2]);
  const year = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

// csv-parse knows RFC 4180 quoting but not Cognito's `\,`: a value with an escaped comma comes
// back as two fields, the first ending in a backslash; join them again.
function joinEscaped(record: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < record.length; i++) {
    let v = record[i] as string;
    while (v.endsWith('\\') && i + 1 < record.length) v = `${v.slice(0, -1)},${record[++i]}`;
    out.push(v.trim());
  }
  return out;
}

/**
 * Validates, normalises and splits a file the straightforward way.
 *
 * @param path - the CSV file
 * @param rules - the pool's rules
 */
export async function baselineValidate(
  path: string,
  rules: PoolRules,
  onInvalid?: (line: number, codes: string[]) => void,
): Promise<BaselineResult> {
  const parser = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
    parse({
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      // Files mix line ends; csv-parse would otherwise keep only the first one it sees.
      record_delimiter: ['\r\n', '\n'],
    }),
  );
  let skipped = 0;
  parser.on('skip', () => {
    skipped++;
  });
  const sink = (_: Buffer) => {};
  let header: string[] | undefined;
  const seen = new Set<string>();
  let rows = 0;
  let invalidRows = 0;
  let accepted = 0;
  let parts = 0;
  let partRows = 0;
  let partBytes = 0;
  let outputBytes = 0;
  let headerLine = '';
  const col = (name: string) => (header ? header.indexOf(name) : -1);
  let idx: Record<string, number> = {};
  const boolCols: number[] = [];
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    const values = joinEscaped(record);
    if (!header) {
      header = values;
      headerLine = header.join(',');
      idx = Object.fromEntries(
        [
          'cognito:username',
          'email',
          'email_verified',
          'phone_number',
          'phone_number_verified',
          'cognito:mfa_enabled',
          'birthdate',
          'updated_at',
        ].map((n) => [n, col(n)]),
      );
      for (const n of ['email_verified', 'phone_number_verified', 'cognito:mfa_enabled']) {
        if (col(n) >= 0) boolCols.push(col(n));
      }
      continue;
    }
    rows++;
    const errors: string[] = [];
    const get = (name: string) => values[idx[name] ?? -1] ?? '';
    if (values.length !== header.length) {
      // Values no longer line up with columns: checking them would only add noise.
      invalidRows++;
      onInvalid?.(info.lines, ['field-count']);
      continue;
    }
    for (const v of values) {
      if (v.includes('\uFFFD')) errors.push('encoding.invalid-utf8');
      if (v.includes('\u0000')) errors.push('encoding.nul');
      if (v.includes('\n') || v.includes('\r')) errors.push('value.newline');
      if (v.length > 2048) errors.push('value.too-long');
    }
    const username = get('cognito:username');
    if (username === '') errors.push('username.empty');
    else {
      if (/\s/.test(username) || hasControl(username)) errors.push('username.whitespace');
      const key = rules.caseSensitive ? username : username.toLowerCase();
      if (seen.has(key)) errors.push('username.duplicate');
      else seen.add(key);
    }
    for (const c of boolCols) {
      const v = values[c] ?? '';
      if (v !== '' && !BOOL.test(v)) errors.push('boolean.format');
    }
    const ev = get('email_verified').toLowerCase() === 'true';
    const pv = get('phone_number_verified').toLowerCase() === 'true';
    const mfa = get('cognito:mfa_enabled').toLowerCase();
    if (rules.mfa === 'ON' && mfa === 'false') errors.push('mfa.pool-mismatch');
    if (rules.mfa === 'OFF' && mfa === 'true') errors.push('mfa.pool-mismatch');
    const auto = rules.autoVerified;
    if (auto.length > 0 && !auto.some((a) => (a === 'email' ? ev : pv))) {
      errors.push('verified.none-true');
    }
    const email = get('email');
    if (email === '' && ev) errors.push('email.missing-when-verified');
    if (email !== '' && !EMAIL.test(email)) errors.push('email.format');
    const phone = get('phone_number');
    if (phone === '' && pv) errors.push('phone.missing-when-verified');
    if (phone !== '' && !PHONE.test(phone)) errors.push('phone.format');
    const birthdate = get('birthdate');
    if (birthdate !== '' && !dateOk(birthdate)) errors.push('birthdate.format');
    const updatedAt = get('updated_at');
    if (updatedAt !== '' && !UPDATED_AT.test(updatedAt)) errors.push('updated_at.format');
    for (const name of rules.required) {
      if (col(name) >= 0 && (values[col(name)] ?? '') === '') errors.push('required.missing');
    }
    for (const [name, rule] of Object.entries(rules.custom)) {
      const v = values[col(name)] ?? '';
      if (v === '') continue;
      if (rule.type === 'Number') {
        if (!NUMBER.test(v)) errors.push('custom.type');
        else if (
          (rule.minValue !== undefined && Number(v) < rule.minValue) ||
          (rule.maxValue !== undefined && Number(v) > rule.maxValue)
        ) {
          errors.push('custom.bounds');
        }
      } else if (rule.type === 'String') {
        const n = [...v].length;
        if ((rule.minLength ?? 0) > n || (rule.maxLength ?? Infinity) < n) {
          errors.push('custom.bounds');
        }
      }
    }
    const out = values.map((v, i) =>
      boolCols.includes(i) ? v.toLowerCase() : v.replaceAll(',', '\\,'),
    );
    const line = out.join(',');
    if (line.length > 16000) errors.push('line.too-long');
    if (errors.length > 0) {
      invalidRows++;
      onInvalid?.(info.lines, errors);
      sink(Buffer.from(`${info.lines},${rows},${errors.join(';')}\n`));
      continue;
    }
    accepted++;
    const bytes = Buffer.byteLength(line) + 1;
    if (parts === 0 || partRows >= 500_000 || partBytes + bytes > 100_000_000) {
      parts++;
      partRows = 0;
      partBytes = Buffer.byteLength(headerLine) + 1;
      sink(Buffer.from(`${headerLine}\n`));
    }
    partRows++;
    partBytes += bytes;
    outputBytes += bytes;
    sink(Buffer.from(`${line}\n`));
    sink(Buffer.from(`${parts},${partRows},${partRows + 1},${info.lines},${rows},${username}\n`));
  }
  return {
    rows: rows + skipped,
    invalidRows: invalidRows + skipped,
    acceptedRows: accepted,
    parts,
    outputBytes,
  };
}
