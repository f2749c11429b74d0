/**
 * Turns the password hashes providers store into Cognito's import formats (docs/cognito-behaviour.md, "Password hashes"), when
 * Cognito can take them: the same algorithm, within its limits. Anything else answers a reason,
 * and the user imports without a hash (RESET_REQUIRED): never a hash Cognito would fail.
 *
 * The encodings Cognito expects inside its formats are not all documented; the choices made
 * here are listed, as guesses, in docs/cognito-behaviour.md ("Password hashes"):
 * - PBKDF2_SHA256 `$pbkdf2-sha256$<iterations>$<salt>$<hash>` as passlib writes it: salt and
 *   hash in "adapted" base64 (`.` for `+`, no padding), a 32-byte hash.
 * - SCRYPT `N$r$p$<salt hex>$<hash hex>`, the salt's bytes in hex.
 * - ARGON2ID the PHC string, salt and hash in base64 without padding, version 19 only.
 * - BCRYPT the modular crypt string as it is.
 */
import { checkPasswordHash, type PasswordHashingAlgorithm } from '../csv/index.ts';
import type { PasswordOutcome } from './types.ts';

/** Cognito's limits (docs/cognito-behaviour.md, "Password hashes"). */
export const LIMITS = {
  bcryptCost: 12,
  scrypt: { N: 65_536, r: 8, p: 1 },
  argon2: { m: 19_456, t: 2, p: 1 },
  pbkdf2Iterations: 600_000,
} as const;

/** PBKDF2-HMAC-SHA256's block: the hash length Cognito's format carries. */
const PBKDF2_SHA256_BYTES = 32;

export const reset = (reason: string): PasswordOutcome => ({ keep: false, reason });

/** Base64 without padding (PHC strings). */
export const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
/** passlib's "adapted" base64: `.` for `+`, no padding. */
export const ab64 = (bytes: Buffer) => b64(bytes).replace(/\+/g, '.');

/** Decodes standard, URL-safe or adapted base64, padded or not; undefined when it is not. */
export function fromBase64(text: string): Buffer | undefined {
  const normal = text.replace(/\./g, '+').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(normal) || normal.length % 4 === 1) return undefined;
  return Buffer.from(normal, 'base64');
}

// The last check before a hash is written: the validator's own, so a hash the converter keeps
// is one the pipeline (and, by its rules, Cognito) takes.
function keep(algorithm: PasswordHashingAlgorithm, hash: string): PasswordOutcome {
  const check = checkPasswordHash(algorithm, hash);
  if (!check.ok) return reset(`${algorithm.toLowerCase()} hash malformed`);
  return { keep: true, algorithm, hash };
}

/** A bcrypt modular crypt string (`$2a$`, `$2b$`, `$2x$`, `$2y$`). */
export function fromBcrypt(value: string): PasswordOutcome {
  const m = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(value);
  if (!m) return reset('bcrypt hash malformed');
  const cost = Number(m[1]);
  if (cost > LIMITS.bcryptCost) return reset(`bcrypt cost ${cost} > ${LIMITS.bcryptCost}`);
  return keep('BCRYPT', value);
}

/**
 * PBKDF2-HMAC-SHA256. A derived key longer than 32 bytes (Keycloak stores 64) is cut to its
 * first 32: PBKDF2's output is a series of independent 32-byte blocks, so the first block is
 * exactly the 32-byte key of the same password, salt and iterations.
 */
export function fromPbkdf2Sha256(iterations: number, salt: Buffer, key: Buffer): PasswordOutcome {
  if (!Number.isInteger(iterations) || iterations < 1 || salt.length === 0)
    return reset('pbkdf2-sha256 hash malformed');
  if (iterations > LIMITS.pbkdf2Iterations)
    return reset(`pbkdf2-sha256 iterations ${iterations} > ${LIMITS.pbkdf2Iterations}`);
  if (key.length < PBKDF2_SHA256_BYTES)
    return reset(`pbkdf2-sha256 key of ${key.length} bytes < ${PBKDF2_SHA256_BYTES}`);
  const hash = key.subarray(0, PBKDF2_SHA256_BYTES);
  return keep('PBKDF2_SHA256', `$pbkdf2-sha256$${iterations}$${ab64(salt)}$${ab64(hash)}`);
}

