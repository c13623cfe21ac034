import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@babelcast/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, bearerFrom } from './auth.ts';
import { loadConfig } from './config.ts';
import { createApiTokenIn } from './server.ts';

const secret = 'a-shared-secret-that-is-at-least-32-bytes';
let jwksServer: Server;
let jwksUrl: string;
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => jwksServer.close());

function authenticator(store = new MemoryStore()) {
  const config = loadConfig({
    env: {},
    overrides: {
      auth: {
        apiTokens: [{ name: 'ops', token: 'static-token-0123456789' }],
        jwt: { jwksUrl, hs256Secret: secret, issuer: 'https://idp.example', audience: 'babelcast-client' },
      },
    },
  });
  return new Authenticator(config.auth, store);
}

const rs256 = (claims: Record<string, unknown>, exp: string | number = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(privateKey);
const hs256 = (claims: Record<string, unknown>, exp: string | number = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

describe('Authenticator', () => {
  it('accepts a Cognito-style RS256 access token (client_id as audience) from the JWKS', async () => {
    const token = await rs256({
      sub: 'u-1',
      iss: 'https://idp.example',
      client_id: 'babelcast-client',
      username: 'maria',
    });
    expect(await authenticator().authenticate(token)).toEqual({
      id: 'jwt:u-1',
      name: 'maria',
      via: 'jwt',
      operator: false,
    });
  });

  it('accepts an HS256 token with the right issuer and audience', async () => {
    const token = await hs256({
      sub: 'u-2',
      iss: 'https://idp.example',
      aud: 'babelcast-client',
      name: 'Ana',
    });
    expect((await authenticator().authenticate(token))?.name).toBe('Ana');
  });

  it.each([
    [
      'expired',
      () =>
        hs256(
          { sub: 'u', iss: 'https://idp.example', aud: 'babelcast-client' },
          Math.floor(Date.now() / 1000) - 60,
        ),
    ],
    ['wrong issuer', () => hs256({ sub: 'u', iss: 'https://evil.example', aud: 'babelcast-client' })],
    ['wrong audience', () => rs256({ sub: 'u', iss: 'https://idp.example', aud: 'someone-else' })],
    ['no subject', () => hs256({ iss: 'https://idp.example', aud: 'babelcast-client' })],
    [
      'bad signature',
      async () =>
        `${(await hs256({ sub: 'u', iss: 'https://idp.example', aud: 'babelcast-client' })).slice(0, -4)}AAAA`,
    ],
    ['garbage', async () => 'garbage'],
    ['empty', async () => ''],
  ])('rejects a %s token as null (anonymous), never throws', async (_name, make) => {
    expect(await authenticator().authenticate(await make())).toBeNull();
  });

  it('accepts static and stored API tokens, and refuses revoked ones', async () => {
    const store = new MemoryStore();
    const auth = authenticator(store);
    expect((await auth.authenticate('static-token-0123456789'))?.id).toBe('static:ops');
    const token = await createApiTokenIn(store, 'alice');
    expect(await auth.authenticate(token)).toMatchObject({ id: 'token:alice', operator: false });
    const ops = await createApiTokenIn(store, 'root', 'operator');
    expect(await auth.authenticate(ops)).toMatchObject({ operator: true });
    const [record] = await store.listApiTokens();
    await store.revokeApiToken(record!.id, Date.now());
    expect(await auth.authenticate(token)).toBeNull();
  });

  it('parses Bearer headers strictly', () => {
    expect(bearerFrom('Bearer abc')).toBe('abc');
    expect(bearerFrom('bearer abc ')).toBe('abc');
    expect(bearerFrom('Basic abc')).toBeUndefined();
    expect(bearerFrom(undefined)).toBeUndefined();
  });
});
