import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FunctionConfig } from '../config.ts';
import { CsvReader, fieldText, intField } from '../csv/index.ts';
import { type JobLogStats, lineNumberOffset, logGroups, readJobLog } from './job-log.ts';
import { failuresKey, postImportFailuresPrefix } from './keys.ts';
import type { Log } from './telemetry.ts';
import type { Outcome, OutcomeJob, PartRef } from './types.ts';

/*
 * failures.csv: each FAILED and SKIPPED line of a run's import logs, mapped back to its source
 * line and username through the run's line map. The largest report is a file imported again,
 * every row SKIPPED: up to 500,000 log lines per part, ten parts or more for a 1 GB file. So:
 *
 * - each part's log is read once, page after page (FilterLogEvents: at most 10,000 events or
 *   1 MB a page, under an account-wide rate quota), three parts at a time, and a page that is
 *   throttled or meets a service fault is asked for again after a pause, rather than the whole
 *   report failing and starting over from the first page;
 * - what a log line says is kept as two numbers (its part row, and an index into the handful of
 *   distinct outcomes and reasons), 8 bytes a line, not as strings;
 * - the line map, one file for every part in source order (parts of different password hash
 *   algorithms interleave in it), is read once, with the project's own CSV reader: each row is
 *   matched against its part's lines, sorted by part row, and a username is decoded only for a
 *   row that failed or was skipped. Reading stops as soon as no part has a line left to match.
 *
 * The rows come out in source order, then the rows whose update or membership failed in the
 * post-import phase (outcome POST_IMPORT_FAILED), part by part. A log line whose part row is not in the map (a line
 * numbering the pipeline was told wrongly, COGNITO_LINE_NUMBERING) is kept, with line 0 and no
 * username, where its part row falls.
 */

export interface FailuresDeps {
  s3: Pick<S3Client, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  config: Pick<FunctionConfig, 'cognitoLineNumbering'>;
  now: () => number;
  log?: Log;
  /** Waits before a log page is asked for again (real time unless given). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A part whose import job failed or skipped rows, or whose post-import phase failed some: where
 * its rows are mapped, and its job.
 */
export interface FailedPart {
  part: Pick<PartRef, 'index' | 'bucket' | 'mapKey'>;
  job: Pick<OutcomeJob, 'jobId' | 'jobName' | 'failedUsers' | 'skippedUsers'>;
  /**
   * The rows the job skipped were handed to the post-import phase (`existingUsers: update`),
   * which updated them or lists them among its own failures: the SKIPPED lines are left out.
   */
  skippedUpdated?: boolean;
  /** Rows whose update or membership failed, in the part's post-import failure files. */
  postImportFailed?: number;
}

/** Rows of the job's log failures.csv takes for a part. */
const loggedRows = ({ job, skippedUpdated }: FailedPart) =>
  job.failedUsers + (skippedUpdated ? 0 : job.skippedUsers);

/**
 * Parts whose logs are read at once. CloudWatch Logs allows FilterLogEvents 5 times a second per
 * account and Region: one reader at a time leaves most of that unused when a page takes longer
 * than 200 ms to answer, more than a few would mostly be throttled (and would starve the other
 * readers of the account's logs).
 */
const LOG_READERS = 3;
/** The output is handed on in pieces of about this many characters. */
const CHUNK_CHARS = 1 << 16;
const SAMPLE_SIZE = 10;

const LOG_LINE = /^\[(FAILED|SKIPPED)\] Line Number (\d+) - (.*)$/;

const csvCell = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/**
 * The distinct outcome-and-reason pairs of a run's log lines. Cognito's messages are a fixed set
 * that holds no user data, so a run has a handful; each line keeps only its pair's index.
 */
class Outcomes {
  private readonly ids = new Map<string, number>();
  /** Per pair: the end of its failures.csv row (`outcome,reason\n`). */
  readonly tails: string[] = [];
  /** Per pair: how the outcome's sample words it. */
  readonly reasons: string[] = [];

  private last = { outcome: '', reason: '', id: -1 };

