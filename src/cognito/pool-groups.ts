import {
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  ListGroupsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { isAwsError } from '../aws/sdk-errors.ts';

type Cognito = Pick<CognitoIdentityProviderClient, 'send'>;

/** ListGroups' largest page. */
const PAGE = 60;

/** The names of every group of the pool, page after page. */
export async function listGroupNames(cognito: Cognito, userPoolId: string): Promise<Set<string>> {
  const names = new Set<string>();
  let token: string | undefined;
  do {
    const page = await cognito.send(
      new ListGroupsCommand({
        UserPoolId: userPoolId,
        Limit: PAGE,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    for (const group of page.Groups ?? []) if (group.GroupName) names.add(group.GroupName);
    token = page.NextToken;
  } while (token);
  return names;
}

/** What {@link createGroups} did. */
export interface CreatedGroups {
  /** The groups this call created, in the order given. */
  created: string[];
  /** Groups that existed by the time their CreateGroup ran (made meanwhile by someone else). */
  existed: number;
  /** The first other error CreateGroup answered; the groups after it were not tried. */
  failure?: unknown;
}

/** How {@link createGroups} paces its calls. */
export interface Pace {
  /**
   * CreateGroup calls a second (4): under Cognito's quota of 5 a second per operation and pool
   * (docs/cognito-behaviour.md, "Limits and quotas"), so that its retries are seldom needed.
   */
  perSecond?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates the groups named, one after the other at a steady pace. A group that exists by then is
 * fine: someone made it meanwhile, or an earlier try of the same run did. Any other error
 * (LimitExceededException: the pool holds as many groups as it may) stops it, and is returned
 * with what was created, for the caller to judge.
 */
export async function createGroups(
  cognito: Cognito,
  userPoolId: string,
  names: readonly string[],
  pace: Pace = {},
): Promise<CreatedGroups> {
  const interval = 1000 / (pace.perSecond ?? 4);
  const now = pace.now ?? Date.now;
  const sleep = pace.sleep ?? realSleep;
  const created: string[] = [];
  let existed = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const name of names) {
    const wait = last + interval - now();
    if (wait > 0) await sleep(wait);
    last = now();
    try {
      await cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: name }));
      created.push(name);
    } catch (error) {
      if (isAwsError(error, 'GroupExistsException')) existed++;
      else return { created, existed, failure: error };
    }
  }
  return { created, existed };
}
