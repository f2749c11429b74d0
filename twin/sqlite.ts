import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';

let silenced = false;

/**
 * Node 22 still flags `node:sqlite` as experimental and prints a warning on first load. The twin
 * is the product's default path, so a newcomer would see that warning on every run: filter that
 * one message out and pass every other warning on to the listeners that were there before.
 */
function silenceSqliteWarning(): void {
  if (silenced) return;
  silenced = true;
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
    for (const listener of previous) listener(warning);
  });
}

/** The `node:sqlite` module, loaded lazily so its warning can be filtered first. */
export function loadSqlite(): typeof import('node:sqlite') {
  silenceSqliteWarning();
  return process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
}

export type Database = DatabaseSyncType;

/**
 * Opens (or creates) a SQLite database in WAL mode with synchronous writes, so that a crash in
 * the middle of a write loses nothing that was committed and never leaves half a transaction.
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
