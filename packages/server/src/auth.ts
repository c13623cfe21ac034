/**
 * Who is speaking. Speakers present a Bearer credential: a JWT (RS256/ES256 against a JWKS URL
 * such as Amazon Cognito's, or HS256 with a shared secret) or an API token (from config, or made
 * with `babelcast token create` and stored hashed). Listeners need none; a listener's bad token
 * is simply ignored (see the listener socket).
 *
 * Speaker ids are namespaced by where the identity comes from, so two providers can never
 * produce the same id: `jwt:<iss>#<sub>` (JWKS), `hs256:<configured issuer, or empty>#<sub>`
 * (shared secret), `token:<name>` / `operator:<name>` (stored API tokens), `static:<name>` (config
 * tokens).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '@babelcast/core';
import type { Logger } from 'pino';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { BabelcastConfig } from './config.ts';

export interface Principal {
  /** Stable speaker id: owner of the sessions they create. */
  id: string;
  name: string;
  via: 'api-token' | 'jwt';
  /** Operators may list and end every session (API tokens made with `token create --operator`). */
  operator: boolean;
}

const API_TOKEN_PREFIX = 'bc_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two secrets of any length. */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(a), 'hex'), Buffer.from(hashToken(b), 'hex'));
}

export function bearerFrom(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

type JwtConfig = BabelcastConfig['auth']['jwt'];

/** Amazon Cognito user pool JWKS URLs: their tokens carry `token_use`. */
export function isCognitoJwks(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The `token_use` a JWKS token must carry, or null for no check. */
export function requiredTokenUse(jwt: JwtConfig): 'access' | 'id' | null {
  const use = jwt.tokenUse ?? (isCognitoJwks(jwt.jwksUrl) ? 'access' : 'any');
  return use === 'any' ? null : use;
}

export class Authenticator {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;
  private readonly secret: Uint8Array | null;
  private readonly staticTokens: { name: string; hash: Buffer }[];

  constructor(
    private readonly config: BabelcastConfig['auth'],
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.jwks = config.jwt.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwt.jwksUrl), { cooldownDuration: 30_000 })
      : null;
    this.secret = config.jwt.hs256Secret ? new TextEncoder().encode(config.jwt.hs256Secret) : null;
    this.staticTokens = config.apiTokens.map((t) => ({
      name: t.name,
      hash: Buffer.from(hashToken(t.token), 'hex'),
    }));
  }

  /** The principal for a credential, or null for anything missing, malformed, expired or unknown. */
  async authenticate(token: string | undefined): Promise<Principal | null> {
    if (!token || token.length > 8192) return null;
    try {
      if (token.startsWith(API_TOKEN_PREFIX) || !looksLikeJwt(token)) return await this.apiToken(token);
      return await this.jwt(token);
    } catch {
      return null;
    }
  }

  private async apiToken(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const hashBuf = Buffer.from(hash, 'hex');
    for (const t of this.staticTokens) {
      if (timingSafeEqual(t.hash, hashBuf))
        return { id: `static:${t.name}`, name: t.name, via: 'api-token', operator: false };
    }
    const record = await this.store.findApiTokenByHash(hash);
    if (!record || record.revokedAt) return null;
    return {
      id: record.speakerId,
      name: record.name,
      via: 'api-token',
      operator: record.speakerId.startsWith('operator:'),
    };
  }

  /**
   * Signature, then claims: `exp` required and at most `maxLifetimeSeconds` after `iat` (or after
   * now, without `iat`); no `iat` in the future; issuer and audience when configured (always, with
   * a JWKS, unless explicitly allowed otherwise); `token_use` for Cognito.
   */
  private async jwt(token: string): Promise<Principal | null> {
    const { jwt } = this.config;
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as {
      alg?: string;
    };
    const common = {
      issuer: jwt.issuer,
      requiredClaims: ['exp'],
      clockTolerance: jwt.clockToleranceSeconds,
      currentDate: new Date(this.now()),
    };
    let payload: JWTPayload;
    let provider: 'jwt' | 'hs256';
    if (header.alg === 'HS256') {
      if (!this.secret) return null;
      ({ payload } = await jwtVerify(token, this.secret, { ...common, algorithms: ['HS256'] }));
      provider = 'hs256';
    } else {
      if (!this.jwks) return null;
      ({ payload } = await jwtVerify(token, this.jwks, { ...common, algorithms: ['RS256', 'ES256'] }));
      provider = 'jwt';
    }
    if (!lifetimeAcceptable(payload, jwt, this.now())) return null;
    const tokenUse = provider === 'jwt' ? requiredTokenUse(jwt) : (jwt.tokenUse ?? 'any');
    if (tokenUse !== null && tokenUse !== 'any' && payload.token_use !== tokenUse) return null;
    if (jwt.audience && !audienceMatches(payload, jwt.audience, tokenUse)) return null;
    if (typeof payload.sub !== 'string' || !payload.sub) return null;
    if (provider === 'jwt' && (typeof payload.iss !== 'string' || !payload.iss)) return null;
    const name =
      claimString(payload, jwt.nameClaim) ??
      claimString(payload, 'cognito:username') ??
      claimString(payload, 'username') ??
      payload.sub;
    // A shared secret is one provider whatever `iss` its tokens carry: its namespace is the
    // configured issuer (verified above when set), not a claim.
    const iss = provider === 'jwt' ? (payload.iss as string) : (jwt.issuer ?? '');
    return { id: jwtSpeakerId(provider, iss, payload.sub), name, via: 'jwt', operator: false };
  }
}

