import type { Knobs } from './knobs.ts';
import type { Pool } from './model.ts';
import { attributeName } from './pools.ts';

/**
 * Trims as a JVM-style reader does: ASCII spaces and control characters only, so a BOM stays
 * glued to the first column name, unlike String.prototype.trim, which would remove it.
 */
export function trimAscii(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Splits one line of Cognito's dialect: `\,` is a comma inside a value, values are trimmed, no quoting. */
export function splitCognitoLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === ',') {
      fields.push(trimAscii(current));
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(trimAscii(current));
  return fields;
}

export const MESSAGES = {
  succeeded: 'The import succeeded.',
  exists: 'The user already exists.',
  // The twin's wordings, after the messages of AdminCreateUser's UsernameExistsException and
  // AliasExistsException.
  signInTaken: (attribute: string) => `An account with the given ${attribute} already exists.`,
  noSignIn: (attributes: string[]) => `The user has no ${attributes.join(' or ')} to sign in with.`,
  // The documented text (docs/cognito-behaviour.md, "CloudWatch Logs"); every other row message
  // here is the twin's own wording.
  autoVerified:
    'The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).',
} as const;

export const COMPLETION = {
  succeeded: 'Import Job Completed Successfully.',
  tooManyFailed: 'Too many users have failed or been skipped during the import.',
  stopped: 'The Import Job was stopped by the developer.',
  expired: 'The user import job has expired.',
  // UNCONFIRMED wordings (docs/cognito-behaviour.md, "Import job lifecycle"): the twin's own,
  // kept within the model's 128 characters.
  poolDeleted: 'The user pool of this import job was deleted.',
  internal: 'An internal error occurred while importing users.',
  hashColumnMissing:
    'The CSV file has no password_hash column, which a password hash import requires.',
  unparsable: (reason: string) => `The CSV file could not be parsed: ${reason}`.slice(0, 128),
  tooLarge: (max: number) =>
    `The CSV file is larger than ${max.toLocaleString('en-US')} bytes, the most one import job takes.`,
  tooManyRows: (max: number) =>
    `The CSV file has more than ${max.toLocaleString('en-US')} users, the most one import job takes.`,
} as const;

const BOOLEAN_COLUMNS = ['email_verified', 'phone_number_verified', 'cognito:mfa_enabled'];
const NOT_ATTRIBUTES = new Set(['cognito:username', 'cognito:mfa_enabled', 'password_hash']);

/** What the import of one row decided. */
export type RowResult =
  | { outcome: 'FAILED'; message: string; fatal?: boolean }
  | {
      outcome: 'READY';
      username: string;
      attributes: Record<string, string>;
      mfaEnabled?: boolean;
      passwordHash?: string;
    };

/** Checks the header line; answers the reason the whole job fails, or nothing. */
export function checkHeader(
  header: string[],
  allowed: readonly string[],
  knobs: Knobs,
  passwordHashingAlgorithm: string | undefined,
): string | undefined {
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) return COMPLETION.unparsable(`the column ${column} appears twice.`);
    seen.add(column);
    if (column.startsWith('\uFEFF'))
      return COMPLETION.unparsable('the first column name is not one the user pool has.');
    if (!allowed.includes(column) && column !== 'password_hash')
      return COMPLETION.unparsable(`the column ${column} is not an attribute of the user pool.`);
  }
  if (!seen.has('cognito:username'))
    return COMPLETION.unparsable('the cognito:username column is missing.');
  if (knobs.headerCompleteness === 'all') {
    const missing = allowed.filter((column) => !seen.has(column));
    if (missing.length > 0)
      return COMPLETION.unparsable(`${missing.length} header columns are missing.`);
  }
  if (passwordHashingAlgorithm && !seen.has('password_hash')) return COMPLETION.hashColumnMissing;
  return undefined;
}

const isBool = (value: string) => /^(true|false)$/i.test(value);
const isTrue = (value: string | undefined) => value !== undefined && /^true$/i.test(value);

