/** A user pool id as Cognito's model defines it: `<region>_<letters and digits>`, at most 55 characters. */
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

/**
 * Whether a value is a user pool id. The one check of the id's shape: the execution input, the
 * key layout (`incoming/<userPoolId>/…`), the sweeper and the command line all use it.
 */
export const isUserPoolId = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 55 && USER_POOL_ID.test(value);
