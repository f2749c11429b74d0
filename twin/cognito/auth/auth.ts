import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ClientId,
  checkRequest,
  type MemberRule,
  Password,
  SecretHash,
  type Shape,
  StringMap,
  Username,
  UserPoolId,
} from '../constraints.ts';
import { invalidParameter, ServiceError } from '../errors.ts';
import type { Knobs } from '../knobs.ts';
import type { Pool, StoredUser } from '../model.ts';
import type { PoolService } from '../pools.ts';
import type { CognitoStore } from '../store.ts';
import { type FoundUser, findUser, signInNames } from '../users.ts';
import { ALLOW_FLOWS, type ClientService } from './clients.ts';
import type { MailMessage, PoolClient } from './model.ts';
import {
  checkPassword,
  enforcePasswordPolicy,
  hashPassword,
  newCode,
  passwordPolicyOf,
  sha256Hex,
} from './passwords.ts';
import type { IssuedTokens, TokenService } from './tokens.ts';

const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
] as const;
type AuthFlow = (typeof AUTH_FLOWS)[number];

const CHALLENGE_NAMES = [
  'SMS_MFA',
  'EMAIL_OTP',
  'SOFTWARE_TOKEN_MFA',
  'SELECT_MFA_TYPE',
  'MFA_SETUP',
  'PASSWORD_VERIFIER',
  'CUSTOM_CHALLENGE',
  'SELECT_CHALLENGE',
  'DEVICE_SRP_AUTH',
  'DEVICE_PASSWORD_VERIFIER',
  'ADMIN_NO_SRP_AUTH',
  'NEW_PASSWORD_REQUIRED',
  'SMS_OTP',
  'PASSWORD',
  'WEB_AUTHN',
  'PASSWORD_SRP',
];

const AuthFlowRule: MemberRule = { type: 'string', required: true, enum: AUTH_FLOWS };
const Session: MemberRule = { type: 'string', min: 20, max: 2048, sensitive: true };
const ConfirmationCode: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 2048,
  pattern: /[\S]+/,
  sensitive: true,
};
const extras: Shape = {
  ClientMetadata: StringMap,
  AnalyticsMetadata: { type: 'structure' },
  UserContextData: { type: 'structure' },
};

/** How long a reset code works (the guide: one hour), and how many wrong tries it takes. */
const CODE_VALIDITY_MS = 3600 * 1000;
const CODE_ATTEMPTS = 5;

/*
 * Cognito's answers, word for word as apps and SDK issue threads quote them: "Incorrect username or
 * password.", "User does not exist.", "Password reset required for the user", "USER_PASSWORD_AUTH
 * flow not enabled for this client", "Auth flow not enabled for this client", "USER_SRP_AUTH is not
 * enabled for the client.", "Initiate Auth method not supported.", "Custom auth lambda trigger is
 * not configured for the user pool.", the two SECRET_HASH messages, "Invalid Refresh Token",
 * "Refresh Token has expired", "Username/client id combination not found.", "Cannot reset password
 * for the user as there is no registered/verified email or phone_number", "User password cannot be
 * reset in the current state.", the code and policy messages.
 *
 * UNCONFIRMED (no primary source; the twin's reading):
 * - "Refresh Token flow not enabled for this client" (a client without ALLOW_REFRESH_TOKEN_AUTH);
 * - the message for legacy and ALLOW_ flow names mixed (clients.ts);
 * - whether CUSTOM_AUTH_FLOW_ONLY also took refresh away (knob customAuthFlowOnlyRefresh);
 * - RESET_REQUIRED answered before the password is looked at (what imported users, who have no
 *   password, must get), also for users an administrator reset;
 * - five wrong codes void a code (LimitExceededException), an hour's validity (the guide's);
 * - SECRET_HASH of a refresh accepted over the username or the sub.
 *
 * What the twin does not do, it says with UnsupportedOperationException "The local twin …": SRP,
 * Lambda triggers (CUSTOM_AUTH with a DefineAuthChallenge trigger) and USER_AUTH. MFA challenges
 * are not issued.
 */
const incorrect = () =>
  new ServiceError('NotAuthorizedException', 'Incorrect username or password.');
