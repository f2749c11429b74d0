/** A custom or standard attribute of a pool's schema, as DescribeUserPool shows it. */
export interface SchemaAttribute {
  Name: string;
  AttributeDataType: 'String' | 'Number' | 'DateTime' | 'Boolean';
  DeveloperOnlyAttribute: boolean;
  Mutable: boolean;
  Required: boolean;
  StringAttributeConstraints?: { MinLength?: string; MaxLength?: string };
  NumberAttributeConstraints?: { MinValue?: string; MaxValue?: string };
}

export interface Pool {
  id: string;
  name: string;
  arn: string;
  createdMs: number;
  modifiedMs: number;
  /**
   * Every attribute, standard then custom. Custom names carry the `custom:` prefix, developer-only
   * ones too: DescribeUserPool shows those as `dev:…` (PoolService.attributeName).
   */
  schema: SchemaAttribute[];
  autoVerifiedAttributes: string[];
  usernameAttributes: string[];
  aliasAttributes: string[];
  mfaConfiguration: 'OFF' | 'ON' | 'OPTIONAL';
  caseSensitive: boolean;
  deletionProtection: 'ACTIVE' | 'INACTIVE';
  /**
   * The pool's tags (CreateUserPool's UserPoolTags, TagResource, UntagResource). Absent from pools
   * stored before the twin knew tags: the store reads those as untagged (or with the tags their
   * echo kept).
   */
  tags: Record<string, string>;
  /**
   * Request members of the model's CreateUserPool that UserPoolType also has, kept and shown back
   * (Policies completed as Cognito completes them); never a member the model does not know.
   */
  echo: Record<string, unknown>;
}

export type UserStatus = 'RESET_REQUIRED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD' | 'UNCONFIRMED';

export interface StoredUser {
  username: string;
  attributes: Record<string, string>;
  status: UserStatus;
  enabled: boolean;
  mfaEnabled?: boolean;
  /**
   * What the user's password is checked against: the hash a password-hash import brought (any of
   * the four algorithms), or, once the password was set on the twin, a salted SCRYPT hash in the
   * same `N$r$p$salt$hash` format. Never the password itself.
   */
  /** `imported`: the hash came with an import job (its encodings are Cognito's, not the twin's). */
  passwordHash?: { algorithm: string; value: string; imported?: boolean };
  /** Set by AdminSetUserPassword with Permanent false: the temporary password stops working then. */
  temporaryPasswordExpiresMs?: number;
  /** The pending password-reset code (ForgotPassword, AdminResetUserPassword), as a hash. */
  resetCode?: { hash: string; expiresMs: number; failedAttempts: number };
  createdMs: number;
  modifiedMs: number;
}

/** A user pool group (CreateGroup); memberships are kept beside it, by user key. */
export interface StoredGroup {
  name: string;
  description?: string;
  roleArn?: string;
  precedence?: number;
  createdMs: number;
  modifiedMs: number;
}

export type JobStatus =
  | 'Created'
  | 'Pending'
  | 'InProgress'
  | 'Stopping'
  | 'Stopped'
  | 'Succeeded'
  | 'Failed'
  | 'Expired';

export const ACTIVE_STATUSES: readonly JobStatus[] = ['Pending', 'InProgress', 'Stopping'];

export interface ImportJob {
  jobId: string;
  jobName: string;
  userPoolId: string;
  seq: number;
  roleArn: string;
  status: JobStatus;
  createdMs: number;
  startedMs?: number;
  completedMs?: number;
  completionMessage?: string;
  imported: number;
  skipped: number;
  failed: number;
  passwordHashingAlgorithm?: string;
  preSignedUrl: string;
  /** Set once the pre-signed PUT has completed; the line counts are those of LineCounter. */
  upload?: { file: string; bytes: number; atMs: number; lines?: number; blankLines?: number };
  /** Where the importer is in the file, committed with the rows it covers, so a restart resumes exactly. */
  progress?: {
    offset: number;
    physicalLine: number;
    dataRow: number;
    header?: string[];
    rowsDone?: boolean;
  };
  /** A fault armed for this job when it started. */
  fault?: { kind: 'fail'; message: string } | { kind: 'never-finish' };
  /** When a Stopping job becomes Stopped. */
  stopAtMs?: number;
}
