import { randomBytes } from 'node:crypto';
import {
  ClientId,
  ClientName,
  checkRequest,
  MaxResults,
  type MemberRule,
  PaginationKey,
  type Shape,
  UserPoolId,
} from '../constraints.ts';
import { invalidParameter, resourceNotFound, ServiceError } from '../errors.ts';
import type { Pool } from '../model.ts';
import type { PoolService } from '../pools.ts';
import { echoedMembers, requestModel, structureModel } from '../service-model.ts';
import type { CognitoStore } from '../store.ts';
import type { PoolClient, TimeUnit } from './model.ts';

/** ExplicitAuthFlowsType: the 2016 names (deprecated, still accepted) and the ALLOW_ names. */
export const LEGACY_FLOWS = ['ADMIN_NO_SRP_AUTH', 'CUSTOM_AUTH_FLOW_ONLY', 'USER_PASSWORD_AUTH'];
export const ALLOW_FLOWS = [
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
];
/** What a client created or updated without ExplicitAuthFlows supports (model documentation). */
export const DEFAULT_FLOWS = [
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_SRP_AUTH',
];

const TIME_UNITS: readonly TimeUnit[] = ['seconds', 'minutes', 'hours', 'days'];
const SECONDS: Record<TimeUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/** A validity in seconds: `value` in `unit`, or in the default unit when none is given. */
export function validitySeconds(value: number, unit: TimeUnit | undefined, fallback: TimeUnit) {
  return value * SECONDS[unit ?? fallback];
}

const attributeList: MemberRule = {
  type: 'list',
  items: { type: 'string', min: 1, max: 2048 },
};

const redirectUrl: MemberRule = {
  type: 'string',
  min: 1,
  max: 1024,
  pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}]+/u,
};

/** The scopes every pool has; others belong to resource servers, which the twin does not keep. */
const STANDARD_SCOPES = new Set([
  'openid',
  'email',
  'phone',
  'profile',
  'aws.cognito.signin.user.admin',
]);

/** The members of Create and Update the twin checks; the others are kept and echoed. */
const commonShape: Shape = {
  UserPoolId,
  RefreshTokenValidity: { type: 'integer', min: 0, max: 315_360_000 },
  AccessTokenValidity: { type: 'integer', min: 1, max: 86_400 },
  IdTokenValidity: { type: 'integer', min: 1, max: 86_400 },
  TokenValidityUnits: {
    type: 'structure',
    members: {
      AccessToken: { type: 'string', enum: TIME_UNITS },
      IdToken: { type: 'string', enum: TIME_UNITS },
      RefreshToken: { type: 'string', enum: TIME_UNITS },
    },
  },
  ReadAttributes: attributeList,
  WriteAttributes: attributeList,
  ExplicitAuthFlows: {
    type: 'list',
    items: { type: 'string', enum: [...LEGACY_FLOWS, ...ALLOW_FLOWS] },
  },
  SupportedIdentityProviders: {
    type: 'list',
    items: { type: 'string', min: 1, max: 32, pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]+/u },
  },
  CallbackURLs: { type: 'list', min: 0, max: 100, items: redirectUrl },
  LogoutURLs: { type: 'list', min: 0, max: 100, items: redirectUrl },
  DefaultRedirectURI: redirectUrl,
  AllowedOAuthFlows: {
    type: 'list',
    min: 0,
    max: 3,
    items: { type: 'string', enum: ['code', 'implicit', 'client_credentials'] },
  },
  AllowedOAuthScopes: {
    type: 'list',
    max: 50,
    items: { type: 'string', min: 1, max: 256, pattern: /[\x21\x23-\x5B\x5D-\x7E]+/ },
  },
  AllowedOAuthFlowsUserPoolClient: { type: 'boolean' },
  AnalyticsConfiguration: { type: 'structure' },
  PreventUserExistenceErrors: { type: 'string', enum: ['LEGACY', 'ENABLED'] },
  EnableTokenRevocation: { type: 'boolean' },
  EnablePropagateAdditionalUserContextData: { type: 'boolean' },
  AuthSessionValidity: { type: 'integer', min: 3, max: 15 },
  RefreshTokenRotation: { type: 'structure' },
};

const createShape: Shape = {
  ...commonShape,
  ClientName: { ...ClientName, required: true },
  GenerateSecret: { type: 'boolean' },
  ClientSecret: { type: 'string', min: 24, max: 64, pattern: /[\w+]+/, sensitive: true },
};

const updateShape: Shape = { ...commonShape, ClientId, ClientName };

