import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError } from '../../aws/sdk-errors.ts';
import type { FunctionConfig } from '../../config.ts';
import {
  JOB_LOG_LINE,
  type JobLogDeps,
  type JobLogStats,
  lineNumberOffset,
  logGroups,
  readJobLog,
} from '../job-log.ts';
import type { OutcomeJob } from '../types.ts';

/*
 * What the part's import job did with each row, as the post-import phase needs it: imported
 * (its groups are added) or skipped (under `existingUsers: update`, its user is updated and its
 * groups added). One byte a part row, index = part row (1 = first data row): 500 KB for
 * Cognito's 500,000 rows, where objects would take tens of megabytes.
 */

export const ROW_UNTOUCHED = 0;
export const ROW_IMPORTED = 1;
export const ROW_SKIPPED = 2;

/** The outcomes worth reading from the log: the others need no work. */
export interface WantedRows {
  imported: boolean;
  skipped: boolean;
}

export interface StatusDeps extends JobLogDeps {
  s3: Pick<S3Client, 'send'>;
  config: Pick<FunctionConfig, 'cognitoLineNumbering'>;
}

/** The filter that leaves in the log only the lines of the wanted outcomes. */
function filterPattern(wanted: WantedRows): string {
  if (wanted.imported && wanted.skipped) return '?SUCCEEDED ?SKIPPED';
  return wanted.imported ? 'SUCCEEDED' : 'SKIPPED';
}

/**
 * Reads each row's outcome from the job's log: SUCCEEDED and SKIPPED lines, as `wanted` asks.
 * A line whose number names no row of the part (a numbering the pipeline was told wrongly) is
 * counted in `unmatched` and otherwise left alone: no row is worked on by a guess.
 */
export async function readRowStatuses(
  deps: StatusDeps,
  stats: JobLogStats & { unmatched: number },
  userPoolId: string,
  job: Pick<OutcomeJob, 'jobId' | 'jobName'>,
  rows: number,
  wanted: WantedRows,
): Promise<{ statuses: Uint8Array; lines: { imported: number; skipped: number } }> {
  const statuses = new Uint8Array(rows + 1);
  const lines = { imported: 0, skipped: 0 };
  const offset = lineNumberOffset(deps.config.cognitoLineNumbering);
  const groups = await logGroups(deps, stats, userPoolId);
  await readJobLog(deps, stats, groups, job, filterPattern(wanted), (message) => {
    const match = JOB_LOG_LINE.exec(message);
    if (!match) return;
    if (match[1] === 'SUCCEEDED') lines.imported++;
    else if (match[1] === 'SKIPPED') lines.skipped++;
    const row = Number(match[2]) - offset;
    if (!(row >= 1 && row <= rows)) {
      stats.unmatched++;
      return;
    }
    if (match[1] === 'SUCCEEDED' && wanted.imported) statuses[row] = ROW_IMPORTED;
    else if (match[1] === 'SKIPPED' && wanted.skipped) statuses[row] = ROW_SKIPPED;
  });
  return { statuses, lines };
}

/** Pauses before the log is read again while it holds fewer lines than the job counted. */
const SETTLE_PAUSES_MS = [5_000, 15_000, 30_000];

/**
 * Reads the row statuses once the log holds a line for every row the job counted as imported
 * or skipped (of the outcomes wanted): CloudWatch Logs takes events in some seconds after they
 * are written, and a row whose line is missing would silently get nothing. After the last
 * pause, what the log holds is taken, and `short` says lines are missing.
 */
export async function readSettledRowStatuses(
  deps: StatusDeps & { sleep: (ms: number) => Promise<void> },
  stats: JobLogStats & { unmatched: number; missingLines: number },
  userPoolId: string,
  job: Pick<OutcomeJob, 'jobId' | 'jobName' | 'importedUsers' | 'skippedUsers'>,
  rows: number,
  wanted: WantedRows,
): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    stats.unmatched = 0;
    const { statuses, lines } = await readRowStatuses(deps, stats, userPoolId, job, rows, wanted);
    const missing =
      (wanted.imported ? Math.max(0, job.importedUsers - lines.imported) : 0) +
      (wanted.skipped ? Math.max(0, job.skippedUsers - lines.skipped) : 0);
    stats.missingLines = missing;
    const pause = SETTLE_PAUSES_MS[attempt];
    if (missing === 0 || pause === undefined) return statuses;
    await deps.sleep(pause);
  }
}

/** The statuses an earlier invocation kept; undefined when there are none (or not of this part's size). */
export async function loadRowStatuses(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  key: string,
  rows: number,
): Promise<Uint8Array | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    return bytes && bytes.length === rows + 1 ? bytes : undefined;
  } catch (error) {
    if (isAwsError(error, 'NoSuchKey', 'NotFound')) return undefined;
    throw error;
  }
}

export async function saveRowStatuses(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  key: string,
  statuses: Uint8Array,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: statuses,
      ContentLength: statuses.length,
      ContentType: 'application/octet-stream',
    }),
  );
}
