import { MAX_GROUPS_PER_USER } from './group-column.ts';

/**
 * Rule codes of the CSV validator, their severity and the plain message each one prints.
 *
 * Codes are stable: the workflow, the report readers and the tests match on them, never on the
 * message text. Messages name line numbers, column names and limits only, never a cell's value,
 * because cells hold personal data (usernames, emails, phone numbers) and the report is shown
 * and stored where personal data must not go.
 */

/** `error` makes the row (or, for file-scope codes, the whole file) invalid; `warning` does not. */
export type Severity = 'error' | 'warning';

/** `file`: about the file or its header, not one data row. `row`: about one data row. */
export type Scope = 'file' | 'row';

interface RuleInfo {
  readonly severity: Severity;
  readonly scope: Scope;
}

/** Every rule code the validator can report, with its default severity and scope. */
export const RULES = {
  'file.empty': { severity: 'error', scope: 'file' },
  'file.no-rows': { severity: 'error', scope: 'file' },
  'file.no-valid-rows': { severity: 'error', scope: 'file' },
  'file.too-large': { severity: 'error', scope: 'file' },
  'file.too-many-rows': { severity: 'error', scope: 'file' },
  'encoding.bom': { severity: 'error', scope: 'file' },
  'encoding.utf16': { severity: 'error', scope: 'file' },
  'encoding.invalid-utf8': { severity: 'error', scope: 'row' },
  'encoding.nul': { severity: 'error', scope: 'row' },
  'header.unknown': { severity: 'error', scope: 'file' },
  'header.duplicate': { severity: 'error', scope: 'file' },
  'header.empty': { severity: 'error', scope: 'file' },
  'header.missing-username': { severity: 'error', scope: 'file' },
  'header.missing-column': { severity: 'warning', scope: 'file' },
  'header.invalid': { severity: 'error', scope: 'file' },
  'pool.no-auto-verified': { severity: 'error', scope: 'file' },
  'pool.username-attributes': { severity: 'warning', scope: 'file' },
  'verified.column-missing': { severity: 'error', scope: 'file' },
  'hash.column-missing': { severity: 'error', scope: 'file' },
  'line.crlf': { severity: 'warning', scope: 'file' },
  'line.blank': { severity: 'warning', scope: 'row' },
  'line.too-long': { severity: 'error', scope: 'row' },
  'field-count': { severity: 'error', scope: 'row' },
  'quote.quoted': { severity: 'warning', scope: 'row' },
  'quote.unterminated': { severity: 'error', scope: 'row' },
  'quote.unescaped': { severity: 'error', scope: 'row' },
  'value.newline': { severity: 'error', scope: 'row' },
  'value.unrepresentable': { severity: 'error', scope: 'row' },
  'value.too-long': { severity: 'error', scope: 'row' },
  'username.empty': { severity: 'error', scope: 'row' },
  'username.whitespace': { severity: 'error', scope: 'row' },
  'username.duplicate': { severity: 'error', scope: 'row' },
  'username.case-duplicate': { severity: 'warning', scope: 'row' },
  'username.untracked': { severity: 'warning', scope: 'row' },
  'required.missing': { severity: 'error', scope: 'row' },
  'verified.none-true': { severity: 'error', scope: 'row' },
  'email.missing-when-verified': { severity: 'error', scope: 'row' },
  'phone.missing-when-verified': { severity: 'error', scope: 'row' },
  'email.format': { severity: 'error', scope: 'row' },
  'phone.format': { severity: 'error', scope: 'row' },
  'boolean.format': { severity: 'error', scope: 'row' },
  'mfa.pool-mismatch': { severity: 'error', scope: 'row' },
  'birthdate.format': { severity: 'error', scope: 'row' },
  'updated_at.format': { severity: 'error', scope: 'row' },
  'custom.type': { severity: 'error', scope: 'row' },
  'custom.bounds': { severity: 'error', scope: 'row' },
  'hash.format': { severity: 'error', scope: 'row' },
  'hash.params': { severity: 'error', scope: 'row' },
  'hash.algorithm-mismatch': { severity: 'error', scope: 'row' },
  'hash.unrecognised': { severity: 'error', scope: 'row' },
  'groups.invalid-name': { severity: 'error', scope: 'row' },
  'groups.unknown': { severity: 'error', scope: 'row' },
  'groups.too-many-for-user': { severity: 'error', scope: 'row' },
} as const satisfies Record<string, RuleInfo>;

/** A rule code, e.g. `username.whitespace`. */
export type RuleCode = keyof typeof RULES;

