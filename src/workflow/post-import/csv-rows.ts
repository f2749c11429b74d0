import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CsvReader, type RecordView } from '../../csv/index.ts';

/*
 * The files the post-import phase reads beside each other, each once and forward only, as
 * streams: the part (Cognito's dialect), the memberships and the line map (RFC 4180). Each is
 * read up to the rows the invocation works on and no further, and nothing of them is kept but
 * the row at hand.
 */

/**
 * The records of an S3 object that `pick` keeps, in file order. `pick` sees each record while
 * the reader lends it (it must copy what it keeps) and answers undefined to leave one out.
 * Leaving the loop early closes the object's stream: the rest is not read.
 */
export async function* pickedRecords<T>(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  key: string,
  quotes: boolean,
  pick: (rec: RecordView) => T | undefined,
): AsyncGenerator<T> {
  const out: T[] = [];
  const reader = new CsvReader(
    {
      record(rec) {
        const picked = pick(rec);
        if (picked !== undefined) out.push(picked);
      },
      blank() {},
      overlong() {},
      utf16() {},
    },
    // A part's line is at most 16,000 characters, 4 bytes each; a row's groups, 100 names of
    // at most 128 characters, fit too.
    { quotes, maxLineBytes: 4 * 16_000 + 8 },
  );
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  for await (const chunk of object.Body as AsyncIterable<Uint8Array | string>) {
    reader.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    yield* out.splice(0);
  }
  reader.end();
  yield* out.splice(0);
}

/**
 * Looks rows up by increasing part row in a stream sorted by part row: each lookup reads on
 * until it reaches the row, and a row the stream does not have answers undefined.
 */
export class RowLookup<T extends { row: number }> {
  private head: T | undefined;
  private ended = false;
  private iterator: AsyncIterator<T> | undefined;

  /** @param open - opens the stream, on the first lookup only (a file never needed is never read) */
  private readonly open: () => AsyncIterator<T>;

  constructor(open: () => AsyncIterator<T>) {
    this.open = open;
  }

  async at(row: number): Promise<T | undefined> {
    this.iterator ??= this.open();
    while (!this.ended && (this.head === undefined || this.head.row < row)) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else this.head = next.value;
    }
    return this.head?.row === row ? this.head : undefined;
  }

  /** Closes the stream, if it was opened. */
  async close(): Promise<void> {
    await this.iterator?.return?.();
  }
}
