import {
  cellProblem,
  plausibleEmail,
  toBirthdate,
  toE164,
  toEpochSeconds,
  usernameProblem,
} from './attributes.ts';
import { type ConvertReport, ReportBuilder } from './report.ts';
import { auth0 } from './sources/auth0.ts';
import { csvMapping } from './sources/csv-mapping.ts';
import { django } from './sources/django.ts';
import { firebase } from './sources/firebase.ts';
import { keycloak } from './sources/keycloak.ts';
import type { Source } from './sources/source.ts';
import { supabase } from './sources/supabase.ts';
import type { ConvertOptions, SourceName, SourceUser, TextSink } from './types.ts';
import { CognitoCsvWriter, outputColumns } from './writer.ts';

const SOURCE_MODULES: Record<SourceName, Source> = {
  auth0,
  keycloak,
  supabase,
  django,
  firebase,
  csv: csvMapping,
};

/** A conversion that cannot start as asked (a usage problem, said plainly). */
export class ConvertUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertUsageError';
  }
}

type Normalised = { row: Record<string, string> } | { leftOut: string };

// Values as Cognito takes them: trimmed, phone numbers in E.164, dates in its forms; a value
// that cannot be written is dropped (and counted), the user kept.
function normalise(user: SourceUser, options: ConvertOptions, report: ReportBuilder): Normalised {
  const username = user.username.trim();
  const problem = usernameProblem(username);
  if (problem) return { leftOut: problem };
  const row: Record<string, string> = { 'cognito:username': username };
  const country = options.defaultCountry ?? options.mapping?.defaultCountry;
  for (const [attribute, raw] of Object.entries(user.attributes)) {
    let value = raw?.trim();
    if (!value) continue;
    if (attribute === 'email' && !plausibleEmail(value)) {
      report.dropped(attribute, 'not an email address');
      continue;
    }
    if (attribute === 'phone_number') {
      const e164 = toE164(value, country);
      if (!e164) {
        report.dropped(
          attribute,
          value.startsWith('+') || country ? 'not a phone number' : 'no country code',
        );
        continue;
      }
      value = e164;
    } else if (attribute === 'birthdate' || attribute === 'updated_at') {
      const converted = attribute === 'birthdate' ? toBirthdate(value) : toEpochSeconds(value);
      if (!converted) {
        report.dropped(attribute, 'not a date');
        continue;
      }
      value = converted;
    }
    const cell = cellProblem(value);
    if (cell) {
      report.dropped(attribute, `has ${cell}`);
      continue;
    }
    row[attribute] = value;
  }
  const emailVerified =
    Boolean(row.email) && (options.emailVerified ?? user.emailVerified) === true;
  const phoneVerified = Boolean(row.phone_number) && user.phoneVerified === true;
  // Cognito imports a user only with an auto-verified attribute verified (docs/cognito-behaviour.md, "Values").
  if (!emailVerified && !phoneVerified)
    return { leftOut: 'neither email nor phone number verified' };
  if (row.email) row.email_verified = String(emailVerified);
  if (row.phone_number) row.phone_number_verified = String(phoneVerified);
  if (user.password.keep) row.password_hash = user.password.hash;
  return { row };
}

/**
 * Converts a provider's export into a CSV in Cognito's import format, streaming: users are read,
 * mapped to standard attributes, their hashes turned into Cognito's formats when Cognito can take
 * them (else they import without one, RESET_REQUIRED), and written one by one.
 *
 * @param options - the source, its export and the conversion's settings
 * @param out - where the CSV goes
 * @returns the report: counts and reasons, no user data
 * @throws ConvertUsageError when the source needs `emailVerified` and it is not given;
 *   ExportFormatError, MappingError, JsonShapeError when the export is not what the source writes
 */
export async function convertExport(
  options: ConvertOptions,
  out: TextSink,
): Promise<ConvertReport> {
  const source = SOURCE_MODULES[options.source];
  if (!source) throw new ConvertUsageError(`Unknown source "${options.source}".`);
  if (options.emailVerified === undefined && !source.recordsVerification(options))
    throw new ConvertUsageError(
      `A ${options.source} export does not record whether emails are verified, and Cognito imports a user only with a verified email or phone number: say which with --email-verified true or --email-verified false.`,
    );
  const report = new ReportBuilder(
    options.source,
    options.emailVerified === undefined ? 'export' : options.emailVerified ? 'true' : 'false',
  );
  const writer = new CognitoCsvWriter(outputColumns(source.customColumns?.(options)), out);
  for await (const record of source.read({ options, report })) {
    report.report.read++;
    const result: Normalised =
      'leftOut' in record ? { leftOut: record.leftOut } : normalise(record, options, report);
    if ('leftOut' in result) {
      report.leftOut(result.leftOut);
      await options.onLeftOut?.({ id: record.id, leftOut: result.leftOut });
      continue;
    }
    await writer.row(result.row);
    report.report.converted++;
    const password = (record as SourceUser).password;
    if (password.keep) report.kept(password.algorithm);
    else report.mustReset(password.reason);
  }
  await writer.end();
  return report.report;
}
