import { messageFor, RULES, type RuleCode, type Severity } from './codes.ts';
import { checkPasswordHash, detectPasswordHash } from './hash-formats.ts';
import {
  type ByteSink,
  OutputQueue,
  type PartSinkFactory,
  type PartSummary,
  putInt,
  SinkWriter,
} from './output.ts';
import { PartGroups } from './part-groups.ts';
import {
  CsvReader,
  FIELD_BAD_QUOTE,
  FIELD_LEADING_QUOTE,
  FIELD_NEWLINE,
  FIELD_QUOTED,
  FIELD_TRAILING_BACKSLASH,
  FIELD_TRIMMED,
  FIELD_UNTERMINATED,
  fieldText,
  type RecordHandler,
  type RecordView,
} from './reader.ts';
import type { CustomAttributeRule, PasswordHashingAlgorithm, PoolRules } from './rules.ts';
import { UsernameHasher, UsernameTable } from './username-table.ts';

/**
 * How the report numbers lines: the physical line of the source file, the header being line 1
 * (blank lines count; a record whose quoted value spans lines takes the number of its first).
 * Each row issue also carries `row`, the data-row index (first data row = 1), which is how the
 * local Cognito twin numbers its log lines by default; the part map carries both.
 */
export const REPORT_LINE_NUMBERING = 'physical-line' as const;

/**
 * `normalise` (default): accept what spreadsheets write (RFC 4180 quotes, a BOM, CRLF, blank
 * lines, TRUE/True) and convert it, counting each kind of change in `report.normalised`.
 * `strict`: check the file as Cognito would read it unchanged: quotes are literal characters
 * (a value starting with one is warned about), a BOM is an error, CRLF and blank lines are
 * warnings. The output is Cognito's dialect in both modes.
 */
export type ValidationMode = 'normalise' | 'strict';

/** `reject`: any invalid row makes the file invalid. `skip`: invalid rows are set aside. */
export type InvalidRowsPolicy = 'reject' | 'skip';

/** Limits checked on the source file. Defaults are Cognito's (spec §1.2, §5.4). */
export interface Limits {
  /** Bytes in the source file (100,000,000). Raise it when the parts are what gets imported. */
  maxFileBytes: number;
  /** Data rows in the source file (500,000). Raise it when the parts are what gets imported. */
  maxFileRows: number;
  /** Characters per row, as written in Cognito's dialect (16,000). */
  maxLineChars: number;
  /** Characters per value (2,048). */
  maxValueChars: number;
  /** Distinct usernames tracked for duplicates (1,000,000: 12 MiB per table). */
  maxTrackedUsernames: number;
}

/** Options of {@link CsvValidator} and {@link validateCsv}. */
export interface ValidateOptions {
  mode?: ValidationMode;
  invalidRows?: InvalidRowsPolicy;
  /** Issues kept in the report with their message (1,000); totals stay exact beyond it. */
  maxIssues?: number;
  /**
   * Severity of a username seen before in the file (default `error`: Cognito would skip the
   * later row, and skipped rows count toward the job-failing "too many users have failed or
   * been skipped"). Spec §1.7 lists it as a warning; choose that here to follow it.
   */
  duplicateUsernames?: Severity;
  limits?: Partial<Limits>;
  /** Opens the sink of each part; without it no parts are written. */
  parts?: PartSinkFactory;
  /** Limits per part: bytes (100,000,000) and data rows (500,000). */
  partLimits?: { maxBytes?: number; maxRows?: number };
  /**
   * Receives the line map, a CSV `part,part_row,part_line,source_line,source_row,username`: for
   * each row written to a part, its data-row number in the part (1 = first data row), its
   * physical line in the part (header = 1), its physical line and data-row number in the
   * source, and its username. The only output besides the parts that holds a username.
   */
  map?: ByteSink;
  /** Receives invalid rows, a CSV `line,row,reasons,record` (reasons: `code@column;…`). */
  rejected?: ByteSink;
  /** Bytes per block handed to sinks (256 KiB). */
  blockSize?: number;
  /**
   * The source's size in bytes, when known (S3 `ContentLength`, a file's size): sizes the
   * username table for about one name per 200 bytes up front instead of growing it.
   */
  sourceBytes?: number;
}

/** One problem found. */
export interface Issue {
  /** Physical line (header = 1); 0 = the file as a whole. */
  line: number;
  /** Data-row index (first data row = 1), for row issues. */
  row?: number;
  /** The column's name when it is a known attribute, else `#<position>`. */
  column?: string;
  code: RuleCode;
  severity: Severity;
  message: string;
}

/** Changes normalisation made, by kind. */
export interface NormalisedCounts {
  /** 1 if a UTF-8 BOM was removed. */
  bomRemoved: number;
  /** Values that were RFC 4180 quoted (unquoted, commas escaped as `\,`). */
  quotedFields: number;
  /** Lines that ended with CRLF (written with LF). */
  crlf: number;
  /** Boolean values written in lower case (`TRUE` → `true`). */
  booleans: number;
  /** Blank lines dropped. */
  blankLines: number;
  /** Values with leading or trailing spaces/tabs removed. */
  trimmedFields: number;
}

