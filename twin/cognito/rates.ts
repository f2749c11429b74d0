import { tooManyRequests } from './errors.ts';
import type { Knobs } from './knobs.ts';

/**
 * Cognito's request-rate quotas (docs/cognito-behaviour.md, "Request rates"): every user pool
 * operation belongs to a category, and each category has one quota in requests per second for the
 * whole account and Region, summed over all its operations and pools. Some categories also cap
 * each of their operations at 5 requests per second per pool, and a user takes at most 10 writes a
 * second. Over a quota Cognito answers TooManyRequestsException.
 */
export type RateCategory =
  | 'UserAuthentication'
  | 'UserCreation'
  | 'UserAccountRecovery'
  | 'UserRead'
  | 'UserUpdate'
  | 'UserResourceRead'
  | 'UserResourceUpdate'
  | 'UserList'
  | 'UserToken'
  | 'UserPoolRead'
  | 'UserPoolUpdate'
  | 'UserPoolResourceRead'
  | 'UserPoolResourceUpdate'
  | 'UserPoolClientRead'
  | 'UserPoolClientUpdate';

/** The default quota of each category, in requests per second (the Developer Guide's quotas page). */
export const DOCUMENTED_RATES: Readonly<Record<RateCategory, number>> = {
  UserAuthentication: 120,
  UserCreation: 50,
  UserAccountRecovery: 30,
  UserRead: 120,
  UserUpdate: 25,
  UserResourceRead: 50,
  UserResourceUpdate: 25,
  UserList: 30,
  UserToken: 120,
  UserPoolRead: 15,
  UserPoolUpdate: 15,
  UserPoolResourceRead: 20,
  UserPoolResourceUpdate: 15,
  UserPoolClientRead: 15,
  UserPoolClientUpdate: 15,
};

/** The categories whose every operation is also held to this many requests a second per pool. */
const PER_POOL_CATEGORIES: ReadonlySet<RateCategory> = new Set([
  'UserPoolResourceRead',
  'UserPoolResourceUpdate',
  'UserPoolClientRead',
  'UserPoolClientUpdate',
]);
export const PER_POOL_OPERATION_RATE = 5;

/** The category of each Cognito operation the twin answers, as the quotas page lists them. */
export const OPERATION_CATEGORY: Readonly<Record<string, RateCategory>> = {
  CreateUserPool: 'UserPoolUpdate',
  DeleteUserPool: 'UserPoolUpdate',
  DescribeUserPool: 'UserPoolRead',
  ListUserPools: 'UserPoolRead',
  GetCSVHeader: 'UserPoolResourceRead',
  DescribeUserImportJob: 'UserPoolResourceRead',
  ListUserImportJobs: 'UserPoolResourceRead',
  ListTagsForResource: 'UserPoolResourceRead',
  GetGroup: 'UserPoolResourceRead',
  ListGroups: 'UserPoolResourceRead',
  CreateUserImportJob: 'UserPoolResourceUpdate',
  StartUserImportJob: 'UserPoolResourceUpdate',
  StopUserImportJob: 'UserPoolResourceUpdate',
  TagResource: 'UserPoolResourceUpdate',
  UntagResource: 'UserPoolResourceUpdate',
  CreateGroup: 'UserPoolResourceUpdate',
  UpdateGroup: 'UserPoolResourceUpdate',
  DeleteGroup: 'UserPoolResourceUpdate',
  DescribeUserPoolClient: 'UserPoolClientRead',
  ListUserPoolClients: 'UserPoolClientRead',
  CreateUserPoolClient: 'UserPoolClientUpdate',
  UpdateUserPoolClient: 'UserPoolClientUpdate',
  DeleteUserPoolClient: 'UserPoolClientUpdate',
  AdminGetUser: 'UserRead',
  ListUsers: 'UserList',
  ListUsersInGroup: 'UserList',
  AdminListGroupsForUser: 'UserResourceRead',
  AdminAddUserToGroup: 'UserUpdate',
  AdminRemoveUserFromGroup: 'UserUpdate',
  AdminUpdateUserAttributes: 'UserUpdate',
  AdminDeleteUser: 'UserUpdate',
  AdminInitiateAuth: 'UserAuthentication',
  InitiateAuth: 'UserAuthentication',
  // NEW_PASSWORD_REQUIRED answers count as account recovery, the only challenge the twin issues.
  AdminRespondToAuthChallenge: 'UserAccountRecovery',
  RespondToAuthChallenge: 'UserAccountRecovery',
  ForgotPassword: 'UserAccountRecovery',
  ConfirmForgotPassword: 'UserAccountRecovery',
  AdminSetUserPassword: 'UserAccountRecovery',
  AdminResetUserPassword: 'UserAccountRecovery',
};

