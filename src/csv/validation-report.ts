import type { RuleCode } from './codes.ts';
import type { Issue } from './issue-ledger.ts';
import type { PartSummary } from './output.ts';
import type { PasswordHashingAlgorithm } from './rules.ts';
import type { InvalidRowsPolicy, ValidationMode } from './validate-options.ts';

/**
 * How the report numbers lines: the physical line of the source file, the header being line 1
 * (blank lines count; a record whose quoted value spans lines takes the number of its first).
 * Each row issue also carries `row`, the data-row index (first data row = 1), which is how the
 * local Cognito twin numbers its log lines by default; the part map carries both.
 */
export const REPORT_LINE_NUMBERING = 'physical-line' as const;

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

/** Names the report lists at most (`missingCount` stays exact). */
export const MAX_LISTED_MISSING_GROUPS = 10_000;

/** The `cognito:groups` column of a file, as validated. */
export interface GroupsReport {
  /** Valid rows that name at least one group. */
  rows: number;
  /** Memberships of those rows (each row's distinct names, summed). */
  memberships: number;
  /**
   * Distinct names the pool does not have (`ValidateOptions.groups.known`), in the order first
   * seen, at most {@link MAX_LISTED_MISSING_GROUPS}. With `create`, the names of valid rows, to be
   * created; without, every unknown name, each use of which was the error `groups.unknown`.
   * Empty without `ValidateOptions.groups`.
   */
  missing: string[];
  /** Distinct missing names, exact. */
  missingCount: number;
  /** Whether the missing groups are to be created (`ValidateOptions.groups.create`). */
  create: boolean;
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
  /** Present when the file has a `cognito:groups` column. */
  groups?: GroupsReport;
  /** Parts written, in order (empty without a part sink). */
  parts: PartSummary[];
}
