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
