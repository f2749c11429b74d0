/*
 * The value rules, on the bytes of one value `b[s, e)` as written in Cognito's dialect (trimmed,
 * `\,` for a comma). Pure: nothing is decoded to a string unless a rule needs text. The validator
 * calls them only for non-empty values, except `booleanAt`, which reads an empty one as blank.
 *
 * Constants are module-local: the hot code of a module reads only its own (README, "Speed").
 */

const SPACE = 0x20;
const PLUS = 0x2b;
const COMMA = 0x2c;
const SLASH = 0x2f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const AT = 0x40;
const BACKSLASH = 0x5c;
const DEL = 0x7f;
/** Or-ed into an ASCII letter, lower-cases it. */
const LOWER = 0x20;

const BLANK = 0;
const TRUE = 1;
const FALSE = 2;
const INVALID = 3;
const NOT_LOWER = 4;

/** What {@link booleanAt} read. */
export const Bool = { Blank: BLANK, True: TRUE, False: FALSE, Invalid: INVALID } as const;
export type Bool = (typeof Bool)[keyof typeof Bool];

/**
 * Set, in what {@link booleanAt} returns, alongside `Bool.True` or `Bool.False` when the value is
 * not written in lower case (`TRUE`, `False`): the output rewrites it as Cognito reads it.
 */
export const NOT_LOWER_CASE = NOT_LOWER;

/**
 * Reads a boolean: `true` or `false` in any case, or empty.
 *
 * @returns a {@link Bool}, with {@link NOT_LOWER_CASE} set when true or false is not in lower case
 */
export function booleanAt(b: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 0) return BLANK;
  if (len === 4) {
    const c0 = b[s] as number;
    const c1 = b[s + 1] as number;
    const c2 = b[s + 2] as number;
    const c3 = b[s + 3] as number;
    // t r u e
    if (
      (c0 | LOWER) === 0x74 &&
      (c1 | LOWER) === 0x72 &&
      (c2 | LOWER) === 0x75 &&
      (c3 | LOWER) === 0x65
    ) {
      return c0 === 0x74 && c1 === 0x72 && c2 === 0x75 && c3 === 0x65 ? TRUE : TRUE | NOT_LOWER;
    }
    return INVALID;
  }
  if (len === 5) {
    const c0 = b[s] as number;
    const c1 = b[s + 1] as number;
    const c2 = b[s + 2] as number;
    const c3 = b[s + 3] as number;
    const c4 = b[s + 4] as number;
    // f a l s e
    if (
      (c0 | LOWER) === 0x66 &&
      (c1 | LOWER) === 0x61 &&
      (c2 | LOWER) === 0x6c &&
      (c3 | LOWER) === 0x73 &&
      (c4 | LOWER) === 0x65
    ) {
      return c0 === 0x66 && c1 === 0x61 && c2 === 0x6c && c3 === 0x73 && c4 === 0x65
        ? FALSE
        : FALSE | NOT_LOWER;
    }
  }
  return INVALID;
}

/**
 * A plausible address: one @ with something on both sides, no spaces, controls, commas or
 * backslashes. Cognito documents no format for an imported email (docs/cognito-behaviour.md,
 * "Values"), so this only catches data that is plainly not an address (a name, a phone number,
 * two addresses in one cell).
 */
export function isPlausibleEmail(b: Buffer, s: number, e: number): boolean {
  let at = -1;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if (c <= SPACE || c === DEL || c === COMMA || c === BACKSLASH) return false;
    if (c === AT) {
      if (at >= 0) return false;
      at = i;
    }
  }
  return at > s && at < e - 1;
}

/** `+` and at least one digit, nothing else (Cognito's E.164 form). */
export function isPhoneNumber(b: Buffer, s: number, e: number): boolean {
  if (e - s < 2 || b[s] !== PLUS) return false;
  for (let i = s + 1; i < e; i++) {
    const c = b[i] as number;
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/** The value of the `n` ASCII digits at `b[s]`, or -1 if one of them is not a digit. */
export function digitsAt(b: Buffer, s: number, n: number): number {
  let v = 0;
  for (let i = s; i < s + n; i++) {
    const d = (b[i] as number) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `MM/DD/YYYY`, a day that exists (29 February in leap years only), year 1 or later. */
export function isBirthdate(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 10 || b[s + 2] !== SLASH || b[s + 5] !== SLASH) return false;
  const month = digitsAt(b, s, 2);
  const day = digitsAt(b, s + 3, 2);
  const year = digitsAt(b, s + 6, 4);
  if (month < 1 || month > 12 || day < 1 || year < 1) return false;
  if (day > (DAYS_IN_MONTH[month - 1] as number)) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return !(month === 2 && day === 29 && !leap);
}

/** `updated_at`: seconds since the epoch, 1 to 10 digits. */
export function isEpochSeconds(b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  return len >= 1 && len <= 10 && digitsAt(b, s, len) >= 0;
}

/**
 * Characters (code points) of a Cognito-dialect value: bytes that start a UTF-8 sequence, less
 * one per `\,`, since the backslash is not part of the value.
 */
export function charsOf(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if ((c & 0xc0) !== 0x80) n++;
    if (c === BACKSLASH && i + 1 < e && b[i + 1] === COMMA) {
      n--;
    }
  }
  return n;
}

/** Whether the value has between `min` and `max` characters. */
export function lengthWithin(b: Buffer, s: number, e: number, min: number, max: number): boolean {
  const bytes = e - s;
  // Characters lie between bytes/4 and bytes: count them only when that range straddles a limit.
  if (bytes <= max && bytes >= 4 * min) return true;
  const chars = charsOf(b, s, e);
  return chars >= min && chars <= max;
}

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** The value as a number (an integer or a decimal with a point, optionally signed), else NaN. */
export function numberAt(b: Buffer, s: number, e: number): number {
  if (e === s) return Number.NaN;
  // Most values are a few plain digits: read those without making a string.
  const value = e - s <= 15 ? digitsAt(b, s, e - s) : -1;
  if (value >= 0) return value;
  const text = b.toString('latin1', s, e);
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}
