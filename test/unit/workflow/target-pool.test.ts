import { describe, expect, it } from 'vitest';
import { poolOfKey, resolvePool } from '../../../src/workflow/target-pool.ts';

const POOL = 'eu-west-1_AbC123';

describe('poolOfKey', () => {
  it.each([
    [`incoming/${POOL}/users.csv`],
    [`incoming/${POOL}/2026/users.csv`],
    [`incoming/${POOL}/2026/12/users.csv`],
    [`incoming/${POOL}/hr exports/Zoë + Łukasz (2026).csv`],
    [`incoming/${POOL}/`],
  ])('reads the pool folder of %s, at any depth', (key) => {
    expect(poolOfKey(key)).toEqual({ kind: 'pool', userPoolId: POOL });
  });

  it('sends a file directly under incoming/ to the stage default', () => {
    expect(poolOfKey('incoming/users.csv')).toEqual({ kind: 'default' });
    expect(poolOfKey('incoming/my users ä.csv')).toEqual({ kind: 'default' });
  });

  it.each([
    ['incoming/not-a-pool/users.csv', 'not-a-pool'],
    ['incoming/team a/2026/users.csv', 'team a'],
    ['incoming//users.csv', ''],
    [`incoming/${POOL}x!/users.csv`, `${POOL}x!`],
    [`incoming/${'eu-west-1_'.padEnd(56, 'A')}/users.csv`, 'eu-west-1_'.padEnd(56, 'A')],
  ])('finds no pool in %s (its folder is no pool id)', (key, folder) => {
    expect(poolOfKey(key)).toEqual({ kind: 'no-pool-folder', folder });
  });

  it('finds nothing outside incoming/', () => {
    expect(poolOfKey(`uploads/${POOL}/users.csv`)).toEqual({ kind: 'outside' });
    expect(poolOfKey(`Incoming/${POOL}/users.csv`)).toEqual({ kind: 'outside' });
  });
});

describe('resolvePool', () => {
  const DEFAULT = 'eu-west-1_Default1';

  it('takes the pool folder of a nested key, never the default', () => {
    expect(resolvePool({ key: `incoming/${POOL}/2026/12/users.csv` }, DEFAULT)).toEqual({
      userPoolId: POOL,
    });
  });

  it('uses the default only for files directly under incoming/', () => {
    expect(resolvePool({ key: 'incoming/users.csv' }, DEFAULT)).toEqual({ userPoolId: DEFAULT });
    const none = resolvePool({ key: 'incoming/users.csv' }, undefined);
    expect(none).toMatchObject({ rejected: { code: 'pool.unresolved' } });
  });

  it('refuses a folder that is no pool id, naming the layout it expects', () => {
    const refused = resolvePool({ key: 'incoming/not-a-pool/users.csv' }, DEFAULT);
    expect(refused).toEqual({
      rejected: {
        code: 'key.no-pool-folder',
        reason: expect.stringContaining('incoming/<userPoolId>/<name>.csv'),
      },
    });
    expect('rejected' in refused && refused.rejected.reason).toContain('"not-a-pool"');
  });

  it('prefers the input pool, but refuses one the key contradicts', () => {
    expect(resolvePool({ userPoolId: POOL, key: 'uploads/users.csv' }, DEFAULT)).toEqual({
      userPoolId: POOL,
    });
    expect(resolvePool({ userPoolId: POOL, key: 'incoming/not-a-pool/x.upload' }, DEFAULT)).toEqual(
      { userPoolId: POOL },
    );
    expect(resolvePool({ userPoolId: POOL, key: `incoming/${POOL}/x.upload` }, DEFAULT)).toEqual({
      userPoolId: POOL,
    });
    expect(
      resolvePool({ userPoolId: DEFAULT, key: `incoming/${POOL}/users.csv` }, undefined),
    ).toMatchObject({ rejected: { code: 'pool.mismatch' } });
  });

  it('asks for a pool when the key is outside incoming/ and the input names none', () => {
    expect(resolvePool({ key: 'uploads/users.csv' }, DEFAULT)).toMatchObject({
      rejected: { code: 'pool.unresolved', reason: expect.stringMatching(/^No user pool: give/) },
    });
  });
});
