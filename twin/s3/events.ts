import { randomUUID } from 'node:crypto';

/** The write that created an object, as EventBridge reports it in `detail.reason`. */
export type ObjectCreatedReason = 'PutObject' | 'CompleteMultipartUpload' | 'CopyObject';

/**
 * The "Object Created" event S3 sends to EventBridge (the shape the workflow's starter receives
 * in AWS). `detail.object.key` is the plain key: EventBridge does not URL-encode it.
 */
export interface ObjectCreatedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    object: {
      key: string;
      size: number;
      /** The ETag without quotes. */
      etag: string;
      'version-id': string;
      /** Hex, fixed width, so later writes to a bucket compare greater as strings. */
      sequencer: string;
    };
    'request-id': string;
    requester: string;
    'source-ip-address': string;
    reason: ObjectCreatedReason;
  };
}

/** One record of the classic S3 event notification (S3 → Lambda/SNS/SQS). */
export interface S3NotificationRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size: number; eTag: string; versionId: string; sequencer: string };
  };
}

export interface S3Notification {
  Records: S3NotificationRecord[];
}

export interface CreatedObject {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  versionId: string;
  sequencer: string;
}

export function objectCreatedEvent(
  object: CreatedObject,
  context: {
    reason: ObjectCreatedReason;
    requestId: string;
    account: string;
    region: string;
    time?: Date;
  },
): ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: context.account,
    time: (context.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [`arn:aws:s3:::${object.bucket}`],
    detail: {
      version: '0',
      bucket: { name: object.bucket },
      object: {
        key: object.key,
        size: object.size,
        etag: object.etag,
        'version-id': object.versionId,
        sequencer: object.sequencer,
      },
      'request-id': context.requestId,
      requester: context.account,
      'source-ip-address': '127.0.0.1',
      reason: context.reason,
    },
  };
}

/**
 * A key as S3 notifications carry it: URL-encoded form-style (space as `+`, `+` as `%2B`), with
 * `/` left as is. Decode with `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeNotificationKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const EVENT_NAMES: Record<ObjectCreatedReason, string> = {
  PutObject: 'ObjectCreated:Put',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
  CopyObject: 'ObjectCreated:Copy',
};

/**
 * Converts an EventBridge "Object Created" event into the classic S3 event notification that S3
 * sends straight to Lambda, SNS or SQS. `eventName` follows the write as S3 names it
 * (`ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`, `ObjectCreated:Copy`).
 */
export function toS3NotificationRecord(event: ObjectCreatedEvent): S3Notification {
  const { detail } = event;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: event.region,
        eventTime: new Date(event.time).toISOString(),
        eventName: EVENT_NAMES[detail.reason],
        userIdentity: { principalId: detail.requester },
        requestParameters: { sourceIPAddress: detail['source-ip-address'] },
        responseElements: { 'x-amz-request-id': detail['request-id'], 'x-amz-id-2': event.id },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'local-twin',
          bucket: {
            name: detail.bucket.name,
            ownerIdentity: { principalId: event.account },
            arn: `arn:aws:s3:::${detail.bucket.name}`,
          },
          object: {
            key: encodeNotificationKey(detail.object.key),
            size: detail.object.size,
            eTag: detail.object.etag,
            versionId: detail.object['version-id'],
            sequencer: detail.object.sequencer,
          },
        },
      },
    ],
  };
}
