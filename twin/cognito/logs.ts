import { checkRequest, type Shape } from './constraints.ts';
import { ServiceError } from './errors.ts';
import type { CognitoStore } from './store.ts';

/**
 * The log group Cognito writes an import job's per-line results to (docs/cognito-behaviour.md,
 * "CloudWatch Logs"):
 * `/aws/cognito/userpools/<poolId>/<poolName>`. Pool names may hold spaces and `+=,@`, which
 * CloudWatch does not allow in group names; how Cognito maps them is UNCONFIRMED, so the twin
 * replaces each with `_`, and readers should find the group by the `/aws/cognito/userpools/<poolId>/`
 * prefix rather than rebuild the name.
 */
export const importLogGroup = (poolId: string, poolName: string) =>
  `/aws/cognito/userpools/${poolId}/${poolName.replace(/[^.\-_/#A-Za-z0-9]/g, '_')}`;

/** The stream of one job: `<jobId>/<jobName>`. */
export const importLogStream = (jobId: string, jobName: string) => `${jobId}/${jobName}`;

const notFound = (what: string) =>
  new ServiceError('ResourceNotFoundException', `The specified ${what} does not exist.`);
const invalid = (message: string) => new ServiceError('InvalidParameterException', message);

const groupName: Shape[string] = {
  type: 'string',
  min: 1,
  max: 512,
  pattern: /[.\-_/#A-Za-z0-9]+/,
};
const streamName: Shape[string] = { type: 'string', min: 1, max: 512, pattern: /[^:*]*/ };

interface EventRow {
  id: number;
  stream: string;
  ts: number;
  ingested: number;
  message: string;
}

const token = (kind: string, id: number) => `${kind}/${String(id).padStart(20, '0')}`;
function readToken(value: unknown, kinds: string[]): { kind: string; id: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^([a-z])\/(\d{20})$/.exec(String(value));
  if (!match || !kinds.includes(match[1] as string))
    throw invalid('The specified nextToken is invalid.');
  return { kind: match[1] as string, id: Number(match[2]) };
}

/**
 * The CloudWatch Logs calls that read an import job's results, answered from the twin's store for
 * `@aws-sdk/client-cloudwatch-logs`: GetLogEvents, FilterLogEvents, DescribeLogStreams and
 * DescribeLogGroups.
 */
export class LogsService {
  private readonly store: CognitoStore;
  private readonly account: string;

  constructor(store: CognitoStore, account: string) {
    this.store = store;
    this.account = account;
  }

  /** A group's ARN, in the Region of the pool it belongs to and the twin's account. */
  private arn(group: string): string {
    const region = /^\/aws\/cognito\/userpools\/([a-z0-9-]+)_/.exec(group)?.[1] ?? 'us-east-1';
    return `arn:aws:logs:${region}:${this.account}:log-group:${group}`;
  }

  private group(input: Record<string, unknown>): string {
    const name = (input.logGroupName ?? input.logGroupIdentifier) as string | undefined;
    if (!name) throw invalid('Either logGroupName or logGroupIdentifier must be given.');
    const group = name.startsWith('arn:')
      ? name.replace(/^arn:[^:]*:logs:[^:]*:\d+:log-group:/, '').replace(/:\*$/, '')
      : name;
    const exists = this.store.db
      .prepare('SELECT 1 FROM log_streams WHERE grp = ? LIMIT 1')
      .get(group);
    if (!exists) throw notFound('log group');
    return group;
  }

  /**
   * Creates a log stream (and its group) unless it exists: with {@link put}, the way in for logs
   * written from inside the twin's process (the functions the host runs write their output here,
   * as Lambda writes a function's output to `/aws/lambda/<name>`).
   */
  createStream(group: string, stream: string, createdAt: number): void {
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(group))
      throw invalid(`Invalid log group name: ${group}`);
    if (!/^[^:*]{1,512}$/.test(stream)) throw invalid(`Invalid log stream name: ${stream}`);
    this.store.ensureLogStream(group, stream, createdAt);
  }

  /** Appends events to a stream, creating it (see {@link createStream}) when it is new. */
  put(group: string, stream: string, events: { timestamp: number; message: string }[]): void {
    const first = events[0];
    if (!first) return;
    this.createStream(group, stream, first.timestamp);
    for (const event of events) this.store.appendLog(group, stream, event.timestamp, event.message);
  }

  describeLogGroups(input: Record<string, unknown>) {
    checkRequest(input, {
      logGroupNamePrefix: groupName,
      limit: { type: 'integer', min: 1, max: 50 },
      nextToken: { type: 'string', min: 1 },
    });
    const prefix = String(input.logGroupNamePrefix ?? '');
    const rows = this.store.db
      .prepare(
        'SELECT grp, min(created_ms) AS created FROM log_streams WHERE substr(grp, 1, ?) = ? GROUP BY grp ORDER BY grp',
      )
      .all(prefix.length, prefix) as { grp: string; created: number }[];
    // Pages of at most 50 groups, as CloudWatch Logs answers.
    const start = readToken(input.nextToken, ['g'])?.id ?? 0;
    const limit = Number(input.limit ?? 50);
    const page = rows.slice(start, start + limit);
    return {
      logGroups: page.map((row) => ({
        logGroupName: row.grp,
        creationTime: row.created,
        arn: `${this.arn(row.grp)}:*`,
        logGroupArn: this.arn(row.grp),
        storedBytes: 0,
      })),
      ...(start + limit < rows.length ? { nextToken: token('g', start + limit) } : {}),
    };
  }

  describeLogStreams(input: Record<string, unknown>) {
    checkRequest(input, {
      logGroupName: groupName,
      logStreamNamePrefix: streamName,
      orderBy: { type: 'string', enum: ['LogStreamName', 'LastEventTime'] },
      descending: { type: 'boolean' },
      nextToken: { type: 'string', min: 1 },
      limit: { type: 'integer', min: 1, max: 50 },
    });
    const group = this.group(input);
    const prefix = String(input.logStreamNamePrefix ?? '');
    if (prefix && input.orderBy === 'LastEventTime')
      throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
    const rows = this.store.db
      .prepare(
        `SELECT s.stream, s.created_ms AS created, min(e.ts) AS first, max(e.ts) AS last, max(e.ingested) AS ingested
         FROM log_streams s LEFT JOIN log_events e ON e.grp = s.grp AND e.stream = s.stream
         WHERE s.grp = ? AND substr(s.stream, 1, ?) = ? GROUP BY s.stream`,
      )
      .all(group, prefix.length, prefix) as {
      stream: string;
      created: number;
      first: number | null;
      last: number | null;
      ingested: number | null;
    }[];
    const byTime = input.orderBy === 'LastEventTime';
    rows.sort((a, b) =>
      byTime
        ? (a.last ?? 0) - (b.last ?? 0)
        : a.stream < b.stream
          ? -1
          : a.stream > b.stream
            ? 1
            : 0,
    );
    if (input.descending) rows.reverse();
    const start = readToken(input.nextToken, ['s'])?.id ?? 0;
    const limit = Number(input.limit ?? 50);
    const page = rows.slice(start, start + limit);
    return {
      logStreams: page.map((row) => ({
        logStreamName: row.stream,
        creationTime: row.created,
        ...(row.first !== null
          ? {
              firstEventTimestamp: row.first,
              lastEventTimestamp: row.last,
              lastIngestionTime: row.ingested,
            }
          : {}),
        arn: `${this.arn(group)}:log-stream:${row.stream}`,
        storedBytes: 0,
      })),
      ...(start + limit < rows.length ? { nextToken: token('s', start + limit) } : {}),
    };
  }

  getLogEvents(input: Record<string, unknown>) {
    checkRequest(input, {
      logGroupName: groupName,
      logStreamName: { ...streamName, required: true },
      startTime: { type: 'long', min: 0 },
      endTime: { type: 'long', min: 0 },
      nextToken: { type: 'string', min: 1 },
      limit: { type: 'integer', min: 1, max: 10000 },
      startFromHead: { type: 'boolean' },
    });
    const group = this.group(input);
    const stream = String(input.logStreamName);
    const known = this.store.db
      .prepare('SELECT 1 FROM log_streams WHERE grp = ? AND stream = ?')
      .get(group, stream);
    if (!known) throw notFound('log stream');
    const limit = Number(input.limit ?? 10000);
    const position = readToken(input.nextToken, ['f', 'b']);
    const forward = position ? position.kind === 'f' : input.startFromHead === true;
    const start = Number(input.startTime ?? 0);
    const end = input.endTime === undefined ? Number.MAX_SAFE_INTEGER : Number(input.endTime);
    let rows: EventRow[];
    if (forward) {
      const after = position?.id ?? 0;
      rows = this.store.db
        .prepare(
          'SELECT id, ts, ingested, message FROM log_events WHERE grp = ? AND stream = ? AND id > ? AND ts >= ? AND ts < ? ORDER BY id LIMIT ?',
        )
        .all(group, stream, after, start, end, limit) as unknown as EventRow[];
    } else {
      const before = position?.id ?? Number.MAX_SAFE_INTEGER;
      rows = (
        this.store.db
          .prepare(
            'SELECT id, ts, ingested, message FROM log_events WHERE grp = ? AND stream = ? AND id < ? AND ts >= ? AND ts < ? ORDER BY id DESC LIMIT ?',
          )
          .all(group, stream, before, start, end, limit) as unknown as EventRow[]
      ).reverse();
    }
    // As in CloudWatch, the tokens never run out: at the end, the same forward token comes back.
    const firstId = rows[0]?.id ?? position?.id ?? 0;
    const lastId = rows.at(-1)?.id ?? position?.id ?? 0;
    return {
      events: rows.map((row) => ({
        timestamp: row.ts,
        message: row.message,
        ingestionTime: row.ingested,
      })),
      nextForwardToken: token('f', lastId),
      nextBackwardToken: token('b', firstId),
    };
  }

  filterLogEvents(input: Record<string, unknown>) {
    checkRequest(input, {
      logGroupName: groupName,
      logStreamNames: { type: 'list', min: 1, max: 100, items: streamName },
      logStreamNamePrefix: streamName,
      startTime: { type: 'long', min: 0 },
      endTime: { type: 'long', min: 0 },
      filterPattern: { type: 'string', max: 1024 },
      nextToken: { type: 'string', min: 1 },
      limit: { type: 'integer', min: 1, max: 10000 },
    });
    const group = this.group(input);
    if (input.logStreamNames && input.logStreamNamePrefix)
      throw invalid('logStreamNames and logStreamNamePrefix cannot both be given.');
    const names = input.logStreamNames as string[] | undefined;
    const prefix = String(input.logStreamNamePrefix ?? '');
    const matches = compileFilterPattern(String(input.filterPattern ?? ''));
    const limit = Number(input.limit ?? 10000);
    const after = readToken(input.nextToken, ['n'])?.id ?? 0;
    const start = Number(input.startTime ?? 0);
    const end = input.endTime === undefined ? Number.MAX_SAFE_INTEGER : Number(input.endTime);
    const events: {
      logStreamName: string;
      timestamp: number;
      message: string;
      ingestionTime: number;
      eventId: string;
    }[] = [];
    let cursor = after;
    let more = false;
    // One stream named (how an import job's results are read): that stream's range of its index,
    // already in id order. Over the whole group, SQLite sorts every event after the cursor for
    // each batch, which makes reading a large log page by page quadratic.
    const one = names?.length === 1 ? names[0] : undefined;
    const select = this.store.db.prepare(
      `SELECT id, stream, ts, ingested, message FROM log_events WHERE grp = ?${one === undefined ? '' : ' AND stream = ?'} AND id > ? AND ts >= ? AND ts < ? ORDER BY id LIMIT 2000`,
    );
    outer: for (;;) {
      const rows = (one === undefined
        ? select.all(group, cursor, start, end)
        : select.all(group, one, cursor, start, end)) as unknown as EventRow[];
      if (rows.length === 0) break;
      for (const row of rows) {
        if (events.length === limit) {
          more = true;
          break outer;
        }
        cursor = row.id;
        if (names && !names.includes(row.stream)) continue;
        if (prefix && !row.stream.startsWith(prefix)) continue;
        if (!matches(row.message)) continue;
        events.push({
          logStreamName: row.stream,
          timestamp: row.ts,
          message: row.message,
          ingestionTime: row.ingested,
          eventId: String(row.id).padStart(56, '0'),
        });
      }
    }
    return { events, searchedLogStreams: [], ...(more ? { nextToken: token('n', cursor) } : {}) };
  }
}

