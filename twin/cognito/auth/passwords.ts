import {
  createHash,
  pbkdf2Sync,
  randomBytes,
  randomInt,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { ServiceError } from '../errors.ts';
import type { Pool } from '../model.ts';

/** The parameters of the SCRYPT hashes the twin writes: within the import limits of spec §1.6. */
const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 32 } as const;

/**
 * Hashes a password for storage, as a salted SCRYPT hash in the import format `N$r$p$salt$hash`
 * (hex salt and hash), so that one verifier reads both imported and twin-set passwords.
 */
export function hashPassword(password: string): { algorithm: 'SCRYPT'; value: string } {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT.keyLength, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
  });
  return {
    algorithm: 'SCRYPT',
    value: `${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('hex')}$${hash.toString('hex')}`,
  };
}

/** What checking a password against a stored hash found. */
export type PasswordCheck = 'match' | 'mismatch' | 'unsupported';

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Standard or passlib "adapted" base64 (`.` for `+`), with or without padding: the PBKDF2 hashes
 * that systems export come in both, and the guide's example does not settle which Cognito takes.
 */
function decodeBase64(value: string): Buffer | undefined {
  const standard = value.replace(/\./g, '+').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(standard)) return undefined;
  return Buffer.from(standard, 'base64');
}

/**
 * Checks a password against a stored hash. PBKDF2_SHA256 and SCRYPT are computed with node:crypto;
 * node:crypto has no BCRYPT or ARGON2ID, so those answer `unsupported` rather than guess.
 */
export function checkPassword(
  stored: { algorithm: string; value: string },
  password: string,
): PasswordCheck {
  if (stored.algorithm === 'SCRYPT') {
    const m = /^(\d+)\$(\d+)\$(\d+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)$/.exec(stored.value);
    if (!m) return 'mismatch';
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const salt = Buffer.from(m[4] as string, 'hex');
    const want = Buffer.from(m[5] as string, 'hex');
    if (want.length === 0) return 'mismatch';
    try {
      // maxmem: N=65536, r=8 needs 64 MiB, above node's 32 MiB default.
      const got = scryptSync(password, salt, want.length, {
        N,
        r,
        p,
        maxmem: 256 * N * r + 1024 * 1024,
      });
      return same(got, want) ? 'match' : 'mismatch';
    } catch {
      return 'mismatch';
    }
  }
  if (stored.algorithm === 'PBKDF2_SHA256') {
    const m = /^\$pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/.=]+)\$([A-Za-z0-9+/.=]+)$/.exec(stored.value);
    if (!m) return 'mismatch';
    const iterations = Number(m[1]);
    const salt = decodeBase64(m[2] as string);
    const want = decodeBase64(m[3] as string);
    if (!salt || !want || want.length === 0 || iterations < 1) return 'mismatch';
    const got = pbkdf2Sync(password, salt, iterations, want.length, 'sha256');
    return same(got, want) ? 'match' : 'mismatch';
  }
  return 'unsupported';
}

export interface PasswordPolicy {
  MinimumLength: number;
  RequireUppercase: boolean;
  RequireLowercase: boolean;
  RequireNumbers: boolean;
  RequireSymbols: boolean;
  TemporaryPasswordValidityDays: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 7,
};

/** The pool's password policy: what CreateUserPool's Policies set, Cognito's defaults otherwise. */
export function passwordPolicyOf(pool: Pool): PasswordPolicy {
  const given = (pool.echo.Policies as { PasswordPolicy?: Partial<PasswordPolicy> } | undefined)
    ?.PasswordPolicy;
  return { ...DEFAULT_PASSWORD_POLICY, ...given };
}

/** The special characters Cognito counts as symbols (the guide's list, space included). */
const SYMBOLS = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ');

/**
 * Applies the pool's password policy as Cognito does.
 *
 * @throws ServiceError InvalidPasswordException "Password does not conform to policy: …"
 */
export function enforcePasswordPolicy(pool: Pool, password: string): void {
  const policy = passwordPolicyOf(pool);
  const fail = (reason: string) =>
    new ServiceError('InvalidPasswordException', `Password does not conform to policy: ${reason}`);
  if (password.length < policy.MinimumLength) throw fail('Password not long enough');
  if (policy.RequireNumbers && !/[0-9]/.test(password))
    throw fail('Password must have numeric characters');
  if (policy.RequireSymbols && ![...password].some((c) => SYMBOLS.has(c)))
    throw fail('Password must have symbol characters');
  if (policy.RequireUppercase && !/[A-Z]/.test(password))
    throw fail('Password must have uppercase characters');
  if (policy.RequireLowercase && !/[a-z]/.test(password))
    throw fail('Password must have lowercase characters');
}

/** A six-digit confirmation code, as Cognito's default messages carry. */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
