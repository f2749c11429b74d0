import { AdminInitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv, startTwinFixture, type TwinFixture } from '../../helpers/cognito-twin.ts';
import { createClient, createPool, httpJwksCache, PASSWORD } from './helpers.ts';

let f: TwinFixture;
let poolId: string;
beforeAll(async () => {
  f = await startTwinFixture();
  poolId = await createPool(f.cognito, {
    Schema: [{ Name: 'tier', AttributeDataType: 'String' }],
  });
  await importCsv(
    f,
    poolId,
    [
      'cognito:username,email,email_verified,phone_number,phone_number_verified,given_name,updated_at,custom:tier',
      'ada.lovelace,ada@example.com,true,+15550100000,false,Ada,1700000000,gold',
    ].join('\n'),
  );
  const { AdminSetUserPasswordCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  await f.cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: poolId,
      Username: 'ada.lovelace',
      Password: PASSWORD,
      Permanent: true,
    }),
  );
});
afterAll(async () => {
  await f.stop();
});

async function signIn(clientId: string, pool = poolId, fixture = f) {
  const out = await fixture.cognito.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool,
      ClientId: clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'ada.lovelace', PASSWORD },
    }),
  );
  return out.AuthenticationResult as { IdToken: string; AccessToken: string; RefreshToken: string };
}

/** aws-jwt-verify, told the twin's issuer and JWKS address, with Cognito's claim checks. */
function verifier(
  tokenUse: 'id' | 'access',
  clientId: string,
  issuer = `${f.twin.endpoint}/${poolId}`,
) {
  return JwtVerifier.create(
    {
      issuer,
      audience: null,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse, clientId }),
    },
    { jwksCache: httpJwksCache() },
  );
}

const header = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as {
    kid: string;
    alg: string;
  };

describe('the JWKS', () => {
  it('publishes two RS256 signing keys per pool at /<poolId>/.well-known/jwks.json', async () => {
    const response = await fetch(`${f.twin.endpoint}/${poolId}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as Jwks;
    expect(keys).toHaveLength(2);
    for (const key of keys)
      expect(key).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig', e: 'AQAB' });
    expect(new Set(keys.map((k) => k.kid)).size).toBe(2);
  });

  it('signs ID and access tokens with different keys of that JWKS', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    const { keys } = (await (
      await fetch(`${f.twin.endpoint}/${poolId}/.well-known/jwks.json`)
    ).json()) as Jwks;
    const kids = keys.map((k) => k.kid);
    expect(header(tokens.IdToken)).toEqual({ kid: expect.any(String), alg: 'RS256' });
    expect(kids).toContain(header(tokens.IdToken).kid);
    expect(kids).toContain(header(tokens.AccessToken).kid);
    expect(header(tokens.IdToken).kid).not.toBe(header(tokens.AccessToken).kid);
  });

  it('answers 404 for a pool that does not exist, and serves an OpenID configuration', async () => {
    expect((await fetch(`${f.twin.endpoint}/us-east-1_nothere/.well-known/jwks.json`)).status).toBe(
      404,
    );
    const config = (await (
      await fetch(`${f.twin.endpoint}/${poolId}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string };
    expect(config).toMatchObject({
      issuer: `${f.twin.endpoint}/${poolId}`,
      jwks_uri: `${f.twin.endpoint}/${poolId}/.well-known/jwks.json`,
    });
  });

  it('keeps its keys across a restart: a token from before still verifies', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    const port = f.twin.port;
    await f.restart({ port });
    await expect(verifier('access', ClientId).verify(tokens.AccessToken)).resolves.toBeTruthy();
  });
});

