/**
 * Every service of the twin (Cognito, its CloudWatch Logs API, S3, Step Functions, SNS) takes
 * only requests signed with Signature Version 4, as AWS does: unsigned ones are refused;
 * credentials the twin issued are checked against their secret and session token; any other
 * well-formed, in-time signature acts as the account's administrator (the AWS CLI, a user's
 * SDK); and a role session is held to its role's policies, each service answering a denial in
 * its own shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessControl,
  type CognitoTwin,
  type Credentials,
  type S3Twin,
  type SfnTwin,
  type SnsTwin,
  startCognitoTwin,
  startS3Twin,
  startSfnTwin,
  startSnsTwin,
} from '../../../twin/index.ts';
import { presignedUrl, type SignOptions, signedFetch, signedHeaders } from '../../helpers/sign.ts';
import { expectDenials } from '../../iam/denials.ts';

expectDenials(/^tester /, 'the calls its role does not allow, which this file makes on purpose');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
let dataDir: string;
let access: AccessControl;
let tester: Credentials;
let cognito: CognitoTwin;
let s3: S3Twin;
let sfn: SfnTwin;
let sns: SnsTwin;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'signatures-'));
  access = new AccessControl({
    account: ACCOUNT,
    region: REGION,
    roles: [
      {
        name: 'tester',
        arn: `arn:aws:iam::${ACCOUNT}:role/tester`,
        policies: [
          {
            name: 'reads',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: [
                    'cognito-idp:ListUserPools',
                    'logs:DescribeLogGroups',
                    'states:ListStateMachines',
                    'sns:ListTopics',
                  ],
                  Resource: '*',
                },
                { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bkt' },
              ],
            },
          },
        ],
      },
    ],
  });
  tester = access.issue('tester', 'signatures-test');
  cognito = await startCognitoTwin({ dataDir, access });
  s3 = await startS3Twin({ dataDir, buckets: ['bkt'], access });
  sfn = await startSfnTwin({
    dataDir,
    access,
    stateMachines: [
      {
        name: 'm',
        definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
        handlers: {},
      },
    ],
  });
  sns = await startSnsTwin({ dataDir, topics: ['t'], access });
});
afterAll(async () => {
  for (const twin of [cognito, s3, sfn, sns]) await twin.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One call of each service, as raw HTTP: how to make it, and how each refuses it. */
interface Endpoint {
  name: string;
  url: () => string;
  init: { method: string; headers?: Record<string, string>; body?: string };
  service: string;
  /** The error code and HTTP status of: no signature; a key the twin never issued; a bad signature; an expired one. */
  refusals: {
    missing: [string, number];
    unknown: [string, number];
    signature: [string, number];
    expired: [string, number];
  };
}

const jsonCall = (target: string, version: '1.0' | '1.1') => ({
  method: 'POST',
  headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target },
  body: '{}',
});
const JSON_REFUSALS: Endpoint['refusals'] = {
  missing: ['MissingAuthenticationTokenException', 400],
  unknown: ['UnrecognizedClientException', 400],
  signature: ['InvalidSignatureException', 400],
  expired: ['InvalidSignatureException', 400],
};

const ENDPOINTS: Endpoint[] = [
  {
    name: 'Cognito',
    url: () => cognito.endpoint,
    init: {
      ...jsonCall('AWSCognitoIdentityProviderService.ListUserPools', '1.1'),
      body: '{"MaxResults":5}',
    },
    service: 'cognito-idp',
    refusals: JSON_REFUSALS,
  },
  {
    name: 'CloudWatch Logs',
    url: () => cognito.endpoint,
    init: jsonCall('Logs_20140328.DescribeLogGroups', '1.1'),
    service: 'logs',
    refusals: JSON_REFUSALS,
  },
  {
    name: 'Step Functions',
    url: () => sfn.endpoint,
    init: jsonCall('AWSStepFunctions.ListStateMachines', '1.0'),
    service: 'states',
    refusals: JSON_REFUSALS,
  },
  {
    name: 'SNS',
    url: () => sns.endpoint,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListTopics&Version=2010-03-31',
    },
    service: 'sns',
    refusals: {
      missing: ['MissingAuthenticationToken', 403],
      unknown: ['InvalidClientTokenId', 403],
      signature: ['SignatureDoesNotMatch', 403],
      expired: ['SignatureDoesNotMatch', 403],
    },
  },
  {
    name: 'S3',
    url: () => `${s3.endpoint}/bkt?list-type=2`,
    init: { method: 'GET' },
    service: 's3',
    refusals: {
      missing: ['AccessDenied', 403],
      unknown: ['InvalidAccessKeyId', 403],
      signature: ['SignatureDoesNotMatch', 403],
      expired: ['RequestTimeTooSkewed', 403],
    },
  },
];