/** The validation report (`reports/<run>/validation.json`). */
export interface ValidationReport {
  /** The file can be imported: no file-level error, and no invalid row unless policy is skip. */
  valid: boolean;
  /** Data rows read (blank lines not counted). */
  rows: number;
  /** Rows with at least one error. */
  invalidRows: number;
  /** Valid rows (written to the parts when parts are asked for). */
  acceptedRows: number;
  /** Warnings, exact. */
  warnings: number;
  /** Errors (file and row), exact. */
  errors: number;
  /** Errors about the file or header as a whole, exact. */
  fileErrors: number;
  mode: ValidationMode;
  policy: InvalidRowsPolicy;
  lineNumbering: typeof REPORT_LINE_NUMBERING;
  /** Source size in bytes. */
  bytes: number;
  /** Physical lines in the source. */
  lines: number;
  /** The header's columns (names that are not attributes of the pool shown as `#<position>`). */
  header: string[];
  /** Exact totals per rule code (codes that occurred). */
  counts: Partial<Record<RuleCode, number>>;
  /** The first `maxIssues` issues in file order. */
  issues: Issue[];
  /** Issues not listed because of the cap. */
  issuesOmitted: number;
  normalised: NormalisedCounts;
  /**
   * Valid rows by the algorithm of their password hash (`none`: an empty cell), when the file has
   * a `password_hash` column. Without an algorithm in the rules, each row's algorithm is the one
   * its hash is written in, and the rows of each algorithm go to parts of their own.
   */
  passwordHashes?: Partial<Record<PasswordHashingAlgorithm | 'none', number>>;
  /** Parts written, in order (empty without a part sink). */
  parts: PartSummary[];
}

/** What {@link validateCsv} returns: the report. */
export type ValidationResult = ValidationReport;

const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 100_000_000,
  maxFileRows: 500_000,
  maxLineChars: 16_000,
  maxValueChars: 2_048,
  maxTrackedUsernames: 1_000_000,
};

const B_BLANK = 0;
const B_TRUE = 1;
const B_FALSE = 2;
const B_INVALID = 3;
/** Added to B_TRUE/B_FALSE when the value is not already lower case. */
const B_RECASE = 4;

const K_BIRTHDATE = 1;
const K_UPDATED_AT = 2;
const K_CUSTOM_STRING = 3;
const K_CUSTOM_NUMBER = 4;
const K_CUSTOM_BOOLEAN = 5;
const K_HASH = 6;
const K_REQUIRED = 7;

const FIELD_PROBLEMS =
  FIELD_BAD_QUOTE |
  FIELD_NEWLINE |
  FIELD_TRAILING_BACKSLASH |
  FIELD_UNTERMINATED |
  FIELD_LEADING_QUOTE;
const FIELD_REWRITE = FIELD_QUOTED | FIELD_TRIMMED;

const NUMBER = /^[+-]?\d+(\.\d+)?$/;
const MAX_REASONS = 16;

interface Check {
  col: number;
  kind: number;
  rule?: CustomAttributeRule;
}

// Short runs are copied with a plain loop: cheaper than a native call for a few bytes.
function copyInto(src: Buffer, s: number, e: number, out: Buffer, o: number): number {
  if (e - s < 48) {
    let p = o;
    for (let i = s; i < e; i++) out[p++] = src[i] as number;
    return p;
  }
  src.copy(out, o, s, e);
  return o + e - s;
}

function boolAt(b: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 0) return B_BLANK;
  if (len === 4) {
    const c0 = b[s] as number;
    const c1 = b[s + 1] as number;
    const c2 = b[s + 2] as number;
    const c3 = b[s + 3] as number;
    if (
      (c0 | 0x20) === 0x74 &&
      (c1 | 0x20) === 0x72 &&
      (c2 | 0x20) === 0x75 &&
      (c3 | 0x20) === 0x65
    ) {
      return c0 === 0x74 && c1 === 0x72 && c2 === 0x75 && c3 === 0x65 ? B_TRUE : B_TRUE + B_RECASE;
    }
    return B_INVALID;
  }
  if (len === 5) {
    const c0 = b[s] as number;
    const c1 = b[s + 1] as number;
    const c2 = b[s + 2] as number;
    const c3 = b[s + 3] as number;
    const c4 = b[s + 4] as number;
    if (
      (c0 | 0x20) === 0x66 &&
      (c1 | 0x20) === 0x61 &&
      (c2 | 0x20) === 0x6c &&
      (c3 | 0x20) === 0x73 &&
      (c4 | 0x20) === 0x65
    ) {
      return c0 === 0x66 && c1 === 0x61 && c2 === 0x6c && c3 === 0x73 && c4 === 0x65
        ? B_FALSE
        : B_FALSE + B_RECASE;
    }
  }
  return B_INVALID;
}

// A plausible address: one @ with something on both sides, no spaces, controls, commas or
// backslashes. Cognito documents no format for import (spec §1.4), so this only catches data
// that is plainly not an address (a name, a phone number, two addresses in one cell).
function plausibleEmail(b: Buffer, s: number, e: number): boolean {
  let at = -1;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if (c <= 0x20 || c === 0x7f || c === 0x2c || c === 0x5c) return false;
    if (c === 0x40) {
      if (at >= 0) return false;
      at = i;
    }
  }
  return at > s && at < e - 1;
}