/**
 * Members that configure what the twin does. The model's other members of the request that
 * UserPoolClientType also has (the OAuth settings, analytics, refresh-token rotation) are kept
 * and shown back; a member the model does not know is dropped.
 */
const ACTED_ON: ReadonlySet<string> = new Set([
  'UserPoolId',
  'ClientId',
  'ClientName',
  'ClientSecret',
  'GenerateSecret',
  'RefreshTokenValidity',
  'AccessTokenValidity',
  'IdTokenValidity',
  'TokenValidityUnits',
  'ReadAttributes',
  'WriteAttributes',
  'ExplicitAuthFlows',
  'PreventUserExistenceErrors',
  'EnableTokenRevocation',
  'EnablePropagateAdditionalUserContextData',
  'AuthSessionValidity',
  'AllowedOAuthFlowsUserPoolClient',
]);

/**
 * The OAuth rules Cognito applies to an app client, with the errors the model declares for them
 * (the messages are the twin's): flows only with AllowedOAuthFlowsUserPoolClient, never
 * client_credentials beside the user flows or without a secret, code and implicit only with a
 * callback URL and a scope, scopes that exist, HTTPS callbacks except to localhost.
 */
function checkOAuth(input: Record<string, unknown>, hasSecret: boolean): void {
  const flows = (input.AllowedOAuthFlows as string[] | undefined) ?? [];
  const scopes = (input.AllowedOAuthScopes as string[] | undefined) ?? [];
  const callbacks = [
    ...((input.CallbackURLs as string[] | undefined) ?? []),
    ...((input.LogoutURLs as string[] | undefined) ?? []),
    ...(input.DefaultRedirectURI !== undefined ? [String(input.DefaultRedirectURI)] : []),
  ];
  const oauthFlow = (message: string) => new ServiceError('InvalidOAuthFlowException', message);
  if (input.AllowedOAuthFlowsUserPoolClient === true && flows.length === 0)
    throw oauthFlow('AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.');
  if (flows.includes('client_credentials')) {
    if (flows.length > 1)
      throw oauthFlow('client_credentials cannot be combined with the code or implicit flow.');
    if (!hasSecret)
      throw oauthFlow(
        'client_credentials flow can not be selected if client does not have a client secret.',
      );
  }
  const unknown = scopes.find((scope) => !STANDARD_SCOPES.has(scope));
  if (unknown)
    throw new ServiceError('ScopeDoesNotExistException', `Invalid scope requested: ${unknown}`);
  if (flows.some((flow) => flow === 'code' || flow === 'implicit')) {
    if (((input.CallbackURLs as string[] | undefined) ?? []).length === 0)
      throw invalidParameter(
        'CallbackURLs cannot be empty when the code or implicit flow is allowed.',
      );
    if (scopes.length === 0)
      throw oauthFlow('AllowedOAuthScopes cannot be empty when OAuth flows are allowed.');
  }
  for (const url of callbacks) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const local = parsed?.protocol === 'http:' && parsed.hostname === 'localhost';
    if (!parsed || parsed.hash || (parsed.protocol === 'http:' && !local))
      throw invalidParameter(
        'A callback or sign-out URL must be an absolute HTTPS URL (HTTP only to localhost) without a fragment.',
      );
  }
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
function lowerAlnum(length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += LOWER_ALNUM[byte % LOWER_ALNUM.length];
  return out;
}

/** Attributes an app client may be given read access to: the pool's schema, both verified flags. */
function readable(pool: Pool): Set<string> {
  return new Set(pool.schema.map((a) => a.Name));
}

/** Cognito lets no client write these. */
const NEVER_WRITABLE = new Set(['sub', 'email_verified', 'phone_number_verified', 'identities']);

/**
 * The app-client operations: Create, Describe, Update, List and Delete UserPoolClient, with the
 * model's constraints and the rules Cognito applies on top (legacy and ALLOW_ flows not mixed,
 * token validity ranges, readable and writable attributes).
 */
export class ClientService {
  private readonly store: CognitoStore;
  private readonly pools: PoolService;
  private readonly now: () => number;

  constructor(store: CognitoStore, pools: PoolService, now: () => number) {
    this.store = store;
    this.pools = pools;
    this.now = now;
  }

  /** The client of that pool. @throws ResourceNotFoundException */
  requireClient(poolId: string, clientId: string): PoolClient {
    const client = this.store.getClient(clientId);
    if (!client || client.userPoolId !== poolId)
      throw resourceNotFound(`User pool client ${clientId} does not exist.`);
    return client;
  }

