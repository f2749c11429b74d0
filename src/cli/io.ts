/** Where a command writes: injectable so tests and other programs can capture the output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTty: Boolean(process.stdout.isTTY),
};
