/**
 * Where a run keeps its files in the import bucket, in one place: the sweeper, the CLI and the
 * tests find them where the tasks wrote them. `staging/` holds the Cognito-dialect parts and the
 * line map (temporary: the bucket expires them); `reports/` holds what people read. A run's name
 * is its execution's name.
 */
export const stagingPrefix = (run: string) => `staging/${run}/`;
export const reportPrefix = (run: string) => `reports/${run}/`;

/** Part `index` (from 1) of the run's file, in Cognito's dialect: what one import job imports. */
export const partKey = (run: string, index: number) =>
  `${stagingPrefix(run)}part-${String(index).padStart(4, '0')}.csv`;

/** Each imported row's part, part row and source line (see src/csv): how results map back. */
export const lineMapKey = (run: string) => `${stagingPrefix(run)}lines.csv`;

/** Every rule the file broke, by line and column. */
export const validationKey = (run: string) => `${reportPrefix(run)}validation.json`;

/** The rows set aside under the `skip` policy. */
export const rejectedRowsKey = (run: string) => `${reportPrefix(run)}rejected-rows.csv`;

/** The outcome (also the execution's output and the notification). */
export const outcomeKey = (run: string) => `${reportPrefix(run)}outcome.json`;

/** Each row Cognito failed or skipped, mapped back to its source line and username. */
export const failuresKey = (run: string) => `${reportPrefix(run)}failures.csv`;

/** Each row's `cognito:groups`, by part and part row (see GroupsSummary in types.ts). */
export const membershipsKey = (run: string) => `${stagingPrefix(run)}memberships.csv`;

const partName = (index: number) => `part-${String(index).padStart(4, '0')}`;

/**
 * The post-import phase's checkpoint of a part: its PostImportState, written as it goes, so that
 * an invocation that crashed is resumed where it last wrote it rather than where it began.
 */
export const postImportCheckpointKey = (run: string, part: number) =>
  `${stagingPrefix(run)}post-import/${partName(part)}.json`;

/**
 * The rows of a part whose update or membership failed, from part row `from` on: a CSV
 * `source_line,username,reason`, one file per checkpointed batch, named by the batch's first
 * part row, so that a batch done again overwrites its own file and nothing is counted twice.
 */
export const postImportFailuresKey = (run: string, part: number, from: number) =>
  `${postImportFailuresPrefix(run, part)}${String(from).padStart(7, '0')}.csv`;

export const postImportFailuresPrefix = (run: string, part: number) =>
  `${stagingPrefix(run)}post-import/${partName(part)}-failures/`;

/**
 * What a part's import log says of each of its rows (one byte a part row), read once by the
 * post-import phase and kept here, so that its later invocations do not read the log again.
 */
export const postImportStatusesKey = (run: string, part: number) =>
  `${stagingPrefix(run)}post-import/${partName(part)}-rows.bin`;
