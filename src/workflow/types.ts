import type { ImportJobFacts } from '../cognito/import-job.ts';
import type { HashingAlgorithm, ImportOptions } from '../config.ts';

export type { HashingAlgorithm, ImportOptions, InvalidRowsPolicy } from '../config.ts';

/** The execution input other systems send (README.md, "The execution input"). */
export interface ExecutionInput {
  bucket: string;
  key: string;
  userPoolId?: string;
  versionId?: string;
  etag?: string;
  options?: Partial<ImportOptions>;
}

/** Why a run ends REJECTED before any import job exists. */
export interface Rejection {
  code: string;
  reason: string;
}

export interface SourceObject {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
  size?: number;
}

/** The state after PrepareImport: keys and small facts only, never CSV content (256 KiB limit). */
export interface PreparedRun {
  run: string;
  executionArn: string;
  startedAt: string;
  source: SourceObject;
  userPoolId?: string;
  options: ImportOptions;
  deadlineAt: number;
  rejected?: Rejection;
}

/** One part file of the source, in Cognito's dialect, with its line map. */
export interface PartRef {
  index: number;
  bucket: string;
  key: string;
  mapKey: string;
  rows: number;
  bytes: number;
  /**
   * The algorithm of the part's password hashes, which its import job is created with: the run's
   * option when one is given, else the algorithm the part's hashes are written in (a file that
   * mixes algorithms is split into parts per algorithm). Absent: the part carries no hash.
   */
  passwordHashingAlgorithm?: HashingAlgorithm;
  /** Rows of the part whose `cognito:groups` names at least one group (absent: none). */
  groupRows?: number;
}

/**
 * The `cognito:groups` column of a run's file, once validated: where each row's groups are kept
 * (`membershipsKey`, a CSV `part,part_row,groups` with the names joined by `;`, only rows that
 * name a group), and the groups ValidateCsv created under the `createGroups` option.
 */
export interface GroupsSummary {
  membershipsKey: string;
  /** Rows that name at least one group. */
  rows: number;
  /** Memberships the file asks for (rows × their groups). */
  memberships: number;
  /** The groups created, at most {@link MAX_LISTED_GROUPS} of them; `createdCount` is exact. */
  created: string[];
  createdCount: number;
}

/** How many created groups the state and the outcome list by name (the state has 256 KiB). */
export const MAX_LISTED_GROUPS = 100;

export interface ValidationSummary {
  rows: number;
  invalidRows: number;
  warnings: number;
  reportKey: string;
  rejectedRowsKey?: string;
  parts: PartRef[];
  rejected?: Rejection;
  /** Present when the file has a `cognito:groups` column. */
  groups?: GroupsSummary;
}

/** The poll schedule carried between WaitForJob and CheckImportJob. */
export interface PollState {
  rounds: number;
  waitSeconds: number;
}

/** What the state machine knows of a part's import job: its facts, and how to go on polling it. */
export interface JobState extends OutcomeJob {
  poll: PollState;
  slotBusy: boolean;
  /** When Cognito first refused to start the job because another held the slot (epoch ms). */
  slotWaitSince?: number;
  mustStop: boolean;
  stopReason?: 'deadline' | 'poll-cap';
  stopRequested: boolean;
}

/**
 * Where a part's post-import phase stands (ApplyPostImport's result, carried between its
 * invocations). Rows are worked through in the part's order; `cursor` is the part row
 * (1 = first data row) to do next. The counts cover every row before the cursor.
 */
export interface PostImportState {
  cursor: number;
  done: boolean;
  /** Users whose attributes were updated (rows Cognito skipped, under `existingUsers: update`). */
  updated: number;
  /** Memberships added (AdminAddUserToGroup calls that succeeded). */
  memberships: number;
  /** Rows whose update or one of whose memberships failed; each is in the part's failure files. */
  failed: number;
  /** Invocations so far (each works until close to its timeout). */
  invocations: number;
}

/** The state of one Map iteration. */
export interface PartItem {
  part: PartRef;
  /** The execution the part belongs to (StartImportJob checks it still runs). */
  executionArn?: string;
  run: string;
  userPoolId: string;
  options: ImportOptions;
  deadlineAt: number;
  job?: JobState;
  /** Set once the part's post-import phase has begun. */
  post?: PostImportState;
  error?: StateError;
  cleanup?: unknown;
}

/** What Step Functions puts at a Catch's ResultPath. */
export interface StateError {
  Error: string;
  Cause?: string;
}

export type OutcomeStatus = 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'REJECTED' | 'STOPPED' | 'EXPIRED';

/** An import job as the outcome reports it. */
export type OutcomeJob = ImportJobFacts;

/** The outcome: execution output, `reports/<run>/outcome.json` and the SNS message body. */
export interface Outcome {
  status: OutcomeStatus;
  run: string;
  userPoolId?: string;
  source: { bucket: string; key: string; etag?: string };
  reason?: string;
  /** Why a REJECTED run was refused, for machines (`pool.not-allowed`, `rows.invalid`, …); always set on REJECTED. */
  code?: string;
  validation?: { rows: number; invalidRows: number; warnings: number; reportKey: string };
  jobs: OutcomeJob[];
  /**
   * `updated`, `memberships` and `postImportFailed` count the post-import phase: users updated,
   * memberships added, rows whose update or membership failed (in `failures.csv` too).
   */
  totals: {
    imported: number;
    skipped: number;
    failed: number;
    updated: number;
    memberships: number;
    postImportFailed: number;
  };
  /** Present when the file has a `cognito:groups` column: the groups the run created. */
  groups?: { created: string[]; createdCount: number };
  failures?: { reportKey: string; count: number; sample: { line: number; reason: string }[] };
  reportKey: string;
  executionArn?: string;
  startedAt?: string;
  finishedAt: string;
  /** The one-line subject of the notification, also the cause of a failed execution. */
  summary: string;
}
