import { type ByteSink, type OutputQueue, putInt, SinkWriter } from './output.ts';
import { fieldText } from './reader.ts';

const LF = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;

/** The line map's header: see `ValidateOptions.map`. */
export const LINE_MAP_HEADER = 'part,part_row,part_line,source_line,source_row,username\n';

/** Five integers, their commas and the LF: room for everything of a map line but the username. */
const NUMBERS_ROOM = 64;

/**
 * Writes the line map, a CSV of one line per row written to a part: where the row is in its part,
 * where it was in the source, and its username (the map's only personal data).
 */
export class LineMapWriter {
  private readonly out: SinkWriter;

  /**
   * @param queue - the run's output queue
   * @param blockSize - bytes per block handed to the sink
   * @param sink - receives the map
   */
  constructor(queue: OutputQueue, blockSize: number, sink: ByteSink) {
    this.out = new SinkWriter(queue, blockSize, () => sink);
    this.out.text(LINE_MAP_HEADER);
  }

  /**
   * Adds one row's line. Called for every row written (the part writers' hot path): the numbers
   * and a plain username go straight into the output block.
   *
   * @param part - the part the row went to
   * @param partRow - its data-row number in the part (1 = first); its line there is one more
   * @param sourceLine - its physical line in the source (header = 1)
   * @param sourceRow - its data-row number in the source (1 = first)
   * @param name - the username's bytes in Cognito's dialect are `name[start, end)`
   * @param start - first byte of the username
   * @param end - byte after its last
   */
  add(
    part: number,
    partRow: number,
    sourceLine: number,
    sourceRow: number,
    name: Buffer,
    start: number,
    end: number,
  ): void {
    const out = this.out;
    const room = NUMBERS_ROOM + end - start;
    if (room > out.capacity) {
      this.addSlowly(part, partRow, sourceLine, sourceRow, name, start, end);
      return;
    }
    out.reserve(room);
    const block = out.block;
    const lineStart = out.pos;
    let p = putInt(block, lineStart, part);
    block[p++] = COMMA;
    p = putInt(block, p, partRow);
    block[p++] = COMMA;
    p = putInt(block, p, partRow + 1);
    block[p++] = COMMA;
    p = putInt(block, p, sourceLine);
    block[p++] = COMMA;
    p = putInt(block, p, sourceRow);
    block[p++] = COMMA;
    const nameAt = p;
    for (let i = start; i < end; i++) {
      const c = name[i] as number;
      if (c === BACKSLASH || c === QUOTE) {
        // An escaped comma or a quote: the map is RFC 4180, so write the logical value quoted.
        out.advance(nameAt - lineStart);
        this.writeUsername(name, start, end);
        out.byte(LF);
        return;
      }
      block[p++] = c;
    }
    block[p++] = LF;
    out.advance(p - lineStart);
  }

  /** Ends the map. */
  close(): void {
    this.out.close();
  }

  /** The same line for a username longer than an output block. */
  private addSlowly(
    part: number,
    partRow: number,
    sourceLine: number,
    sourceRow: number,
    name: Buffer,
    start: number,
    end: number,
  ): void {
    const out = this.out;
    for (const n of [part, partRow, partRow + 1, sourceLine, sourceRow]) {
      out.int(n);
      out.byte(COMMA);
    }
    this.writeUsername(name, start, end);
    out.byte(LF);
  }

  private writeUsername(name: Buffer, start: number, end: number): void {
    const logical = Buffer.from(fieldText(name, start, end), 'utf8');
    this.out.csvField(logical, 0, logical.length);
  }
}
