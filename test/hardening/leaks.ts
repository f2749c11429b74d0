/**
 * The leak detector and the log capture it reads.
 *
 * What counts as a log line: everything the functions (Lambdas) and the twin write where a
 * person or a log store would read it — the functions' output (their JSON log lines and EMF
 * metric records, as the twin's CloudWatch Logs receive them) and the twin's request entries,
 * notifications and execution ends (published on the twin's diagnostics channel,
 * src/local/twin.ts LOG_CHANNEL), process warnings, and console output. Logs carry counts, line
 * numbers and ids only, so the detector needs no list of the test data: any pre-signed URL
 * (its signature, its credential, its path), any email address and any phone number in E.164
 * form is a leak — in the line as written, and in each field of a JSON line once decoded (JSON
 * escapes could hide one from a search of the raw text) — and so is a field named for what logs
 * must never hold (a URL, an email, a phone number, a username, a password, a row) with a value.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { format } from 'node:util';
import type { LogRecord } from '../../src/local/twin.ts';

/**
 * src/local/twin.ts's LOG_CHANNEL, spelled out: this module is loaded in every test worker, and
 * importing the twin there would load all of it for every test file (leaks.test.ts checks the two
 * agree).
 */
export const TWIN_LOG_CHANNEL = 'cognito-import.log';

export interface Leak {
  kind: string;
  source: string;
  /** The line, cut around what was found. */
  excerpt: string;
  /** In a JSON line: the field that holds it (`message`, `error.message`, `url`, ...). */
  field?: string;
}

export const LEAK_PATTERNS: { kind: string; pattern: RegExp }[] = [
  { kind: 'pre-signed URL signature', pattern: /X-Amz-Signature/i },
  {
    kind: 'pre-signed URL',
    pattern: /X-Amz-Credential|X-Amz-Security-Token|cognito-idp-user-import\//i,
  },
  {
    kind: 'email address',
    // Bounded repeats (an address's own limits), so that a long line is searched in linear time.
    pattern:
      /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/,
  },
  { kind: 'phone number', pattern: /(?<![\w+])\+[1-9]\d{7,14}(?!\d)/ },
];

/** Field names that say a value logs must never carry, whatever the value looks like. */
export const FORBIDDEN_FIELD = /^(?:\w*url|e-?mail|phone(?:_?number)?|user_?name|password|row)$/i;

const cut = (text: string, at: number, length: number) =>
  text.slice(Math.max(0, at - 40), at + length + 40);

/** Every field of a JSON value, depth first, with its path (`error.message`, `items[0]`). */
function* fieldsOf(
  value: unknown,
  path = '',
): Generator<{ path: string; name: string; value: unknown }> {
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`[${i}]`, item])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  for (const [name, item] of entries) {
    const at = name.startsWith('[') ? `${path}${name}` : path ? `${path}.${name}` : name;
    yield { path: at, name, value: item };
    yield* fieldsOf(item, at);
  }
}

function parseObject(line: string): object | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Every leak in the lines (one per kind and line, and one per forbidden field). */
export function findLeaks(lines: { source: string; line: string }[]): Leak[] {
  const leaks: Leak[] = [];
  for (const { source, line } of lines) {
    const found = new Set<string>();
    const search = (text: string, field?: string) => {
      for (const { kind, pattern } of LEAK_PATTERNS) {
        const match = found.has(kind) ? null : pattern.exec(text);
        if (!match) continue;
        found.add(kind);
        leaks.push({
          kind,
          source,
          ...(field ? { field } : {}),
          excerpt: cut(text, match.index, match[0].length),
        });
      }
    };
    const json = parseObject(line);
    for (const { path, name, value } of json ? fieldsOf(json) : []) {
      if (typeof value === 'string') search(value, path);
      if (FORBIDDEN_FIELD.test(name) && value !== null && value !== '' && !name.startsWith('['))
        leaks.push({
          kind: 'forbidden field',
          source,
          field: path,
          excerpt: cut(line, line.indexOf(`"${name}"`), name.length + 2),
        });
    }
    search(line);
  }
  return leaks;
}

export interface CapturedLine {
  source: string;
  line: string;
}

/**
 * Collects log lines while it is on: the twin's channel, process warnings and the console.
 * `stop()` unhooks it and answers what it collected.
 */
export function startCapture(sink?: (line: CapturedLine) => void): {
  lines: CapturedLine[];
  stop(): CapturedLine[];
} {
  const lines: CapturedLine[] = [];
  const record = (source: string, line: string) => {
    const entry = { source, line };
    if (sink) sink(entry);
    else lines.push(entry);
  };
  const onLog = (message: unknown) => {
    const { source, line } = message as LogRecord;
    record(source, line);
  };
  const onWarning = (warning: Error) => record('warning', `${warning.name}: ${warning.message}`);
  subscribe(TWIN_LOG_CHANNEL, onLog);
  process.on('warning', onWarning);
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originals = methods.map((m) => console[m]);
  for (const method of methods) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      record(`console.${method}`, format(...args));
      original.apply(console, args);
    };
  }
  return {
    lines,
    stop() {
      unsubscribe(TWIN_LOG_CHANNEL, onLog);
      process.off('warning', onWarning);
      methods.forEach((m, i) => {
        console[m] = originals[i] as (typeof console)[typeof m];
      });
      return lines;
    },
  };
}

/** The environment variable naming the run's capture file (set by capture.global.ts). */
export const CAPTURE_FILE_ENV = 'COGNITO_IMPORT_LEAK_LOG';

/** While a test plants a leak on purpose, the suite-wide capture looks away. */
export const suiteCapture = {
  get paused(): boolean {
    return (globalThis as { __leakCapturePaused?: boolean }).__leakCapturePaused === true;
  },
  set paused(value: boolean) {
    (globalThis as { __leakCapturePaused?: boolean }).__leakCapturePaused = value;
  },
};
