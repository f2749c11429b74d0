import { Readable } from 'node:stream';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FailedPart, writeFailures } from '../../../src/workflow/failures.ts';
import { cognitoCsv, GOOD, rulesFor, run } from '../csv/helpers.ts';

const s3 = mockClient(S3Client);
const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  logs
    .on(DescribeLogGroupsCommand)
    .resolves({ logGroups: [{ logGroupName: '/aws/cognito/userpools/us-east-1_P1/pool' }] });
});
afterEach(() => {
  s3.reset();
  logs.reset();
});

const deps = (over: { sleep?: (ms: number) => Promise<void> } = {}) => ({
  s3: new S3Client({}),
  logs: new CloudWatchLogsClient({}),
  config: { cognitoLineNumbering: 'data' as const },
  now: () => 0,
  ...over,
});

const MAP_KEY = 'staging/run-1/lines.csv';
const failedPart = (index: number, failed: number, skipped = 0): FailedPart => ({
  part: { index, bucket: 'imports', mapKey: MAP_KEY },
  job: {
    jobId: `import-${index}`,
    jobName: `run-1-part-${index}`,
    failedUsers: failed,
    skippedUsers: skipped,
  },
});

/** Each job's log, by its stream: pages of messages. */
function jobLogs(pages: Record<number, string[][]>) {
  for (const [index, list] of Object.entries(pages)) {
    const stream = `import-${index}/run-1-part-${index}`;
    list.forEach((events, page) => {
      logs
        .on(FilterLogEventsCommand, {
          logStreamNames: [stream],
          ...(page > 0 ? { nextToken: `${stream}#${page}` } : {}),
        })
        .resolves({
          events: events.map((message) => ({ message })),
          ...(page + 1 < list.length ? { nextToken: `${stream}#${page + 1}` } : {}),
        });
    });
  }
}

const skipped = (line: number) => `[SKIPPED] Line Number ${line} - The user already exists.`;
const failed = (line: number) => `[FAILED] Line Number ${line} - The email is not valid.`;

/** A line map as S3 hands it over: in chunks, counting how many were read. */
function mapObject(text: string, chunkBytes = 64) {
  const bytes = Buffer.from(text);
  const read = { chunks: 0, of: Math.ceil(bytes.length / chunkBytes) };
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += chunkBytes) {
      read.chunks++;
      yield bytes.subarray(at, at + chunkBytes);
    }
  }
  s3.on(GetObjectCommand, { Key: MAP_KEY }).callsFake(() => ({
    Body: Readable.from(chunks()) as never,
  }));
  return read;
}

