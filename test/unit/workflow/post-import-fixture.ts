/**
 * A small world for the post-import phase's unit tests: S3 as a map of objects (so that a test
 * can freeze it, as a crash would leave it), a job's import log, Cognito's group and attribute
 * calls recorded (each answer chosen by the test), and a fake clock that only sleeps move.
 */
import { Readable } from 'node:stream';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AdminAddUserToGroupCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { PostImportDeps } from '../../../src/workflow/post-import.ts';
import type { ImportOptions, PartItem } from '../../../src/workflow/types.ts';

export const s3 = mockClient(S3Client);
export const logs = mockClient(CloudWatchLogsClient);
export const cognito = mockClient(CognitoIdentityProviderClient);

export const RUN = 'run-1';
export const BUCKET = 'imports';
export const POOL = 'us-east-1_P1';

/** An SDK error as the service would answer it. */
export const awsError = (name: string, message = name, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

/** S3's objects; while `frozen`, writes are lost (the process that made them died). */
export const store = { objects: new Map<string, Buffer>(), frozen: false };

const body = (bytes: Buffer) =>
  Object.assign(Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]), {
    transformToString: async () => bytes.toString(),
    transformToByteArray: async () => new Uint8Array(bytes),
  });

/** One call to Cognito, as the test sees it. */
export interface Call {
  op: 'group' | 'update';
  username: string;
  group?: string;
  attributes?: { Name?: string; Value?: string }[];
  at: number;
}

export const world = {
  calls: [] as Call[],
  /** Answers a call: undefined to succeed, an error to throw. */
  answer: (_call: Call): Error | undefined => undefined,
  /** The fake clock, in ms: only sleeps move it (and each call, by `callMs`). */
  t: 0,
  callMs: 0,
  sleeps: [] as number[],
  /** Reads of a job's log that miss its last line (not yet ingested). */
  logLag: 0,
};

export function resetWorld(): void {
  s3.reset();
  logs.reset();
  cognito.reset();
  store.objects.clear();
  store.frozen = false;
  Object.assign(world, {
    calls: [],
    answer: () => undefined,
    t: 0,
    callMs: 0,
    sleeps: [],
    logLag: 0,
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const bytes = store.objects.get(input.Key);
    if (!bytes) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
    return { Body: body(bytes) };
  });
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: unknown }) => {
    if (store.frozen) return {};
    const data = input.Body;
    store.objects.set(
      input.Key,
      typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as Uint8Array),
    );
    return {};
  });
  logs
    .on(DescribeLogGroupsCommand)
    .resolves({ logGroups: [{ logGroupName: `/aws/cognito/userpools/${POOL}/pool` }] });
  const record = async (call: Omit<Call, 'at'>) => {
    const full = { ...call, at: world.t };
    world.calls.push(full);
    world.t += world.callMs;
    const error = world.answer(full);
    if (error) throw error;
    return {};
  };
  cognito
    .on(AdminAddUserToGroupCommand)
    .callsFake((input: { Username: string; GroupName: string }) =>
      record({ op: 'group', username: input.Username, group: input.GroupName }),
    );
  cognito
    .on(AdminUpdateUserAttributesCommand)
    .callsFake((input: { Username: string; UserAttributes: { Name?: string; Value?: string }[] }) =>
      record({ op: 'update', username: input.Username, attributes: input.UserAttributes }),
    );
}

export const HEADER = [
  'name',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'cognito:mfa_enabled',
  'cognito:username',
];

/** A user of a part: its values by column (username required), its outcome and its groups. */
export interface User {
  username: string;
  values?: Record<string, string>;
  outcome: 'SUCCEEDED' | 'SKIPPED' | 'FAILED';
  groups?: string[];
}

const MESSAGES = {
  SUCCEEDED: 'The import succeeded.',
  SKIPPED: 'The user already exists.',
  FAILED: 'The email is not a valid email address.',
};

/**
 * Puts one run's files in S3 for parts of users, as ValidateCsv writes them: each part in
 * Cognito's dialect, one line map and one memberships file for the whole run, parts
 * interleaved (source line = 2 + position in the source, rows alternating between parts), and
 * each part's job log.
 */
