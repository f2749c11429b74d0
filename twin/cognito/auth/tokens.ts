import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { groupClaims } from '../groups.ts';
import type { Knobs } from '../knobs.ts';
import type { Pool, StoredUser } from '../model.ts';
import type { CognitoStore } from '../store.ts';
import { validitySeconds } from './clients.ts';
import { type Jwk, signJwt } from './jwt.ts';
import type { PoolClient, SignInSession, SigningKey } from './model.ts';
import { sha256Hex } from './passwords.ts';

/** The region a pool lives in, from its id (`us-east-1_AbC123`). */
export function regionOfPool(poolId: string): string {
  return poolId.split('_')[0] ?? 'us-east-1';
}

/** Attributes the ID token carries as JSON booleans or numbers rather than strings. */
const BOOLEAN_CLAIMS = new Set(['email_verified', 'phone_number_verified']);
const NUMBER_CLAIMS = new Set(['updated_at']);

export interface IssuedTokens {
  IdToken: string;
  AccessToken: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
  RefreshToken?: string;
}

/**
 * Issues the tokens of a sign-in: RS256 ID and access tokens signed by per-pool keys that the twin
 * publishes as a JWKS, and an opaque refresh token of which only a hash is stored.
 */
export class TokenService {
  private readonly store: CognitoStore;
  private readonly knobs: Knobs;
  private readonly now: () => number;
  private readonly origin: () => string;

  constructor(deps: {
    store: CognitoStore;
    knobs: Knobs;
    now: () => number;
    origin: () => string;
  }) {
    this.store = deps.store;
    this.knobs = deps.knobs;
    this.now = deps.now;
    this.origin = deps.origin;
  }

  /**
   * The `iss` of the pool's tokens. On the twin it is `<twin endpoint>/<poolId>`, so the JWKS sits
   * at `${iss}/.well-known/jwks.json` as it does on AWS; the `aws` knob writes AWS's issuer instead.
   */
  issuer(poolId: string): string {
    return this.knobs.tokenIssuer === 'aws'
      ? `https://cognito-idp.${regionOfPool(poolId)}.amazonaws.com/${poolId}`
      : `${this.origin()}/${poolId}`;
  }

  private key(poolId: string, tokenUse: 'id' | 'access'): SigningKey {
    const existing = this.store.getSigningKey(poolId, tokenUse);
    if (existing) return existing;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
    return this.store.addSigningKey(poolId, {
      tokenUse,
      kid: randomBytes(32).toString('base64'),
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e },
      createdMs: this.now(),
    });
  }

  /** The pool's JWKS, as `/<poolId>/.well-known/jwks.json` serves it. */
  jwks(poolId: string): { keys: Jwk[] } {
    this.key(poolId, 'id');
    this.key(poolId, 'access');
    return {
      keys: this.store.listSigningKeys(poolId).map((key) => ({
        alg: 'RS256',
        e: key.publicJwk.e,
        kid: key.kid,
        kty: key.publicJwk.kty,
        n: key.publicJwk.n,
        use: 'sig',
      })),
    };
  }

  /** Starts a session for a user who proved their password: ID, access and refresh tokens. */
  signIn(pool: Pool, client: PoolClient, userKey: string, user: StoredUser): IssuedTokens {
    const nowMs = this.now();
    const refreshToken = newRefreshToken();
    const session: SignInSession = {
      originJti: randomUUID(),
      userPoolId: pool.id,
      clientId: client.clientId,
      refreshHash: sha256Hex(refreshToken),
      userKey,
      username: user.username,
      sub: user.attributes.sub ?? '',
      authTime: Math.floor(nowMs / 1000),
      refreshExpiresMs:
        nowMs +
        validitySeconds(
          client.refreshTokenValidity,
          client.tokenValidityUnits?.RefreshToken,
          'days',
        ) *
          1000,
    };
    this.store.tx(() => this.store.putSignIn(session));
    return { ...this.mint(pool, client, user, session), RefreshToken: refreshToken };
  }

  /** The sign-in a refresh token belongs to, if the twin issued it. */
  findSession(refreshToken: string): SignInSession | undefined {
    return this.store.getSignInByRefreshHash(sha256Hex(refreshToken));
  }

  /** New ID and access tokens for an existing sign-in; no new refresh token (no rotation). */
  mint(pool: Pool, client: PoolClient, user: StoredUser, session: SignInSession): IssuedTokens {
    const iat = Math.floor(this.now() / 1000);
    const accessSeconds =
      client.accessTokenValidity === undefined
        ? 3600
        : validitySeconds(
            client.accessTokenValidity,
            client.tokenValidityUnits?.AccessToken,
            'hours',
          );
    const idSeconds =
      client.idTokenValidity === undefined
        ? 3600
        : validitySeconds(client.idTokenValidity, client.tokenValidityUnits?.IdToken, 'hours');
    const eventId = randomUUID();
    const iss = this.issuer(pool.id);
    const readable = client.readAttributes ? new Set(client.readAttributes) : undefined;
    const attributes: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(user.attributes)) {
      if (name === 'sub' || (readable && !readable.has(name))) continue;
      attributes[name] = BOOLEAN_CLAIMS.has(name)
        ? value === 'true'
        : NUMBER_CLAIMS.has(name) && /^\d+$/.test(value)
          ? Number(value)
          : value;
    }
    // Read at every issue, so a refresh shows the memberships of that moment.
    const claims = groupClaims(this.store.groupsOfUser(pool.id, session.userKey));
    const groups = claims.groups.length > 0 ? { 'cognito:groups': claims.groups } : {};
    const idKey = this.key(pool.id, 'id');
    const accessKey = this.key(pool.id, 'access');
    const idToken = signJwt(
      {
        sub: session.sub,
        ...groups,
        ...(claims.roles.length > 0 ? { 'cognito:roles': claims.roles } : {}),
        ...(claims.preferredRole ? { 'cognito:preferred_role': claims.preferredRole } : {}),
        ...attributes,
        iss,
        'cognito:username': user.username,
        origin_jti: session.originJti,
        aud: client.clientId,
        event_id: eventId,
        token_use: 'id',
        auth_time: session.authTime,
        exp: iat + idSeconds,
        iat,
        jti: randomUUID(),
      },
      idKey.kid,
      idKey.privateKeyPem,
    );
    const accessToken = signJwt(
      {
        sub: session.sub,
        ...groups,
        iss,
        client_id: client.clientId,
        origin_jti: session.originJti,
        event_id: eventId,
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        auth_time: session.authTime,
        exp: iat + accessSeconds,
        iat,
        jti: randomUUID(),
        username: user.username,
      },
      accessKey.kid,
      accessKey.privateKeyPem,
    );
    return {
      IdToken: idToken,
      AccessToken: accessToken,
      ExpiresIn: accessSeconds,
      TokenType: 'Bearer',
    };
  }
}

/**
 * An opaque refresh token shaped as Cognito's are: five base64url parts, as a JWE compact
 * serialisation (Cognito's are encrypted JWTs; the twin's hold only random bytes).
 */
function newRefreshToken(): string {
  const header = Buffer.from(
    JSON.stringify({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' }),
  ).toString('base64url');
  return [header, ...[256, 12, 512, 16].map((n) => randomBytes(n).toString('base64url'))].join('.');
}
