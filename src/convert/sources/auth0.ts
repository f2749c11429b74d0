/**
 * Auth0: the bulk user export (a user-export job, format `json`: NDJSON, usually gzipped) and,
 * optionally, the password-hash export Auth0 support provides (NDJSON of
 * `{"_id":{"$oid":…},"passwordHash":"$2b$10$…",…}`), joined on the user id: a database user's
 * `user_id` is `auth0|<$oid>`. Users of other connections (social, enterprise, passwordless)
 * have no password at Auth0 and are not local users: they are left out.
 */
import { fromBcrypt, reset } from '../hashes.ts';
import { ExportFormatError, ndjsonLines } from '../input.ts';
import { type JoinStats, type JoinUser, joinOnId, partitionsFor } from '../join.ts';
import type { PasswordOutcome, SourceRecord } from '../types.ts';
import { field, isObject, type Source, type SourceContext, text } from './source.ts';

const DATABASE_PREFIX = 'auth0|';

async function* users(
  context: SourceContext,
): AsyncGenerator<JoinUser<Record<string, unknown> | { leftOut: string; id: string }>> {
  for await (const entry of ndjsonLines(context.options.input)) {
    if ('error' in entry) {
      if (entry.line === 1)
        throw new ExportFormatError(
          'The Auth0 export is not NDJSON: export the users with format "json".',
        );
      yield { id: undefined, record: { id: `line ${entry.line}`, leftOut: 'unreadable record' } };
      continue;
    }
    const user = entry.value;
    const userId = text(field(user, 'user_id'));
    if (!isObject(user) || !userId) {
      yield { id: undefined, record: { id: `line ${entry.line}`, leftOut: 'no user_id' } };
      continue;
    }
    if (!userId.startsWith(DATABASE_PREFIX)) {
      const connection = userId.slice(0, Math.max(0, userId.indexOf('|'))) || 'unknown';
      yield {
        id: undefined,
        record: { id: userId, leftOut: `not a database user (${connection})` },
      };
      continue;
    }
    yield { id: userId.slice(DATABASE_PREFIX.length), record: user, raw: entry.text };
  }
}

async function* hashes(context: SourceContext): AsyncGenerator<{ id: string; hash: string }> {
  const passwords = context.options.passwords;
  if (!passwords) return;
  for await (const entry of ndjsonLines(passwords)) {
    if ('error' in entry) {
      if (entry.line === 1) throw new ExportFormatError('The Auth0 password export is not NDJSON.');
      continue;
    }
    const oid = text(field(field(entry.value, '_id'), '$oid')) ?? text(field(entry.value, '_id'));
    const hash = text(field(entry.value, 'passwordHash'));
    if (oid && hash) yield { id: oid, hash };
  }
}

function passwordOf(hash: string | undefined, havePasswords: boolean): PasswordOutcome {
  if (hash === undefined)
    return reset(havePasswords ? 'no hash in the password export' : 'no password export given');
  return fromBcrypt(hash);
}

const str = (user: Record<string, unknown>, name: string) => text(user[name]);

export const auth0: Source = {
  recordsVerification: () => true,
  async *read(context) {
    const stats: JoinStats = { unmatched: 0, spilled: false };
    const havePasswords = context.options.passwords !== undefined;
    const joined = joinOnId(users(context), hashes(context), stats, {
      partitions: partitionsFor(context.options.passwordsBytes),
      ...(context.options.tempDir ? { tempDir: context.options.tempDir } : {}),
    });
    for await (const { record, hash } of joined) {
      if ('leftOut' in record && typeof record.leftOut === 'string') {
        yield record as SourceRecord;
        continue;
      }
      const user = record as Record<string, unknown>;
      const userId = str(user, 'user_id') as string;
      if (user.blocked === true) {
        yield { id: userId, leftOut: 'blocked in Auth0' };
        continue;
      }
      yield {
        id: userId,
        username: userId,
        attributes: {
          email: str(user, 'email'),
          name: str(user, 'name'),
          given_name: str(user, 'given_name'),
          family_name: str(user, 'family_name'),
          nickname: str(user, 'nickname'),
          preferred_username: str(user, 'username'),
          picture: str(user, 'picture'),
          phone_number: str(user, 'phone_number'),
          updated_at: str(user, 'updated_at'),
        },
        emailVerified: user.email_verified === true,
        phoneVerified: user.phone_verified === true,
        password: passwordOf(hash, havePasswords),
      };
    }
    if (havePasswords) context.report.report.unmatchedHashes = stats.unmatched;
  },
};
