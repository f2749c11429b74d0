import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * AWS Signature Version 4, as a service receives it: read from the Authorization header or from
 * a pre-signed URL's query string, checked for shape and time, and recomputed from a secret to
 * compare (AWS's "Create a signed AWS API request": canonical request, string to sign, signing
 * key). Nothing here knows which keys exist: see authenticate.ts.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's X-Amz-Date may be from the service's clock, either way. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest a pre-signed URL may live (seven days). */
export const MAX_EXPIRES_SECONDS = 604_800;
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SignedRequest {
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** YYYYMMDDTHHMMSSZ. */
  amzDate: string;
  sessionToken?: string;
  /** A pre-signed URL (the signature in the query string) rather than a header. */
  presigned: boolean;
  expiresSeconds?: number;
}

/** Why a request's signature is refused, before any key is looked up or any secret used. */
export type SignatureProblem =
  | { kind: 'missing'; message: string }
  | { kind: 'malformed'; message: string }
  | { kind: 'expired'; message: string }
  | { kind: 'scope'; message: string; expected: string; part: 'region' | 'service' };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** `20260101T000000Z` → milliseconds, or NaN. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(
    +(m[1] as string),
    +(m[2] as string) - 1,
    +(m[3] as string),
    +(m[4] as string),
    +(m[5] as string),
    +(m[6] as string),
  );
}

const amzDateOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

function credentialParts(
  credential: string,
): Pick<SignedRequest, 'accessKeyId' | 'date' | 'region' | 'service'> | { problem: string } {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === ''))
    return {
      problem: `Credential should have exactly 5 slash-separated parts (key/date/region/service/aws4_request): ${credential}`,
    };
  const [accessKeyId, date, region, service, terminal] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (terminal !== 'aws4_request')
    return {
      problem: `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminal}'.`,
    };
  if (!/^\d{8}$/.test(date)) return { problem: `Credential scope date ${date} is not YYYYMMDD.` };
  return { accessKeyId, date, region, service };
}

/**
 * The signature a request carries, or why it carries none that can be checked. A request with
 * neither an Authorization header nor X-Amz-Signature in its query is `missing`.
 */
export function readSignature(
  req: IncomingMessage,
  query: URLSearchParams,
): SignedRequest | SignatureProblem {
  const authorization = header(req, 'authorization');
  if (authorization !== undefined) {
    if (!authorization.startsWith(`${ALGORITHM} `))
      return {
        kind: 'malformed',
        message: `Unsupported authorization: the local twin takes Signature Version 4 (${ALGORITHM}) only.`,
      };
    const fields: Record<string, string> = {};
    for (const item of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq === -1) continue;
      fields[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((f) => !fields[f]);
    if (missing.length > 0)
      return {
        kind: 'malformed',
        message: `Authorization header requires ${missing.map((f) => `'${f}'`).join(', ')} parameter${missing.length > 1 ? 's' : ''}.`,
      };
    const scope = credentialParts(fields.Credential as string);
    if ('problem' in scope) return { kind: 'malformed', message: scope.problem };
    const amzDate = header(req, 'x-amz-date') ?? '';
    if (Number.isNaN(parseAmzDate(amzDate)))
      return {
        kind: 'malformed',
        message:
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header in the YYYYMMDD'T'HHMMSS'Z' form.",
      };
    const sessionToken = header(req, 'x-amz-security-token');
    return {
      ...scope,
      signedHeaders: (fields.SignedHeaders as string).split(';'),
      signature: fields.Signature as string,
      amzDate,
      ...(sessionToken !== undefined ? { sessionToken } : {}),
      presigned: false,
    };
  }
  if (!query.has('X-Amz-Signature') && !query.has('X-Amz-Credential'))
    return { kind: 'missing', message: 'Request is missing Authentication Token' };
  if (query.get('X-Amz-Algorithm') !== ALGORITHM)
    return {
      kind: 'malformed',
      message: `X-Amz-Algorithm only supports "${ALGORITHM}".`,
    };
  const missing = [
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ].filter((name) => !query.get(name));
  if (missing.length > 0)
    return {
      kind: 'malformed',
      message: `Query-string authentication requires the ${missing.join(', ')} parameter${missing.length > 1 ? 's' : ''}.`,
    };
  const scope = credentialParts(query.get('X-Amz-Credential') as string);
  if ('problem' in scope) return { kind: 'malformed', message: scope.problem };
  const amzDate = query.get('X-Amz-Date') as string;
  if (Number.isNaN(parseAmzDate(amzDate)))
    return {
      kind: 'malformed',
      message: "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".",
    };
  const expires = query.get('X-Amz-Expires');
  const expiresSeconds = expires === null ? MAX_EXPIRES_SECONDS : Number(expires);
  if (!/^\d+$/.test(expires ?? '0') || expiresSeconds > MAX_EXPIRES_SECONDS)
    return {
      kind: 'malformed',
      message: `X-Amz-Expires must be a whole number of seconds from 0 to ${MAX_EXPIRES_SECONDS} (seven days).`,
    };
  const sessionToken = query.get('X-Amz-Security-Token');
  return {
    ...scope,
    signedHeaders: (query.get('X-Amz-SignedHeaders') as string).split(';'),
    signature: query.get('X-Amz-Signature') as string,
    amzDate,
    ...(sessionToken !== null ? { sessionToken } : {}),
    presigned: true,
    expiresSeconds,
  };
}

/**
 * Checks what a service can check without the secret: the credential scope names this service
 * (and its region, when the service has one), the scope's date is the request's, the request is
 * within its time (15 minutes either side for a header; X-Amz-Date up to X-Amz-Expires later
 * for a pre-signed URL), and the host header is signed.
 */
export function checkScope(
  signed: SignedRequest,
  expect: { service: string; region?: string; now: number },
): SignatureProblem | undefined {
  if (signed.service !== expect.service)
    return {
      kind: 'scope',
      part: 'service',
      expected: expect.service,
      message: `Credential should be scoped to correct service: '${expect.service}'.`,
    };
  if (expect.region !== undefined && signed.region !== expect.region)
    return {
      kind: 'scope',
      part: 'region',
      expected: expect.region,
      message: `Credential should be scoped to a valid region: '${expect.region}', not '${signed.region}'.`,
    };
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(signed.region))
    return {
      kind: 'scope',
      part: 'region',
      expected: expect.region ?? 'a region',
      message: `Credential should be scoped to a valid region, not '${signed.region}'.`,
    };
  if (!signed.amzDate.startsWith(signed.date))
    return {
      kind: 'malformed',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${signed.date}' != '${signed.amzDate.slice(0, 8)}'.`,
    };
  if (!signed.signedHeaders.includes('host'))
    return { kind: 'malformed', message: "'Host' must be a signed header." };
  const at = parseAmzDate(signed.amzDate);
  if (signed.presigned) {
    if (expect.now < at - MAX_SKEW_MS)
      return { kind: 'expired', message: 'Request is not yet valid.' };
    if (expect.now > at + (signed.expiresSeconds ?? 0) * 1000)
      return { kind: 'expired', message: 'Request has expired' };
    return undefined;
  }
  if (expect.now > at + MAX_SKEW_MS)
    return {
      kind: 'expired',
      message: `Signature expired: ${signed.amzDate} is now earlier than ${amzDateOf(expect.now - MAX_SKEW_MS)} (${amzDateOf(expect.now)} - 15 min.)`,
    };
  if (expect.now < at - MAX_SKEW_MS)
    return {
      kind: 'expired',
      message: `Signature not yet current: ${signed.amzDate} is still later than ${amzDateOf(expect.now + MAX_SKEW_MS)} (${amzDateOf(expect.now)} + 15 min.)`,
    };
  return undefined;
}

