import type { AuthFailure } from './authenticate.ts';

/**
 * How each of the twin's protocols refuses a request it cannot authenticate. The codes and
 * statuses are AWS's common errors where they are documented (MissingAuthenticationToken 403,
 * IncompleteSignature 400, InvalidClientTokenId 403, SignatureDoesNotMatch 403, AccessDenied
 * 403 for S3); for the JSON protocol services (Cognito, CloudWatch Logs, Step Functions) they
 * are the `…Exception` names those services answer with in practice (UnrecognizedClientException,
 * InvalidSignatureException, IncompleteSignatureException, MissingAuthenticationTokenException,
 * all 400): twin/README.md lists which are guesses.
 */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Extra elements of S3's XML error document. */
  fields?: Record<string, string>;
}

export function jsonRefusal(failure: AuthFailure): Refusal {
  switch (failure.kind) {
    case 'missing':
      return { status: 400, code: 'MissingAuthenticationTokenException', message: failure.message };
    case 'malformed':
      return { status: 400, code: 'IncompleteSignatureException', message: failure.message };
    case 'unknown-key':
    case 'bad-token':
      return { status: 400, code: 'UnrecognizedClientException', message: failure.message };
    case 'expired':
    case 'scope':
    case 'signature':
      return { status: 400, code: 'InvalidSignatureException', message: failure.message };
  }
}

/** The Query protocol (SNS): `<ErrorResponse><Error><Code>`. */
export function queryRefusal(failure: AuthFailure): Refusal {
  switch (failure.kind) {
    case 'missing':
      return { status: 403, code: 'MissingAuthenticationToken', message: failure.message };
    case 'malformed':
      return { status: 400, code: 'IncompleteSignature', message: failure.message };
    case 'unknown-key':
    case 'bad-token':
      return { status: 403, code: 'InvalidClientTokenId', message: failure.message };
    case 'expired':
    case 'scope':
    case 'signature':
      return { status: 403, code: 'SignatureDoesNotMatch', message: failure.message };
  }
}

/**
 * S3's answers. An unsigned request is anonymous, and the twin's buckets grant anonymous users
 * nothing: 403 AccessDenied, as a private bucket answers.
 */
export function s3Refusal(failure: AuthFailure, presigned: boolean): Refusal {
  switch (failure.kind) {
    case 'missing':
      return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    case 'malformed':
      return presigned
        ? {
            status: 400,
            code: 'AuthorizationQueryParametersError',
            message: failure.message,
          }
        : { status: 400, code: 'AuthorizationHeaderMalformed', message: failure.message };
    case 'scope':
      return {
        status: 400,
        code: presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
        message:
          failure.part === 'region'
            ? `The authorization header is malformed; the region is wrong; expecting '${failure.expected}'`
            : `The authorization header is malformed; incorrect service. This endpoint belongs to '${failure.expected}'.`,
        ...(failure.part === 'region' ? { fields: { Region: failure.expected } } : {}),
      };
    case 'expired':
      return presigned
        ? { status: 403, code: 'AccessDenied', message: failure.message }
        : {
            status: 403,
            code: 'RequestTimeTooSkewed',
            message: 'The difference between the request time and the current time is too large.',
          };
    case 'unknown-key':
      return {
        status: 403,
        code: 'InvalidAccessKeyId',
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
    case 'bad-token':
      return {
        status: 400,
        code: 'InvalidToken',
        message: 'The provided token is malformed or otherwise invalid.',
      };
    case 'signature':
      return {
        status: 403,
        code: 'SignatureDoesNotMatch',
        message:
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      };
  }
}
