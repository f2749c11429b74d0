import { isUserPoolId } from './pool-id.ts';

/**
 * The tag a pool's owner sets to open the pool to this pipeline. IAM checks the same tag
 * (`aws:ResourceTag/cognito-import:allowed`) on every Cognito grant of the deployed stack.
 */
export const ALLOWED_TAG_KEY = 'cognito-import:allowed';

/**
 * Which user pools the pipeline may import into (ALLOWED_USER_POOLS, the `allowedUserPools` deploy
 * parameter):
 * - `tagged` (the default): pools tagged `cognito-import:allowed` = `true`;
 * - a list of pool ids: exactly those;
 * - `any`: every pool of the account and region, except one tagged `cognito-import:allowed` =
 *   `false`. Dangerous: whoever may write under `incoming/` may then create users in every pool.
 */
export type AllowedPools =
  | { mode: 'tagged' }
  | { mode: 'any' }
  | { mode: 'list'; poolIds: readonly string[] };

/**
 * Reads the setting. Empty means the default, `tagged`; list items may have spaces around them.
 *
 * @throws Error naming the bad item, for a setting that is none of the three forms.
 */
export function parseAllowedPools(text: string | undefined): AllowedPools {
  const value = (text ?? '').trim();
  if (value === '' || value === 'tagged') return { mode: 'tagged' };
  if (value === 'any') return { mode: 'any' };
  const poolIds = value.split(',').map((item) => item.trim());
  const bad = poolIds.find((id) => !isUserPoolId(id));
  if (bad !== undefined)
    throw new Error(
      `ALLOWED_USER_POOLS must be "tagged", "any" or a comma-separated list of user pool ids; "${bad}" is none of these.`,
    );
  return { mode: 'list', poolIds: [...new Set(poolIds)] };
}

/** The setting as it is written: `tagged`, `any`, or the list. */
export function formatAllowedPools(allowed: AllowedPools): string {
  return allowed.mode === 'list' ? allowed.poolIds.join(',') : allowed.mode;
}

export type PoolAccess = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether the setting opens a pool to the pipeline, from the pool's id and its tags (the tags
 * matter only for `tagged` and `any`). The same decision IAM takes on AWS with the stack's
 * conditions; the functions take it too, so that a refused pool ends the run with a reason,
 * and so that the local twin, which evaluates no IAM, refuses the same pools.
 */
export function poolAccess(
  allowed: AllowedPools,
  poolId: string,
  tags: Readonly<Record<string, string>> | undefined,
): PoolAccess {
  const tag = tags?.[ALLOWED_TAG_KEY];
  if (allowed.mode === 'list')
    return allowed.poolIds.includes(poolId)
      ? { allowed: true }
      : {
          allowed: false,
          reason: `The user pool ${poolId} is not one of the pools this pipeline may import into (${allowed.poolIds.join(', ')}): add it to the allowedUserPools setting (ALLOWED_USER_POOLS) to open it.`,
        };
  if (allowed.mode === 'any')
    return tag === 'false'
      ? {
          allowed: false,
          reason: `The user pool ${poolId} is tagged ${ALLOWED_TAG_KEY}=false: its owner closed it to this pipeline.`,
        }
      : { allowed: true };
  return tag === 'true'
    ? { allowed: true }
    : {
        allowed: false,
        reason: `The user pool ${poolId} is not open to this pipeline: tag it ${ALLOWED_TAG_KEY}=true to allow imports into it.`,
      };
}
