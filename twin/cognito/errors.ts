/**
 * An error the twin answers with, in the AWS JSON 1.1 shape (`__type`, `message`), so that the
 * SDK raises the same exception class it raises against AWS.
 */
export class ServiceError extends Error {
  readonly type: string;
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(type: string, message: string, status = 400, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ServiceError';
    this.type = type;
    this.status = status;
    this.extra = extra;
  }
}

export const invalidParameter = (message: string) =>
  new ServiceError('InvalidParameterException', message);
export const resourceNotFound = (message: string) =>
  new ServiceError('ResourceNotFoundException', message);
export const preconditionNotMet = (message: string) =>
  new ServiceError('PreconditionNotMetException', message);
export const limitExceeded = (message: string) =>
  new ServiceError('LimitExceededException', message);
export const tooManyRequests = () => new ServiceError('TooManyRequestsException', 'Rate exceeded');
export const internalError = () =>
  new ServiceError('InternalErrorException', 'An internal error occurred.', 500);