const userNotFound = () => new ServiceError('UserNotFoundException', 'User does not exist.');
const disabled = () => new ServiceError('NotAuthorizedException', 'User is disabled.');
const invalidRefreshToken = () =>
  new ServiceError('NotAuthorizedException', 'Invalid Refresh Token');
const missing = (name: string) => invalidParameter(`Missing required parameter ${name}`);
const codeMismatch = () =>
  new ServiceError(
    'CodeMismatchException',
    'Invalid verification code provided, please try again.',
  );
const codeExpired = () =>
  new ServiceError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
const noRecoveryContact = () =>
  invalidParameter(
    'Cannot reset password for the user as there is no registered/verified email or phone_number',
  );
/** What the twin cannot do, said as such rather than dressed up as one of Cognito's answers. */
const twinCannot = (what: string) =>
  new ServiceError('UnsupportedOperationException', `The local twin ${what}`);

interface PendingChallenge {
  name: 'NEW_PASSWORD_REQUIRED';
  poolId: string;
  clientId: string;
  userKey: string;
  sub: string;
  expiresMs: number;
}

/** The response of a completed sign-in, as InitiateAuth and its kin answer it. */
const authenticated = (tokens: IssuedTokens) => ({
  ChallengeParameters: {},
  AuthenticationResult: tokens,
});

/**
 * Sign-in and password recovery: AdminInitiateAuth, InitiateAuth, (Admin)RespondToAuthChallenge
 * for NEW_PASSWORD_REQUIRED, ForgotPassword, ConfirmForgotPassword, AdminSetUserPassword and
 * AdminResetUserPassword. Codes go to the twin's local mailbox instead of an email or SMS.
 */
export class AuthService {
  private readonly store: CognitoStore;
  private readonly pools: PoolService;
  private readonly clients: ClientService;
  private readonly tokens: TokenService;
  private readonly knobs: Knobs;
  private readonly now: () => number;
  private readonly challenges = new Map<string, PendingChallenge>();

  constructor(deps: {
    store: CognitoStore;
    pools: PoolService;
    clients: ClientService;
    tokens: TokenService;
    knobs: Knobs;
    now: () => number;
  }) {
    this.store = deps.store;
    this.pools = deps.pools;
    this.clients = deps.clients;
    this.tokens = deps.tokens;
    this.knobs = deps.knobs;
    this.now = deps.now;
  }

  adminInitiateAuth(input: Record<string, unknown>) {
    checkRequest(input, {
      UserPoolId,
      ClientId,
      AuthFlow: AuthFlowRule,
      AuthParameters: StringMap,
      ClientMetadata: StringMap,
      AnalyticsMetadata: { type: 'structure' },
      ContextData: { type: 'structure' },
      Session,
    });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const client = this.clients.requireClient(pool.id, String(input.ClientId));
    return this.initiate(pool, client, input.AuthFlow as AuthFlow, params(input), true);
  }

  initiateAuth(input: Record<string, unknown>) {
    checkRequest(input, {
      AuthFlow: AuthFlowRule,
      AuthParameters: StringMap,
      ClientId,
      Session,
      ...extras,
    });
    const client = this.clients.findClient(String(input.ClientId));
    const pool = this.pools.requirePool(client.userPoolId);
    return this.initiate(pool, client, input.AuthFlow as AuthFlow, params(input), false);
  }

  private initiate(
    pool: Pool,
    client: PoolClient,
    flow: AuthFlow,
    parameters: Record<string, string>,
    admin: boolean,
  ) {
    // The ADMIN_ flows belong to AdminInitiateAuth, USER_PASSWORD_AUTH to InitiateAuth.
    const adminFlow = flow === 'ADMIN_NO_SRP_AUTH' || flow === 'ADMIN_USER_PASSWORD_AUTH';
    if (adminFlow !== admin && (adminFlow || flow === 'USER_PASSWORD_AUTH'))
      throw invalidParameter('Initiate Auth method not supported.');
    this.checkFlowEnabled(client, flow);
    switch (flow) {
      case 'USER_PASSWORD_AUTH':
      case 'ADMIN_USER_PASSWORD_AUTH':
      case 'ADMIN_NO_SRP_AUTH':
        return this.passwordAuth(pool, client, parameters);
      case 'REFRESH_TOKEN_AUTH':
      case 'REFRESH_TOKEN':
        return this.refreshAuth(pool, client, parameters);
      case 'CUSTOM_AUTH': {
        const lambdas = (pool.echo.LambdaConfig ?? {}) as Record<string, unknown>;
        if (!lambdas.DefineAuthChallenge)
          throw invalidParameter('Custom auth lambda trigger is not configured for the user pool.');
        throw twinCannot('does not run Lambda triggers, so it cannot run CUSTOM_AUTH.');
      }
      case 'USER_SRP_AUTH':
        throw twinCannot(
          'does not implement SRP (USER_SRP_AUTH): sign in with USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH.',
        );
      default:
        throw twinCannot(`does not implement the ${flow} flow.`);
    }
  }

