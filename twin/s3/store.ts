import { createHash, randomBytes } from 'node:crypto';
import {
  type BigIntStats,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { copyFile, type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type Database, openDatabase, transaction } from '../sqlite.ts';
import type { ChecksumAlgorithm } from './checksums.ts';
import {
  invalidArgument,
  keyConflict,
  noSuchBucket,
  noSuchUpload,
  preconditionFailed,
  S3Error,
} from './errors.ts';
import {
  assertBucketName,
  compareKeys,
  isValidBucketName,
  keyToPath,
  parseKey,
  SIDE_TEMP_NAME,
} from './keys.ts';

/** What the twin knows about an object besides its bytes (which are the file). */
export interface ObjectDoc {
  size: number;
  /** MD5 hex, or `<MD5 of the parts' MD5s>-<parts>` for a multipart upload; no quotes. */
  etag: string;
  contentType: string;
  /** The content headers S3 keeps: cache-control, content-disposition, content-encoding, … */
  headers: Record<string, string>;
  /** User metadata: names without `x-amz-meta-`, lower case. */
  metadata: Record<string, string>;
  /** Epoch milliseconds. */
  lastModified: number;
  versionId: string;
  sequencer: string;
  /** Base64 CRC32 of the whole object, kept for every object. */
  crc32: string;
  /** The flexible checksum the writer sent, when it sent one. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** Parts of a multipart upload. */
  parts?: number;
  /** A key ending in `/`, kept as a folder. */
  folder?: boolean;
}

export interface StoredObject extends ObjectDoc {
  bucket: string;
  key: string;
}

/** The fields of a write; the store adds time, version and sequencer. */
export type WriteInput = Omit<ObjectDoc, 'lastModified' | 'versionId' | 'sequencer'>;

export interface UploadDoc {
  contentType: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface Upload extends UploadDoc {
  id: string;
  bucket: string;
  key: string;
  initiated: number;
}

export interface PartDoc {
  part: number;
  size: number;
  /** MD5 hex, no quotes. */
  etag: string;
  crc32: string;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  lastModified: number;
}

const FOLDER_FINGERPRINT = 'folder';
const UPLOAD_ID = /^[0-9a-f]{48}$/;

/**
 * Identifies one version of a file without reading it. Every write the twin makes is a rename of
 * a new file (new inode, new ctime); a file changed by hand gets a new mtime or ctime. A record
 * whose fingerprint no longer matches its file is stale: the file was replaced outside the twin.
 */
export function fingerprint(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export const newVersionId = () => randomBytes(24).toString('base64url');

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.xml': 'application/xml',
  '.html': 'text/html',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/** S3 keeps the Content-Type a writer sent; a file copied in by hand gets one from its name. */
function guessContentType(key: string): string {
  return CONTENT_TYPES[extname(key).toLowerCase()] ?? 'binary/octet-stream';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function hashHandle(
  handle: FileHandle,
): Promise<{ md5: string; crc32: string; size: number }> {
  const md5 = createHash('md5');
  let crc = 0;
  let position = 0;
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    md5.update(chunk);
    crc = crc32(chunk, crc);
    position += bytesRead;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc >>> 0);
  return { md5: md5.digest('hex'), crc32: out.toString('base64'), size: position };
}

/**
 * The twin's objects: plain files at `<root>/<bucket>/<key>` that a person can open, copy or drop
 * in, with what files cannot hold (ETag, Content-Type, user metadata, version, sequencer) in one
 * SQLite file under `<root>/.meta/`. Files are written to `<root>/.meta/tmp/` and renamed into
 * place, so a reader never sees half an object and a crash leaves none behind; each rename and
 * its record happen in one synchronous step, so no other request sees one without the other.
 */
export class S3Store {
  readonly root: string;
  readonly metaDir: string;
  readonly tmpDir: string;
  readonly uploadsDir: string;
  private readonly db: Database;
  private readonly statements = new Map<string, ReturnType<Database['prepare']>>();
  private closed = false;

  constructor(root: string) {
    this.root = root;
    this.metaDir = join(root, '.meta');
    this.tmpDir = join(this.metaDir, 'tmp');
    this.uploadsDir = join(this.metaDir, 'uploads');
    // Temp files of writes that never finished (the twin stopped mid-upload) are garbage.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.uploadsDir, { recursive: true });
    this.db = openDatabase(join(this.metaDir, 's3.sqlite'));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS buckets (
        name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, seq INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS objects (
        bucket TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        announced INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (bucket, key));
      CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
        initiated_ms INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS parts (
        upload_id TEXT NOT NULL, part INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (upload_id, part));
    `);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private stmt(sql: string): ReturnType<Database['prepare']> {
    if (this.closed) throw new S3Error('ServiceUnavailable', 'The local S3 twin is stopping.', 503);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // Buckets

  bucketDir(bucket: string): string {
    assertBucketName(bucket);
    return join(this.root, bucket);
  }

  bucketExists(bucket: string): boolean {
    if (!isValidBucketName(bucket)) return false;
    return statSync(join(this.root, bucket), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  /** The bucket's folder; NoSuchBucket when there is none. */
  requireBucket(bucket: string): string {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    return join(this.root, bucket);
  }

  /** Creates the bucket; false when it already existed. */
  createBucket(bucket: string): boolean {
    const dir = this.bucketDir(bucket);
    const existed = this.bucketExists(bucket);
    mkdirSync(dir, { recursive: true });
    this.stmt(
      'INSERT INTO buckets (name, created_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    ).run(bucket, Date.now());
    return !existed;
  }

  /** Every bucket folder, including those made by hand; sorted by name. */
  listBuckets(): { name: string; created: number }[] {
    const out: { name: string; created: number }[] = [];
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!isValidBucketName(entry.name) || !this.bucketExists(entry.name)) continue;
      out.push({ name: entry.name, created: this.bucketCreated(entry.name) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private bucketCreated(bucket: string): number {
    const row = this.stmt('SELECT created_ms FROM buckets WHERE name = ?').get(bucket) as
      | { created_ms: number }
      | undefined;
    if (row) return row.created_ms;
    // A folder made by hand: it was created when it was made.
    const created = Math.round(statSync(join(this.root, bucket)).birthtimeMs || Date.now());
    this.stmt(
      'INSERT INTO buckets (name, created_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    ).run(bucket, created);
    return created;
  }

  /** Deletes an empty bucket (folders without files count as empty). */
  async deleteBucket(bucket: string): Promise<void> {
    const dir = this.requireBucket(bucket);
    const keys = await this.walk(dir, '');
    const folders = this.folderKeys(bucket, '');
    if (keys.length > 0 || folders.length > 0)
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
        BucketName: bucket,
      });
    const uploads = this.stmt('SELECT id FROM uploads WHERE bucket = ?').all(bucket) as {
      id: string;
    }[];
    transaction(this.db, () => {
      for (const { id } of uploads) this.removeUpload(id);
      this.stmt('DELETE FROM objects WHERE bucket = ?').run(bucket);
      this.stmt('DELETE FROM buckets WHERE name = ?').run(bucket);
    });
    rmSync(dir, { recursive: true, force: true });
  }

  /** The next sequencer of the bucket: fixed-width upper-case hex, so string order is write order. */
  private nextSequencer(bucket: string): string {
    this.stmt(
      'INSERT INTO buckets (name, created_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
    ).run(bucket, Date.now());
    const row = this.stmt('UPDATE buckets SET seq = seq + 1 WHERE name = ? RETURNING seq').get(
      bucket,
    ) as { seq: number };
    return row.seq.toString(16).toUpperCase().padStart(18, '0');
  }

  // Records

  private record(
    bucket: string,
    key: string,
  ): { fingerprint: string; announced: boolean; doc: ObjectDoc } | undefined {
    const row = this.stmt(
      'SELECT fingerprint, announced, doc FROM objects WHERE bucket = ? AND key = ?',
    ).get(bucket, key) as { fingerprint: string; announced: number; doc: string } | undefined;
    if (!row) return undefined;
    return {
      fingerprint: row.fingerprint,
      announced: row.announced === 1,
      doc: JSON.parse(row.doc) as ObjectDoc,
    };
  }

  private putRecord(
    bucket: string,
    key: string,
    print: string,
    announced: boolean,
    doc: ObjectDoc,
  ): void {
    this.stmt(
      `INSERT INTO objects (bucket, key, fingerprint, announced, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bucket, key) DO UPDATE SET fingerprint = excluded.fingerprint,
         announced = excluded.announced, doc = excluded.doc`,
    ).run(bucket, key, print, announced ? 1 : 0, JSON.stringify(doc));
  }

  /** For the watcher: the fingerprint the twin last saw for a key and whether it was announced. */
  recordState(
    bucket: string,
    key: string,
  ): { fingerprint: string; announced: boolean } | undefined {
    const row = this.stmt(
      'SELECT fingerprint, announced FROM objects WHERE bucket = ? AND key = ?',
    ).get(bucket, key) as { fingerprint: string; announced: number } | undefined;
    return row && { fingerprint: row.fingerprint, announced: row.announced === 1 };
  }

  // Writes

  /** A fresh path for a temp file, on the same file system as the buckets. */
  tempFile(): string {
    return join(this.tmpDir, randomBytes(12).toString('hex'));
  }

  /**
   * Moves a finished temp file into place as `key` and records it, in one synchronous step after
   * the (rare) cross-device copy. The object counts as announced: the caller raises its event.
   *
   * @throws S3Error KeyConflictsWithFolder, PreconditionFailed (`ifNoneMatch: '*'` and the key exists)
   */
  async commit(
    bucket: string,
    key: string,
    temp: string,
    input: WriteInput,
    conditions: { ifNoneMatch?: string } = {},
  ): Promise<StoredObject> {
    const dir = this.requireBucket(bucket);
    const { path, folder } = keyToPath(dir, key);
    if (folder)
      throw invalidArgument('A key ending in "/" is a folder and holds no bytes.', 'key', key);
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw keyConflict(key);
      throw error;
    }
    let source = temp;
    let side: string | undefined;
    const place = () => {
      if (conditions.ifNoneMatch === '*' && lstatSync(path, { throwIfNoEntry: false }))
        throw preconditionFailed('If-None-Match');
      try {
        renameSync(source, path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR')
          throw keyConflict(key);
        throw error;
      }
      const doc: ObjectDoc = {
        ...input,
        lastModified: Date.now(),
        versionId: newVersionId(),
        sequencer: this.nextSequencer(bucket),
      };
      this.putRecord(bucket, key, fingerprint(statSync(path, { bigint: true })), true, doc);
      return { bucket, key, ...doc };
    };
    try {
      return place();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
    // The bucket folder is on another file system (a symlink): copy next to the object first, so
    // that the last step is still a rename.
    side = join(dirname(path), `.s3twin-${randomBytes(8).toString('hex')}.tmp`);
    try {
      await copyFile(temp, side);
      source = side;
      return place();
    } finally {
      rmSync(side, { force: true });
    }
  }

  /** A "folder" object (a key ending in `/`): kept as the folder itself. */
  putFolder(bucket: string, key: string, input: WriteInput): StoredObject {
    const dir = this.requireBucket(bucket);
    const { path } = keyToPath(dir, key);
    try {
      mkdirSync(path, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw keyConflict(key);
      throw error;
    }
    const doc: ObjectDoc = {
      ...input,
      folder: true,
      lastModified: Date.now(),
      versionId: newVersionId(),
      sequencer: this.nextSequencer(bucket),
    };
    this.putRecord(bucket, key, FOLDER_FINGERPRINT, true, doc);
    return { bucket, key, ...doc };
  }

  /** Deletes an object; deleting a key that does not exist is not an error (as in S3). */
  deleteObject(bucket: string, key: string): void {
    const dir = this.requireBucket(bucket);
    const { path, folder } = keyToPath(dir, key);
    if (folder) {
      if (this.record(bucket, key)?.doc.folder) {
        try {
          rmdirSync(path);
        } catch {
          // Not empty (other objects live under it) or already gone: the folder stays.
        }
      }
    } else {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) rmSync(path, { force: true });
    }
    // Empty parent folders stay: a person who made `incoming/` to drop files into keeps it.
    this.stmt('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, key);
  }

  // Reads

  /**
   * Opens an object for reading. The handle pins the version that was opened, so what is served
   * matches the metadata returned even if the file is replaced meanwhile. A file without a
   * (current) record, copied in by hand, is hashed and recorded here, on first sight.
   */
  async openObject(
    bucket: string,
    key: string,
  ): Promise<{ object: StoredObject; handle?: FileHandle } | undefined> {
    const dir = this.requireBucket(bucket);
    const { path, folder } = keyToPath(dir, key);
    if (folder) {
      const rec = this.record(bucket, key);
      if (!rec?.doc.folder || !statSync(path, { throwIfNoEntry: false })?.isDirectory())
        return undefined;
      return { object: { bucket, key, ...rec.doc } };
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
    try {
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) {
        await handle.close();
        return undefined;
      }
      const { object } = await this.current(bucket, key, path, handle, st);
      return { object, handle };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The object's metadata, or undefined when there is no such object. */
  async describe(bucket: string, key: string): Promise<StoredObject | undefined> {
    const opened = await this.openObject(bucket, key);
    await opened?.handle?.close();
    return opened?.object;
  }

  /**
   * Brings the record of an open file up to date. When the file is not the version last
   * recorded, it is hashed; the same bytes (a file touched or chmod-ed) keep their metadata,
   * version and announcement, other bytes are a new, unannounced version.
   */
  private async current(
    bucket: string,
    key: string,
    path: string,
    handle: FileHandle,
    st: BigIntStats,
  ): Promise<{ object: StoredObject; fingerprint: string }> {
    const print = fingerprint(st);
    const known = this.record(bucket, key);
    if (known && known.fingerprint === print)
      return { object: { bucket, key, ...known.doc }, fingerprint: print };
    const hashed = await hashHandle(handle);
    // Back from reading: another request may have recorded this very version meanwhile.
    const rec = this.record(bucket, key);
    if (rec && rec.fingerprint === print)
      return { object: { bucket, key, ...rec.doc }, fingerprint: print };
    const same =
      rec &&
      !rec.doc.folder &&
      rec.doc.size === hashed.size &&
      rec.doc.crc32 === hashed.crc32 &&
      (rec.doc.parts !== undefined || rec.doc.etag === hashed.md5);
    const doc: ObjectDoc =
      rec && same
        ? rec.doc
        : {
            size: hashed.size,
            etag: hashed.md5,
            contentType: guessContentType(key),
            headers: {},
            metadata: {},
            lastModified: Number(st.mtimeNs / 1_000_000n),
            versionId: newVersionId(),
            sequencer: this.nextSequencer(bucket),
            crc32: hashed.crc32,
          };
    // Record only if the file on disk is still the version that was read.
    const now = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (now && fingerprint(now) === print && hashed.size === Number(st.size))
      this.putRecord(bucket, key, print, Boolean(rec && same && rec.announced), doc);
    return { object: { bucket, key, ...doc }, fingerprint: print };
  }

  /**
   * For the watcher: records a file that appeared or changed by hand and marks it announced.
   * Returns the object to raise an event for, or undefined when there is nothing to raise (the
   * file changed again since `expected`, is gone, or its version was announced already).
   */
  async announce(bucket: string, key: string, expected: string): Promise<StoredObject | undefined> {
    if (!this.bucketExists(bucket)) return undefined;
    let path: string;
    try {
      path = keyToPath(join(this.root, bucket), key).path;
    } catch {
      return undefined;
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const st = await handle.stat({ bigint: true });
      if (!st.isFile() || fingerprint(st) !== expected) return undefined;
      const { object, fingerprint: print } = await this.current(bucket, key, path, handle, st);
      const changed = this.stmt(
        `UPDATE objects SET announced = 1
         WHERE bucket = ? AND key = ? AND fingerprint = ? AND announced = 0`,
      ).run(bucket, key, print);
      return Number(changed.changes) === 1 ? object : undefined;
    } finally {
      await handle.close();
    }
  }

  /** The keys of `bucket` that start with `prefix`, in S3's order (UTF-8 bytes). */
  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    const dir = this.requireBucket(bucket);
    // Walk only the deepest folder the prefix names: listing `incoming/` skips everything else.
    const slash = prefix.lastIndexOf('/');
    let start = dir;
    let base = '';
    if (slash >= 0) {
      base = prefix.slice(0, slash + 1);
      try {
        start = keyToPath(dir, base).path;
      } catch {
        return []; // No storable key has this prefix.
      }
    }
    const keys = (await this.walk(start, base)).filter((k) => k.startsWith(prefix));
    keys.push(...this.folderKeys(bucket, prefix));
    return keys.sort(compareKeys);
  }

  /** Folder objects (keys ending in `/`) under `prefix` whose folder still exists. */
  private folderKeys(bucket: string, prefix: string): string[] {
    const rows = this.stmt(
      'SELECT key FROM objects WHERE bucket = ? AND fingerprint = ? AND substr(key, 1, ?) = ?',
    ).all(bucket, FOLDER_FINGERPRINT, prefix.length, prefix) as { key: string }[];
    const dir = join(this.root, bucket);
    return rows
      .map((r) => r.key)
      .filter((k) => {
        try {
          return statSync(keyToPath(dir, k).path, { throwIfNoEntry: false })?.isDirectory();
        } catch {
          return false;
        }
      });
  }

  /** The keys of every file under `dir`, each prefixed with `keyPrefix`. Symlinked files count. */
  async walk(dir: string, keyPrefix: string): Promise<string[]> {
    const out: string[] = [];
    const visit = async (folder: string, prefix: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const entry of entries) {
        // A name that is not valid UTF-8 cannot be named by any key; a side temp file is no object.
        if (entry.name.includes('\uFFFD') || SIDE_TEMP_NAME.test(entry.name)) continue;
        const path = join(folder, entry.name);
        if (entry.isDirectory()) await visit(path, `${prefix}${entry.name}/`);
        else if (entry.isFile()) out.push(`${prefix}${entry.name}`);
        else if (entry.isSymbolicLink()) {
          // Linked files are objects; linked folders are not followed (they could loop).
          const target = await stat(path).catch(() => undefined);
          if (target?.isFile()) out.push(`${prefix}${entry.name}`);
        }
      }
    };
    await visit(dir, keyPrefix);
    return out;
  }

  // Multipart uploads

  createUpload(bucket: string, key: string, doc: UploadDoc): Upload {
    this.requireBucket(bucket);
    parseKey(key);
    const id = randomBytes(24).toString('hex');
    const initiated = Date.now();
    mkdirSync(join(this.uploadsDir, id), { recursive: true });
    this.stmt(
      'INSERT INTO uploads (id, bucket, key, initiated_ms, doc) VALUES (?, ?, ?, ?, ?)',
    ).run(id, bucket, key, initiated, JSON.stringify(doc));
    return { id, bucket, key, initiated, ...doc };
  }

  /** The upload, which must belong to `bucket`/`key`; NoSuchUpload otherwise. */
  getUpload(bucket: string, key: string, id: string): Upload {
    if (!UPLOAD_ID.test(id)) throw noSuchUpload(id);
    const row = this.stmt('SELECT bucket, key, initiated_ms, doc FROM uploads WHERE id = ?').get(
      id,
    ) as { bucket: string; key: string; initiated_ms: number; doc: string } | undefined;
    if (!row || row.bucket !== bucket || row.key !== key) throw noSuchUpload(id);
    return {
      id,
      bucket,
      key,
      initiated: row.initiated_ms,
      ...(JSON.parse(row.doc) as UploadDoc),
    };
  }

  listUploads(bucket: string): Upload[] {
    const rows = this.stmt(
      'SELECT id, key, initiated_ms, doc FROM uploads WHERE bucket = ? ORDER BY key, initiated_ms',
    ).all(bucket) as { id: string; key: string; initiated_ms: number; doc: string }[];
    return rows.map((r) => ({
      id: r.id,
      bucket,
      key: r.key,
      initiated: r.initiated_ms,
      ...(JSON.parse(r.doc) as UploadDoc),
    }));
  }

  partPath(id: string, part: number): string {
    return join(this.uploadsDir, id, String(part));
  }

  /** Moves a received part into its upload (replacing an earlier upload of the same number). */
  commitPart(id: string, temp: string, doc: PartDoc): void {
    const exists = this.stmt('SELECT 1 AS x FROM uploads WHERE id = ?').get(id);
    if (!exists) throw noSuchUpload(id);
    renameSync(temp, this.partPath(id, doc.part));
    this.stmt(
      `INSERT INTO parts (upload_id, part, doc) VALUES (?, ?, ?)
       ON CONFLICT (upload_id, part) DO UPDATE SET doc = excluded.doc`,
    ).run(id, doc.part, JSON.stringify(doc));
  }

  listParts(id: string): PartDoc[] {
    const rows = this.stmt('SELECT doc FROM parts WHERE upload_id = ? ORDER BY part').all(id) as {
      doc: string;
    }[];
    return rows.map((r) => JSON.parse(r.doc) as PartDoc);
  }

  removeUpload(id: string): void {
    this.stmt('DELETE FROM parts WHERE upload_id = ?').run(id);
    this.stmt('DELETE FROM uploads WHERE id = ?').run(id);
    rmSync(join(this.uploadsDir, id), { recursive: true, force: true });
  }
}
