/**
 * The twin's CloudWatch Logs as a home for lines written inside its process (the local Lambda's
 * function output): the in-process way in (`logs.createStream`, `logs.put`), read back through
 * the real SDK, and the JSON filter patterns CloudWatch has for JSON log events.
 */
import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';

let f: TwinFixture;
beforeEach(async () => {
  f = await startTwinFixture();
});
afterEach(async () => {
  await f.stop();
});

const GROUP = '/aws/lambda/cognito-import-pipeline-local-validateCsv';
const STREAM = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef';
const T0 = Date.parse('2026-11-27T09:00:00Z');
const json = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('lines written inside the process', () => {
  it('create the group and stream, readable at once through the Logs API, in order', async () => {
    // Prepare
    f.twin.logs.createStream(GROUP, STREAM, T0);
    // Act
    f.twin.logs.put(GROUP, STREAM, [
      { timestamp: T0 + 1, message: json({ level: 'INFO', message: 'validated', run: 'imp-a-1' }) },
      { timestamp: T0 + 2, message: json({ level: 'WARN', message: 'slow', run: 'imp-a-1' }) },
    ]);
    // Assess
    const { logGroups } = await f.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }),
    );
    expect(logGroups?.map((g) => g.logGroupName)).toEqual([GROUP]);
    const { logStreams } = await f.logs.send(
      new DescribeLogStreamsCommand({ logGroupName: GROUP }),
    );
    expect(logStreams?.map((s) => s.logStreamName)).toEqual([STREAM]);
    const { events } = await f.logs.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, startFromHead: true }),
    );
    expect(events?.map((e) => [e.timestamp, JSON.parse(e.message ?? '').message])).toEqual([
      [T0 + 1, 'validated'],
      [T0 + 2, 'slow'],
    ]);
  });

  it('make a group of a stream without events yet (an instance that has written nothing)', async () => {
    f.twin.logs.createStream(GROUP, STREAM, T0);
    const { logGroups } = await f.logs.send(new DescribeLogGroupsCommand({}));
    expect(logGroups?.map((g) => g.logGroupName)).toContain(GROUP);
    const { events } = await f.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP }));
    expect(events).toEqual([]);
  });

  it('refuse a group name CloudWatch would refuse', () => {
    expect(() => f.twin.logs.createStream('/aws/lambda/a function', STREAM, T0)).toThrow(
      /Invalid log group name/,
    );
    expect(() => f.twin.logs.put(GROUP, 'a:b', [{ timestamp: T0, message: 'x' }])).toThrow(
      /Invalid log stream name/,
    );
  });
});

describe('JSON filter patterns', () => {
  beforeEach(() => {
    f.twin.logs.put(GROUP, STREAM, [
      {
        timestamp: T0,
        message: json({ level: 'INFO', message: 'validated', run: 'imp-a-1', rows: 12 }),
      },
      {
        timestamp: T0,
        message: json({ level: 'ERROR', message: 'failed', run: 'imp-b-2', rows: 3 }),
      },
      {
        timestamp: T0,
        message: json({
          _aws: { CloudWatchMetrics: [] },
          run: 'imp-a-1',
          status: 'PARTIAL',
          Runs: 1,
        }),
      },
      { timestamp: T0, message: 'imp-a-1 in a line that is not JSON' },
    ]);
  });

  const matching = async (filterPattern: string) =>
    (
      await f.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern }))
    ).events?.map((e) => e.message) ?? [];

  it('match a field against a string, with * as a wildcard, never a line that is not JSON', async () => {
    expect(await matching('{ $.run = "imp-a-1" }')).toHaveLength(2);
    expect(await matching('{ $.run = "imp-b*" }')).toEqual([expect.stringContaining('"failed"')]);
    expect(await matching('{ $.run != "imp-a-1" }')).toEqual([expect.stringContaining('imp-b-2')]);
    expect(await matching('{ $.status = PARTIAL }')).toEqual([expect.stringContaining('"Runs":1')]);
  });

  it('compare numbers, and join terms with && and ||', async () => {
    expect(await matching('{ $.rows > 10 }')).toEqual([expect.stringContaining('validated')]);
    expect(await matching('{ $.run = "imp-a-1" && $.level = "INFO" }')).toHaveLength(1);
    expect(await matching('{ $.level = "ERROR" || $.Runs = 1 }')).toHaveLength(2);
    expect(await matching('{ $._aws.CloudWatchMetrics = "x" || $.missing.deeper = 1 }')).toEqual(
      [],
    );
  });

  it('refuse a pattern outside the forms it knows, as CloudWatch does', async () => {
    await expect(matching('{ run = "imp-a-1" }')).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});
