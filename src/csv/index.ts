/**
 * Streaming CSV validation, normalisation and splitting for Cognito user import
 * (docs/cognito-behaviour.md, "The CSV file").
 * Pure: bytes in, results out; no AWS calls, no environment, no console.
 */
export {
  type MessageContext,
  messageFor,
  RULE_CODES,
  RULES,
  type RuleCode,
  type Scope,
  type Severity,
} from './codes.ts';
export { intField, textField } from './fields.ts';
export {
  GROUPS_COLUMN,
  GROUPS_SEPARATOR,
  isGroupName,
  joinGroupNames,
  MAX_GROUP_NAME_LENGTH,
  sniffGroupsColumn,
  splitGroupNames,
} from './group-column.ts';
export { checkPasswordHash, detectPasswordHash, type HashCheck } from './hash-formats.ts';
export type { Issue } from './issue-ledger.ts';
export { MEMBERSHIPS_HEADER } from './memberships-writer.ts';
export {
  type ByteSink,
  type MemorySink,
  memorySink,
  nullSink,
  type PartSinkFactory,
  type PartSummary,
} from './output.ts';
export {
  CsvReader,
  FIELD_BAD_QUOTE,
  FIELD_ESCAPED,
  FIELD_LEADING_QUOTE,
  FIELD_NEWLINE,
  FIELD_QUOTED,
  FIELD_TRAILING_BACKSLASH,
  FIELD_TRIMMED,
  FIELD_UNTERMINATED,
  fieldText,
  type ParsedRecord,
  type ReaderOptions,
  type RecordHandler,
  RecordView,
  readRecords,
} from './reader.ts';
export {
  type CustomAttributeRule,
  type PasswordHashingAlgorithm,
  type PoolRules,
  type PoolRulesOptions,
  poolRulesFrom,
  STANDARD_CSV_HEADER,
} from './rules.ts';
export { UsernameHasher, UsernameTable, usernameTableBytes } from './username-table.ts';
export type {
  InvalidRowsPolicy,
  Limits,
  ValidateOptions,
  ValidationMode,
} from './validate-options.ts';
export {
  type GroupsReport,
  MAX_LISTED_MISSING_GROUPS,
  type NormalisedCounts,
  REPORT_LINE_NUMBERING,
  type ValidationReport,
} from './validation-report.ts';
export { CsvValidator, validateCsv } from './validator.ts';
