import { STANDARD_CSV_HEADER } from '../csv/index.ts';
import { escapeCell } from './attributes.ts';
import type { TextSink } from './types.ts';

const FLUSH_CHARS = 64 * 1024;

/** The columns of a converted file: the standard header, custom columns, then `password_hash`. */
export function outputColumns(custom: string[] = []): string[] {
  return [
    'cognito:username',
    ...STANDARD_CSV_HEADER.filter((c) => c !== 'cognito:username'),
    ...custom,
    'password_hash',
  ];
}

/** Writes rows in Cognito's CSV dialect (docs/cognito-behaviour.md, "The CSV file") to a text sink, in blocks. */
export class CognitoCsvWriter {
  private buffer = '';
  private readonly columns: string[];
  private readonly sink: TextSink;

  constructor(columns: string[], sink: TextSink) {
    this.columns = columns;
    this.sink = sink;
    this.buffer = `${columns.join(',')}\n`;
  }

  /** Adds a row; values are written as given (already checked), commas escaped. */
  async row(values: Record<string, string>): Promise<void> {
    let line = '';
    for (let i = 0; i < this.columns.length; i++) {
      if (i > 0) line += ',';
      const value = values[this.columns[i] as string];
      if (value) line += escapeCell(value);
    }
    this.buffer += `${line}\n`;
    if (this.buffer.length >= FLUSH_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    await this.sink.end?.();
  }

  private async flush(): Promise<void> {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    await this.sink.write(text);
  }
}