  /**
   * Applies the client's ExplicitAuthFlows. A client with only legacy names (the 2016 API) keeps
   * SRP, refresh and custom auth, as clients of that time could; CUSTOM_AUTH_FLOW_ONLY takes away
   * every flow but the custom one (refresh per the `customAuthFlowOnlyRefresh` knob).
   *
   * @throws ServiceError InvalidParameterException with Cognito's message for that flow
   */
  private checkFlowEnabled(client: PoolClient, flow: AuthFlow): void {
    const flows = client.explicitAuthFlows;
    const has = (name: string) => flows.includes(name);
    const legacy = !flows.some((f) => ALLOW_FLOWS.includes(f));
    const customOnly = legacy && has('CUSTOM_AUTH_FLOW_ONLY');
    let enabled: boolean;
    let refusal = 'Auth flow not enabled for this client';
    switch (flow) {
      case 'USER_PASSWORD_AUTH':
        enabled = legacy
          ? !customOnly && has('USER_PASSWORD_AUTH')
          : has('ALLOW_USER_PASSWORD_AUTH');
        refusal = 'USER_PASSWORD_AUTH flow not enabled for this client';
        break;
      case 'ADMIN_USER_PASSWORD_AUTH':
      case 'ADMIN_NO_SRP_AUTH':
        enabled = legacy
          ? !customOnly && has('ADMIN_NO_SRP_AUTH')
          : has('ALLOW_ADMIN_USER_PASSWORD_AUTH');
        break;
      case 'USER_SRP_AUTH':
        enabled = legacy ? !customOnly : has('ALLOW_USER_SRP_AUTH');
        refusal = 'USER_SRP_AUTH is not enabled for the client.';
        break;
      case 'REFRESH_TOKEN_AUTH':
      case 'REFRESH_TOKEN':
        enabled = legacy
          ? !customOnly || this.knobs.customAuthFlowOnlyRefresh === 'allowed'
          : has('ALLOW_REFRESH_TOKEN_AUTH');
        refusal = 'Refresh Token flow not enabled for this client';
        break;
      case 'CUSTOM_AUTH':
        enabled = legacy || has('ALLOW_CUSTOM_AUTH');
        break;
      default:
        enabled = has('ALLOW_USER_AUTH');
    }
    if (!enabled) throw invalidParameter(refusal);
  }

