/**
 * Who is speaking. Speakers present a Bearer credential: a JWT (RS256/ES256 against a JWKS URL
 * such as Amazon Cognito's, or HS256 with a shared secret) or an API token (from config, or made
 * with `babelcast token create` and stored hashed). Listeners need none; a listener's bad token
 * is simply ignored (see the listener socket).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '@babelcast/core';
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

export function bearerFrom(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export class Authenticator {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;
  private readonly secret: Uint8Array | null;
  private readonly staticTokens: { name: string; hash: Buffer }[];

  constructor(
    private readonly config: BabelcastConfig['auth'],
    private readonly store: Store,
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

  private async jwt(token: string): Promise<Principal | null> {
    const { jwt } = this.config;
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as {
      alg?: string;
    };
    let payload: JWTPayload;
    if (header.alg === 'HS256') {
      if (!this.secret) return null;
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], issuer: jwt.issuer }));
    } else {
      if (!this.jwks) return null;
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['RS256', 'ES256'],
        issuer: jwt.issuer,
      }));
    }
    if (jwt.audience && !audienceMatches(payload, jwt.audience)) return null;
    if (!payload.sub) return null;
    const name =
      claimString(payload, jwt.nameClaim) ??
      claimString(payload, 'cognito:username') ??
      claimString(payload, 'username') ??
      payload.sub;
    return { id: `jwt:${payload.sub}`, name, via: 'jwt', operator: false };
  }
}

function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

function claimString(payload: JWTPayload, claim: string): string | undefined {
  const v = payload[claim];
  return typeof v === 'string' && v ? v : undefined;
}

/** Cognito access tokens carry the app client in `client_id`, id tokens in `aud`: accept either. */
function audienceMatches(payload: JWTPayload, audience: string): boolean {
  const aud = payload.aud;
  if (aud === audience || (Array.isArray(aud) && aud.includes(audience))) return true;
  return payload.client_id === audience;
}
