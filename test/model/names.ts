/**
 * The names the model check's parts share, in a module of their own: the setup file loads for
 * every test file and must not load the twin (or the SDK) to learn them.
 */

/** twin/cognito/server.ts's RESPONSE_CHANNEL, spelled out (model-check.test.ts checks they agree). */
export const RESPONSE_CHANNEL = 'cognito-import.twin.cognito-response';

/** Where the workers append their counts for the run's summary. */
export const SUMMARY_FILE_ENV = 'COGNITO_IMPORT_MODEL_CHECK_FILE';
