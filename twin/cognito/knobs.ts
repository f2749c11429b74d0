/**
 * Behaviours of Cognito's import jobs that no primary source states (UNCONFIRMED in
 * reference/cognito-import-spec.md). Each is a knob with the likeliest value as its default, so
 * a test can pin the other reading, and so the day one is verified against AWS only a default
 * changes. The section of the spec that raises each question is named beside it.
 */
export interface Knobs {
  /** §2.5: the job ends Failed when (failed + skipped) / rows exceeds this fraction. */
  failureThreshold: number;
  /** §4: log line numbers count data rows from 1 ('data') or physical lines with the header as 1 ('file'). */
  lineNumbering: 'data' | 'file';
  /** §1.2: a UTF-8 BOM glues itself to the first column name ('corrupts-header': the job then fails on an unknown column) or fails the job outright. */
  bom: 'corrupts-header' | 'fails-job';
  /** §1.2: a header that lacks some GetCSVHeader columns is accepted ('subset') or fails the job ('all'). */
  headerCompleteness: 'subset' | 'all';
  /** §1.2: an empty line is passed over ('skip', not counted) or is a row that fails. */
  blankLines: 'skip' | 'fail-row';
  /** §1.2: a row with more or fewer fields than the header fails that row or the whole job. */
  fieldCountMismatch: 'fail-row' | 'fail-job';
  /** §1.3: the rule for `cognito:mfa_enabled`: the current guide (blank allowed) or the 2023 guide (required). */
  mfaRule: 'current' | '2023';
  /** §1.4: whether `email` is checked for an `x@y` shape on import. */
  checkEmailFormat: boolean;
  /** §2.3: the error for Start/Stop on a job in the wrong state. */
  wrongStateError: 'PreconditionNotMetException' | 'InvalidParameterException';
  /** §2.3: the error for Start while another job is active in the account. */
  activeJobError: 'PreconditionNotMetException' | 'LimitExceededException';
  /** §2.2: a stop answers Stopped at once (as every published example) or Stopping, then Stopped after stopDelayMs. */
  stopAnswers: 'Stopped' | 'Stopping';
  stopDelayMs: number;
  /** §2.2: a job that is not started within this many ms expires (observed ≈ 24.5 h; 24–48 h documented). */
  expireAfterMs: number;
  /** §2.2: whether a job whose file was uploaded can still expire. */
  uploadedJobsExpire: boolean;
  /** §2.4: counters move while InProgress (true) or appear only at completion. */
  liveCounters: boolean;
  /** §1.1: where custom attributes sit in GetCSVHeader, and whether `password_hash` is listed. */
  customColumns: 'end' | 'start';
  headerListsPasswordHash: boolean;
  /** §1.6: hash import on this twin: allowed, or refused with the given error (ineligible pool). */
  hashImport: 'enabled' | 'OperationNotEnabledException' | 'InvalidParameterException';
  /**
   * §1.6: how the salt field of an imported PBKDF2_SHA256 or SCRYPT hash is read at sign-in:
   * 'decoded' (the format's encoding: base64 for PBKDF2_SHA256, standard or passlib's adapted
   * form; hex for SCRYPT) or 'text' (the field's characters are the salt, as Django and some
   * other systems keep it). The guide's format strings do not settle which.
   */
  hashSaltEncoding: 'decoded' | 'text';
  /** §5.2: how many jobs one ListUserImportJobs page holds at most (model list max 50, MaxResults max 60). */
  listPageCap: number;
  /** §3: whether the file can be uploaded again (replaced) before the job starts. */
  reuploadBeforeStart: boolean;
  /**
   * Issue 8: whether a legacy client with CUSTOM_AUTH_FLOW_ONLY may still refresh tokens. Legacy
   * clients could always refresh (ALLOW_REFRESH_TOKEN_AUTH came in 2019 to switch it off); no
   * source says whether CUSTOM_AUTH_FLOW_ONLY took that away too.
   */
  customAuthFlowOnlyRefresh: 'allowed' | 'refused';
  /**
   * Not an open question but a twin choice: the `iss` of the tokens the twin issues. 'twin' is
   * `<twin endpoint>/<poolId>` (its JWKS is then at `${iss}/.well-known/jwks.json`, as on AWS);
   * 'aws' is AWS's `https://cognito-idp.<region>.amazonaws.com/<poolId>`, for code that accepts
   * only that issuer and is given the twin's JWKS some other way.
   */
  tokenIssuer: 'twin' | 'aws';
}

export const defaultKnobs: Knobs = {
  failureThreshold: 0.5,
  lineNumbering: 'data',
  bom: 'corrupts-header',
  headerCompleteness: 'subset',
  blankLines: 'skip',
  fieldCountMismatch: 'fail-row',
  mfaRule: 'current',
  checkEmailFormat: true,
  wrongStateError: 'PreconditionNotMetException',
  activeJobError: 'PreconditionNotMetException',
  stopAnswers: 'Stopped',
  stopDelayMs: 1_000,
  expireAfterMs: 24.5 * 3600 * 1000,
  uploadedJobsExpire: true,
  liveCounters: true,
  customColumns: 'end',
  headerListsPasswordHash: false,
  hashImport: 'enabled',
  hashSaltEncoding: 'decoded',
  listPageCap: 60,
  reuploadBeforeStart: true,
  customAuthFlowOnlyRefresh: 'allowed',
  tokenIssuer: 'twin',
};

/** How fast jobs move; the twin's defaults are quick, a test may slow them to watch each status. */
export interface Pace {
  /** Time spent in Pending before InProgress. */
  pendingMs: number;
  /** Rows handled per step of the importer, and the pause between steps. */
  rowsPerStep: number;
  stepDelayMs: number;
  /** A job ends no sooner than this long after it started, on the twin's clock (a virtual hour-long job). */
  minJobMs: number;
}

export const defaultPace: Pace = {
  pendingMs: 300,
  rowsPerStep: 5_000,
  stepDelayMs: 0,
  minJobMs: 0,
};
