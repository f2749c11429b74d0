import {
  createHash,
  pbkdf2Sync,
  randomBytes,
  randomInt,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { argon2Verify, bcryptVerify } from 'hash-wasm';
import { ServiceError } from '../errors.ts';
import type { Pool } from '../model.ts';

/** The parameters of the SCRYPT hashes the twin writes: within the import limits (docs/cognito-behaviour.md, "Password hashes"). */
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
export type PasswordCheck = 'match' | 'mismatch';

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

/** How the salt field of a PBKDF2_SHA256 or SCRYPT hash is read (the twin's hashSaltEncoding knob). */
export type SaltEncoding = 'decoded' | 'text';

function checkScrypt(value: string, password: string, saltEncoding: SaltEncoding): PasswordCheck {
  const m = /^(\d+)\$(\d+)\$(\d+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)$/.exec(value);
  if (!m) return 'mismatch';
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4] as string, saltEncoding === 'text' ? 'utf8' : 'hex');
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

function checkPbkdf2(value: string, password: string, saltEncoding: SaltEncoding): PasswordCheck {
  const m = /^\$pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/.=]+)\$([A-Za-z0-9+/.=]+)$/.exec(value);
  if (!m) return 'mismatch';
  const iterations = Number(m[1]);
  const salt =
    saltEncoding === 'text' ? Buffer.from(m[2] as string, 'utf8') : decodeBase64(m[2] as string);
  const want = decodeBase64(m[3] as string);
  if (!salt || !want || want.length === 0 || iterations < 1) return 'mismatch';
  const got = pbkdf2Sync(password, salt, iterations, want.length, 'sha256');
  return same(got, want) ? 'match' : 'mismatch';
}

/** bcrypt reads at most 72 bytes of a password; longer ones are cut there, as every bcrypt does. */
const BCRYPT_MAX_BYTES = 72;

async function checkBcrypt(value: string, password: string): Promise<PasswordCheck> {
  // The $2a$, $2b$, $2x$ and $2y$ variants differ only in how old implementations handled
  // passwords over 255 bytes or with 8-bit characters; hash-wasm computes them all as $2b$.
  if (!/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value)) return 'mismatch';
  const bytes = Buffer.from(password, 'utf8').subarray(0, BCRYPT_MAX_BYTES);
  try {
    return (await bcryptVerify({ password: bytes, hash: value })) ? 'match' : 'mismatch';
  } catch {
    return 'mismatch';
  }
}

async function checkArgon2id(value: string, password: string): Promise<PasswordCheck> {
  // The PHC string Cognito documents; salt and hash in base64, padded or not.
  const m =
    /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)=*\$([A-Za-z0-9+/]+)=*$/.exec(
      value,
    );
  if (!m) return 'mismatch';
  try {
    const phc = `$argon2id$v=${m[1]}$m=${m[2]},t=${m[3]},p=${m[4]}$${m[5]}$${m[6]}`;
    return (await argon2Verify({ password, hash: phc })) ? 'match' : 'mismatch';
  } catch {
    // An argon2 version other than 1.3 (v=19), or parameters no implementation takes.
    return 'mismatch';
  }
}

/**
 * Checks a password against a stored hash, in the formats of docs/cognito-behaviour.md, "Password hashes", as the converters write
 * them: PBKDF2_SHA256 and SCRYPT with node:crypto, BCRYPT and ARGON2ID with hash-wasm.
 */
export async function checkPassword(
  stored: { algorithm: string; value: string },
  password: string,
  saltEncoding: SaltEncoding = 'decoded',
): Promise<PasswordCheck> {
  switch (stored.algorithm) {
    case 'SCRYPT':
      return checkScrypt(stored.value, password, saltEncoding);
    case 'PBKDF2_SHA256':
      return checkPbkdf2(stored.value, password, saltEncoding);
    case 'BCRYPT':
      return checkBcrypt(stored.value, password);
    case 'ARGON2ID':
      return checkArgon2id(stored.value, password);
    default:
      return 'mismatch';
  }
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
