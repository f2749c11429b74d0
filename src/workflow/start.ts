import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isAwsError } from '../aws/sdk-errors.ts';
import { executionName } from './names.ts';
import { INCOMING_PREFIX } from './target-pool.ts';
import type { Log } from './telemetry.ts';
import type { ExecutionInput } from './types.ts';

/** An object-created notice, from either event shape, with the key decoded. */
export interface CreatedObject {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

export interface StartDeps {
  sfn: Pick<SFNClient, 'send'>;
  stateMachineArn: string;
  log?: Log;
}

export type StartResult =
  | { status: 'started'; executionArn: string; name: string }
  | { status: 'duplicate'; name: string }
  | { status: 'ignored'; reason: string };

/** Classic S3 notifications form-encode keys (`+` for a space); EventBridge sends them plain. */
const decodeS3Key = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/**
 * Reads the objects an event announces: the EventBridge `Object Created` event, or the classic S3
 * notification with its `Records`. Anything else announces nothing.
 */
interface EventBridgeObjectCreated {
  'detail-type'?: string;
  detail?: {
    bucket?: { name?: string };
    object?: {
      key?: string;
      size?: number;
      etag?: string;
      'version-id'?: string;
      sequencer?: string;
    };
  };
}

interface S3NotificationRecord {
  eventName?: string;
  s3?: {
    bucket?: { name?: string };
    object?: { key?: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
}

export function objectsOf(event: unknown): CreatedObject[] {
  const e = (event ?? {}) as EventBridgeObjectCreated & { Records?: S3NotificationRecord[] };
  if (e['detail-type'] === 'Object Created' && e.detail?.bucket?.name && e.detail.object?.key) {
    const o = e.detail.object;
    return [
      {
        bucket: String(e.detail.bucket.name),
        key: String(o.key),
        ...(typeof o.size === 'number' ? { size: o.size } : {}),
        ...(o.etag ? { etag: String(o.etag) } : {}),
        ...(o['version-id'] ? { versionId: String(o['version-id']) } : {}),
        ...(o.sequencer ? { sequencer: String(o.sequencer) } : {}),
      },
    ];
  }
  if (Array.isArray(e?.Records)) {
    const created: CreatedObject[] = [];
    for (const record of e.Records) {
      const bucket = record?.s3?.bucket?.name;
      const o = record?.s3?.object;
      if (!String(record?.eventName ?? '').startsWith('ObjectCreated:') || !bucket || !o?.key)
        continue;
      created.push({
        bucket: String(bucket),
        key: decodeS3Key(String(o.key)),
        ...(typeof o.size === 'number' ? { size: o.size } : {}),
        ...(o.eTag ? { etag: String(o.eTag) } : {}),
        ...(o.versionId ? { versionId: String(o.versionId) } : {}),
        ...(o.sequencer ? { sequencer: String(o.sequencer) } : {}),
      });
    }
    return created;
  }
  return [];
}

/**
 * The keys the EventBridge rule hands to the starter (`incoming/*.csv`, `incoming/*.CSV`, whose
 * `*` spans `/`): a test runs the rule's own patterns against this. Which pool a key goes to is
 * PrepareImport's decision (target-pool.ts).
 */
export const isImportKey = (key: string) =>
  key.startsWith(INCOMING_PREFIX) && (key.endsWith('.csv') || key.endsWith('.CSV'));

/**
 * The starter: one execution per new CSV under `incoming/`, named deterministically so that a
 * redelivered event cannot start a second import (`ExecutionAlreadyExists` is a duplicate, not
 * an error). Everything else is ignored with a log line that names no key.
 *
 * @throws the SDK's errors other than ExecutionAlreadyExists (the event is then redelivered).
 */
export async function startImport(event: unknown, deps: StartDeps): Promise<StartResult[]> {
  const objects = objectsOf(event);
  if (objects.length === 0) {
    deps.log?.info('ignored an event that announces no created object');
    return [{ status: 'ignored', reason: 'not an object-created event' }];
  }
  const results: StartResult[] = [];
  for (const object of objects) {
    if (!isImportKey(object.key)) {
      deps.log?.info('ignored an object outside incoming/ or not ending in .csv');
      results.push({ status: 'ignored', reason: 'not a .csv under incoming/' });
      continue;
    }
    const name = executionName(object);
    const input: ExecutionInput = {
      bucket: object.bucket,
      key: object.key,
      ...(object.versionId ? { versionId: object.versionId } : {}),
      ...(object.etag ? { etag: object.etag } : {}),
    };
    try {
      const { executionArn } = await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      deps.log?.info('started execution', { run: name });
      results.push({ status: 'started', executionArn: executionArn ?? '', name });
    } catch (error) {
      if (!isAwsError(error, 'ExecutionAlreadyExists')) throw error;
      deps.log?.info('execution already exists: a duplicate delivery, ignored', { run: name });
      results.push({ status: 'duplicate', name });
    }
  }
  return results;
}