/** The error code of an answer, whatever the protocol (JSON `__type`, XML `<Code>`). */
async function errorOf(response: Response): Promise<[string, number]> {
  const text = await response.text();
  const code =
    /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ??
    (text.startsWith('{') ? String((JSON.parse(text) as { __type?: string }).__type) : text);
  return [code, response.status];
}

const call = (endpoint: Endpoint, options?: SignOptions) =>
  options
    ? signedFetch(endpoint.url(), endpoint.init, options)
    : fetch(endpoint.url(), endpoint.init);

describe.each(ENDPOINTS)('$name', (endpoint) => {
  const sign = (more: Partial<SignOptions> = {}): SignOptions => ({
    service: endpoint.service,
    ...more,
  });

  it('refuses a request with no signature', async () => {
    expect(await errorOf(await call(endpoint))).toEqual(endpoint.refusals.missing);
  });

  it("answers a request signed with credentials it did not issue, as the account's administrator", async () => {
    const response = await call(
      endpoint,
      sign({ credentials: { accessKeyId: 'AKIAANYONE0000000000', secretAccessKey: 'any secret' } }),
    );
    expect(response.status).toBe(200);
  });

  it('answers a request signed with the credentials it issued', async () => {
    expect((await call(endpoint, sign({ credentials: tester }))).status).toBe(200);
  });

  it('refuses its own key signed with another secret, or without its session token', async () => {
    const wrongSecret = { ...tester, secretAccessKey: 'not the secret' };
    expect(await errorOf(await call(endpoint, sign({ credentials: wrongSecret })))).toEqual(
      endpoint.refusals.signature,
    );
    const { sessionToken: _token, ...noToken } = tester;
    expect(await errorOf(await call(endpoint, sign({ credentials: noToken })))).toEqual(
      endpoint.refusals.unknown,
    );
  });

  it('refuses a key of its own kind that it never issued', async () => {
    const stranger = { ...tester, accessKeyId: 'ASIATWINAAAAAAAAAAAA' };
    expect(await errorOf(await call(endpoint, sign({ credentials: stranger })))).toEqual(
      endpoint.refusals.unknown,
    );
  });

  it('refuses a signature more than 15 minutes old, whoever signed it', async () => {
    const signingDate = new Date(Date.now() - 20 * 60_000);
    expect(await errorOf(await call(endpoint, sign({ signingDate })))).toEqual(
      endpoint.refusals.expired,
    );
  });

  it('refuses a signature scoped to another service', async () => {
    const [, status] = await errorOf(await call(endpoint, sign({ service: 'sqs' })));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });
});

describe('what the twin serves unsigned', () => {
  it("Cognito's public sign-in operations and the twin's own endpoints", async () => {
    const initiate = await fetch(cognito.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: 'nope',
        AuthParameters: {},
      }),
    });
    const [code] = await errorOf(initiate);
    expect(code).not.toMatch(/Authentication|Signature|Unrecognized/);
    expect((await fetch(`${cognito.endpoint}/_twin/health`)).status).toBe(200);
  });
});

