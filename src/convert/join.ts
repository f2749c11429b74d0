/**
 * Joins users to their password hashes on the user id, in bounded memory. A password export of
 * up to `memoryEntries` hashes is held in a map and the users stream past it, in their order.
 * A larger one is joined on disk (a partitioned hash join): hashes and users are spread over
 * partition files by a hash of their id, then each partition's hashes are loaded, alone, and its
 * users streamed past them. Memory then stays at one partition's hashes, whatever the export's
 * size; the users come out grouped by partition instead of in file order.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface JoinOptions {
  /** Hashes held in memory before the join goes to disk (50,000: about 15 MB of heap). */
  memoryEntries?: number;
  /** Partition files when it does (64). */
  partitions?: number;
  /** Where partition files go (the OS temp dir). */
  tempDir?: string;
}

/** A user record and its id (undefined: the user has no hash to look for). */
export interface JoinUser<T> {
  id: string | undefined;
  /** A JSON value. */
  record: T;
  /** The record's JSON text as read, if at hand: spilled as is, which saves serialising it. */
  raw?: string;
}

/**
 * Partitions for a password export of `bytes`: about 8 MB of it in each, so that one partition's
 * hashes stay a few megabytes of heap whatever the export's size.
 */
export function partitionsFor(bytes: number | undefined): number {
  if (bytes === undefined) return 64;
  return Math.min(1024, Math.max(16, Math.ceil(bytes / (8 * 1024 * 1024))));
}

export interface JoinStats {
  /** Hashes whose id no user had. */
  unmatched: number;
  /** Whether the join went to disk. */
  spilled: boolean;
}

const FLUSH_CHARS = 64 * 1024;

function partitionOf(id: string, partitions: number): number {
  // FNV-1a over the id's UTF-16 units: cheap, and spreads hex and uuid ids evenly.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Line files written through a buffer each, one file per partition. */
class PartitionFiles {
  readonly paths: string[];
  private readonly handles: FileHandle[];
  private readonly buffers: string[];

  private constructor(paths: string[], handles: FileHandle[]) {
    this.paths = paths;
    this.handles = handles;
    this.buffers = paths.map(() => '');
  }

  static async create(dir: string, prefix: string, count: number): Promise<PartitionFiles> {
    const paths = Array.from({ length: count }, (_, i) => join(dir, `${prefix}-${i}.ndjson`));
    const handles: FileHandle[] = [];
    for (const path of paths) handles.push(await open(path, 'w'));
    return new PartitionFiles(paths, handles);
  }

  async add(partition: number, line: string): Promise<void> {
    const text = `${this.buffers[partition]}${line}\n`;
    if (text.length < FLUSH_CHARS) {
      this.buffers[partition] = text;
      return;
    }
    this.buffers[partition] = '';
    await (this.handles[partition] as FileHandle).write(text);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let p = 0; p < this.handles.length; p++) {
      const handle = this.handles[p] as FileHandle;
      if (this.buffers[p]) await handle.write(this.buffers[p] as string);
      this.buffers[p] = '';
      await handle.close();
    }
  }
}

async function* linesOf(path: string): AsyncGenerator<string> {
  const lines = createInterface({
    input: createReadStream(path, { highWaterMark: 1 << 20 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line !== '') yield line;
}

/**
 * Each user with the hash of its id, if any.
 *
 * @param users - the users, with the id to join on
 * @param hashes - the password export as id and hash
 * @param stats - filled in: hashes no user matched, whether the join went to disk
 * @param options - memory and partition limits, the temp dir
 */
export async function* joinOnId<T>(
  users: AsyncIterable<JoinUser<T>>,
  hashes: AsyncIterable<{ id: string; hash: string }>,
  stats: JoinStats,
  options: JoinOptions = {},
): AsyncGenerator<{ record: T; hash: string | undefined }> {
  const memoryEntries = options.memoryEntries ?? 50_000;
  const partitions = options.partitions ?? 64;
  const inMemory = new Map<string, string>();
  let dir: string | undefined;
  let hashFiles: PartitionFiles | undefined;
  let userFiles: PartitionFiles | undefined;
  try {
    for await (const { id, hash } of hashes) {
      if (!hashFiles) {
        inMemory.set(id, hash);
        if (inMemory.size <= memoryEntries) continue;
        dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'cognito-import-join-'));
        hashFiles = await PartitionFiles.create(dir, 'hashes', partitions);
        for (const [k, v] of inMemory)
          await hashFiles.add(partitionOf(k, partitions), JSON.stringify([k, v]));
        inMemory.clear();
        continue;
      }
      await hashFiles.add(partitionOf(id, partitions), JSON.stringify([id, hash]));
    }
    stats.spilled = hashFiles !== undefined;

    if (!hashFiles) {
      for await (const user of users) {
        if (user.id === undefined) {
          yield { record: user.record, hash: undefined };
          continue;
        }
        const hash = inMemory.get(user.id);
        if (hash !== undefined) inMemory.delete(user.id);
        yield { record: user.record, hash };
      }
      stats.unmatched = inMemory.size;
      return;
    }

    await hashFiles.close();
    userFiles = await PartitionFiles.create(dir as string, 'users', partitions);
    for await (const user of users) {
      if (user.id === undefined) {
        yield { record: user.record, hash: undefined };
        continue;
      }
      // The id as a JSON string (which holds no raw tab), a tab, then the record's JSON.
      await userFiles.add(
        partitionOf(user.id, partitions),
        `${JSON.stringify(user.id)}\t${user.raw ?? JSON.stringify(user.record)}`,
      );
    }
    await userFiles.close();
    for (let p = 0; p < partitions; p++) {
      const partition = new Map<string, string>();
      for await (const line of linesOf(hashFiles.paths[p] as string)) {
        const [id, hash] = JSON.parse(line) as [string, string];
        partition.set(id, hash);
      }
      for await (const line of linesOf(userFiles.paths[p] as string)) {
        const tab = line.indexOf('\t');
        const id = JSON.parse(line.slice(0, tab)) as string;
        const record = JSON.parse(line.slice(tab + 1)) as T;
        const hash = partition.get(id);
        if (hash !== undefined) partition.delete(id);
        yield { record, hash };
      }
      stats.unmatched += partition.size;
    }
  } finally {
    // Closing twice is harmless; an error midway must not leave the files open.
    await hashFiles?.close().catch(() => {});
    await userFiles?.close().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
