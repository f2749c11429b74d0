import { Transform, type TransformCallback } from 'node:stream';
import { incompleteBody, S3Error } from './errors.ts';

const MAX_LINE = 8 * 1024;

const malformed = (why: string) =>
  new S3Error('InvalidRequest', `The aws-chunked request body is malformed: ${why}.`);

/**
 * Decodes an `aws-chunked` body (the framing SigV4 streaming uploads use, and the SDK v3 sends for
 * every stream under its default flexible checksums):
 *
 *     <hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0[;…]\r\n<trailer: value>\r\n … \r\n
 *
 * Only the payload comes out; trailing headers (`x-amz-checksum-crc32`, …) are kept in
 * `trailers` for the caller to verify. Storing the framing as object bytes is exactly the s3rver
 * bug this twin exists to avoid. Chunk signatures are not checked: the twin accepts any
 * credentials.
 */
export class AwsChunkedDecoder extends Transform {
  /** Trailing headers, lower-cased names. */
  readonly trailers = new Map<string, string>();
  /** Payload bytes passed on so far. */
  decodedBytes = 0;
  private state: 'size' | 'data' | 'cr' | 'lf' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private line = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // A body that ends inside the trailer section, without its final empty line, lost nothing;
    // one that ends before the zero-size chunk was cut short.
    if (this.state === 'trailer' && this.line.length > 0) this.trailerLine(this.line);
    if (this.state === 'done' || this.state === 'trailer') callback();
    else callback(incompleteBody());
  }

  private consume(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - i);
          this.push(chunk.subarray(i, i + n));
          this.decodedBytes += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = 'cr';
          break;
        }
        case 'cr':
          if (chunk[i] !== 0x0d) throw malformed('a chunk is longer than its declared size');
          this.state = 'lf';
          i++;
          break;
        case 'lf':
          if (chunk[i] !== 0x0a) throw malformed('a chunk is not followed by CRLF');
          this.state = 'size';
          i++;
          break;
        case 'size':
        case 'trailer': {
          const newline = chunk.indexOf(0x0a, i);
          const end = newline === -1 ? chunk.length : newline;
          this.line += chunk.toString('latin1', i, end);
          if (this.line.length > MAX_LINE) throw malformed('a chunk header is too long');
          i = newline === -1 ? chunk.length : newline + 1;
          if (newline === -1) break;
          const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
          this.line = '';
          if (this.state === 'size') this.sizeLine(line);
          else this.trailerLine(line);
          break;
        }
        case 'done':
          // Anything after the final empty line is not part of the object.
          return;
      }
    }
  }

  private sizeLine(line: string): void {
    const hex = (line.split(';')[0] ?? '').trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw malformed('a chunk size is not hexadecimal');
    const size = Number.parseInt(hex, 16);
    if (!Number.isSafeInteger(size)) throw malformed('a chunk size is too large');
    if (size === 0) this.state = 'trailer';
    else {
      this.remaining = size;
      this.state = 'data';
    }
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a trailing header has no name');
    this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}
