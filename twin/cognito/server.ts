import { createHash, randomBytes } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { createWriteStream, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { jsonRefusal } from '../auth/errors.ts';
import { payloadHashOf } from '../auth/sigv4.ts';
import { readBody as readAwsBody, sendAwsJson } from '../http.ts';
import { type AccessControl, type Caller, isFailure } from '../iam/access.ts';
import { COGNITO_ACCESS, COGNITO_UNSIGNED_OPERATIONS } from '../iam/actions/cognito.ts';
import { LOGS_ACCESS } from '../iam/actions/logs.ts';
import type { AttributeUpdateService } from './attribute-updates.ts';
import type { AuthService } from './auth/auth.ts';
import type { ClientService } from './auth/clients.ts';
import type { TokenService } from './auth/tokens.ts';
import { ServiceError } from './errors.ts';
import type { FaultRule, Faults, JobFault } from './faults.ts';
import type { GroupService } from './groups.ts';
import type { JobService } from './jobs.ts';
import { LineCounter } from './line-reader.ts';
import type { LogsService } from './logs.ts';
import type { PoolService } from './pools.ts';
import { UPLOAD_PATH_PREFIX, type UploadSigner } from './presign.ts';
import type { RequestRates } from './rates.ts';
import { checkInput, operationModel, type ServiceName } from './service-model.ts';
import type { UserService } from './users.ts';

/** An operation: most answer at once; a sign-in that checks a hash answers a promise. */
type Handler = (input: Record<string, unknown>, region: string) => unknown;

export interface Services {
  pools: PoolService;
  users: UserService;
  groups: GroupService;
  attributes: AttributeUpdateService;
  clients: ClientService;
  auth: AuthService;
  tokens: TokenService;
  jobs: JobService;
  logs: LogsService;
  faults: Faults;
  rates: RequestRates;
  signer: UploadSigner;
  /** Signatures and IAM (twin/iam): who signed each API request, and what its role allows. */
  access: AccessControl;
  /** The `passRoleChecked` knob: whether CreateUserImportJob checks iam:PassRole on the logs role. */
  passRoleChecked: () => boolean;
  onRequest?: (entry: { service: string; operation: string; status: number; ms: number }) => void;
}

const MAX_JSON_BODY = 1 << 20;

/**
 * Every answer of the JSON API, published for in-process observers (the test suite checks each
 * one against the service model). Answers hold personal data and tokens: an observer must never
 * log them. Nothing is built when nobody listens.
 */
export const RESPONSE_CHANNEL = 'cognito-import.twin.cognito-response';
export interface PublishedResponse {
  service: ServiceName;
  operation: string;
  status: number;
  body: unknown;
}
const responses = channel(RESPONSE_CHANNEL);

/** The region a request was signed for, read from its SigV4 credential scope. */
function regionOf(req: IncomingMessage): string {
  const match = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(
    String(req.headers.authorization ?? ''),
  );
  return match?.[1] ?? 'us-east-1';
}

const readBody = (req: IncomingMessage, limit: number) =>
  readAwsBody(
    req,
    limit,
    () => new ServiceError('SerializationException', 'The request body is too large.', 413),
  );

const sendJson = (res: ServerResponse, status: number, body: unknown, errorType?: string) =>
  sendAwsJson(res, '1.1', status, body, errorType);

function sendXmlError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  detail = '',
): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${detail}</Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The twin's HTTP front: the AWS JSON 1.1 protocol for Cognito
 * (`AWSCognitoIdentityProviderService.<Op>`) and CloudWatch Logs (`Logs_20140328.<Op>`), the
 * pre-signed upload PUT, and a small control API (`/_twin/…`) for arming faults from outside.
 */
