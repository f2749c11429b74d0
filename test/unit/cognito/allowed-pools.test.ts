import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TAG_KEY,
  formatAllowedPools,
  parseAllowedPools,
  poolAccess,
} from '../../../src/cognito/allowed-pools.ts';
import { isUserPoolId } from '../../../src/cognito/pool-id.ts';

const A = 'eu-west-1_AbC123';
const B = 'eu-west-1_Other9';

describe('parseAllowedPools', () => {
  it('defaults to tagged pools', () => {
    expect(parseAllowedPools(undefined)).toEqual({ mode: 'tagged' });
    expect(parseAllowedPools('')).toEqual({ mode: 'tagged' });
    expect(parseAllowedPools(' tagged ')).toEqual({ mode: 'tagged' });
  });

  it('reads "any" only when spelled out, and lists of pool ids', () => {
    expect(parseAllowedPools('any')).toEqual({ mode: 'any' });
    expect(parseAllowedPools(`${A}, ${B},${A}`)).toEqual({ mode: 'list', poolIds: [A, B] });
    expect(formatAllowedPools(parseAllowedPools(`${A}, ${B}`))).toBe(`${A},${B}`);
  });

  it.each([['ANY'], ['*'], ['all'], [`${A},`], [`${A};${B}`], ['true']])(
    'refuses %j, naming the bad item',
    (text) => {
      expect(() => parseAllowedPools(text)).toThrow(/ALLOWED_USER_POOLS must be "tagged", "any"/);
    },
  );
});

describe('poolAccess', () => {
  const tagged = { [ALLOWED_TAG_KEY]: 'true' };

  it('tagged: opens only pools tagged cognito-import:allowed=true, exactly', () => {
    const setting = parseAllowedPools('tagged');
    expect(poolAccess(setting, A, tagged)).toEqual({ allowed: true });
    const refused: (Record<string, string> | undefined)[] = [
      undefined,
      {},
      { [ALLOWED_TAG_KEY]: 'True' },
      { other: 'true' },
    ];
    for (const tags of refused)
      expect(poolAccess(setting, A, tags)).toMatchObject({
        allowed: false,
        reason: expect.stringContaining(`tag it ${ALLOWED_TAG_KEY}=true`),
      });
  });

  it('a list: opens exactly the pools it names, whatever their tags', () => {
    const setting = parseAllowedPools(A);
    expect(poolAccess(setting, A, undefined)).toEqual({ allowed: true });
    expect(poolAccess(setting, B, tagged)).toMatchObject({ allowed: false });
  });

  it('any: opens every pool but one its owner tagged false', () => {
    const setting = parseAllowedPools('any');
    expect(poolAccess(setting, A, undefined)).toEqual({ allowed: true });
    expect(poolAccess(setting, A, { [ALLOWED_TAG_KEY]: 'no' })).toEqual({ allowed: true });
    expect(poolAccess(setting, A, { [ALLOWED_TAG_KEY]: 'false' })).toMatchObject({
      allowed: false,
    });
  });
});

describe('isUserPoolId', () => {
  it('accepts the model pattern up to 55 characters, and nothing else', () => {
    expect(isUserPoolId(A)).toBe(true);
    expect(isUserPoolId(`eu-west-1_${'a'.repeat(45)}`)).toBe(true);
    for (const value of [`eu-west-1_${'a'.repeat(46)}`, 'AbC123', 'a_b c', '', 7, undefined])
      expect(isUserPoolId(value), String(value)).toBe(false);
  });
});
