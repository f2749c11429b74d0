import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import {
  type MemorySink,
  memorySink,
  type PoolRules,
  type PoolRulesOptions,
  poolRulesFrom,
  STANDARD_CSV_HEADER,
  type ValidateOptions,
  type ValidationReport,
  validateCsv,
} from '../../../src/csv/index.ts';

/** A pool like most: auto-verifies email, MFA off, case-insensitive usernames, two custom attributes. */
export const POOL: UserPoolType = {
  Id: 'eu-west-1_Test0001',
  AutoVerifiedAttributes: ['email'],
  MfaConfiguration: 'OFF',
  UsernameConfiguration: { CaseSensitive: false },
  SchemaAttributes: [
    { Name: 'sub', AttributeDataType: 'String', Required: true, Mutable: false },
    { Name: 'email', AttributeDataType: 'String', Required: false },
    {
      Name: 'custom:tier',
      AttributeDataType: 'Number',
      NumberAttributeConstraints: { MinValue: '0', MaxValue: '10' },
    },
    {
      Name: 'custom:team',
      AttributeDataType: 'String',
      StringAttributeConstraints: { MinLength: '2', MaxLength: '8' },
    },
  ],
};

/** GetCSVHeader of {@link POOL}. */
export const HEADER = [...STANDARD_CSV_HEADER, 'custom:tier', 'custom:team'];

/** Rules for {@link POOL} with some fields replaced. */
export function rulesFor(
  pool: Partial<UserPoolType> = {},
  options: PoolRulesOptions = {},
  header: string[] = HEADER,
): PoolRules {
  return poolRulesFrom({ ...POOL, ...pool }, header, options);
}

/** A valid user for {@link POOL}. */
export const GOOD: Record<string, string> = {
  'cognito:username': 'jdoe',
  name: 'Jane Doe',
  given_name: 'Jane',
  family_name: 'Doe',
  email: 'jane.doe@example.com',
  email_verified: 'true',
  phone_number: '+14325551212',
  phone_number_verified: 'false',
  birthdate: '02/01/1985',
  updated_at: '1471453471',
  'cognito:mfa_enabled': 'false',
  'custom:tier': '3',
  'custom:team': 'red',
};

/** Writes rows in Cognito's dialect under `header` (commas escaped as `\,`). */
export function cognitoCsv(rows: Record<string, string>[], header: string[] = HEADER): string {
  const esc = (v: string) => v.replaceAll(',', '\\,');
  return `${[header.join(','), ...rows.map((r) => header.map((h) => esc(r[h] ?? '')).join(','))].join('\n')}\n`;
}

export interface RunResult {
  report: ValidationReport;
  parts: MemorySink[];
  map: MemorySink;
  rejected: MemorySink;
}

/** Validates `data` (one chunk, or the chunks given) with in-memory sinks for everything. */
export async function run(
  data: string | Uint8Array | Uint8Array[],
  rules: PoolRules = rulesFor(),
  options: ValidateOptions = {},
): Promise<RunResult> {
  const parts: MemorySink[] = [];
  const map = memorySink();
  const rejected = memorySink();
  const chunks = Array.isArray(data)
    ? data
    : [typeof data === 'string' ? Buffer.from(data, 'utf8') : data];
  const report = await validateCsv(chunks, rules, {
    parts: () => {
      const s = memorySink();
      parts.push(s);
      return s;
    },
    map,
    rejected,
    ...options,
  });
  return { report, parts, map, rejected };
}

/** The issues of a report as `line code` strings (with `@column` when there is one). */
export function issuesOf(report: ValidationReport, withColumn = false): string[] {
  return report.issues.map(
    (i) => `${i.line} ${i.code}${withColumn && i.column ? `@${i.column}` : ''}`,
  );
}

/** The issue codes of data row 1 of a one-row file built from GOOD with `changes`. */
export async function rowCodes(
  changes: Record<string, string>,
  rules: PoolRules = rulesFor(),
  options: ValidateOptions = {},
): Promise<string[]> {
  const { report } = await run(cognitoCsv([{ ...GOOD, ...changes }]), rules, options);
  return report.issues.filter((i) => i.line === 2).map((i) => i.code);
}
