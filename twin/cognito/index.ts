import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AccessControl } from '../iam/access.ts';
import { AttributeUpdateService } from './attribute-updates.ts';
import { AuthService } from './auth/auth.ts';
import { ClientService } from './auth/clients.ts';
import type { MailMessage } from './auth/model.ts';
import { TokenService } from './auth/tokens.ts';
import { Faults } from './faults.ts';
import { GroupService } from './groups.ts';
import { JobService } from './jobs.ts';
import {
  defaultKnobs,
  defaultPace,
  defaultQuotas,
  type Knobs,
  type Pace,
  type Quotas,
} from './knobs.ts';
import { LogsService } from './logs.ts';
import { PoolService } from './pools.ts';
import { UploadSigner } from './presign.ts';
import { RequestRates } from './rates.ts';
import { createCognitoServer, listen, type Services } from './server.ts';
import { CognitoStore } from './store.ts';
import { UserService } from './users.ts';

export { secretHash } from './auth/auth.ts';
export type { MailMessage } from './auth/model.ts';
export type { FaultRule, JobFault } from './faults.ts';
export type { Knobs, Pace, Quotas } from './knobs.ts';
export { defaultKnobs, defaultPace, defaultQuotas } from './knobs.ts';
export { DOCUMENTED_RATES, OPERATION_CATEGORY, type RateCategory } from './rates.ts';
export { type PublishedResponse, RESPONSE_CHANNEL } from './server.ts';

export interface CognitoTwinOptions {
  /** The data folder; the twin keeps its state in `<dataDir>/cognito/`. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  knobs?: Partial<Knobs>;
  pace?: Partial<Pace>;
  /** Cognito's per-file and group quotas; a test may lower them rather than upload 100 MB. */
  quotas?: Partial<Quotas>;
  account?: string;
  maxJobsPerPool?: number;
  now?: () => number;
  onRequest?: Services['onRequest'];
  /**
   * Signatures and IAM, shared with the twin's other services: the roles, their policies and the
   * credentials issued for them. Without it, every well-signed request acts as the account's
   * administrator (a signature is still required).
   */
  access?: AccessControl;
  /**
   * Whether the jobs that were running when the twin last stopped go on (the default). A twin
   * started only to read (the logs command, beside a twin another process runs on the same
   * folder) leaves them to their owner.
   */
  resumeJobs?: boolean;
}

export interface CognitoTwin {
  /** `http://127.0.0.1:<port>`: the endpoint for Cognito and CloudWatch Logs clients. */
  endpoint: string;
  port: number;
  /** Live knobs and pace: changing a field changes the twin's behaviour from the next request on. */
  knobs: Knobs;
  pace: Pace;
  faults: Faults;
  /**
   * The local mailbox: the messages (reset codes) Cognito would have sent a user, newest first.
   * Also served at `GET /_twin/mailbox?pool=<id>&username=<name>`.
   */
  mailbox(poolId: string, username: string): MailMessage[];
  /**
   * The twin's CloudWatch Logs, for lines written from inside this process: `createStream`
   * creates a log stream (and its group), `put` appends events to one (creating it), readable at
   * once through the Logs API.
   */
  logs: {
    createStream(group: string, stream: string, createdAt: number): void;
    put(group: string, stream: string, events: { timestamp: number; message: string }[]): void;
  };
  close(): Promise<void>;
}

/**
 * Starts the local Cognito service in-process: one call, a random or given port on 127.0.0.1,
 * state under the data folder. Jobs that were running when the twin last stopped resume.
 *
 * @throws Error with code EADDRINUSE when the port is taken.
 */
export async function startCognitoTwin(options: CognitoTwinOptions): Promise<CognitoTwin> {
  const now = options.now ?? Date.now;
  const knobs: Knobs = { ...defaultKnobs, ...options.knobs };
  const pace: Pace = { ...defaultPace, ...options.pace };
  const account = options.account ?? '123456789012';
  const store = new CognitoStore(join(options.dataDir, 'cognito'));
  const secret = store.meta('upload-signing-secret', () => randomBytes(32).toString('hex'));
  const signer = new UploadSigner(secret, now);
  const faults = new Faults(now);
  const quotas: Quotas = { ...defaultQuotas, ...options.quotas };
  const pools = new PoolService(store, knobs, account, now);
  const users = new UserService(store, pools);
  const groups = new GroupService({ store, pools, knobs, quotas, now });
  const attributes = new AttributeUpdateService({ store, pools, knobs, now });
  const clients = new ClientService(store, pools, now);
  let origin = '';
  const tokens = new TokenService({ store, knobs, now, origin: () => origin });
  const auth = new AuthService({ store, pools, clients, tokens, knobs, now });
  const jobs = new JobService({
    store,
    pools,
    knobs,
    pace,
    quotas,
    faults,
    signer,
    account,
    maxJobsPerPool: options.maxJobsPerPool ?? 1000,
    now,
    origin: () => origin,
  });
  const logs = new LogsService(store, account);
  const server: Server = createCognitoServer({
    pools,
    users,
    groups,
    attributes,
    clients,
    auth,
    tokens,
    jobs,
    logs,
    faults,
    rates: new RequestRates(knobs),
    signer,
    access: options.access ?? new AccessControl({ account, region: 'us-east-1' }),
    passRoleChecked: () => knobs.passRoleChecked,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, options.port ?? 0, host);
  } catch (error) {
    store.close();
    throw error;
  }
  origin = `http://${host}:${address.port}`;
  if (options.resumeJobs ?? true) jobs.resume();
  return {
    endpoint: origin,
    port: address.port,
    knobs,
    pace,
    faults,
    mailbox: (poolId, username) => auth.mailbox(poolId, username),
    logs: {
      createStream: (group, stream, createdAt) => logs.createStream(group, stream, createdAt),
      put: (group, stream, events) => logs.put(group, stream, events),
    },
    close: async () => {
      jobs.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
