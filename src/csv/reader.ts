import { isUtf8 } from 'node:buffer';

/*
 * The byte-level reader of Cognito's CSV dialect (docs/cognito-behaviour.md, "The CSV file"):
 * one header, then one user a line; `\,` is a comma inside a value; values are trimmed; LF or
 * CRLF. In normalise mode it also reads RFC 4180 quoting, since that is what spreadsheets write.
 *
 * It splits physical lines with the native `indexOf` (memchr), checks UTF-8 with the native
 * `isUtf8` once per chunk, and splits fields in one pass over the bytes with a class table.
 * Nothing is decoded to strings here: a record is handed over as byte ranges, and the rules
 * decode only what they must. Lines that fit in a chunk are never copied; a line cut by a
 * chunk boundary is assembled in a buffer of at most `maxLineBytes`, so one bad line cannot
 * make the reader hold the whole file, and results do not depend on where chunks are cut.
 */

/** Field flag: the value was quoted (RFC 4180) in the source; its bytes live in scratch. */
export const FIELD_QUOTED = 1;
/** Field flag: the value contains an escaped comma `\,`. */
export const FIELD_ESCAPED = 2;
/** Field flag: spaces or tabs were trimmed from the value. */
export const FIELD_TRIMMED = 4;
/** Field flag: the value contains CR or LF. */
export const FIELD_NEWLINE = 8;
/** Field flag: text follows the closing quote of a quoted value. */
export const FIELD_BAD_QUOTE = 16;
/** Field flag: the trimmed value ends with a backslash and is followed by another field. */
export const FIELD_TRAILING_BACKSLASH = 32;
/**
 * Field flag: the value, as written in Cognito's dialect, starts with a double quote (strict
 * mode: a quote kept literally; normalise mode: a quoted value whose content starts with one).
 */
export const FIELD_LEADING_QUOTE = 64;
/** Field flag: a quoted value is still open at the end of the file. */
export const FIELD_UNTERMINATED = 128;

/** Reader options. */
export interface ReaderOptions {
  /** Read RFC 4180 quoted values (normalise mode). Off: quotes are ordinary characters. */
  quotes: boolean;
  /** Longest physical line (bytes, without LF) kept; longer lines are reported and skipped. */
  maxLineBytes: number;
}

/**
 * One record as byte ranges. The reader reuses this object (and its arrays) for every record:
 * a handler must copy what it keeps before returning.
 */
export class RecordView {
  /** Bytes holding the record's content. */
  buf: Buffer = Buffer.alloc(0);
  /** Content start in `buf` (after a BOM on line 1). */
  start = 0;
  /** Content end in `buf`, without the final CR/LF. */
  end = 0;
  /** Physical line the record starts on (line 1 = first line of the file). */
  line = 0;
  /** Physical lines the record spans (more than 1 only for quoted values with line breaks). */
  lines = 1;
  /** The record's last line ended with CRLF. */
  crlf = false;
  /** A UTF-8 BOM preceded the record (line 1 only). */
  bom = false;
  /** The record's bytes are valid UTF-8. */
  utf8 = true;
  /** The record contains a NUL byte. */
  nul = false;
  /** Number of fields. */
  count = 0;
  /** Fields that were RFC 4180 quoted. */
  quotedFields = 0;
  /** Fields that had spaces or tabs trimmed. */
  trimmedFields = 0;
  /** Bytes of all values together, as written in Cognito's dialect (trimmed, unquoted). */
  valueBytes = 0;
  /** Bytes of the longest value. */
  widestValue = 0;
  /** Bitwise OR of every field's flags. */
  flags = 0;
  /** Holds the Cognito-dialect bytes of the record's quoted values. */
  scratch: Buffer = Buffer.alloc(0);
  /** Per field: first byte of the trimmed value. */
  fieldStart = new Int32Array(0);
  /** Per field: byte after the trimmed value. */
  fieldEnd = new Int32Array(0);
  /** Per field: `FIELD_*` flags. */
  fieldFlags = new Uint8Array(0);

  /**
   * The buffer holding field `f`'s bytes: `scratch` for a quoted value, else `buf`.
   *
   * @param f - field index
   */
  bufferOf(f: number): Buffer {
    return ((this.fieldFlags[f] as number) & FIELD_QUOTED) !== 0 ? this.scratch : this.buf;
  }
}