/** Operations that write one user, for the per-user quota; group changes per the knob. */
const USER_WRITES = new Set(['AdminUpdateUserAttributes', 'AdminDeleteUser']);
const GROUP_WRITES = new Set(['AdminAddUserToGroup', 'AdminRemoveUserFromGroup']);

type RateKnobs = Pick<
  Knobs,
  'requestRateCategories' | 'requestRates' | 'perUserWriteRate' | 'perUserWritesCountGroups'
>;

/**
 * A token bucket: it holds up to one second's worth of requests and refills at the rate, so a
 * steady caller at or below the rate is never refused and a burst above it is, once the second's
 * allowance is spent.
 */
class Bucket {
  readonly rate: number;
  private tokens: number;
  private at: number;

  constructor(rate: number, now: number) {
    this.rate = rate;
    this.tokens = rate;
    this.at = now;
  }

  /** Refills for the time since the last look; answers whether a request may pass. */
  refill(now: number): boolean {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = Math.max(this.at, now);
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }

  /** Full again: no different from a bucket never used, so it need not be kept. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate;
  }
}

/** Buckets are forgotten once full again, looked for from this many kept. */
const SWEEP_AT = 10_000;

/**
 * The twin's request-rate limiter. Which categories it holds to their quota, and at what rate,
 * are knobs (`requestRateCategories`, `requestRates`, `perUserWriteRate`), read at every request.
 * It measures real time, whatever clock the twin runs on: a virtual clock stands still between
 * the Wait states that move it, so every burst of calls would look instantaneous.
 */
export class RequestRates {
  private readonly buckets = new Map<string, Bucket>();
  private sweepAt = SWEEP_AT;
  private readonly knobs: RateKnobs;
  private readonly now: () => number;

  constructor(knobs: RateKnobs, now: () => number = () => performance.now()) {
    this.knobs = knobs;
    this.now = now;
  }

  /** How many allowances the limiter keeps (those spent less than a second ago, about). */
  get tracked(): number {
    return this.buckets.size;
  }

  /** @throws ServiceError TooManyRequestsException when a quota that applies is spent */
  check(operation: string, input: Record<string, unknown>): void {
    const category = OPERATION_CATEGORY[operation];
    const now = this.now();
    const limits: [key: string, rate: number][] = [];
    if (category && this.knobs.requestRateCategories.includes(category)) {
      limits.push([category, this.knobs.requestRates[category] ?? DOCUMENTED_RATES[category]]);
      if (PER_POOL_CATEGORIES.has(category) && typeof input.UserPoolId === 'string')
        limits.push([`${operation} ${input.UserPoolId}`, PER_POOL_OPERATION_RATE]);
    }
    const writesUser =
      USER_WRITES.has(operation) ||
      (this.knobs.perUserWritesCountGroups && GROUP_WRITES.has(operation));
    // The user as the request names it: one user named two ways counts twice.
    if (writesUser && this.knobs.perUserWriteRate > 0)
      limits.push([
        `user ${String(input.UserPoolId)} ${String(input.Username)}`,
        this.knobs.perUserWriteRate,
      ]);
    if (limits.length === 0) return;
    // Every bucket is checked before any is drawn from: a refused request uses no allowance.
    const buckets = limits.map(([key, rate]) => this.bucket(key, rate, now));
    if (!buckets.every((bucket) => bucket.refill(now))) throw tooManyRequests();
    for (const bucket of buckets) bucket.take();
  }

  private bucket(key: string, rate: number, now: number): Bucket {
    let bucket = this.buckets.get(key);
    // A rate changed by a knob starts a new allowance at the new rate.
    if (!bucket || bucket.rate !== rate) {
      if (this.buckets.size >= this.sweepAt) this.sweep(now);
      bucket = new Bucket(rate, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Keeps memory bounded when every user of a large pool is written once (500,000 keys). */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
    // Buckets still in use stay; the next look waits until there are twice as many.
    this.sweepAt = Math.max(SWEEP_AT, this.buckets.size * 2);
  }
}
