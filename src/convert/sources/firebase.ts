/**
 * Firebase Authentication: `firebase auth:export users.json --format=json`. Firebase hashes
 * passwords with its own modified scrypt (a key and salt separator applied after scrypt), which
 * no Cognito algorithm computes: its users import with their profile and reset their password.
 * Users who sign in only through a federated provider (Google, Apple, …) are left out, and
 * disabled ones too.
 */
import { reset } from '../hashes.ts';
import { decompressed } from '../input.ts';
import { jsonArrayItems } from '../json-array.ts';
import { field, isObject, type Source, text } from './source.ts';

const LOCAL_PROVIDERS = new Set(['password', 'phone']);

export const firebase: Source = {
  recordsVerification: () => true,
  async *read({ options }) {
    for await (const user of jsonArrayItems(decompressed(options.input), 'users')) {
      if (!isObject(user)) continue;
      const id = text(user.localId) ?? '';
      if (user.disabled === true) {
        yield { id, leftOut: 'disabled in Firebase' };
        continue;
      }
      const providers = (Array.isArray(user.providerUserInfo) ? user.providerUserInfo : [])
        .map((p) => text(field(p, 'providerId')))
        .filter((p): p is string => p !== undefined);
      const local =
        typeof user.passwordHash === 'string' ||
        typeof user.phoneNumber === 'string' ||
        providers.some((p) => LOCAL_PROVIDERS.has(p));
      if (!local) {
        yield { id, leftOut: `signs in through ${providers[0] ?? 'a federated provider'}` };
        continue;
      }
      yield {
        id,
        username: id,
        attributes: {
          email: text(user.email),
          name: text(user.displayName),
          picture: text(user.photoUrl),
          phone_number: text(user.phoneNumber),
        },
        emailVerified: user.emailVerified === true,
        // Firebase signs phone users in with a code sent to the number: it is verified.
        phoneVerified: typeof user.phoneNumber === 'string',
        password: reset(
          typeof user.passwordHash === 'string'
            ? 'firebase scrypt has no Cognito equivalent'
            : 'no password (phone sign-in)',
        ),
      };
    }
  },
};
