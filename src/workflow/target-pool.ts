import { isUserPoolId } from '../cognito/pool-id.ts';
import type { Rejection } from './types.ts';

/** The prefix the bucket's files to import live under (the EventBridge rule's filter). */
export const INCOMING_PREFIX = 'incoming/';

/** What a key says about its pool. */
export type KeyPool =
  /** `incoming/<userPoolId>/…`, at any depth below the pool's folder. */
  | { kind: 'pool'; userPoolId: string }
  /** `incoming/<name>`: directly under incoming/, for the stage's default pool. */
  | { kind: 'default' }
  /** `incoming/<folder>/…` where the folder is no pool id. */
  | { kind: 'no-pool-folder'; folder: string }
  /** Anywhere but under incoming/. */
  | { kind: 'outside' };

/** Reads the pool from a key's layout: the segment after `incoming/`, when it is a pool id. */
export function poolOfKey(key: string): KeyPool {
  if (!key.startsWith(INCOMING_PREFIX)) return { kind: 'outside' };
  const rest = key.slice(INCOMING_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { kind: 'default' };
  const folder = rest.slice(0, slash);
  return isUserPoolId(folder)
    ? { kind: 'pool', userPoolId: folder }
    : { kind: 'no-pool-folder', folder };
}

const LAYOUT =
  'incoming/<userPoolId>/<name>.csv (folders below the pool folder are fine), or incoming/<name>.csv for the stage default pool';

/**
 * The pool a run imports into: the input's `userPoolId`, else the pool folder of its key, else
 * (only for a file directly under `incoming/`) the stage default. A key under
 * `incoming/<folder>/` whose folder is no pool id, or that names another pool than the input, is
 * refused rather than sent to a pool nobody named.
 */
export function resolvePool(
  input: { userPoolId?: string | undefined; key: string },
  defaultUserPoolId: string | undefined,
): { userPoolId: string } | { rejected: Rejection } {
  const fromKey = poolOfKey(input.key);
  if (input.userPoolId !== undefined) {
    if (fromKey.kind === 'pool' && fromKey.userPoolId !== input.userPoolId)
      return {
        rejected: {
          code: 'pool.mismatch',
          reason: `"userPoolId" names ${input.userPoolId}, but the key is in the folder of ${fromKey.userPoolId}: name one pool, or move the file.`,
        },
      };
    return { userPoolId: input.userPoolId };
  }
  switch (fromKey.kind) {
    case 'pool':
      return { userPoolId: fromKey.userPoolId };
    case 'default':
      return defaultUserPoolId
        ? { userPoolId: defaultUserPoolId }
        : {
            rejected: {
              code: 'pool.unresolved',
              reason:
                'No user pool: the file is directly under incoming/ and the stage has no default pool. Put it under incoming/<userPoolId>/, give "userPoolId", or set the stage default pool.',
            },
          };
    case 'no-pool-folder':
      return {
        rejected: {
          code: 'key.no-pool-folder',
          reason: `The folder "${fromKey.folder}" under incoming/ is not a user pool id, so the key names no pool. Use ${LAYOUT}.`,
        },
      };
    default:
      return {
        rejected: {
          code: 'pool.unresolved',
          reason: `No user pool: give "userPoolId", or put the file under ${LAYOUT}.`,
        },
      };
  }
}
