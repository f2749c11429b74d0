/**
 * Converters from identity providers' exports to Cognito's import CSV (`cognito-import convert`).
 * Pure: bytes in, text out, no AWS; the only files touched are the Auth0 join's temporary
 * partitions.
 */
export {
  cellProblem,
  parseBoolean,
  plausibleEmail,
  toBirthdate,
  toE164,
  toEpochSeconds,
  usernameProblem,
} from './attributes.ts';
export { ConvertUsageError, convertExport } from './convert.ts';
export * from './hashes.ts';
export { csvRows, decompressed, ExportFormatError, ndjsonLines } from './input.ts';
export { type JoinOptions, type JoinStats, joinOnId } from './join.ts';
export { JsonArrayScanner, JsonShapeError, jsonArrayItems } from './json-array.ts';
export { type ConvertReport, formatReport } from './report.ts';
export { MappingError, parseMapping } from './sources/csv-mapping.ts';
export { keycloakPassword } from './sources/keycloak.ts';
export * from './types.ts';
export { outputColumns } from './writer.ts';
