import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ab64,
  fromAnyHash,
  fromArgon2,
  fromArgon2Phc,
  fromBase64,
  fromBcrypt,
  fromDjango,
  fromPbkdf2Sha256,
  fromScrypt,
  keycloakPassword,
  type PasswordOutcome,
} from '../../../src/convert/index.ts';
import { checkPasswordHash } from '../../../src/csv/index.ts';
import { checkPassword } from '../../../twin/cognito/auth/passwords.ts';
import { argon2Raw, bcryptOf, fakeBcrypt } from '../../helpers/exports.ts';

const PASSWORD = 'Correct-Horse-9';

const reasonOf = (outcome: PasswordOutcome) => (outcome.keep ? undefined : outcome.reason);

/** The hash a conversion kept, checked by the validator and verified by the twin. */
async function kept(outcome: ReturnType<typeof fromBcrypt>, password = PASSWORD) {
  if (!outcome.keep) throw new Error(`reset: ${outcome.reason}`);
  expect(checkPasswordHash(outcome.algorithm, outcome.hash)).toEqual({ ok: true });
  expect(await checkPassword({ algorithm: outcome.algorithm, value: outcome.hash }, password)).toBe(
    'match',
  );
  expect(
    await checkPassword({ algorithm: outcome.algorithm, value: outcome.hash }, `${password}x`),
  ).toBe('mismatch');
  return outcome;
}

describe('bcrypt', () => {
  it('keeps $2a$, $2b$ and $2y$ hashes up to cost 12 as they are', async () => {
    for (const variant of ['2a', '2b', '2y']) {
      const hash = await bcryptOf(PASSWORD, variant);
      expect((await kept(fromBcrypt(hash))).hash).toBe(hash);
    }
    expect(fromBcrypt(fakeBcrypt(12))).toMatchObject({ keep: true, algorithm: 'BCRYPT' });
  });

  it('resets a cost over 12 and a malformed hash, saying why', () => {
    expect(fromBcrypt(fakeBcrypt(13))).toEqual({ keep: false, reason: 'bcrypt cost 13 > 12' });
    expect(fromBcrypt('$2b$10$short')).toEqual({ keep: false, reason: 'bcrypt hash malformed' });
  });
});

describe('PBKDF2-SHA256', () => {
  it('writes passlib’s form: adapted base64 (. for +), no padding', () => {
    const salt = Buffer.from([0xfb, 0xef, 0xff, 0x00]);
    const outcome = fromPbkdf2Sha256(1000, salt, Buffer.alloc(32, 0xfb));
    expect(outcome).toMatchObject({ keep: true });
    const hash = (outcome as { hash: string }).hash;
    expect(hash).toBe(`$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(Buffer.alloc(32, 0xfb))}`);
    expect(hash).not.toMatch(/[+=]/);
    expect(hash).toContain('.');
  });

  it('cuts a 512-bit key (Keycloak’s) to its first 256 bits, which is the 256-bit key', async () => {
    const salt = randomBytes(16);
    const long = pbkdf2Sync(PASSWORD, salt, 1000, 64, 'sha256');
    const short = pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256');
    expect(long.subarray(0, 32)).toEqual(short);
    const outcome = await kept(fromPbkdf2Sha256(1000, salt, long));
    expect((outcome as { hash: string }).hash.endsWith(ab64(short))).toBe(true);
  });

  it('resets over 600,000 iterations and keys shorter than 32 bytes', () => {
    expect(fromPbkdf2Sha256(600_001, randomBytes(16), randomBytes(32))).toEqual({
      keep: false,
      reason: 'pbkdf2-sha256 iterations 600001 > 600000',
    });
    expect(fromPbkdf2Sha256(600_000, randomBytes(16), randomBytes(32)).keep).toBe(true);
    expect(fromPbkdf2Sha256(1000, randomBytes(16), randomBytes(20))).toEqual({
      keep: false,
      reason: 'pbkdf2-sha256 key of 20 bytes < 32',
    });
  });
});

