import type { RateCategory } from './rates.ts';

/**
 * Behaviours of Cognito that no primary source settles (the UNCONFIRMED rows of
 * docs/cognito-behaviour.md, "Unconfirmed behaviour and the twin's knobs"). Each is a knob with
 * the likeliest value as its default, so a test can pin the other reading, and so the day one is
 * verified against AWS only a default changes. The section of docs/cognito-behaviour.md that
 * raises each question is named beside it.
 */
export interface Knobs {
  /** "Import job lifecycle": the job ends Failed when (failed + skipped) / rows exceeds this fraction. */
  failureThreshold: number;
  /** "CloudWatch Logs": log line numbers count data rows from 1 ('data') or physical lines with the header as 1 ('file'). */
  lineNumbering: 'data' | 'file';
  /** "The CSV file": a UTF-8 BOM glues itself to the first column name ('corrupts-header': the job then fails on an unknown column) or fails the job outright. */
  bom: 'corrupts-header' | 'fails-job';
  /** "The CSV header": a header that lacks some GetCSVHeader columns is accepted ('subset') or fails the job ('all'). */
  headerCompleteness: 'subset' | 'all';
  /** "The CSV file": an empty line is passed over ('skip', not counted) or is a row that fails. */
  blankLines: 'skip' | 'fail-row';
  /** "The CSV file": a row with more or fewer fields than the header fails that row or the whole job. */
  fieldCountMismatch: 'fail-row' | 'fail-job';
  /** "Values": the rule for `cognito:mfa_enabled`: the current guide (blank allowed) or the 2023 guide (required). */
  mfaRule: 'current' | '2023';
  /** "Values": whether `email` is checked for an `x@y` shape on import. */
  checkEmailFormat: boolean;
  /** "Import job lifecycle": the error for Start/Stop on a job in the wrong state. */
  wrongStateError: 'PreconditionNotMetException' | 'InvalidParameterException';
  /**
   * "Import job lifecycle": the error for Start while another job is active in the account. Both are
   * errors the model declares for StartUserImportJob (LimitExceededException is not one).
   */
  activeJobError: 'PreconditionNotMetException' | 'InvalidParameterException';
  /** "Import job lifecycle": a stop answers Stopped at once (as every published example) or Stopping, then Stopped after stopDelayMs. */
  stopAnswers: 'Stopped' | 'Stopping';
  stopDelayMs: number;
  /** "Import job lifecycle": a job that is not started within this many ms expires (observed ≈ 24.5 h; 24–48 h documented). */
  expireAfterMs: number;
  /** "Import job lifecycle": whether a job whose file was uploaded can still expire. */
  uploadedJobsExpire: boolean;
  /** "Import job lifecycle": counters move while InProgress (true) or appear only at completion. */
  liveCounters: boolean;
  /** "The CSV header": where custom attributes sit in GetCSVHeader, and whether `password_hash` is listed. */
  customColumns: 'end' | 'start';
  headerListsPasswordHash: boolean;
  /** "Developer-only attributes": whether GetCSVHeader lists them (and so whether an import may set them). */
  headerListsDeveloperAttributes: boolean;
  /** "Developer-only attributes": the name DescribeUserPool gives attribute `x`: `dev:custom:x` (as seen) or `dev:x` (the model's text). */
  developerAttributePrefix: 'dev:custom:' | 'dev:';
  /** "Unconfirmed behaviour and the twin's knobs": hash import on this twin: allowed, or refused with the given error (ineligible pool). */
  hashImport: 'enabled' | 'OperationNotEnabledException' | 'InvalidParameterException';
  /**
   * "Password hashes": how the salt field of an imported PBKDF2_SHA256 or SCRYPT hash is read at sign-in:
   * 'decoded' (the format's encoding: base64 for PBKDF2_SHA256, standard or passlib's adapted
   * form; hex for SCRYPT) or 'text' (the field's characters are the salt, as Django and some
   * other systems keep it). The guide's format strings do not settle which.
   */
  hashSaltEncoding: 'decoded' | 'text';
  /** "The API": how many jobs one ListUserImportJobs page holds at most (the model's list max is 50, MaxResults max 60). */
  listPageCap: number;
  /** "The upload": whether the file can be uploaded again (replaced) before the job starts. */
  reuploadBeforeStart: boolean;
  /**
   * "The upload": a PUT once the job has started: S3 knows nothing of the job, so it takes the
   * file ('accepted'; the job goes on with the file it had), or the twin refuses it ('refused',
   * 403 AccessDenied).
   */
  uploadAfterStart: 'accepted' | 'refused';
  /**
   * "Usernames, sign-in attributes and duplicates": the `Username` an import gives a user in a
   * pool whose users sign in with their email or phone number (UsernameAttributes): a generated
   * UUID, the user's `sub` (as such pools do for SignUp), or the file's `cognito:username`.
   */
  usernameAttributeUsername: 'sub' | 'csv';
  /**
   * "Usernames, sign-in attributes and duplicates": a row whose email or phone number already
   * signs in another user of a UsernameAttributes pool (an earlier row included): skipped as an
   * existing user, or failed.
   */
  usernameAttributeConflict: 'SKIPPED' | 'FAILED';
  /** "Usernames, sign-in attributes and duplicates": a row whose verified alias another user already holds. */
  aliasConflict: 'FAILED' | 'SKIPPED';
  /**
   * "Password policy and imported users' status": when CreateUserPool gives a PasswordPolicy, the
   * Require* rules it leaves out are off ('off') or on, as in a pool given no policy ('on').
   */
  omittedPasswordRules: 'off' | 'on';
  /**
   * Whether a legacy client with CUSTOM_AUTH_FLOW_ONLY may still refresh tokens. Legacy
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
  /**
   * "Signatures and IAM": whether CreateUserImportJob needs `iam:PassRole` on the
   * CloudWatchLogsRoleArn it names (for cognito-idp.amazonaws.com), as services that take a role
   * usually do. Cognito's documentation does not say; checked by default, the stricter reading.
   */
  passRoleChecked: boolean;
  /**
   * "Groups": DeleteGroup on a group that still has members deletes it with its memberships
   * (the model's text) or is refused with InvalidParameterException (an older guide: "Only groups
   * with no members can be deleted").
   */
  deleteGroupWithMembers: 'allowed' | 'refused';
  /** "Groups": the error for adding a user to a group beyond the groups a user can be in (100). */
  groupsPerUserError: 'LimitExceededException' | 'InvalidParameterException';
  /**
   * "Attribute updates": a new email or phone number that the call does not say is verified
   * makes the attribute unverified in every pool ('always') or only in pools that verify it
   * automatically ('auto-verified'; elsewhere the flag is left as it was).
   */
  contactUpdateUnverifies: 'always' | 'auto-verified';
  /** "Attribute updates": an email or phone number written again with its current value unverifies it. */
  sameValueUnverifies: boolean;
  /**
   * "Attribute updates": in an AliasAttributes pool, an update that verifies an email or phone
   * number another user holds as a verified alias moves the alias to this user (the other one's
   * becomes unverified), or is refused with AliasExistsException.
   */
  aliasUpdateConflict: 'transfer' | 'AliasExistsException';
  /**
   * "Request rates": the categories whose request-rate quota the twin enforces (a twin choice).
   * Only the categories of the groups-and-updates operations by default: the others hold the
   * operations tests and a local run call in quick loops (DescribeUserImportJob).
   */
  requestRateCategories: RateCategory[];
  /** "Request rates": requests per second of a category, in place of its documented quota. */
  requestRates: Partial<Record<RateCategory, number>>;
  /** "Request rates": writes per second one user takes (documented: 10); 0 lifts the limit. */
  perUserWriteRate: number;
  /** "Request rates": whether adding a user to a group or removing them counts as a write of that user. */
  perUserWritesCountGroups: boolean;
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
  headerListsDeveloperAttributes: false,
  developerAttributePrefix: 'dev:custom:',
  hashImport: 'enabled',
  hashSaltEncoding: 'decoded',
  listPageCap: 50,
  reuploadBeforeStart: true,
  uploadAfterStart: 'accepted',
  usernameAttributeUsername: 'sub',
  usernameAttributeConflict: 'SKIPPED',
  aliasConflict: 'FAILED',
  omittedPasswordRules: 'off',
  customAuthFlowOnlyRefresh: 'allowed',
  tokenIssuer: 'twin',
  passRoleChecked: true,
  deleteGroupWithMembers: 'allowed',
  groupsPerUserError: 'LimitExceededException',
  contactUpdateUnverifies: 'always',
  sameValueUnverifies: false,
  aliasUpdateConflict: 'transfer',
  requestRateCategories: ['UserUpdate', 'UserResourceRead'],
  requestRates: {},
  perUserWriteRate: 10,
  perUserWritesCountGroups: true,
};

/**
 * Cognito's documented resource quotas ("Limits and quotas"): a file of more bytes or more data
 * rows fails its job; a pool holds at most so many groups, a user is in at most so many. A test
 * may lower them.
 */
export interface Quotas {
  maxFileBytes: number;
  maxRowsPerFile: number;
  maxGroupsPerPool: number;
  maxGroupsPerUser: number;
}

export const defaultQuotas: Quotas = {
  maxFileBytes: 100_000_000,
  maxRowsPerFile: 500_000,
  maxGroupsPerPool: 10_000,
  maxGroupsPerUser: 100,
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
