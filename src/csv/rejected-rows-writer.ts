import type { RuleCode } from './codes.ts';
import { labelAt } from './header-plan.ts';
import { type ByteSink, type OutputQueue, SinkWriter } from './output.ts';
import type { RecordView } from './reader.ts';

const LF = 0x0a;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;

/** The rejected rows' header: see `ValidateOptions.rejected`. */
export const REJECTED_ROWS_HEADER = 'line,row,reasons,record\n';

/** Reasons listed per rejected row; the report counts every error. */
export const MAX_REASONS = 16;

/**
 * Writes the invalid rows with their reasons, a CSV `line,row,reasons,record` (reasons as
 * `code@column;…`), so that a person can fix them. Collects the current row's errors as they are
 * found.
 */
export class RejectedRowsWriter {
  private readonly out: SinkWriter;
  private readonly codes: RuleCode[] = [];
  private readonly cols = new Int32Array(MAX_REASONS);
  private count = 0;

  /**
   * @param queue - the run's output queue
   * @param blockSize - bytes per block handed to the sink
   * @param sink - receives the rows
   */
  constructor(queue: OutputQueue, blockSize: number, sink: ByteSink) {
    this.out = new SinkWriter(queue, blockSize, () => sink);
    this.out.text(REJECTED_ROWS_HEADER);
  }

  /** Forgets the reasons of the previous row. */
  startRow(): void {
    this.count = 0;
  }

  /** Notes an error of the current row (`col` -1: the row as a whole). */
  addReason(code: RuleCode, col: number): void {
    const k = this.count;
    if (k < MAX_REASONS) {
      this.cols[k] = col;
      this.codes[k] = code;
      this.count = k + 1;
    }
  }

  /**
   * Writes the current row with the reasons noted since {@link startRow}.
   *
   * @param line - its physical line in the source
   * @param row - its data-row number
   * @param record - the row as read, or undefined when it was too long to keep
   * @param labels - the header's labels, for the reasons' columns
   */
  write(line: number, row: number, record: RecordView | undefined, labels: readonly string[]) {
    const out = this.out;
    out.int(line);
    out.byte(COMMA);
    out.int(row);
    out.byte(COMMA);
    for (let k = 0; k < this.count; k++) {
      if (k > 0) out.byte(SEMICOLON);
      out.text(this.codes[k] as string);
      const col = this.cols[k] as number;
      if (col >= 0) out.text(`@${labelAt(labels, col)}`);
    }
    out.byte(COMMA);
    if (record) out.csvField(record.buf, record.start, record.end);
    out.byte(LF);
  }

  /** Ends the output. */
  close(): void {
    this.out.close();
  }
}
