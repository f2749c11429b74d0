/** Units Cognito accepts for token validities (TokenValidityUnitsType). */
export type TimeUnit = 'seconds' | 'minutes' | 'hours' | 'days';

/** An app client as the twin keeps it (DescribeUserPoolClient shows it from this). */
export interface PoolClient {
  clientId: string;
  userPoolId: string;
  /** Creation order within the twin, for ListUserPoolClients paging. */
  seq: number;
  clientName: string;
  /** Present when the client was created with GenerateSecret (or a ClientSecret). */
  clientSecret?: string;
  createdMs: number;
  modifiedMs: number;
  /** The effective flows: what was given, or Cognito's defaults when nothing was. */
  explicitAuthFlows: string[];
  refreshTokenValidity: number;
  accessTokenValidity?: number;
  idTokenValidity?: number;
  tokenValidityUnits?: { AccessToken?: TimeUnit; IdToken?: TimeUnit; RefreshToken?: TimeUnit };
  readAttributes?: string[];
  writeAttributes?: string[];
  preventUserExistenceErrors?: 'LEGACY' | 'ENABLED';
  enableTokenRevocation: boolean;
  enablePropagateAdditionalUserContextData: boolean;
  authSessionValidity: number;
  /** Request members the twin keeps and echoes without acting on them (OAuth, analytics, …). */
  echo: Record<string, unknown>;
}

/** A pool's RSA key for one token use; Cognito signs ID and access tokens with different keys. */
export interface SigningKey {
  tokenUse: 'id' | 'access';
  kid: string;
  /** PKCS#8 PEM. The twin's keys sign test tokens only; they are not secrets of any real system. */
  privateKeyPem: string;
  publicJwk: { kty: string; n: string; e: string };
  createdMs: number;
}

/** One sign-in: the refresh token it issued (as a hash) and what new tokens repeat from it. */
export interface SignInSession {
  originJti: string;
  userPoolId: string;
  clientId: string;
  /** sha256 of the refresh token, hex. */
  refreshHash: string;
  userKey: string;
  username: string;
  sub: string;
  /** Seconds since the epoch, as the tokens' auth_time. */
  authTime: number;
  refreshExpiresMs: number;
  revoked?: boolean;
}

/** A message Cognito would have sent; the twin keeps it in a local mailbox instead. */
export interface MailMessage {
  purpose: 'ForgotPassword' | 'AdminResetUserPassword';
  deliveryMedium: 'EMAIL' | 'SMS';
  attributeName: 'email' | 'phone_number';
  /** The full address or number (the API answer shows it masked). */
  destination: string;
  code: string;
  sentMs: number;
  clientId?: string;
}
