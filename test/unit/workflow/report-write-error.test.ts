/**
 * failures.csv goes to a temporary file before S3. These tests make that file fail while it is
 * back-pressured (the disk full, say): the report must end, not wait for a 'drain' that a failed
 * stream never sends. node:fs is replaced for this file only, so that the failure is real to the
 * code under test and nothing else.
 */
import { Readable, Writable } from 'node:stream';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReportInput, reportOutcome } from '../../../src/workflow/report.ts';

const disk = vi.hoisted(() => ({
  failAfterWrites: Number.POSITIVE_INFINITY,
  opened: 0,
  closed: 0,
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    createWriteStream: (...args: Parameters<typeof fs.createWriteStream>) => {
      if (!Number.isFinite(disk.failAfterWrites)) return fs.createWriteStream(...args);
      disk.opened++;
      const file = fs.createWriteStream(...args);
      let writes = 0;
      // The real file behind a one-byte buffer: every write back-pressures, as a slow disk would.
      const stream = new Writable({
        highWaterMark: 1,
        write(chunk, _encoding, callback) {
          if (++writes > disk.failAfterWrites)
            setImmediate(() =>
              callback(
                Object.assign(new Error('ENOSPC: no space left on device, write'), {
                  code: 'ENOSPC',
                }),
              ),
            );
          else file.write(chunk, (error) => setImmediate(() => callback(error)));
        },
        final(callback) {
          file.end(callback);
        },
        destroy(error, callback) {
          if (file.closed) return callback(error);
          file.destroy();
          file.once('close', () => callback(error));
        },
      });
      stream.once('close', () => disk.closed++);
      return stream;
    },
  };
});

const s3 = mockClient(S3Client);
const logs = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
afterEach(() => {
  s3.reset();
  logs.reset();
  sns.reset();
  disk.failAfterWrites = Number.POSITIVE_INFINITY;
  disk.opened = 0;
  disk.closed = 0;
});

/** Enough rows for failures.csv to go to the file in several pieces (it is written in ~64 KB ones). */
const ROWS = 5_000;

const part = {
  index: 1,
  bucket: 'imports',
  key: 'staging/run-1/part-0001.csv',
  mapKey: 'staging/run-1/lines.csv',
  rows: ROWS,
  bytes: 100_000,
};
const options = { invalidRows: 'reject' as const, notify: false, deadlineSeconds: 3600 };
const state: ReportInput = {
  run: 'run-1',
  source: { bucket: 'imports', key: 'incoming/us-east-1_P1/users.csv' },
  userPoolId: 'us-east-1_P1',
  options,
  parts: [
    {
      part,
      run: 'run-1',
      userPoolId: 'us-east-1_P1',
      options,
      deadlineAt: 0,
      job: {
        jobId: 'import-AAAAAAAAAA',
        jobName: 'run-1-part-1',
        status: 'Succeeded',
        importedUsers: 0,
        skippedUsers: ROWS,
        failedUsers: 0,
        poll: { rounds: 1, waitSeconds: 5 },
        slotBusy: false,
        mustStop: false,
        stopRequested: false,
      },
    },
  ],
};

function skippedRows() {
  logs
    .on(DescribeLogGroupsCommand)
    .resolves({ logGroups: [{ logGroupName: '/aws/cognito/userpools/us-east-1_P1/pool' }] });
  logs.on(FilterLogEventsCommand).resolves({
    events: Array.from({ length: ROWS }, (_, i) => ({
      message: `[SKIPPED] Line Number ${i + 1} - The user already exists.`,
    })),
  });
  const map = Array.from(
    { length: ROWS },
    (_, i) => `1,${i + 1},${i + 2},${i + 2},${i + 1},user${i}`,
  );
  s3.on(GetObjectCommand).resolves({
    Body: Readable.from([
      `part,part_row,part_line,source_line,source_row,username\n${map.join('\n')}\n`,
    ]) as never,
  });
}

describe('failures.csv on a disk that fails mid-write', () => {
  it('ends the report with the counts and without the list, and closes the file', {
    timeout: 10_000,
  }, async () => {
    skippedRows();
    disk.failAfterWrites = 3;
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const outcome = await reportOutcome(state, {
      s3: new S3Client({}),
      logs: new CloudWatchLogsClient({}),
      sns: new SNSClient({}),
      config: { cognitoLineNumbering: 'data' },
      now: () => 0,
      log,
    });
    expect(outcome).toMatchObject({ status: 'PARTIAL', totals: { skipped: ROWS } });
    expect(outcome.failures).toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith(
      'failures.csv could not be written; the outcome has the counts',
      { errorName: 'Error' },
    );
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      'reports/run-1/outcome.json',
    ]);
    expect([disk.opened, disk.closed]).toEqual([1, 1]);
  });

  it('writes every line when the disk keeps up (the same back-pressure, no failure)', async () => {
    skippedRows();
    disk.failAfterWrites = 1_000;
    const outcome = await reportOutcome(state, {
      s3: new S3Client({}),
      logs: new CloudWatchLogsClient({}),
      sns: new SNSClient({}),
      config: { cognitoLineNumbering: 'data' },
      now: () => 0,
    });
    expect(outcome.failures?.count).toBe(ROWS);
  });
});
