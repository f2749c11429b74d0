import { join, relative, sep } from 'node:path';
import { invalidArgument, S3Error } from './errors.ts';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** The longest file name most file systems accept (NAME_MAX), in bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * The name of a temporary file written next to its object, used only when the bucket folder is on
 * another file system than the twin's own temp folder (a symlinked bucket), where a rename from
 * the temp folder is impossible. Listings and the watcher skip such names, and no key may use one.
 */
export const SIDE_TEMP_NAME = /^\.s3twin-[0-9a-f]+\.tmp$/;

const WINDOWS_RESERVED = /[\\:*?"<>|]/;

/** The DNS-compatible bucket names S3 accepts today (no upper case, no underscores). */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name)
  );
}

export function assertBucketName(name: string): void {
  if (!isValidBucketName(name))
    throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, {
      BucketName: name,
    });
}

export interface KeyPath {
  /** The key's path segments, each one a plain file or folder name. */
  segments: string[];
  /** A key ending in `/` (a "folder" object as the S3 console creates them): stored as a folder. */
  folder: boolean;
}

/**
 * Splits an untrusted key into file-system segments, or refuses it. Keys become paths, so `.`,
 * `..`, empty segments (`a//b`, a leading `/`), NUL and over-long names cannot be stored; S3 itself
 * would accept them, and the twin answers InvalidArgument (KeyTooLongError for length) rather than
 * store them under another name.
 */
export function parseKey(key: string): KeyPath {
  if (key.length === 0) throw invalidArgument('The key must not be empty.', 'key', key);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new S3Error('KeyTooLongError', 'Your key is too long', 400, { Key: key });
  if (key.includes('\0'))
    throw invalidArgument('A key stored as a file cannot contain NUL.', 'key', key);
  const folder = key.endsWith('/');
  const segments = (folder ? key.slice(0, -1) : key).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..')
      throw invalidArgument(
        'The local S3 twin stores keys as file paths and cannot store a key with an empty, "." or ".." path segment (a leading "/", "//", "/./", "/../").',
        'key',
        key,
      );
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      throw new S3Error(
        'KeyTooLongError',
        'A path segment of this key is longer than a file name can be (255 bytes).',
        400,
        { Key: key },
      );
    if (SIDE_TEMP_NAME.test(segment))
      throw invalidArgument('This key name is reserved for temporary files.', 'key', key);
    if (process.platform === 'win32' && WINDOWS_RESERVED.test(segment))
      throw invalidArgument(
        'This key contains a character a Windows file name cannot.',
        'key',
        key,
      );
  }
  return { segments, folder };
}

/**
 * The file (or, for a folder key, the folder) that holds `key` inside `bucketDir`. Checked once
 * more after joining, so that no key can ever name a path outside its bucket.
 */
export function keyToPath(bucketDir: string, key: string): { path: string; folder: boolean } {
  const { segments, folder } = parseKey(key);
  const path = join(bucketDir, ...segments);
  const rel = relative(bucketDir, path);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.includes('\0'))
    throw invalidArgument('The key names a path outside its bucket.', 'key', key);
  return { path, folder };
}

/** The key of the file at `relativePath` (relative to its bucket folder). */
export function pathToKey(relativePath: string): string {
  return sep === '/' ? relativePath : relativePath.split(sep).join('/');
}

/** Orders keys as S3 lists them: by their UTF-8 bytes, not by UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