describe('ID and access tokens verified with aws-jwt-verify', () => {
  it('carries the claims Cognito issues in the ID token', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    const id = await verifier('id', ClientId).verify(tokens.IdToken);
    expect(id).toMatchObject({
      iss: `${f.twin.endpoint}/${poolId}`,
      aud: ClientId,
      token_use: 'id',
      'cognito:username': 'ada.lovelace',
      email: 'ada@example.com',
      email_verified: true,
      phone_number: '+15550100000',
      phone_number_verified: false,
      given_name: 'Ada',
      updated_at: 1700000000,
      'custom:tier': 'gold',
    });
    expect(id.sub).toMatch(/^[0-9a-f-]{36}$/);
    for (const claim of ['jti', 'origin_jti', 'event_id'])
      expect(id[claim]).toMatch(/^[0-9a-f-]{36}$/);
    expect((id.exp as number) - (id.iat as number)).toBe(3600);
    expect(Math.abs((id.iat as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(id.auth_time).toBe(id.iat);
  });

  it('carries the claims Cognito issues in the access token', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    const id = await verifier('id', ClientId).verify(tokens.IdToken);
    const access = await verifier('access', ClientId).verify(tokens.AccessToken);
    expect(access).toMatchObject({
      sub: id.sub,
      client_id: ClientId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username: 'ada.lovelace',
      origin_jti: id.origin_jti,
      event_id: id.event_id,
      auth_time: id.auth_time,
    });
    expect(access.aud).toBeUndefined();
    expect(access.email).toBeUndefined();
    expect(access.jti).not.toBe(id.jti);
  });

  it('refuses a token for another client, of the other use, or tampered with', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const other = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    await expect(verifier('access', other.ClientId).verify(tokens.AccessToken)).rejects.toThrow(
      /Client ID/,
    );
    await expect(verifier('id', ClientId).verify(tokens.AccessToken)).rejects.toThrow(/Token use/);
    const [h, body, signature] = tokens.AccessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, username: 'root' })).toString(
      'base64url',
    );
    await expect(
      verifier('access', ClientId).verify(`${h}.${forged}.${signature}`),
    ).rejects.toThrow(/signature/i);
  });

  it('puts only the ReadAttributes of the client in the ID token', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      ReadAttributes: ['email', 'email_verified'],
    });
    const id = await verifier('id', ClientId).verify((await signIn(ClientId)).IdToken);
    expect(id.email).toBe('ada@example.com');
    expect(id.given_name).toBeUndefined();
    expect(id['custom:tier']).toBeUndefined();
  });

  it('sets exp from AccessTokenValidity, IdTokenValidity and their units, and ExpiresIn to the access token life', async () => {
    const { ClientId } = await createClient(f.cognito, poolId, {
      AccessTokenValidity: 5,
      IdTokenValidity: 2,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'hours' },
    });
    const out = await f.cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ada.lovelace', PASSWORD },
      }),
    );
    expect(out.AuthenticationResult?.ExpiresIn).toBe(300);
    const access = await verifier('access', ClientId).verify(
      out.AuthenticationResult?.AccessToken as string,
    );
    const id = await verifier('id', ClientId).verify(out.AuthenticationResult?.IdToken as string);
    expect((access.exp as number) - (access.iat as number)).toBe(300);
    expect((id.exp as number) - (id.iat as number)).toBe(7200);
  });

  it('keeps origin_jti and auth_time through a refresh, with fresh jti and event_id', async () => {
    const { ClientId } = await createClient(f.cognito, poolId);
    const tokens = await signIn(ClientId);
    const before = await verifier('id', ClientId).verify(tokens.IdToken);
    const refreshed = await f.cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId,
        AuthFlow: 'REFRESH_TOKEN',
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken },
      }),
    );
    const after = await verifier('id', ClientId).verify(
      refreshed.AuthenticationResult?.IdToken as string,
    );
    expect(after.origin_jti).toBe(before.origin_jti);
    expect(after.auth_time).toBe(before.auth_time);
    expect(after.jti).not.toBe(before.jti);
    expect(after.event_id).not.toBe(before.event_id);
  });
});

describe("AWS's issuer (the tokenIssuer knob)", () => {
  it('issues https://cognito-idp.<region>.amazonaws.com/<poolId>, which CognitoJwtVerifier accepts given the twin JWKS', async () => {
    const g = await startTwinFixture({ knobs: { tokenIssuer: 'aws' } });
    try {
      const pool = await createPool(g.cognito);
      await importCsv(
        g,
        pool,
        'cognito:username,email,email_verified\nada.lovelace,ada@example.com,true',
      );
      const { AdminSetUserPasswordCommand } = await import(
        '@aws-sdk/client-cognito-identity-provider'
      );
      await g.cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: pool,
          Username: 'ada.lovelace',
          Password: PASSWORD,
          Permanent: true,
        }),
      );
      const { ClientId } = await createClient(g.cognito, pool);
      const tokens = await signIn(ClientId, pool, g);
      const cognitoVerifier = CognitoJwtVerifier.create({
        userPoolId: pool,
        tokenUse: 'access',
        clientId: ClientId,
      });
      const jwks = (await (
        await fetch(`${g.twin.endpoint}/${pool}/.well-known/jwks.json`)
      ).json()) as Jwks;
      cognitoVerifier.cacheJwks(jwks);
      const payload = await cognitoVerifier.verify(tokens.AccessToken);
      expect(payload.iss).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${pool}`);
    } finally {
      await g.stop();
    }
  });
});
