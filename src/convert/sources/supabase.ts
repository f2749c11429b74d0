/**
 * Supabase: `auth.users` exported as CSV (`\copy (select * from auth.users) to 'users.csv' with
 * csv header`). `encrypted_password` is bcrypt; `email_confirmed_at` and `phone_confirmed_at`
 * say what is verified; `phone` is stored without its `+`; `raw_user_meta_data` is the profile
 * (JSON). Users who sign in only through OAuth or SSO, anonymous users and deleted or banned
 * users are left out.
 */
import { fromBcrypt, reset } from '../hashes.ts';
import { csvRows, ExportFormatError } from '../input.ts';
import { isObject, type Source, text } from './source.ts';

const LOCAL_PROVIDERS = new Set(['email', 'phone']);

function json(value: string | undefined): Record<string, unknown> {
  if (!value) return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

const set = (value: string | undefined) => value !== undefined && value.trim() !== '';
const yes = (value: string | undefined) => value === 't' || value === 'true';

/** PostgreSQL timestamps (`2025-01-02 03:04:05.123456+00`): whether one is in the future. */
function future(value: string | undefined, now: number): boolean {
  if (!set(value)) return false;
  const iso = (value as string)
    .trim()
    .replace(' ', 'T')
    .replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? true : ms > now;
}

export const supabase: Source = {
  recordsVerification: () => true,
  async *read({ options }) {
    const now = Date.now();
    let checked = false;
    for await (const row of csvRows(options.input)) {
      if (!checked) {
        checked = true;
        for (const column of ['id', 'email', 'encrypted_password'])
          if (!(column in row))
            throw new ExportFormatError(
              `The Supabase export has no ${column} column: export auth.users with "csv header".`,
            );
      }
      const id = row.id ?? '';
      const app = json(row.raw_app_meta_data);
      const providers = Array.isArray(app.providers)
        ? app.providers.filter((p): p is string => typeof p === 'string')
        : typeof app.provider === 'string'
          ? [app.provider]
          : [];
      if (yes(row.is_anonymous)) {
        yield { id, leftOut: 'anonymous user' };
        continue;
      }
      if (set(row.deleted_at)) {
        yield { id, leftOut: 'deleted in Supabase' };
        continue;
      }
      if (future(row.banned_until, now)) {
        yield { id, leftOut: 'banned in Supabase' };
        continue;
      }
      if (yes(row.is_sso_user)) {
        yield { id, leftOut: 'signs in through SSO' };
        continue;
      }
      if (providers.length > 0 && !providers.some((p) => LOCAL_PROVIDERS.has(p))) {
        yield { id, leftOut: `signs in through OAuth (${providers[0]})` };
        continue;
      }
      const profile = json(row.raw_user_meta_data);
      const phone = row.phone?.trim();
      const hash = row.encrypted_password?.trim() ?? '';
      yield {
        id,
        username: id,
        attributes: {
          email: row.email,
          phone_number: phone ? (phone.startsWith('+') ? phone : `+${phone}`) : undefined,
          name: text(profile.full_name) ?? text(profile.name),
          given_name: text(profile.given_name) ?? text(profile.first_name),
          family_name: text(profile.family_name) ?? text(profile.last_name),
          picture: text(profile.avatar_url) ?? text(profile.picture),
          updated_at: row.updated_at,
        },
        emailVerified: set(row.email_confirmed_at),
        phoneVerified: set(row.phone_confirmed_at),
        password: hash === '' ? reset('no password (passwordless sign-in)') : fromBcrypt(hash),
      };
    }
  },
};
