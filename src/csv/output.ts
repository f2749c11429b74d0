/*
 * The output side: byte sinks, a queue that keeps their writes in order whether they are sync or
 * async, block writers, and the splitter that cuts the normalised rows into parts.
 *
 * Rows are copied into fixed-size blocks and a full block is lent to its sink. A sink that
 * returns synchronously gets the same block back next time (no allocation, no garbage); one
 * that returns a promise keeps its block until the promise settles, and a fresh block is taken
 * meanwhile. The blocks produced by one input chunk wait in the queue until the caller awaits
 * the promise that `CsvValidator.write` returns, which bounds memory to about one chunk's
 * output.
 */

import type { PasswordHashingAlgorithm } from './rules.ts';

/** Where output bytes go: a part file, the line map, the rejected rows; in S3 or in memory. */
export interface ByteSink {
  /**
   * Takes a block of bytes. The block is lent: the writer reuses it once `write` has returned
   * (or, if it returns a promise, once that settles), so a sink that keeps bytes beyond that
   * must copy them.
   */
  write(chunk: Uint8Array): void | Promise<void>;
  /** No more bytes will come. */
  end(): void | Promise<void>;
}

/** Creates the sink for part number `part` (1, 2, …) when its first row is ready. */
export type PartSinkFactory = (part: number) => ByteSink | Promise<ByteSink>;

/** A sink that drops everything (for measuring, or when only the report is wanted). */
export const nullSink: ByteSink = {
  write() {},
  end() {},
};

/** An in-memory sink (it copies each block), for tests and small files. */
export interface MemorySink extends ByteSink {
  /** Everything written so far, as one array. */
  bytes(): Uint8Array;
  /** Everything written so far, decoded as UTF-8. */
  text(): string;
  /** Whether `end()` was called. */
  ended: boolean;
}

/** Creates an in-memory sink that keeps every block. */
export function memorySink(): MemorySink {
  const chunks: Uint8Array[] = [];
  const sink: MemorySink = {
    ended: false,
    write(chunk) {
      chunks.push(Uint8Array.prototype.slice.call(chunk));
    },
    end() {
      sink.ended = true;
    },
    bytes() {
      return Buffer.concat(chunks);
    },
    text() {
      return Buffer.concat(chunks).toString('utf8');
    },
  };
  return sink;
}

function isPromise(x: unknown): x is Promise<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Promise<unknown>).then === 'function';
}

const ignore = () => {};

/** Runs sink operations in order; synchronously until one of them returns a promise. */
export class OutputQueue {
  private tail: Promise<void> | undefined;

  /**
   * Runs `op` now if nothing is pending, else after what is pending.
   *
   * @param op - a sink operation
   * @returns true if `op` ran now and finished synchronously
   */
  run(op: () => unknown): boolean {
    if (this.tail) {
      this.track(this.tail.then(op).then(ignore));
      return false;
    }
    const r = op();
    if (isPromise(r)) {
      this.track(r.then(ignore));
      return false;
    }
    return true;
  }

  /** What is still pending, if anything; await it before feeding more input. */
  pending(): Promise<void> | undefined {
    return this.tail;
  }

  private track(p: Promise<void>): void {
    this.tail = p;
    p.then(() => {
      if (this.tail === p) this.tail = undefined;
    }, ignore);
  }
}

/**
 * Writes bytes to one sink through fixed-size blocks. Fast writers may fill `block` directly:
 * `reserve(n)`, write at most `n` bytes from `pos`, then `advance(n)`.
 */
export class SinkWriter {
  /** Bytes written through this writer. */
  bytes = 0;
  /** The block being filled. */
  block: Buffer;
  /** Next free byte of `block`. */
  pos = 0;
  private sink: ByteSink | undefined;
  private readonly queue: OutputQueue;
  private readonly blockSize: number;

  /**
   * @param queue - the queue all sinks of one run share, which keeps their order
   * @param blockSize - bytes per block handed to the sink
   * @param open - creates (or returns) the sink; called through the queue
   */
  constructor(queue: OutputQueue, blockSize: number, open: () => ByteSink | Promise<ByteSink>) {
    this.queue = queue;
    this.blockSize = blockSize;
    this.block = Buffer.allocUnsafe(blockSize);
    queue.run(() => {
      const s = open();
      if (isPromise(s)) {
        return s.then((sink) => {
          this.sink = sink;
        });
      }
      this.sink = s;
      return undefined;
    });
  }

  /** Bytes a block holds: the most `reserve` can promise. */
  get capacity(): number {
    return this.blockSize;
  }