describe('S3 pre-signed URLs', () => {
  it('serves a GET pre-signed with any credentials while it is valid, and refuses it once expired', async () => {
    await signedFetch(
      `${s3.endpoint}/bkt/shared.txt`,
      { method: 'PUT', body: 'shared' },
      { service: 's3' },
    );
    const url = await presignedUrl(`${s3.endpoint}/bkt/shared.txt`, {
      service: 's3',
      expiresIn: 60,
    });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('shared');
    const old = await presignedUrl(`${s3.endpoint}/bkt/shared.txt`, {
      service: 's3',
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('checks the signature of a URL pre-signed with credentials it issued', async () => {
    const url = await presignedUrl(`${s3.endpoint}/bkt/shared.txt`, {
      service: 's3',
      expiresIn: 60,
      credentials: { ...tester, secretAccessKey: 'forged' },
    });
    expect(await errorOf(await fetch(url))).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('requires the payload hash header of a header-signed request, as S3 does', async () => {
    const headers = await signedHeaders(
      { method: 'GET', url: `${s3.endpoint}/bkt?list-type=2` },
      { service: 's3', payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const { 'x-amz-content-sha256': _hash, host: _host, ...rest } = headers;
    const response = await fetch(`${s3.endpoint}/bkt?list-type=2`, { headers: rest });
    expect((await errorOf(response))[1]).toBe(400);
  });
});

describe("a role session's policies", () => {
  let as: { region: string; credentials: Credentials; maxAttempts: number };
  beforeAll(() => {
    as = { region: REGION, credentials: tester, maxAttempts: 1 };
  });

  it('allow what they grant, and refuse the rest with each service own error', async () => {
    const cognitoClient = new CognitoIdentityProviderClient({ ...as, endpoint: cognito.endpoint });
    const logsClient = new CloudWatchLogsClient({ ...as, endpoint: cognito.endpoint });
    const s3Client = new S3Client({ ...as, endpoint: s3.endpoint, forcePathStyle: true });
    const sfnClient = new SFNClient({ ...as, endpoint: sfn.endpoint });
    const snsClient = new SNSClient({ ...as, endpoint: sns.endpoint });
    try {
      await cognitoClient.send(new ListUserPoolsCommand({ MaxResults: 5 }));
      await logsClient.send(new DescribeLogGroupsCommand({}));
      await s3Client.send(new ListObjectsV2Command({ Bucket: 'bkt' }));
      await sfnClient.send(new ListStateMachinesCommand({}));
      await snsClient.send(new ListTopicsCommand({}));
      const refusal = async (promise: Promise<unknown>) =>
        promise.then(
          () => undefined,
          (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => [
            error.name,
            error.$metadata?.httpStatusCode,
            error.message,
          ],
        );
      const session = `arn:aws:sts::${ACCOUNT}:assumed-role/tester/signatures-test`;
      expect(
        await refusal(cognitoClient.send(new CreateUserPoolCommand({ PoolName: 'x' }))),
      ).toEqual([
        'AccessDeniedException',
        400,
        `User: ${session} is not authorized to perform: cognito-idp:CreateUserPool on resource: * because no identity-based policy allows the cognito-idp:CreateUserPool action`,
      ]);
      expect(
        await refusal(logsClient.send(new FilterLogEventsCommand({ logGroupName: '/aws/x' }))),
      ).toMatchObject([
        'AccessDeniedException',
        400,
        expect.stringContaining(
          `logs:FilterLogEvents on resource: arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/x:*`,
        ),
      ]);
      expect(
        await refusal(s3Client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'shared.txt' }))),
      ).toMatchObject([
        'AccessDenied',
        403,
        expect.stringContaining('s3:GetObject on resource: arn:aws:s3:::bkt/shared.txt'),
      ]);
      expect(
        await refusal(
          sfnClient.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn('m') })),
        ),
      ).toMatchObject([
        'AccessDeniedException',
        400,
        expect.stringContaining('states:StartExecution'),
      ]);
      expect(
        await refusal(
          snsClient.send(new PublishCommand({ TopicArn: sns.topicArn('t'), Message: 'hi' })),
        ),
      ).toMatchObject(['AuthorizationErrorException', 403, expect.stringContaining('SNS:Publish')]);
    } finally {
      for (const client of [cognitoClient, logsClient, s3Client, sfnClient, snsClient])
        client.destroy();
    }
  });

  it('answer a bucket that does not exist NoSuchBucket, whatever the policies', async () => {
    const s3Client = new S3Client({ ...as, endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const error = await s3Client
        .send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))
        .catch((e: { name: string }) => e);
      expect((error as { name: string }).name).toBe('NoSuchBucket');
    } finally {
      s3Client.destroy();
    }
  });
});
