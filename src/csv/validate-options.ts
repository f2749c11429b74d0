import type { Severity } from './codes.ts';
import type { ByteSink, PartSinkFactory } from './output.ts';

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

/** Limits checked on the source file. Defaults are Cognito's (docs/cognito-behaviour.md, "Limits and quotas"). */
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
   * been skipped"). Cognito itself only skips such a row, so `warning` is the other defensible choice.
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
  /**
   * The pool's groups, for the `cognito:groups` column: a name not in `known` is the row error
   * `groups.unknown`, unless `create` is true, in which case it is listed in
   * `report.groups.missing` (names from valid rows only: those to create before the import).
   * Without this option, names are checked for their form only.
   */
  groups?: { known: ReadonlySet<string>; create: boolean };
  /**
   * Receives the memberships (needs parts), a CSV `part,part_row,groups`: for each row written to
   * a part that names at least one group, its part and part row (as in the line map) and its
   * groups, joined by `;` (a `;` inside a name as `\;`, see `splitGroupNames`). Touched only
   * when the file has a `cognito:groups` column: without one, nothing is written, not even the
   * header, and the sink is not ended.
   */
  memberships?: ByteSink;
  /** Bytes per block handed to sinks (256 KiB). */
  blockSize?: number;
  /**
   * The source's size in bytes, when known (S3 `ContentLength`, a file's size): sizes the
   * username table for about one name per 200 bytes up front instead of growing it.
   */
  sourceBytes?: number;
}

const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 100_000_000,
  maxFileRows: 500_000,
  maxLineChars: 16_000,
  maxValueChars: 2_048,
  maxTrackedUsernames: 1_000_000,
};

/** {@link ValidateOptions} with every default filled in. */
export interface Settings {
  mode: ValidationMode;
  policy: InvalidRowsPolicy;
  limits: Limits;
  maxIssues: number;
  duplicateSeverity: Severity;
  blockSize: number;
  partMaxBytes: number;
  partMaxRows: number;
}

/**
 * Fills in the defaults of the options.
 *
 * @throws RangeError if a limit is not a positive number (`maxIssues` may be 0)
 */
export function settingsFrom(options: ValidateOptions): Settings {
  const settings: Settings = {
    mode: options.mode ?? 'normalise',
    policy: options.invalidRows ?? 'reject',
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    maxIssues: options.maxIssues ?? 1000,
    duplicateSeverity: options.duplicateUsernames ?? 'error',
    blockSize: options.blockSize ?? 256 * 1024,
    partMaxBytes: options.partLimits?.maxBytes ?? 100_000_000,
    partMaxRows: options.partLimits?.maxRows ?? 500_000,
  };
  for (const [name, value] of Object.entries({
    ...settings.limits,
    maxIssues: settings.maxIssues,
    blockSize: settings.blockSize,
    partMaxBytes: settings.partMaxBytes,
    partMaxRows: settings.partMaxRows,
  })) {
    if (!(value > 0) && !(name === 'maxIssues' && value === 0)) {
      throw new RangeError(`${name} must be a positive number`);
    }
  }
  return settings;
}
