import { checkRequest, PaginationKey, Username, UserPoolId } from './constraints.ts';
import { invalidParameter, ServiceError } from './errors.ts';
import type { Pool, StoredUser } from './model.ts';
import type { PoolService } from './pools.ts';
import { type CognitoStore, type IndexedAttribute, userName } from './store.ts';

/**
 * The key a username is stored under: folded when the pool ignores case
 * (docs/cognito-behaviour.md, "Usernames, sign-in attributes and duplicates").
 */
export function usernameKey(pool: Pool, username: string): string {
  return pool.caseSensitive ? username : username.toLowerCase();
}

/** The attributes that name a user at sign-in besides the username, in the order they are tried. */
const SIGN_IN_ATTRIBUTES = ['email', 'phone_number', 'preferred_username'] as const;

/** An alias names its user only once verified (a preferred_username needs no verifying). */
export const verifiedFor = (attribute: string, attributes: Record<string, string>) =>
  attribute === 'preferred_username' || attributes[`${attribute}_verified`] === 'true';

export interface FoundUser {
  key: string;
  user: StoredUser;
}

/**
 * Finds the user a request names (the `Username` of the admin operations, the `USERNAME` of a
 * sign-in): by username; else by the email or phone number the pool signs users in with
 * (UsernameAttributes), or a verified alias (AliasAttributes); else by the user's `sub`, as the
 * model documents for AdminGetUser.
 */
export function findUser(store: CognitoStore, pool: Pool, login: string): FoundUser | undefined {
  const key = usernameKey(pool, login);
  const direct = store.getUser(pool.id, key);
  if (direct) return { key, user: direct };
  for (const attribute of SIGN_IN_ATTRIBUTES) {
    const asUsername = pool.usernameAttributes.includes(attribute);
    if (!asUsername && !pool.aliasAttributes.includes(attribute)) continue;
    const hit = store
      .findUsersByAttribute(pool.id, attribute, login, pool.caseSensitive, 50)
      .find(({ user }) => asUsername || verifiedFor(attribute, user.attributes));
    if (hit) return hit;
  }
  return store.findUsersByAttribute(pool.id, 'sub', login, true, 1)[0];
}

/**
 * The sign-in identifiers of a user the store keeps beside it: the values of the pool's
 * UsernameAttributes and AliasAttributes the user has.
 */
export function signInNames(pool: Pool, attributes: Record<string, string>): string[] {
  const names: string[] = [];
  for (const attribute of [...pool.usernameAttributes, ...pool.aliasAttributes]) {
    const value = attributes[attribute];
    if (value) names.push(userName(attribute as IndexedAttribute, value));
  }
  return names;
}

/**
 * Whether an imported row's sign-in identifier already belongs to a user of the pool (rows
 * before it in the file included): the email or phone number of a UsernameAttributes pool, or a
 * verified alias. Cognito keeps one account per sign-in identifier.
 */
export function signInConflict(
  store: CognitoStore,
  pool: Pool,
  attributes: Record<string, string>,
): { kind: 'username-attribute' | 'alias'; attribute: string } | undefined {
  const holders = (attribute: IndexedAttribute, value: string) =>
    store.findUsersByAttribute(pool.id, attribute, value, pool.caseSensitive, 50);
  for (const attribute of pool.usernameAttributes) {
    const value = attributes[attribute];
    if (value && holders(attribute as IndexedAttribute, value).length > 0)
      return { kind: 'username-attribute', attribute };
  }
  for (const attribute of pool.aliasAttributes) {
    const value = attributes[attribute];
    if (!value || !verifiedFor(attribute, attributes)) continue;
    const taken = holders(attribute as IndexedAttribute, value).some(({ user }) =>
      verifiedFor(attribute, user.attributes),
    );
    if (taken) return { kind: 'alias', attribute };
  }
  return undefined;
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

/** The model: `cognito:user_status` is matched without regard to case; the others with. */
const CASE_INSENSITIVE = new Set(['cognito:user_status']);

function parseFilter(filter: string): ((user: StoredUser) => boolean) | undefined {
  if (filter.trim() === '') return undefined;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
  const name = match?.[1] as string;
  const read = match ? FILTERABLE[name] : undefined;
  if (!match || !read) throw invalidParameter('Error while parsing filter.');
  const fold = CASE_INSENSITIVE.has(name)
    ? (text: string) => text.toLowerCase()
    : (text: string) => text;
  const value = fold(match[3] ?? '');
  const exact = match[2] === '=';
  return (user) => {
    const actual = read(user);
    if (actual === undefined) return !exact && value === '';
    return exact ? fold(actual) === value : fold(actual).startsWith(value);
  };
}

function attributeList(user: StoredUser, only?: string[]) {
  return Object.entries(user.attributes)
    .filter(([name]) => !only || only.includes(name))
    .map(([Name, Value]) => ({ Name, Value }));
}

/** A user as the lists show one (UserType): ListUsers, ListUsersInGroup. */
export function userListEntry(user: StoredUser, only?: string[]) {
  return {
    Username: user.username,
    Attributes: attributeList(user, only),
    UserCreateDate: user.createdMs / 1000,
    UserLastModifiedDate: user.modifiedMs / 1000,
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

/** ListUsers and AdminGetUser, for a person checking what an import did; AdminDeleteUser. */
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
    const users: ReturnType<typeof userListEntry>[] = [];
    const lacking = (user: StoredUser) => only?.some((name) => user.attributes[name] === undefined);
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
        // The model: "Amazon Cognito returns an error if not all users in the results have set a
        // value for the attribute you request".
        if (lacking(user))
          throw invalidParameter(
            'A user in the results has no value for an attribute of AttributesToGet.',
          );
        users.push(userListEntry(user, only));
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

  adminGetUser(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const user = findUser(this.store, pool, String(input.Username))?.user;
    if (!user) throw new ServiceError('UserNotFoundException', 'User does not exist.');
    return {
      Username: user.username,
      UserAttributes: attributeList(user),
      UserCreateDate: user.createdMs / 1000,
      UserLastModifiedDate: user.modifiedMs / 1000,
      Enabled: user.enabled,
      UserStatus: user.status,
      // The twin's reading of cognito:mfa_enabled=true: SMS MFA; Cognito leaves an empty list out.
      ...(user.mfaEnabled ? { UserMFASettingList: ['SMS_MFA'] } : {}),
    };
  }

  /** Deletes the user, named as AdminGetUser names one, with its memberships and sign-in names. */
  adminDeleteUser(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    this.store.tx(() => {
      const found = findUser(this.store, pool, String(input.Username));
      if (!found) throw new ServiceError('UserNotFoundException', 'User does not exist.');
      this.store.deleteUser(pool.id, found.key);
    });
    return {};
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
