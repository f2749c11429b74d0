import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { queryRefusal } from '../auth/errors.ts';
import { payloadHashOf } from '../auth/sigv4.ts';
import { listen } from '../http.ts';
import { AccessControl, isFailure } from '../iam/access.ts';
import { SNS_ACCESS } from '../iam/actions/sns.ts';

/** A message the local topic received, as kept in `<dataDir>/sns/messages.jsonl`. */
export interface ReceivedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  receivedAt: string;
}

export interface SnsTwinOptions {
  dataDir: string;
  port?: number;
  host?: string;
  region?: string;
  account?: string;
  /** Topics that exist from the start (names). */
  topics?: string[];
  onMessage?: (message: ReceivedMessage) => void;
  /** The KMS key (ARN) each encrypted topic uses, by topic name: publishers need it too. */
  topicKeys?: Record<string, string>;
  /**
   * Signatures and IAM, shared with the twin's other services. Without it, every well-signed
   * request acts as the account's administrator (a signature is still required).
   */
  access?: AccessControl;
}

export interface SnsTwin {
  endpoint: string;
  port: number;
  topicArn(name: string): string;
  /** Every message kept so far, oldest first. */
  messages(): ReceivedMessage[];
  /** Makes the next `count` Publish calls fail with InternalError (for tests of the retry path). */
  failPublishes(count: number): void;
  close(): Promise<void>;
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 1_000_000) req.destroy(new Error('request too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Reads `MessageAttributes.entry.N.Name` / `.Value.StringValue` pairs of the Query protocol. */
function messageAttributes(params: URLSearchParams): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let n = 1; params.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const name = params.get(`MessageAttributes.entry.${n}.Name`) as string;
    attributes[name] = params.get(`MessageAttributes.entry.${n}.Value.StringValue`) ?? '';
  }
  return attributes;
}

/**
 * The outcome topic of the local twin: an SNS endpoint (AWS Query protocol, as
 * `@aws-sdk/client-sns` speaks it) that keeps every published message as a JSON line, so the CLI
 * and tests can read the notifications a run sent.
 */
export async function startSnsTwin(options: SnsTwinOptions): Promise<SnsTwin> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const dir = join(options.dataDir, 'sns');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'messages.jsonl');
  const topics = new Set(
    (options.topics ?? []).map((name) => `arn:aws:sns:${region}:${account}:${name}`),
  );
  let failures = 0;
  const access = options.access ?? new AccessControl({ account, region });
  const at = {
    account,
    region,
    topicKey: (topicArn: string) =>
      options.topicKeys?.[topicArn.slice(`arn:aws:sns:${region}:${account}:`.length)],
  };

  const reply = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string) =>
    reply(
      res,
      status,
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  const ok = (res: ServerResponse, action: string, result: string) =>
    reply(
      res,
      200,
      `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    );

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST') return error(res, 405, 'InvalidAction', 'Only POST is supported.');
    const body = await readBody(req);
    const caller = access.authenticate(req, {
      service: 'sns',
      region,
      query: new URL(req.url ?? '/', 'http://twin').searchParams,
      payloadHash: payloadHashOf(body),
    });
    if (isFailure(caller)) {
      const refusal = queryRefusal(caller);
      return error(res, refusal.status, refusal.code, refusal.message);
    }
    const params = new URLSearchParams(body);
    const action = params.get('Action');
    const denial = access.authorize(caller, SNS_ACCESS[action ?? '']?.(params, at));
    if (denial)
      return denial.request.action.startsWith('kms:')
        ? error(
            res,
            400,
            'KMSAccessDenied',
            `${denial.message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`,
          )
        : error(
            res,
            403,
            'AuthorizationError',
            denial.message.replace(/: sns:/g, ': SNS:').replace(/the sns:/, 'the SNS:'),
          );
    if (action === 'Publish') {
      const topicArn = params.get('TopicArn') ?? '';
      if (!topics.has(topicArn)) return error(res, 404, 'NotFound', 'Topic does not exist');
      const message = params.get('Message');
      if (!message) return error(res, 400, 'InvalidParameter', 'Invalid parameter: Message');
      const subject = params.get('Subject') ?? undefined;
      if (subject && (subject.length >= 100 || !/^[\x20-\x7e]*$/.test(subject)))
        return error(res, 400, 'InvalidParameter', 'Invalid parameter: Subject');
      if (failures > 0) {
        failures--;
        return error(res, 500, 'InternalError', 'An internal error occurred.');
      }
      const received: ReceivedMessage = {
        messageId: randomUUID(),
        topicArn,
        ...(subject ? { subject } : {}),
        message,
        attributes: messageAttributes(params),
        receivedAt: new Date().toISOString(),
      };
      appendFileSync(file, `${JSON.stringify(received)}\n`);
      options.onMessage?.(received);
      return ok(res, 'Publish', `<MessageId>${received.messageId}</MessageId>`);
    }
    if (action === 'CreateTopic') {
      const arn = `arn:aws:sns:${region}:${account}:${params.get('Name') ?? ''}`;
      topics.add(arn);
      return ok(res, 'CreateTopic', `<TopicArn>${xmlEscape(arn)}</TopicArn>`);
    }
    if (action === 'ListTopics') {
      const members = [...topics]
        .map((arn) => `<member><TopicArn>${xmlEscape(arn)}</TopicArn></member>`)
        .join('');
      return ok(res, 'ListTopics', `<Topics>${members}</Topics>`);
    }
    return error(
      res,
      400,
      'InvalidAction',
      `The local twin does not implement ${action ?? 'this action'}.`,
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'InternalError', 'An internal error occurred.');
    });
  });
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  return {
    endpoint: `http://${host}:${address.port}`,
    port: address.port,
    topicArn: (name) => `arn:aws:sns:${region}:${account}:${name}`,
    messages: () => readMessages(options.dataDir),
    failPublishes: (count) => {
      failures = count;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The messages kept under a data folder, whether or not a twin is running. */
export function readMessages(dataDir: string): ReceivedMessage[] {
  const file = join(dataDir, 'sns', 'messages.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ReceivedMessage);
}
