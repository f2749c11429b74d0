import { describe, expect, it } from 'vitest';
import {
  Bool,
  booleanAt,
  charsOf,
  digitsAt,
  isBirthdate,
  isEpochSeconds,
  isPhoneNumber,
  isPlausibleEmail,
  lengthWithin,
  NOT_LOWER_CASE,
  numberAt,
} from '../../../src/csv/predicates.ts';

/**
 * Runs a predicate on `value` placed inside other bytes, so that a rule reading outside
 * `[s, e)` would show.
 */
function on<T>(f: (b: Buffer, s: number, e: number) => T, value: string): T {
  const b = Buffer.from(`x,${value},y`, 'utf8');
  const s = 2;
  return f(b, s, b.length - 2);
}

describe('booleanAt', () => {
  it('reads true, false and blank', () => {
    expect(on(booleanAt, 'true')).toBe(Bool.True);
    expect(on(booleanAt, 'false')).toBe(Bool.False);
    expect(on(booleanAt, '')).toBe(Bool.Blank);
  });

  it('reads any case, flagging a value that is not in lower case', () => {
    expect(on(booleanAt, 'TRUE')).toBe(Bool.True | NOT_LOWER_CASE);
    expect(on(booleanAt, 'True')).toBe(Bool.True | NOT_LOWER_CASE);
    expect(on(booleanAt, 'fALSE')).toBe(Bool.False | NOT_LOWER_CASE);
  });

  it('refuses anything else, including near misses of the same length', () => {
    for (const value of [
      'yes',
      '1',
      '0',
      'tru',
      'truth',
      'fals',
      'falsy',
      'true ',
      't\u00f8ue',
      'trUe1',
    ]) {
      expect(on(booleanAt, value), value).toBe(Bool.Invalid);
    }
  });
});

describe('isPlausibleEmail', () => {
  it('accepts one @ with something on both sides', () => {
    expect(on(isPlausibleEmail, 'jane.doe@example.com')).toBe(true);
    expect(on(isPlausibleEmail, 'zoë@exämple.de')).toBe(true);
    expect(on(isPlausibleEmail, 'a@b')).toBe(true);
  });

  it('refuses a missing side, two @, spaces, controls, commas and backslashes', () => {
    for (const value of [
      '@example.com',
      'jane@',
      'jane',
      'a@b@c',
      'jane doe@example.com',
      'jane\t@example.com',
      'jane\u007f@example.com',
      'a\\,b@example.com',
    ]) {
      expect(on(isPlausibleEmail, value), value).toBe(false);
    }
  });
});

describe('isPhoneNumber', () => {
  it('accepts + and digits', () => {
    expect(on(isPhoneNumber, '+14325551212')).toBe(true);
    expect(on(isPhoneNumber, '+1')).toBe(true);
  });

  it('refuses a number without +, a lone +, and separators', () => {
    for (const value of ['14325551212', '+', '+1 432', '+1-432', '(+1)432', '+1a']) {
      expect(on(isPhoneNumber, value), value).toBe(false);
    }
  });
});

describe('digitsAt', () => {
  it('reads n digits as a number, or -1 when one is not a digit', () => {
    const b = Buffer.from('x0420y');
    expect(digitsAt(b, 1, 4)).toBe(420);
    expect(digitsAt(b, 1, 2)).toBe(4);
    expect(digitsAt(b, 0, 3)).toBe(-1);
    expect(digitsAt(b, 2, 4)).toBe(-1);
  });
});

describe('isBirthdate', () => {
  it('accepts MM/DD/YYYY dates that exist', () => {
    for (const value of ['02/01/1985', '12/31/1999', '02/29/2000', '02/29/2024', '01/01/0001']) {
      expect(on(isBirthdate, value), value).toBe(true);
    }
  });

  it('refuses other forms and days that do not exist', () => {
    for (const value of [
      '1985-02-01',
      '2/1/1985',
      '13/01/2000',
      '00/10/2000',
      '04/31/2000',
      '02/30/2000',
      '02/29/1900',
      '02/29/2023',
      '01/00/2000',
      '01/01/0000',
      '01/01/19a5',
    ]) {
      expect(on(isBirthdate, value), value).toBe(false);
    }
  });
});

describe('isEpochSeconds', () => {
  it('accepts 1 to 10 digits', () => {
    expect(on(isEpochSeconds, '0')).toBe(true);
    expect(on(isEpochSeconds, '1471453471')).toBe(true);
  });

  it('refuses 11 digits, signs, decimals and empty', () => {
    for (const value of ['14714534710', '-1', '1.5', '', '2016-08-17']) {
      expect(on(isEpochSeconds, value), value).toBe(false);
    }
  });
});

describe('charsOf', () => {
  it('counts code points, not bytes', () => {
    expect(on(charsOf, 'abc')).toBe(3);
    expect(on(charsOf, 'zoë')).toBe(3);
    expect(on(charsOf, '中文')).toBe(2);
    expect(on(charsOf, '😀')).toBe(1);
  });

  it('does not count the backslash of an escaped comma', () => {
    expect(on(charsOf, 'a\\,b')).toBe(3);
    expect(on(charsOf, 'a\\b')).toBe(3);
  });
});

describe('lengthWithin', () => {
  const within = (value: string, min: number, max: number) =>
    on((b, s, e) => lengthWithin(b, s, e, min, max), value);

  it('checks characters against both limits, inclusive', () => {
    expect(within('ab', 2, 4)).toBe(true);
    expect(within('abcd', 2, 4)).toBe(true);
    expect(within('a', 2, 4)).toBe(false);
    expect(within('abcde', 2, 4)).toBe(false);
  });

  it('counts characters when bytes alone cannot decide', () => {
    // 8 bytes, 4 characters: over max by bytes, within it by characters.
    expect(within('éééé', 1, 4)).toBe(true);
    expect(within('ééééé', 1, 4)).toBe(false);
    // 4 bytes, 1 character: under 4 × min by bytes, under min by characters.
    expect(within('😀', 2, 10)).toBe(false);
    expect(within('a\\,b', 4, 10)).toBe(false);
  });
});

describe('numberAt', () => {
  it('reads integers and decimals, signed or not', () => {
    expect(on(numberAt, '7')).toBe(7);
    expect(on(numberAt, '007')).toBe(7);
    expect(on(numberAt, '-3')).toBe(-3);
    expect(on(numberAt, '+3.25')).toBe(3.25);
    expect(on(numberAt, '1234567890123456')).toBe(1234567890123456);
  });

  it('gives NaN for what is not a plain number', () => {
    for (const value of ['', 'abc', '1e3', '3.', '.5', '1,5', '0x10', ' 1', 'Infinity']) {
      expect(on(numberAt, value), value).toBeNaN();
    }
  });
});
