/**
 * Streams the elements of one array in a JSON document without holding the document: the users
 * of a Keycloak realm export (`{"realm": …, "users": [ … ]}`) or of a Firebase export
 * (`{"users": [ … ]}`) may be gigabytes. A byte scanner finds the array under the given key of
 * the top-level object, cuts each element out by bracket depth (strings and escapes skipped),
 * and only then hands the element to `JSON.parse`. Memory is bounded by the largest element.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** The most bytes one element may take (a user is a few kilobytes). */
export const MAX_ELEMENT_BYTES = 16 * 1024 * 1024;

/** The document is not the JSON the scanner expected. */
export class JsonShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonShapeError';
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

type Phase = 'start' | 'seek' | 'items' | 'done';

/**
 * Push-style scanner: `write` each chunk, collect the elements it returns (as raw bytes), then
 * `end`. Results do not depend on where chunks are cut.
 */
export class JsonArrayScanner {
  private phase: Phase = 'start';
  private depth = 0;
  private inString = false;
  private escaped = false;
  // Top level: whether the next string is a key, the key being read, and what follows it.
  private expectKey = false;
  private keyBytes: number[] | undefined;
  private lastKey = '';
  private afterKey: 'none' | 'colon' | 'value' = 'none';
  // Items: where the current element started in the current chunk, and its earlier pieces.
  private elementStart = -1;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private arrayDepth = 0;
  private found = false;

  private readonly key: string | undefined;

  /** @param key - the top-level key whose array to read; undefined: the document is the array */
  constructor(key: string | undefined) {
    this.key = key;
  }

  /** Whether the array was found (by the end, so that a document without it can be told). */
  get sawArray(): boolean {
    return this.found;
  }

  write(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n && this.phase !== 'done') {
      const c = chunk[i] as number;
      if (this.inString) {
        // Jump to the next quote or backslash: strings are most of a user's bytes.
        if (this.escaped) {
          this.escaped = false;
          if (this.keyBytes) this.keyBytes.push(c);
          i++;
          continue;
        }
        if (c === BACKSLASH) {
          this.escaped = true;
          if (this.keyBytes) this.keyBytes.push(c);
          i++;
          continue;
        }
        if (c === QUOTE) {
          this.inString = false;
          if (this.keyBytes) this.endKey();
          i++;
          continue;
        }
        if (this.keyBytes) {
          if (this.keyBytes.length < 256) this.keyBytes.push(c);
          i++;
          continue;
        }
        const q = chunk.indexOf(QUOTE, i);
        const b = chunk.indexOf(BACKSLASH, i);
        const next = q < 0 ? b : b < 0 ? q : Math.min(q, b);
        i = next < 0 ? n : next;
        continue;
      }
      if (this.phase === 'items') {
        i = this.item(chunk, i, c, out);
        continue;
      }
      this.top(c);
      i++;
    }
    if (this.phase === 'items' && this.elementStart >= 0) {
      // The element goes on in the next chunk, which it then starts.
      this.keep(chunk.subarray(this.elementStart));
      this.elementStart = 0;
    }
    return out;
  }

  /** Checks that the document ended where it should. */
  end(): void {
    if (this.phase === 'items')
      throw new JsonShapeError('The JSON document ends inside the array of users.');
    if (this.phase === 'start') throw new JsonShapeError('The JSON document is empty.');
  }

  private keep(piece: Buffer): void {
    this.pieceBytes += piece.length;
    if (this.pieceBytes > MAX_ELEMENT_BYTES)
      throw new JsonShapeError(`A user record is larger than ${MAX_ELEMENT_BYTES} bytes.`);
    this.pieces.push(Buffer.from(piece));
  }

  // Before and around the array: the top-level object, its keys, and the values skipped.
  private top(c: number): void {
    if (isSpace(c)) return;
    if (this.phase === 'start') {
      if (this.key === undefined) {
        if (c !== OPEN_ARRAY) throw new JsonShapeError('The JSON document is not an array.');
        this.startItems(1);
        return;
      }
      if (c !== OPEN_OBJECT) throw new JsonShapeError('The JSON document is not an object.');
      this.phase = 'seek';
      this.depth = 1;
      this.expectKey = true;
      return;
    }
    // phase 'seek'
    if (c === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && this.expectKey) {
        this.keyBytes = [];
        this.expectKey = false;
      }
      return;
    }
    if (this.depth === 1 && this.afterKey === 'colon') {
      if (c === COLON) this.afterKey = 'value';
      return;
    }
    if (this.depth === 1 && this.afterKey === 'value') {
      this.afterKey = 'none';
      if (this.lastKey === this.key && c === OPEN_ARRAY) {
        this.depth = 2;
        this.startItems(2);
        return;
      }
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth++;
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      this.depth--;
      if (this.depth === 0) this.phase = 'done';
    } else if (c === COMMA && this.depth === 1) this.expectKey = true;
  }

  private endKey(): void {
    this.lastKey = Buffer.from(this.keyBytes as number[]).toString('utf8');
    this.keyBytes = undefined;
    this.afterKey = 'colon';
  }

  private startItems(depth: number): void {
    this.phase = 'items';
    this.found = true;
    this.arrayDepth = depth;
    this.depth = depth;
    this.elementStart = -1;
  }

  // Inside the array: returns the index of the next byte to look at.
  private item(chunk: Buffer, i: number, c: number, out: Buffer[]): number {
    const inElement = this.elementStart >= 0 || this.pieces.length > 0;
    if (!inElement) {
      if (isSpace(c) || c === COMMA) return i + 1;
      if (c === CLOSE_ARRAY) {
        // The array is over; the rest of the document is not read.
        this.phase = 'done';
        return i + 1;
      }
      this.elementStart = i;
    }
    if (c === QUOTE) {
      this.inString = true;
      return i + 1;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      this.depth++;
      return i + 1;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (this.depth === this.arrayDepth) {
        // A scalar element ended by the array's close.
        this.emit(chunk, i, out);
        this.phase = 'done';
        return i + 1;
      }
      this.depth--;
      if (this.depth === this.arrayDepth) this.emit(chunk, i + 1, out);
      return i + 1;
    }
    if (c === COMMA && this.depth === this.arrayDepth) {
      this.emit(chunk, i, out);
      return i + 1;
    }
    return i + 1;
  }

  private emit(chunk: Buffer, end: number, out: Buffer[]): void {
    const start = Math.max(this.elementStart, 0);
    const tail = chunk.subarray(start, end);
    if (this.pieces.length === 0) out.push(Buffer.from(tail));
    else {
      this.pieces.push(Buffer.from(tail));
      out.push(Buffer.concat(this.pieces));
    }
    this.pieces = [];
    this.pieceBytes = 0;
    this.elementStart = -1;
  }
}

/**
 * The elements of the array under `key` in a JSON document, parsed one at a time.
 *
 * @param source - the document's bytes
 * @param key - the top-level key (undefined: the document is the array itself)
 * @param options - `optional`: a document without the array has no elements, rather than fail
 * @throws JsonShapeError when the document is not an object (or array), is cut short, or has
 *   no such array; SyntaxError when an element is not valid JSON
 */
export async function* jsonArrayItems(
  source: AsyncIterable<Uint8Array>,
  key: string | undefined,
  options: { optional?: boolean } = {},
): AsyncGenerator<unknown> {
  const scanner = new JsonArrayScanner(key);
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    for (const element of scanner.write(buf)) yield JSON.parse(element.toString('utf8'));
  }
  scanner.end();
  if (!scanner.sawArray && !options.optional)
    throw new JsonShapeError(`The JSON document has no "${key ?? ''}" array at its top level.`);
}