  private async passwordAuth(pool: Pool, client: PoolClient, parameters: Record<string, string>) {
    const login = parameters.USERNAME;
    if (!login) throw missing('USERNAME');
    const password = parameters.PASSWORD;
    if (!password) throw missing('PASSWORD');
    checkSecretHash(client, parameters.SECRET_HASH, [login]);
    const found = this.findUser(pool, login);
    if (!found) throw this.userMissing(client, incorrect());
    const { key, user } = found;
    if (!user.enabled) throw disabled();
    // Imported users have no password to check: Cognito answers this whatever was typed, with
    // PreventUserExistenceErrors on or off
    // (docs/cognito-behaviour.md, "Password policy and imported users' status").
    if (user.status === 'RESET_REQUIRED')
      throw new ServiceError(
        'PasswordResetRequiredException',
        'Password reset required for the user',
      );
    if (!user.passwordHash) throw incorrect();
    const checked = await checkPassword(
      user.passwordHash,
      password,
      // The twin's own hashes (SCRYPT, set by a reset or an admin) are hex whatever the knob says.
      user.passwordHash.imported ? this.knobs.hashSaltEncoding : 'decoded',
    );
    if (checked === 'mismatch') throw incorrect();
    // BCRYPT and ARGON2ID are checked asynchronously: a password set meanwhile (by an admin, or a
    // reset) wins over the one just checked.
    if (this.findUser(pool, login)?.user.passwordHash?.value !== user.passwordHash.value)
      throw incorrect();
    if (user.status === 'UNCONFIRMED')
      throw new ServiceError('UserNotConfirmedException', 'User is not confirmed.');
    let current = user;
    if (user.passwordHash.imported || user.passwordHash.algorithm !== 'SCRYPT') {
      // After the first sign-in with an imported hash, the password is the pool's own.
      current = { ...user, passwordHash: hashPassword(password), modifiedMs: this.now() };
      this.store.tx(() => this.store.putUser(pool.id, key, current));
    }
    if (current.status === 'FORCE_CHANGE_PASSWORD') {
      if (
        current.temporaryPasswordExpiresMs !== undefined &&
        this.now() > current.temporaryPasswordExpiresMs
      )
        throw new ServiceError(
          'NotAuthorizedException',
          'Temporary password has expired and must be reset by an administrator.',
        );
      return this.newPasswordChallenge(pool, client, key, current);
    }
    return authenticated(this.tokens.signIn(pool, client, key, current));
  }

  private refreshAuth(pool: Pool, client: PoolClient, parameters: Record<string, string>) {
    const token = parameters.REFRESH_TOKEN;
    if (!token) throw missing('REFRESH_TOKEN');
    const session = this.tokens.findSession(token);
    if (!session || session.clientId !== client.clientId || session.userPoolId !== pool.id)
      throw invalidRefreshToken();
    // With a client secret, the hash is computed over the user's username; pools that sign in
    // with an email or phone number use the sub (the username Cognito generated) there.
    checkSecretHash(client, parameters.SECRET_HASH, [session.username, session.sub]);
    if (session.revoked)
      throw new ServiceError('NotAuthorizedException', 'Refresh Token has been revoked');
    if (this.now() >= session.refreshExpiresMs)
      throw new ServiceError('NotAuthorizedException', 'Refresh Token has expired');
    const user = this.store.getUser(pool.id, session.userKey);
    if (!user || user.attributes.sub !== session.sub) throw invalidRefreshToken();
    if (!user.enabled) throw disabled();
    return authenticated(this.tokens.mint(pool, client, user, session));
  }

  private newPasswordChallenge(pool: Pool, client: PoolClient, key: string, user: StoredUser) {
    const session = randomBytes(96).toString('base64url');
    const now = this.now();
    for (const [id, pending] of this.challenges)
      if (pending.expiresMs < now) this.challenges.delete(id);
    this.challenges.set(session, {
      name: 'NEW_PASSWORD_REQUIRED',
      poolId: pool.id,
      clientId: client.clientId,
      userKey: key,
      sub: user.attributes.sub ?? '',
      expiresMs: now + client.authSessionValidity * 60_000,
    });
    const { sub: _sub, ...shown } = user.attributes;
    const required = pool.schema
      .filter((a) => a.Required && a.Name !== 'sub' && !user.attributes[a.Name])
      .map((a) => `userAttributes.${a.Name}`);
    return {
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: session,
      ChallengeParameters: {
        USER_ID_FOR_SRP: user.username,
        requiredAttributes: JSON.stringify(required),
        userAttributes: JSON.stringify(shown),
      },
    };
  }

  adminRespondToAuthChallenge(input: Record<string, unknown>) {
    checkRequest(input, {
      UserPoolId,
      ClientId,
      ChallengeName: { type: 'string', required: true, enum: CHALLENGE_NAMES },
      ChallengeResponses: StringMap,
      Session,
      ClientMetadata: StringMap,
      AnalyticsMetadata: { type: 'structure' },
      ContextData: { type: 'structure' },
    });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const client = this.clients.requireClient(pool.id, String(input.ClientId));
    return this.respond(pool, client, input);
  }