/**
 * CloudWatch's filter pattern for unstructured lines, in the forms worth using on import logs:
 * terms that must all appear (`FAILED`), quoted phrases (`"Line Number 12 "`), `?a ?b` for any,
 * and `-term` to exclude. Matching is case-sensitive, as in CloudWatch.
 */
export function compileFilterPattern(pattern: string): (message: string) => boolean {
  if (pattern.trim().startsWith('{')) return compileJsonPattern(pattern);
  const terms = [...pattern.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map((m) => ({
    mode: m[1] ?? '',
    text: (m[2] ?? m[3] ?? '').replace(/\\"/g, '"'),
  }));
  if (terms.length === 0) return () => true;
  const any = terms.filter((t) => t.mode === '?');
  const all = terms.filter((t) => t.mode === '');
  const none = terms.filter((t) => t.mode === '-');
  return (message) =>
    all.every((t) => message.includes(t.text)) &&
    none.every((t) => !message.includes(t.text)) &&
    (any.length === 0 || any.some((t) => message.includes(t.text)));
}

const COMPARISON =
  /^\s*\$((?:\.[A-Za-z_][\w-]*)+)\s*(=|!=|<=|>=|<|>)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|[^\s"&|}]+)\s*$/;

/**
 * CloudWatch's filter pattern for JSON log events, in the forms worth using on JSON lines:
 * `{ $.run = "imp-users-1a2b" }`, `{ $.level != "INFO" && $.rows > 100 }`: comparisons of a
 * field (`$.a.b`) with a string (`*` as a wildcard) or a number, joined by `&&` and `||` (`&&`
 * first, no parentheses). A message that is not a JSON object never matches.
 *
 * @throws ServiceError InvalidParameterException for a pattern outside these forms.
 */
function compileJsonPattern(pattern: string): (message: string) => boolean {
  const body = pattern.trim().replace(/^\{/, '').replace(/\}$/, '');
  const alternatives = body.split('||').map((alternative) =>
    alternative.split('&&').map((term) => {
      const match = COMPARISON.exec(term);
      if (!match) throw invalid('Invalid character(s) in term');
      const [, path = '', op = '=', raw = ''] = match;
      const keys = path.slice(1).split('.');
      const quoted = raw.startsWith('"');
      const text = quoted ? raw.slice(1, -1).replace(/\\"/g, '"') : raw;
      const number = quoted ? Number.NaN : Number(text);
      const wildcard = new RegExp(
        `^${text
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      return (event: Record<string, unknown>) => {
        let value: unknown = event;
        for (const key of keys)
          value =
            typeof value === 'object' && value !== null
              ? (value as Record<string, unknown>)[key]
              : undefined;
        if (value === undefined) return false;
        if (!Number.isNaN(number) && typeof value === 'number') {
          if (op === '=') return value === number;
          if (op === '!=') return value !== number;
          if (op === '<') return value < number;
          if (op === '>') return value > number;
          if (op === '<=') return value <= number;
          return value >= number;
        }
        const equal = wildcard.test(String(value));
        if (op === '=') return equal;
        if (op === '!=') return !equal;
        return false;
      };
    }),
  );
  return (message) => {
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      return false;
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
    const record = event as Record<string, unknown>;
    return alternatives.some((terms) => terms.every((term) => term(record)));
  };
}