/** RFC 3986 encoding, as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~ is %XX. */
const encode = (text: string) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  const pairs: [string, string][] = [];
  for (const item of rawQuery.split('&')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = decode(eq === -1 ? item : item.slice(0, eq));
    const value = decode(eq === -1 ? '' : item.slice(eq + 1));
    if (presigned && name === 'X-Amz-Signature') continue;
    pairs.push([encode(name), encode(value)]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Each signed header's values as sent (from the raw headers), trimmed, spaces folded, joined by commas. */
function canonicalHeaders(req: IncomingMessage, names: string[]): string {
  const values = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    if (!names.includes(name)) continue;
    const list = values.get(name) ?? [];
    list.push((req.rawHeaders[i + 1] as string).trim().replace(/\s+/g, ' '));
    values.set(name, list);
  }
  return names.map((name) => `${name}:${(values.get(name) ?? []).join(',')}\n`).join('');
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
export const payloadHashOf = sha256Hex;

const keys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = keys.get(id);
  if (!key) {
    const hmac = (k: string | Buffer, data: string) =>
      createHmac('sha256', k).update(data).digest();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keys.size > 1000) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/**
 * The signature the request should carry if signed with `secret`. S3 signs the path as sent;
 * every other service signs each path segment encoded once more.
 */
export function expectedSignature(
  req: IncomingMessage,
  signed: SignedRequest,
  secret: string,
  payloadHash: string,
): string {
  const raw = (req.url ?? '/').replace(/^https?:\/\/[^/]*/i, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const uri = signed.service === 's3' ? path : path.split('/').map(encode).join('/');
  const canonical = [
    req.method ?? 'GET',
    uri || '/',
    canonicalQuery(q === -1 ? '' : raw.slice(q + 1), signed.presigned),
    canonicalHeaders(req, signed.signedHeaders),
    signed.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${signed.date}/${signed.region}/${signed.service}/aws4_request`;
  const toSign = `${ALGORITHM}\n${signed.amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  return createHmac('sha256', signingKey(secret, signed.date, signed.region, signed.service))
    .update(toSign)
    .digest('hex');
}

export function signatureMatches(
  req: IncomingMessage,
  signed: SignedRequest,
  secret: string,
  payloadHash: string,
): boolean {
  const expected = Buffer.from(expectedSignature(req, signed, secret, payloadHash));
  const given = Buffer.from(signed.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
