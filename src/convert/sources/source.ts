import type { ReportBuilder } from '../report.ts';
import type { ConvertOptions, SourceRecord } from '../types.ts';

/** What a source module reads with. */
export interface SourceContext {
  options: ConvertOptions;
  report: ReportBuilder;
}

/** One kind of export. */
export interface Source {
  /** Whether the export says which emails are verified (else `--email-verified` is required). */
  recordsVerification(options: ConvertOptions): boolean;
  /** Custom attribute columns the output needs (`custom:…`). */
  customColumns?(options: ConvertOptions): string[];
  /** The export's users, in order. */
  read(context: SourceContext): AsyncIterable<SourceRecord>;
}

/** A JSON value as a string attribute: strings as they are, numbers in decimal, else nothing. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A JSON object's field, when the value is an object. */
export function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
