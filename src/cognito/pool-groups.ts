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

/** CreateGroup calls in flight at once: few, since they share a per-account rate with others. */
const CONCURRENCY = 4;

/**
 * Creates the groups named, a few at a time. A group that exists by then is fine: someone made it
 * meanwhile, or an earlier try of the same run did. Any other error (LimitExceededException: the
 * pool holds as many groups as it may) stops it once the calls in flight have finished, and is
 * returned with what was created, for the caller to judge.
 */
export async function createGroups(
  cognito: Cognito,
  userPoolId: string,
  names: readonly string[],
): Promise<CreatedGroups> {
  const done = new Array<boolean>(names.length).fill(false);
  let existed = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < names.length) {
      const index = next++;
      try {
        await cognito.send(
          new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: names[index] }),
        );
        done[index] = true;
      } catch (error) {
        if (isAwsError(error, 'GroupExistsException')) existed++;
        else failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  const created = names.filter((_, index) => done[index]);
  return failure ? { created, existed, failure: failure.error } : { created, existed };
}