/** Every rule code, in a stable order (the order of {@link RULES}). */
export const RULE_CODES = Object.keys(RULES) as RuleCode[];

/**
 * What a message may say besides the line: a column name that is known to be an attribute name
 * (never a cell value), a number (a limit, a count, another line) or a short fixed phrase chosen
 * by the validator itself.
 */
export interface MessageContext {
  line: number;
  column?: string | undefined;
  detail?: string | number | undefined;
}

const at = (c: MessageContext) => (c.line > 0 ? `Line ${c.line}` : 'The file');
const col = (c: MessageContext) => (c.column ? `column ${c.column}` : 'a column');

const MESSAGES: Record<RuleCode, (c: MessageContext) => string> = {
  'file.empty': () => 'The file is empty: it needs a header row and at least one user.',
  'file.no-rows': () => 'The file has a header but no users after it.',
  'file.no-valid-rows': () => 'No row of the file is valid, so there is nothing to import.',
  'file.too-large': (c) =>
    `The file is ${c.detail}; Cognito accepts at most 100,000,000 bytes per import file.`,
  'file.too-many-rows': (c) =>
    `${at(c)} is past the limit of ${c.detail} users per import file; split the file.`,
  'encoding.bom': () =>
    'The file starts with a UTF-8 byte order mark (BOM); Cognito wants UTF-8 without a BOM. Save it as "UTF-8" rather than "UTF-8 with BOM", or validate in normalise mode.',
  'encoding.utf16': () =>
    'The file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 without a BOM.',
  'encoding.invalid-utf8': (c) =>
    `${at(c)} contains bytes that are not valid UTF-8; save the file as UTF-8.`,
  'encoding.nul': (c) =>
    `${at(c)} contains a NUL byte; the file is probably binary or UTF-16, save it as UTF-8 text.`,
  'header.unknown': (c) =>
    `${at(c)}: header ${col(c)} is not an attribute of this user pool${c.detail ? ` (${c.detail})` : ''}; use the names from GetCSVHeader.`,
  'header.duplicate': (c) => `${at(c)}: header ${col(c)} appears more than once.`,
  'header.empty': (c) =>
    `${at(c)}: header ${col(c)} has no name (is there a stray comma at the end of the header?).`,
  'header.missing-username': (c) => `${at(c)}: the header has no cognito:username column.`,
  'header.missing-column': (c) =>
    `${at(c)}: the header has no ${c.column} column; the guide asks for every GetCSVHeader column (empty values are fine).`,
  'header.invalid': (c) =>
    `${at(c)}: the header row cannot be read (${c.detail}); the rows after it were not checked.`,
  'pool.no-auto-verified': () =>
    'The user pool auto-verifies neither email nor phone_number; Cognito will not start an import job for it.',
  'pool.username-attributes': () =>
    'The user pool signs users in with email or phone number as the username; what cognito:username must hold in such pools is not documented, so check a small import first.',
  'verified.column-missing': (c) =>
    `${at(c)}: the header has no ${c.detail} column, but the pool needs it true for every user.`,
  'hash.column-missing': (c) =>
    `${at(c)}: a password hashing algorithm (${c.detail}) is set, so the header needs a password_hash column; without it the whole job fails.`,
  'line.crlf': (c) =>
    `${at(c)} ends with CRLF (Windows line ends); the output is written with LF. Whether Cognito accepts CRLF is not documented.`,
  'line.blank': (c) => `${at(c)} is blank; blank lines are dropped from the output.`,
  'line.too-long': (c) =>
    `${at(c)} is longer than ${c.detail} characters, Cognito's limit per row.`,
  'field-count': (c) =>
    `${at(c)} has ${c.detail}; a comma inside a value must be written as \\, (backslash comma).`,
  'quote.quoted': (c) =>
    c.detail === 'strict'
      ? `${at(c)}: ${col(c)} starts with a double quote. Cognito's format has no quoting and how it reads a leading quote is not documented; if the quotes are CSV quoting, validate in normalise mode, which removes them.`
      : `${at(c)}: ${col(c)} still starts with a double quote after its CSV quotes are removed; how Cognito reads a leading quote is not documented.`,
  'quote.unterminated': (c) =>
    `${at(c)}: a quoted value in ${col(c)} is never closed; add the closing double quote.`,
  'quote.unescaped': (c) =>
    `${at(c)}: ${col(c)} has text after its closing double quote; a double quote inside a quoted value must be doubled ("").`,
  'value.newline': (c) =>
    `${at(c)}: ${col(c)} contains a line break, which Cognito's CSV format cannot hold${c.detail ? `; the row runs over ${c.detail} lines (check for a missing closing quote)` : ''}.`,
  'value.unrepresentable': (c) =>
    `${at(c)}: ${col(c)} ends with a backslash, which Cognito would read as an escaped comma; remove the backslash.`,
  'value.too-long': (c) =>
    `${at(c)}: ${col(c)} is longer than ${c.detail} characters, the limit for an attribute value.`,
  'username.empty': (c) => `${at(c)}: cognito:username is empty; every user needs one.`,
  'username.whitespace': (c) =>
    `${at(c)}: cognito:username contains a space, tab or control character, which usernames cannot contain.`,
  'username.duplicate': (c) =>
    `${at(c)}: cognito:username is the same as on line ${c.detail}${c.column === 'case-insensitive' ? ' (the pool ignores case)' : ''}; Cognito would skip this row.`,
  'username.case-duplicate': (c) =>
    `${at(c)}: cognito:username differs only in upper/lower case from the one on line ${c.detail}; the pool is case-sensitive, so these are two users. Check this is intended.`,
  'username.untracked': (c) =>
    `From ${at(c).toLowerCase()} on, usernames are no longer checked for duplicates (more than ${c.detail} distinct usernames).`,
  'required.missing': (c) =>
    c.detail === 'column'
      ? `${at(c)}: the header has no ${c.column} column, but the user pool requires that attribute.`
      : `${at(c)}: ${col(c)} is empty, but the user pool requires that attribute.`,
  'verified.none-true': (c) =>
    `${at(c)}: ${c.detail}; Cognito fails a user that sets none of the pool's auto-verified attributes to true.`,
  'email.missing-when-verified': (c) => `${at(c)}: email_verified is true but email is empty.`,
  'phone.missing-when-verified': (c) =>
    `${at(c)}: phone_number_verified is true but phone_number is empty.`,
  'email.format': (c) => `${at(c)}: email is not an email address (expected name@domain).`,
  'phone.format': (c) =>
    `${at(c)}: phone_number must be + then digits only, e.g. +14325551212 (no spaces, dashes or brackets).`,
  'boolean.format': (c) => `${at(c)}: ${col(c)} must be true, false or empty.`,
  'mfa.pool-mismatch': (c) =>
    `${at(c)}: cognito:mfa_enabled must be ${c.detail} or empty, because the pool's MFA setting is ${c.detail === 'true' ? 'ON (required)' : 'OFF'}.`,
  'birthdate.format': (c) =>
    `${at(c)}: birthdate must be a real date written mm/dd/yyyy, e.g. 02/01/1985.`,
  'updated_at.format': (c) =>
    `${at(c)}: updated_at must be whole seconds since 1970-01-01 UTC, e.g. 1471453471 (a 13-digit value is milliseconds).`,
  'custom.type': (c) => `${at(c)}: ${col(c)} must be ${c.detail}.`,
  'custom.bounds': (c) => `${at(c)}: ${col(c)} is outside the pool's limits (${c.detail}).`,
  'hash.format': (c) => `${at(c)}: password_hash is not a ${c.detail} hash in the accepted format.`,
  'hash.params': (c) =>
    `${at(c)}: password_hash parameters are over Cognito's limits (${c.detail}).`,
  'hash.algorithm-mismatch': (c) =>
    `${at(c)}: password_hash looks like a ${c.detail} hash; every hash in one job must use the job's algorithm.`,
  'hash.unrecognised': (c) =>
    `${at(c)}: password_hash is in none of the formats Cognito imports (BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256); convert it, or leave it empty so that the user resets their password.`,
  'groups.invalid-name': (c) =>
    `${at(c)}: cognito:groups has ${c.detail} Cognito cannot accept: a group name is 1 to 128 characters, with no space or control character (names are separated by ; and a ; inside a name is written \\;).`,
  'groups.unknown': (c) =>
    `${at(c)}: cognito:groups names ${c.detail} the user pool does not have; create ${c.detail === 'a group' ? 'it' : 'them'} first, or run with the option createGroups.`,
  'groups.too-many-for-user': (c) =>
    `${at(c)}: cognito:groups names ${c.detail} groups; a user can be in at most ${MAX_GROUPS_PER_USER}.`,
};

/**
 * The plain message for one issue.
 *
 * @param code - the rule code
 * @param context - the line, a column name known to be an attribute name, and a safe detail
 * @returns one or two sentences a person can act on, without any cell value
 */
export function messageFor(code: RuleCode, context: MessageContext): string {
  return MESSAGES[code](context);
}
