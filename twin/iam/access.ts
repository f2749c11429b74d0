import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { type AuthFailure, authenticate, type Caller, isFailure } from '../auth/authenticate.ts';
import { type Credentials, Identities, type RoleSession } from './identities.ts';
import {
  type AccessRequest,
  type Decision,
  type PolicyDocument,
  PolicySet,
} from './policy-engine.ts';

/** A role the twin knows: its ARN and its identity policies (inline and attached). */
export interface RoleDefinition {
  name: string;
  arn: string;
  policies: { name: string; document: PolicyDocument }[];
}

/** A request IAM refused, and the message the service answers with. */
export interface Denial {
  request: AccessRequest;
  decision: Exclude<Decision, 'allow'>;
  message: string;
}

/**
 * Every decision the twin's IAM takes for a role session, published for in-process observers
 * (the test suite's least-privilege check). Nothing is built when nobody listens.
 */
export const IAM_DECISION_CHANNEL = 'cognito-import.twin.iam-decision';
export interface PublishedDecision {
  role: string;
  session: string;
  action: string;
  resource: string;
  decision: Decision;
}
const decisions = channel(IAM_DECISION_CHANNEL);

export interface AccessControlOptions {
  account: string;
  region: string;
  roles?: RoleDefinition[];
}

/**
 * The twin's authentication and IAM, shared by all its services (one account): the credentials
 * it issued and their role sessions, each role's policies compiled once, and per request the
 * signature check (see authenticate.ts) and the evaluation of the IAM requests the service's
 * table (twin/iam/actions/) derives from it.
 */
export class AccessControl {
  readonly account: string;
  readonly region: string;
  private readonly identities: Identities;
  private readonly roles = new Map<string, RoleDefinition>();
  private readonly compiled = new Map<string, PolicySet>();

  constructor(options: AccessControlOptions) {
    this.account = options.account;
    this.region = options.region;
    this.identities = new Identities(options.account);
    for (const role of options.roles ?? []) {
      this.roles.set(role.name, role);
      // Compiled now, so a policy the twin cannot evaluate stops the start, not a request.
      this.compiled.set(role.name, new PolicySet(role.policies));
    }
  }

  /** Credentials for a session of one of the twin's roles (a function's execution role). */
  issue(roleName: string, sessionName: string): Credentials {
    const role = this.roles.get(roleName);
    if (!role) throw new Error(`The twin knows no role ${roleName}.`);
    return this.identities.issue(role, sessionName).credentials;
  }

  authenticate(
    req: IncomingMessage,
    options: { service: string; region?: string; query: URLSearchParams; payloadHash: string },
  ): Caller | AuthFailure {
    return authenticate(req, {
      ...options,
      lookup: (accessKeyId) => this.identities.byAccessKey(accessKeyId),
    });
  }

  /**
   * Evaluates each request for the caller, in order; the first one refused is answered. The
   * account's administrator is allowed everything. `undefined` (an operation the service's table
   * does not list) is refused to a role session: the twin never allows what it cannot evaluate.
   */
  authorize(caller: Caller, requests: AccessRequest[] | undefined): Denial | undefined {
    if (caller.kind !== 'session') return undefined;
    if (requests === undefined)
      return {
        request: { action: 'unknown', resource: '*' },
        decision: 'implicit-deny',
        message: `User: ${caller.session.principalArn} is not authorized to perform this operation: the local twin does not know how IAM authorizes it.`,
      };
    return this.evaluate(caller.session, caller.signed.region, requests);
  }

  /**
   * Evaluates requests a session makes in-process rather than over HTTP (what the host does for
   * its functions: their log writes, Step Functions invoking them).
   */
  check(credentials: Credentials, requests: AccessRequest[]): Denial | undefined {
    const session = this.identities.byAccessKey(credentials.accessKeyId);
    if (!session) throw new Error('The twin issued no such credentials.');
    return this.evaluate(session, this.region, requests);
  }

  private evaluate(
    session: RoleSession,
    region: string,
    requests: AccessRequest[],
  ): Denial | undefined {
    const policies = this.compiled.get(session.roleName) as PolicySet;
    for (const request of requests) {
      const withGlobals: AccessRequest = {
        ...request,
        context: {
          'aws:PrincipalArn': session.roleArn,
          'aws:PrincipalAccount': this.account,
          'aws:PrincipalType': 'AssumedRole',
          'aws:userid': `${session.roleName}:${session.sessionName}`,
          'aws:RequestedRegion': region,
          'aws:CurrentTime': new Date().toISOString(),
          'aws:EpochTime': String(Math.floor(Date.now() / 1000)),
          ...request.context,
        },
      };
      const decision = policies.decide(withGlobals);
      if (decisions.hasSubscribers)
        decisions.publish({
          role: session.roleName,
          session: session.sessionName,
          action: request.action,
          resource: request.resource,
          decision,
        } satisfies PublishedDecision);
      if (decision !== 'allow')
        return {
          request,
          decision,
          message: `User: ${session.principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${
            decision === 'explicit-deny'
              ? 'with an explicit deny in an identity-based policy'
              : `because no identity-based policy allows the ${request.action} action`
          }`,
        };
    }
    return undefined;
  }

  /** Whether the caller may make a request, without answering it (S3's 403-or-404 rule). */
  allows(caller: Caller, request: AccessRequest): boolean {
    return this.authorize(caller, [request]) === undefined;
  }
}

export type { AuthFailure, Caller };
export { isFailure };
