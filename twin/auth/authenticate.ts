import type { IncomingMessage } from 'node:http';
import { isTwinKey, type RoleSession } from '../iam/identities.ts';
import {
  checkScope,
  readSignature,
  type SignatureProblem,
  type SignedRequest,
  signatureMatches,
} from './sigv4.ts';

/**
 * Who signed a request. The twin verifies the signatures of the credentials it issued (it keeps
 * their secrets): such a request is its role session's. Any other access key (the AWS CLI, a
 * user's SDK, the twin's own host) the twin cannot verify, since it never saw the secret: once
 * its signature is well formed, in scope and in time, it acts as the account's administrator.
 */
export type Caller =
  | { kind: 'administrator'; accessKeyId: string; signed: SignedRequest }
  | { kind: 'session'; accessKeyId: string; session: RoleSession; signed: SignedRequest };

export type AuthFailure =
  | SignatureProblem
  | { kind: 'unknown-key'; message: string }
  | { kind: 'bad-token'; message: string }
  | { kind: 'signature'; message: string };

export interface AuthenticateOptions {
  /** The signing name of the service: cognito-idp, logs, s3, states, sns. */
  service: string;
  /** The service's one region, when it has one; else any region is taken. */
  region?: string;
  query: URLSearchParams;
  /** The payload hash the signature covers: the body's SHA-256, or S3's x-amz-content-sha256. */
  payloadHash: string;
  lookup: (accessKeyId: string) => RoleSession | undefined;
  now?: number;
}

export function authenticate(
  req: IncomingMessage,
  options: AuthenticateOptions,
): Caller | AuthFailure {
  const signed = readSignature(req, options.query);
  if ('kind' in signed) return signed;
  const problem = checkScope(signed, {
    service: options.service,
    ...(options.region !== undefined ? { region: options.region } : {}),
    now: options.now ?? Date.now(),
  });
  if (problem) return problem;
  if (!isTwinKey(signed.accessKeyId))
    return { kind: 'administrator', accessKeyId: signed.accessKeyId, signed };
  const session = options.lookup(signed.accessKeyId);
  if (!session)
    return {
      kind: 'unknown-key',
      message: 'The security token included in the request is invalid.',
    };
  // Temporary credentials are nothing without their session token, and wrong with another one.
  if (signed.sessionToken === undefined)
    return {
      kind: 'unknown-key',
      message: 'The security token included in the request is invalid.',
    };
  if (signed.sessionToken !== session.credentials.sessionToken)
    return { kind: 'bad-token', message: 'The security token included in the request is invalid.' };
  if (!signatureMatches(req, signed, session.credentials.secretAccessKey, options.payloadHash))
    return {
      kind: 'signature',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  return { kind: 'session', accessKeyId: signed.accessKeyId, session, signed };
}

export const isFailure = (result: Caller | AuthFailure): result is AuthFailure =>
  result.kind !== 'administrator' && result.kind !== 'session';
