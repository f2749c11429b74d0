import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ObjectCreatedEvent, toS3NotificationRecord } from '../../../twin/s3/index.ts';
import { bytes, eventually, md5, type S3Fixture, sleep, startS3Fixture } from './fixture.ts';

let f: S3Fixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

const start = async (options: Parameters<typeof startS3Fixture>[0] = {}) => {
  f = await startS3Fixture(options);
  return f;
};

/** A few watcher scans: long enough for a stray second event to show up. */
const quiet = () => sleep(250);

describe('"Object Created" events for writes through the API', () => {
  it('raises exactly one EventBridge-shaped event per PutObject', async () => {
    const t = await start({ account: '111122223333', region: 'eu-west-1' });
    const put = await t.s3.send(
      new PutObjectCommand({ Bucket: 'bkt', Key: 'incoming/new users.csv', Body: 'a,b\n' }),
    );
    expect(t.events).toHaveLength(1);
    const [event] = t.events as [ObjectCreatedEvent];
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '111122223333',
      region: 'eu-west-1',
      resources: ['arn:aws:s3:::bkt'],
      detail: {
        version: '0',
        bucket: { name: 'bkt' },
        object: {
          key: 'incoming/new users.csv',
          size: 4,
          etag: md5('a,b\n'),
          'version-id': put.VersionId,
        },
        requester: '111122223333',
        'source-ip-address': '127.0.0.1',
        reason: 'PutObject',
      },
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(event.detail.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(event.detail['request-id']).toMatch(/^[0-9A-F]{16}$/);
  });

  it('gives later writes to a bucket greater sequencers', async () => {
    const t = await start();
    for (const key of ['a', 'b', 'a'])
      await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: key }));
    const sequencers = t.events.map((e) => e.detail.object.sequencer);
    expect([...sequencers].sort()).toEqual(sequencers);
    expect(new Set(sequencers).size).toBe(3);
  });

  it('raises one CompleteMultipartUpload event for a multipart upload, none for its parts', async () => {
    const t = await start();
    const { UploadId } = await t.s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp.csv' }),
    );
    const first = bytes(5 * 1024 * 1024);
    const parts = [];
    for (const [i, body] of [first, Buffer.from('end')].entries()) {
      const { ETag } = await t.s3.send(
        new UploadPartCommand({
          Bucket: 'bkt',
          Key: 'mp.csv',
          UploadId,
          PartNumber: i + 1,
          Body: body,
        }),
      );
      parts.push({ ETag, PartNumber: i + 1 });
    }
    expect(t.events).toHaveLength(0);
    const done = await t.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'bkt',
        Key: 'mp.csv',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(t.events).toHaveLength(1);
    expect(t.events[0]?.detail).toMatchObject({
      reason: 'CompleteMultipartUpload',
      object: { key: 'mp.csv', size: first.length + 3, etag: done.ETag?.replace(/"/g, '') },
    });
    expect(t.events[0]?.detail.object.etag).toMatch(/^[0-9a-f]{32}-2$/);
  });

  it('raises one CopyObject event for a copy', async () => {
    const t = await start();
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'src.csv', Body: 'x,y\n' }));
    await t.s3.send(
      new CopyObjectCommand({ Bucket: 'bkt', Key: 'dst.csv', CopySource: 'bkt/src.csv' }),
    );
    expect(
      t.events.map((e) => [e.detail.reason, e.detail.object.key, e.detail.object.size]),
    ).toEqual([
      ['PutObject', 'src.csv', 4],
      ['CopyObject', 'dst.csv', 4],
    ]);
  });

  it('emits the same events on twin.events', async () => {
    const t = await start();
    const seen: ObjectCreatedEvent[] = [];
    t.twin.events.on('objectCreated', (event) => seen.push(event));
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'v' }));
    expect(seen).toEqual(t.events);
  });

  it('keeps the write when a listener throws, and reports the error through onError', async () => {
    const errors: Error[] = [];
    const t = await start({
      onObjectCreated: () => {
        throw new Error('listener broke');
      },
      onError: (error) => errors.push(error),
    });
    const put = await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'v' }));
    expect(put.ETag).toBe(`"${md5('v')}"`);
    expect(errors.map((e) => e.message)).toEqual(['listener broke']);
  });

  it('raises no event for a write that was refused', async () => {
    const t = await start();
    await expect(
      t.s3.send(
        new PutObjectCommand({ Bucket: 'bkt', Key: 'bad', Body: 'x', ChecksumCRC32: 'AAAAAA==' }),
      ),
    ).rejects.toThrow();
    expect(t.events).toHaveLength(0);
  });
});

