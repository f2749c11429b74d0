import type { RuleCode, Severity } from './codes.ts';
import { isGroupName, MAX_GROUPS_PER_USER, splitGroupNames } from './group-column.ts';
import { checkPasswordHash, detectPasswordHash } from './hash-formats.ts';
import {
  CheckKind,
  type ColumnCheck,
  ColumnOutput,
  type HeaderIssue,
  type KnownColumns,
  planColumns,
} from './header-plan.ts';
import { IssueLedger } from './issue-ledger.ts';
import { LineMapWriter } from './line-map-writer.ts';
import { MembershipsWriter } from './memberships-writer.ts';
import { type ByteSink, OutputQueue, type PartSinkFactory, type Splitter } from './output.ts';
import { PartGroups } from './part-groups.ts';
import {
  Bool,
  booleanAt,
  charsOf,
  isBirthdate,
  isEpochSeconds,
  isPhoneNumber,
  isPlausibleEmail,
  lengthWithin,
  NOT_LOWER_CASE,
  numberAt,
} from './predicates.ts';
import {
  CsvReader,
  FIELD_BAD_QUOTE,
  FIELD_LEADING_QUOTE,
  FIELD_NEWLINE,
  FIELD_TRAILING_BACKSLASH,
  FIELD_UNTERMINATED,
  fieldText,
  type RecordHandler,
  type RecordView,
} from './reader.ts';
import { RejectedRowsWriter } from './rejected-rows-writer.ts';
import { FIELD_REWRITE, partHeaderLine, rewriteRow } from './row-rewrite.ts';
import type { CustomAttributeRule, PasswordHashingAlgorithm, PoolRules } from './rules.ts';
import { UsernameHasher, UsernameTable } from './username-table.ts';
import {
  type InvalidRowsPolicy,
  type Limits,
  settingsFrom,
  type ValidateOptions,
  type ValidationMode,
} from './validate-options.ts';
import {
  type GroupsReport,
  MAX_LISTED_MISSING_GROUPS,
  type NormalisedCounts,
  REPORT_LINE_NUMBERING,
  type ValidationReport,
} from './validation-report.ts';

/** Field flags of values that make the row invalid (or, for a leading quote, earn a warning). */
const FIELD_PROBLEMS =
  FIELD_BAD_QUOTE |
  FIELD_NEWLINE |
  FIELD_TRAILING_BACKSLASH |
  FIELD_UNTERMINATED |
  FIELD_LEADING_QUOTE;

// The row loop's constants, as module-local copies: V8 reads an imported constant through the
// exporting module's cell at every use, and a module's own as cheaply as a literal (README,
// "Speed").
const { Blank: BLANK, True: TRUE, False: FALSE, Invalid: INVALID } = Bool;
const NOT_LOWER = NOT_LOWER_CASE;
const REWRITE = FIELD_REWRITE;
const OMIT = ColumnOutput.Omit;
const {
  Birthdate: CHECK_BIRTHDATE,
  UpdatedAt: CHECK_UPDATED_AT,
  CustomString: CHECK_CUSTOM_STRING,
  CustomNumber: CHECK_CUSTOM_NUMBER,
  CustomBoolean: CHECK_CUSTOM_BOOLEAN,
  PasswordHash: CHECK_PASSWORD_HASH,
  Required: CHECK_REQUIRED,
} = CheckKind;

/** Before the header is read: no column. */
const NO_COLUMNS: KnownColumns = {
  username: -1,
  email: -1,
  phoneNumber: -1,
  emailVerified: -1,
  phoneNumberVerified: -1,
  mfaEnabled: -1,
  passwordHash: -1,
  groups: -1,
};

/** The groups of a row that names none (shared, never changed). */
const NO_GROUPS: readonly string[] = [];

/**
 * Validates, normalises and splits one CSV, push-style: call {@link CsvValidator.write} for each
 * chunk (awaiting what it returns, if anything), then {@link CsvValidator.end}.
 *
 * The reader hands over one record at a time; the header's is planned once (`planColumns`), and
 * every later one goes through the row loop here, {@link CsvValidator.onRecord}: the value rules
 * (`predicates.ts`), then the row to the parts (`row-rewrite.ts`) and the line map, or to the
 * rejected rows. Issues go to the ledger (`issue-ledger.ts`).
 */