  id(outcome: string, reason: string): number {
    // Runs of lines with the same reason are the rule (a re-import: every line the same).
    const last = this.last;
    if (outcome === last.outcome && reason === last.reason) return last.id;
    const key = `${outcome}\n${reason}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.tails.length;
      this.ids.set(key, id);
      this.tails.push(`${outcome},${csvCell(reason)}\n`);
      this.reasons.push(`${outcome}: ${reason}`);
    }
    this.last = { outcome, reason, id };
    return id;
  }
}

/** One part's FAILED and SKIPPED log lines, in log order: part rows and outcome ids. */
class PartLines {
  rows: Uint32Array;
  ids: Uint32Array;
  length = 0;
  /** The lines in part-row order (ties in log order), once {@link sort} has run. */
  order: Uint32Array | undefined;
  /** The next line of `order` (or of log order) not yet written. */
  next = 0;

  /**
   * @param expected - the lines expected (the job's failed and skipped users, at most Cognito's
   *   500,000 rows a job): room for them up front, so the arrays are not grown and copied.
   */
  constructor(expected: number) {
    const capacity = Number.isSafeInteger(expected)
      ? Math.min(Math.max(16, expected), 1 << 20)
      : 16;
    this.rows = new Uint32Array(capacity);
    this.ids = new Uint32Array(this.rows.length);
  }

  push(row: number, id: number): void {
    if (this.length === this.rows.length) {
      const rows = new Uint32Array(this.length * 2);
      rows.set(this.rows);
      this.rows = rows;
      const ids = new Uint32Array(this.length * 2);
      ids.set(this.ids);
      this.ids = ids;
    }
    this.rows[this.length] = row;
    this.ids[this.length] = id;
    this.length++;
  }

  /** Orders the lines by part row; logs usually come in that order, and then nothing moves. */
  sort(): void {
    const rows = this.rows;
    let sorted = true;
    for (let i = 1; i < this.length && sorted; i++)
      sorted = (rows[i - 1] as number) <= (rows[i] as number);
    if (sorted) return;
    const order = new Uint32Array(this.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => (rows[a] as number) - (rows[b] as number) || a - b);
    this.order = order;
  }

  /** Index of the next line to write, in part-row order; -1 when all are written. */
  peek(): number {
    if (this.next >= this.length) return -1;
    return this.order ? (this.order[this.next] as number) : this.next;
  }
}

interface Stats extends JobLogStats {
  unmatched: number;
}

/** Reads the FAILED and SKIPPED lines of one job's log, every page, into `lines`. */
async function readFailedLines(
  deps: FailuresDeps,
  stats: Stats,
  groups: string[],
  job: FailedPart['job'],
  outcomes: Outcomes,
  lines: PartLines,
  stop: AbortSignal,
  withSkipped: boolean,
): Promise<void> {
  const offset = lineNumberOffset(deps.config.cognitoLineNumbering);
  await readJobLog(
    deps,
    stats,
    groups,
    job,
    withSkipped ? '?FAILED ?SKIPPED' : 'FAILED',
    (message) => {
      const match = LOG_LINE.exec(message);
      if (!match || (!withSkipped && match[1] === 'SKIPPED')) return;
      const row = Number(match[2]) - offset;
      // A number no map row can have (the header's, or beyond 32 bits) is kept as row 0.
      lines.push(
        row > 0 && row <= 0xffffffff ? row : 0,
        outcomes.id(match[1] as string, match[3] ?? ''),
      );
    },
    stop,
  );
}

/**
 * failures.csv's rows for the parts that share one line map, in the map's (source) order, in
 * pieces of about CHUNK_CHARS: reads the map once, and stops as soon as every part's lines are
 * written.
 */
async function* mappedRows(
  deps: FailuresDeps,
  bucket: string,
  mapKey: string,
  byPart: Map<number, PartLines>,
  outcomes: Outcomes,
  onRow: (line: number, id: number) => void,
  stats: Stats,
): AsyncGenerator<string> {
  let out = '';
  /** Pieces of about CHUNK_CHARS, ready to be handed on. */
  const ready: string[] = [];
  let open = 0;
  for (const lines of byPart.values()) if (lines.peek() >= 0) open++;
  const write = (lines: PartLines, at: number, line: number, username: string) => {
    const id = lines.ids[at] as number;
    out += `${line},${csvCell(username)},${outcomes.tails[id]}`;
    if (out.length >= CHUNK_CHARS) {
      ready.push(out);
      out = '';
    }
    onRow(line, id);
    lines.next++;
    if (lines.next === lines.length) open--;
  };
  const reader = new CsvReader(
    {
      record(rec) {
        if (rec.count < 6) return;
        const lines = byPart.get(intField(rec, 0));
        if (!lines) return;
        let at = lines.peek();
        if (at < 0) return;
        const partRow = intField(rec, 1);
        // Lines of rows the map does not have (it goes past them): kept, without a source.
        while (at >= 0 && (lines.rows[at] as number) < partRow) {
          stats.unmatched++;
          write(lines, at, 0, '');
          at = lines.peek();
        }
        if (at < 0 || lines.rows[at] !== partRow) return;
        const line = intField(rec, 3);
        const username = fieldText(
          rec.bufferOf(5),
          rec.fieldStart[5] as number,
          rec.fieldEnd[5] as number,
        );
        while (at >= 0 && lines.rows[at] === partRow) {
          write(lines, at, Math.max(line, 0), username);
          at = lines.peek();
        }
      },
      blank() {},
      overlong() {},
      utf16() {},
    },
    // The map is RFC 4180 (a username with a comma or a quote is quoted); its longest line is a
    // username at the validator's value limit, well within this.
    { quotes: true, maxLineBytes: 64 * 1024 },
  );
  if (open > 0) {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: mapKey }));
    for await (const chunk of object.Body as AsyncIterable<Uint8Array | string>) {
      reader.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      yield* ready.splice(0);
      // Breaking out of the loop closes the object's stream: the rest of the map is not read.
      if (open === 0) break;
    }
    if (open > 0) reader.end();
    yield* ready.splice(0);
  }
  // What the map never reached: lines past its last row of their part.
  for (const [, lines] of [...byPart].sort(([a], [b]) => a - b))
    for (let at = lines.peek(); at >= 0; at = lines.peek()) {
      stats.unmatched++;
      write(lines, at, 0, '');
      yield* ready.splice(0);
    }
  yield* ready.splice(0);
  if (out) yield out;
}

/** A row of a post-import failure file: `source_line,username,reason`, RFC 4180 quoted. */
const POST_IMPORT_ROW = /^(\d+),("(?:[^"]|"")*"|[^,]*),(.*)$/;
const unquote = (cell: string) =>
  cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;

/**
 * The rows of a part whose update or membership failed (src/workflow/post-import), as rows of
 * failures.csv with the outcome POST_IMPORT_FAILED: its failure files, one per batch, in order.
 * They are small (a batch's failures), so each is read whole.
 */
async function* postImportRows(
  deps: FailuresDeps,
  bucket: string,
  run: string,
  part: number,
  onRow: (line: number, reason: string) => void,
): AsyncGenerator<string> {
  const prefix = postImportFailuresPrefix(run, part);
  let ContinuationToken: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
    );
    for (const { Key } of page.Contents ?? []) {
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const text = await (
        object.Body as { transformToString(): Promise<string> }
      ).transformToString();
      let out = '';
      for (const line of text.split('\n').slice(1)) {
        const match = POST_IMPORT_ROW.exec(line);
        if (!match) continue;
        const [, number, username, reason] = match as unknown as [string, string, string, string];
        out += `${number},${username},POST_IMPORT_FAILED,${reason}\n`;
        onRow(Number(number), `POST_IMPORT_FAILED: ${unquote(reason)}`);
      }
      if (out) yield out;
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
}

/**
 * Writes `reports/<run>/failures.csv` for the parts whose jobs failed or skipped rows, and
 * answers what the outcome says of it: its key, its row count and the first rows' reasons.
 * The file goes to a temporary file first (its size is not known up front) and to S3 once,
 * whole, at the end; nothing is written when no row failed or was skipped.
 *
 * @throws the SDK's errors: throttling and service faults that outlast a page's tries, the line
 *   map missing or refused.
 */
export async function writeFailures(
  deps: FailuresDeps,
  run: string,
  bucket: string,
  userPoolId: string,
  parts: FailedPart[],
): Promise<Outcome['failures']> {
  if (parts.length === 0) return { reportKey: failuresKey(run), count: 0, sample: [] };
  const started = deps.now();
  const stats: Stats = { logPages: 0, logRetries: 0, unmatched: 0 };
  const outcomes = new Outcomes();
  const sample: { line: number; reason: string }[] = [];
  let count = 0;
  const onRow = (line: number, id: number) => {
    count++;
    if (sample.length < SAMPLE_SIZE) sample.push({ line, reason: outcomes.reasons[id] as string });
  };

  // 1. Every part's log lines, LOG_READERS parts at a time. The first error stops the others
  // between pages: nothing may go on reading after the invocation has failed.
  const groups = await logGroups(deps, stats, userPoolId);
  const read: PartLines[] = [];
  const stop = new AbortController();
  let next = 0;
  const reader = async () => {
    while (next < parts.length && !stop.signal.aborted) {
      const at = next++;
      const part = parts[at] as FailedPart;
      const lines = new PartLines(loggedRows(part));
      if (loggedRows(part) > 0) {
        const { job, skippedUpdated } = part;
        await readFailedLines(
          deps,
          stats,
          groups,
          job,
          outcomes,
          lines,
          stop.signal,
          !skippedUpdated,
        );
      }
      lines.sort();
      read[at] = lines;
    }
  };
  const readers = await Promise.allSettled(
    Array.from({ length: Math.min(LOG_READERS, parts.length) }, () =>
      reader().catch((error: unknown) => {
        stop.abort();
        throw error;
      }),
    ),
  );
  const failed = readers.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const maps = new Map<
    string,
    { bucket: string; mapKey: string; byPart: Map<number, PartLines> }
  >();
  parts.forEach((failed, at) => {
    if (loggedRows(failed) === 0) return;
    const { part } = failed;
    const where = `${part.bucket}\n${part.mapKey}`;
    const map = maps.get(where) ?? { bucket: part.bucket, mapKey: part.mapKey, byPart: new Map() };
    map.byPart.set(part.index, read[at] as PartLines);
    maps.set(where, map);
  });

  // 2. One pass over the line map, into a temporary file.
  async function* rows(): AsyncGenerator<string> {
    yield 'line,username,outcome,reason\n';
    for (const map of maps.values())
      yield* mappedRows(deps, map.bucket, map.mapKey, map.byPart, outcomes, onRow, stats);
    for (const failed of parts)
      if ((failed.postImportFailed ?? 0) > 0)
        yield* postImportRows(deps, failed.part.bucket, run, failed.part.index, (line, reason) => {
          count++;
          if (sample.length < SAMPLE_SIZE) sample.push({ line, reason });
        });
  }
  // pipeline() ends on the first error of either side (a hand-written write loop waited for a
  // 'drain' that a failed file stream never sends).
  const dir = await mkdtemp(join(tmpdir(), 'failures-'));
  const file = join(dir, 'failures.csv');
  const out = createWriteStream(file);
  try {
    await pipeline(Readable.from(rows()), out);
    const reportKey = failuresKey(run);
    let bytes = 0;
    if (count > 0) {
      bytes = (await stat(file)).size;
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: reportKey,
          Body: createReadStream(file),
          ContentLength: bytes,
          ContentType: 'text/csv',
        }),
      );
    }
    deps.log?.info('failures.csv written', {
      rows: count,
      bytes,
      parts: parts.length,
      logPages: stats.logPages,
      logRetries: stats.logRetries,
      unmatched: stats.unmatched,
      seconds: (deps.now() - started) / 1000,
    });
    return { reportKey, count, sample };
  } finally {
    // The file is removed once closed, so nothing is still writing into a removed folder.
    if (!out.closed) await new Promise<void>((resolve) => out.destroy().once('close', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
