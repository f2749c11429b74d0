/**
 * Signs a hand-made request with AWS Signature Version 4, the way the AWS SDK signs (its own
 * signer, @smithy/signature-v4, not the twin's code), for tests that talk to the twin over raw
 * HTTP. The twin refuses unsigned requests, as AWS does.
 */
import { createHash, createHmac } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Credentials the twin did not issue: it takes them as the account's administrator. */
export const ADMIN_CREDENTIALS = { accessKeyId: 'AKIATESTADMIN0000000', secretAccessKey: 'test' };

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface SignOptions {
  /** The signing name: cognito-idp, logs, s3, states, sns. */
  service: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** For S3: the body's hash, or UNSIGNED-PAYLOAD; computed from the body when not given. */
  payloadHash?: string;
  /** When the request claims to be signed (X-Amz-Date); now unless given. */
  signingDate?: Date;
}

export interface RawRequest {
  method: string;
  /** The full URL; its path is signed as written (S3) so `..` and `%2F` stay as they are. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The request's headers with the signature added (Authorization, X-Amz-Date, …). */
export async function signedHeaders(
  raw: RawRequest,
  options: SignOptions,
): Promise<Record<string, string>> {
  const url = new URL(raw.url);
  const at = raw.url.indexOf('/', raw.url.indexOf('//') + 2);
  const pathAndQuery = at === -1 ? '/' : raw.url.slice(at);
  const q = pathAndQuery.indexOf('?');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const s3 = options.service === 's3';
  const headers: Record<string, string> = { host: url.host, ...raw.headers };
  if (s3)
    headers['x-amz-content-sha256'] ??=
      options.payloadHash ??
      createHash('sha256')
        .update(raw.body ?? '')
        .digest('hex');
  const signer = new SignatureV4({
    service: options.service,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? ADMIN_CREDENTIALS,
    sha256: Sha256,
    uriEscapePath: !s3,
    applyChecksum: s3,
  });
  const signed = await signer.sign(
    {
      method: raw.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: q === -1 ? pathAndQuery : pathAndQuery.slice(0, q),
      query,
      headers,
      ...(raw.body !== undefined ? { body: raw.body } : {}),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** A pre-signed URL for a GET of an S3 object, as getSignedUrl makes them. */
export async function presignedUrl(
  url: string,
  options: SignOptions & { expiresIn: number },
): Promise<string> {
  const parsed = new URL(url);
  const signer = new SignatureV4({
    service: 's3',
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? ADMIN_CREDENTIALS,
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: parsed.protocol,
      hostname: parsed.hostname,
      port: Number(parsed.port),
      path: parsed.pathname,
      query: {},
      headers: { host: parsed.host },
    },
    {
      expiresIn: options.expiresIn,
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
    },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return `${parsed.origin}${parsed.pathname}?${query}`;
}

/** fetch() with the request signed. */
export async function signedFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: SignOptions,
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers = await signedHeaders(
    {
      method,
      url,
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
    },
    options,
  );
  const { host: _host, ...rest } = headers;
  return fetch(url, {
    method,
    headers: rest,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

/** A POST of the AWS JSON protocol (Cognito, CloudWatch Logs, Step Functions), signed. */
export function signedJsonPost(
  endpoint: string,
  target: string,
  body: unknown,
  options: SignOptions & { version?: '1.0' | '1.1' },
): Promise<Response> {
  return signedFetch(
    endpoint,
    {
      method: 'POST',
      headers: {
        'content-type': `application/x-amz-json-${options.version ?? '1.1'}`,
        'x-amz-target': target,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
    options,
  );
}

/** A raw node:http request (the path exactly as written), signed; answers the response and its body. */
export async function signedRawRequest(
  raw: RawRequest,
  options: SignOptions,
): Promise<{ res: IncomingMessage; body: string }> {
  const headers = await signedHeaders(raw, options);
  const url = new URL(raw.url);
  const at = raw.url.indexOf('/', raw.url.indexOf('//') + 2);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: raw.method, path: raw.url.slice(at), headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ res, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(raw.body);
  });
}
