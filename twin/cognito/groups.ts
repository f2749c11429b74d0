import {
  checkRequest,
  type MemberRule,
  PaginationKey,
  RoleArn,
  Username,
  UserPoolId,
} from './constraints.ts';
import { invalidParameter, resourceNotFound, ServiceError } from './errors.ts';
import type { Knobs, Quotas } from './knobs.ts';
import type { Pool, StoredGroup } from './model.ts';
import type { PoolService } from './pools.ts';
import type { CognitoStore } from './store.ts';
import { findUser, userListEntry } from './users.ts';

/** GroupNameType of the model. */
export const GroupName: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 128,
  pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}]+/u,
};
const Description: MemberRule = { type: 'string', max: 2048 };
const OptionalRoleArn: MemberRule = { ...RoleArn, required: false };
/** PrecedenceType: at least 0; the model's text gives 2^31-1 as the most. */
const Precedence: MemberRule = { type: 'integer', min: 0, max: 2 ** 31 - 1 };
/** QueryLimitType: 0 to 60. */
const Limit: MemberRule = { type: 'integer', min: 0, max: 60 };
/** How many a page holds when the request gives no Limit, or 0 (as ListUsers). */
const DEFAULT_PAGE = 60;

const groupNotFound = () => resourceNotFound('Group not found.');
const userNotFound = () => new ServiceError('UserNotFoundException', 'User does not exist.');
const pageSize = (limit: unknown) =>
  limit === undefined || limit === 0 ? DEFAULT_PAGE : Number(limit);

/** A group as GroupType shows it: the optional members only when set. */
function groupType(poolId: string, group: StoredGroup) {
  return {
    GroupName: group.name,
    UserPoolId: poolId,
    ...(group.description !== undefined ? { Description: group.description } : {}),
    ...(group.roleArn !== undefined ? { RoleArn: group.roleArn } : {}),
    ...(group.precedence !== undefined ? { Precedence: group.precedence } : {}),
    LastModifiedDate: group.modifiedMs / 1000,
    CreationDate: group.createdMs / 1000,
  };
}

/**
 * The group claims of a user's tokens (docs/cognito-behaviour.md, "Groups in tokens"):
 * `cognito:groups`, the names, the best precedence first (a group without one last, then by name);
 * `cognito:roles`, the role ARNs of those groups; `cognito:preferred_role`, the role of the group
 * with the lowest precedence among those with a role, left out when groups tied for it have
 * different roles.
 */
