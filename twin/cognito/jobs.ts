import { randomUUID } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import {
  checkRequest,
  JobId,
  JobName,
  MaxResults,
  PaginationKey,
  PasswordHashingAlgorithm,
  RoleArn,
  UserPoolId,
} from './constraints.ts';
import {
  invalidParameter,
  limitExceeded,
  preconditionNotMet,
  resourceNotFound,
  ServiceError,
} from './errors.ts';
import type { Faults } from './faults.ts';
import type { Knobs, Pace, Quotas } from './knobs.ts';
import { readLines } from './line-reader.ts';
import { importLogGroup, importLogStream } from './logs.ts';
import { ACTIVE_STATUSES, type ImportJob, type JobStatus, type Pool } from './model.ts';
import { type PoolService, randomId } from './pools.ts';
import type { UploadSigner } from './presign.ts';
import { COMPLETION, checkHeader, checkRow, MESSAGES, type RowResult, trimAscii } from './rows.ts';
import type { CognitoStore } from './store.ts';
import { signInConflict, signInNames, usernameKey } from './users.ts';

export interface JobServiceDeps {
  store: CognitoStore;
  pools: PoolService;
  knobs: Knobs;
  pace: Pace;
  quotas: Quotas;
  faults: Faults;
  signer: UploadSigner;
  account: string;
  maxJobsPerPool: number;
  now: () => number;
  /** The origin upload URLs point at (the twin's own address). */
  origin: () => string;
}

const TERMINAL: readonly JobStatus[] = ['Stopped', 'Succeeded', 'Failed', 'Expired'];

/**
 * Whether a user can sign in without a password from the start: the pool allows a one-time code
 * as a first factor and the user has the verified email or phone number it goes to. The guide
 * imports such users CONFIRMED rather than RESET_REQUIRED.
 */
function signsInWithoutPassword(pool: Pool, attributes: Record<string, string>): boolean {
  const policies = pool.echo.Policies as
    | { SignInPolicy?: { AllowedFirstAuthFactors?: string[] } }
    | undefined;
  const factors = policies?.SignInPolicy?.AllowedFirstAuthFactors ?? [];
  return (
    (factors.includes('EMAIL_OTP') &&
      Boolean(attributes.email) &&
      attributes.email_verified === 'true') ||
    (factors.includes('SMS_OTP') &&
      Boolean(attributes.phone_number) &&
      attributes.phone_number_verified === 'true')
  );
}
const regionOf = (poolId: string) => poolId.split('_')[0] ?? 'us-east-1';

/**
 * The six import-job operations and the worker that runs started jobs through their statuses,
 * importing rows as Cognito does. Every step commits the rows it handled together with the job's
 * counters and position in the file, so a twin restarted mid-job carries on where it stopped.
 */
export class JobService {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  private readonly deps: JobServiceDeps;

  constructor(deps: JobServiceDeps) {
    this.deps = deps;
  }