/** `jwt:<iss>#<sub>` for JWKS tokens, `hs256:<configured issuer>#<sub>` for shared-secret ones. */
export function jwtSpeakerId(provider: 'jwt' | 'hs256', iss: string, sub: string): string {
  return `${provider}:${iss}#${sub}`;
}

function lifetimeAcceptable(payload: JWTPayload, jwt: JwtConfig, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  const { exp, iat } = payload;
  if (typeof exp !== 'number') return false;
  if (iat !== undefined) {
    if (typeof iat !== 'number' || iat > now + jwt.clockToleranceSeconds) return false;
    return exp - iat <= jwt.maxLifetimeSeconds;
  }
  return exp - now <= jwt.maxLifetimeSeconds;
}

/**
 * Speaker ids before namespacing were `jwt:<sub>` for every JWT provider. When the configuration
 * names exactly one provider, they belong to it: returns the new id for such a legacy id, null for
 * any other id or when it is ambiguous (both a JWKS and a shared secret configured).
 */
export function legacyJwtIdRenamer(jwt: JwtConfig): ((id: string) => string | null) | null {
  const jwks = Boolean(jwt.jwksUrl);
  const hs = Boolean(jwt.hs256Secret);
  if (jwks === hs) return null;
  if (jwks && !jwt.issuer) return null;
  const provider = jwks ? 'jwt' : 'hs256';
  return (id) => {
    const m = /^jwt:([^#]+)$/.exec(id);
    return m ? jwtSpeakerId(provider, jwt.issuer ?? '', m[1]!) : null;
  };
}

function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

function claimString(payload: JWTPayload, claim: string): string | undefined {
  const v = payload[claim];
  return typeof v === 'string' && v ? v : undefined;
}

/**
 * Cognito access tokens carry the app client in `client_id`, id tokens in `aud`. With a required
 * `token_use`, only the matching claim counts; without, either.
 */
function audienceMatches(payload: JWTPayload, audience: string, tokenUse: string | null): boolean {
  const aud = payload.aud;
  const inAud = aud === audience || (Array.isArray(aud) && aud.includes(audience));
  const inClientId = payload.client_id === audience;
  if (tokenUse === 'access') return inClientId;
  if (tokenUse === 'id') return inAud;
  return inAud || inClientId;
}

/**
 * One-off store migration: speaker ids `jwt:<sub>` from before namespacing become the id the
 * configured provider now gives (see legacyJwtIdRenamer). Idempotent; logs what it did, or why it
 * could not (both a JWKS and a shared secret configured: the owner of such sessions is ambiguous,
 * so they stay as they are and only an operator can manage them).
 */
export async function migrateLegacyJwtIds(store: Store, jwt: JwtConfig, logger: Logger): Promise<number> {
  const rename = legacyJwtIdRenamer(jwt);
  if (!rename) {
    let legacy = 0;
    await store.renameSpeakerIds((id) => {
      if (/^jwt:[^#]+$/.test(id)) legacy++;
      return null;
    });
    if (legacy > 0)
      logger.warn(
        { legacy },
        'speaker ids from before per-provider JWT ids remain as they were: the configuration does not name exactly one JWT provider with its issuer',
      );
    return 0;
  }
  const renamed = await store.renameSpeakerIds(rename);
  if (renamed > 0) logger.info({ renamed }, 'JWT speaker ids namespaced by provider');
  return renamed;
}