export function createCognitoServer(services: Services): Server {
  const cognito: Record<string, Handler> = {
    CreateUserPool: (input, region) => services.pools.createUserPool(input, region),
    DescribeUserPool: (input) => services.pools.describeUserPool(input),
    ListUserPools: (input, region) => services.pools.listUserPools(input, region),
    DeleteUserPool: (input) => services.pools.deleteUserPool(input, () => {}),
    GetCSVHeader: (input) => services.pools.getCSVHeader(input),
    TagResource: (input) => services.pools.tagResource(input),
    UntagResource: (input) => services.pools.untagResource(input),
    ListTagsForResource: (input) => services.pools.listTagsForResource(input),
    ListUsers: (input) => services.users.listUsers(input),
    AdminGetUser: (input) => services.users.adminGetUser(input),
    AdminDeleteUser: (input) => services.users.adminDeleteUser(input),
    AdminUpdateUserAttributes: (input) => services.attributes.adminUpdateUserAttributes(input),
    CreateGroup: (input) => services.groups.createGroup(input),
    GetGroup: (input) => services.groups.getGroup(input),
    ListGroups: (input) => services.groups.listGroups(input),
    UpdateGroup: (input) => services.groups.updateGroup(input),
    DeleteGroup: (input) => services.groups.deleteGroup(input),
    AdminAddUserToGroup: (input) => services.groups.adminAddUserToGroup(input),
    AdminRemoveUserFromGroup: (input) => services.groups.adminRemoveUserFromGroup(input),
    AdminListGroupsForUser: (input) => services.groups.adminListGroupsForUser(input),
    ListUsersInGroup: (input) => services.groups.listUsersInGroup(input),
    CreateUserImportJob: (input) => services.jobs.createUserImportJob(input),
    StartUserImportJob: (input) => services.jobs.startUserImportJob(input),
    StopUserImportJob: (input) => services.jobs.stopUserImportJob(input),
    DescribeUserImportJob: (input) => services.jobs.describeUserImportJob(input),
    ListUserImportJobs: (input) => services.jobs.listUserImportJobs(input),
    CreateUserPoolClient: (input) => services.clients.createUserPoolClient(input),
    DescribeUserPoolClient: (input) => services.clients.describeUserPoolClient(input),
    UpdateUserPoolClient: (input) => services.clients.updateUserPoolClient(input),
    ListUserPoolClients: (input) => services.clients.listUserPoolClients(input),
    DeleteUserPoolClient: (input) => services.clients.deleteUserPoolClient(input),
    AdminInitiateAuth: (input) => services.auth.adminInitiateAuth(input),
    InitiateAuth: (input) => services.auth.initiateAuth(input),
    AdminRespondToAuthChallenge: (input) => services.auth.adminRespondToAuthChallenge(input),
    RespondToAuthChallenge: (input) => services.auth.respondToAuthChallenge(input),
    ForgotPassword: (input) => services.auth.forgotPassword(input),
    ConfirmForgotPassword: (input) => services.auth.confirmForgotPassword(input),
    AdminSetUserPassword: (input) => services.auth.adminSetUserPassword(input),
    AdminResetUserPassword: (input) => services.auth.adminResetUserPassword(input),
  };
  const logs: Record<string, Handler> = {
    GetLogEvents: (input) => services.logs.getLogEvents(input),
    FilterLogEvents: (input) => services.logs.filterLogEvents(input),
    DescribeLogStreams: (input) => services.logs.describeLogStreams(input),
    DescribeLogGroups: (input) => services.logs.describeLogGroups(input),
  };

  function authenticate(req: IncomingMessage, service: string, body: Buffer): Caller {
    const caller = services.access.authenticate(req, {
      service: service || 'cognito-idp',
      query: new URL(req.url ?? '/', 'http://twin').searchParams,
      payloadHash: payloadHashOf(body),
    });
    if (isFailure(caller)) {
      const refusal = jsonRefusal(caller);
      throw new ServiceError(refusal.code, refusal.message, refusal.status);
    }
    return caller;
  }

  function authorize(
    caller: Caller,
    service: ServiceName | '',
    operation: string,
    input: Record<string, unknown>,
    req: IncomingMessage,
  ): void {
    const at = {
      account: services.access.account,
      region: regionOf(req),
      poolTags: (poolId: string) => services.pools.tagsOf(poolId),
      passRoleChecked: services.passRoleChecked(),
    };
    const rule = service === 'logs' ? LOGS_ACCESS[operation] : COGNITO_ACCESS[operation];
    const denial = services.access.authorize(caller, rule?.(input, at));
    if (denial) throw new ServiceError('AccessDeniedException', denial.message);
  }

  /** A `call` fault's operation, run as if requested just before the request that set it off. */
  async function runFaultCall(side: { call: string; input: Record<string, unknown> }) {
    try {
      const handler = cognito[side.call];
      if (!handler) throw new Error('not an operation of the twin');
      await handler(side.input, 'us-east-1');
    } catch (error) {
      // Only the operation and the error's kind: the input may name a user.
      const kind = error instanceof ServiceError ? error.type : 'an error';
      process.emitWarning(`cognito twin: the fault's ${side.call} failed with ${kind}`);
    }
  }

  async function handleJson(req: IncomingMessage, res: ServerResponse, target: string) {
    const started = performance.now();
    const [prefix = '', operation = ''] = target.split('.');
    const service: ServiceName | '' =
      prefix === 'AWSCognitoIdentityProviderService'
        ? 'cognito-idp'
        : prefix === 'Logs_20140328'
          ? 'logs'
          : '';
    const handler =
      service === 'cognito-idp'
        ? cognito[operation]
        : service === 'logs'
          ? logs[operation]
          : undefined;
    let status = 200;
    try {
      const raw = await readBody(req, MAX_JSON_BODY);
      // Signed requests only, as on AWS, but for the public sign-in operations.
      const unsigned = service === 'cognito-idp' && COGNITO_UNSIGNED_OPERATIONS.has(operation);
      const caller = unsigned ? undefined : authenticate(req, service, raw);
      if (!handler)
        throw new ServiceError(
          'UnknownOperationException',
          `The local twin does not implement ${target || 'this operation'}.`,
        );
      let input: unknown;
      try {
        input = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
      for (const side of services.faults.takeCalls(operation)) await runFaultCall(side);
      services.faults.check(operation, service === 'logs' ? 'logs' : 'cognito-idp');
      if (service === 'cognito-idp')
        services.rates.check(operation, input as Record<string, unknown>);
      const model = service ? operationModel(service, operation) : undefined;
      if (model) checkInput(input as Record<string, unknown>, model.input);
      if (caller) authorize(caller, service, operation, input as Record<string, unknown>, req);
      const body = await handler(input as Record<string, unknown>, regionOf(req));
      sendJson(res, 200, body);
      if (service && responses.hasSubscribers)
        responses.publish({ service, operation, status, body } satisfies PublishedResponse);
    } catch (error) {
      const known =
        error instanceof ServiceError
          ? error
          : new ServiceError('InternalErrorException', 'An internal error occurred.', 500);
      status = known.status;
      if (!(error instanceof ServiceError))
        process.emitWarning(`cognito twin: ${operation} failed: ${(error as Error).message}`);
      const body = { __type: known.type, message: known.message, ...known.extra };
      sendJson(res, known.status, body, known.type);
      if (service && responses.hasSubscribers)
        responses.publish({ service, operation, status, body } satisfies PublishedResponse);
    } finally {
      services.onRequest?.({ service, operation, status, ms: performance.now() - started });
    }
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL) {
    // As S3 does: a PUT must say its length (no chunked upload), and every x-amz-* header it
    // sends must be one the URL signed.
    if (req.headers['content-length'] === undefined) {
      req.resume();
      sendXmlError(
        res,
        411,
        'MissingContentLength',
        'You must provide the Content-Length HTTP header.',
      );
      return;
    }
    const signed = new Set(
      (url.searchParams.get('X-Amz-SignedHeaders') ?? '').toLowerCase().split(';'),
    );
    const unsigned = Object.keys(req.headers).filter(
      (name) => name.startsWith('x-amz-') && !signed.has(name),
    );
    if (unsigned.length > 0) {
      req.resume();
      sendXmlError(
        res,
        403,
        'AccessDenied',
        'There were headers present in the request which were not signed',
        `<HeadersNotSigned>${unsigned.join(', ')}</HeadersNotSigned>`,
      );
      return;
    }
    const sse = req.headers['x-amz-server-side-encryption'];
    const checked = services.signer.check(
      req.method ?? '',
      url,
      req.headers.host,
      Array.isArray(sse) ? sse[0] : sse,
    );
    if (!checked.ok) {
      req.resume();
      sendXmlError(res, checked.status, checked.code, checked.message);
      return;
    }
    const final = services.jobs.uploadFileFor(checked.jobId);
    const partial = `${final}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('md5');
    const counter = new LineCounter();
    let bytes = 0;
    const out = createWriteStream(partial);
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      counter.update(chunk);
      bytes += chunk.length;
    });
    req.pipe(out);
    try {
      await new Promise<void>((resolve, reject) => {
        out.on('finish', resolve);
        out.on('error', reject);
        req.on('error', reject);
        req.on('aborted', () => reject(new Error('upload aborted')));
      });
    } catch {
      rmSync(partial, { force: true });
      if (!res.headersSent)
        sendXmlError(res, 400, 'IncompleteBody', 'The request body terminated unexpectedly');
      return;
    }
    // The upload becomes the job's file only once complete: a broken PUT leaves no half file behind.
    const accepted = services.jobs.acceptUpload(
      checked.jobId,
      partial,
      final,
      bytes,
      counter.end(),
    );
    if (!accepted.ok) {
      rmSync(partial, { force: true });
      sendXmlError(res, 403, 'AccessDenied', accepted.message);
      return;
    }
    // Taken, as S3 takes any PUT to a valid URL, but too late for the job to read.
    if (!accepted.kept) rmSync(partial, { force: true });
    res.writeHead(200, {
      etag: `"${hash.digest('hex')}"`,
      'x-amz-server-side-encryption': 'aws:kms',
      'content-length': 0,
    });
    res.end();
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL) {
    const reply = (status: number, body: unknown) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload);
    };
    if (url.pathname === '/_twin/health') return reply(200, { ok: true });
    if (url.pathname === '/_twin/mailbox' && req.method === 'GET') {
      // The local mailbox: what Cognito would have emailed or texted (reset codes), for tests
      // and `cognito-import rehearse`. Only the twin has it; AWS sends real messages.
      const pool = url.searchParams.get('pool') ?? '';
      const username = url.searchParams.get('username') ?? '';
      if (!pool || !username)
        return reply(400, { message: 'Give the pool and username query parameters.' });
      try {
        return reply(200, { messages: services.auth.mailbox(pool, username) });
      } catch (error) {
        if (error instanceof ServiceError) return reply(404, { message: error.message });
        throw error;
      }
    }
    if (url.pathname === '/_twin/faults' && req.method === 'DELETE') {
      services.faults.clear();
      return reply(200, { ok: true });
    }
    if (url.pathname === '/_twin/faults' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req, MAX_JSON_BODY)).toString('utf8')) as {
        rules?: FaultRule[];
        jobs?: JobFault[];
      };
      for (const rule of body.rules ?? []) services.faults.add(rule);
      for (const fault of body.jobs ?? []) services.faults.addJobFault(fault);
      return reply(200, { ok: true });
    }
    return reply(404, { message: 'Not found' });
  }

  /** `/<poolId>/.well-known/jwks.json` and `openid-configuration`, as Cognito publishes them. */
  function handleWellKnown(res: ServerResponse, poolId: string, document: string, origin: string) {
    const reply = (status: number, body: unknown) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    };
    try {
      services.pools.requirePool(poolId);
    } catch {
      return reply(404, { message: `User pool ${poolId} does not exist.` });
    }
    if (document === 'jwks.json') return reply(200, services.tokens.jwks(poolId));
    const issuer = services.tokens.issuer(poolId);
    return reply(200, {
      issuer,
      jwks_uri: `${origin}/${poolId}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'token'],
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://twin');
    const target = req.headers['x-amz-target'];
    const wellKnown =
      /^\/([\w-]+_[0-9a-zA-Z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(
        url.pathname,
      );
    let work: Promise<void>;
    if (wellKnown && req.method === 'GET') {
      req.resume();
      handleWellKnown(
        res,
        wellKnown[1] as string,
        wellKnown[2] as string,
        `http://${req.headers.host}`,
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/' && typeof target === 'string')
      work = handleJson(req, res, target);
    else if (url.pathname.startsWith(UPLOAD_PATH_PREFIX)) work = handleUpload(req, res, url);
    else if (url.pathname.startsWith('/_twin/')) work = handleControl(req, res, url);
    else if (req.method === 'POST' && url.pathname === '/') work = handleJson(req, res, '');
    else {
      req.resume();
      sendXmlError(res, 404, 'NotFound', 'The local Cognito twin has nothing at this address.');
      return;
    }
    work.catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, {
          __type: 'InternalErrorException',
          message: 'An internal error occurred.',
        });
      process.emitWarning(`cognito twin: request failed: ${(error as Error).message}`);
    });
  });
}

export { listen } from '../http.ts';