function phoneOk(b: Buffer, s: number, e: number): boolean {
  if (e - s < 2 || b[s] !== 0x2b) return false;
  for (let i = s + 1; i < e; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function digitsAt(b: Buffer, s: number, n: number): number {
  let v = 0;
  for (let i = s; i < s + n; i++) {
    const d = (b[i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function birthdateOk(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 10 || b[s + 2] !== 0x2f || b[s + 5] !== 0x2f) return false;
  const m = digitsAt(b, s, 2);
  const d = digitsAt(b, s + 3, 2);
  const y = digitsAt(b, s + 6, 4);
  if (m < 1 || m > 12 || d < 1 || y < 1) return false;
  if (d > (DAYS[m - 1] as number)) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return !(m === 2 && d === 29 && !leap);
}

function updatedAtOk(b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  return len >= 1 && len <= 10 && digitsAt(b, s, len) >= 0;
}

// Characters (code points) of a Cognito-dialect value: bytes that start a UTF-8 sequence,
// less one per `\,`, since the backslash is not part of the value.
function charsOf(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if ((c & 0xc0) !== 0x80) n++;
    if (c === 0x5c && i + 1 < e && b[i + 1] === 0x2c) {
      n--;
    }
  }
  return n;
}

// Whether a header name may appear in a message: only when it is (case-insensitively) an
// attribute name, because an unknown "name" may be a data value from a file without a header.
function safeLabel(name: string, known: Set<string>, position: number): string {
  return known.has(name) ? name : `#${position}`;
}

/**
 * Validates, normalises and splits one CSV, push-style: call {@link CsvValidator.write} for each
 * chunk (awaiting what it returns, if anything), then {@link CsvValidator.end}.
 */
export class CsvValidator {
  private readonly rules: PoolRules;
  private readonly mode: ValidationMode;
  private readonly policy: InvalidRowsPolicy;
  private readonly limits: Limits;
  private readonly maxIssues: number;
  private readonly duplicateSeverity: Severity;
  private readonly reader: CsvReader;
  private readonly queue = new OutputQueue();
  private readonly blockSize: number;
  private readonly partFactory: PartSinkFactory | undefined;
  private readonly partMaxBytes: number;
  private readonly partMaxRows: number;
  private readonly mapWriter: SinkWriter | undefined;
  private readonly rejectedWriter: SinkWriter | undefined;
  private groups: PartGroups | undefined;

  // The header, once read.
  private headerSeen = false;
  private dead = false;
  private width = 0;
  private labels: string[] = [];
  private colUser = -1;
  private colEmail = -1;
  private colPhone = -1;
  private colEV = -1;
  private colPV = -1;
  private colMfa = -1;
  private boolCols: number[] = [];
  private isBool = new Uint8Array(0);
  private checks: Check[] = [];
  private hashCounts: Partial<Record<PasswordHashingAlgorithm | 'none', number>> | undefined;

  // Usernames.
  private readonly hasher = new UsernameHasher();
  private readonly names: UsernameTable;
  private readonly folded: UsernameTable | undefined;
  private untrackedReported = false;

  // Counters.
  private rows = 0;
  private invalidRows = 0;
  private accepted = 0;
  private warnings = 0;
  private errors = 0;
  private fileErrors = 0;
  private lines = 0;
  private readonly counts: Partial<Record<RuleCode, number>> = {};
  private readonly issues: Issue[] = [];
  private omitted = 0;
  private readonly normalised: NormalisedCounts = {
    bomRemoved: 0,
    quotedFields: 0,
    crlf: 0,
    booleans: 0,
    blankLines: 0,
    trimmedFields: 0,
  };
  private crlfWarned = false;

  // The current row.
  private rowErrors = 0;
  /** The algorithm of the row's password hash: the rules' own, or the one its hash is in. */
  private rowAlgorithm: PasswordHashingAlgorithm | undefined;
  private recase = false;
  private readonly reasonCodes: RuleCode[] = [];
  private reasonCount = 0;
  private readonly reasonCols = new Int32Array(MAX_REASONS);
  private rowBuf: Buffer;

  /**
   * @param rules - the pool's rules, from {@link poolRulesFrom}
   * @param options - mode, policy, limits and the output sinks
   * @throws RangeError if a limit is not a positive number
   */
  constructor(rules: PoolRules, options: ValidateOptions = {}) {
    this.rules = rules;
    this.mode = options.mode ?? 'normalise';
    this.policy = options.invalidRows ?? 'reject';
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.maxIssues = options.maxIssues ?? 1000;
    this.duplicateSeverity = options.duplicateUsernames ?? 'error';
    this.blockSize = options.blockSize ?? 256 * 1024;
    this.partFactory = options.parts;
    this.partMaxBytes = options.partLimits?.maxBytes ?? 100_000_000;
    this.partMaxRows = options.partLimits?.maxRows ?? 500_000;
    for (const [name, value] of Object.entries({
      ...this.limits,
      maxIssues: this.maxIssues,
      blockSize: this.blockSize,
      partMaxBytes: this.partMaxBytes,
      partMaxRows: this.partMaxRows,
    })) {
      if (!(value > 0) && !(name === 'maxIssues' && value === 0)) {
        throw new RangeError(`${name} must be a positive number`);
      }
    }
    // A line of maxLineChars characters has at most 4 bytes a character, plus CR.
    const maxLineBytes = this.limits.maxLineChars * 4 + 8;
    const handler: RecordHandler = {
      record: (v) => this.onRecord(v),
      blank: (line, crlf) => this.onBlank(line, crlf),
      overlong: (line) => this.onOverlong(line),
      utf16: () => this.onUtf16(),
    };
    this.reader = new CsvReader(handler, { quotes: this.mode === 'normalise', maxLineBytes });
    this.rowBuf = Buffer.allocUnsafe(2 * maxLineBytes + 16);
    const tracked = this.limits.maxTrackedUsernames;
    // Growing the table rehashes every name it holds; a size hint avoids most of that.
    const expected = Math.min(tracked, Math.ceil((options.sourceBytes ?? 0) / 200));
    const initial = Math.max(4096, expected * 2);
    this.names = new UsernameTable(tracked, initial);
    this.folded = rules.caseSensitive ? new UsernameTable(tracked, initial) : undefined;
    const map = options.map;
    if (map) {
      this.mapWriter = new SinkWriter(this.queue, this.blockSize, () => map);
      this.mapWriter.text('part,part_row,part_line,source_line,source_row,username\n');
    }
    const rejected = options.rejected;
    if (rejected) {
      this.rejectedWriter = new SinkWriter(this.queue, this.blockSize, () => rejected);
      this.rejectedWriter.text('line,row,reasons,record\n');
    }
  }

  /**
   * Reads the next chunk of the file.
   *
   * @param chunk - bytes, cut anywhere; not kept after the call
   * @returns a promise when an async sink is still busy (await it before the next write), else
   *   undefined
   * @throws what a sink threw
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    this.reader.write(chunk);
    return this.queue.pending();
  }

  /**
   * Finishes the file: reads the last line, ends every sink and returns the report.
   *
   * @throws what a sink threw
   */
  async end(): Promise<ValidationReport> {
    this.reader.end();
    const bytes = this.reader.bytes;
    if (!this.headerSeen) {
      if (!this.dead) this.fileIssue('file.empty', 0);
    } else if (!this.dead) {
      if (this.rows === 0) this.fileIssue('file.no-rows', 0);
      else if (this.policy === 'skip' && this.accepted === 0)
        this.fileIssue('file.no-valid-rows', 0);
    }
    if (bytes > this.limits.maxFileBytes) {
      this.fileIssue(
        'file.too-large',
        0,
        -1,
        `${bytes} bytes, over the limit of ${this.limits.maxFileBytes}`,
      );
    }
    this.groups?.close();
    this.mapWriter?.close();
    this.rejectedWriter?.close();
    const pending = this.queue.pending();
    if (pending) await pending;
    return {
      valid: this.fileErrors === 0 && (this.policy === 'skip' || this.invalidRows === 0),
      rows: this.rows,
      invalidRows: this.invalidRows,
      acceptedRows: this.accepted,
      warnings: this.warnings,
      errors: this.errors,
      fileErrors: this.fileErrors,
      mode: this.mode,
      policy: this.policy,
      lineNumbering: REPORT_LINE_NUMBERING,
      bytes,
      lines: this.lines,
      header: this.labels,
      counts: this.counts,
      issues: this.issues,
      issuesOmitted: this.omitted,
      normalised: this.normalised,
      ...(this.hashCounts ? { passwordHashes: this.hashCounts } : {}),
      parts: this.groups ? this.groups.parts : [],
    };
  }

  // ---- what the reader reports ----

  private onBlank(line: number, crlf: boolean): void {
    this.lines = line;
    this.normalised.blankLines++;
    if (crlf) this.sawCrlf(line);
    if (this.mode === 'strict') this.issue('line.blank', line, 0, -1, undefined, undefined);
  }

  private onOverlong(line: number): void {
    this.lines = line;
    if (!this.headerSeen) {
      this.headerSeen = true;
      this.dead = true;
      this.fileIssue('line.too-long', line, -1, this.limits.maxLineChars);
      return;
    }
    const row = this.startRow(line);
    if (this.dead) return;
    this.rowIssue('line.too-long', line, row, -1, this.limits.maxLineChars);
    this.finishInvalid(undefined, line, row);
  }

  private onUtf16(): void {
    this.dead = true;
    this.fileIssue('encoding.utf16', 1);
  }

  private onRecord(v: RecordView): void {
    this.lines = v.line + v.lines - 1;
    if (v.crlf) this.sawCrlf(this.lines);
    if (!this.headerSeen) {
      this.readHeader(v);
      return;
    }
    const line = v.line;
    const row = this.startRow(line);
    if (this.dead) return;
    const n = v.count;
    const fs = v.fieldStart;
    const fe = v.fieldEnd;
    if (!v.utf8) this.rowIssue('encoding.invalid-utf8', line, row, -1);
    if (v.nul) this.rowIssue('encoding.nul', line, row, -1);
    if (v.flags !== 0) {
      this.normalised.quotedFields += v.quotedFields;
      this.normalised.trimmedFields += v.trimmedFields;
      if ((v.flags & FIELD_PROBLEMS) !== 0) this.fieldFlags(v, line, row);
    }
    if (n !== this.width) {
      // The values no longer line up with the columns, so column rules would only add noise.
      this.rowIssue(
        'field-count',
        line,
        row,
        -1,
        `${n} value${n === 1 ? '' : 's'}, but the header has ${this.width} columns`,
      );
      this.finishInvalid(v, line, row);
      return;
    }

    // Lengths: a value's bytes bound its characters, so characters are counted only when the
    // bytes are over the limit.
    const maxValue = this.limits.maxValueChars;
    if (v.widestValue > maxValue) {
      for (let f = 0; f < n; f++) {
        if ((fe[f] as number) - (fs[f] as number) > maxValue) {
          if (charsOf(v.bufferOf(f), fs[f] as number, fe[f] as number) > maxValue) {
            this.rowIssue('value.too-long', line, row, f, maxValue);
          }
        }
      }
    }
    if (v.valueBytes + n - 1 > this.limits.maxLineChars) {
      let chars = n - 1;
      for (let f = 0; f < n; f++) {
        chars += charsOf(v.bufferOf(f), fs[f] as number, fe[f] as number);
      }
      if (chars > this.limits.maxLineChars) {
        this.rowIssue('line.too-long', line, row, -1, this.limits.maxLineChars);
      }
    }

    // cognito:username
    const cu = this.colUser;
    if (cu >= 0) {
      if (cu >= n || fs[cu] === fe[cu]) this.rowIssue('username.empty', line, row, cu);
      else this.username(v.bufferOf(cu), fs[cu] as number, fe[cu] as number, line, row);
    }

    // Booleans, verification and MFA (spec §1.3).
    this.recase = false;
    const ev = this.boolCol(this.colEV, v, line, row);
    const pv = this.boolCol(this.colPV, v, line, row);
    if (this.colMfa >= 0) {
      const mfa = this.boolCol(this.colMfa, v, line, row);
      const pool = this.rules.mfa;
      if (pool === 'ON' && mfa === B_FALSE)
        this.rowIssue('mfa.pool-mismatch', line, row, this.colMfa, 'true');
      else if (pool === 'OFF' && mfa === B_TRUE) {
        this.rowIssue('mfa.pool-mismatch', line, row, this.colMfa, 'false');
      }
    }
    const auto = this.rules.autoVerified;
    if (auto.length === 2) {
      if (ev !== B_TRUE && pv !== B_TRUE) {
        this.rowIssue(
          'verified.none-true',
          line,
          row,
          -1,
          'neither email_verified nor phone_number_verified is true',
        );
      }
    } else if (auto.length === 1) {
      if (auto[0] === 'email' ? ev !== B_TRUE : pv !== B_TRUE) {
        const col = auto[0] === 'email' ? this.colEV : this.colPV;
        const name = auto[0] === 'email' ? 'email_verified' : 'phone_number_verified';
        this.rowIssue(
          'verified.none-true',
          line,
          row,
          col,
          `${name} is not true, and the pool auto-verifies ${auto[0]} only`,
        );
      }
    }
    const ce = this.colEmail;
    if (ce >= 0 && ce < n && fs[ce] !== fe[ce]) {
      if (!plausibleEmail(v.bufferOf(ce), fs[ce] as number, fe[ce] as number)) {
        this.rowIssue('email.format', line, row, ce);
      }
    } else if (ev === B_TRUE) {
      this.rowIssue('email.missing-when-verified', line, row, ce);
    }
    const cp = this.colPhone;
    if (cp >= 0 && cp < n && fs[cp] !== fe[cp]) {
      if (!phoneOk(v.bufferOf(cp), fs[cp] as number, fe[cp] as number)) {
        this.rowIssue('phone.format', line, row, cp);
      }
    } else if (pv === B_TRUE) {
      this.rowIssue('phone.missing-when-verified', line, row, cp);
    }

    const checks = this.checks;
    for (let k = 0; k < checks.length; k++) {
      const check = checks[k] as Check;
      const c = check.col;
      if (c >= n || fs[c] === fe[c]) {
        if (check.kind === K_REQUIRED) this.rowIssue('required.missing', line, row, c);
        continue;
      }
      this.check(check, v.bufferOf(c), fs[c] as number, fe[c] as number, line, row);
    }

    if (this.rowErrors > 0) this.finishInvalid(v, line, row);
    else this.finishValid(v, line, row);
  }

  // ---- header ----

  private readHeader(v: RecordView): void {
    this.headerSeen = true;
    const line = v.line;
    const rules = this.rules;
    if (v.bom) {
      this.normalised.bomRemoved = 1;
      if (this.mode === 'strict') this.fileIssue('encoding.bom', line);
    }
    const broken = !v.utf8
      ? 'it is not valid UTF-8'
      : v.nul
        ? 'it contains a NUL byte'
        : v.flags & (FIELD_NEWLINE | FIELD_BAD_QUOTE | FIELD_UNTERMINATED)
          ? 'its quotes are unbalanced'
          : undefined;
    if (broken) {
      this.dead = true;
      this.fileIssue('header.invalid', line, -1, broken);
      return;
    }
    const expected = rules.csvHeader;
    const known = new Set([...expected, 'password_hash']);
    const lowerKnown = new Map<string, string>();
    for (const k of known) lowerKnown.set(k.toLowerCase(), k);
    const names: string[] = [];
    this.normalised.quotedFields += v.quotedFields;
    this.normalised.trimmedFields += v.trimmedFields;
    for (let f = 0; f < v.count; f++) {
      names.push(fieldText(v.bufferOf(f), v.fieldStart[f] as number, v.fieldEnd[f] as number));
    }
    this.width = names.length;
    this.labels = names.map((name, f) => safeLabel(name, known, f + 1));
    const seen = new Map<string, number>();
    for (let f = 0; f < names.length; f++) {
      const name = names[f] as string;
      if (name === '') {
        this.fileIssue('header.empty', line, f);
        continue;
      }
      if (!known.has(name)) {
        const near = lowerKnown.get(name.toLowerCase());
        this.fileIssue('header.unknown', line, f, near ? `did you mean ${near}?` : undefined);
        continue;
      }
      if (seen.has(name)) {
        this.fileIssue('header.duplicate', line, f);
        continue;
      }
      seen.set(name, f);
    }
    const col = (name: string) => seen.get(name) ?? -1;
    this.colUser = col('cognito:username');
    this.colEmail = col('email');
    this.colPhone = col('phone_number');
    this.colEV = col('email_verified');
    this.colPV = col('phone_number_verified');
    this.colMfa = col('cognito:mfa_enabled');
    this.boolCols = [this.colEV, this.colPV, this.colMfa].filter((c) => c >= 0);
    const checks: Check[] = [];
    const birth = col('birthdate');
    if (birth >= 0) checks.push({ col: birth, kind: K_BIRTHDATE });
    const updated = col('updated_at');
    if (updated >= 0) checks.push({ col: updated, kind: K_UPDATED_AT });
    for (const [name, rule] of Object.entries(rules.custom)) {
      const c = col(name);
      if (c < 0) continue;
      if (rule.type === 'String') checks.push({ col: c, kind: K_CUSTOM_STRING, rule });
      else if (rule.type === 'Number') checks.push({ col: c, kind: K_CUSTOM_NUMBER, rule });
      else if (rule.type === 'Boolean') {
        checks.push({ col: c, kind: K_CUSTOM_BOOLEAN, rule });
        this.boolCols.push(c);
      }
    }
    const hashCol = col('password_hash');
    if (hashCol >= 0) {
      checks.push({ col: hashCol, kind: K_HASH });
      this.hashCounts = {};
    }
    for (const name of rules.required) {
      const c = col(name);
      if (c >= 0) checks.push({ col: c, kind: K_REQUIRED });
      else this.fileIssue('required.missing', line, -1, 'column', name);
    }
    this.checks = checks;
    this.isBool = new Uint8Array(names.length);
    for (const c of this.boolCols) this.isBool[c] = 1;

    if (this.colUser < 0) this.fileIssue('header.missing-username', line);
    const auto = rules.autoVerified;
    const verifiedColumns = auto.map((a) => `${a}_verified`);
    const noVerified = auto.length > 0 && verifiedColumns.every((c) => col(c) < 0);
    if (auto.length === 0) this.fileIssue('pool.no-auto-verified', line);
    else if (noVerified) {
      const missing = verifiedColumns.join(' or ');
      this.fileIssue(
        'verified.column-missing',
        line,
        -1,
        missing,
        auto.length === 1 ? missing : undefined,
      );
    }
    for (const name of expected) {
      if (name === 'password_hash' || seen.has(name) || rules.required.includes(name)) continue;
      if (noVerified && verifiedColumns.includes(name)) continue;
      this.fileIssue('header.missing-column', line, -1, undefined, name);
    }
    if (rules.passwordHashingAlgorithm && hashCol < 0) {
      this.fileIssue('hash.column-missing', line, -1, rules.passwordHashingAlgorithm);
    }
    if (rules.usernameAttributes.length > 0) this.fileIssue('pool.username-attributes', line);

    if (this.partFactory) {
      const header = Buffer.from(`${names.map((n) => n.replaceAll(',', '\\,')).join(',')}\n`);
      this.groups = new PartGroups(
        this.queue,
        this.partFactory,
        header,
        this.partMaxBytes,
        this.partMaxRows,
        this.blockSize,
      );
    }
  }

  // ---- rows ----

  private startRow(line: number): number {
    const row = ++this.rows;
    this.rowErrors = 0;
    this.reasonCount = 0;
    this.rowAlgorithm = this.rules.passwordHashingAlgorithm;
    if (row === this.limits.maxFileRows + 1) {
      this.fileIssue('file.too-many-rows', line, -1, this.limits.maxFileRows);
    }
    return row;
  }

  private fieldFlags(v: RecordView, line: number, row: number): void {
    const flags = v.fieldFlags;
    let leadingQuoteWarned = false;
    for (let f = 0; f < v.count; f++) {
      const ff = flags[f] as number;
      if ((ff & FIELD_PROBLEMS) === 0) continue;
      if (ff & FIELD_UNTERMINATED) this.rowIssue('quote.unterminated', line, row, f);
      else if (ff & FIELD_NEWLINE) {
        this.rowIssue('value.newline', line, row, f, v.lines > 1 ? v.lines : undefined);
      }
      if (ff & FIELD_BAD_QUOTE) this.rowIssue('quote.unescaped', line, row, f);
      if (ff & FIELD_TRAILING_BACKSLASH) this.rowIssue('value.unrepresentable', line, row, f);
      if (ff & FIELD_LEADING_QUOTE && !leadingQuoteWarned) {
        leadingQuoteWarned = true;
        this.rowIssue('quote.quoted', line, row, f, this.mode);
      }
    }
  }

  private username(b: Buffer, s: number, e: number, line: number, row: number): void {
    const h = this.hasher;
    const caseSensitive = this.rules.caseSensitive;
    if (!h.hash(b, s, e, !caseSensitive)) h.hashFolded(b, s, e);
    if (h.whitespace) this.rowIssue('username.whitespace', line, row, this.colUser);
    const prev = this.names.add(h.a, h.b, line);
    if (prev > 0) {
      this.rowIssue(
        'username.duplicate',
        line,
        row,
        this.colUser,
        caseSensitive ? prev : `${prev} (ignoring case, as the pool does)`,
        this.duplicateSeverity,
      );
      return;
    }
    if (prev < 0) {
      if (!this.untrackedReported) {
        this.untrackedReported = true;
        this.rowIssue('username.untracked', line, row, -1, this.limits.maxTrackedUsernames);
      }
      return;
    }
    const folded = this.folded;
    if (folded) {
      if (!h.hash(b, s, e, true)) h.hashFolded(b, s, e);
      const first = folded.add(h.a, h.b, line);
      if (first > 0) this.rowIssue('username.case-duplicate', line, row, this.colUser, first);
    }
  }

  private boolCol(c: number, v: RecordView, line: number, row: number): number {
    if (c < 0 || c >= v.count) return B_BLANK;
    const r = boolAt(v.bufferOf(c), v.fieldStart[c] as number, v.fieldEnd[c] as number);
    if (r === B_INVALID) {
      this.rowIssue('boolean.format', line, row, c);
      return r;
    }
    if (r >= B_RECASE) {
      this.recase = true;
      this.normalised.booleans++;
      return r - B_RECASE;
    }
    return r;
  }

  private check(check: Check, b: Buffer, s: number, e: number, line: number, row: number): void {
    const c = check.col;
    switch (check.kind) {
      case K_BIRTHDATE:
        if (!birthdateOk(b, s, e)) this.rowIssue('birthdate.format', line, row, c);
        return;
      case K_UPDATED_AT:
        if (!updatedAtOk(b, s, e)) this.rowIssue('updated_at.format', line, row, c);
        return;
      case K_CUSTOM_STRING: {
        const rule = check.rule as CustomAttributeRule;
        const min = rule.minLength ?? 0;
        const max = rule.maxLength ?? Number.POSITIVE_INFINITY;
        const bytes = e - s;
        // Characters lie between bytes/4 and bytes: count them only when that range straddles
        // a limit.
        if (bytes <= max && bytes >= 4 * min) return;
        const chars = charsOf(b, s, e);
        if (chars < min || chars > max) {
          this.rowIssue(
            'custom.bounds',
            line,
            row,
            c,
            `${min} to ${rule.maxLength ?? 2048} characters`,
          );
        }
        return;
      }
      case K_CUSTOM_NUMBER: {
        const rule = check.rule as CustomAttributeRule;
        let value = e - s <= 15 ? digitsAt(b, s, e - s) : -1;
        if (value < 0) {
          const text = b.toString('latin1', s, e);
          if (!NUMBER.test(text)) {
            this.rowIssue('custom.type', line, row, c, 'a number');
            return;
          }
          value = Number(text);
        }
        if (
          (rule.minValue !== undefined && value < rule.minValue) ||
          (rule.maxValue !== undefined && value > rule.maxValue)
        ) {
          this.rowIssue(
            'custom.bounds',
            line,
            row,
            c,
            `${rule.minValue ?? '-∞'} to ${rule.maxValue ?? '∞'}`,
          );
        }
        return;
      }
      case K_CUSTOM_BOOLEAN: {
        const r = boolAt(b, s, e);
        if (r === B_INVALID) this.rowIssue('custom.type', line, row, c, 'true, false or empty');
        else if (r >= B_RECASE) {
          this.recase = true;
          this.normalised.booleans++;
        }
        return;
      }
      case K_HASH: {
        // An algorithm in the rules is the job's: every hash must be in it. Without one, each
        // hash says which it is, and its row goes to the parts of that algorithm.
        const value = fieldText(b, s, e);
        const algorithm = this.rules.passwordHashingAlgorithm ?? detectPasswordHash(value);
        if (!algorithm) {
          this.rowIssue('hash.unrecognised', line, row, c);
          return;
        }
        const result = checkPasswordHash(algorithm, value);
        if (!result.ok) this.rowIssue(result.code, line, row, c, result.detail);
        else this.rowAlgorithm = algorithm;
        return;
      }
      default:
        return;
    }
  }

  private finishValid(v: RecordView, line: number, row: number): void {
    this.accepted++;
    const counts = this.hashCounts;
    if (counts) {
      const group = this.rowAlgorithm ?? 'none';
      counts[group] = (counts[group] ?? 0) + 1;
    }
    const split = this.groups?.splitterFor(this.rowAlgorithm);
    if (!split) return;
    const n = v.count;
    const len = v.valueBytes + n - 1;
    const w = split.beginRow(len, line);
    if ((v.flags & FIELD_REWRITE) === 0 && !this.recase) {
      // Nothing to change: the source line is already in Cognito's dialect.
      w.copy(v.buf, v.start, v.end);
    } else if (len + 1 <= w.capacity) {
      this.rebuild(v, w.block, w.pos);
      w.advance(len);
    } else {
      w.copy(this.rowBuf, 0, this.rebuild(v, this.rowBuf, 0));
    }
    split.endRow();
    const map = this.mapWriter;
    if (!map) return;
    const cu = this.colUser;
    let us = 0;
    let ue = 0;
    let ub = v.buf;
    if (cu >= 0 && cu < n) {
      ub = v.bufferOf(cu);
      us = v.fieldStart[cu] as number;
      ue = v.fieldEnd[cu] as number;
    }
    const room = 64 + ue - us;
    if (room > map.capacity) {
      this.mapLineSlow(map, split.part, split.partRow, line, row, ub, us, ue);
      return;
    }
    map.reserve(room);
    const blk = map.block;
    const start = map.pos;
    const partRow = split.partRow;
    let p = putInt(blk, start, split.part);
    blk[p++] = 0x2c;
    p = putInt(blk, p, partRow);
    blk[p++] = 0x2c;
    p = putInt(blk, p, partRow + 1);
    blk[p++] = 0x2c;
    p = putInt(blk, p, line);
    blk[p++] = 0x2c;
    p = putInt(blk, p, row);
    blk[p++] = 0x2c;
    const userAt = p;
    for (let i = us; i < ue; i++) {
      const c = ub[i] as number;
      if (c === 0x5c || c === 0x22) {
        // An escaped comma or a quote: the map is RFC 4180, so write the logical value quoted.
        map.advance(userAt - start);
        this.writeUsername(map, ub, us, ue);
        map.byte(10);
        return;
      }
      blk[p++] = c;
    }
    blk[p++] = 10;
    map.advance(p - start);
  }

  private mapLineSlow(
    map: SinkWriter,
    part: number,
    partRow: number,
    line: number,
    row: number,
    ub: Buffer,
    us: number,
    ue: number,
  ): void {
    for (const x of [part, partRow, partRow + 1, line, row]) {
      map.int(x);
      map.byte(0x2c);
    }
    this.writeUsername(map, ub, us, ue);
    map.byte(10);
  }

  private writeUsername(map: SinkWriter, b: Buffer, s: number, e: number): void {
    const logical = Buffer.from(fieldText(b, s, e), 'utf8');
    map.csvField(logical, 0, logical.length);
  }

  // Writes the row in Cognito's dialect at out[at]: trimmed values (already escaped by the
  // reader), lower-case booleans. Runs of unchanged values are copied from the source in one
  // piece, commas included. Returns the end position.
  private rebuild(v: RecordView, out: Buffer, at: number): number {
    const isBool = this.isBool;
    const recase = this.recase;
    const starts = v.fieldStart;
    const ends = v.fieldEnd;
    const flags = v.fieldFlags;
    const src = v.buf;
    const scratch = v.scratch;
    const n = v.count;
    let o = at;
    let f = 0;
    while (f < n) {
      if (f > 0) out[o++] = 0x2c;
      let ff = flags[f] as number;
      if ((ff & FIELD_REWRITE) === 0 && !(recase && isBool[f] === 1)) {
        // A run of values as they are in the source, with the commas between them.
        const s = starts[f] as number;
        let e = ends[f] as number;
        f++;
        while (f < n) {
          ff = flags[f] as number;
          if ((ff & FIELD_REWRITE) !== 0 || (recase && isBool[f] === 1)) break;
          e = ends[f] as number;
          f++;
        }
        o = copyInto(src, s, e, out, o);
        continue;
      }
      const b = (ff & FIELD_QUOTED) !== 0 ? scratch : src;
      const s = starts[f] as number;
      const e = ends[f] as number;
      f++;
      if (recase && isBool[f - 1] === 1) {
        const r = boolAt(b, s, e);
        if (r >= B_RECASE) {
          o += out.write(r - B_RECASE === B_TRUE ? 'true' : 'false', o, 'latin1');
          continue;
        }
      }
      o = copyInto(b, s, e, out, o);
    }
    return o;
  }

  private finishInvalid(v: RecordView | undefined, line: number, row: number): void {
    this.invalidRows++;
    const w = this.rejectedWriter;
    if (!w) return;
    w.int(line);
    w.byte(0x2c);
    w.int(row);
    w.byte(0x2c);
    const codes = this.reasonCodes;
    for (let k = 0; k < this.reasonCount; k++) {
      if (k > 0) w.byte(0x3b);
      w.text(codes[k] as string);
      const c = this.reasonCols[k] as number;
      if (c >= 0) w.text(`@${this.labels[c] ?? `#${c + 1}`}`);
    }
    w.byte(0x2c);
    if (v) w.csvField(v.buf, v.start, v.end);
    w.byte(10);
  }

  // ---- issues ----

  private sawCrlf(line: number): void {
    this.normalised.crlf++;
    if (this.mode === 'strict' && !this.crlfWarned) {
      this.crlfWarned = true;
      this.issue('line.crlf', line, 0, -1, undefined, undefined);
    }
  }

  private fileIssue(
    code: RuleCode,
    line: number,
    col = -1,
    detail?: string | number,
    column?: string,
  ): void {
    this.issue(code, line, 0, col, detail, undefined, column, true);
  }

  private rowIssue(
    code: RuleCode,
    line: number,
    row: number,
    col: number,
    detail?: string | number,
    severity?: Severity,
  ): void {
    const sev = this.issue(code, line, row, col, detail, severity);
    if (sev === 'error') {
      this.rowErrors++;
      const k = this.reasonCount;
      if (k < MAX_REASONS) {
        this.reasonCols[k] = col;
        this.reasonCodes[k] = code;
        this.reasonCount = k + 1;
      }
    }
  }

  private issue(
    code: RuleCode,
    line: number,
    row: number,
    col: number,
    detail: string | number | undefined,
    severity: Severity | undefined,
    columnName?: string,
    fileLevel = false,
  ): Severity {
    const sev = severity ?? RULES[code].severity;
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (sev === 'warning') this.warnings++;
    else {
      this.errors++;
      if (fileLevel) this.fileErrors++;
    }
    if (this.issues.length >= this.maxIssues) {
      this.omitted++;
      return sev;
    }
    const column = columnName ?? (col >= 0 ? (this.labels[col] ?? `#${col + 1}`) : undefined);
    const issue: Issue = {
      line,
      code,
      severity: sev,
      message: messageFor(code, { line, column, detail }),
    };
    if (row > 0) issue.row = row;
    if (column !== undefined) issue.column = column;
    this.issues.push(issue);
    return sev;
  }
}

/**
 * Validates one CSV file against a pool's rules, normalises it to Cognito's dialect and, when
 * part sinks are given, splits it into parts within Cognito's limits. Memory stays bounded
 * whatever the file's size: a few line-sized buffers, output blocks, and the username tables.
 *
 * @param source - the file's bytes in chunks of any size (a Node stream, an S3 body, an array)
 * @param rules - the pool's rules, from {@link poolRulesFrom}
 * @param options - mode, policy, limits and sinks
 * @returns the report; `report.valid` says whether the file (or, with policy skip, its valid
 *   rows) can be imported
 * @throws RangeError for a non-positive limit; whatever the source or a sink throws
 */
export async function validateCsv(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  rules: PoolRules,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const validator = new CsvValidator(rules, options);
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    // A stream with an encoding set yields strings; take them as UTF-8 rather than fail.
    const pending = validator.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (pending) await pending;
  }
  return validator.end();
}
