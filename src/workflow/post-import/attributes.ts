import type { AttributeType } from '@aws-sdk/client-cognito-identity-provider';

/**
 * Columns of a part that are no attribute to update: the username and `sub` never change, MFA
 * and the password hash are the import's alone, and the groups are memberships.
 */
const NOT_UPDATED = new Set([
  'cognito:username',
  'cognito:mfa_enabled',
  'cognito:groups',
  'password_hash',
  'sub',
]);

/** The verified flags Cognito takes as `true` or `false`, in lower case. */
const FLAGS = new Set(['email_verified', 'phone_number_verified']);

/**
 * The attributes an existing user is updated with from its row: every column with a value,
 * except those in NOT_UPDATED. An empty value is left out, never sent (a blank value would
 * delete the attribute); a verified flag is sent only when the row gives one, so that an
 * attribute the row does not mention keeps its flag.
 *
 * @param header - the part's columns
 * @param values - the row's values, in Cognito's dialect decoded (`\,` read as a comma)
 */
export function attributesOf(
  header: readonly string[],
  values: readonly string[],
): AttributeType[] {
  const attributes: AttributeType[] = [];
  const count = Math.min(header.length, values.length);
  for (let i = 0; i < count; i++) {
    const name = header[i] as string;
    const value = values[i] as string;
    if (value === '' || NOT_UPDATED.has(name)) continue;
    attributes.push({ Name: name, Value: FLAGS.has(name) ? value.toLowerCase() : value });
  }
  return attributes;
}