export function putRun(parts: User[][], numbering: 'data' | 'file' = 'data'): void {
  let map = 'part,part_row,part_line,source_line,source_row,username\n';
  let memberships = 'part,part_row,groups\n';
  const longest = Math.max(...parts.map((p) => p.length));
  let sourceRow = 0;
  const lines: { part: number; row: number; text: string }[] = [];
  for (let row = 1; row <= longest; row++)
    parts.forEach((users, p) => {
      const user = users[row - 1];
      if (!user) return;
      sourceRow++;
      const quoted = /[",]/.test(user.username)
        ? `"${user.username.replace(/"/g, '""')}"`
        : user.username;
      lines.push({
        part: p + 1,
        row,
        text: `${p + 1},${row},${row + 1},${sourceRow + 1},${sourceRow},${quoted}`,
      });
      if (user.groups?.length) {
        const joined = user.groups.join(';');
        memberships += `${p + 1},${row},${/[",]/.test(joined) ? `"${joined.replace(/"/g, '""')}"` : joined}\n`;
      }
    });
  map += lines.map((l) => `${l.text}\n`).join('');
  store.objects.set(`staging/${RUN}/lines.csv`, Buffer.from(map));
  store.objects.set(`staging/${RUN}/memberships.csv`, Buffer.from(memberships));
  parts.forEach((users, p) => {
    const index = p + 1;
    const escaped = (v: string) => v.replace(/,/g, '\\,');
    const text = `${HEADER.join(',')}\n${users
      .map((u) =>
        HEADER.map((c) =>
          escaped(c === 'cognito:username' ? u.username : (u.values?.[c] ?? '')),
        ).join(','),
      )
      .join('\n')}\n`;
    store.objects.set(`staging/${RUN}/part-000${index}.csv`, Buffer.from(text));
    const offset = numbering === 'file' ? 1 : 0;
    const events = users.map((u, i) => ({
      message: `[${u.outcome}] Line Number ${i + 1 + offset} - ${MESSAGES[u.outcome]}`,
    }));
    logs
      .on(FilterLogEventsCommand, { logStreamNames: [`job-${index}/${RUN}-part-${index}`] })
      .callsFake((input: { filterPattern?: string }) => {
        const terms = (input.filterPattern ?? '').split(' ').map((t) => t.replace('?', ''));
        const lagging = world.logLag > 0;
        if (lagging) world.logLag--;
        return {
          events: events
            .slice(0, lagging ? -1 : undefined)
            .filter((e) => terms.some((t) => e.message.includes(t))),
        };
      });
  });
}

/** The item the state machine hands ApplyPostImport for part `index` of `users`. */
export function itemFor(
  index: number,
  users: User[],
  options: Partial<ImportOptions> = {},
  post?: PartItem['post'],
): PartItem {
  const count = (o: User['outcome']) => users.filter((u) => u.outcome === o).length;
  const groupRows = users.filter((u) => u.groups?.length).length;
  return {
    part: {
      index,
      bucket: BUCKET,
      key: `staging/${RUN}/part-000${index}.csv`,
      mapKey: `staging/${RUN}/lines.csv`,
      rows: users.length,
      bytes: 1,
      ...(groupRows > 0 ? { groupRows } : {}),
    },
    run: RUN,
    userPoolId: POOL,
    options: { invalidRows: 'reject', notify: false, deadlineSeconds: 3600, ...options },
    deadlineAt: 0,
    job: {
      jobId: `job-${index}`,
      jobName: `${RUN}-part-${index}`,
      status: 'Succeeded',
      importedUsers: count('SUCCEEDED'),
      skippedUsers: count('SKIPPED'),
      failedUsers: count('FAILED'),
      poll: { rounds: 1, waitSeconds: 5 },
      slotBusy: false,
      mustStop: false,
      stopRequested: false,
    },
    ...(post ? { post } : {}),
  };
}

/** The core's dependencies on this world; `budgetMs` is the invocation's time on the fake clock. */
export function depsFor(
  over: Partial<PostImportDeps> & { budgetMs?: number; numbering?: 'data' | 'file' } = {},
): PostImportDeps {
  const { budgetMs, numbering, ...rest } = over;
  const start = world.t;
  return {
    cognito: new CognitoIdentityProviderClient({}),
    logs: new CloudWatchLogsClient({}),
    s3: new S3Client({}),
    config: { cognitoLineNumbering: numbering ?? 'data' },
    monotonic: () => world.t,
    sleep: async (ms) => {
      world.sleeps.push(ms);
      world.t += ms;
    },
    ...(budgetMs !== undefined ? { remainingMs: () => budgetMs - (world.t - start) } : {}),
    tuning: { random: () => 0.5, marginMs: 1_000 },
    ...rest,
  };
}

/** Every failure file of part `index`, as rows of `source_line,username,reason`. */
export function failureRows(index: number): string[][] {
  const prefix = `staging/${RUN}/post-import/part-000${index}-failures/`;
  return [...store.objects.entries()]
    .filter(([key]) => key.startsWith(prefix))
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([, bytes]) => bytes.toString().trim().split('\n').slice(1))
    .filter((line) => line !== '')
    .map((line) => {
      const m = /^(\d+),("(?:[^"]|"")*"|[^,]*),(.*)$/.exec(line);
      if (!m) throw new Error(`Not a failure row: ${line}`);
      const unquote = (v: string) => (v.startsWith('"') ? v.slice(1, -1).replace(/""/g, '"') : v);
      return [m[1] as string, unquote(m[2] as string), unquote(m[3] as string)];
    });
}

/** The calls made, as `op:username[:group]`. */
export const callList = () =>
  world.calls.map((c) => `${c.op}:${c.username}${c.group ? `:${c.group}` : ''}`);
