import { checkRequest, PaginationKey, Username, UserPoolId } from './constraints.ts';
import { invalidParameter, ServiceError } from './errors.ts';
import type { Pool, StoredUser } from './model.ts';
import type { PoolService } from './pools.ts';
import type { CognitoStore } from './store.ts';

/** The key a username is stored under: folded when the pool ignores case (spec §1.5). */
export function usernameKey(pool: Pool, username: string): string {
  return pool.caseSensitive ? username : username.toLowerCase();
}

const FILTERABLE: Record<string, (user: StoredUser) => string | undefined> = {
  username: (u) => u.username,
  email: (u) => u.attributes.email,
  phone_number: (u) => u.attributes.phone_number,
  name: (u) => u.attributes.name,
  given_name: (u) => u.attributes.given_name,
  family_name: (u) => u.attributes.family_name,
  preferred_username: (u) => u.attributes.preferred_username,
  'cognito:user_status': (u) => u.status,
  status: (u) => (u.enabled ? 'Enabled' : 'Disabled'),
  sub: (u) => u.attributes.sub,
};

function parseFilter(filter: string): ((user: StoredUser) => boolean) | undefined {
  if (filter.trim() === '') return undefined;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
  const read = match ? FILTERABLE[match[1] as string] : undefined;
  if (!match || !read) throw invalidParameter('Error while parsing filter.');
  const [, , operator, value = ''] = match;
  return operator === '='
    ? (user) => read(user) === value
    : (user) => (read(user) ?? '').startsWith(value);
}

function attributeList(user: StoredUser, only?: string[]) {
  return Object.entries(user.attributes)
    .filter(([name]) => !only || only.includes(name))
    .map(([Name, Value]) => ({ Name, Value }));
}

/** ListUsers and AdminGetUser, for a person checking what an import did. */
export class UserService {
  private readonly store: CognitoStore;
  private readonly pools: PoolService;

  constructor(store: CognitoStore, pools: PoolService) {
    this.store = store;
    this.pools = pools;
  }

  listUsers(input: Record<string, unknown>) {
    checkRequest(input, {
      UserPoolId,
      AttributesToGet: { type: 'list', items: { type: 'string', min: 1, max: 32 } },
      Limit: { type: 'integer', min: 0, max: 60 },
      PaginationToken: PaginationKey,
      Filter: { type: 'string', max: 256 },
    });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const limit = input.Limit === undefined || input.Limit === 0 ? 60 : Number(input.Limit);
    const only = input.AttributesToGet as string[] | undefined;
    const matches = parseFilter(String(input.Filter ?? ''));
    let after = input.PaginationToken
      ? decodeUserToken(String(input.PaginationToken), pool.id)
      : '';
    const users: ReturnType<typeof this.listEntry>[] = [];
    let lastKey = after;
    let exhausted = false;
    while (users.length < limit) {
      const batch = this.store.scanUsers(pool.id, after, 500);
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      for (const { key, user } of batch) {
        after = key;
        if (matches && !matches(user)) continue;
        users.push(this.listEntry(user, only));
        lastKey = key;
        if (users.length === limit) break;
      }
    }
    const more = !exhausted && this.hasMore(pool.id, lastKey, matches);
    return {
      Users: users,
      ...(more ? { PaginationToken: encodeUserToken(pool.id, lastKey) } : {}),
    };
  }

  private hasMore(
    poolId: string,
    afterKey: string,
    matches?: (user: StoredUser) => boolean,
  ): boolean {
    let after = afterKey;
    for (;;) {
      const batch = this.store.scanUsers(poolId, after, 500);
      if (batch.length === 0) return false;
      if (!matches || batch.some(({ user }) => matches(user))) return true;
      after = batch.at(-1)?.key ?? after;
    }
  }

  private listEntry(user: StoredUser, only?: string[]) {
    return {
      Username: user.username,
      Attributes: attributeList(user, only),
      UserCreateDate: user.createdMs / 1000,
      UserLastModifiedDate: user.modifiedMs / 1000,
      Enabled: user.enabled,
      UserStatus: user.status,
    };
  }

  adminGetUser(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const user = this.store.getUser(pool.id, usernameKey(pool, String(input.Username)));
    if (!user) throw new ServiceError('UserNotFoundException', 'User does not exist.');
    return {
      Username: user.username,
      UserAttributes: attributeList(user),
      UserCreateDate: user.createdMs / 1000,
      UserLastModifiedDate: user.modifiedMs / 1000,
      Enabled: user.enabled,
      UserStatus: user.status,
      ...(user.mfaEnabled !== undefined
        ? { UserMFASettingList: user.mfaEnabled ? ['SMS_MFA'] : [] }
        : {}),
    };
  }
}

function encodeUserToken(poolId: string, key: string): string {
  return Buffer.from(JSON.stringify([poolId, key])).toString('base64url');
}

function decodeUserToken(token: string, poolId: string): string {
  try {
    const [pool, key] = JSON.parse(Buffer.from(token, 'base64url').toString()) as [string, string];
    if (pool === poolId && typeof key === 'string') return key;
  } catch {
    // falls through to the error below
  }
  throw invalidParameter('Invalid pagination token.');
}
