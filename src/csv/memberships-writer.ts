import { joinGroupNames } from './group-column.ts';
import { type ByteSink, type OutputQueue, SinkWriter } from './output.ts';

const LF = 0x0a;
const COMMA = 0x2c;

/** The memberships' header: see `ValidateOptions.memberships`. */
export const MEMBERSHIPS_HEADER = 'part,part_row,groups\n';

/**
 * Writes the memberships, a CSV of one line per row written to a part that names a group: the
 * row's part and part row (numbered as in the line map) and its groups, joined as
 * `joinGroupNames` does and quoted as RFC 4180 when that needs it.
 */
export class MembershipsWriter {
  private readonly out: SinkWriter;

  /**
   * @param queue - the run's output queue
   * @param blockSize - bytes per block handed to the sink
   * @param sink - receives the memberships
   */
  constructor(queue: OutputQueue, blockSize: number, sink: ByteSink) {
    this.out = new SinkWriter(queue, blockSize, () => sink);
    this.out.text(MEMBERSHIPS_HEADER);
  }

  /** Adds one row's line: `names` is not empty. */
  add(part: number, partRow: number, names: readonly string[]): void {
    const out = this.out;
    out.int(part);
    out.byte(COMMA);
    out.int(partRow);
    out.byte(COMMA);
    const list = Buffer.from(joinGroupNames(names), 'utf8');
    out.csvField(list, 0, list.length);
    out.byte(LF);
  }

  /** Ends the output. */
  close(): void {
    this.out.close();
  }
}
