/**
 * The names the least-privilege check's parts share, in a module of their own: the setup file
 * loads for every test file and must not load the twin to learn them.
 */

/** twin/iam/access.ts's IAM_DECISION_CHANNEL, spelled out (least-privilege.test.ts checks they agree). */
export const IAM_DECISION_CHANNEL = 'cognito-import.twin.iam-decision';

/** Where the workers append what each test file's runs asked of IAM, for the run's summary. */
export const DECISIONS_FILE_ENV = 'COGNITO_IMPORT_IAM_CHECK_FILE';

/** What one test file's runs asked of IAM. */
export interface FileDecisions {
  file: string;
  /** `role action` → how many times it was allowed. */
  allowed: Record<string, number>;
  /** `role action resource` of each denial (the first 50). */
  denied: string[];
}