export interface Argon2Params {
  /** `id`, `i` or `d`. */
  variant: string;
  /** 19 (1.3) or 16 (1.0). */
  version: number;
  /** Memory in KiB. */
  m: number;
  t: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Argon2: only argon2id version 1.3 within Cognito's m, t and p. */
export function fromArgon2(a: Argon2Params): PasswordOutcome {
  if (a.variant !== 'id') return reset(`argon2${a.variant} not supported`);
  if (a.version !== 19)
    return reset(`argon2 version ${a.version === 16 ? '1.0' : a.version} not supported`);
  if (![a.m, a.t, a.p].every((n) => Number.isInteger(n) && n >= 1) || a.hash.length === 0)
    return reset('argon2 hash malformed');
  const over: string[] = [];
  if (a.m > LIMITS.argon2.m) over.push(`m=${a.m} > ${LIMITS.argon2.m}`);
  if (a.t > LIMITS.argon2.t) over.push(`t=${a.t} > ${LIMITS.argon2.t}`);
  if (a.p > LIMITS.argon2.p) over.push(`p=${a.p} > ${LIMITS.argon2.p}`);
  if (over.length > 0) return reset(`argon2 ${over.join(', ')}`);
  return keep(
    'ARGON2ID',
    `$argon2id$v=19$m=${a.m},t=${a.t},p=${a.p}$${b64(a.salt)}$${b64(a.hash)}`,
  );
}

/** An argon2 PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export function fromArgon2Phc(value: string): PasswordOutcome {
  const m =
    /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(
      value,
    );
  if (!m) return reset('argon2 hash malformed');
  const salt = fromBase64(m[6] as string);
  const hash = fromBase64(m[7] as string);
  if (!salt || !hash) return reset('argon2 hash malformed');
  return fromArgon2({
    variant: m[1] as string,
    // A PHC string without v= is argon2 1.0.
    version: m[2] ? Number(m[2]) : 16,
    m: Number(m[3]),
    t: Number(m[4]),
    p: Number(m[5]),
    salt,
    hash,
  });
}

/** scrypt: N a power of two, within Cognito's N, r and p. */
export function fromScrypt(
  N: number,
  r: number,
  p: number,
  salt: Buffer,
  hash: Buffer,
): PasswordOutcome {
  const valid =
    Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0 && r >= 1 && p >= 1 && hash.length > 0;
  if (!valid || salt.length === 0) return reset('scrypt hash malformed');
  const over: string[] = [];
  if (N > LIMITS.scrypt.N) over.push(`N=${N} > ${LIMITS.scrypt.N}`);
  if (r > LIMITS.scrypt.r) over.push(`r=${r} > ${LIMITS.scrypt.r}`);
  if (p > LIMITS.scrypt.p) over.push(`p=${p} > ${LIMITS.scrypt.p}`);
  if (over.length > 0) return reset(`scrypt ${over.join(', ')}`);
  return keep('SCRYPT', `${N}$${r}$${p}$${salt.toString('hex')}$${hash.toString('hex')}`);
}

/**
 * A Django `password` field (`<algorithm>$…`, django.contrib.auth.hashers): pbkdf2_sha256,
 * argon2 (argon2id), bcrypt and scrypt carry over; bcrypt_sha256 (SHA-256 before bcrypt),
 * pbkdf2_sha1, the salted and unsalted digests and crypt do not; `!…` is an unusable password.
 */
export function fromDjango(value: string): PasswordOutcome {
  if (value === '') return reset('no password');
  if (value.startsWith('!')) return reset('unusable password');
  const dollar = value.indexOf('$');
  const algorithm = dollar < 0 ? value : value.slice(0, dollar);
  const rest = dollar < 0 ? '' : value.slice(dollar + 1);
  switch (algorithm) {
    case 'pbkdf2_sha256': {
      const [iterations, salt, hash, extra] = rest.split('$');
      const key = fromBase64(hash ?? '');
      if (iterations === undefined || !salt || !key || extra !== undefined)
        return reset('pbkdf2_sha256 hash malformed');
      // Django's salt is text, hashed as its UTF-8 bytes.
      return fromPbkdf2Sha256(Number(iterations), Buffer.from(salt, 'utf8'), key);
    }
    case 'argon2':
      return fromArgon2Phc(`$${rest}`);
    case 'bcrypt':
      return fromBcrypt(rest.startsWith('$') ? rest : `$${rest}`);
    case 'scrypt': {
      // scrypt$<N>$<salt>$<r>$<p>$<base64 hash>
      const [N, salt, r, p, hash, extra] = rest.split('$');
      const key = fromBase64(hash ?? '');
      if (!N || !salt || !r || !p || !key || extra !== undefined)
        return reset('scrypt hash malformed');
      return fromScrypt(Number(N), Number(r), Number(p), Buffer.from(salt, 'utf8'), key);
    }
    default:
      return reset(
        /^[a-z0-9_]+$/.test(algorithm) ? `${algorithm} not supported` : 'unknown hash format',
      );
  }
}

/**
 * A hash of unknown origin (a `password_hash` column of a CSV export): already in one of
 * Cognito's formats, a PHC argon2 string, or a Django `password` value.
 */
export function fromAnyHash(value: string): PasswordOutcome {
  if (value === '') return reset('no password');
  if (value.startsWith('$2')) return fromBcrypt(value);
  if (value.startsWith('$argon2')) return fromArgon2Phc(value);
  if (value.startsWith('$pbkdf2-sha256$')) {
    const [, , iterations, salt, hash, extra] = value.split('$');
    const saltBytes = fromBase64(salt ?? '');
    const key = fromBase64(hash ?? '');
    if (!iterations || !saltBytes || !key || extra !== undefined)
      return reset('pbkdf2-sha256 hash malformed');
    return fromPbkdf2Sha256(Number(iterations), saltBytes, key);
  }
  const scrypt = /^(\d+)\$(\d+)\$(\d+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)$/.exec(value);
  if (scrypt) {
    return fromScrypt(
      Number(scrypt[1]),
      Number(scrypt[2]),
      Number(scrypt[3]),
      Buffer.from(scrypt[4] as string, 'hex'),
      Buffer.from(scrypt[5] as string, 'hex'),
    );
  }
  if (/^[a-z0-9_]+\$/.test(value) || value.startsWith('!')) return fromDjango(value);
  return reset('unknown hash format');
}
