import type { RuleCode } from './codes.ts';
import { GROUPS_COLUMN } from './group-column.ts';
import type { CustomAttributeRule, PoolRules } from './rules.ts';

/** The rule a column's non-empty values are checked against, besides those of every row. */
export const CheckKind = {
  Birthdate: 1,
  UpdatedAt: 2,
  CustomString: 3,
  CustomNumber: 4,
  CustomBoolean: 5,
  PasswordHash: 6,
  /** A pool-required attribute: only its emptiness is checked. */
  Required: 7,
} as const;
export type CheckKind = (typeof CheckKind)[keyof typeof CheckKind];

/** One column to check in each row. */
export interface ColumnCheck {
  /** The column's position (0 = first). */
  col: number;
  kind: CheckKind;
  /** The custom attribute's type and limits (custom kinds only). */
  rule?: CustomAttributeRule;
}

/**
 * How a column's values are written to the parts. Every column goes to Cognito as it is, except
 * booleans, which are written in lower case, and the columns the pipeline reads for itself
 * (`cognito:groups`), which Cognito must not see: the part writer leaves them out, header and
 * rows.
 */
export const ColumnOutput = { AsIs: 0, Boolean: 1, Omit: 2 } as const;
export type ColumnOutput = (typeof ColumnOutput)[keyof typeof ColumnOutput];

/** Where the columns that the row loop reads itself are: a position, or -1 when absent. */
export interface KnownColumns {
  username: number;
  email: number;
  phoneNumber: number;
  emailVerified: number;
  phoneNumberVerified: number;
  mfaEnabled: number;
  passwordHash: number;
  /** `cognito:groups`, the pipeline's own column. */
  groups: number;
}

/** A problem with the header, found while planning. */
export interface HeaderIssue {
  code: RuleCode;
  /** The position of the column at issue. */
  col?: number;
  detail?: string | number;
  /** The name to show for a column the header lacks. */
  column?: string;
}

/** What the validator does with each column of a header. */
export interface ColumnPlan {
  /** Each column's name as the report may show it: see {@link labelsOf}. */
  labels: string[];
  columns: KnownColumns;
  /** Per column, a {@link ColumnOutput}. */
  output: Uint8Array;
  /** The per-column checks of each row, in the order they run. */
  checks: ColumnCheck[];
  /** The header's problems, in the order they are reported. */
  issues: HeaderIssue[];
}

/**
 * The columns a file for the pool may have: GetCSVHeader's, `password_hash`, and the pipeline's
 * own `cognito:groups`, which GetCSVHeader never lists.
 */
export function knownColumnNames(rules: PoolRules): Set<string> {
  return new Set([...rules.csvHeader, 'password_hash', GROUPS_COLUMN]);
}

/**
 * The names a report may show for a header: a name only when it is one of the pool's columns,
 * since an unknown "name" may be a data value from a file without a header; else `#<position>`
 * (1 = first).
 */
export function labelsOf(names: readonly string[], known: ReadonlySet<string>): string[] {
  return names.map((name, col) => (known.has(name) ? name : `#${col + 1}`));
}

/** The label of the column at `col` (`#<position>` past the header's end). */
export function labelAt(labels: readonly string[], col: number): string {
  return labels[col] ?? `#${col + 1}`;
}

/**
 * Plans the checks of a file from its header's names: which column is which, what each row is
 * checked against, how the parts get each column, and what is wrong with the header itself.
 *
 * @param names - the header's names, decoded, in order
 * @param rules - the pool's rules
 */
export function planColumns(names: readonly string[], rules: PoolRules): ColumnPlan {
  const issues: HeaderIssue[] = [];
  const known = knownColumnNames(rules);
  const lowerKnown = new Map<string, string>();
  for (const k of known) lowerKnown.set(k.toLowerCase(), k);

  const seen = new Map<string, number>();
  for (let col = 0; col < names.length; col++) {
    const name = names[col] as string;
    if (name === '') {
      issues.push({ code: 'header.empty', col });
      continue;
    }
    if (!known.has(name)) {
      const near = lowerKnown.get(name.toLowerCase());
      issues.push({
        code: 'header.unknown',
        col,
        detail: near ? `did you mean ${near}?` : undefined,
      });
      continue;
    }
    if (seen.has(name)) {
      issues.push({ code: 'header.duplicate', col });
      continue;
    }
    seen.set(name, col);
  }
  const at = (name: string) => seen.get(name) ?? -1;
  const columns: KnownColumns = {
    username: at('cognito:username'),
    email: at('email'),
    phoneNumber: at('phone_number'),
    emailVerified: at('email_verified'),
    phoneNumberVerified: at('phone_number_verified'),
    mfaEnabled: at('cognito:mfa_enabled'),
    passwordHash: at('password_hash'),
    groups: at(GROUPS_COLUMN),
  };
  const output = new Uint8Array(names.length);
  for (const col of [columns.emailVerified, columns.phoneNumberVerified, columns.mfaEnabled]) {
    if (col >= 0) output[col] = ColumnOutput.Boolean;
  }
  // Every copy, a duplicate too: Cognito must never see the column, even in a rejected file.
  for (let col = 0; col < names.length; col++) {
    if (names[col] === GROUPS_COLUMN) output[col] = ColumnOutput.Omit;
  }

  const checks: ColumnCheck[] = [];
  const birthdate = at('birthdate');
  if (birthdate >= 0) checks.push({ col: birthdate, kind: CheckKind.Birthdate });
  const updatedAt = at('updated_at');
  if (updatedAt >= 0) checks.push({ col: updatedAt, kind: CheckKind.UpdatedAt });
  for (const [name, rule] of Object.entries(rules.custom)) {
    const col = at(name);
    if (col < 0) continue;
    if (rule.type === 'String') checks.push({ col, kind: CheckKind.CustomString, rule });
    else if (rule.type === 'Number') checks.push({ col, kind: CheckKind.CustomNumber, rule });
    else if (rule.type === 'Boolean') {
      checks.push({ col, kind: CheckKind.CustomBoolean, rule });
      output[col] = ColumnOutput.Boolean;
    }
  }
  if (columns.passwordHash >= 0) {
    checks.push({ col: columns.passwordHash, kind: CheckKind.PasswordHash });
  }
  for (const name of rules.required) {
    const col = at(name);
    if (col >= 0) checks.push({ col, kind: CheckKind.Required });
    else issues.push({ code: 'required.missing', detail: 'column', column: name });
  }

  if (columns.username < 0) issues.push({ code: 'header.missing-username' });
  const auto = rules.autoVerified;
  const verifiedColumns = auto.map((a) => `${a}_verified`);
  const noVerified = auto.length > 0 && verifiedColumns.every((c) => at(c) < 0);
  if (auto.length === 0) issues.push({ code: 'pool.no-auto-verified' });
  else if (noVerified) {
    const missing = verifiedColumns.join(' or ');
    issues.push({
      code: 'verified.column-missing',
      detail: missing,
      column: auto.length === 1 ? missing : undefined,
    });
  }
  for (const name of rules.csvHeader) {
    if (name === 'password_hash' || seen.has(name) || rules.required.includes(name)) continue;
    if (noVerified && verifiedColumns.includes(name)) continue;
    issues.push({ code: 'header.missing-column', column: name });
  }
  if (rules.passwordHashingAlgorithm && columns.passwordHash < 0) {
    issues.push({ code: 'hash.column-missing', detail: rules.passwordHashingAlgorithm });
  }
  if (rules.usernameAttributes.length > 0) issues.push({ code: 'pool.username-attributes' });

  return { labels: labelsOf(names, known), columns, output, checks, issues };
}