  /** Picks up jobs that were running when the twin last stopped. */
  resume(): void {
    for (const job of this.deps.store.jobsWithStatus(ACTIVE_STATUSES)) {
      const delay =
        job.status === 'Pending'
          ? this.deps.pace.pendingMs
          : job.status === 'Stopping'
            ? this.deps.knobs.stopDelayMs
            : 0;
      this.schedule(job.jobId, delay);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  createUserImportJob(input: Record<string, unknown>) {
    checkRequest(input, {
      JobName,
      UserPoolId,
      CloudWatchLogsRoleArn: RoleArn,
      PasswordHashingAlgorithm,
    });
    const { store, knobs } = this.deps;
    const pool = this.deps.pools.requirePool(String(input.UserPoolId));
    const algorithm = input.PasswordHashingAlgorithm as string | undefined;
    if (algorithm && knobs.hashImport !== 'enabled')
      throw new ServiceError(
        knobs.hashImport,
        'Importing users with password hashes is not enabled for this user pool.',
      );
    const job = store.tx(() => {
      if (store.countJobs(pool.id) >= this.deps.maxJobsPerPool)
        throw limitExceeded(
          `The user pool ${pool.id} has reached its limit of ${this.deps.maxJobsPerPool} user import jobs.`,
        );
      const jobId = `import-${randomId(10)}`;
      const created: ImportJob = {
        jobId,
        jobName: String(input.JobName),
        userPoolId: pool.id,
        seq: store.nextSeq('job'),
        roleArn: String(input.CloudWatchLogsRoleArn),
        status: 'Created',
        createdMs: this.deps.now(),
        imported: 0,
        skipped: 0,
        failed: 0,
        preSignedUrl: this.deps.signer.sign(
          this.deps.origin(),
          this.deps.account,
          pool.id,
          jobId,
          regionOf(pool.id),
        ),
        ...(algorithm ? { passwordHashingAlgorithm: algorithm } : {}),
      };
      store.putJob(created);
      return created;
    });
    return { UserImportJob: this.view(job) };
  }

  describeUserImportJob(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, JobId });
    return { UserImportJob: this.view(this.requireJob(input)) };
  }

  listUserImportJobs(input: Record<string, unknown>) {
    checkRequest(input, {
      UserPoolId,
      MaxResults: { ...MaxResults, required: true },
      PaginationToken: PaginationKey,
    });
    const pool = this.deps.pools.requirePool(String(input.UserPoolId));
    let before = Number.MAX_SAFE_INTEGER;
    if (input.PaginationToken !== undefined) {
      const [tokenPool, tokenJob, seq] = String(input.PaginationToken).split('#');
      const anchor = tokenJob ? this.deps.store.getJob(tokenJob) : undefined;
      if (tokenPool !== pool.id || !anchor || String(anchor.seq) !== seq)
        throw invalidParameter('The pagination token is not valid.');
      before = anchor.seq;
    }
    const size = Math.min(Number(input.MaxResults), this.deps.knobs.listPageCap);
    const jobs = this.deps.store
      .listJobs(pool.id, before, size + 1)
      .map((job) => this.refresh(job));
    const page = jobs.slice(0, size);
    const last = page.at(-1);
    return {
      UserImportJobs: page.map((job) => this.view(job)),
      ...(jobs.length > size && last
        ? { PaginationToken: `${pool.id}#${last.jobId}#${last.seq}` }
        : {}),
    };
  }