  respondToAuthChallenge(input: Record<string, unknown>) {
    checkRequest(input, {
      ClientId,
      ChallengeName: { type: 'string', required: true, enum: CHALLENGE_NAMES },
      ChallengeResponses: StringMap,
      Session,
      ...extras,
    });
    const client = this.clients.findClient(String(input.ClientId));
    const pool = this.pools.requirePool(client.userPoolId);
    return this.respond(pool, client, input);
  }

  /** Completes NEW_PASSWORD_REQUIRED, the one challenge the twin issues. */
  private respond(pool: Pool, client: PoolClient, input: Record<string, unknown>) {
    const responses = stringMap(input.ChallengeResponses);
    const pending = this.challenges.get(String(input.Session ?? ''));
    if (
      !pending ||
      pending.name !== input.ChallengeName ||
      pending.clientId !== client.clientId ||
      pending.poolId !== pool.id
    )
      throw new ServiceError('NotAuthorizedException', 'Invalid session for the user.');
    if (this.now() > pending.expiresMs) {
      this.challenges.delete(String(input.Session));
      throw new ServiceError(
        'NotAuthorizedException',
        'Invalid session for the user, session is expired.',
      );
    }
    const login = responses.USERNAME;
    if (!login) throw missing('USERNAME');
    const newPassword = responses.NEW_PASSWORD;
    if (!newPassword) throw missing('NEW_PASSWORD');
    checkSecretHash(client, responses.SECRET_HASH, [login]);
    const user = this.store.getUser(pool.id, pending.userKey);
    if (!user || user.attributes.sub !== pending.sub || user.status !== 'FORCE_CHANGE_PASSWORD')
      throw new ServiceError('NotAuthorizedException', 'Invalid session for the user.');
    enforcePasswordPolicy(pool, newPassword);
    const attributes = { ...user.attributes };
    for (const [name, value] of Object.entries(responses)) {
      if (!name.startsWith('userAttributes.')) continue;
      const attribute = name.slice('userAttributes.'.length);
      if (!pool.schema.some((a) => a.Name === attribute && a.Mutable) || attribute === 'sub')
        throw invalidParameter(`Invalid attributes given, ${attribute} is not writable.`);
      attributes[attribute] = value;
    }
    for (const a of pool.schema)
      if (a.Required && a.Name !== 'sub' && !attributes[a.Name])
        throw invalidParameter(`Invalid attributes given, ${a.Name} is missing`);
    const { temporaryPasswordExpiresMs: _expiry, ...rest } = user;
    const updated: StoredUser = {
      ...rest,
      attributes,
      status: 'CONFIRMED',
      passwordHash: hashPassword(newPassword),
      modifiedMs: this.now(),
    };
    this.store.tx(() =>
      this.store.putUser(pool.id, pending.userKey, updated, {
        names: signInNames(pool, updated.attributes),
      }),
    );
    this.challenges.delete(String(input.Session));
    return authenticated(this.tokens.signIn(pool, client, pending.userKey, updated));
  }

  forgotPassword(input: Record<string, unknown>) {
    checkRequest(input, { ClientId, SecretHash, Username, ...extras });
    const client = this.clients.findClient(String(input.ClientId));
    const pool = this.pools.requirePool(client.userPoolId);
    const login = String(input.Username);
    checkSecretHash(client, input.SecretHash as string | undefined, [login]);
    const found = this.findUser(pool, login);
    if (!found) {
      if (client.preventUserExistenceErrors === 'ENABLED')
        return { CodeDeliveryDetails: simulatedDelivery(login) };
      throw new ServiceError('UserNotFoundException', 'Username/client id combination not found.');
    }
    if (!found.user.enabled) throw disabled();
    if (found.user.status === 'FORCE_CHANGE_PASSWORD')
      throw new ServiceError(
        'NotAuthorizedException',
        'User password cannot be reset in the current state.',
      );
    const mechanisms = recoveryMechanisms(pool);
    if (mechanisms[0] === 'admin_only')
      throw new ServiceError('NotAuthorizedException', 'Contact administrator to reset password.');
    const delivery = this.sendCode(pool, found, 'ForgotPassword', mechanisms, client.clientId);
    return { CodeDeliveryDetails: delivery };
  }

