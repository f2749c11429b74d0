import { invalidArgument } from './errors.ts';
import { compareKeys } from './keys.ts';

export interface PageInput {
  /** Keys that start with `prefix`, in S3 order. */
  keys: string[];
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  /** Return only what sorts after this key (start-after, marker). */
  after?: string;
  /** Resume after this item (a continuation token's position). */
  resume?: Position;
}

/** The last item a page returned: a key, or a common prefix whose keys were all rolled up. */
export interface Position {
  item: string;
  prefix: boolean;
}

export interface Page {
  keys: string[];
  prefixes: string[];
  truncated: boolean;
  /** Where the next page starts, when truncated. */
  last?: Position;
}

/**
 * One page of a listing, as S3 forms it: keys that contain the delimiter after the prefix are
 * rolled up into a common prefix, keys and common prefixes together count against max-keys, and
 * both come out in one sorted sequence.
 */
export function listPage(input: PageInput): Page {
  const { prefix, delimiter, maxKeys, after, resume } = input;
  const page: Page = { keys: [], prefixes: [], truncated: false };
  if (maxKeys <= 0) return page;
  let lastPrefix: string | undefined;
  for (const key of input.keys) {
    if (after !== undefined && compareKeys(key, after) <= 0) continue;
    if (resume) {
      if (compareKeys(key, resume.item) <= 0) continue;
      if (resume.prefix && key.startsWith(resume.item)) continue;
    }
    let item = key;
    let isPrefix = false;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        item = key.slice(0, at + delimiter.length);
        isPrefix = true;
      }
    }
    if (isPrefix && item === lastPrefix) continue;
    if (page.keys.length + page.prefixes.length >= maxKeys) {
      page.truncated = true;
      break;
    }
    if (isPrefix) {
      page.prefixes.push(item);
      lastPrefix = item;
    } else page.keys.push(item);
    page.last = { item, prefix: isPrefix };
  }
  if (!page.truncated) delete page.last;
  return page;
}

/** An opaque continuation token for a position (the client hands it back unchanged). */
export function encodeToken(position: Position): string {
  return Buffer.from(JSON.stringify([position.item, position.prefix ? 1 : 0])).toString(
    'base64url',
  );
}

export function decodeToken(token: string): Position {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string')
      return { item: parsed[0], prefix: parsed[1] === 1 };
  } catch {
    // Falls through to the error below.
  }
  throw invalidArgument(
    'The continuation token provided is incorrect',
    'continuation-token',
    token,
  );
}

/** `max-keys` (or `max-uploads`, `max-parts`): at most 1000, 1000 when absent. */
export function parseMax(value: string | null, name: string): number {
  if (value === null || value === '') return 1000;
  if (!/^\d+$/.test(value))
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(Number(value), 1000);
}
