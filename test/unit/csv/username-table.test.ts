import { describe, expect, it } from 'vitest';
import { UsernameHasher, UsernameTable, usernameTableBytes } from '../../../src/csv/index.ts';

const hasher = new UsernameHasher();
function hashOf(name: string, fold = false): [number, number] {
  const b = Buffer.from(name, 'utf8');
  if (!hasher.hash(b, 0, b.length, fold)) hasher.hashFolded(b, 0, b.length);
  return [hasher.a, hasher.b];
}

describe('UsernameTable', () => {
  it('remembers the line a name was first added on', () => {
    const t = new UsernameTable(100);
    expect(t.add(...hashOf('alice'), 2)).toBe(0);
    expect(t.add(...hashOf('bob'), 3)).toBe(0);
    expect(t.add(...hashOf('alice'), 9)).toBe(2);
    expect(t.size).toBe(2);
  });

  it('tells apart a million distinct names without a false duplicate', () => {
    const t = new UsernameTable(2_000_000);
    let dup = 0;
    for (let i = 1; i <= 1_000_000; i++) {
      if (t.add(...hashOf(`user${i}@example.com`), i) !== 0) dup++;
    }
    expect(dup).toBe(0);
    expect(t.size).toBe(1_000_000);
  });

  it('stays within 12 bytes a slot at most half full: 12 MiB for 500,000 names', () => {
    const t = new UsernameTable(1_000_000);
    for (let i = 1; i <= 500_000; i++) t.add(...hashOf(`u${i}`), i);
    expect(t.byteLength).toBe(12 * 2 ** 20);
    expect(t.byteLength).toBe(usernameTableBytes(500_000));
    expect(t.byteLength / 500_000).toBeLessThan(26);
  });

  it('stops adding at its limit but still finds what it holds', () => {
    const t = new UsernameTable(3);
    for (const [i, n] of ['a', 'b', 'c'].entries()) expect(t.add(...hashOf(n), i + 1)).toBe(0);
    expect(t.add(...hashOf('d'), 4)).toBe(-1);
    expect(t.add(...hashOf('b'), 5)).toBe(2);
  });
});

describe('UsernameHasher', () => {
  it('folds ASCII and non-ASCII case the same way', () => {
    expect(hashOf('JDoe', true)).toEqual(hashOf('jdoe', true));
    expect(hashOf('ÉLODIE', true)).toEqual(hashOf('élodie', true));
    expect(hashOf('ÉLODIE', true)).toEqual(hashOf('élodie', false));
    expect(hashOf('JDoe')).not.toEqual(hashOf('jdoe'));
  });

  it('flags spaces, tabs and control characters', () => {
    for (const [name, ws] of [
      ['jdoe', false],
      ['j doe', true],
      ['j\tdoe', true],
      ['j\u0001', true],
      ['zoë', false],
      ['zo ë', true],
    ] as const) {
      hashOf(name, true);
      expect(hasher.whitespace, name).toBe(ws);
    }
  });
});
