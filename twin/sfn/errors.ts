/**
 * An error the Step Functions twin answers with, in the AWS JSON 1.0 shape (`__type`, `message`),
 * so that `@aws-sdk/client-sfn` and the AWS CLI raise the same exception they raise against AWS
 * (`ExecutionAlreadyExists`, `ExecutionDoesNotExist`, …). The in-process API throws it too, so a
 * caller can branch on `type` the same way whichever route it used.
 */
export class SfnError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

export const invalidArn = (arn: string) => new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
export const invalidName = (name: string) => new SfnError('InvalidName', `Invalid Name: '${name}'`);
export const invalidToken = (token: string) =>
  new SfnError('InvalidToken', `Invalid Token: '${token}'`);
export const invalidExecutionInput = (reason: string) =>
  new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${reason}'`);
export const executionDoesNotExist = (arn: string) =>
  new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
export const executionAlreadyExists = (arn: string) =>
  new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
export const stateMachineDoesNotExist = (arn: string) =>
  new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);

/** The wording AWS uses for a request field that breaks a model constraint. */
export const validation = (field: string, value: unknown, constraint: string) =>
  new SfnError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
