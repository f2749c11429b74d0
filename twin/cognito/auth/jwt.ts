import { createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';

/** A JSON Web Key as a JWKS lists it (RSA, RS256). */
export interface Jwk {
  kid: string;
  alg: string;
  kty: string;
  e: string;
  n: string;
  use: string;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a payload as a compact RS256 JWS, with the header Cognito writes (`kid`, `alg`). */
export function signJwt(payload: Record<string, unknown>, kid: string, privateKeyPem: string) {
  const input = `${encode({ kid, alg: 'RS256' })}.${encode(payload)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKeyPem);
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: { kid?: string; alg?: string };
  payload: Record<string, unknown>;
}

/** Splits and parses a compact JWS, without checking anything. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString()),
      payload: JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString()),
    };
  } catch {
    return undefined;
  }
}

/** Why a token did not verify; no part of the token is ever in the reason. */
export type JwtProblem =
  | 'malformed'
  | 'unknown-kid'
  | 'bad-algorithm'
  | 'bad-signature'
  | 'expired'
  | 'wrong-issuer'
  | 'wrong-token-use'
  | 'wrong-client';

/**
 * Verifies a Cognito ID or access token against a JWKS: the RS256 signature with the key its
 * `kid` names, then `exp`, `iss`, `token_use`, and the client (`aud` for ID tokens, `client_id`
 * for access tokens), as aws-jwt-verify's CognitoJwtVerifier checks them.
 */
export function verifyCognitoJwt(
  token: string,
  keys: readonly Jwk[],
  expect: { issuer: string; tokenUse: 'id' | 'access'; clientId: string; nowSeconds: number },
): { ok: true; payload: Record<string, unknown> } | { ok: false; problem: JwtProblem } {
  const decoded = decodeJwt(token);
  if (!decoded) return { ok: false, problem: 'malformed' };
  if (decoded.header.alg !== 'RS256') return { ok: false, problem: 'bad-algorithm' };
  const jwk = keys.find((key) => key.kid === decoded.header.kid);
  if (!jwk) return { ok: false, problem: 'unknown-kid' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  } catch {
    return { ok: false, problem: 'unknown-kid' };
  }
  const [head, body, signature] = token.split('.') as [string, string, string];
  const valid = createVerify('RSA-SHA256')
    .update(`${head}.${body}`)
    .verify(key, Buffer.from(signature, 'base64url'));
  if (!valid) return { ok: false, problem: 'bad-signature' };
  const { payload } = decoded;
  if (typeof payload.exp !== 'number' || payload.exp <= expect.nowSeconds)
    return { ok: false, problem: 'expired' };
  if (payload.iss !== expect.issuer) return { ok: false, problem: 'wrong-issuer' };
  if (payload.token_use !== expect.tokenUse) return { ok: false, problem: 'wrong-token-use' };
  const client = expect.tokenUse === 'id' ? payload.aud : payload.client_id;
  if (client !== expect.clientId) return { ok: false, problem: 'wrong-client' };
  return { ok: true, payload };
}