  startUserImportJob(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, JobId });
    const { store, knobs } = this.deps;
    const pool = this.deps.pools.requirePool(String(input.UserPoolId));
    const job = store.tx(() => {
      const current = this.requireJob(input);
      if (current.status !== 'Created')
        throw new ServiceError(
          knobs.wrongStateError,
          `The import job ${current.jobId} is ${current.status} and cannot be started.`,
        );
      if (!current.upload)
        throw preconditionNotMet(`No csv file was uploaded for ${current.jobId}`);
      if (pool.autoVerifiedAttributes.length === 0)
        throw preconditionNotMet(
          'The user pool has no auto-verified attributes, so the import job cannot start.',
        );
      if (store.jobsWithStatus(ACTIVE_STATUSES).length > 0)
        throw new ServiceError(
          knobs.activeJobError,
          'Only one import job can be active at a time per account.',
        );
      const fault = this.deps.faults.takeJobFault(current.jobId);
      const started: ImportJob = {
        ...current,
        status: 'Pending',
        startedMs: this.deps.now(),
        ...(fault
          ? {
              fault:
                fault.kind === 'fail'
                  ? { kind: 'fail', message: fault.message }
                  : { kind: 'never-finish' },
            }
          : {}),
      };
      store.putJob(started);
      return started;
    });
    this.schedule(job.jobId, this.deps.pace.pendingMs);
    return { UserImportJob: this.view(job) };
  }

  stopUserImportJob(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, JobId });
    const { store, knobs } = this.deps;
    const job = store.tx(() => {
      const current = this.requireJob(input);
      if (current.status !== 'Pending' && current.status !== 'InProgress')
        throw new ServiceError(
          knobs.wrongStateError,
          `The import job ${current.jobId} is ${current.status} and cannot be stopped.`,
        );
      if (knobs.stopAnswers === 'Stopping') {
        const stopping: ImportJob = {
          ...current,
          status: 'Stopping',
          stopAtMs: this.deps.now() + knobs.stopDelayMs,
        };
        store.putJob(stopping);
        return stopping;
      }
      return this.finish(current, 'Stopped', COMPLETION.stopped);
    });
    if (job.status === 'Stopping') this.schedule(job.jobId, knobs.stopDelayMs);
    else this.cancel(job.jobId);
    return { UserImportJob: this.view(job) };
  }

  /**
   * Takes a completed pre-signed upload: moved from `received` to `file`, it is the job's CSV from
   * now on. Once the job has started, the file is taken and not kept, or refused (knob
   * `uploadAfterStart`).
   */
  acceptUpload(
    jobId: string,
    received: string,
    file: string,
    bytes: number,
    counts: { lines: number; blank: number },
  ): { ok: true; kept: boolean } | { ok: false; message: string } {
    const { store, knobs } = this.deps;
    return store.tx(() => {
      const stored = store.getJob(jobId);
      const job = stored ? this.refresh(stored) : undefined;
      if (!job) return { ok: false, message: 'The import job does not exist.' };
      if (job.status !== 'Created')
        return knobs.uploadAfterStart === 'accepted'
          ? { ok: true, kept: false }
          : { ok: false, message: 'The import job no longer accepts a file.' };
      if (job.upload && !knobs.reuploadBeforeStart)
        return { ok: false, message: 'A file was already uploaded for this import job.' };
      renameSync(received, file);
      store.putJob({
        ...job,
        upload: {
          file,
          bytes,
          atMs: this.deps.now(),
          lines: counts.lines,
          blankLines: counts.blank,
        },
      });
      return { ok: true, kept: true };
    });
  }

  uploadFileFor(jobId: string): string {
    return `${this.deps.store.uploadsDir}/${jobId}.csv`;
  }

  private requireJob(input: Record<string, unknown>): ImportJob {
    const pool = this.deps.pools.requirePool(String(input.UserPoolId));
    const job = this.deps.store.getJob(String(input.JobId));
    if (!job || job.userPoolId !== pool.id)
      throw resourceNotFound(
        `Import job ${String(input.JobId)} does not exist in user pool ${pool.id}.`,
      );
    return this.refresh(job);
  }

  /** Applies expiry, which depends only on the clock, whenever a job is read. */
  private refresh(job: ImportJob): ImportJob {
    const { knobs } = this.deps;
    const expiresAt = job.createdMs + knobs.expireAfterMs;
    if (
      job.status === 'Created' &&
      this.deps.now() >= expiresAt &&
      (!job.upload || knobs.uploadedJobsExpire)
    ) {
      return this.deps.store.tx(() => this.finish(job, 'Expired', COMPLETION.expired, expiresAt));
    }
    // A read after the job's end on the clock sees it ended, whether or not a timer has fired yet.
    if (
      job.status === 'InProgress' &&
      job.progress?.rowsDone &&
      this.deps.now() >= this.dueAt(job)
    ) {
      return this.deps.store.tx(() => this.complete(job));
    }
    return job;
  }

  private finish(
    job: ImportJob,
    status: JobStatus,
    message: string,
    at = this.deps.now(),
  ): ImportJob {
    const { upload: _upload, fault: _fault, stopAtMs: _stop, ...rest } = job;
    const done: ImportJob = { ...rest, status, completedMs: at, completionMessage: message };
    this.deps.store.putJob(done);
    // Cognito deletes the uploaded file once a job completes or expires.
    if (job.upload) rmSync(job.upload.file, { force: true });
    return done;
  }

  private view(job: ImportJob) {
    const hideCounters =
      !this.deps.knobs.liveCounters && (job.status === 'InProgress' || job.status === 'Pending');
    return {
      JobName: job.jobName,
      JobId: job.jobId,
      UserPoolId: job.userPoolId,
      PreSignedUrl: job.preSignedUrl,
      CreationDate: job.createdMs / 1000,
      ...(job.startedMs !== undefined ? { StartDate: job.startedMs / 1000 } : {}),
      ...(job.completedMs !== undefined ? { CompletionDate: job.completedMs / 1000 } : {}),
      Status: job.status,
      CloudWatchLogsRoleArn: job.roleArn,
      ImportedUsers: hideCounters ? 0 : job.imported,
      SkippedUsers: hideCounters ? 0 : job.skipped,
      FailedUsers: hideCounters ? 0 : job.failed,
      ...(job.completionMessage ? { CompletionMessage: job.completionMessage } : {}),
      ...(job.passwordHashingAlgorithm
        ? { PasswordHashingAlgorithm: job.passwordHashingAlgorithm }
        : {}),
    };
  }

  private schedule(jobId: string, delayMs: number): void {
    if (this.closed) return;
    this.cancel(jobId);
    const timer = setTimeout(() => {
      this.timers.delete(jobId);
      try {
        this.step(jobId);
      } catch (error) {
        // A bug or a disk error must not take the twin down: the job fails, as a job would in Cognito.
        process.emitWarning(
          `cognito twin: import job ${jobId} failed: ${(error as Error).message}`,
        );
        const job = this.deps.store.getJob(jobId);
        if (job && !TERMINAL.includes(job.status))
          this.deps.store.tx(() => this.finish(job, 'Failed', COMPLETION.internal));
      }
    }, delayMs);
    timer.unref();
    this.timers.set(jobId, timer);
  }

  private cancel(jobId: string): void {
    const timer = this.timers.get(jobId);
    if (timer) clearTimeout(timer);
    this.timers.delete(jobId);
  }

  private step(jobId: string): void {
    if (this.closed) return;
    const { store } = this.deps;
    const job = store.getJob(jobId);
    if (!job || TERMINAL.includes(job.status)) return;
    const pool = store.getPool(job.userPoolId);
    if (!pool) {
      store.tx(() => this.finish(job, 'Failed', COMPLETION.poolDeleted));
      return;
    }
    if (job.status === 'Stopping') {
      store.tx(() => this.finish(job, 'Stopped', COMPLETION.stopped));
      return;
    }
    if (job.status === 'Pending') {
      const overQuota = this.quotaProblem(job);
      if (overQuota) {
        store.tx(() => this.finish(job, 'Failed', overQuota));
        return;
      }
      if (job.fault?.kind === 'fail') {
        const message = job.fault.message;
        store.tx(() => this.finish(job, 'Failed', message));
        return;
      }
      store.tx(() => {
        store.ensureLogStream(
          importLogGroup(pool.id, pool.name),
          importLogStream(job.jobId, job.jobName),
          this.deps.now(),
        );
        store.putJob({ ...job, status: 'InProgress' });
      });
      if (job.fault?.kind !== 'never-finish') this.schedule(jobId, 0);
      return;
    }
    if (job.fault?.kind === 'never-finish') return;
    if (job.progress?.rowsDone) {
      this.finishWhenDue(job);
      return;
    }
    const done = this.importBatch(job, pool);
    if (!done) this.schedule(jobId, this.deps.pace.stepDelayMs);
  }

  /**
   * Why the job's file is beyond Cognito's per-file quotas, if it is: too many bytes, or too many
   * data rows (lines after the header, blank ones not counted unless the knob counts them as rows).
   */
  private quotaProblem(job: ImportJob): string | undefined {
    const { quotas, knobs } = this.deps;
    const upload = job.upload;
    if (!upload) return undefined;
    if (upload.bytes > quotas.maxFileBytes) return COMPLETION.tooLarge(quotas.maxFileBytes);
    if (upload.lines === undefined) return undefined;
    const lines =
      knobs.blankLines === 'skip' ? upload.lines - (upload.blankLines ?? 0) : upload.lines;
    if (lines - 1 > quotas.maxRowsPerFile) return COMPLETION.tooManyRows(quotas.maxRowsPerFile);
    return undefined;
  }

  /** Imports the next batch of rows; answers whether the job has ended. */
  private importBatch(job: ImportJob, pool: Pool): boolean {
    const { store, knobs, pace } = this.deps;
    const upload = job.upload;
    if (!upload) {
      store.tx(() => this.finish(job, 'Failed', COMPLETION.unparsable('no file was uploaded.')));
      return true;
    }
    const fd = openSync(upload.file, 'r');
    try {
      const progress = job.progress ?? { offset: 0, physicalLine: 0, dataRow: 0 };
      const batch = readLines(fd, progress.offset, progress.header ? pace.rowsPerStep : 1);
      if (!progress.header) {
        const headerLine = batch.lines[0] ?? '';
        if (knobs.bom === 'fails-job' && headerLine.startsWith('\uFEFF')) {
          store.tx(() =>
            this.finish(
              job,
              'Failed',
              COMPLETION.unparsable('the file begins with a byte order mark.'),
            ),
          );
          return true;
        }
        const header = headerLine.split(',').map(trimAscii);
        const problem =
          batch.lines.length === 0
            ? COMPLETION.unparsable('the file is empty.')
            : checkHeader(
                header,
                this.deps.pools.csvHeader(pool),
                knobs,
                job.passwordHashingAlgorithm,
              );
        if (problem) {
          store.tx(() => this.finish(job, 'Failed', problem));
          return true;
        }
        store.tx(() =>
          store.putJob({
            ...job,
            progress: { offset: batch.nextOffset, physicalLine: 1, dataRow: 0, header },
          }),
        );
        return false;
      }
      return store.tx(() =>
        this.importLines(job, pool, batch.lines, batch.nextOffset, batch.eof, progress),
      );
    } finally {
      closeSync(fd);
    }
  }

  private importLines(
    job: ImportJob,
    pool: Pool,
    lines: string[],
    nextOffset: number,
    eof: boolean,
    progress: NonNullable<ImportJob['progress']>,
  ): boolean {
    const { store, knobs } = this.deps;
    const header = progress.header ?? [];
    const group = importLogGroup(pool.id, pool.name);
    const stream = importLogStream(job.jobId, job.jobName);
    let { physicalLine, dataRow } = progress;
    let { imported, skipped, failed } = job;
    const now = this.deps.now();
    for (const line of lines) {
      physicalLine++;
      if (line === '' && knobs.blankLines === 'skip') continue;
      dataRow++;
      const number = knobs.lineNumbering === 'data' ? physicalLine - 1 : physicalLine;
      const result =
        line === ''
          ? { outcome: 'FAILED' as const, message: 'The record is empty.' }
          : checkRow(pool, header, line, knobs, job.passwordHashingAlgorithm);
      if (result.outcome === 'FAILED' && result.fatal) {
        const counts = { ...job, imported, skipped, failed };
        this.finish(counts, 'Failed', COMPLETION.unparsable(`line ${number}: ${result.message}`));
        return true;
      }
      let entry: string;
      if (result.outcome === 'FAILED') {
        failed++;
        entry = `[FAILED] Line Number ${number} - ${result.message}`;
      } else {
        const outcome = this.place(pool, result, job.passwordHashingAlgorithm, now);
        if (outcome.status === 'SUCCEEDED') imported++;
        else if (outcome.status === 'SKIPPED') skipped++;
        else failed++;
        entry = `[${outcome.status}] Line Number ${number} - ${outcome.message}`;
      }
      store.appendLog(group, stream, now, entry);
    }
    const counted: ImportJob = {
      ...job,
      imported,
      skipped,
      failed,
      progress: { ...progress, offset: nextOffset, physicalLine, dataRow },
    };
    if (!eof) {
      store.putJob(counted);
      return false;
    }
    const allRows: ImportJob = {
      ...counted,
      progress: { ...(counted.progress as NonNullable<ImportJob['progress']>), rowsDone: true },
    };
    store.putJob(allRows);
    return false;
  }

  /**
   * Creates the user a valid row describes, or says why not: the user exists (SKIPPED), or the
   * row's email or phone number already names another user (docs/cognito-behaviour.md,
   * "Usernames, sign-in attributes and duplicates").
   */
  private place(
    pool: Pool,
    row: Extract<RowResult, { outcome: 'READY' }>,
    algorithm: string | undefined,
    now: number,
  ): { status: 'SUCCEEDED' | 'SKIPPED' | 'FAILED'; message: string } {
    const { store, knobs } = this.deps;
    const signsInWithAttribute = pool.usernameAttributes.length > 0;
    const generated = signsInWithAttribute && knobs.usernameAttributeUsername === 'sub';
    if (!generated && store.hasUser(pool.id, usernameKey(pool, row.username)))
      return { status: 'SKIPPED', message: MESSAGES.exists };
    if (signsInWithAttribute && !pool.usernameAttributes.some((a) => row.attributes[a]))
      return { status: 'FAILED', message: MESSAGES.noSignIn(pool.usernameAttributes) };
    const conflict = signInConflict(store, pool, row.attributes);
    if (conflict) {
      const status =
        conflict.kind === 'alias' ? knobs.aliasConflict : knobs.usernameAttributeConflict;
      return {
        status,
        message: status === 'SKIPPED' ? MESSAGES.exists : MESSAGES.signInTaken(conflict.attribute),
      };
    }
    const sub = randomUUID();
    const username = generated ? sub : row.username;
    store.putUser(
      pool.id,
      usernameKey(pool, username),
      {
        username,
        attributes: { sub, ...row.attributes },
        status:
          row.passwordHash || signsInWithoutPassword(pool, row.attributes)
            ? 'CONFIRMED'
            : 'RESET_REQUIRED',
        enabled: true,
        ...(row.mfaEnabled !== undefined ? { mfaEnabled: row.mfaEnabled } : {}),
        ...(row.passwordHash
          ? {
              passwordHash: { algorithm: algorithm ?? '', value: row.passwordHash, imported: true },
            }
          : {}),
        createdMs: now,
        modifiedMs: now,
      },
      { names: signInNames(pool, row.attributes), isNew: true },
    );
    return { status: 'SUCCEEDED', message: MESSAGES.succeeded };
  }

  /** Ends a job whose rows are all handled, once its minimum duration has passed on the clock. */
  private finishWhenDue(job: ImportJob): void {
    if (this.deps.now() < this.dueAt(job)) {
      this.schedule(job.jobId, 10);
      return;
    }
    this.deps.store.tx(() => this.complete(job));
  }

  private dueAt(job: ImportJob): number {
    return (job.startedMs ?? 0) + this.deps.pace.minJobMs;
  }

  /** Succeeded, or Failed past the failure threshold (knob failureThreshold), once every row is handled. */
  private complete(job: ImportJob): ImportJob {
    const { imported, skipped, failed } = job;
    const total = imported + skipped + failed;
    const tooMany = total > 0 && (skipped + failed) / total > this.deps.knobs.failureThreshold;
    return this.finish(
      job,
      tooMany ? 'Failed' : 'Succeeded',
      tooMany ? COMPLETION.tooManyFailed : COMPLETION.succeeded,
      // The job ended when its minimum duration did, not when a step noticed it.
      this.deps.pace.minJobMs > 0 ? this.dueAt(job) : this.deps.now(),
    );
  }
}
