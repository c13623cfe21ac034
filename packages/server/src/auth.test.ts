import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@babelcast/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Authenticator, bearerFrom, isCognitoJwks, migrateLegacyJwtIds, requiredTokenUse } from './auth.ts';
import { ConfigError, loadConfig } from './config.ts';
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

function authenticator(store = new MemoryStore(), jwt: Record<string, unknown> = {}) {
  const config = loadConfig({
    env: {},
    overrides: {
      auth: {
        apiTokens: [{ name: 'ops', token: 'static-token-0123456789' }],
        jwt: {
          jwksUrl,
          hs256Secret: secret,
          issuer: 'https://idp.example',
          audience: 'babelcast-client',
          ...jwt,
        },
      },
    },
  });
  return new Authenticator(config.auth, store);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** HS256 with exactly these claims (no automatic iat/exp). */
const hs256Raw = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const good = { iss: 'https://idp.example', aud: 'babelcast-client' };

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
      id: 'jwt:https://idp.example#u-1',
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

describe('JWT lifetime', () => {
  it('requires exp', async () => {
    expect(
      await authenticator().authenticate(await hs256Raw({ ...good, sub: 'u', iat: nowSeconds() })),
    ).toBeNull();
  });

  it('refuses a 100-year token, and one longer than maxLifetimeSeconds', async () => {
    const iat = nowSeconds();
    const century = await hs256Raw({ ...good, sub: 'u', iat, exp: iat + 100 * 365 * 86_400 });
    expect(await authenticator().authenticate(century)).toBeNull();
    const twoHours = await hs256Raw({ ...good, sub: 'u', iat, exp: iat + 7200 });
    expect(await authenticator().authenticate(twoHours)).not.toBeNull();
    expect(
      await authenticator(new MemoryStore(), { maxLifetimeSeconds: 3600 }).authenticate(twoHours),
    ).toBeNull();
  });

  it('without iat, counts the lifetime from now', async () => {
    const now = nowSeconds();
    expect(
      await authenticator().authenticate(await hs256Raw({ ...good, sub: 'u', exp: now + 600 })),
    ).not.toBeNull();
    expect(
      await authenticator().authenticate(await hs256Raw({ ...good, sub: 'u', exp: now + 10 * 365 * 86_400 })),
    ).toBeNull();
  });

  it('refuses a token issued in the future (beyond the clock tolerance)', async () => {
    const now = nowSeconds();
    const future = await hs256Raw({ ...good, sub: 'u', iat: now + 3600, exp: now + 7200 });
    expect(await authenticator().authenticate(future)).toBeNull();
    const skewed = await hs256Raw({ ...good, sub: 'u', iat: now + 30, exp: now + 3600 });
    expect(await authenticator().authenticate(skewed)).not.toBeNull();
  });
});

describe('JWT issuer, audience and token_use', () => {
  it('a JWKS without issuer or audience stops the server at start, unless explicitly allowed', () => {
    for (const jwt of [
      { jwksUrl: 'https://idp.example/jwks.json' },
      { jwksUrl: 'https://idp.example/jwks.json', issuer: 'x' },
    ]) {
      expect(() => loadConfig({ env: {}, overrides: { auth: { jwt } } })).toThrow(ConfigError);
    }
    expect(() =>
      loadConfig({
        env: {},
        overrides: { auth: { jwt: { jwksUrl: 'https://idp.example/jwks.json', audience: 'a' } } },
      }),
    ).toThrow(/auth\.jwt\.issuer/);
    const allowed = loadConfig({
      env: {},
      overrides: {
        auth: { jwt: { jwksUrl: 'https://idp.example/jwks.json', allowAnyIssuerAudience: true } },
      },
    });
    expect(allowed.auth.jwt.allowAnyIssuerAudience).toBe(true);
    // A shared secret alone needs neither (the secret is the trust).
    expect(() =>
      loadConfig({ env: {}, overrides: { auth: { jwt: { hs256Secret: secret } } } }),
    ).not.toThrow();
  });

  it('checks token_use: access by default for a Cognito JWKS, as configured otherwise', async () => {
    const cognito = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json';
    expect(isCognitoJwks(cognito)).toBe(true);
    expect(isCognitoJwks(jwksUrl)).toBe(false);
    const cfg = (jwt: Record<string, unknown>) =>
      loadConfig({ env: {}, overrides: { auth: { jwt: { issuer: 'i', audience: 'a', ...jwt } } } }).auth.jwt;
    expect(requiredTokenUse(cfg({ jwksUrl: cognito }))).toBe('access');
    expect(requiredTokenUse(cfg({ jwksUrl: cognito, tokenUse: 'id' }))).toBe('id');
    expect(requiredTokenUse(cfg({ jwksUrl: cognito, tokenUse: 'any' }))).toBeNull();
    expect(requiredTokenUse(cfg({ jwksUrl }))).toBeNull();

    const access = await rs256({ sub: 'u-1', iss: good.iss, client_id: good.aud, token_use: 'access' });
    const id = await rs256({ sub: 'u-1', iss: good.iss, aud: good.aud, token_use: 'id' });
    const asAccess = authenticator(new MemoryStore(), { tokenUse: 'access' });
    expect(await asAccess.authenticate(access)).not.toBeNull();
    expect(await asAccess.authenticate(id)).toBeNull();
    const asId = authenticator(new MemoryStore(), { tokenUse: 'id' });
    expect(await asId.authenticate(id)).not.toBeNull();
    expect(await asId.authenticate(access)).toBeNull();
    // An access token of another app client of the same pool does not pass on its `aud` either.
    const otherClient = await rs256({
      sub: 'u',
      iss: good.iss,
      client_id: 'other',
      aud: good.aud,
      token_use: 'access',
    });
    expect(await asAccess.authenticate(otherClient)).toBeNull();
  });
});

describe('speaker ids are namespaced per provider', () => {
  it('the same sub from the JWKS and from the shared secret are two speakers', async () => {
    const auth = authenticator();
    const fromJwks = await auth.authenticate(await rs256({ sub: 'same', ...good }));
    const fromSecret = await auth.authenticate(await hs256({ sub: 'same', ...good }));
    expect(fromJwks?.id).toBe('jwt:https://idp.example#same');
    expect(fromSecret?.id).toBe('hs256:https://idp.example#same');
    expect((await auth.authenticate('static-token-0123456789'))?.id).toBe('static:ops');
  });

  it('migrates stored legacy jwt:<sub> owners to the one configured provider, and only then', async () => {
    const silent = pino({ level: 'silent' });
    const seed = async () => {
      const store = new MemoryStore();
      await store.upsertSpeaker({ id: 'jwt:u-1', name: 'Ana', createdAt: 1 });
      await store.createSession({
        id: 'faithful-angel-590',
        title: null,
        sourceLanguage: 'en',
        state: 'paused',
        ownerId: 'jwt:u-1',
        createdAt: 1,
        updatedAt: 1,
        endedAt: null,
        targetLanguages: null,
        pauseReason: null,
        lastAudioSeq: null,
      });
      return store;
    };
    const jwt = (over: Record<string, unknown>) =>
      loadConfig({ env: {}, overrides: { auth: { jwt: over } } }).auth.jwt;

    const jwksOnly = await seed();
    const cfg = jwt({ jwksUrl, issuer: good.iss, audience: good.aud });
    expect(await migrateLegacyJwtIds(jwksOnly, cfg, silent)).toBe(1);
    expect((await jwksOnly.getSession('faithful-angel-590'))?.ownerId).toBe('jwt:https://idp.example#u-1');
    expect(await migrateLegacyJwtIds(jwksOnly, cfg, silent)).toBe(0);
    // The migrated owner signs in with the same token as before and still owns the session.
    const principal = await new Authenticator(
      loadConfig({ env: {}, overrides: { auth: { jwt: cfg } } }).auth,
      jwksOnly,
    ).authenticate(await rs256({ sub: 'u-1', ...good }));
    expect(principal?.id).toBe((await jwksOnly.getSession('faithful-angel-590'))?.ownerId);

    const secretOnly = await seed();
    expect(await migrateLegacyJwtIds(secretOnly, jwt({ hs256Secret: secret }), silent)).toBe(1);
    expect((await secretOnly.getSession('faithful-angel-590'))?.ownerId).toBe('hs256:#u-1');

    const both = await seed();
    expect(
      await migrateLegacyJwtIds(
        both,
        jwt({ jwksUrl, hs256Secret: secret, issuer: 'i', audience: 'a' }),
        silent,
      ),
    ).toBe(0);
    expect((await both.getSession('faithful-angel-590'))?.ownerId).toBe('jwt:u-1');
  });
});