describe('Argon2', () => {
  it('writes argon2id 1.3 as a PHC string, base64 without padding', async () => {
    const salt = randomBytes(16);
    const hash = await argon2Raw(PASSWORD, salt);
    const outcome = await kept(
      fromArgon2({ variant: 'id', version: 19, m: 64, t: 1, p: 1, salt, hash }),
    );
    expect((outcome as { hash: string }).hash).toMatch(
      /^\$argon2id\$v=19\$m=64,t=1,p=1\$[^=$]+\$[^=$]+$/,
    );
  });

  it('resets parameters over m ≤ 19456, t ≤ 2, p ≤ 1, naming each one broken', () => {
    const bytes = { salt: randomBytes(16), hash: randomBytes(32) };
    expect(fromArgon2({ variant: 'id', version: 19, m: 7168, t: 5, p: 1, ...bytes })).toEqual({
      keep: false,
      reason: 'argon2 t=5 > 2',
    });
    expect(fromArgon2({ variant: 'id', version: 19, m: 65536, t: 3, p: 4, ...bytes })).toEqual({
      keep: false,
      reason: 'argon2 m=65536 > 19456, t=3 > 2, p=4 > 1',
    });
    expect(fromArgon2({ variant: 'id', version: 19, m: 19456, t: 2, p: 1, ...bytes }).keep).toBe(
      true,
    );
  });

  it('resets argon2i, argon2d and argon2 1.0', () => {
    const bytes = { salt: randomBytes(16), hash: randomBytes(32), m: 64, t: 1, p: 1 };
    expect(fromArgon2({ variant: 'i', version: 19, ...bytes })).toEqual({
      keep: false,
      reason: 'argon2i not supported',
    });
    expect(fromArgon2({ variant: 'id', version: 16, ...bytes })).toEqual({
      keep: false,
      reason: 'argon2 version 1.0 not supported',
    });
    expect(fromArgon2Phc('$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g').keep).toBe(false);
  });
});

describe('scrypt', () => {
  it('writes N$r$p$salt$hash in hex, and resets over N ≤ 65536, r ≤ 8, p ≤ 1', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync(PASSWORD, salt, 32, { N: 1024, r: 8, p: 1 });
    const outcome = await kept(fromScrypt(1024, 8, 1, salt, hash));
    expect((outcome as { hash: string }).hash).toBe(
      `1024$8$1$${salt.toString('hex')}$${hash.toString('hex')}`,
    );
    expect(fromScrypt(131_072, 8, 2, salt, hash)).toEqual({
      keep: false,
      reason: 'scrypt N=131072 > 65536, p=2 > 1',
    });
    expect(fromScrypt(1000, 8, 1, salt, hash)).toEqual({
      keep: false,
      reason: 'scrypt hash malformed',
    });
  });
});

describe('Django password values', () => {
  it('carries pbkdf2_sha256 over with its text salt', async () => {
    const salt = 'fAbCdEfGhIjKlMnO';
    const key = pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256').toString('base64');
    await kept(fromDjango(`pbkdf2_sha256$1000$${salt}$${key}`));
  });

  it('carries scrypt over with its 64-byte key, and argon2 and bcrypt', async () => {
    const salt = 'sAlTsAlTsAlTsAlT';
    const key = scryptSync(PASSWORD, salt, 64, { N: 1024, r: 8, p: 1 }).toString('base64');
    await kept(fromDjango(`scrypt$1024$${salt}$8$1$${key}`));
    const raw = randomBytes(16);
    const hash = await argon2Raw(PASSWORD, raw);
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    await kept(fromDjango(`argon2$argon2id$v=19$m=64,t=1,p=1$${b64(raw)}$${b64(hash)}`));
    await kept(fromDjango(`bcrypt$${await bcryptOf(PASSWORD)}`));
  });

  it('resets Django 5’s iterations, its default argon2, and what has no Cognito equivalent', () => {
    expect(
      fromDjango('pbkdf2_sha256$870000$salt$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g='),
    ).toEqual({
      keep: false,
      reason: 'pbkdf2-sha256 iterations 870000 > 600000',
    });
    expect(reasonOf(fromDjango('argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA'))).toBe(
      'argon2 m=102400 > 19456, p=8 > 1',
    );
    expect(reasonOf(fromDjango(`bcrypt_sha256$${fakeBcrypt(12)}`))).toBe(
      'bcrypt_sha256 not supported',
    );
    expect(reasonOf(fromDjango('pbkdf2_sha1$260000$salt$aGFzaA=='))).toBe(
      'pbkdf2_sha1 not supported',
    );
    expect(reasonOf(fromDjango('md5$salt$abc'))).toBe('md5 not supported');
    expect(reasonOf(fromDjango('!unusable'))).toBe('unusable password');
    expect(reasonOf(fromDjango(''))).toBe('no password');
  });
});