describe('"Object Created" events for files placed by hand (watch)', () => {
  it('raises exactly one event for a file copied into the bucket folder', async () => {
    const t = await start({ watch: true, watchIntervalMs: 30 });
    const source = join(t.dataDir, 'users.csv');
    writeFileSync(source, 'email\nme@example.com\n');
    mkdirSync(join(t.twin.bucketDir('bkt'), 'incoming'));
    copyFileSync(source, join(t.twin.bucketDir('bkt'), 'incoming', 'by hand.csv'));
    await eventually(() => t.events.length > 0);
    await quiet();
    expect(t.events).toHaveLength(1);
    expect(t.events[0]?.detail).toMatchObject({
      reason: 'PutObject',
      bucket: { name: 'bkt' },
      object: { key: 'incoming/by hand.csv', size: 21, etag: md5('email\nme@example.com\n') },
    });
    const head = await t.s3.send(
      new HeadObjectCommand({ Bucket: 'bkt', Key: 'incoming/by hand.csv' }),
    );
    expect(head).toMatchObject({
      ETag: `"${md5('email\nme@example.com\n')}"`,
      ContentType: 'text/csv',
      VersionId: t.events[0]?.detail.object['version-id'],
    });
  });

  it('does not raise a PutObject twice when the watcher is on', async () => {
    const t = await start({ watch: true, watchIntervalMs: 30 });
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'api.csv', Body: 'x' }));
    await t.s3.send(
      new CopyObjectCommand({ Bucket: 'bkt', Key: 'copy.csv', CopySource: 'bkt/api.csv' }),
    );
    await quiet();
    expect(t.events.map((e) => e.detail.reason)).toEqual(['PutObject', 'CopyObject']);
  });

  it('waits until a file stops growing and raises it once, with its final size', async () => {
    const t = await start({ watch: true, watchIntervalMs: 100 });
    const path = join(t.twin.bucketDir('bkt'), 'slow.csv');
    writeFileSync(path, '');
    for (let i = 0; i < 30; i++) {
      appendFileSync(path, `line ${i}\n`);
      await sleep(10);
    }
    const whole = readFileSync(path);
    await eventually(() => t.events.length > 0);
    await quiet();
    expect(t.events).toHaveLength(1);
    expect(t.events[0]?.detail.object).toMatchObject({ size: whole.length, etag: md5(whole) });
  });

  it('raises a new event when a file is replaced by hand, none when it is only touched', async () => {
    const t = await start({ watch: true, watchIntervalMs: 30 });
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k.csv', Body: 'one' }));
    const path = join(t.twin.bucketDir('bkt'), 'k.csv');
    writeFileSync(path, 'three');
    await eventually(() => t.events.length === 2);
    const now = new Date();
    const { utimesSync } = await import('node:fs');
    utimesSync(path, now, now);
    await quiet();
    expect(t.events.map((e) => [e.detail.object.key, e.detail.object.etag])).toEqual([
      ['k.csv', md5('one')],
      ['k.csv', md5('three')],
    ]);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k.csv' }));
    expect(await got.Body?.transformToString()).toBe('three');
  });

  it('raises files that arrived while the twin was stopped when it starts again', async () => {
    const t = await start({ watch: true, watchIntervalMs: 30 });
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'before.csv', Body: 'b' }));
    await t.twin.close();
    writeFileSync(join(t.twin.bucketDir('bkt'), 'offline.csv'), 'dropped while stopped');
    await t.restart();
    await eventually(() => t.events.length === 2);
    await quiet();
    expect(t.events.map((e) => e.detail.object.key)).toEqual(['before.csv', 'offline.csv']);
  });

  it('raises nothing for hand-placed files when not watching, yet serves them', async () => {
    const t = await start();
    writeFileSync(join(t.twin.bucketDir('bkt'), 'manual.json'), '{"a":1}');
    await quiet();
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'manual.json' }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got).toMatchObject({ ETag: `"${md5('{"a":1}')}"`, ContentType: 'application/json' });
    expect(t.events).toHaveLength(0);
  });
});

describe('toS3NotificationRecord', () => {
  it('converts the EventBridge event into the classic S3 notification with a form-encoded key', async () => {
    const t = await start();
    const key = 'incoming/new users+extra ü (1).csv';
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: 'abc' }));
    const event = t.events[0] as ObjectCreatedEvent;
    const { Records } = toS3NotificationRecord(event);
    expect(Records).toHaveLength(1);
    expect(Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'us-east-1',
      s3: {
        bucket: { name: 'bkt', arn: 'arn:aws:s3:::bkt' },
        object: {
          key: 'incoming/new+users%2Bextra+%C3%BC+%281%29.csv',
          size: 3,
          eTag: md5('abc'),
          versionId: event.detail.object['version-id'],
          sequencer: event.detail.object.sequencer,
        },
      },
    });
    const encoded = Records[0]?.s3.object.key ?? '';
    expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(key);
  });

  it('names the event after the write, as S3 does', async () => {
    const t = await start();
    await t.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a', Body: 'a' }));
    await t.s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'b', CopySource: 'bkt/a' }));
    expect(t.events.map((e) => toS3NotificationRecord(e).Records[0]?.eventName)).toEqual([
      'ObjectCreated:Put',
      'ObjectCreated:Copy',
    ]);
  });
});