  /** Room for `n` more bytes in the current block (`n` ≤ block size). */
  reserve(n: number): void {
    if (this.pos + n > this.blockSize) this.flush();
  }

  /** Counts `n` bytes written directly into `block` at `pos`. */
  advance(n: number): void {
    this.pos += n;
    this.bytes += n;
  }

  /**
   * Copies `src[start, end)`.
   *
   * @param src - source bytes
   * @param start - first byte
   * @param end - byte after the last
   */
  copy(src: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len > this.blockSize) {
      this.flush();
      this.lend(Buffer.from(src.subarray(start, end)), false);
      this.bytes += len;
      return;
    }
    if (this.pos + len > this.blockSize) this.flush();
    const block = this.block;
    if (len < 64) {
      let p = this.pos;
      for (let i = start; i < end; i++) block[p++] = src[i] as number;
    } else {
      src.copy(block, this.pos, start, end);
    }
    this.pos += len;
    this.bytes += len;
  }

  /** One byte. */
  byte(c: number): void {
    if (this.pos >= this.blockSize) this.flush();
    this.block[this.pos++] = c;
    this.bytes++;
  }

  /** A non-negative integer in decimal. */
  int(n: number): void {
    this.reserve(16);
    const p = putInt(this.block, this.pos, n);
    this.bytes += p - this.pos;
    this.pos = p;
  }

  /** An ASCII/UTF-8 string. */
  text(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.copy(b, 0, b.length);
  }

  /**
   * `src[start, end)` as one RFC 4180 field: quoted, with quotes doubled, when it holds a
   * comma, a quote or a line break; as is otherwise.
   */
  csvField(src: Buffer, start: number, end: number): void {
    let plain = true;
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c === 0x2c || c === 0x22 || c === 0x0a || c === 0x0d) {
        plain = false;
        break;
      }
    }
    if (plain) {
      this.copy(src, start, end);
      return;
    }
    this.byte(0x22);
    let from = start;
    for (let i = start; i < end; i++) {
      if (src[i] === 0x22) {
        this.copy(src, from, i + 1);
        from = i;
      }
    }
    this.copy(src, from, end);
    this.byte(0x22);
  }

  /** Hands the current block to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    const data = this.block.subarray(0, this.pos);
    this.pos = 0;
    this.lend(data, true);
  }

  /** Flushes and ends the sink. */
  close(): void {
    this.flush();
    this.queue.run(() => this.sink?.end());
  }

  private lend(data: Uint8Array, isBlock: boolean): void {
    const done = this.queue.run(() => this.sink?.write(data));
    // The sink still holds the block (or will, when the queue reaches it): take a new one.
    if (isBlock && !done) this.block = Buffer.allocUnsafe(this.blockSize);
  }
}

/**
 * Writes a non-negative integer in decimal at `block[pos]` (room for 16 bytes is assumed).
 *
 * @param block - target bytes
 * @param pos - where the first digit goes
 * @param n - the integer
 * @returns the position after the last digit
 */
export function putInt(block: Uint8Array, pos: number, n: number): number {
  if (n >= 0x7fffffff) {
    // Past the 31-bit fast path: rare enough for a string.
    const text = String(n);
    for (let i = 0; i < text.length; i++) block[pos + i] = text.charCodeAt(i);
    return pos + text.length;
  }
  const digits =
    n < 10
      ? 1
      : n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 1e4
            ? 4
            : n < 1e5
              ? 5
              : n < 1e6
                ? 6
                : n < 1e7
                  ? 7
                  : n < 1e8
                    ? 8
                    : n < 1e9
                      ? 9
                      : 10;
  let p = pos + digits;
  let v = n;
  // Two digits a division, from a table of "00".."99".
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) * 2;
    block[--p] = PAIRS[r + 1] as number;
    block[--p] = PAIRS[r] as number;
    v = q;
  }
  if (v >= 10) {
    block[--p] = PAIRS[v * 2 + 1] as number;
    block[--p] = PAIRS[v * 2] as number;
  } else {
    block[--p] = 48 + v;
  }
  return pos + digits;
}

const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[i * 2] = 48 + ((i / 10) | 0);
  PAIRS[i * 2 + 1] = 48 + (i % 10);
}