/** What the reader reports, in file order. */
export interface RecordHandler {
  /** A non-blank record. */
  record(rec: RecordView): void;
  /** A blank (empty or whitespace-only) line. */
  blank(line: number, crlf: boolean): void;
  /** A record longer than `maxLineBytes`; its bytes were dropped. */
  overlong(line: number): void;
  /** The file starts with a UTF-16 byte order mark; the reader stops. */
  utf16(): void;
}

// Byte classes for the field scan: 0 = ordinary, 1 = look closer.
const SPECIAL = new Uint8Array(256);
for (const c of [0x00, 0x0a, 0x0d, 0x22, 0x2c, 0x5c]) SPECIAL[c] = 1;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Push-style reader: feed chunks with {@link CsvReader.write}, then call {@link CsvReader.end}.
 * Results are identical for any chunking of the same bytes.
 */
export class CsvReader {
  /** Bytes seen so far. */
  bytes = 0;
  private readonly handler: RecordHandler;
  private readonly quotes: boolean;
  private readonly maxLineBytes: number;
  private readonly view = new RecordView();
  private readonly carry: Buffer;
  private carryLen = 0;
  private skipping = false;
  private readonly pending: Buffer;
  private pendingLen = -1;
  private pendingLine = 0;
  private pendingUtf8 = true;
  private pendingBom = false;
  private scratch: Buffer;
  private line = 1;
  private stopped = false;

  /**
   * @param handler - receives records, blank lines and over-long lines
   * @param options - quoting and the line length bound
   */
  constructor(handler: RecordHandler, options: ReaderOptions) {
    this.handler = handler;
    this.quotes = options.quotes;
    this.maxLineBytes = options.maxLineBytes;
    this.carry = Buffer.allocUnsafe(options.maxLineBytes + 1);
    this.pending = Buffer.allocUnsafe(options.maxLineBytes + 1);
    this.scratch = Buffer.allocUnsafe(2 * options.maxLineBytes + 16);
    this.view.scratch = this.scratch;
    this.growFields(64);
  }