function validDate(value: string): boolean {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  if (!match) return false;
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

/** Checks a hash against the formats and limits Cognito documents for password-hash import. */
export function validPasswordHash(algorithm: string, hash: string): boolean {
  let m: RegExpExecArray | null;
  switch (algorithm) {
    case 'BCRYPT':
      m = /^\$2[abxy]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(hash);
      return m !== null && Number(m[1]) >= 4 && Number(m[1]) <= 12;
    case 'SCRYPT':
      m = /^(\d+)\$(\d+)\$(\d+)\$[0-9a-fA-F]+\$[0-9a-fA-F]+$/.exec(hash);
      return (
        m !== null &&
        Number(m[1]) <= 65536 &&
        Number(m[2]) <= 8 &&
        Number(m[3]) <= 1 &&
        Number(m[3]) >= 1
      );
    case 'ARGON2ID':
      m = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.exec(
        hash,
      );
      return m !== null && Number(m[1]) <= 19456 && Number(m[2]) <= 2 && Number(m[3]) <= 1;
    case 'PBKDF2_SHA256':
      m = /^\$pbkdf2-sha256\$(\d+)\$[A-Za-z0-9+/.=]+\$[A-Za-z0-9+/.=]+$/.exec(hash);
      return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 600000;
    default:
      return false;
  }
}

/**
 * Applies Cognito's per-row rules (docs/cognito-behaviour.md, "The CSV file") to one data line. A row that breaks
 * one fails alone; the job goes on.
 */
export function checkRow(
  pool: Pool,
  header: string[],
  line: string,
  knobs: Knobs,
  passwordHashingAlgorithm: string | undefined,
): RowResult {
  const fail = (message: string): RowResult => ({ outcome: 'FAILED', message });
  if (line.length > 16_000) return fail('The record is longer than 16,000 characters.');
  const values = splitCognitoLine(line);
  if (values.length !== header.length) {
    const message = `The record has ${values.length} values but the header has ${header.length} columns.`;
    // With the knob at fail-job, Cognito is taken to stop parsing the file here.
    return knobs.fieldCountMismatch === 'fail-job'
      ? { outcome: 'FAILED', message, fatal: true }
      : fail(message);
  }
  const row: Record<string, string> = {};
  header.forEach((column, i) => {
    row[column] = values[i] ?? '';
  });
  const username = row['cognito:username'] ?? '';
  if (username === '' || /[ \t]/.test(username))
    return fail('The username is empty or contains spaces or tabs.');
  for (const column of header) {
    if ((row[column] ?? '').length > 2048)
      return fail(`The value of ${column} is longer than 2,048 characters.`);
  }
  for (const column of BOOLEAN_COLUMNS) {
    const value = row[column];
    if (value && !isBool(value)) return fail(`The value of ${column} is not true or false.`);
  }
  const autoVerified = pool.autoVerifiedAttributes;
  if (
    autoVerified.length > 0 &&
    !autoVerified.some((attribute) => isTrue(row[`${attribute}_verified`]))
  )
    return fail(MESSAGES.autoVerified);
  if (isTrue(row.email_verified) && !row.email)
    return fail('The email is required when email_verified is true.');
  if (isTrue(row.phone_number_verified) && !row.phone_number)
    return fail('The phone_number is required when phone_number_verified is true.');
  if (row.phone_number && !/^\+[0-9]+$/.test(row.phone_number))
    return fail('The phone_number is not a + followed by digits.');
  if (knobs.checkEmailFormat && row.email && !/^[^@\s]+@[^@\s]+$/.test(row.email))
    return fail('The email is not a valid email address.');
  if (row.birthdate && !validDate(row.birthdate))
    return fail('The birthdate is not a date in mm/dd/yyyy format.');
  if (row.updated_at && !/^\d+$/.test(row.updated_at))
    return fail('The updated_at is not a whole number of seconds since the epoch.');
  for (const attribute of pool.schema) {
    if (attribute.Required && attribute.Name !== 'sub' && !row[attribute.Name])
      return fail(`The required attribute ${attribute.Name} has no value.`);
  }
  const mfa = row['cognito:mfa_enabled'] ?? '';
  if (knobs.mfaRule === '2023' && mfa === '')
    return fail('The cognito:mfa_enabled value is missing.');
  if (
    (pool.mfaConfiguration === 'ON' && /^false$/i.test(mfa)) ||
    (pool.mfaConfiguration === 'OFF' && /^true$/i.test(mfa))
  )
    return fail("The cognito:mfa_enabled value does not match the user pool's MFA configuration.");
  for (const attribute of pool.schema) {
    if (!attribute.Name.startsWith('custom:')) continue;
    const name = attributeName(attribute, knobs);
    const value = row[name];
    if (!value) continue;
    if (attribute.AttributeDataType === 'Number') {
      const { MinValue, MaxValue } = attribute.NumberAttributeConstraints ?? {};
      if (!/^-?\d+$/.test(value)) return fail(`The value of ${name} is not a number.`);
      if (
        (MinValue !== undefined && Number(value) < Number(MinValue)) ||
        (MaxValue !== undefined && Number(value) > Number(MaxValue))
      )
        return fail(`The value of ${name} is out of its allowed range.`);
    } else if (attribute.AttributeDataType === 'String') {
      const { MinLength, MaxLength } = attribute.StringAttributeConstraints ?? {};
      if (
        (MinLength !== undefined && value.length < Number(MinLength)) ||
        (MaxLength !== undefined && value.length > Number(MaxLength))
      )
        return fail(`The length of ${name} is out of its allowed range.`);
    } else if (attribute.AttributeDataType === 'Boolean' && !isBool(value)) {
      return fail(`The value of ${name} is not true or false.`);
    }
  }
  const hash = row.password_hash ?? '';
  if (passwordHashingAlgorithm && hash && !validPasswordHash(passwordHashingAlgorithm, hash))
    return fail(
      `The password hash is not a valid ${passwordHashingAlgorithm} hash within the allowed parameters.`,
    );
  const attributes: Record<string, string> = {};
  for (const column of header) {
    const value = row[column];
    if (!value || NOT_ATTRIBUTES.has(column)) continue;
    attributes[column] = BOOLEAN_COLUMNS.includes(column) ? value.toLowerCase() : value;
  }
  return {
    outcome: 'READY',
    username,
    attributes,
    ...(mfa ? { mfaEnabled: isTrue(mfa) } : {}),
    ...(passwordHashingAlgorithm && hash ? { passwordHash: hash } : {}),
  };
}
