/**
 * The local twin's public index: the emulators of the AWS services the pipeline uses (Cognito with
 * its import jobs and their CloudWatch Logs, S3, Step Functions, SNS), each started in-process in
 * one call on 127.0.0.1. The twin knows nothing of the pipeline (it imports nothing from src/ or
 * functions/); code outside twin/ imports it only through this file. See twin/README.md.
 */

export { type Jwk, verifyCognitoJwt } from './cognito/auth/jwt.ts';
export {
  type CognitoTwin,
  type CognitoTwinOptions,
  DOCUMENTED_RATES,
  defaultKnobs,
  defaultPace,
  defaultQuotas,
  type FaultRule,
  type JobFault,
  type Knobs,
  type MailMessage,
  OPERATION_CATEGORY,
  type Pace,
  type PublishedResponse,
  type Quotas,
  type RateCategory,
  RESPONSE_CHANNEL,
  secretHash,
  startCognitoTwin,
} from './cognito/index.ts';
export {
  AccessControl,
  type AccessControlOptions,
  type Denial,
  IAM_DECISION_CHANNEL,
  type PublishedDecision,
  type RoleDefinition,
} from './iam/access.ts';
export type { Credentials } from './iam/identities.ts';
export type { AccessRequest, Decision, PolicyDocument } from './iam/policy-engine.ts';
export {
  encodeNotificationKey,
  type ObjectCreatedEvent,
  type S3FaultCode,
  type S3FaultRule,
  S3Faults,
  type S3Twin,
  type S3TwinOptions,
  startS3Twin,
  toS3NotificationRecord,
} from './s3/index.ts';
export {
  createVirtualClock,
  type Execution,
  type ExecutionStatus,
  type ExecutionStatusChangeEvent,
  executionStatusChangeEvent,
  type HistoryEvent,
  INTERRUPTED_CAUSE,
  isValidName,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
  SfnError,
  type SfnTwin,
  type SfnTwinOptions,
  type StateMachineSpec,
  startSfnTwin,
  type TaskContext,
  type TaskHandler,
  taskStateNames,
  type VirtualClock,
} from './sfn/index.ts';
export {
  type ReceivedMessage,
  readMessages,
  type SnsTwin,
  type SnsTwinOptions,
  startSnsTwin,
} from './sns/index.ts';