/** One part file of the split output. */
export interface PartSummary {
  /** 1, 2, …: the order in which the parts were started. */
  part: number;
  /** The algorithm of every password hash in the part; absent when the part carries none. */
  passwordHashingAlgorithm?: PasswordHashingAlgorithm;
  /** Data rows in the part (the header not counted). */
  rows: number;
  /** Bytes in the part, header included. */
  bytes: number;
  /** Source physical line of the part's first data row. */
  firstSourceLine: number;
  /** Source physical line of the part's last data row. */
  lastSourceLine: number;
  /** Rows of the part that name a group, when the file has a `cognito:groups` column. */
  groupRows?: number;
}

/**
 * The part numbers of one file, shared by its splitters when rows are split by password hash
 * algorithm: parts are numbered in the order they start, whichever splitter starts them.
 */
export class PartNumbering {
  /** Every part started, in order. */
  readonly parts: PartSummary[] = [];
}

/** Cuts rows into parts within a byte and a row limit, each starting with the header. */
export class Splitter {
  /** Parts this splitter started. */
  readonly parts: PartSummary[] = [];
  /** Data row number of the last row written, within its part (1 = first data row). */
  partRow = 0;
  /** Number of the part the last row went to. */
  part = 0;
  private readonly numbering: PartNumbering;
  private readonly algorithm: PasswordHashingAlgorithm | undefined;
  private current: SinkWriter | undefined;
  private summary: PartSummary | undefined;
  private readonly queue: OutputQueue;
  private readonly factory: PartSinkFactory;
  private readonly header: Buffer;
  private readonly maxBytes: number;
  private readonly maxRows: number;
  private readonly blockSize: number;

  /**
   * @param queue - the run's output queue
   * @param factory - opens the sink of each part
   * @param header - the header line's bytes, with its LF
   * @param maxBytes - most bytes a part may hold (a part with a single row may exceed it only
   *   if header plus that row do)
   * @param maxRows - most data rows a part may hold
   * @param blockSize - bytes per block
   * @param numbering - the part numbers this splitter shares with others of the same file
   * @param algorithm - the password hash algorithm of this splitter's rows, if any
   */
  constructor(
    queue: OutputQueue,
    factory: PartSinkFactory,
    header: Buffer,
    maxBytes: number,
    maxRows: number,
    blockSize: number,
    numbering: PartNumbering = new PartNumbering(),
    algorithm?: PasswordHashingAlgorithm,
  ) {
    this.numbering = numbering;
    this.algorithm = algorithm;
    this.queue = queue;
    this.factory = factory;
    this.header = header;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
    this.blockSize = blockSize;
  }

  /**
   * Writes `src[start, end)` and a LF as the next row, starting a new part first if this row
   * would break a limit.
   *
   * @param src - the row's bytes in Cognito's dialect, without line end
   * @param start - first byte
   * @param end - byte after the last
   * @param sourceLine - the row's physical line in the source
   */
  row(src: Buffer, start: number, end: number, sourceLine: number): void {
    const w = this.beginRow(end - start, sourceLine);
    w.copy(src, start, end);
    this.endRow();
  }

  /**
   * Starts the next row of `length` bytes (without its LF), in a new part if this row would
   * break a limit. The caller then writes the row with the returned writer (directly into its
   * block when `length + 1` ≤ its capacity: room is reserved) and calls {@link endRow}.
   *
   * @param length - the row's bytes without line end
   * @param sourceLine - the row's physical line in the source
   */
  beginRow(length: number, sourceLine: number): SinkWriter {
    const len = length + 1;
    let w = this.current;
    let s = this.summary;
    if (
      w === undefined ||
      s === undefined ||
      s.rows >= this.maxRows ||
      (s.rows > 0 && w.bytes + len > this.maxBytes)
    ) {
      w?.close();
      const part = this.numbering.parts.length + 1;
      const factory = this.factory;
      w = new SinkWriter(this.queue, this.blockSize, () => factory(part));
      w.copy(this.header, 0, this.header.length);
      s = { part, rows: 0, bytes: 0, firstSourceLine: sourceLine, lastSourceLine: sourceLine };
      if (this.algorithm) s.passwordHashingAlgorithm = this.algorithm;
      this.parts.push(s);
      this.numbering.parts.push(s);
      this.part = part;
      this.current = w;
      this.summary = s;
    }
    if (len <= w.capacity) w.reserve(len);
    s.lastSourceLine = sourceLine;
    return w;
  }

  /** Ends the row begun with {@link beginRow}. */
  endRow(): void {
    const w = this.current as SinkWriter;
    const s = this.summary as PartSummary;
    w.byte(10);
    s.rows++;
    s.bytes = w.bytes;
    this.partRow = s.rows;
  }

  /** Ends the last part. */
  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}