  /**
   * Reads one chunk. The reader keeps no reference to `chunk` after returning.
   *
   * @param chunk - the next bytes of the file, cut anywhere
   */
  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.stopped || chunk.length === 0) return;
    const b = asBuffer(chunk);
    const n = b.length;
    const max = this.maxLineBytes;
    let pos = 0;
    if (this.skipping) {
      const lf = b.indexOf(10);
      if (lf < 0) return;
      this.skipping = false;
      this.line++;
      pos = lf + 1;
    } else if (this.carryLen > 0) {
      const lf = b.indexOf(10);
      const take = lf < 0 ? n : lf;
      if (this.carryLen + take > max) {
        this.carryLen = 0;
        this.lineTooLong();
        if (lf < 0) {
          this.skipping = true;
          return;
        }
        this.line++;
      } else {
        b.copy(this.carry, this.carryLen, 0, take);
        this.carryLen += take;
        if (lf < 0) return;
        const len = this.carryLen;
        this.carryLen = 0;
        this.carry[len] = 10;
        this.completeLine(this.carry, 0, len, false);
        if (this.stopped) return;
      }
      pos = lf + 1;
    }
    const last = b.lastIndexOf(10);
    if (last >= pos) {
      // Newlines never occur inside a multi-byte sequence, so the complete lines of a chunk
      // can be checked as one block; only a bad block needs checking line by line.
      const utf8 = isUtf8(b.subarray(pos, last));
      let s = pos;
      while (s <= last) {
        const lf = b.indexOf(10, s);
        if (lf - s > max) {
          this.lineTooLong();
          this.line++;
        } else {
          this.completeLine(b, s, lf, utf8);
          if (this.stopped) return;
        }
        s = lf + 1;
      }
      pos = last + 1;
    }
    const rem = n - pos;
    if (rem > max) {
      this.lineTooLong();
      this.skipping = true;
    } else if (rem > 0) {
      b.copy(this.carry, 0, pos, n);
      this.carryLen = rem;
    }
  }

  /** Reads the last line (a file need not end with a newline) and any record left open. */
  end(): void {
    if (this.stopped) return;
    if (this.skipping) {
      this.skipping = false;
    } else if (this.carryLen > 0) {
      const len = this.carryLen;
      this.carryLen = 0;
      this.carry[len] = 10;
      this.completeLine(this.carry, 0, len, false);
    }
    while (this.pendingLen >= 0 && !this.stopped) this.abandonPending();
    this.stopped = true;
  }

  private lineTooLong(): void {
    while (this.pendingLen >= 0) this.abandonPending();
    this.handler.overlong(this.line);
  }

  /**
   * A quoted value left open until the end of the file or the line limit is far more likely a
   * stray quote than a value with line breaks: report the record's first line alone (with its
   * unterminated quote) and read the lines after it again as ordinary lines, so that a stray
   * quote cannot swallow the rows after it.
   */
  private abandonPending(): void {
    const p = this.pending;
    const len = this.pendingLen;
    this.pendingLen = -1;
    p[len] = 10;
    let firstEnd = p.indexOf(10);
    if (firstEnd > len) firstEnd = len;
    const rest = Buffer.allocUnsafe(Math.max(0, len - firstEnd));
    if (firstEnd < len) p.copy(rest, 0, firstEnd + 1, len);
    if (rest.length > 0) rest[rest.length - 1] = 10;
    const crlf = firstEnd > 0 && p[firstEnd - 1] === 13;
    const ce = crlf ? firstEnd - 1 : firstEnd;
    const first = this.pendingLine;
    const resume = this.line;
    this.parse(p, 0, ce, true);
    this.emit(p, 0, ce, first, 1, crlf, this.pendingBom, isUtf8(p.subarray(0, ce)));
    this.line = first + 1;
    const restLen = len - firstEnd - 1;
    let s = 0;
    while (s < restLen && !this.stopped) {
      let lf = rest.indexOf(10, s);
      if (lf > restLen) lf = restLen;
      this.completeLine(rest, s, lf, false);
      s = lf + 1;
    }
    // The record's last line was empty.
    if (this.line < resume) this.completeLine(rest, restLen, restLen, false);
  }

  private completeLine(b: Buffer, start: number, e: number, utf8Known: boolean): void {
    const utf8 = utf8Known || isUtf8(b.subarray(start, e));
    let s = start;
    if (this.pendingLen >= 0) {
      const len = this.pendingLen;
      const need = len + 1 + (e - s);
      if (need > this.maxLineBytes) {
        while (this.pendingLen >= 0) this.abandonPending();
        this.completeLine(b, start, e, utf8Known);
        return;
      }
      const p = this.pending;
      p[len] = 10;
      b.copy(p, len + 1, s, e);
      this.pendingLen = need;
      this.pendingUtf8 = this.pendingUtf8 && utf8;
      this.line++;
      p[need] = 10;
      const crlf = need > 0 && p[need - 1] === 13;
      const ce = crlf ? need - 1 : need;
      if (this.parse(p, 0, ce, false)) {
        this.pendingLen = -1;
        const first = this.pendingLine;
        this.emit(p, 0, ce, first, this.line - first, crlf, this.pendingBom, this.pendingUtf8);
      }
      return;
    }
    let bom = false;
    if (this.line === 1 && e - s >= 2) {
      const c0 = b[s] as number;
      const c1 = b[s + 1] as number;
      if ((c0 === 0xff && c1 === 0xfe) || (c0 === 0xfe && c1 === 0xff)) {
        this.stopped = true;
        this.handler.utf16();
        return;
      }
      if (c0 === 0xef && c1 === 0xbb && b[s + 2] === 0xbf) {
        bom = true;
        s += 3;
      }
    }
    const crlf = e > s && b[e - 1] === 13;
    const ce = crlf ? e - 1 : e;
    let k = s;
    while (k < ce && (b[k] === 0x20 || b[k] === 0x09)) k++;
    if (k === ce) {
      this.handler.blank(this.line, crlf);
      this.line++;
      return;
    }
    if (this.parse(b, s, ce, false)) {
      this.emit(b, s, ce, this.line, 1, crlf, bom, utf8);
      this.line++;
      return;
    }
    // A quoted value is still open at the end of the line: the record continues on the next.
    b.copy(this.pending, 0, s, e);
    this.pendingLen = e - s;
    this.pendingLine = this.line;
    this.pendingUtf8 = utf8;
    this.pendingBom = bom;
    this.line++;
  }

  private emit(
    b: Buffer,
    s: number,
    e: number,
    line: number,
    lines: number,
    crlf: boolean,
    bom: boolean,
    utf8: boolean,
  ): void {
    const v = this.view;
    v.buf = b;
    v.start = s;
    v.end = e;
    v.line = line;
    v.lines = lines;
    v.crlf = crlf;
    v.bom = bom;
    v.utf8 = utf8;
    this.handler.record(v);
  }

  private growFields(cap: number): void {
    const v = this.view;
    const starts = new Int32Array(cap);
    const ends = new Int32Array(cap);
    const flags = new Uint8Array(cap);
    starts.set(v.fieldStart);
    ends.set(v.fieldEnd);
    flags.set(v.fieldFlags);
    v.fieldStart = starts;
    v.fieldEnd = ends;
    v.fieldFlags = flags;
  }

  /**
   * Splits `b[s, e)` into fields. Returns false when a quoted value is still open at `e` and
   * `final` is false (the caller then appends the next line and parses again).
   */
  private parse(b: Buffer, s: number, e: number, final: boolean): boolean {
    const v = this.view;
    const quotes = this.quotes;
    const sc = this.scratch;
    let starts = v.fieldStart;
    let ends = v.fieldEnd;
    let flags = v.fieldFlags;
    let nf = 0;
    let fs = s;
    let ff = 0;
    let rf = 0;
    let nul = false;
    let sp = 0;
    let i = s;
    let quoted = 0;
    let trimmed = 0;
    let bytes = 0;
    let widest = 0;
    for (;;) {
      // b[e] is always CR or LF (a sentinel), so this loop needs no bounds test.
      let c = b[i] as number;
      while (SPECIAL[c] === 0) c = b[++i] as number;
      if (i < e) {
        if (c !== 0x2c) {
          if (c === 0x5c) {
            if (i + 1 < e && b[i + 1] === 0x2c) {
              ff |= FIELD_ESCAPED;
              i += 2;
            } else {
              i++;
            }
            continue;
          }
          if (c === 0x22) {
            let k = fs;
            while (k < i && (b[k] === 0x20 || b[k] === 0x09)) k++;
            if (k < i) {
              i++;
              continue;
            }
            if (!quotes) {
              ff |= FIELD_LEADING_QUOTE;
              i++;
              continue;
            }
            // RFC 4180 quoted value: unquote into scratch, writing commas as `\,` so that the
            // rules and the writer see every value in Cognito's own form.
            let o = sp;
            let j = i + 1;
            let closed = false;
            while (j < e) {
              const d = b[j] as number;
              if (d === 0x22) {
                if (j + 1 < e && b[j + 1] === 0x22) {
                  sc[o++] = 0x22;
                  j += 2;
                  continue;
                }
                closed = true;
                j++;
                break;
              }
              if (d === 0x2c) {
                ff |= FIELD_ESCAPED;
                sc[o++] = 0x5c;
              } else if (d === 0x0a || d === 0x0d) {
                ff |= FIELD_NEWLINE;
              } else if (d === 0) {
                nul = true;
              }
              sc[o++] = d;
              j++;
            }
            if (!closed) {
              if (!final) return false;
              ff |= FIELD_UNTERMINATED;
            }
            ff |= FIELD_QUOTED;
            quoted++;
            while (j < e && (b[j] === 0x20 || b[j] === 0x09)) j++;
            if (j < e && b[j] !== 0x2c) {
              ff |= FIELD_BAD_QUOTE;
              while (j < e) {
                const d = b[j] as number;
                if (d === 0x2c) break;
                if (d === 0) nul = true;
                j += d === 0x5c && b[j + 1] === 0x2c && j + 1 < e ? 2 : 1;
              }
            }
            let a = sp;
            let z = o;
            while (a < z && (sc[a] === 0x20 || sc[a] === 0x09)) a++;
            while (z > a && (sc[z - 1] === 0x20 || sc[z - 1] === 0x09)) z--;
            if (j < e && z > a && sc[z - 1] === 0x5c) ff |= FIELD_TRAILING_BACKSLASH;
            // Written unquoted, a value starting with a quote is ambiguous to any reader.
            if (z > a && sc[a] === 0x22) ff |= FIELD_LEADING_QUOTE;
            if (nf === starts.length) {
              this.growFields(nf * 2);
              starts = v.fieldStart;
              ends = v.fieldEnd;
              flags = v.fieldFlags;
            }
            starts[nf] = a;
            ends[nf] = z;
            flags[nf] = ff;
            nf++;
            bytes += z - a;
            if (z - a > widest) widest = z - a;
            rf |= ff;
            ff = 0;
            sp = o;
            if (j >= e) break;
            i = j + 1;
            fs = i;
            continue;
          }
          if (c === 0) nul = true;
          else ff |= FIELD_NEWLINE;
          i++;
          continue;
        }
      }
      // The field ends at i: a comma or the end of the record.
      let a = fs;
      let z = i;
      if (a < z) {
        let c = b[a] as number;
        if (c === 0x20 || c === 0x09) {
          ff |= FIELD_TRIMMED;
          while (a < z && (b[a] === 0x20 || b[a] === 0x09)) a++;
        }
        c = b[z - 1] as number;
        if (z > a && (c === 0x20 || c === 0x09)) {
          ff |= FIELD_TRIMMED;
          while (z > a && (b[z - 1] === 0x20 || b[z - 1] === 0x09)) z--;
          // `a\ ,b` trimmed to `a\,b` would turn the delimiter into an escaped comma.
          if (i < e && z > a && b[z - 1] === 0x5c) ff |= FIELD_TRAILING_BACKSLASH;
        }
      }
      if (nf === starts.length) {
        this.growFields(nf * 2);
        starts = v.fieldStart;
        ends = v.fieldEnd;
        flags = v.fieldFlags;
      }
      starts[nf] = a;
      ends[nf] = z;
      flags[nf] = ff;
      nf++;
      const len = z - a;
      bytes += len;
      if (len > widest) widest = len;
      if (ff !== 0) {
        rf |= ff;
        if (ff & FIELD_TRIMMED) trimmed++;
        ff = 0;
      }
      if (i >= e) break;
      i++;
      fs = i;
    }
    v.count = nf;
    v.flags = rf;
    v.nul = nul;
    v.quotedFields = quoted;
    v.trimmedFields = trimmed;
    v.valueBytes = bytes;
    v.widestValue = widest;
    return true;
  }
}

