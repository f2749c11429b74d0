import {
  AdminAddUserToGroupCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  errorMessage,
  errorName,
  isThrottling,
  isTransientServiceFault,
} from '../../aws/sdk-errors.ts';
import type { Pacer } from './pacer.ts';

/*
 * The calls of one row: its user's attributes updated, then its groups added, each call paced,
 * a throttled call tried again after a growing pause (never a row failure), a service fault
 * tried a few times (then it is the invocation's error), and the refusals that concern the row
 * alone turned into the row's failure, worded with the error's name and what was attempted,
 * never a value.
 */

/**
 * One user takes at most 10 writes a second (docs/cognito-behaviour.md, "Request rates"): a row
 * makes at most this many calls in any second, which leaves room under it. A row's usual two or
 * three calls go at the phase's pace; only a user with many groups waits for its own quota.
 */
const PER_USER_CALLS_PER_SECOND = 8;
const THROTTLE_PAUSE_MS = 500;
const MAX_THROTTLE_PAUSE_MS = 20_000;
/** Tries of a call that meets a service fault (each the SDK's own attempts). */
const FAULT_TRIES = 3;

/** The invocation's time is up: the row was not finished and is done again by the next one. */
export class OutOfTime extends Error {
  constructor() {
    super('The invocation stopped before the end of a row: its time is nearly up.');
    this.name = 'OutOfTime';
  }
}

export interface RowCallDeps {
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  pacer: Pacer;
  sleep: (ms: number) => Promise<void>;
  /** Whether a pause of this long still leaves the invocation its margin. */
  mayWait: (ms: number) => boolean;
  random?: () => number;
}

export interface RowWork {
  userPoolId: string;
  username: string;
  /** Present for a row whose user is updated. */
  attributes?: AttributeType[];
  groups: readonly string[];
}

export interface RowResult {
  updated: boolean;
  memberships: number;
  /** Why the row failed, each failed call's reason; empty when it did not. */
  reasons: string[];
  throttled: number;
  calls: number;
}

type Attempt = 'update' | { group: number; of: number };

/** The row's reason for an error that concerns it alone; undefined for any other error. */
function rowFailure(error: unknown, attempt: Attempt): string | undefined {
  const name = errorName(error);
  const what =
    attempt === 'update'
      ? "updating the user's attributes"
      : `adding the user to group ${attempt.group} of ${attempt.of} of its row`;
  switch (name) {
    case 'UserNotFoundException':
      return `${name}: the user no longer exists (${what})`;
    case 'ResourceNotFoundException':
      // For the update, the pool is what is missing: every row would fail, so it is no row's.
      return attempt === 'update' ? undefined : `${name}: the group does not exist (${what})`;
    case 'LimitExceededException':
      return `${name}: a limit of the user was reached (${what})`;
    case 'InvalidParameterException': {
      // Cognito names the attributes it refused (`user.email: …`), never their values.
      const names = [...errorMessage(error).matchAll(/user\.([\w:.-]+):/g)].map((m) => m[1]);
      const which = names.length > 0 ? `; attributes ${[...new Set(names)].join(' ')}` : '';
      return `${name}: the request was refused (${what}${which})`;
    }
    case 'AliasExistsException':
    case 'UnsupportedUserStateException':
      return `${name}: the request was refused (${what})`;
    default:
      return undefined;
  }
}

/**
 * Makes one row's calls. A row whose user is gone stops at the first call that says so.
 *
 * @throws OutOfTime when a throttling pause would eat into the invocation's margin; the SDK's
 *   error when a service fault outlasts FAULT_TRIES, or for an error that is no row's own.
 */
export async function applyRow(deps: RowCallDeps, work: RowWork): Promise<RowResult> {
  const result: RowResult = { updated: false, memberships: 0, reasons: [], throttled: 0, calls: 0 };
  // The times of the row's calls, the last PER_USER_CALLS_PER_SECOND of them.
  const recent: number[] = [];
  const random = deps.random ?? Math.random;

  /** Answers true when the call succeeded, false when it failed for the row (reason noted). */
  const call = async (attempt: Attempt, send: () => Promise<unknown>): Promise<boolean> => {
    for (let throttles = 0, faults = 0; ; ) {
      const oldest = recent.length < PER_USER_CALLS_PER_SECOND ? undefined : recent.shift();
      recent.push(await deps.pacer.take(oldest === undefined ? undefined : oldest + 1000));
      result.calls++;
      try {
        await send();
        return true;
      } catch (error) {
        const reason = rowFailure(error, attempt);
        if (reason !== undefined) {
          result.reasons.push(reason);
          return false;
        }
        let pause: number;
        if (isThrottling(error)) {
          throttles++;
          result.throttled++;
          const ceiling = Math.min(MAX_THROTTLE_PAUSE_MS, THROTTLE_PAUSE_MS * 2 ** (throttles - 1));
          pause = ceiling / 2 + (random() * ceiling) / 2;
        } else if (isTransientServiceFault(error) && ++faults < FAULT_TRIES) {
          pause = THROTTLE_PAUSE_MS * 2 ** faults;
        } else throw error;
        if (!deps.mayWait(pause)) throw new OutOfTime();
        await deps.sleep(pause);
      }
    }
  };

  const gone = () => result.reasons.some((r) => r.startsWith('UserNotFoundException'));
  if (work.attributes && work.attributes.length > 0) {
    result.updated = await call('update', () =>
      deps.cognito.send(
        new AdminUpdateUserAttributesCommand({
          UserPoolId: work.userPoolId,
          Username: work.username,
          UserAttributes: work.attributes,
        }),
      ),
    );
  }
  for (let i = 0; i < work.groups.length && !gone(); i++) {
    const added = await call({ group: i + 1, of: work.groups.length }, () =>
      deps.cognito.send(
        new AdminAddUserToGroupCommand({
          UserPoolId: work.userPoolId,
          Username: work.username,
          GroupName: work.groups[i],
        }),
      ),
    );
    if (added) result.memberships++;
  }
  return result;
}
