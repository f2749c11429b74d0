import { fieldText, type RecordView } from './reader.ts';

/*
 * Fields of a record the reader lends, read without making strings where a number will do: the
 * pipeline's own files (line map, memberships) are read this way, millions of rows at a time.
 */

/** A decimal field as a number; -1 when it is not one (a header, say). */
export function intField(rec: RecordView, f: number): number {
  if (f >= rec.count) return -1;
  const buf = rec.bufferOf(f);
  const end = rec.fieldEnd[f] as number;
  let at = rec.fieldStart[f] as number;
  if (at >= end) return -1;
  let n = 0;
  for (; at < end; at++) {
    const digit = (buf[at] as number) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** A field's text: Cognito's `\,` read as a comma, an RFC 4180 value unquoted. */
export const textField = (rec: RecordView, f: number): string =>
  f < rec.count
    ? fieldText(rec.bufferOf(f), rec.fieldStart[f] as number, rec.fieldEnd[f] as number)
    : '';
