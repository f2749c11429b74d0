import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError } from '../../aws/sdk-errors.ts';
import { postImportCheckpointKey, postImportFailuresKey } from '../keys.ts';
import type { PostImportState } from '../types.ts';

/** One row whose update or membership failed, as the part's failure files hold it. */
export interface FailedRow {
  /** The row's line in the source file; 0 when the line map does not have it. */
  line: number;
  username: string;
  reason: string;
}

const csvCell = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

const isState = (value: unknown): value is PostImportState => {
  const v = value as Partial<PostImportState> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    [v.cursor, v.updated, v.memberships, v.failed, v.invocations].every(Number.isSafeInteger) &&
    typeof v.done === 'boolean'
  );
};

/** The part's last checkpoint; undefined when none was written (or it cannot be read as one). */
export async function readCheckpoint(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  run: string,
  part: number,
): Promise<PostImportState | undefined> {
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: postImportCheckpointKey(run, part) }),
    );
    const text = (await object.Body?.transformToString()) ?? '';
    const state: unknown = JSON.parse(text);
    return isState(state) ? state : undefined;
  } catch (error) {
    if (isAwsError(error, 'NoSuchKey', 'NotFound') || error instanceof SyntaxError)
      return undefined;
    throw error;
  }
}

/**
 * Writes a batch's failures, then the state that follows it: in that order, so that a state
 * never counts failures whose file is missing. A batch done again after a crash starts at the
 * same row, and so overwrites its own file.
 *
 * @param from - the batch's first part row (its file's name)
 * @param failures - the batch's failed rows; with none, a file is written only when `always`
 *   (a batch that may be done again must replace what an earlier try left)
 */
export async function writeCheckpoint(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  run: string,
  part: number,
  state: PostImportState,
  batch: { from: number; failures: FailedRow[]; always: boolean },
): Promise<void> {
  if (batch.failures.length > 0 || batch.always) {
    const body = `source_line,username,reason\n${batch.failures
      .map((f) => `${f.line},${csvCell(f.username)},${csvCell(f.reason)}\n`)
      .join('')}`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: postImportFailuresKey(run, part, batch.from),
        Body: body,
        ContentType: 'text/csv',
      }),
    );
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: postImportCheckpointKey(run, part),
      Body: JSON.stringify(state),
      ContentType: 'application/json',
    }),
  );
}