  /** A client by id alone, as InitiateAuth and the other public operations find it. */
  findClient(clientId: string): PoolClient {
    const client = this.store.getClient(clientId);
    if (!client) throw resourceNotFound(`User pool client ${clientId} does not exist.`);
    return client;
  }

  createUserPoolClient(input: Record<string, unknown>) {
    checkRequest(input, createShape);
    const pool = this.pools.requirePool(String(input.UserPoolId));
    if (input.GenerateSecret === true && input.ClientSecret !== undefined)
      throw invalidParameter(
        'You cannot specify both GenerateSecret as true and provide a ClientSecret value.',
      );
    checkOAuth(input, input.GenerateSecret === true || input.ClientSecret !== undefined);
    const now = this.now();
    const secret =
      input.ClientSecret !== undefined
        ? String(input.ClientSecret)
        : input.GenerateSecret === true
          ? lowerAlnum(52)
          : undefined;
    const client: PoolClient = {
      clientId: lowerAlnum(26),
      userPoolId: pool.id,
      seq: this.store.tx(() => this.store.nextSeq('client')),
      clientName: String(input.ClientName),
      ...(secret ? { clientSecret: secret } : {}),
      createdMs: now,
      modifiedMs: now,
      ...this.settings(pool, input, 'creating'),
    };
    this.store.tx(() => this.store.putClient(client));
    return { UserPoolClient: this.describe(client) };
  }

