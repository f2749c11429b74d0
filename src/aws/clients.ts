import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * What every client is built from. The SDK itself reads the standard variables
 * (`AWS_REGION`, `AWS_ENDPOINT_URL_<SERVICE>`, credentials), which is how the same code reaches
 * AWS or the local twin; these overrides exist for tests and the CLI, which know the twin's
 * endpoints without going through the environment.
 */
export interface ClientOptions {
  region?: string;
  endpoints?: Partial<Record<ServiceName, string>>;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
  /** How the clients retry; the SDK's standard strategy unless given (tests drop its delays). */
  retryStrategy?: S3ClientConfig['retryStrategy'];
  /**
   * Wraps each client once built: on Lambda, the X-Ray tracer's `captureAWSv3Client` (when
   * tracing is on), so that every call is a subsegment of the function's trace.
   */
  instrument?: <C extends object>(client: C) => C;
}

export type ServiceName = 'cognito' | 'logs' | 's3' | 'sfn' | 'sns';

function base(options: ClientOptions, service: ServiceName) {
  const endpoint = options.endpoints?.[service];
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : {}),
  };
}

/** The one place that builds SDK clients. */
export function createClients(options: ClientOptions = {}) {
  const wrap = options.instrument ?? (<C>(client: C) => client);
  return {
    cognito: wrap(new CognitoIdentityProviderClient(base(options, 'cognito'))),
    logs: wrap(new CloudWatchLogsClient(base(options, 'logs'))),
    s3: wrap(new S3Client(base(options, 's3'))),
    sfn: wrap(new SFNClient(base(options, 'sfn'))),
    sns: wrap(new SNSClient(base(options, 'sns'))),
  };
}

export type Clients = ReturnType<typeof createClients>;
