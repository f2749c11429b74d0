/** Where a command writes: injectable so tests and other programs can capture the output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Writes to the error stream without a line end (a progress line rewritten in place). */
  errRaw(text: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  errRaw: (text) => process.stderr.write(text),
  isTty: Boolean(process.stderr.isTTY),
};
