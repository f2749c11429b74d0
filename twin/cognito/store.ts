import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, openDatabase, transaction } from '../sqlite.ts';
import type { MailMessage, PoolClient, SignInSession, SigningKey } from './auth/model.ts';
import type { ImportJob, Pool, StoredGroup, StoredUser } from './model.ts';

/** The attributes a user can be looked up by besides the username. */
export type IndexedAttribute = 'email' | 'phone_number' | 'preferred_username' | 'sub';

/** A name in the user_names table: `<attribute>:<value in lower case>`. */
export const userName = (attribute: IndexedAttribute, value: string) =>
  `${attribute}:${value.toLowerCase()}`;

/**
 * A stored pool, upgraded from older data folders: pools stored before the twin knew tags have no
 * `tags`, and any UserPoolTags their creation request carried were kept, unread, in `echo`.
 */
function readPool(doc: string): Pool {
  const pool = JSON.parse(doc) as Pool;
  if (pool.tags === undefined) {
    const { UserPoolTags, ...echo } = pool.echo ?? {};
    const kept =
      typeof UserPoolTags === 'object' && UserPoolTags !== null && !Array.isArray(UserPoolTags)
        ? Object.fromEntries(
            Object.entries(UserPoolTags).filter(([, value]) => typeof value === 'string'),
          )
        : {};
    pool.tags = kept as Record<string, string>;
    pool.echo = echo;
  }
  return pool;
}

/**
 * The twin's durable state: pools, users, groups, jobs and import logs in one SQLite file under the data
 * folder. Every change is one transaction, so a crash mid-write loses nothing committed and
 * leaves nothing half done, and a restarted twin finds everything as it was.
 */
