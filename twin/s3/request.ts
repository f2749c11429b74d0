import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from './errors.ts';
import { el, xmlDocument } from './xml.ts';

/**
 * One request to the S3 twin, once its target is known, and the ways to answer it: what every
 * operation module (operations/*.ts) works with.
 */
export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  id: string;
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
  }
}

/**
 * Where a request points. Path style (`/bucket/key`) is what the SDK sends to an IP endpoint;
 * virtual-hosted style (`Host: bucket.localhost:PORT`) is what it sends to a host name. The raw
 * path is split by hand: `new URL()` would resolve `..` segments and quietly turn a key into
 * another one.
 */
export function target(req: IncomingMessage): {
  bucket: string;
  key: string;
  query: URLSearchParams;
} {
  let raw = req.url ?? '/';
  if (/^https?:\/\//i.test(raw)) raw = raw.replace(/^https?:\/\/[^/]*/i, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const host = (header(req, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
  let virtual: string | undefined;
  if (host.endsWith('.localhost')) {
    const name = host.slice(0, -'.localhost'.length);
    // `s3.localhost` as an endpoint is the service itself; `bucket.s3.localhost` names a bucket.
    if (name !== 's3') virtual = name.endsWith('.s3') ? name.slice(0, -3) : name;
  }
  const rest = path.startsWith('/') ? path.slice(1) : path;
  if (virtual !== undefined) return { bucket: virtual, key: decode(rest), query };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decode(rest), key: '', query };
  return { bucket: decode(rest.slice(0, slash)), key: decode(rest.slice(slash + 1)), query };
}

export function commonHeaders(id: string): Record<string, string> {
  return {
    'x-amz-request-id': id,
    'x-amz-id-2': Buffer.from(id).toString('base64'),
    server: 'AmazonS3',
  };
}

export function sendXml(
  r: S3Request,
  status: number,
  xml: string,
  headers: Record<string, string> = {},
) {
  r.res.writeHead(status, {
    ...commonHeaders(r.id),
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(xml)),
    ...headers,
  });
  r.res.end(xml);
}

export function sendEmpty(r: S3Request, status: number, headers: Record<string, string> = {}) {
  r.res.writeHead(status, { ...commonHeaders(r.id), 'content-length': '0', ...headers });
  r.res.end();
}

export function sendError(r: S3Request, error: S3Error): void {
  // Whatever the client still sends is read and dropped, so that it sees this answer.
  if (!r.req.complete) r.req.resume();
  if (r.method === 'HEAD') {
    r.res.writeHead(error.status, { ...commonHeaders(r.id), ...error.headers });
    r.res.end();
    return;
  }
  const fields = Object.entries(error.fields)
    .map(([name, value]) => el(name, value))
    .join('');
  const resource = `/${r.bucket}${r.key ? `/${r.key}` : ''}`;
  const xml = xmlDocument(
    'Error',
    `${el('Code', error.code)}${el('Message', error.message)}${fields}${el('Resource', resource)}${el('RequestId', r.id)}${el('HostId', Buffer.from(r.id).toString('base64'))}`,
    false,
  );
  sendXml(r, error.status, xml, error.headers);
}

export const quoted = (etag: string) => `"${etag}"`;
export const iso = (ms: number) => new Date(ms).toISOString();

/** The `<Owner>` element of listings: the twin's account. */
export const OWNER = (account: string) =>
  `<Owner>${el('ID', account)}${el('DisplayName', 'local')}</Owner>`;