export function groupClaims(groups: StoredGroup[]): {
  groups: string[];
  roles: string[];
  preferredRole?: string;
} {
  const rank = (group: StoredGroup) => group.precedence ?? Number.POSITIVE_INFINITY;
  const ordered = [...groups].sort(
    (a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const withRole = ordered.filter((group) => group.roleArn !== undefined);
  const roles = [...new Set(withRole.map((group) => group.roleArn as string))];
  const best = withRole[0];
  const tied = best ? withRole.filter((group) => rank(group) === rank(best)) : [];
  const preferred = new Set(tied.map((group) => group.roleArn));
  return {
    groups: ordered.map((group) => group.name),
    roles,
    ...(preferred.size === 1 ? { preferredRole: best?.roleArn as string } : {}),
  };
}

/**
 * User pool groups: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup and the
 * memberships (AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser,
 * ListUsersInGroup). Group names are compared with case. Each change is one transaction.
 */
export class GroupService {
  private readonly store: CognitoStore;
  private readonly pools: PoolService;
  private readonly knobs: Knobs;
  private readonly quotas: Quotas;
  private readonly now: () => number;

  constructor(deps: {
    store: CognitoStore;
    pools: PoolService;
    knobs: Knobs;
    quotas: Quotas;
    now: () => number;
  }) {
    this.store = deps.store;
    this.pools = deps.pools;
    this.knobs = deps.knobs;
    this.quotas = deps.quotas;
    this.now = deps.now;
  }

  private requireGroup(pool: Pool, name: string): StoredGroup {
    const group = this.store.getGroup(pool.id, name);
    if (!group) throw groupNotFound();
    return group;
  }

  createGroup(input: Record<string, unknown>) {
    checkRequest(input, {
      GroupName,
      UserPoolId,
      Description,
      RoleArn: OptionalRoleArn,
      Precedence,
    });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const name = String(input.GroupName);
    const now = this.now();
    const group: StoredGroup = {
      name,
      ...(input.Description !== undefined ? { description: String(input.Description) } : {}),
      ...(input.RoleArn !== undefined ? { roleArn: String(input.RoleArn) } : {}),
      ...(input.Precedence !== undefined ? { precedence: Number(input.Precedence) } : {}),
      createdMs: now,
      modifiedMs: now,
    };
    this.store.tx(() => {
      if (this.store.getGroup(pool.id, name))
        throw new ServiceError(
          'GroupExistsException',
          `A group with the name ${name} already exists.`,
        );
      if (this.store.countGroups(pool.id) >= this.quotas.maxGroupsPerPool)
        throw new ServiceError(
          'LimitExceededException',
          `A user pool can have at most ${this.quotas.maxGroupsPerPool} groups.`,
        );
      this.store.putGroup(pool.id, group);
    });
    return { Group: groupType(pool.id, group) };
  }

  getGroup(input: Record<string, unknown>) {
    checkRequest(input, { GroupName, UserPoolId });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    return { Group: groupType(pool.id, this.requireGroup(pool, String(input.GroupName))) };
  }

  listGroups(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Limit, NextToken: PaginationKey });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const [after = ''] = input.NextToken ? decodeToken(String(input.NextToken), [pool.id], 1) : [];
    const page = this.store.listGroups(pool.id, after, pageSize(input.Limit));
    const last = page.groups.at(-1);
    return {
      Groups: page.groups.map((group) => groupType(pool.id, group)),
      ...(page.more && last ? { NextToken: encodeToken([pool.id, last.name]) } : {}),
    };
  }

  /** Changes the members the request gives; the others stay as they were. */
  updateGroup(input: Record<string, unknown>) {
    checkRequest(input, {
      GroupName,
      UserPoolId,
      Description,
      RoleArn: OptionalRoleArn,
      Precedence,
    });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const updated = this.store.tx(() => {
      const group = this.requireGroup(pool, String(input.GroupName));
      const next: StoredGroup = {
        ...group,
        ...(input.Description !== undefined ? { description: String(input.Description) } : {}),
        ...(input.RoleArn !== undefined ? { roleArn: String(input.RoleArn) } : {}),
        ...(input.Precedence !== undefined ? { precedence: Number(input.Precedence) } : {}),
        modifiedMs: this.now(),
      };
      this.store.putGroup(pool.id, next);
      return next;
    });
    return { Group: groupType(pool.id, updated) };
  }

  /** Deletes the group and its memberships (or refuses a group with members, per the knob). */
  deleteGroup(input: Record<string, unknown>) {
    checkRequest(input, { GroupName, UserPoolId });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const name = String(input.GroupName);
    this.store.tx(() => {
      this.requireGroup(pool, name);
      if (this.knobs.deleteGroupWithMembers === 'refused' && this.store.hasMembers(pool.id, name))
        throw invalidParameter('The group has members: remove them before deleting the group.');
      this.store.deleteGroup(pool.id, name);
    });
    return {};
  }

  /** Idempotent: adding a member again changes nothing and answers the same. */
  adminAddUserToGroup(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username, GroupName });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const name = String(input.GroupName);
    this.store.tx(() => {
      this.requireGroup(pool, name);
      const found = findUser(this.store, pool, String(input.Username));
      if (!found) throw userNotFound();
      if (this.store.isMember(pool.id, name, found.key)) return;
      if (this.store.countGroupsOfUser(pool.id, found.key) >= this.quotas.maxGroupsPerUser)
        throw new ServiceError(
          this.knobs.groupsPerUserError,
          `A user can be in at most ${this.quotas.maxGroupsPerUser} groups.`,
        );
      this.store.addMember(pool.id, name, found.key);
    });
    return {};
  }

  /** Removing a user who is not a member answers as if they were. */
  adminRemoveUserFromGroup(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username, GroupName });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const name = String(input.GroupName);
    this.store.tx(() => {
      this.requireGroup(pool, name);
      const found = findUser(this.store, pool, String(input.Username));
      if (!found) throw userNotFound();
      this.store.removeMember(pool.id, name, found.key);
    });
    return {};
  }

  /** A user's groups, in name order. */
  adminListGroupsForUser(input: Record<string, unknown>) {
    checkRequest(input, { Username, UserPoolId, Limit, NextToken: PaginationKey });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const found = findUser(this.store, pool, String(input.Username));
    if (!found) throw userNotFound();
    const [after = ''] = input.NextToken
      ? decodeToken(String(input.NextToken), [pool.id, found.key], 1)
      : [];
    const limit = pageSize(input.Limit);
    const groups = this.store.groupsOfUser(pool.id, found.key, after, limit + 1);
    const page = groups.slice(0, limit);
    const last = page.at(-1);
    return {
      Groups: page.map((group) => groupType(pool.id, group)),
      ...(groups.length > limit && last
        ? { NextToken: encodeToken([pool.id, found.key, last.name]) }
        : {}),
    };
  }

  /** A group's members, in the order of their usernames as stored. */
  listUsersInGroup(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, GroupName, Limit, NextToken: PaginationKey });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const name = String(input.GroupName);
    this.requireGroup(pool, name);
    const [after = ''] = input.NextToken
      ? decodeToken(String(input.NextToken), [pool.id, name], 1)
      : [];
    const limit = pageSize(input.Limit);
    const members = this.store.membersOfGroup(pool.id, name, after, limit + 1);
    const page = members.slice(0, limit);
    const last = page.at(-1);
    return {
      Users: page.map(({ user }) => userListEntry(user)),
      ...(members.length > limit && last
        ? { NextToken: encodeToken([pool.id, name, last.key]) }
        : {}),
    };
  }
}

/** An opaque page token: where the page ended, and what it was a page of. */
function encodeToken(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * Reads a token back: its leading parts must be `scope` (the pool, and the user or group listed),
 * followed by `rest` more.
 *
 * @throws ServiceError InvalidParameterException for a token of another listing, or none of ours
 */
function decodeToken(token: string, scope: string[], rest: number): string[] {
  try {
    const parts = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown;
    if (
      Array.isArray(parts) &&
      parts.length === scope.length + rest &&
      parts.every((part) => typeof part === 'string') &&
      scope.every((part, i) => parts[i] === part)
    )
      return parts.slice(scope.length) as string[];
  } catch {
    // falls through to the error below
  }
  throw invalidParameter('Invalid pagination token.');
}
