import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { S3Client } from '@aws-sdk/client-s3';
import { asStateMachineError, errorName } from '../aws/sdk-errors.ts';
import { DEFAULT_POST_IMPORT_RATE, type FunctionConfig } from '../config.ts';
import { intField, splitGroupNames, textField } from '../csv/index.ts';
import { realSleep } from './job-log.ts';
import { lineMapKey, membershipsKey, postImportStatusesKey } from './keys.ts';
import { attributesOf } from './post-import/attributes.ts';
import { type FailedRow, readCheckpoint, writeCheckpoint } from './post-import/checkpoint.ts';
import { pickedRecords, RowLookup } from './post-import/csv-rows.ts';
import { Pacer } from './post-import/pacer.ts';
import { applyRow, OutOfTime } from './post-import/row-calls.ts';
import {
  loadRowStatuses,
  ROW_SKIPPED,
  ROW_UNTOUCHED,
  readSettledRowStatuses,
  saveRowStatuses,
  type WantedRows,
} from './post-import/statuses.ts';
import type { Log } from './telemetry.ts';
import type { PartItem, PostImportState } from './types.ts';

/*
 * The post-import phase of one part (ApplyPostImport): after the part's import job, each row it
 * imported gets its groups (AdminAddUserToGroup), and under `existingUsers: update` each row it
 * skipped because the user exists gets its attributes (AdminUpdateUserAttributes) and its
 * groups. Memberships are only ever added.
 *
 * A part holds up to 500,000 rows, and the calls are paced under Cognito's UserUpdate quota
 * (20 a second by default): hours of work, far more than one Lambda's 15 minutes. So each
 * invocation works through the rows in part order until its time is nearly up and answers
 * where it stopped (`cursor`, `done: false`); the state machine calls it again with that state
 * until `done`. It checkpoints as it goes (every CHECKPOINT_ROWS rows or CHECKPOINT_MS), and a
 * retried invocation (the same input, after a crash or a timeout) starts from the checkpoint
 * when it is ahead of its input. The counts of a state cover exactly the rows before its cursor,
 * so rows done again after a crash are counted once; the calls themselves are harmless to
 * repeat (a member added again, a user updated to the same values).
 *
 * Reads, each once and forward only: the job's log (once per part: its outcome per row is kept
 * in S3, a byte a row), the part file, the memberships and, only when a row fails, the line map.
 */

export interface PostImportDeps {
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  config: Pick<FunctionConfig, 'cognitoLineNumbering'>;
  /**
   * The clock the pace, the pauses and the checkpoints' interval are measured on, and the wait
   * that moves it: real, monotonic time unless given. Not `now`, which the local twin may hold
   * still (its virtual clock), while Cognito's quotas run on real time.
   */
  monotonic?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The invocation's time left (Lambda's getRemainingTimeInMillis); unlimited unless given. */
  remainingMs?: () => number;
  log?: Log;
  /** Changes the defaults below (tests). */
  tuning?: Partial<PostImportTuning>;
}

export interface PostImportTuning {
  /** Time left unused at the end of an invocation: at most this, and at most a tenth of the time it began with. */
  marginMs: number;
  /** Rows worked on between checkpoints, at most. */
  checkpointRows: number;
  /** Time between checkpoints, at most. */
  checkpointMs: number;
  /** The jitter of throttling pauses. */
  random: () => number;
}

const TUNING: PostImportTuning = {
  marginMs: 30_000,
  checkpointRows: 2_000,
  checkpointMs: 60_000,
  random: Math.random,
};

/** A row of the part that the job imported or skipped, as the loop needs it. */
interface PartRow {
  row: number;
  username: string;
  /** The row's values, for a row whose user is updated. */
  values?: string[];
}

/** A row's groups as memberships.csv writes them (src/csv/group-column.ts: `\;` inside a name). */
const splitGroups = (groups: string | undefined) => (groups ? splitGroupNames(groups) : []);

/**
 * Works on the part's rows from where its state (or its checkpoint) stands, until they are all
 * done or the invocation's time is nearly up.
 *
 * @throws TransientServiceError for a service fault that outlasted its tries (after a
 *   checkpoint: the retried Task resumes there); the SDK's error for anything else that is no
 *   row's own (access denied, the pool or a file missing), also after a checkpoint.
 */
