/**
 * The options of a run that `run` and `start` share beyond --invalid-rows: what happens to users
 * that already exist, whether missing groups are created, and the post-import phase's rate; and
 * the lines that tell what that phase did.
 */
import { type ExistingUsersPolicy, MAX_POST_IMPORT_RATE } from '../config.ts';
import type { Outcome } from '../workflow/types.ts';
import { UsageError } from './errors.ts';

/** The flags, for `parseArgs`. */
export const IMPORT_OPTION_FLAGS = {
  'existing-users': { type: 'string' },
  'create-groups': { type: 'boolean' },
  'post-import-rate': { type: 'string' },
} as const;

/** The help lines of the flags, aligned with the commands' other options. */
export const IMPORT_OPTIONS_HELP = `  --existing-users skip|update
                              a row whose user already exists: skip it as Cognito does, or update the
                              user's attributes after the part's import job
  --create-groups             create the groups the cognito:groups column names that the pool lacks
                              (without it, such rows are invalid)
  --post-import-rate N        requests a second for memberships and updates, 1 to ${MAX_POST_IMPORT_RATE}`;

export interface ImportOptionValues {
  'existing-users'?: string;
  'create-groups'?: boolean;
  'post-import-rate'?: string;
}

/** The options the flags set; an option whose flag is absent is left to the stage's default. */
export interface GivenImportOptions {
  existingUsers?: ExistingUsersPolicy;
  createGroups?: boolean;
  postImportRate?: number;
}

/** @throws UsageError naming the flag, for a value it does not take. */
export function importOptionsOf(values: ImportOptionValues): GivenImportOptions {
  const options: GivenImportOptions = {};
  const existing = values['existing-users'];
  if (existing !== undefined) {
    if (existing !== 'skip' && existing !== 'update')
      throw new UsageError('--existing-users must be skip or update.');
    options.existingUsers = existing;
  }
  if (values['create-groups']) options.createGroups = true;
  const rate = values['post-import-rate'];
  if (rate !== undefined) {
    const n = /^\d+$/.test(rate) ? Number(rate) : Number.NaN;
    if (!(n >= 1 && n <= MAX_POST_IMPORT_RATE))
      throw new UsageError(
        `--post-import-rate must be a whole number of requests a second from 1 to ${MAX_POST_IMPORT_RATE}, not "${rate}".`,
      );
    options.postImportRate = n;
  }
  return options;
}

/** The same options as the variables serverless.yml sets (the stage's defaults), for the twin's host. */
export function importOptionsEnv(options: GivenImportOptions): Record<string, string> {
  return {
    ...(options.existingUsers ? { EXISTING_USERS: options.existingUsers } : {}),
    ...(options.createGroups !== undefined ? { CREATE_GROUPS: String(options.createGroups) } : {}),
    ...(options.postImportRate !== undefined
      ? { POST_IMPORT_RATE: String(options.postImportRate) }
      : {}),
  };
}

const count = (n: number) => n.toLocaleString('en');

/**
 * What the post-import phase did and the groups the run created, one line each, when there is
 * something to say (an outcome of an earlier version has no such totals).
 */
export function postImportLines(outcome: Outcome): string[] {
  const lines: string[] = [];
  const totals = outcome.totals as Partial<Outcome['totals']> | undefined;
  const updated = totals?.updated ?? 0;
  const memberships = totals?.memberships ?? 0;
  const failed = totals?.postImportFailed ?? 0;
  if (updated > 0 || memberships > 0 || failed > 0)
    lines.push(
      `after the import: ${count(updated)} existing users updated, ${count(memberships)} group memberships added, ${count(failed)} rows failed`,
    );
  const created = outcome.groups;
  if (created && created.createdCount > 0) {
    const more = created.createdCount - created.created.length;
    lines.push(
      `groups created (${count(created.createdCount)}): ${created.created.join(', ')}${more > 0 ? ` and ${count(more)} more` : ''}`,
    );
  }
  return lines;
}