export class CsvValidator {
  private readonly rules: PoolRules;
  private readonly mode: ValidationMode;
  private readonly policy: InvalidRowsPolicy;
  private readonly limits: Limits;
  private readonly duplicateSeverity: Severity;
  private readonly reader: CsvReader;
  private readonly queue = new OutputQueue();
  private readonly ledger: IssueLedger;
  private readonly blockSize: number;
  private readonly partFactory: PartSinkFactory | undefined;
  private readonly partMaxBytes: number;
  private readonly partMaxRows: number;
  private readonly lineMap: LineMapWriter | undefined;
  private readonly rejected: RejectedRowsWriter | undefined;
  private groups: PartGroups | undefined;
  private readonly groupsOption: { known: ReadonlySet<string>; create: boolean } | undefined;
  private readonly membershipsSink: ByteSink | undefined;
  private memberships: MembershipsWriter | undefined;

  // The header, once read.
  private headerSeen = false;
  /** A file-level error (UTF-16, an unreadable or overlong header) leaves rows unchecked. */
  private skipRowChecks = false;
  private width = 0;
  private labels: string[] = [];
  private columns: KnownColumns = NO_COLUMNS;
  /** Per column, how the parts get its values (see `ColumnOutput`). */
  private output: Uint8Array = new Uint8Array(0);
  private checks: ColumnCheck[] = [];
  /** The columns left out of the parts (`ColumnOutput.Omit`); none in most files. */
  private omitted: number[] = [];
  /** The `cognito:groups` column, or -1. */
  private groupsCol = -1;
  /** The column's totals, once the header has it. */
  private groupsReport: GroupsReport | undefined;
  /** Distinct names the pool lacks (see `GroupsReport.missing`). */
  private readonly missing = new Set<string>();
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
  private lines = 0;
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
  /** Its physical line (its first, when a quoted value spans lines). */
  private rowLine = 0;
  /** Its data-row number (first data row = 1). */
  private rowNumber = 0;
  private rowErrors = 0;
  /** The algorithm of the row's password hash: the rules' own, or the one its hash is in. */
  private rowAlgorithm: PasswordHashingAlgorithm | undefined;
  /** A boolean of the row is not in lower case, so the row is rewritten. */
  private booleansToLowerCase = false;
  /** The row's distinct group names, when the file has a `cognito:groups` column. */
  private rowGroups: readonly string[] = NO_GROUPS;
  /** Holds a rewritten row too long for an output block. */
  private rowBuf: Buffer;

