import { readSync } from 'node:fs';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export interface LineBatch {
  lines: string[];
  /** Where the next read starts: just after the last line returned. */
  nextOffset: number;
  eof: boolean;
}

/**
 * Reads up to `maxLines` whole lines from a file descriptor, starting at a byte offset, so the
 * importer can stop after any batch and resume there after a restart. A line longer than the
 * buffer grows the buffer rather than being cut. A CR before the LF goes (values are trimmed
 * anyway); the BOM is kept, as Cognito's reader would see it.
 */
export function readLines(fd: number, offset: number, maxLines: number): LineBatch {
  let size = 1 << 20;
  for (;;) {
    const buffer = Buffer.allocUnsafe(size);
    const read = readSync(fd, buffer, 0, size, offset);
    const atEnd = read < size;
    const lines: string[] = [];
    let start = 0;
    while (lines.length < maxLines) {
      const newline = buffer.indexOf(10, start);
      if (newline < 0 || newline >= read) break;
      let end = newline;
      if (end > start && buffer[end - 1] === 13) end--;
      lines.push(decoder.decode(buffer.subarray(start, end)));
      start = newline + 1;
    }
    if (lines.length < maxLines && atEnd && start < read) {
      let end = read;
      if (buffer[end - 1] === 13) end--;
      lines.push(decoder.decode(buffer.subarray(start, end)));
      start = read;
    }
    if (lines.length === 0 && !atEnd) {
      size *= 2;
      continue;
    }
    return { lines, nextOffset: offset + start, eof: atEnd && start >= read };
  }
}

/**
 * Counts the lines of a file as it streams past, the way readLines splits them: every line ended
 * by LF, and a last one without; a line that is empty, or holds only a CR, is blank. The upload
 * counts its file this way, so a job knows its row count before it reads a row.
 */
export class LineCounter {
  lines = 0;
  blank = 0;
  private length = 0;
  private first = -1;

  update(chunk: Buffer): void {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      if (end > start) {
        if (this.length === 0) this.first = chunk[start] as number;
        this.length += end - start;
      }
      if (newline < 0) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** Counts a last line that has no LF. Call once, at the end of the stream. */
  end(): { lines: number; blank: number } {
    if (this.length > 0) this.endLine();
    return { lines: this.lines, blank: this.blank };
  }

  private endLine(): void {
    this.lines++;
    if (this.length === 0 || (this.length === 1 && this.first === 13)) this.blank++;
    this.length = 0;
    this.first = -1;
  }
}
