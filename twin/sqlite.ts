import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';

/**
 * The `node:sqlite` module. Node 22 still flags it as experimental and warns on its first load;
 * the twin is the product's default path, so a newcomer would see that warning on every run.
 * The warning is raised synchronously inside the load, so `process.emitWarning` is wrapped for
 * exactly that call, dropping that one warning: no listener is touched, and nothing else runs
 * while the wrapper is in place.
 */
export function loadSqlite(): typeof import('node:sqlite') {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (
    this: NodeJS.Process,
    warning: string | Error,
    ...rest: unknown[]
  ) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string })?.type;
    const message = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && /SQLite/i.test(message)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}

export type Database = DatabaseSyncType;

/**
 * Opens (or creates) a SQLite database in WAL mode with `synchronous = NORMAL`: a transaction is
 * all there or not there after any crash, and one that was committed survives the process dying
 * (the operating system has it). A power loss or an operating-system crash may lose the last
 * commits, which is the trade for not waiting on the disk at every commit: the data folder is a
 * local twin's, not a system of record.
 */
export function openDatabase(path: string): Database {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  return db;
}

const depth = new WeakMap<Database, number>();

/**
 * Runs `work` in one transaction: all of it is committed, or none of it. Nested calls join the
 * transaction already open, so a function that needs atomicity can be called from another.
 */
export function transaction<T>(db: Database, work: () => T): T {
  const level = depth.get(db) ?? 0;
  if (level > 0) {
    depth.set(db, level + 1);
    try {
      return work();
    } finally {
      depth.set(db, level);
    }
  }
  db.exec('BEGIN IMMEDIATE');
  depth.set(db, 1);
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  } finally {
    depth.set(db, 0);
  }
}
