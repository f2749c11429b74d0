import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/** Cognito's limit on one attribute value (docs/cognito-behaviour.md, "The CSV file"). */
const MAX_VALUE_CHARS = 2048;

/** A phone number in E.164 (`+` and digits), or undefined when it cannot be made one. */
export function toE164(value: string, defaultCountry?: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode | undefined);
  if (!parsed?.isPossible()) return undefined;
  return parsed.number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

interface DateParts {
  y: number;
  m: number;
  d: number;
  ms?: number;
}

function validDay(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// What the exports write: ISO 8601 and PostgreSQL timestamps, epoch seconds or milliseconds,
// and mm/dd/yyyy.
function dateParts(value: string): DateParts | undefined {
  const text = value.trim();
  if (/^\d{1,10}$/.test(text) || /^\d{13}$/.test(text)) {
    const ms = text.length === 13 ? Number(text) : Number(text) * 1000;
    const date = new Date(ms);
    return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), ms };
  }
  let m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (m) {
    const parts = { y: Number(m[3]), m: Number(m[1]), d: Number(m[2]) };
    return validDay(parts.y, parts.m, parts.d) ? parts : undefined;
  }
  m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i.exec(
      text,
    );
  if (!m) return undefined;
  const parts: DateParts = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  if (!validDay(parts.y, parts.m, parts.d)) return undefined;
  const zone = m[8] ?? 'Z';
  const offset =
    zone.toUpperCase() === 'Z'
      ? 'Z'
      : `${zone.slice(0, 3)}:${zone.length > 3 ? zone.slice(-2) : '00'}`;
  const fraction = (m[7] ?? '').slice(0, 4).padEnd(4, '0');
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${fraction === '0000' ? '' : fraction}${offset}`;
  const ms = Date.parse(iso);
  if (!Number.isNaN(ms)) parts.ms = ms;
  return parts;
}

/** A date as Cognito's `birthdate` wants it: `mm/dd/yyyy` (docs/cognito-behaviour.md, "Values"). */
export function toBirthdate(value: string): string | undefined {
  const parts = dateParts(value);
  if (!parts || parts.y < 1) return undefined;
  return `${pad(parts.m)}/${pad(parts.d)}/${pad(parts.y, 4)}`;
}

/** A time as Cognito's `updated_at` wants it: whole seconds since the epoch (docs/cognito-behaviour.md, "Values"). */
export function toEpochSeconds(value: string): string | undefined {
  const parts = dateParts(value);
  if (parts?.ms === undefined) {
    if (!parts) return undefined;
    return String(Math.floor(Date.UTC(parts.y, parts.m - 1, parts.d) / 1000));
  }
  const seconds = Math.floor(parts.ms / 1000);
  return seconds >= 0 ? String(seconds) : undefined;
}

/** A boolean as exports write them (true/false, t/f as PostgreSQL does, 1/0, yes/no). */
export function parseBoolean(value: string): boolean | undefined {
  const text = value.trim().toLowerCase();
  if (['true', 't', '1', 'yes', 'y'].includes(text)) return true;
  if (['false', 'f', '0', 'no', 'n'].includes(text)) return false;
  return undefined;
}

/** A plausible email address (Cognito documents no format for import; this catches non-addresses). */
export function plausibleEmail(value: string): boolean {
  return /^[^\s@,\\]+@[^\s@,\\]+$/.test(value);
}

/**
 * Why a value cannot be written in Cognito's CSV dialect (docs/cognito-behaviour.md, "The CSV file"), or undefined when it can:
 * the dialect has no quoting, so a line break cannot be written, a leading quote would be read
 * as quoting by spreadsheet-minded readers, and a trailing backslash would escape the comma
 * after it.
 */
export function cellProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'a line break';
  if (value.startsWith('"')) return 'a leading quote';
  if (value.endsWith('\\')) return 'a trailing backslash';
  // UTF-16 units bound the characters from above: count characters only past the limit.
  if (value.length > MAX_VALUE_CHARS && [...value].length > MAX_VALUE_CHARS)
    return `over ${MAX_VALUE_CHARS} characters`;
  return undefined;
}

/** Why a username cannot be Cognito's `cognito:username` (docs/cognito-behaviour.md, "Usernames, sign-in attributes and duplicates"), or undefined. */
export function usernameProblem(username: string): string | undefined {
  if (username === '') return 'no username';
  if (/[\s]/.test(username)) return 'a username with spaces';
  if (username.length > 128 && [...username].length > 128) return 'a username over 128 characters';
  return cellProblem(username) ? 'a username that cannot be written in the CSV' : undefined;
}

/** A value in Cognito's dialect: a comma inside it is written `\,`. */
export const escapeCell = (value: string) =>
  value.includes(',') ? value.replaceAll(',', '\\,') : value;
