import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';

/** The password hash algorithms Cognito import jobs accept (docs/cognito-behaviour.md, "Password hashes"). */
export type PasswordHashingAlgorithm = 'BCRYPT' | 'SCRYPT' | 'ARGON2ID' | 'PBKDF2_SHA256';

/** The documented GetCSVHeader of a pool without custom attributes (docs/cognito-behaviour.md, "The CSV header"). */
export const STANDARD_CSV_HEADER: readonly string[] = [
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
  'cognito:mfa_enabled',
  'cognito:username',
];

/** The type and limits of one custom attribute, from the pool's schema. */
export interface CustomAttributeRule {
  type: 'String' | 'Number' | 'Boolean' | 'DateTime';
  /** String: minimum length in characters. */
  minLength?: number;
  /** String: maximum length in characters. */
  maxLength?: number;
  /** Number: smallest allowed value. */
  minValue?: number;
  /** Number: largest allowed value. */
  maxValue?: number;
}

/**
 * Everything the validator needs to know about the target pool. A plain JSON value, so the
 * workflow can compute it in one step (from DescribeUserPool + GetCSVHeader) and hand it to the
 * next one in the execution state.
 */
export interface PoolRules {
  userPoolId?: string;
  /** GetCSVHeader's names: the columns a file should have (`password_hash` is added on top). */
  csvHeader: string[];
  /** Which of email / phone_number the pool auto-verifies (docs/cognito-behaviour.md, "Values"). */
  autoVerified: ('email' | 'phone_number')[];
  mfa: 'OFF' | 'ON' | 'OPTIONAL';
  /** `UsernameConfiguration.CaseSensitive`; absent in DescribeUserPool means case-sensitive. */
  caseSensitive: boolean;
  /** Attributes marked required in the pool's schema that a CSV can carry. */
  required: string[];
  /** Custom attributes by full column name (`custom:<name>`). */
  custom: Record<string, CustomAttributeRule>;
  /** The pool signs in with email and/or phone as the username (`UsernameAttributes`). */
  usernameAttributes: string[];
  /** The hash algorithm of the import job, when passwords are imported (docs/cognito-behaviour.md, "Password hashes"). */
  passwordHashingAlgorithm?: PasswordHashingAlgorithm;
}

/** Options of {@link poolRulesFrom}. */
export interface PoolRulesOptions {
  passwordHashingAlgorithm?: PasswordHashingAlgorithm;
}

// Service-generated attributes: the schema marks `sub` required, but no CSV can set it.
const NOT_IMPORTABLE = new Set(['sub', 'identities']);

function num(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Builds the validation rules for one pool. Pure: no AWS calls.
 *
 * @param userPool - `DescribeUserPool(...).UserPool`
 * @param csvHeader - `GetCSVHeader(...).CSVHeader`, the columns a file may and should carry
 * @param options - `passwordHashingAlgorithm` when the import job will carry password hashes
 * @returns rules as a plain JSON-serialisable object
 */
export function poolRulesFrom(
  userPool: UserPoolType,
  csvHeader: string[],
  options: PoolRulesOptions = {},
): PoolRules {
  const autoVerified: PoolRules['autoVerified'] = [];
  for (const a of userPool.AutoVerifiedAttributes ?? []) {
    if ((a === 'email' || a === 'phone_number') && !autoVerified.includes(a)) autoVerified.push(a);
  }
  const required: string[] = [];
  const custom: Record<string, CustomAttributeRule> = {};
  for (const attr of userPool.SchemaAttributes ?? []) {
    const name = attr.Name;
    if (!name || NOT_IMPORTABLE.has(name) || name.startsWith('dev:')) continue;
    if (attr.Required) required.push(name);
    if (!name.startsWith('custom:')) continue;
    const type = attr.AttributeDataType ?? 'String';
    const rule: CustomAttributeRule = { type };
    if (type === 'String') {
      const min = num(attr.StringAttributeConstraints?.MinLength);
      const max = num(attr.StringAttributeConstraints?.MaxLength);
      if (min !== undefined) rule.minLength = min;
      if (max !== undefined) rule.maxLength = max;
    } else if (type === 'Number') {
      const min = num(attr.NumberAttributeConstraints?.MinValue);
      const max = num(attr.NumberAttributeConstraints?.MaxValue);
      if (min !== undefined) rule.minValue = min;
      if (max !== undefined) rule.maxValue = max;
    }
    custom[name] = rule;
  }
  const rules: PoolRules = {
    csvHeader: [...csvHeader],
    autoVerified,
    mfa: userPool.MfaConfiguration ?? 'OFF',
    caseSensitive: userPool.UsernameConfiguration?.CaseSensitive ?? true,
    required,
    custom,
    usernameAttributes: [...(userPool.UsernameAttributes ?? [])],
  };
  if (userPool.Id) rules.userPoolId = userPool.Id;
  if (options.passwordHashingAlgorithm) {
    rules.passwordHashingAlgorithm = options.passwordHashingAlgorithm;
  }
  return rules;
}