export async function applyPostImport(
  item: PartItem,
  deps: PostImportDeps,
): Promise<PostImportState> {
  const tuning = { ...TUNING, ...deps.tuning };
  const sleep = deps.sleep ?? realSleep;
  const clock = deps.monotonic ?? (() => performance.now());
  const started = clock();
  const remaining = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const margin = Math.min(tuning.marginMs, remaining() / 10);
  const { part, run, userPoolId, job } = item;
  const given: PostImportState = item.post ?? {
    cursor: 1,
    done: false,
    updated: 0,
    memberships: 0,
    failed: 0,
    invocations: 0,
  };
  if (given.done) return given;
  const update = item.options.existingUsers === 'update';
  const hasGroups = (part.groupRows ?? 0) > 0;
  const wanted: WantedRows = {
    imported: hasGroups && (job?.importedUsers ?? 0) > 0,
    skipped: update && (job?.skippedUsers ?? 0) > 0,
  };
  if (!job || (!wanted.imported && !wanted.skipped))
    return { ...given, cursor: part.rows + 1, done: true, invocations: given.invocations + 1 };

  const saved = await readCheckpoint(deps.s3, part.bucket, run, part.index);
  const invocations = Math.max(given.invocations, saved?.invocations ?? 0) + 1;
  const state: PostImportState =
    saved && saved.cursor > given.cursor ? { ...saved, invocations } : { ...given, invocations };
  const resumed = state.cursor > given.cursor;
  if (state.done) return state;

  const stats = {
    logPages: 0,
    logRetries: 0,
    unmatched: 0,
    missingLines: 0,
    calls: 0,
    throttled: 0,
    rows: 0,
  };
  const statusKey = postImportStatusesKey(run, part.index);
  let statuses = await loadRowStatuses(deps.s3, part.bucket, statusKey, part.rows);
  const statusesRead = !statuses;
  if (!statuses) {
    statuses = await readSettledRowStatuses(
      { ...deps, sleep },
      stats,
      userPoolId,
      job,
      part.rows,
      wanted,
    );
    if (stats.missingLines > 0)
      deps.log?.warn('post-import: the import log lacks lines of rows the job counted', {
        missingLines: stats.missingLines,
      });
    await saveRowStatuses(deps.s3, part.bucket, statusKey, statuses);
  }
  const rowStatuses = statuses;

  let header: string[] | undefined;
  let usernameAt = -1;
  let partRow = 0;
  const rows = pickedRecords<PartRow>(deps.s3, part.bucket, part.key, false, (rec) => {
    if (!header) {
      header = Array.from({ length: rec.count }, (_, f) => textField(rec, f));
      usernameAt = header.indexOf('cognito:username');
      return undefined;
    }
    const row = ++partRow;
    if (row < state.cursor || row > part.rows) return undefined;
    const status = rowStatuses[row];
    if (status === ROW_UNTOUCHED) return undefined;
    const username = textField(rec, usernameAt);
    if (status !== ROW_SKIPPED || !update) return { row, username };
    return {
      row,
      username,
      values: Array.from({ length: rec.count }, (_, f) => textField(rec, f)),
    };
  });
  const memberships = new RowLookup(() =>
    pickedRecords(deps.s3, part.bucket, membershipsKey(run), true, (rec) =>
      intField(rec, 0) === part.index
        ? { row: intField(rec, 1), groups: textField(rec, 2) }
        : undefined,
    ),
  );
  const lineMap = new RowLookup(() =>
    pickedRecords(deps.s3, part.bucket, lineMapKey(run), true, (rec) =>
      intField(rec, 0) === part.index
        ? { row: intField(rec, 1), line: intField(rec, 3) }
        : undefined,
    ),
  );
  const pacer = new Pacer(item.options.postImportRate ?? DEFAULT_POST_IMPORT_RATE, {
    now: clock,
    sleep,
  });
  const rowDeps = {
    cognito: deps.cognito,
    pacer,
    sleep,
    mayWait: (ms: number) => remaining() - ms >= margin / 2,
    random: tuning.random,
  };
  // The first batch of an invocation may be one an earlier try did in part: its file is
  // written even without failures, to replace whatever that try left.
  const batch = {
    from: state.cursor,
    failures: [] as FailedRow[],
    always: true,
    rows: 0,
    at: started,
  };
  const checkpoint = async () => {
    await writeCheckpoint(deps.s3, part.bucket, run, part.index, state, batch);
    Object.assign(batch, {
      from: state.cursor,
      failures: [],
      always: false,
      rows: 0,
      at: clock(),
    });
  };

  let stopped = false;
  try {
    for await (const row of rows) {
      if (remaining() < margin) {
        stopped = true;
        break;
      }
      const groups = hasGroups ? splitGroups((await memberships.at(row.row))?.groups) : [];
      const attributes = row.values && header ? attributesOf(header, row.values) : undefined;
      if (groups.length > 0 || (attributes && attributes.length > 0)) {
        const result = await applyRow(rowDeps, {
          userPoolId,
          username: row.username,
          ...(attributes ? { attributes } : {}),
          groups,
        });
        stats.calls += result.calls;
        stats.throttled += result.throttled;
        stats.rows++;
        if (result.updated) state.updated++;
        state.memberships += result.memberships;
        if (result.reasons.length > 0) {
          state.failed++;
          const line = (await lineMap.at(row.row))?.line ?? 0;
          batch.failures.push({
            line: Math.max(line, 0),
            username: row.username,
            reason: result.reasons.join('; '),
          });
        }
        batch.rows++;
      }
      state.cursor = row.row + 1;
      if (batch.rows >= tuning.checkpointRows || clock() - batch.at >= tuning.checkpointMs)
        await checkpoint();
    }
  } catch (error) {
    if (!(error instanceof OutOfTime)) {
      // What is done is kept: the retried Task resumes at the row that met the error.
      await checkpoint().catch((failed: unknown) =>
        deps.log?.warn('post-import checkpoint not written', { error: errorName(failed) }),
      );
      deps.log?.warn('post-import stopped by an error', {
        error: errorName(error),
        cursor: state.cursor,
        rows: stats.rows,
        calls: stats.calls,
      });
      throw asStateMachineError(error);
    }
    stopped = true;
  } finally {
    await Promise.allSettled([rows.return(undefined), memberships.close(), lineMap.close()]);
  }
  if (!stopped) {
    state.cursor = part.rows + 1;
    state.done = true;
  }
  await checkpoint();
  deps.log?.info('post-import invocation', {
    done: state.done,
    cursor: state.cursor,
    rows: stats.rows,
    calls: stats.calls,
    throttled: stats.throttled,
    updated: state.updated,
    memberships: state.memberships,
    failed: state.failed,
    invocations: state.invocations,
    resumedFromCheckpoint: resumed,
    ...(statusesRead
      ? {
          logPages: stats.logPages,
          logRetries: stats.logRetries,
          unmatchedLogLines: stats.unmatched,
        }
      : {}),
    seconds: (clock() - started) / 1000,
  });
  return state;
}