export class CognitoStore {
  readonly db: Database;
  readonly uploadsDir: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.uploadsDir = join(dir, 'uploads');
    mkdirSync(this.uploadsDir, { recursive: true });
    this.db = openDatabase(join(dir, 'cognito.sqlite'));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS pools (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS users (
        pool_id TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (pool_id, key));
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS jobs_by_pool ON jobs (pool_id, seq);
      CREATE TABLE IF NOT EXISTS log_streams (
        grp TEXT NOT NULL, stream TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (grp, stream));
      CREATE TABLE IF NOT EXISTS log_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, grp TEXT NOT NULL, stream TEXT NOT NULL,
        ts INTEGER NOT NULL, ingested INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS log_events_by_stream ON log_events (grp, stream, id);
      CREATE TABLE IF NOT EXISTS clients (
        id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS clients_by_pool ON clients (pool_id, seq);
      CREATE TABLE IF NOT EXISTS signing_keys (
        pool_id TEXT NOT NULL, token_use TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (pool_id, token_use));
      CREATE TABLE IF NOT EXISTS sign_ins (
        origin_jti TEXT PRIMARY KEY, pool_id TEXT NOT NULL, client_id TEXT NOT NULL,
        refresh_hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS sign_ins_by_client ON sign_ins (client_id);
      CREATE INDEX IF NOT EXISTS sign_ins_by_pool ON sign_ins (pool_id);
      CREATE TABLE IF NOT EXISTS mailbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, pool_id TEXT NOT NULL, user_key TEXT NOT NULL,
        doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS mailbox_by_user ON mailbox (pool_id, user_key, id);
    `);
    // The sign-in identifiers of the users of pools that sign in with an email, phone number or
    // preferred_username (UsernameAttributes, AliasAttributes), kept beside the users so that an
    // import checks each row's without reading the pool. Folded to lower case here; the users'
    // own values keep their case.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS user_names (
        pool_id TEXT NOT NULL, name TEXT NOT NULL, user_key TEXT NOT NULL,
        PRIMARY KEY (pool_id, name, user_key)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS user_names_by_user ON user_names (pool_id, user_key);
    `);
    // Groups and their members. A data folder from before groups has neither table and gets both
    // empty. Memberships are kept by the user's key (the username as stored) and read both ways:
    // a group's members in key order, a user's groups in name order.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS groups (
        pool_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (pool_id, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS group_members (
        pool_id TEXT NOT NULL, group_name TEXT NOT NULL, user_key TEXT NOT NULL,
        PRIMARY KEY (pool_id, group_name, user_key)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS group_members_by_user ON group_members (pool_id, user_key, group_name);
    `);
  }

  private readonly statements = new Map<string, ReturnType<Database['prepare']>>();

  /** Prepared once, reused: preparing per row would cost more than the row itself. */
  private stmt(sql: string): ReturnType<Database['prepare']> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.db.close();
  }

  tx<T>(work: () => T): T {
    return transaction(this.db, work);
  }

  meta(key: string, make: () => string): string {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    if (row) return row.value;
    const value = make();
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return value;
  }

  nextSeq(name: string): number {
    const current = Number(this.meta(`seq:${name}`, () => '0'));
    this.stmt('UPDATE meta SET value = ? WHERE key = ?').run(String(current + 1), `seq:${name}`);
    return current + 1;
  }

  // Pools
  putPool(pool: Pool): void {
    this.stmt(
      'INSERT INTO pools (id, seq, doc) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    ).run(pool.id, this.nextSeq('pool'), JSON.stringify(pool));
  }

  getPool(id: string): Pool | undefined {
    const row = this.stmt('SELECT doc FROM pools WHERE id = ?').get(id) as
      | { doc: string }
      | undefined;
    return row ? readPool(row.doc) : undefined;
  }

  /** Pools whose id begins with `idPrefix` (the Region's), in creation order, after `afterSeq`. */
  listPools(
    afterSeq: number,
    limit: number,
    idPrefix = '',
  ): { pools: Pool[]; lastSeq: number; more: boolean } {
    const rows = this.stmt(
      'SELECT seq, doc FROM pools WHERE seq > ? AND substr(id, 1, ?) = ? ORDER BY seq LIMIT ?',
    ).all(afterSeq, idPrefix.length, idPrefix, limit + 1) as { seq: number; doc: string }[];
    const page = rows.slice(0, limit);
    return {
      pools: page.map((row) => readPool(row.doc)),
      lastSeq: page.at(-1)?.seq ?? afterSeq,
      more: rows.length > limit,
    };
  }

  deletePool(id: string): void {
    this.stmt('DELETE FROM users WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM user_names WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM clients WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM signing_keys WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM sign_ins WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM mailbox WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM group_members WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM groups WHERE pool_id = ?').run(id);
    this.stmt('DELETE FROM pools WHERE id = ?').run(id);
  }

  // Users
  getUser(poolId: string, key: string): StoredUser | undefined {
    const row = this.stmt('SELECT doc FROM users WHERE pool_id = ? AND key = ?').get(poolId, key) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as StoredUser) : undefined;
  }

  hasUser(poolId: string, key: string): boolean {
    return (
      this.stmt('SELECT 1 FROM users WHERE pool_id = ? AND key = ?').get(poolId, key) !== undefined
    );
  }

  /**
   * Writes a user. With `names` (users.ts signInNames), the user's sign-in identifiers become
   * those; without, they stay as they were (the attributes did not change). `isNew` (a user just
   * imported) has none to clear.
   */
  putUser(
    poolId: string,
    key: string,
    user: StoredUser,
    names?: { names: string[]; isNew?: boolean },
  ): void {
    this.stmt(
      'INSERT INTO users (pool_id, key, doc) VALUES (?, ?, ?) ON CONFLICT (pool_id, key) DO UPDATE SET doc = excluded.doc',
    ).run(poolId, key, JSON.stringify(user));
    if (!names) return;
    if (!names.isNew)
      this.stmt('DELETE FROM user_names WHERE pool_id = ? AND user_key = ?').run(poolId, key);
    const insert = this.stmt(
      'INSERT OR IGNORE INTO user_names (pool_id, name, user_key) VALUES (?, ?, ?)',
    );
    for (const name of names.names) insert.run(poolId, name, key);
  }

  /**
   * Deletes a user and what hangs on it: its sign-in identifiers, its group memberships and its
   * mail. Its refresh tokens stop working by themselves (a refresh finds no user).
   */
  deleteUser(poolId: string, key: string): void {
    this.stmt('DELETE FROM group_members WHERE pool_id = ? AND user_key = ?').run(poolId, key);
    this.stmt('DELETE FROM user_names WHERE pool_id = ? AND user_key = ?').run(poolId, key);
    this.stmt('DELETE FROM mailbox WHERE pool_id = ? AND user_key = ?').run(poolId, key);
    this.stmt('DELETE FROM users WHERE pool_id = ? AND key = ?').run(poolId, key);
  }

  countUsers(poolId: string): number {
    const row = this.stmt('SELECT count(*) AS n FROM users WHERE pool_id = ?').get(poolId) as {
      n: number;
    };
    return row.n;
  }

  /**
   * The users of a pool whose attribute has this value, in key order, ignoring case unless
   * `exactCase`. Email, phone number and preferred_username are found only among the sign-in
   * identifiers (pools that sign in with them); a sub in any pool.
   */
  findUsersByAttribute(
    poolId: string,
    attribute: IndexedAttribute,
    value: string,
    exactCase: boolean,
    limit = 2,
  ): { key: string; user: StoredUser }[] {
    // A sub is looked up only when a name is neither a username nor a sign-in identifier, which
    // is rare enough to read the pool's users for.
    const rows = (
      attribute === 'sub'
        ? this.stmt(
            "SELECT key, doc FROM users WHERE pool_id = ? AND json_extract(doc, '$.attributes.sub') = ? ORDER BY key",
          ).all(poolId, value)
        : this.stmt(
            'SELECT u.key, u.doc FROM user_names n JOIN users u ON u.pool_id = n.pool_id AND u.key = n.user_key WHERE n.pool_id = ? AND n.name = ? ORDER BY u.key',
          ).all(poolId, userName(attribute, value))
    ) as { key: string; doc: string }[];
    const found: { key: string; user: StoredUser }[] = [];
    for (const row of rows) {
      const user = JSON.parse(row.doc) as StoredUser;
      if (exactCase && user.attributes[attribute] !== value) continue;
      found.push({ key: row.key, user });
      if (found.length === limit) break;
    }
    return found;
  }

  /** Users in key order after `afterKey`, for paging. */
  scanUsers(poolId: string, afterKey: string, limit: number): { key: string; user: StoredUser }[] {
    const rows = this.stmt(
      'SELECT key, doc FROM users WHERE pool_id = ? AND key > ? ORDER BY key LIMIT ?',
    ).all(poolId, afterKey, limit) as { key: string; doc: string }[];
    return rows.map((row) => ({ key: row.key, user: JSON.parse(row.doc) as StoredUser }));
  }

  // Groups
  putGroup(poolId: string, group: StoredGroup): void {
    this.stmt(
      'INSERT INTO groups (pool_id, name, doc) VALUES (?, ?, ?) ON CONFLICT (pool_id, name) DO UPDATE SET doc = excluded.doc',
    ).run(poolId, group.name, JSON.stringify(group));
  }

  getGroup(poolId: string, name: string): StoredGroup | undefined {
    const row = this.stmt('SELECT doc FROM groups WHERE pool_id = ? AND name = ?').get(
      poolId,
      name,
    ) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as StoredGroup) : undefined;
  }

  countGroups(poolId: string): number {
    const row = this.stmt('SELECT count(*) AS n FROM groups WHERE pool_id = ?').get(poolId) as {
      n: number;
    };
    return row.n;
  }

  /** A pool's groups in name order after `afterName`: at most `limit`, and whether more follow. */
  listGroups(
    poolId: string,
    afterName: string,
    limit: number,
  ): { groups: StoredGroup[]; more: boolean } {
    const rows = this.stmt(
      'SELECT doc FROM groups WHERE pool_id = ? AND name > ? ORDER BY name LIMIT ?',
    ).all(poolId, afterName, limit + 1) as { doc: string }[];
    return {
      groups: rows.slice(0, limit).map((row) => JSON.parse(row.doc) as StoredGroup),
      more: rows.length > limit,
    };
  }

  /** Deletes a group and its memberships. */
  deleteGroup(poolId: string, name: string): void {
    this.stmt('DELETE FROM group_members WHERE pool_id = ? AND group_name = ?').run(poolId, name);
    this.stmt('DELETE FROM groups WHERE pool_id = ? AND name = ?').run(poolId, name);
  }

  hasMembers(poolId: string, groupName: string): boolean {
    return (
      this.stmt('SELECT 1 FROM group_members WHERE pool_id = ? AND group_name = ? LIMIT 1').get(
        poolId,
        groupName,
      ) !== undefined
    );
  }

  isMember(poolId: string, groupName: string, userKey: string): boolean {
    return (
      this.stmt(
        'SELECT 1 FROM group_members WHERE pool_id = ? AND group_name = ? AND user_key = ?',
      ).get(poolId, groupName, userKey) !== undefined
    );
  }

  addMember(poolId: string, groupName: string, userKey: string): void {
    this.stmt(
      'INSERT OR IGNORE INTO group_members (pool_id, group_name, user_key) VALUES (?, ?, ?)',
    ).run(poolId, groupName, userKey);
  }

  removeMember(poolId: string, groupName: string, userKey: string): void {
    this.stmt(
      'DELETE FROM group_members WHERE pool_id = ? AND group_name = ? AND user_key = ?',
    ).run(poolId, groupName, userKey);
  }

  countGroupsOfUser(poolId: string, userKey: string): number {
    const row = this.stmt(
      'SELECT count(*) AS n FROM group_members WHERE pool_id = ? AND user_key = ?',
    ).get(poolId, userKey) as { n: number };
    return row.n;
  }

  /** The groups a user is in, in name order after `afterName`, at most `limit` (+1 to see more). */
  groupsOfUser(poolId: string, userKey: string, afterName = '', limit = -1): StoredGroup[] {
    const rows = this.stmt(
      'SELECT g.doc FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name = m.group_name WHERE m.pool_id = ? AND m.user_key = ? AND m.group_name > ? ORDER BY m.group_name LIMIT ?',
    ).all(poolId, userKey, afterName, limit) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as StoredGroup);
  }

  /** The members of a group, in key order after `afterKey`, at most `limit`. */
  membersOfGroup(
    poolId: string,
    groupName: string,
    afterKey: string,
    limit: number,
  ): { key: string; user: StoredUser }[] {
    const rows = this.stmt(
      'SELECT u.key, u.doc FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.key = m.user_key WHERE m.pool_id = ? AND m.group_name = ? AND m.user_key > ? ORDER BY m.user_key LIMIT ?',
    ).all(poolId, groupName, afterKey, limit) as { key: string; doc: string }[];
    return rows.map((row) => ({ key: row.key, user: JSON.parse(row.doc) as StoredUser }));
  }

  // Jobs
  putJob(job: ImportJob): void {
    this.stmt(
      'INSERT INTO jobs (id, pool_id, seq, status, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, doc = excluded.doc',
    ).run(job.jobId, job.userPoolId, job.seq, job.status, JSON.stringify(job));
  }

  getJob(jobId: string): ImportJob | undefined {
    const row = this.stmt('SELECT doc FROM jobs WHERE id = ?').get(jobId) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as ImportJob) : undefined;
  }

  countJobs(poolId: string): number {
    const row = this.stmt('SELECT count(*) AS n FROM jobs WHERE pool_id = ?').get(poolId) as {
      n: number;
    };
    return row.n;
  }

  /** Jobs of a pool, newest first, with seq below `beforeSeq`. */
  listJobs(poolId: string, beforeSeq: number, limit: number): ImportJob[] {
    const rows = this.stmt(
      'SELECT doc FROM jobs WHERE pool_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    ).all(poolId, beforeSeq, limit) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as ImportJob);
  }

  jobsWithStatus(statuses: readonly string[]): ImportJob[] {
    const marks = statuses.map(() => '?').join(', ');
    const rows = this.stmt(`SELECT doc FROM jobs WHERE status IN (${marks}) ORDER BY seq`).all(
      ...statuses,
    ) as {
      doc: string;
    }[];
    return rows.map((row) => JSON.parse(row.doc) as ImportJob);
  }

  // Logs
  ensureLogStream(group: string, stream: string, now: number): void {
    this.stmt('INSERT OR IGNORE INTO log_streams (grp, stream, created_ms) VALUES (?, ?, ?)').run(
      group,
      stream,
      now,
    );
  }

  appendLog(group: string, stream: string, ts: number, message: string): void {
    this.stmt(
      'INSERT INTO log_events (grp, stream, ts, ingested, message) VALUES (?, ?, ?, ?, ?)',
    ).run(group, stream, ts, ts, message);
  }

  // App clients
  putClient(client: PoolClient): void {
    this.stmt(
      'INSERT INTO clients (id, pool_id, seq, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    ).run(client.clientId, client.userPoolId, client.seq, JSON.stringify(client));
  }

  getClient(clientId: string): PoolClient | undefined {
    const row = this.stmt('SELECT doc FROM clients WHERE id = ?').get(clientId) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as PoolClient) : undefined;
  }

  /** A pool's clients in creation order, after `afterSeq`. */
  listClients(poolId: string, afterSeq: number, limit: number): PoolClient[] {
    const rows = this.stmt(
      'SELECT doc FROM clients WHERE pool_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ).all(poolId, afterSeq, limit) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as PoolClient);
  }

  /** Deletes a client and the sign-ins (refresh tokens) it issued. */
  deleteClient(clientId: string): void {
    this.stmt('DELETE FROM sign_ins WHERE client_id = ?').run(clientId);
    this.stmt('DELETE FROM clients WHERE id = ?').run(clientId);
  }

  // Token signing keys, one per pool and token use
  getSigningKey(poolId: string, tokenUse: string): SigningKey | undefined {
    const row = this.stmt('SELECT doc FROM signing_keys WHERE pool_id = ? AND token_use = ?').get(
      poolId,
      tokenUse,
    ) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as SigningKey) : undefined;
  }

  /** Keeps the first key stored for the pair: a key is never replaced once tokens carry its kid. */
  addSigningKey(poolId: string, key: SigningKey): SigningKey {
    this.stmt('INSERT OR IGNORE INTO signing_keys (pool_id, token_use, doc) VALUES (?, ?, ?)').run(
      poolId,
      key.tokenUse,
      JSON.stringify(key),
    );
    return this.getSigningKey(poolId, key.tokenUse) as SigningKey;
  }

  listSigningKeys(poolId: string): SigningKey[] {
    const rows = this.stmt(
      'SELECT doc FROM signing_keys WHERE pool_id = ? ORDER BY token_use DESC',
    ).all(poolId) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as SigningKey);
  }

  // Sign-ins: what a refresh token stands for (the token itself is never stored, only its hash)
  putSignIn(session: SignInSession): void {
    this.stmt(
      'INSERT INTO sign_ins (origin_jti, pool_id, client_id, refresh_hash, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin_jti) DO UPDATE SET doc = excluded.doc',
    ).run(
      session.originJti,
      session.userPoolId,
      session.clientId,
      session.refreshHash,
      JSON.stringify(session),
    );
  }

  getSignInByRefreshHash(refreshHash: string): SignInSession | undefined {
    const row = this.stmt('SELECT doc FROM sign_ins WHERE refresh_hash = ?').get(refreshHash) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as SignInSession) : undefined;
  }

  // The local mailbox: messages Cognito would have sent by email or SMS
  deliver(poolId: string, userKey: string, message: MailMessage): void {
    this.stmt('INSERT INTO mailbox (pool_id, user_key, doc) VALUES (?, ?, ?)').run(
      poolId,
      userKey,
      JSON.stringify(message),
    );
  }

  /** A user's messages, newest first. */
  mailFor(poolId: string, userKey: string, limit = 50): MailMessage[] {
    const rows = this.stmt(
      'SELECT doc FROM mailbox WHERE pool_id = ? AND user_key = ? ORDER BY id DESC LIMIT ?',
    ).all(poolId, userKey, limit) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as MailMessage);
  }
}