  confirmForgotPassword(input: Record<string, unknown>) {
    checkRequest(input, {
      ClientId,
      SecretHash,
      Username,
      ConfirmationCode,
      Password,
      ...extras,
    });
    const client = this.clients.findClient(String(input.ClientId));
    const pool = this.pools.requirePool(client.userPoolId);
    const login = String(input.Username);
    checkSecretHash(client, input.SecretHash as string | undefined, [login]);
    const found = this.findUser(pool, login);
    if (!found) {
      if (client.preventUserExistenceErrors === 'ENABLED') throw codeMismatch();
      throw new ServiceError('UserNotFoundException', 'Username/client id combination not found.');
    }
    const { key, user } = found;
    if (!user.enabled) throw disabled();
    const password = String(input.Password);
    enforcePasswordPolicy(pool, password);
    const pending = user.resetCode;
    if (!pending || this.now() > pending.expiresMs) throw codeExpired();
    if (pending.failedAttempts >= CODE_ATTEMPTS)
      throw new ServiceError(
        'LimitExceededException',
        'Attempt limit exceeded, please try after some time.',
      );
    if (!sameText(sha256Hex(String(input.ConfirmationCode)), pending.hash)) {
      this.store.tx(() =>
        this.store.putUser(pool.id, key, {
          ...user,
          resetCode: { ...pending, failedAttempts: pending.failedAttempts + 1 },
        }),
      );
      throw codeMismatch();
    }
    const { resetCode: _code, temporaryPasswordExpiresMs: _expiry, ...rest } = user;
    const updated: StoredUser = {
      ...rest,
      status: user.status === 'UNCONFIRMED' ? 'UNCONFIRMED' : 'CONFIRMED',
      passwordHash: hashPassword(password),
      modifiedMs: this.now(),
    };
    this.store.tx(() => this.store.putUser(pool.id, key, updated));
    return {};
  }

  adminSetUserPassword(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username, Password, Permanent: { type: 'boolean' } });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const found = this.findUser(pool, String(input.Username));
    if (!found) throw userNotFound();
    const password = String(input.Password);
    enforcePasswordPolicy(pool, password);
    const { resetCode: _code, temporaryPasswordExpiresMs: _expiry, ...rest } = found.user;
    const now = this.now();
    const updated: StoredUser =
      input.Permanent === true
        ? { ...rest, status: 'CONFIRMED', passwordHash: hashPassword(password), modifiedMs: now }
        : {
            ...rest,
            status: 'FORCE_CHANGE_PASSWORD',
            passwordHash: hashPassword(password),
            temporaryPasswordExpiresMs:
              now + passwordPolicyOf(pool).TemporaryPasswordValidityDays * 86_400_000,
            modifiedMs: now,
          };
    this.store.tx(() => this.store.putUser(pool.id, found.key, updated));
    return {};
  }

  adminResetUserPassword(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username, ClientMetadata: StringMap });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const found = this.findUser(pool, String(input.Username));
    if (!found) throw userNotFound();
    const mechanisms = recoveryMechanisms(pool).filter((m) => m !== 'admin_only');
    this.store.tx(() => {
      this.sendCode(pool, found, 'AdminResetUserPassword', mechanisms);
      const user = this.store.getUser(pool.id, found.key) as StoredUser;
      this.store.putUser(pool.id, found.key, {
        ...user,
        status: 'RESET_REQUIRED',
        modifiedMs: this.now(),
      });
    });
    return {};
  }

  /** The messages the twin's mailbox holds for a user (username or alias), newest first. */
  mailbox(poolId: string, login: string): MailMessage[] {
    const pool = this.pools.requirePool(poolId);
    const found = this.findUser(pool, login);
    return found ? this.store.mailFor(pool.id, found.key) : [];
  }

  /**
   * Sends a reset code through the first recovery mechanism the user can receive (a verified
   * email or phone number), into the local mailbox, and keeps its hash on the user.
   *
   * @throws ServiceError InvalidParameterException when the user has no verified contact
   */
  private sendCode(
    pool: Pool,
    found: FoundUser,
    purpose: MailMessage['purpose'],
    mechanisms: string[],
    clientId?: string,
  ) {
    const { attributes } = found.user;
    let chosen: { medium: 'EMAIL' | 'SMS'; attribute: 'email' | 'phone_number' } | undefined;
    for (const mechanism of mechanisms) {
      if (
        mechanism === 'verified_email' &&
        attributes.email &&
        attributes.email_verified === 'true'
      )
        chosen = { medium: 'EMAIL', attribute: 'email' };
      else if (
        mechanism === 'verified_phone_number' &&
        attributes.phone_number &&
        attributes.phone_number_verified === 'true'
      )
        chosen = { medium: 'SMS', attribute: 'phone_number' };
      if (chosen) break;
    }
    if (!chosen) throw noRecoveryContact();
    const code = newCode();
    const now = this.now();
    const destination = attributes[chosen.attribute] as string;
    this.store.tx(() => {
      this.store.putUser(pool.id, found.key, {
        ...found.user,
        resetCode: { hash: sha256Hex(code), expiresMs: now + CODE_VALIDITY_MS, failedAttempts: 0 },
      });
      this.store.deliver(pool.id, found.key, {
        purpose,
        deliveryMedium: chosen.medium,
        attributeName: chosen.attribute,
        destination,
        code,
        sentMs: now,
        ...(clientId ? { clientId } : {}),
      });
    });
    return {
      Destination: mask(chosen.attribute, destination),
      DeliveryMedium: chosen.medium,
      AttributeName: chosen.attribute,
    };
  }

  /** The user a sign-in or an admin request names (users.ts findUser). */
  findUser(pool: Pool, login: string): FoundUser | undefined {
    return findUser(this.store, pool, login);
  }

  /** Unknown users: UserNotFoundException, or the given answer when the client hides existence. */
  private userMissing(client: PoolClient, hidden: ServiceError): ServiceError {
    return client.preventUserExistenceErrors === 'ENABLED' ? hidden : userNotFound();
  }
}

