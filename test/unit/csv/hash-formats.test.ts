import { describe, expect, it } from 'vitest';
import { checkPasswordHash } from '../../../src/csv/index.ts';

const salt22 = 'abcdefghijklmnopqrstuv';
const hash31 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

describe('checkPasswordHash', () => {
  it('accepts bcrypt up to cost 12 and rejects more', () => {
    expect(checkPasswordHash('BCRYPT', `$2b$12$${salt22}${hash31}`)).toEqual({ ok: true });
    expect(checkPasswordHash('BCRYPT', `$2y$13$${salt22}${hash31}`)).toMatchObject({
      code: 'hash.params',
    });
    expect(checkPasswordHash('BCRYPT', `$2b$12$${salt22}`)).toMatchObject({ code: 'hash.format' });
  });

  it('accepts scrypt within N ≤ 65536, r ≤ 8, p ≤ 1', () => {
    expect(checkPasswordHash('SCRYPT', '65536$8$1$abcdef01$0123456789abcdef')).toEqual({
      ok: true,
    });
    expect(checkPasswordHash('SCRYPT', '131072$8$1$ab$cd')).toMatchObject({ code: 'hash.params' });
    expect(checkPasswordHash('SCRYPT', '16384$8$2$ab$cd')).toMatchObject({ code: 'hash.params' });
    expect(checkPasswordHash('SCRYPT', '1000$8$1$ab$cd')).toMatchObject({ code: 'hash.format' });
    expect(checkPasswordHash('SCRYPT', '16384$8$1$xyz$cd')).toMatchObject({ code: 'hash.format' });
  });

  it('accepts argon2id within m ≤ 19456, t ≤ 2, p ≤ 1', () => {
    const ok = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';
    expect(checkPasswordHash('ARGON2ID', ok)).toEqual({ ok: true });
    expect(checkPasswordHash('ARGON2ID', ok.replace('t=2', 't=3'))).toMatchObject({
      code: 'hash.params',
    });
    expect(checkPasswordHash('ARGON2ID', ok.replace('argon2id', 'argon2i'))).toMatchObject({
      code: 'hash.format',
    });
  });

  it('accepts PBKDF2-SHA256 up to 600,000 iterations', () => {
    expect(checkPasswordHash('PBKDF2_SHA256', '$pbkdf2-sha256$600000$c2FsdA$aGFzaA')).toEqual({
      ok: true,
    });
    expect(checkPasswordHash('PBKDF2_SHA256', '$pbkdf2-sha256$600001$c2FsdA$aGFzaA')).toMatchObject(
      {
        code: 'hash.params',
      },
    );
  });

  it('names the algorithm a hash of another algorithm looks like', () => {
    expect(checkPasswordHash('PBKDF2_SHA256', `$2b$10$${salt22}${hash31}`)).toEqual({
      ok: false,
      code: 'hash.algorithm-mismatch',
      detail: 'BCRYPT',
    });
  });
});