async function failuresCsv(): Promise<string> {
  const body = s3
    .commandCalls(PutObjectCommand)
    .find((c) => c.args[0].input.Key?.endsWith('failures.csv'))?.args[0].input.Body;
  if (body === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const BCRYPT = `$2b$10$${'a'.repeat(53)}`;
const HASHED = ['cognito:username', 'email', 'email_verified', 'password_hash'];

/**
 * The line map the validator writes for a file that mixes hashed and unhashed rows: two series
 * of parts, interleaved in the map (parts 1 and 2 alternate), with usernames that need quoting.
 */
async function interleavedMap(): Promise<string> {
  const users = ['b1', 'n1', 'b,2', 'n"2', 'b3', 'n3', 'bé4', 'n4'];
  const rows = users.map((name, i) => ({
    ...GOOD,
    'cognito:username': name,
    email: `u${i}@example.com`,
    password_hash: name.startsWith('b') ? BCRYPT : '',
  }));
  const { report, map } = await run(cognitoCsv(rows, HASHED), rulesFor({}, {}, HASHED));
  expect(report.valid).toBe(true);
  expect(report.parts.map((p) => [p.part, p.rows])).toEqual([
    [1, 4],
    [2, 4],
  ]);
  return map.text();
}

describe('failures.csv', () => {
  it('reads the line map once for every part, and lists the rows in source order with their usernames', async () => {
    const read = mapObject(await interleavedMap());
    // Part 1 holds b1, b,2, b3, bé4 (source lines 2, 4, 6, 8); part 2 n1, n"2, n3, n4.
    jobLogs({ 1: [[skipped(2), failed(4)]], 2: [[skipped(1), skipped(2), skipped(4)]] });
    const answer = await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [
      failedPart(1, 1, 1),
      failedPart(2, 0, 3),
    ]);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(read.chunks).toBe(read.of);
    expect(await failuresCsv()).toBe(
      [
        'line,username,outcome,reason',
        '3,n1,SKIPPED,The user already exists.',
        '4,"b,2",SKIPPED,The user already exists.',
        '5,"n""2",SKIPPED,The user already exists.',
        '8,bé4,FAILED,The email is not valid.',
        '9,n4,SKIPPED,The user already exists.',
        '',
      ].join('\n'),
    );
    expect(answer).toEqual({
      reportKey: 'reports/run-1/failures.csv',
      count: 5,
      sample: [
        { line: 3, reason: 'SKIPPED: The user already exists.' },
        { line: 4, reason: 'SKIPPED: The user already exists.' },
        { line: 5, reason: 'SKIPPED: The user already exists.' },
        { line: 8, reason: 'FAILED: The email is not valid.' },
        { line: 9, reason: 'SKIPPED: The user already exists.' },
      ],
    });
  });

  it('maps log lines that come in any order (CloudWatch orders them by time, not by line)', async () => {
    mapObject(await interleavedMap());
    jobLogs({ 1: [[failed(4), skipped(1)], [skipped(3)]] });
    await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [failedPart(1, 1, 2)]);
    expect(await failuresCsv()).toBe(
      [
        'line,username,outcome,reason',
        '2,b1,SKIPPED,The user already exists.',
        '6,b3,SKIPPED,The user already exists.',
        '8,bé4,FAILED,The email is not valid.',
        '',
      ].join('\n'),
    );
  });

  it('stops reading the line map once every listed row is found', async () => {
    const map = [
      'part,part_row,part_line,source_line,source_row,username',
      ...Array.from({ length: 20_000 }, (_, i) => `1,${i + 1},${i + 2},${i + 2},${i + 1},user${i}`),
      '',
    ].join('\n');
    const read = mapObject(map, 1024);
    jobLogs({ 1: [[skipped(1), skipped(10)]] });
    await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [failedPart(1, 0, 2)]);
    expect(await failuresCsv()).toBe(
      'line,username,outcome,reason\n2,user0,SKIPPED,The user already exists.\n11,user9,SKIPPED,The user already exists.\n',
    );
    // Row 10 is in the first chunk; the stream reads a few ahead, then is closed.
    expect(read.of).toBeGreaterThan(500);
    expect(read.chunks).toBeLessThan(40);
  });

  it('keeps a log line whose row the map lacks, with line 0 and no username', async () => {
    mapObject(await interleavedMap());
    // Part 1 has 4 rows: line number 9 is none of them (a numbering read the wrong way, say).
    jobLogs({ 1: [[skipped(2), skipped(9)]] });
    const answer = await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [
      failedPart(1, 0, 2),
    ]);
    expect(await failuresCsv()).toBe(
      'line,username,outcome,reason\n4,"b,2",SKIPPED,The user already exists.\n0,,SKIPPED,The user already exists.\n',
    );
    expect(answer?.count).toBe(2);
  });

  it('reads every page of a long log, and asks again for a throttled page instead of starting over', async () => {
    mapObject(await interleavedMap());
    const stream = 'import-1/run-1-part-1';
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    logs
      .on(FilterLogEventsCommand, { logStreamNames: [stream] })
      .resolvesOnce({ events: [{ message: skipped(1) }], nextToken: 'p2' })
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolvesOnce({ events: [{ message: skipped(2) }], nextToken: 'p3' })
      // CloudWatch may answer an empty page that still has a token.
      .resolvesOnce({ events: [], nextToken: 'p4' })
      .resolvesOnce({ events: [{ message: skipped(4) }] });
    const sleep = vi.fn(async () => {});
    await writeFailures(deps({ sleep }), 'run-1', 'imports', 'us-east-1_P1', [failedPart(1, 0, 3)]);
    expect(
      logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.nextToken ?? 'first'),
    ).toEqual(['first', 'p2', 'p2', 'p2', 'p3', 'p4']);
    expect(sleep).toHaveBeenCalledTimes(2);
    const [first, second] = sleep.mock.calls.map((call) => (call as number[])[0] as number);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(second).toBeGreaterThanOrEqual(1000);
    expect(await failuresCsv()).toBe(
      'line,username,outcome,reason\n2,b1,SKIPPED,The user already exists.\n4,"b,2",SKIPPED,The user already exists.\n8,bé4,SKIPPED,The user already exists.\n',
    );
  });

  it('throws a throttling that outlasts its tries, for the state machine to retry', async () => {
    mapObject(await interleavedMap());
    logs.on(FilterLogEventsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const sleep = vi.fn(async () => {});
    const error = await writeFailures(deps({ sleep }), 'run-1', 'imports', 'us-east-1_P1', [
      failedPart(1, 0, 1),
    ]).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ThrottlingException');
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(8);
    expect(sleep).toHaveBeenCalledTimes(7);
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('stops reading the other parts’ logs once one fails: nothing reads on after the invocation failed', async () => {
    logs
      .on(FilterLogEventsCommand, { logStreamNames: ['import-1/run-1-part-1'] })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    // Part 2's log never ends: each page names another.
    let pages = 0;
    logs
      .on(FilterLogEventsCommand, { logStreamNames: ['import-2/run-1-part-2'] })
      .callsFake(async () => {
        pages++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { events: [{ message: skipped(1) }], nextToken: `page-${pages}` };
      });
    const error = await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [
      failedPart(1, 0, 1),
      failedPart(2, 0, 1),
    ]).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AccessDeniedException');
    const seen = pages;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pages).toBeLessThanOrEqual(seen + 1);
    expect(s3).not.toReceiveCommand(GetObjectCommand);
  });

  it('writes nothing when the logs hold no FAILED or SKIPPED line', async () => {
    mapObject(await interleavedMap());
    jobLogs({ 1: [[]] });
    const answer = await writeFailures(deps(), 'run-1', 'imports', 'us-east-1_P1', [
      failedPart(1, 0, 1),
    ]);
    expect(answer).toEqual({ reportKey: 'reports/run-1/failures.csv', count: 0, sample: [] });
    expect(s3).not.toReceiveCommand(PutObjectCommand);
    // Nothing to find in it: the map is not read at all.
    expect(s3).not.toReceiveCommand(GetObjectCommand);
  });
});
