import { type OutputQueue, PartNumbering, type PartSinkFactory, Splitter } from './output.ts';
import type { PasswordHashingAlgorithm } from './rules.ts';

/** The group of rows without a password hash (or of every row, when no hash is imported). */
const NO_HASH = 'none';

/**
 * Splits rows into parts by password hash algorithm: Cognito takes one algorithm per import job
 * (docs/cognito-behaviour.md, "Password hashes"), so a file that mixes them becomes one series of
 * parts per algorithm, plus one for the rows without a hash. Each series has its own splitter,
 * within the same limits; all share one part numbering, in the order the parts start.
 */
export class PartGroups {
  private readonly numbering = new PartNumbering();
  private readonly splitters = new Map<string, Splitter>();
  private readonly open: (
    numbering: PartNumbering,
    algorithm?: PasswordHashingAlgorithm,
  ) => Splitter;

  /**
   * @param queue - the run's output queue
   * @param factory - opens the sink of each part
   * @param header - the header line's bytes, with its LF (the same for every part)
   * @param maxBytes - most bytes a part may hold
   * @param maxRows - most data rows a part may hold
   * @param blockSize - bytes per block
   */
  constructor(
    queue: OutputQueue,
    factory: PartSinkFactory,
    header: Buffer,
    maxBytes: number,
    maxRows: number,
    blockSize: number,
  ) {
    this.open = (numbering, algorithm) =>
      new Splitter(queue, factory, header, maxBytes, maxRows, blockSize, numbering, algorithm);
  }

  /** The splitter of the rows hashed with `algorithm` (undefined: rows without a hash). */
  splitterFor(algorithm: PasswordHashingAlgorithm | undefined): Splitter {
    const key = algorithm ?? NO_HASH;
    let splitter = this.splitters.get(key);
    if (!splitter) {
      splitter = this.open(this.numbering, algorithm);
      this.splitters.set(key, splitter);
    }
    return splitter;
  }

  /** Every part started, in part order. */
  get parts() {
    return this.numbering.parts;
  }

  /** Ends the last part of every group. */
  close(): void {
    for (const splitter of this.splitters.values()) splitter.close();
  }
}
