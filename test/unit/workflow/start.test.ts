import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../src/workflow/names.ts';
import { startImport } from '../../../src/workflow/start.ts';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());
const deps = () => ({
  sfn: new SFNClient({}),
  stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:import-users',
});

const eventBridge = (key: string, sequencer = '0A1B') => ({
  version: '0',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: {
    bucket: { name: 'imports' },
    object: { key, size: 10, etag: 'abc', 'version-id': 'v1', sequencer },
  },
});

describe('startImport', () => {
  it('starts an execution named from the object for an EventBridge Object Created event', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x' });
    const [result] = await startImport(eventBridge('incoming/us-east-1_P1/users.csv'), deps());
    expect(result).toMatchObject({ status: 'started', executionArn: 'arn:x' });
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.name).toMatch(/^imp-users-[0-9a-f]{32}$/);
    expect(JSON.parse(call?.input ?? '{}')).toEqual({
      bucket: 'imports',
      key: 'incoming/us-east-1_P1/users.csv',
      versionId: 'v1',
      etag: 'abc',
    });
  });

  it('decodes the form-encoded key of a classic S3 notification', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x' });
    await startImport(
      {
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            s3: {
              bucket: { name: 'imports' },
              object: { key: 'incoming/my+users+%C3%A9t%C3%A9.csv', sequencer: '01' },
            },
          },
        ],
      },
      deps(),
    );
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(JSON.parse(call?.input ?? '{}').key).toBe('incoming/my users été.csv');
    expect(call?.name).toMatch(/^imp-my-users-t-[0-9a-f]{32}$/);
  });

  it('treats ExecutionAlreadyExists as a duplicate delivery, not an error', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(startImport(eventBridge('incoming/users.csv'), deps())).resolves.toEqual([
      { status: 'duplicate', name: expect.stringMatching(/^imp-users-/) },
    ]);
  });

  it('gives a redelivered event the same name and a new upload a new one', () => {
    const a = executionName({
      bucket: 'imports',
      key: 'incoming/users.csv',
      etag: 'abc',
      sequencer: '01',
    });
    expect(
      executionName({ bucket: 'imports', key: 'incoming/users.csv', etag: 'abc', sequencer: '01' }),
    ).toBe(a);
    expect(
      executionName({ bucket: 'imports', key: 'incoming/users.csv', etag: 'abc', sequencer: '02' }),
    ).not.toBe(a);
    const long = executionName({ bucket: 'imports', key: `incoming/${'x'.repeat(300)}.csv` });
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each(['outgoing/users.csv', 'incoming/users.txt', 'incoming/folder/'])(
    'ignores %s',
    async (key) => {
      await expect(startImport(eventBridge(key), deps())).resolves.toEqual([
        { status: 'ignored', reason: 'not a .csv under incoming/' },
      ]);
      expect(sfn).not.toReceiveCommand(StartExecutionCommand);
    },
  );

  it('ignores an event that announces no created object', async () => {
    await expect(startImport({ hello: 'world' }, deps())).resolves.toEqual([
      { status: 'ignored', reason: 'not an object-created event' },
    ]);
  });
});
