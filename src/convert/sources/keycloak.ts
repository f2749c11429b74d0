/**
 * Keycloak: a realm export (`kc.sh export --realm R --file realm.json`, or the users files of a
 * directory export), one JSON document whose `users` array is streamed. Each user's password
 * credential is stored as Keycloak stores it: `secretData` (`value`, `salt`, base64) and
 * `credentialData` (`algorithm`, `hashIterations`, `additionalParameters`), both JSON strings
 * (Keycloak 11 and earlier put `hashedSaltedValue`, `salt`, `hashIterations` and `algorithm` on
 * the credential itself; both are read).
 *
 * - `pbkdf2-sha256`: a 512-bit derived key by default; its first 256 bits are the 256-bit key,
 *   which is what Cognito's format carries (see hashes.ts).
 * - `argon2`: type, version, memory and parallelism in `additionalParameters`, iterations in
 *   `hashIterations`; Keycloak's defaults (t=5, m=7168) are over Cognito's t ≤ 2.
 * - `bcrypt` (the common extension): the modular crypt string in `value`.
 * - `pbkdf2-sha512`, `pbkdf2` (SHA-1) and others: no Cognito equivalent.
 *
 * Service-account users and users that only sign in through an identity provider are left out;
 * disabled users too (an import cannot disable them).
 */
import { fromArgon2, fromBase64, fromBcrypt, fromPbkdf2Sha256, reset } from '../hashes.ts';
import { decompressed } from '../input.ts';
import { jsonArrayItems } from '../json-array.ts';
import type { ByteSource, PasswordOutcome, SourceRecord } from '../types.ts';
import { field, isObject, type Source, text } from './source.ts';

function parseJson(value: unknown): Record<string, unknown> {
  if (isObject(value)) return value;
  if (typeof value !== 'string') return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** A value of `additionalParameters`: Keycloak writes each as a list of strings. */
function parameter(parameters: unknown, name: string): string | undefined {
  const value = field(parameters, name);
  return text(Array.isArray(value) ? value[0] : value);
}

const ARGON2_VERSIONS: Record<string, number> = { '1.3': 19, '1.0': 16, '19': 19, '16': 16 };

/** Keycloak's argon2 defaults (Argon2PasswordHashProviderFactory). */
const ARGON2_DEFAULTS = { type: 'id', version: '1.3', memory: 7168, iterations: 5, parallelism: 1 };

export function keycloakPassword(credentials: unknown): PasswordOutcome {
  const passwords = (Array.isArray(credentials) ? credentials : [])
    .filter((c) => field(c, 'type') === 'password')
    .sort((a, b) => Number(field(a, 'priority') ?? 0) - Number(field(b, 'priority') ?? 0));
  const credential = passwords[0];
  if (!credential) return reset('no password in the export');
  const secret = parseJson(field(credential, 'secretData'));
  const data = parseJson(field(credential, 'credentialData'));
  const value = text(secret.value) ?? text(field(credential, 'hashedSaltedValue'));
  const saltText = text(secret.salt) ?? text(field(credential, 'salt'));
  const algorithm = text(data.algorithm) ?? text(field(credential, 'algorithm')) ?? 'unknown';
  const iterations = Number(data.hashIterations ?? field(credential, 'hashIterations'));
  const parameters = data.additionalParameters;
  if (!value) return reset('no password in the export');
  switch (algorithm) {
    case 'pbkdf2-sha256': {
      const salt = fromBase64(saltText ?? '');
      const key = fromBase64(value);
      if (!salt || !key) return reset('pbkdf2-sha256 hash malformed');
      return fromPbkdf2Sha256(iterations, salt, key);
    }
    case 'argon2': {
      const salt = fromBase64(saltText ?? '');
      const hash = fromBase64(value);
      if (!salt || !hash) return reset('argon2 hash malformed');
      const version = parameter(parameters, 'version') ?? ARGON2_DEFAULTS.version;
      return fromArgon2({
        variant: parameter(parameters, 'type') ?? ARGON2_DEFAULTS.type,
        version: ARGON2_VERSIONS[version] ?? Number(version),
        m: Number(parameter(parameters, 'memory') ?? ARGON2_DEFAULTS.memory),
        t: Number.isFinite(iterations) && iterations > 0 ? iterations : ARGON2_DEFAULTS.iterations,
        p: Number(parameter(parameters, 'parallelism') ?? ARGON2_DEFAULTS.parallelism),
        salt,
        hash,
      });
    }
    case 'bcrypt':
      return fromBcrypt(value);
    default:
      return reset(
        /^[\w-]{1,40}$/.test(algorithm) ? `${algorithm} not supported` : 'unknown hash format',
      );
  }
}

function attribute(user: Record<string, unknown>, ...names: string[]): string | undefined {
  const attributes = user.attributes;
  for (const name of names) {
    const value = parameter(attributes, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

const flag = (value: string | undefined) => value?.trim().toLowerCase() === 'true';

export const keycloak: Source = {
  recordsVerification: () => true,
  async *read({ options }) {
    const files = [options.input, ...(options.moreInputs ?? [])];
    for (const file of files) yield* usersOf(file, files.length > 1);
  },
};

async function* usersOf(file: ByteSource, several: boolean): AsyncGenerator<SourceRecord> {
  // In a directory export the realm file has no users: only the users files do.
  for await (const item of jsonArrayItems(decompressed(file), 'users', { optional: several })) {
    if (!isObject(item)) continue;
    const username = text(item.username) ?? '';
    const id = text(item.id) ?? username;
    if (item.serviceAccountClientId !== undefined) {
      yield { id, leftOut: 'service account' };
      continue;
    }
    if (item.enabled === false) {
      yield { id, leftOut: 'disabled in Keycloak' };
      continue;
    }
    const credentials = Array.isArray(item.credentials) ? item.credentials : [];
    const brokered = Array.isArray(item.federatedIdentities) ? item.federatedIdentities : [];
    const hasPassword = credentials.some((c) => field(c, 'type') === 'password');
    if (brokered.length > 0 && !hasPassword) {
      const provider = text(field(brokered[0], 'identityProvider')) ?? 'unknown';
      yield { id, leftOut: `signs in through an identity provider (${provider})` };
      continue;
    }
    const password =
      !hasPassword && typeof item.federationLink === 'string'
        ? reset('password kept in user federation (LDAP, Kerberos)')
        : keycloakPassword(credentials);
    yield {
      id,
      username,
      attributes: {
        email: text(item.email),
        given_name: text(item.firstName),
        family_name: text(item.lastName),
        phone_number: attribute(item, 'phone_number', 'phoneNumber', 'phone', 'mobile'),
        locale: attribute(item, 'locale'),
      },
      emailVerified: item.emailVerified === true,
      phoneVerified: flag(attribute(item, 'phone_number_verified', 'phoneNumberVerified')),
      password,
    };
  }
}
