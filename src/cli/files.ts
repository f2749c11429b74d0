import { statSync } from 'node:fs';
import { UsageError } from './errors.ts';

/** Checks that a path names a readable file; answers its size. */
export function requireFile(
  path: string | undefined,
  what = 'CSV file',
): { path: string; size: number } {
  if (!path) throw new UsageError(`Name the ${what} to use.`);
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new UsageError(`${path}: no such file.`);
  }
  if (stats.isDirectory()) throw new UsageError(`${path} is a directory: name a ${what}.`);
  return { path, size: stats.size };
}
