/**
 * The header GetCSVHeader returns for a pool without custom attributes, in the documented order
 * (docs/cognito-behaviour.md, "The CSV header"). The twin keeps its own copy, written from the
 * Cognito documentation, rather than importing the pipeline's: the twin is the oracle the
 * pipeline's validator is tested against, and an oracle that shares the code under test cannot
 * catch its mistakes.
 */
export const DOCUMENTED_CSV_HEADER: readonly string[] = [
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
