import {
  type CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { startCognitoTwin } from '../../twin/index.ts';
import { createClients } from '../aws/clients.ts';
import {
  ALLOWED_TAG_KEY,
  formatAllowedPools,
  parseAllowedPools,
} from '../cognito/allowed-pools.ts';
import { isUserPoolId } from '../cognito/pool-id.ts';
import type { EnvConfig } from '../config.ts';
import { LOCAL_CREDENTIALS } from '../local/twin.ts';
import { UsageError } from './errors.ts';

/** The pool the local twin uses when a command names none. */
export const LOCAL_DEFAULT_POOL = 'cognito-import-default';

export interface CognitoTarget {
  cognito: CognitoIdentityProviderClient;
  /** Where the pool lives, for messages. */
  where: string;
  poolId(given: string | undefined): Promise<string>;
  close(): Promise<void>;
}

export { LOCAL_CREDENTIALS };

/**
 * Creates a pool as the local twin's default: email as the auto-verified attribute, as most
 * migrations have, and tagged `cognito-import:allowed=true`, so that the pipeline (which, as on
 * AWS, imports only into tagged pools unless told otherwise) may import into it.
 */
export async function createLocalPool(
  cognito: CognitoIdentityProviderClient,
  name: string,
): Promise<string> {
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: name,
      AutoVerifiedAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      UserPoolTags: { [ALLOWED_TAG_KEY]: 'true' },
    }),
  );
  return UserPool?.Id as string;
}

async function findPool(
  cognito: CognitoIdentityProviderClient,
  name: string,
): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: token }));
    const found = page.UserPools?.find((pool) => pool.Name === name);
    if (found?.Id) return found.Id;
    token = page.NextToken;
  } while (token);
  return undefined;
}

/**
 * Where a command finds Cognito: the endpoints the environment names (AWS, or a twin started by
 * `serve`) when `aws` is set or the environment names one, else the embedded twin on the data folder.
 */
export async function cognitoTarget(config: EnvConfig, aws: boolean): Promise<CognitoTarget> {
  if (aws || config.endpointsFromEnv) {
    const { cognito } = createClients();
    return {
      cognito,
      where: config.endpointsFromEnv
        ? 'the endpoint in AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER'
        : 'AWS',
      poolId: async (given) => {
        const id = given ?? config.defaultUserPoolId;
        if (!id)
          throw new UsageError('Name the user pool with --pool (or set DEFAULT_USER_POOL_ID).');
        return id;
      },
      close: async () => cognito.destroy(),
    };
  }
  const twin = await startCognitoTwin({ dataDir: config.dataDir });
  const { cognito } = createClients({
    endpoints: { cognito: twin.endpoint },
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    cognito,
    where: `the local twin (${config.dataDir})`,
    poolId: async (given) =>
      given ??
      (await findPool(cognito, LOCAL_DEFAULT_POOL)) ??
      (await createLocalPool(cognito, LOCAL_DEFAULT_POOL)),
    close: async () => {
      cognito.destroy();
      await twin.close();
    },
  };
}

/** Checks an allowed-pools setting (`--allowed-pools`, ALLOWED_USER_POOLS) before the twin starts. */
export function checkAllowedPools(value: string | undefined): string {
  try {
    return formatAllowedPools(parseAllowedPools(value));
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(
        'ALLOWED_USER_POOLS',
        '--allowed-pools (or ALLOWED_USER_POOLS)',
      ),
    );
  }
}

/** Checks a pool id's shape before any call, so a typo gets a usage error (exit 2), not a stack trace. */
export function checkPoolId(value: string | undefined): string | undefined {
  if (value !== undefined && !isUserPoolId(value))
    throw new UsageError(`"${value}" is not a user pool id: it looks like us-east-1_AbC123.`);
  return value;
}