  /**
   * @param rules - the pool's rules, from {@link poolRulesFrom}
   * @param options - mode, policy, limits and the output sinks
   * @throws RangeError if a limit is not a positive number
   */
  constructor(rules: PoolRules, options: ValidateOptions = {}) {
    const settings = settingsFrom(options);
    this.rules = rules;
    this.mode = settings.mode;
    this.policy = settings.policy;
    this.limits = settings.limits;
    this.duplicateSeverity = settings.duplicateSeverity;
    this.blockSize = settings.blockSize;
    this.partFactory = options.parts;
    this.partMaxBytes = settings.partMaxBytes;
    this.partMaxRows = settings.partMaxRows;
    this.ledger = new IssueLedger(settings.maxIssues);
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
    if (options.map) this.lineMap = new LineMapWriter(this.queue, this.blockSize, options.map);
    if (options.rejected) {
      this.rejected = new RejectedRowsWriter(this.queue, this.blockSize, options.rejected);
    }
    this.groupsOption = options.groups;
    this.membershipsSink = options.memberships;
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
      if (!this.skipRowChecks) this.fileIssue('file.empty', 0);
    } else if (!this.skipRowChecks) {
      if (this.rows === 0) this.fileIssue('file.no-rows', 0);
      else if (this.policy === 'skip' && this.accepted === 0) {
        this.fileIssue('file.no-valid-rows', 0);
      }
    }
    if (bytes > this.limits.maxFileBytes) {
      this.fileIssue('file.too-large', 0, {
        detail: `${bytes} bytes, over the limit of ${this.limits.maxFileBytes}`,
      });
    }
    this.groups?.close();
    this.lineMap?.close();
    this.rejected?.close();
    this.memberships?.close();
    const pending = this.queue.pending();
    if (pending) await pending;
    const ledger = this.ledger;
    return {
      valid: ledger.fileErrors === 0 && (this.policy === 'skip' || this.invalidRows === 0),
      rows: this.rows,
      invalidRows: this.invalidRows,
      acceptedRows: this.accepted,
      warnings: ledger.warnings,
      errors: ledger.errors,
      fileErrors: ledger.fileErrors,
      mode: this.mode,
      policy: this.policy,
      lineNumbering: REPORT_LINE_NUMBERING,
      bytes,
      lines: this.lines,
      header: this.labels,
      counts: ledger.counts,
      issues: ledger.issues,
      issuesOmitted: ledger.omitted,
      normalised: this.normalised,
      ...(this.hashCounts ? { passwordHashes: this.hashCounts } : {}),
      ...(this.groupsReport ? { groups: this.finishGroupsReport(this.groupsReport) } : {}),
      parts: this.groups ? this.groups.parts : [],
    };
  }

  private finishGroupsReport(report: GroupsReport): GroupsReport {
    for (const part of this.groups?.parts ?? []) part.groupRows ??= 0;
    const missing: string[] = [];
    for (const name of this.missing) {
      if (missing.length >= MAX_LISTED_MISSING_GROUPS) break;
      missing.push(name);
    }
    return { ...report, missing, missingCount: this.missing.size };
  }

  // ---- what the reader reports ----

  private onBlank(line: number, crlf: boolean): void {
    this.lines = line;
    this.normalised.blankLines++;
    if (crlf) this.sawCrlf(line);
    if (this.mode === 'strict') this.ledger.record({ code: 'line.blank', line });
  }

  private onOverlong(line: number): void {
    this.lines = line;
    if (!this.headerSeen) {
      this.headerSeen = true;
      this.skipRowChecks = true;
      this.fileIssue('line.too-long', line, { detail: this.limits.maxLineChars });
      return;
    }
    this.startRow(line);
    if (this.skipRowChecks) return;
    this.rowIssue('line.too-long', -1, this.limits.maxLineChars);
    this.finishInvalid(undefined);
  }

  private onUtf16(): void {
    this.skipRowChecks = true;
    this.fileIssue('encoding.utf16', 1);
  }

  /** The row loop: every rule of one data row, then the row to the parts or the rejected rows. */
  private onRecord(v: RecordView): void {
    this.lines = v.line + v.lines - 1;
    if (v.crlf) this.sawCrlf(this.lines);
    if (!this.headerSeen) {
      this.readHeader(v);
      return;
    }
    this.startRow(v.line);
    if (this.skipRowChecks) return;
    const count = v.count;
    const starts = v.fieldStart;
    const ends = v.fieldEnd;
    if (!v.utf8) this.rowIssue('encoding.invalid-utf8', -1);
    if (v.nul) this.rowIssue('encoding.nul', -1);
    if (v.flags !== 0) {
      this.normalised.quotedFields += v.quotedFields;
      this.normalised.trimmedFields += v.trimmedFields;
      if ((v.flags & FIELD_PROBLEMS) !== 0) this.fieldProblems(v);
    }
    if (count !== this.width) {
      // The values no longer line up with the columns, so column rules would only add noise.
      this.rowIssue(
        'field-count',
        -1,
        `${count} value${count === 1 ? '' : 's'}, but the header has ${this.width} columns`,
      );
      this.finishInvalid(v);
      return;
    }

    // Lengths: a value's bytes bound its characters, so characters are counted only when the
    // bytes are over the limit.
    const maxValue = this.limits.maxValueChars;
    if (v.widestValue > maxValue) {
      for (let f = 0; f < count; f++) {
        // A column left out is no attribute value: only the reader's line bound holds it.
        if (this.output[f] === OMIT) continue;
        if ((ends[f] as number) - (starts[f] as number) > maxValue) {
          if (charsOf(v.bufferOf(f), starts[f] as number, ends[f] as number) > maxValue) {
            this.rowIssue('value.too-long', f, maxValue);
          }
        }
      }
    }
    if (v.valueBytes + count - 1 > this.limits.maxLineChars) {
      // Counted as the row is written to the part: without the columns left out.
      let chars = count - 1 - this.omitted.length;
      for (let f = 0; f < count; f++) {
        if (this.output[f] === OMIT) continue;
        chars += charsOf(v.bufferOf(f), starts[f] as number, ends[f] as number);
      }
      if (chars > this.limits.maxLineChars) {
        this.rowIssue('line.too-long', -1, this.limits.maxLineChars);
      }
    }

    const columns = this.columns;
    const user = columns.username;
    if (user >= 0) {
      if (user >= count || starts[user] === ends[user]) this.rowIssue('username.empty', user);
      else this.username(v.bufferOf(user), starts[user] as number, ends[user] as number);
    }

    // Booleans, verification and MFA (docs/cognito-behaviour.md, "Values").
    this.booleansToLowerCase = false;
    const emailVerified = this.booleanColumn(columns.emailVerified, v);
    const phoneVerified = this.booleanColumn(columns.phoneNumberVerified, v);
    const mfaEnabled = columns.mfaEnabled;
    if (mfaEnabled >= 0) {
      const mfa = this.booleanColumn(mfaEnabled, v);
      const pool = this.rules.mfa;
      if (pool === 'ON' && mfa === FALSE) {
        this.rowIssue('mfa.pool-mismatch', mfaEnabled, 'true');
      } else if (pool === 'OFF' && mfa === TRUE) {
        this.rowIssue('mfa.pool-mismatch', mfaEnabled, 'false');
      }
    }
    const auto = this.rules.autoVerified;
    if (auto.length === 2) {
      if (emailVerified !== TRUE && phoneVerified !== TRUE) {
        this.rowIssue(
          'verified.none-true',
          -1,
          'neither email_verified nor phone_number_verified is true',
        );
      }
    } else if (auto.length === 1) {
      const onlyEmail = auto[0] === 'email';
      if (onlyEmail ? emailVerified !== TRUE : phoneVerified !== TRUE) {
        this.rowIssue(
          'verified.none-true',
          onlyEmail ? columns.emailVerified : columns.phoneNumberVerified,
          `${onlyEmail ? 'email_verified' : 'phone_number_verified'} is not true, and the pool auto-verifies ${auto[0]} only`,
        );
      }
    }
    const email = columns.email;
    if (email >= 0 && email < count && starts[email] !== ends[email]) {
      if (!isPlausibleEmail(v.bufferOf(email), starts[email] as number, ends[email] as number)) {
        this.rowIssue('email.format', email);
      }
    } else if (emailVerified === TRUE) {
      this.rowIssue('email.missing-when-verified', email);
    }
    const phone = columns.phoneNumber;
    if (phone >= 0 && phone < count && starts[phone] !== ends[phone]) {
      if (!isPhoneNumber(v.bufferOf(phone), starts[phone] as number, ends[phone] as number)) {
        this.rowIssue('phone.format', phone);
      }
    } else if (phoneVerified === TRUE) {
      this.rowIssue('phone.missing-when-verified', phone);
    }

    const checks = this.checks;
    for (let k = 0; k < checks.length; k++) {
      const check = checks[k] as ColumnCheck;
      const c = check.col;
      if (c >= count || starts[c] === ends[c]) {
        if (check.kind === CHECK_REQUIRED) this.rowIssue('required.missing', c);
        continue;
      }
      this.checkValue(check, v.bufferOf(c), starts[c] as number, ends[c] as number);
    }
    if (this.groupsCol >= 0) this.readGroups(v);

    if (this.rowErrors > 0) this.finishInvalid(v);
    else this.finishValid(v);
  }

  // ---- header ----

  private readHeader(v: RecordView): void {
    this.headerSeen = true;
    const line = v.line;
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
      this.skipRowChecks = true;
      this.fileIssue('header.invalid', line, { detail: broken });
      return;
    }
    this.normalised.quotedFields += v.quotedFields;
    this.normalised.trimmedFields += v.trimmedFields;
    const names: string[] = [];
    for (let f = 0; f < v.count; f++) {
      names.push(fieldText(v.bufferOf(f), v.fieldStart[f] as number, v.fieldEnd[f] as number));
    }
    const plan = planColumns(names, this.rules);
    this.width = names.length;
    this.labels = plan.labels;
    this.ledger.labels = plan.labels;
    this.columns = plan.columns;
    this.output = plan.output;
    this.checks = plan.checks;
    this.omitted = [];
    for (let col = 0; col < names.length; col++) {
      if (plan.output[col] === OMIT) this.omitted.push(col);
    }
    if (plan.columns.passwordHash >= 0) this.hashCounts = {};
    this.groupsCol = plan.columns.groups;
    if (this.groupsCol >= 0) {
      this.groupsReport = {
        rows: 0,
        memberships: 0,
        missing: [],
        missingCount: 0,
        create: this.groupsOption?.create ?? false,
      };
      if (this.partFactory && this.membershipsSink) {
        this.memberships = new MembershipsWriter(this.queue, this.blockSize, this.membershipsSink);
      }
    }
    for (const issue of plan.issues) this.fileIssue(issue.code, line, issue);
    if (this.partFactory) {
      this.groups = new PartGroups(
        this.queue,
        this.partFactory,
        partHeaderLine(names, plan.output),
        this.partMaxBytes,
        this.partMaxRows,
        this.blockSize,
      );
    }
  }

  // ---- rows ----

  private startRow(line: number): void {
    const row = ++this.rows;
    this.rowLine = line;
    this.rowNumber = row;
    this.rowErrors = 0;
    this.rejected?.startRow();
    this.rowAlgorithm = this.rules.passwordHashingAlgorithm;
    if (row === this.limits.maxFileRows + 1) {
      this.fileIssue('file.too-many-rows', line, { detail: this.limits.maxFileRows });
    }
  }

  private fieldProblems(v: RecordView): void {
    const flags = v.fieldFlags;
    let leadingQuoteWarned = false;
    for (let f = 0; f < v.count; f++) {
      const fieldFlags = flags[f] as number;
      if ((fieldFlags & FIELD_PROBLEMS) === 0) continue;
      if (fieldFlags & FIELD_UNTERMINATED) this.rowIssue('quote.unterminated', f);
      else if (fieldFlags & FIELD_NEWLINE) {
        this.rowIssue('value.newline', f, v.lines > 1 ? v.lines : undefined);
      }
      if (fieldFlags & FIELD_BAD_QUOTE) this.rowIssue('quote.unescaped', f);
      if (fieldFlags & FIELD_TRAILING_BACKSLASH) this.rowIssue('value.unrepresentable', f);
      if (fieldFlags & FIELD_LEADING_QUOTE && !leadingQuoteWarned) {
        leadingQuoteWarned = true;
        this.rowIssue('quote.quoted', f, this.mode);
      }
    }
  }

  private username(b: Buffer, s: number, e: number): void {
    const h = this.hasher;
    const col = this.columns.username;
    const caseSensitive = this.rules.caseSensitive;
    if (!h.hash(b, s, e, !caseSensitive)) h.hashFolded(b, s, e);
    if (h.whitespace) this.rowIssue('username.whitespace', col);
    const firstLine = this.names.add(h.a, h.b, this.rowLine);
    if (firstLine > 0) {
      this.rowIssue(
        'username.duplicate',
        col,
        caseSensitive ? firstLine : `${firstLine} (ignoring case, as the pool does)`,
        this.duplicateSeverity,
      );
      return;
    }
    if (firstLine < 0) {
      if (!this.untrackedReported) {
        this.untrackedReported = true;
        this.rowIssue('username.untracked', -1, this.limits.maxTrackedUsernames);
      }
      return;
    }
    const folded = this.folded;
    if (folded) {
      if (!h.hash(b, s, e, true)) h.hashFolded(b, s, e);
      const first = folded.add(h.a, h.b, this.rowLine);
      if (first > 0) this.rowIssue('username.case-duplicate', col, first);
    }
  }

  /** Reads the boolean of column `col` (blank when absent): its {@link Bool}, case set aside. */
  private booleanColumn(col: number, v: RecordView): number {
    if (col < 0 || col >= v.count) return BLANK;
    const read = booleanAt(v.bufferOf(col), v.fieldStart[col] as number, v.fieldEnd[col] as number);
    if (read === INVALID) {
      this.rowIssue('boolean.format', col);
      return read;
    }
    if ((read & NOT_LOWER) !== 0) {
      this.booleansToLowerCase = true;
      this.normalised.booleans++;
      return read ^ NOT_LOWER;
    }
    return read;
  }

  /** Checks a non-empty value `b[s, e)` of the column `check.col`. */
  private checkValue(check: ColumnCheck, b: Buffer, s: number, e: number): void {
    const col = check.col;
    switch (check.kind) {
      case CHECK_BIRTHDATE:
        if (!isBirthdate(b, s, e)) this.rowIssue('birthdate.format', col);
        return;
      case CHECK_UPDATED_AT:
        if (!isEpochSeconds(b, s, e)) this.rowIssue('updated_at.format', col);
        return;
      case CHECK_CUSTOM_STRING: {
        const rule = check.rule as CustomAttributeRule;
        const min = rule.minLength ?? 0;
        if (!lengthWithin(b, s, e, min, rule.maxLength ?? Number.POSITIVE_INFINITY)) {
          this.rowIssue('custom.bounds', col, `${min} to ${rule.maxLength ?? 2048} characters`);
        }
        return;
      }
      case CHECK_CUSTOM_NUMBER: {
        const rule = check.rule as CustomAttributeRule;
        const value = numberAt(b, s, e);
        if (Number.isNaN(value)) {
          this.rowIssue('custom.type', col, 'a number');
        } else if (
          (rule.minValue !== undefined && value < rule.minValue) ||
          (rule.maxValue !== undefined && value > rule.maxValue)
        ) {
          this.rowIssue(
            'custom.bounds',
            col,
            `${rule.minValue ?? '-∞'} to ${rule.maxValue ?? '∞'}`,
          );
        }
        return;
      }
      case CHECK_CUSTOM_BOOLEAN: {
        const read = booleanAt(b, s, e);
        if (read === INVALID) this.rowIssue('custom.type', col, 'true, false or empty');
        else if ((read & NOT_LOWER) !== 0) {
          this.booleansToLowerCase = true;
          this.normalised.booleans++;
        }
        return;
      }
      case CHECK_PASSWORD_HASH: {
        // An algorithm in the rules is the job's: every hash must be in it. Without one, each
        // hash says which it is, and its row goes to the parts of that algorithm.
        const value = fieldText(b, s, e);
        const algorithm = this.rules.passwordHashingAlgorithm ?? detectPasswordHash(value);
        if (!algorithm) {
          this.rowIssue('hash.unrecognised', col);
          return;
        }
        const result = checkPasswordHash(algorithm, value);
        if (!result.ok) this.rowIssue(result.code, col, result.detail);
        else this.rowAlgorithm = algorithm;
        return;
      }
      case CHECK_REQUIRED:
        // A required value is only checked for being there, which the row loop does.
        return;
    }
  }

  /**
   * Reads the row's `cognito:groups` (the column exists and the row has every column): each name's
   * form, and whether the pool has it. Missing names are noted here when they are errors, and
   * only once the row proves valid when they are to be created.
   */
  private readGroups(v: RecordView): void {
    const col = this.groupsCol;
    const s = v.fieldStart[col] as number;
    const e = v.fieldEnd[col] as number;
    if (s === e) {
      this.rowGroups = NO_GROUPS;
      return;
    }
    const names = splitGroupNames(fieldText(v.bufferOf(col), s, e));
    this.rowGroups = names;
    const option = this.groupsOption;
    let invalid = 0;
    let unknown = 0;
    for (const name of names) {
      if (!isGroupName(name)) invalid++;
      else if (option && !option.create && !option.known.has(name)) {
        unknown++;
        this.missing.add(name);
      }
    }
    if (invalid > 0) {
      this.rowIssue('groups.invalid-name', col, invalid === 1 ? 'a name' : `${invalid} names`);
    }
    if (unknown > 0) {
      this.rowIssue('groups.unknown', col, unknown === 1 ? 'a group' : `${unknown} groups`);
    }
    if (names.length > MAX_GROUPS_PER_USER) {
      this.rowIssue('groups.too-many-for-user', col, names.length);
    }
  }

  /** Counts a valid row's groups, and notes the names to create. */
  private countGroups(names: readonly string[]): void {
    const report = this.groupsReport as GroupsReport;
    report.rows++;
    report.memberships += names.length;
    const option = this.groupsOption;
    if (option?.create) {
      for (const name of names) if (!option.known.has(name)) this.missing.add(name);
    }
  }

  /** The row just written to `split`'s part names groups: its memberships line. */
  private addMemberships(split: Splitter, names: readonly string[]): void {
    const part = this.groups?.parts[split.part - 1];
    if (part) part.groupRows = (part.groupRows ?? 0) + 1;
    this.memberships?.add(split.part, split.partRow, names);
  }

  // ---- where a row goes ----

  private finishValid(v: RecordView): void {
    this.accepted++;
    const names = this.rowGroups;
    if (names.length > 0) this.countGroups(names);
    const counts = this.hashCounts;
    if (counts) {
      const group = this.rowAlgorithm ?? 'none';
      counts[group] = (counts[group] ?? 0) + 1;
    }
    const split = this.groups?.splitterFor(this.rowAlgorithm);
    if (!split) return;
    const line = this.rowLine;
    let length = v.valueBytes + v.count - 1;
    const omitted = this.omitted;
    for (let k = 0; k < omitted.length; k++) {
      const col = omitted[k] as number;
      length -= (v.fieldEnd[col] as number) - (v.fieldStart[col] as number) + 1;
    }
    // Only a header of left-out columns alone (a file rejected anyway) keeps nothing.
    if (length < 0) length = 0;
    const w = split.beginRow(length, line);
    if ((v.flags & REWRITE) === 0 && !this.booleansToLowerCase && omitted.length === 0) {
      // Nothing to change: the source line is already in Cognito's dialect.
      w.copy(v.buf, v.start, v.end);
    } else if (length + 1 <= w.capacity) {
      rewriteRow(v, this.output, this.booleansToLowerCase, w.block, w.pos);
      w.advance(length);
    } else {
      const end = rewriteRow(v, this.output, this.booleansToLowerCase, this.rowBuf, 0);
      w.copy(this.rowBuf, 0, end);
    }
    split.endRow();
    if (names.length > 0) this.addMemberships(split, names);
    const map = this.lineMap;
    if (!map) return;
    const user = this.columns.username;
    if (user >= 0 && user < v.count) {
      const name = v.bufferOf(user);
      const start = v.fieldStart[user] as number;
      map.add(
        split.part,
        split.partRow,
        line,
        this.rowNumber,
        name,
        start,
        v.fieldEnd[user] as number,
      );
    } else {
      map.add(split.part, split.partRow, line, this.rowNumber, v.buf, 0, 0);
    }
  }

  private finishInvalid(v: RecordView | undefined): void {
    this.invalidRows++;
    this.rejected?.write(this.rowLine, this.rowNumber, v, this.labels);
  }

  // ---- issues ----

  private sawCrlf(line: number): void {
    this.normalised.crlf++;
    if (this.mode === 'strict' && !this.crlfWarned) {
      this.crlfWarned = true;
      this.ledger.record({ code: 'line.crlf', line });
    }
  }

  /** An issue about the file as a whole (or its header): an error makes the file invalid. */
  private fileIssue(code: RuleCode, line: number, about: Omit<HeaderIssue, 'code'> = {}): void {
    this.ledger.record({
      code,
      line,
      col: about.col,
      column: about.column,
      detail: about.detail,
      fileLevel: true,
    });
  }

  /**
   * An issue of the current row, about the value in column `col` (-1: the row as a whole). An
   * error makes the row invalid and is listed with the row in the rejected rows.
   */
  private rowIssue(
    code: RuleCode,
    col: number,
    detail?: string | number,
    severity?: Severity,
  ): void {
    const line = this.rowLine;
    const row = this.rowNumber;
    if (this.ledger.record({ code, line, row, col, detail, severity }) === 'error') {
      this.rowErrors++;
      this.rejected?.addReason(code, col);
    }
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