  describeUserPoolClient(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, ClientId });
    this.pools.requirePool(String(input.UserPoolId));
    return {
      UserPoolClient: this.describe(
        this.requireClient(String(input.UserPoolId), String(input.ClientId)),
      ),
    };
  }

  /** Cognito's update replaces the configuration: a member left out goes back to its default. */
  updateUserPoolClient(input: Record<string, unknown>) {
    checkRequest(input, updateShape);
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const current = this.requireClient(pool.id, String(input.ClientId));
    checkOAuth(input, current.clientSecret !== undefined);
    const updated: PoolClient = {
      clientId: current.clientId,
      userPoolId: current.userPoolId,
      seq: current.seq,
      clientName: input.ClientName !== undefined ? String(input.ClientName) : current.clientName,
      ...(current.clientSecret ? { clientSecret: current.clientSecret } : {}),
      createdMs: current.createdMs,
      modifiedMs: this.now(),
      ...this.settings(pool, input, 'updating'),
    };
    this.store.tx(() => this.store.putClient(updated));
    return { UserPoolClient: this.describe(updated) };
  }

  listUserPoolClients(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, MaxResults, NextToken: PaginationKey });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const limit = input.MaxResults === undefined ? 60 : Number(input.MaxResults);
    const after = input.NextToken ? decodeToken(String(input.NextToken), pool.id) : 0;
    const rows = this.store.listClients(pool.id, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      UserPoolClients: page.map((client) => ({
        ClientId: client.clientId,
        UserPoolId: client.userPoolId,
        ClientName: client.clientName,
      })),
      ...(rows.length > limit && last ? { NextToken: encodeToken(pool.id, last.seq) } : {}),
    };
  }

  deleteUserPoolClient(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, ClientId });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const client = this.requireClient(pool.id, String(input.ClientId));
    this.store.tx(() => this.store.deleteClient(client.clientId));
    return {};
  }

  /** The configurable part of a client, from a Create or Update request, defaults filled in. */
  private settings(pool: Pool, input: Record<string, unknown>, verb: 'creating' | 'updating') {
    const operation = verb === 'creating' ? 'CreateUserPoolClient' : 'UpdateUserPoolClient';
    const flows = (input.ExplicitAuthFlows as string[] | undefined) ?? [];
    const legacy = flows.some((f) => LEGACY_FLOWS.includes(f));
    const allow = flows.some((f) => ALLOW_FLOWS.includes(f));
    if (legacy && allow)
      throw invalidParameter(
        'Legacy ExplicitAuthFlows values (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH) cannot be combined with ALLOW_ values.',
      );
    const units = input.TokenValidityUnits as PoolClient['tokenValidityUnits'] | undefined;
    let refresh =
      input.RefreshTokenValidity === undefined ? 30 : Number(input.RefreshTokenValidity);
    let refreshUnits = units?.RefreshToken;
    // The model: "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito overrides the
    // value with the default value of 30 days."
    if (refresh === 0) {
      refresh = 30;
      refreshUnits = 'days';
    }
    const inRange = (seconds: number, min: number, max: number) => seconds >= min && seconds <= max;
    const access = input.AccessTokenValidity as number | undefined;
    const id = input.IdTokenValidity as number | undefined;
    if (
      !inRange(validitySeconds(refresh, refreshUnits, 'days'), 3600, 3650 * 86400) ||
      (access !== undefined &&
        !inRange(validitySeconds(access, units?.AccessToken, 'hours'), 300, 86400)) ||
      (id !== undefined && !inRange(validitySeconds(id, units?.IdToken, 'hours'), 300, 86400))
    )
      throw invalidParameter('Invalid range for token validity.');
    const read = input.ReadAttributes as string[] | undefined;
    const write = input.WriteAttributes as string[] | undefined;
    const known = readable(pool);
    if (read?.some((name) => !known.has(name)))
      throw invalidParameter(`Invalid read attributes specified while ${verb} a client`);
    if (write) {
      const required = pool.schema.filter((a) => a.Required && a.Name !== 'sub').map((a) => a.Name);
      if (
        write.some((name) => !known.has(name) || NEVER_WRITABLE.has(name)) ||
        required.some((name) => !write.includes(name))
      )
        throw invalidParameter(`Invalid write attributes specified while ${verb} a client`);
    }
    const echo = echoedMembers(
      input,
      requestModel('cognito-idp', operation),
      structureModel('cognito-idp', 'UserPoolClientType'),
      ACTED_ON,
    );
    echo.AllowedOAuthFlowsUserPoolClient = input.AllowedOAuthFlowsUserPoolClient === true;
    const cleanUnits =
      units || refreshUnits
        ? {
            ...(units?.AccessToken ? { AccessToken: units.AccessToken } : {}),
            ...(units?.IdToken ? { IdToken: units.IdToken } : {}),
            ...(refreshUnits ? { RefreshToken: refreshUnits } : {}),
          }
        : undefined;
    return {
      explicitAuthFlows: flows.length > 0 ? [...new Set(flows)] : [...DEFAULT_FLOWS],
      refreshTokenValidity: refresh,
      ...(access !== undefined ? { accessTokenValidity: access } : {}),
      ...(id !== undefined ? { idTokenValidity: id } : {}),
      ...(cleanUnits ? { tokenValidityUnits: cleanUnits } : {}),
      ...(read ? { readAttributes: [...read] } : {}),
      ...(write ? { writeAttributes: [...write] } : {}),
      ...(input.PreventUserExistenceErrors
        ? {
            preventUserExistenceErrors: input.PreventUserExistenceErrors as 'LEGACY' | 'ENABLED',
          }
        : {}),
      enableTokenRevocation: input.EnableTokenRevocation !== false,
      enablePropagateAdditionalUserContextData:
        input.EnablePropagateAdditionalUserContextData === true,
      authSessionValidity:
        input.AuthSessionValidity === undefined ? 3 : Number(input.AuthSessionValidity),
      echo,
    };
  }

  /** UserPoolClientType, as Describe, Create and Update answer it. */
  describe(client: PoolClient) {
    return {
      UserPoolId: client.userPoolId,
      ClientName: client.clientName,
      ClientId: client.clientId,
      ...(client.clientSecret ? { ClientSecret: client.clientSecret } : {}),
      LastModifiedDate: client.modifiedMs / 1000,
      CreationDate: client.createdMs / 1000,
      RefreshTokenValidity: client.refreshTokenValidity,
      ...(client.accessTokenValidity !== undefined
        ? { AccessTokenValidity: client.accessTokenValidity }
        : {}),
      ...(client.idTokenValidity !== undefined ? { IdTokenValidity: client.idTokenValidity } : {}),
      ...(client.tokenValidityUnits ? { TokenValidityUnits: client.tokenValidityUnits } : {}),
      ...(client.readAttributes ? { ReadAttributes: client.readAttributes } : {}),
      ...(client.writeAttributes ? { WriteAttributes: client.writeAttributes } : {}),
      ExplicitAuthFlows: client.explicitAuthFlows,
      ...(client.preventUserExistenceErrors
        ? { PreventUserExistenceErrors: client.preventUserExistenceErrors }
        : {}),
      EnableTokenRevocation: client.enableTokenRevocation,
      EnablePropagateAdditionalUserContextData: client.enablePropagateAdditionalUserContextData,
      AuthSessionValidity: client.authSessionValidity,
      ...client.echo,
    };
  }
}

function encodeToken(poolId: string, seq: number): string {
  return Buffer.from(`clients#${poolId}#${seq}`).toString('base64url');
}

function decodeToken(token: string, poolId: string): number {
  const match = /^clients#(.+)#(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match || match[1] !== poolId) throw invalidParameter('Invalid pagination token.');
  return Number(match[2]);
}
