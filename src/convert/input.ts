import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { ByteSource } from './types.ts';

/** The input is not in the shape its source writes (a usage problem, not a user's). */
export class ExportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportFormatError';
  }
}

async function* chunksOf(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === 'string'
      ? Buffer.from(chunk, 'utf8')
      : Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * The bytes of an export, decompressed when it is gzip (Auth0 hands its exports out as
 * `.json.gz`): the first bytes decide, not the file's name.
 */
export async function* decompressed(source: ByteSource): AsyncGenerator<Buffer> {
  const chunks = chunksOf(source);
  const first = await chunks.next();
  if (first.done) return;
  const head = first.value;
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    yield* chunks;
    return;
  }
  async function* all() {
    yield head;
    yield* chunks;
  }
  yield* Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>;
}

/** One line of an NDJSON file: its number, its value and text, or why it could not be read. */
export type NdjsonLine =
  | { line: number; value: unknown; text: string }
  | { line: number; error: string };

/**
 * The records of an NDJSON file (one JSON value a line; blank lines skipped), streamed: a line
 * that is not JSON is reported as such and the next ones are still read.
 */
export async function* ndjsonLines(source: ByteSource): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let line = 0;
  const parseLine = (text: string): NdjsonLine => {
    line++;
    try {
      return { line, value: JSON.parse(text), text };
    } catch {
      return { line, error: 'not a JSON value' };
    }
  };
  for await (const chunk of decompressed(source)) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const raw = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
      if (raw.trim() === '') {
        line++;
        continue;
      }
      yield parseLine(raw);
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest.trim() !== '') yield parseLine(rest);
}

/**
 * The rows of a CSV file with a header row (RFC 4180, as PostgreSQL's `COPY … WITH CSV HEADER`
 * and spreadsheets write it), each as an object keyed by column name.
 *
 * @throws ExportFormatError when a row cannot be read as CSV
 */
export async function* csvRows(source: ByteSource): AsyncGenerator<Record<string, string>> {
  const parser = Readable.from(decompressed(source)).pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
    }),
  );
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) yield row;
  } catch (error) {
    // csv-parse's messages quote the offending line: name the line, never its content.
    const line = (error as { lines?: number }).lines;
    throw new ExportFormatError(
      `The CSV cannot be read${line ? ` at line ${line}` : ''}: ${(error as { code?: string }).code ?? 'malformed'}.`,
    );
  }
}
