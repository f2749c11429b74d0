import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMessages, type SnsTwin, startSnsTwin } from '../../twin/sns/index.ts';

let dataDir: string;
let twin: SnsTwin;
let sns: SNSClient;
beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sns-twin-'));
  twin = await startSnsTwin({ dataDir, topics: ['outcomes'] });
  sns = new SNSClient({
    endpoint: twin.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  await twin.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local SNS topic', () => {
  it('keeps a published message with its subject and attributes, readable after the twin stops', async () => {
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: twin.topicArn('outcomes'),
        Subject: '[SUCCEEDED] users.csv -> us-east-1_P1: 3 imported, 0 skipped, 0 failed',
        Message: '{"status":"SUCCEEDED"}',
        MessageAttributes: {
          status: { DataType: 'String', StringValue: 'SUCCEEDED' },
          userPoolId: { DataType: 'String', StringValue: 'us-east-1_P1' },
        },
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    await twin.close();
    const [kept] = readMessages(dataDir);
    expect(kept).toMatchObject({
      messageId: MessageId,
      subject: expect.stringMatching(/^\[SUCCEEDED\]/),
      message: '{"status":"SUCCEEDED"}',
      attributes: { status: 'SUCCEEDED', userPoolId: 'us-east-1_P1' },
    });
    twin = await startSnsTwin({ dataDir, topics: ['outcomes'] });
  });

  it('refuses an unknown topic and a subject SNS would refuse', async () => {
    await expect(
      sns.send(new PublishCommand({ TopicArn: twin.topicArn('other'), Message: 'x' })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(
      sns.send(
        new PublishCommand({
          TopicArn: twin.topicArn('outcomes'),
          Message: 'x',
          Subject: 'x'.repeat(100),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(twin.messages()).toEqual([]);
  });

  it('fails the next publishes on request, then accepts again', async () => {
    twin.failPublishes(1);
    await expect(
      sns.send(new PublishCommand({ TopicArn: twin.topicArn('outcomes'), Message: 'x' })),
    ).rejects.toMatchObject({ name: 'InternalErrorException' });
    await sns.send(new PublishCommand({ TopicArn: twin.topicArn('outcomes'), Message: 'y' }));
    expect(twin.messages().map((m) => m.message)).toEqual(['y']);
  });
});