function params(input: Record<string, unknown>): Record<string, string> {
  return stringMap(input.AuthParameters);
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (typeof item !== 'string')
      throw new ServiceError('SerializationException', `Unexpected value type for '${key}'`);
    out[key] = item;
  }
  return out;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Base64(HMAC_SHA256(clientSecret, username + clientId)), as the guide computes SECRET_HASH. */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId)
    .digest('base64');
}

/**
 * A client with a secret requires SECRET_HASH, computed over one of the names given.
 *
 * @throws ServiceError NotAuthorizedException with Cognito's two messages
 */
function checkSecretHash(client: PoolClient, given: string | undefined, names: string[]): void {
  const secret = client.clientSecret;
  if (!secret) return;
  if (!given)
    throw new ServiceError(
      'NotAuthorizedException',
      `Client ${client.clientId} is configured for secret but secret was not received`,
    );
  if (!names.some((name) => name && sameText(secretHash(secret, name, client.clientId), given)))
    throw new ServiceError(
      'NotAuthorizedException',
      `Unable to verify secret hash for client ${client.clientId}`,
    );
}

/**
 * The pool's AccountRecoverySetting in priority order; without one, Cognito's legacy behaviour
 * (a verified phone number first, then a verified email).
 */
function recoveryMechanisms(pool: Pool): string[] {
  const setting = pool.echo.AccountRecoverySetting as
    | { RecoveryMechanisms?: { Name?: string; Priority?: number }[] }
    | undefined;
  const given = setting?.RecoveryMechanisms ?? [];
  if (given.length === 0) return ['verified_phone_number', 'verified_email'];
  return [...given]
    .sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0))
    .map((m) => String(m.Name));
}

/** The destination as Cognito shows it: `j***@e***.com`, `+*******0100`. */
function mask(attribute: 'email' | 'phone_number', value: string): string {
  if (attribute === 'phone_number')
    return `+${'*'.repeat(Math.max(0, value.length - 5))}${value.slice(-4)}`;
  const [local = '', domain = ''] = value.split('@');
  const dot = domain.lastIndexOf('.');
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***${dot > 0 ? domain.slice(dot) : ''}`;
}

/** What ForgotPassword answers for an unknown user when the client hides user existence. */
function simulatedDelivery(login: string) {
  return {
    Destination: `${login.slice(0, 1)}***@e***.com`,
    DeliveryMedium: 'EMAIL',
    AttributeName: 'email',
  };
}
