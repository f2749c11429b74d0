import { messageFor, RULES, type RuleCode, type Severity } from './codes.ts';
import { labelAt } from './header-plan.ts';

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

/** A problem to record. */
export interface IssueReport {
  code: RuleCode;
  /** Physical line (header = 1); 0 = the file as a whole. */
  line: number;
  /** Data-row index (first data row = 1); left out for what is not about one data row. */
  row?: number;
  /** The position of the column at issue; its label is shown. Left out or -1: none. */
  col?: number;
  /** A column name to show instead of a position's label (a column the header lacks). */
  column?: string | undefined;
  /** A number or a fixed phrase for the message (never a cell's value). */
  detail?: string | number | undefined;
  /** Instead of the code's default severity. */
  severity?: Severity | undefined;
  /** About the file as a whole: an error makes the file invalid whatever the row policy. */
  fileLevel?: boolean;
}

/**
 * Counts every issue exactly, by severity and by code, and keeps the first `maxIssues` of them
 * with their message, in the order they are recorded.
 */
export class IssueLedger {
  /** The header's labels (see `labelsOf`), once the header is read. */
  labels: readonly string[] = [];
  readonly counts: Partial<Record<RuleCode, number>> = {};
  readonly issues: Issue[] = [];
  warnings = 0;
  errors = 0;
  /** Errors about the file as a whole. */
  fileErrors = 0;
  /** Issues counted but not kept, past `maxIssues`. */
  omitted = 0;
  private readonly maxIssues: number;

  /** @param maxIssues - issues kept with their message (0: none) */
  constructor(maxIssues: number) {
    this.maxIssues = maxIssues;
  }

  /**
   * Records one issue.
   *
   * @returns its severity
   */
  record(report: IssueReport): Severity {
    const { code, line } = report;
    const severity = report.severity ?? RULES[code].severity;
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (severity === 'warning') this.warnings++;
    else {
      this.errors++;
      if (report.fileLevel) this.fileErrors++;
    }
    if (this.issues.length >= this.maxIssues) {
      this.omitted++;
      return severity;
    }
    const col = report.col ?? -1;
    const column = report.column ?? (col >= 0 ? labelAt(this.labels, col) : undefined);
    const issue: Issue = {
      line,
      code,
      severity,
      message: messageFor(code, { line, column, detail: report.detail }),
    };
    if (report.row) issue.row = report.row;
    if (column !== undefined) issue.column = column;
    this.issues.push(issue);
    return severity;
  }
}