describe('a hash of unknown origin (the csv source)', () => {
  it('takes Cognito’s own formats and Django values, and names what it cannot read', () => {
    expect(fromAnyHash(fakeBcrypt(10)).keep).toBe(true);
    expect(fromAnyHash('16384$8$1$abcdef01$0123456789abcdef').keep).toBe(true);
    expect(
      fromAnyHash(`$pbkdf2-sha256$1000$${ab64(randomBytes(16))}$${ab64(randomBytes(32))}`).keep,
    ).toBe(true);
    expect(reasonOf(fromAnyHash('sha1$abc$def'))).toBe('sha1 not supported');
    expect(reasonOf(fromAnyHash('5f4dcc3b5aa765d61d8327deb882cf99'))).toBe('unknown hash format');
  });
});

describe('Keycloak credentials', () => {
  const credential = (secret: unknown, data: unknown, extra = {}) => ({
    type: 'password',
    secretData: JSON.stringify(secret),
    credentialData: JSON.stringify(data),
    ...extra,
  });

  it('reads pbkdf2-sha256 from secretData and credentialData', async () => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(PASSWORD, salt, 1000, 64, 'sha256');
    await kept(
      keycloakPassword([
        { type: 'otp', secretData: '{}', credentialData: '{}' },
        credential(
          {
            value: key.toString('base64'),
            salt: salt.toString('base64'),
            additionalParameters: {},
          },
          { hashIterations: 1000, algorithm: 'pbkdf2-sha256', additionalParameters: {} },
        ),
      ]),
    );
  });

  it('reads the fields Keycloak 11 and earlier put on the credential itself', async () => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(PASSWORD, salt, 1000, 64, 'sha256');
    await kept(
      keycloakPassword([
        {
          type: 'password',
          hashedSaltedValue: key.toString('base64'),
          salt: salt.toString('base64'),
          hashIterations: 1000,
          algorithm: 'pbkdf2-sha256',
        },
      ]),
    );
  });

  it('reads argon2’s parameters as lists of strings, with Keycloak’s defaults when absent', async () => {
    const salt = randomBytes(16);
    const hash = await argon2Raw(PASSWORD, salt);
    const secret = { value: hash.toString('base64'), salt: salt.toString('base64') };
    await kept(
      keycloakPassword([
        credential(secret, {
          hashIterations: 1,
          algorithm: 'argon2',
          additionalParameters: {
            hashLength: ['32'],
            memory: ['64'],
            type: ['id'],
            version: ['1.3'],
            parallelism: ['1'],
          },
        }),
      ]),
    );
    // Keycloak's defaults (argon2id 1.3, m=7168, t=5, p=1): over Cognito's t.
    expect(
      keycloakPassword([credential(secret, { algorithm: 'argon2', additionalParameters: {} })]),
    ).toEqual({ keep: false, reason: 'argon2 t=5 > 2' });
  });

  it('says pbkdf2-sha512 and SHA-1 pbkdf2 are not supported, and that no password is none', () => {
    const secret = { value: randomBytes(64).toString('base64'), salt: 'c2FsdA==' };
    expect(
      keycloakPassword([
        credential(secret, { hashIterations: 210000, algorithm: 'pbkdf2-sha512' }),
      ]),
    ).toEqual({ keep: false, reason: 'pbkdf2-sha512 not supported' });
    expect(
      reasonOf(
        keycloakPassword([credential(secret, { hashIterations: 27500, algorithm: 'pbkdf2' })]),
      ),
    ).toBe('pbkdf2 not supported');
    expect(reasonOf(keycloakPassword([]))).toBe('no password in the export');
  });
});

describe('fromBase64', () => {
  it('reads standard, URL-safe and adapted base64, padded or not', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01]);
    for (const text of ['+/+/AQ==', '+/+/AQ', '-_-_AQ', '././AQ'])
      expect(fromBase64(text)).toEqual(bytes);
    expect(fromBase64('not base64!')).toBeUndefined();
  });
});