const decoder = new TextDecoder('utf-8');

/**
 * The logical text of a field: Cognito-dialect bytes decoded, `\,` read as a comma.
 *
 * @param buf - the field's buffer
 * @param start - first byte
 * @param end - byte after the last
 */
export function fieldText(buf: Uint8Array, start: number, end: number): string {
  const text = decoder.decode(buf.subarray(start, end));
  return text.includes('\\,') ? text.replaceAll('\\,', ',') : text;
}

/** One record with decoded values, as returned by {@link readRecords}. */
export interface ParsedRecord {
  /** Physical line the record starts on. */
  line: number;
  /** Logical values, trimmed, `\,` read as a comma, quotes removed (normalise mode). */
  values: string[];
}

/**
 * Reads a whole small CSV into records of decoded values (header included). For tests, tools
 * and small files: it holds every value in memory.
 *
 * @param data - the file's bytes (or text, encoded as UTF-8)
 * @param options - `quotes` (default true) and `maxLineBytes` (default 64,008)
 */
export function readRecords(
  data: Uint8Array | string,
  options: Partial<ReaderOptions> = {},
): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  const reader = new CsvReader(
    {
      record(rec) {
        const values: string[] = [];
        for (let f = 0; f < rec.count; f++) {
          values.push(
            fieldText(rec.bufferOf(f), rec.fieldStart[f] as number, rec.fieldEnd[f] as number),
          );
        }
        out.push({ line: rec.line, values });
      },
      blank() {},
      overlong() {},
      utf16() {},
    },
    { quotes: options.quotes ?? true, maxLineBytes: options.maxLineBytes ?? 64_008 },
  );
  reader.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  reader.end();
  return out;
}
