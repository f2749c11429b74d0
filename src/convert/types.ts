import type { PasswordHashingAlgorithm } from '../csv/index.ts';

/** The exports `convert` reads. */
export const SOURCES = ['auth0', 'keycloak', 'supabase', 'django', 'firebase', 'csv'] as const;
export type SourceName = (typeof SOURCES)[number];

/** What became of a user's password hash. */
export type PasswordOutcome =
  /** A hash in Cognito's format for `algorithm`, within its limits: the user keeps the password. */
  | { keep: true; algorithm: PasswordHashingAlgorithm; hash: string }
  /** No hash Cognito can take: the user imports RESET_REQUIRED, for this reason. */
  | { keep: false; reason: string };

/**
 * One user as a source module reads it: the Cognito attributes it maps (values as the source has
 * them; the converter normalises and checks them), the verification the source records, and the
 * password.
 */
export interface SourceUser {
  /** The user's id in the source: for the list of users left out, never printed. */
  id: string;
  /** The `cognito:username` to give the user. */
  username: string;
  /** Cognito attributes (standard or `custom:`) and their source values. */
  attributes: Record<string, string | undefined>;
  /** Whether the source records the email as verified; undefined: it does not say. */
  emailVerified?: boolean;
  /** Whether the source records the phone number as verified; undefined: it does not say. */
  phoneVerified?: boolean;
  password: PasswordOutcome;
}

/** A user the converter leaves out of the output, and why (e.g. a social login). */
export interface LeftOutUser {
  id: string;
  leftOut: string;
}

export type SourceRecord = SourceUser | LeftOutUser;

/** Bytes of an input, in chunks (a file stream, an S3 body, an array in tests). */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Where text output goes; a returned promise is awaited before the next write. */
export interface TextSink {
  write(text: string): void | Promise<void>;
  end?(): void | Promise<void>;
}

/** How a CSV export's columns become Cognito attributes (`--from csv --mapping FILE`). */
export interface Mapping {
  /** Target column (a Cognito attribute, `cognito:username` or `password_hash`) → its source. */
  columns: Record<string, ColumnMapping>;
  /** The country of phone numbers written without a country code (ISO 3166, e.g. `GB`). */
  defaultCountry?: string;
}

export type Transform = 'trim' | 'lowercase' | 'phone' | 'date' | 'boolean';

/** A source column, or a source column with transforms, or a constant value. */
export type ColumnMapping =
  | string
  | { from: string; transform?: Transform | Transform[] }
  | { value: string };

/** What `convert` needs besides the export itself. */
export interface ConvertOptions {
  source: SourceName;
  /** The export. A gzip-compressed one is read as such. */
  input: ByteSource;
  /**
   * Keycloak only: further files of the same export, read after `input` (the users files of a
   * directory export, `<realm>-users-<n>.json`).
   */
  moreInputs?: ByteSource[];
  /** Auth0 only: the password-hash export (NDJSON), joined to the users on their id. */
  passwords?: ByteSource;
  /** The size of `passwords` in bytes, when known: a large one is joined on disk. */
  passwordsBytes?: number;
  /** `csv` only: the column mapping. */
  mapping?: Mapping;
  /**
   * Overrides (or, for an export that does not record it, states) whether users' emails are
   * verified. Required for sources that do not record verification.
   */
  emailVerified?: boolean;
  /** The country of phone numbers without a country code (ISO 3166 alpha-2). */
  defaultCountry?: string;
  /** Receives each user left out (id and reason), e.g. to write them to a file. */
  onLeftOut?: (user: LeftOutUser) => void | Promise<void>;
  /** Where the Auth0 join spills when the password export is large (default: the OS temp dir). */
  tempDir?: string;
}
