import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keyToPath } from './keys.ts';
import { fingerprint, type S3Store, type StoredObject } from './store.ts';

export interface WatcherOptions {
  store: S3Store;
  /** How often the bucket folders are scanned. */
  intervalMs: number;
  /** A file counts as finished once unchanged for two scans and at least this old. */
  settleMs: number;
  found(object: StoredObject): void;
  onError(error: Error): void;
}

/**
 * Notices files that appear in (or change in) a bucket folder outside the twin, and reports each
 * once it has stopped growing. It polls instead of using `fs.watch`: polling sees files that
 * arrived while the twin was down, works the same on every platform and file system, and costs
 * one `stat` per file per scan, which is nothing at the size of a local data folder.
 *
 * The twin's own writes are never reported here: each is recorded as announced in the same
 * synchronous step as its rename, before any scan can see the file.
 */
export class FolderWatcher {
  private readonly options: WatcherOptions;
  /** Files seen changing, by bucket and key: the fingerprint they had at the last scan. */
  private readonly pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(options: WatcherOptions) {
    this.options = options;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.scan()
        .catch((error: unknown) => this.options.onError(error as Error))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delay);
  }

  /** One pass over every bucket folder. */
  async scan(): Promise<void> {
    const { store } = this.options;
    const visited = new Set<string>();
    for (const { name: bucket } of store.listBuckets()) {
      const dir = join(store.root, bucket);
      for (const key of await store.walk(dir, '')) {
        if (this.stopped) return;
        const id = `${bucket}\0${key}`;
        let path: string;
        try {
          path = keyToPath(dir, key).path;
        } catch {
          continue; // No request could name this file (a key longer than S3 allows).
        }
        const st = await stat(path, { bigint: true }).catch(() => undefined);
        if (!st?.isFile()) continue;
        const print = fingerprint(st);
        const known = store.recordState(bucket, key);
        if (known?.fingerprint === print && known.announced) {
          this.pending.delete(id);
          continue;
        }
        visited.add(id);
        if (this.pending.get(id) !== print) {
          this.pending.set(id, print); // New or still changing: look again next scan.
          continue;
        }
        if (Date.now() - Number(st.mtimeMs) < this.options.settleMs) continue;
        this.pending.delete(id);
        const object = await store.announce(bucket, key, print);
        if (object) this.options.found(object);
      }
    }
    for (const id of this.pending.keys()) if (!visited.has(id)) this.pending.delete(id);
  }
}
