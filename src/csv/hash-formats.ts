import type { PasswordHashingAlgorithm } from './rules.ts';

/** The outcome of checking one `password_hash` value (docs/cognito-behaviour.md, "Password hashes"). */
export type HashCheck =
  | { ok: true }
  | {
      ok: false;
      code: 'hash.format' | 'hash.params' | 'hash.algorithm-mismatch';
      /** A safe detail for the message: the algorithm or the limit broken, never the hash. */
      detail: string;
    };

const OK: HashCheck = { ok: true };

const BCRYPT = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^(\d+)\$(\d+)\$(\d+)\$([0-9a-fA-F]+)\$([0-9a-fA-F]+)$/;
const ARGON2ID =
  /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const PBKDF2 = /^\$pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/.=_-]+)\$([A-Za-z0-9+/.=_-]+)$/;

/**
 * The algorithm a `password_hash` value is written in, by its form alone (docs/cognito-behaviour.md,
 * "Password hashes"): `$2…$` is BCRYPT, `$argon2…$` ARGON2ID, `$pbkdf2…$` PBKDF2_SHA256,
 * `N$r$p$…` SCRYPT. Only the family is recognised here; {@link checkPasswordHash} then says whether
 * the value is well formed and within the limits (an `$argon2i$` hash is recognised as ARGON2ID,
 * and then fails its format check).
 *
 * @param value - the logical cell value (commas unescaped)
 * @returns the algorithm, or undefined for a value in none of Cognito's formats
 */
export function detectPasswordHash(value: string): PasswordHashingAlgorithm | undefined {
  if (/^\$2[abxy]?\$/.test(value)) return 'BCRYPT';
  if (value.startsWith('$argon2')) return 'ARGON2ID';
  if (value.startsWith('$pbkdf2')) return 'PBKDF2_SHA256';
  if (/^\d+\$\d+\$\d+\$/.test(value)) return 'SCRYPT';
  return undefined;
}

function bad(algorithm: PasswordHashingAlgorithm, value: string): HashCheck {
  const other = detectPasswordHash(value);
  if (other && other !== algorithm) {
    return { ok: false, code: 'hash.algorithm-mismatch', detail: other };
  }
  return { ok: false, code: 'hash.format', detail: algorithm };
}

/**
 * Checks a non-empty `password_hash` value against the job's algorithm: the format, then the
 * parameter limits Cognito enforces (bcrypt cost ≤ 12; scrypt N ≤ 65536, r ≤ 8, p ≤ 1; argon2id
 * m ≤ 19456, t ≤ 2, p ≤ 1; PBKDF2 iterations ≤ 600000).
 *
 * @param algorithm - the import job's `PasswordHashingAlgorithm`
 * @param value - the logical cell value (commas unescaped)
 */
export function checkPasswordHash(algorithm: PasswordHashingAlgorithm, value: string): HashCheck {
  switch (algorithm) {
    case 'BCRYPT': {
      const m = BCRYPT.exec(value);
      if (!m) return bad(algorithm, value);
      const cost = Number(m[1]);
      if (cost < 4) return { ok: false, code: 'hash.format', detail: algorithm };
      if (cost > 12) return { ok: false, code: 'hash.params', detail: 'bcrypt cost at most 12' };
      return OK;
    }
    case 'SCRYPT': {
      const m = SCRYPT.exec(value);
      if (!m) return bad(algorithm, value);
      const n = Number(m[1]);
      const r = Number(m[2]);
      const p = Number(m[3]);
      // scrypt's N is a power of two above 1; anything else is not a scrypt hash at all.
      if (n < 2 || (n & (n - 1)) !== 0 || r < 1 || p < 1) {
        return { ok: false, code: 'hash.format', detail: algorithm };
      }
      if (n > 65536 || r > 8 || p > 1) {
        return { ok: false, code: 'hash.params', detail: 'scrypt N ≤ 65536, r ≤ 8, p ≤ 1' };
      }
      return OK;
    }
    case 'ARGON2ID': {
      const m = ARGON2ID.exec(value);
      if (!m) return bad(algorithm, value);
      const mem = Number(m[2]);
      const t = Number(m[3]);
      const p = Number(m[4]);
      if (mem < 1 || t < 1 || p < 1) return { ok: false, code: 'hash.format', detail: algorithm };
      if (mem > 19456 || t > 2 || p > 1) {
        return { ok: false, code: 'hash.params', detail: 'argon2id m ≤ 19456, t ≤ 2, p ≤ 1' };
      }
      return OK;
    }
    case 'PBKDF2_SHA256': {
      const m = PBKDF2.exec(value);
      if (!m) return bad(algorithm, value);
      const iterations = Number(m[1]);
      if (iterations < 1) return { ok: false, code: 'hash.format', detail: algorithm };
      if (iterations > 600000) {
        return { ok: false, code: 'hash.params', detail: 'PBKDF2 iterations at most 600000' };
      }
      return OK;
    }
  }
}
