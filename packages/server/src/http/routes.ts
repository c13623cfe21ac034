/** The HTTP API (see docs/protocol.md). */
import {
  exportTranscript,
  type SessionRegistry,
  type Store,
  storeStatusEvery,
  TRANSCRIPT_CONTENT_TYPE,
} from '@babelcast/core';
import {
  BabelcastError,
  createSessionBody,
  ErrorCode,
  LANGUAGES,
  type LanguagesResponse,
  languageCode,
  sessionId,
  sessionState,
  transcriptFormat,
} from '@babelcast/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Authenticator, bearerFrom, type Principal, tokensEqual } from '../auth.ts';
import type { Metrics } from '@babelcast/core';

export interface RouteDeps {
  sessions: SessionRegistry;
  store: Store;
  auth: Authenticator;
  metrics: Metrics;
  isReady: () => boolean;
  /** The message bus's status (`connected`, `reconnecting`, `closed`), reported by /readyz. */
  busStatus?: () => string;
  /** Bearer token for /metrics; without one, /metrics answers direct loopback callers only. */
  metricsToken?: string;
  /** The voices of a language, the one that speaks first (e.g. `pico:es-ES`). */
  voices?: (language: string) => string[];
}

const idParams = z.object({ id: sessionId });

/** /metrics: with a token, only bearers of it; without, only callers on this machine. */
export function assertMetricsAccess(request: FastifyRequest, token: string | undefined): void {
  if (token) {
    const given = bearerFrom(request.headers.authorization);
    if (!given || !tokensEqual(given, token))
      throw new BabelcastError(
        ErrorCode.UNAUTHORIZED,
        '/metrics needs Authorization: Bearer <metrics.token>',
      );
  } else if (!fromLoopback(request)) {
    throw new BabelcastError(
      ErrorCode.FORBIDDEN,
      '/metrics answers this machine only; set metrics.token to scrape it from elsewhere',
    );
  }
}

/** A direct (not proxied) connection from this machine. */
function fromLoopback(request: FastifyRequest): boolean {
  const h = request.headers;
  if (h['x-forwarded-for'] !== undefined || h.forwarded !== undefined || h['x-real-ip'] !== undefined)
    return false;
  const address = request.socket.remoteAddress ?? '';
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

/** Counts a capacity refusal, then lets the error through. */
function countOverCapacity(metrics: Metrics, what: string) {
  return (err: unknown): never => {
    if (err instanceof BabelcastError && err.code === ErrorCode.OVER_CAPACITY)
      metrics.overCapacity.inc({ what });
    throw err;
  };
}

/** The caller's speaker identity (recorded as a speaker); UNAUTHORIZED without a valid token. */
async function speaker(deps: RouteDeps, request: FastifyRequest): Promise<Principal> {
  const principal = await deps.auth.authenticate(bearerFrom(request.headers.authorization));
  if (!principal)
    throw new BabelcastError(
      ErrorCode.UNAUTHORIZED,
      'a speaker token is required (Authorization: Bearer <token>)',
    );
  await deps.store.upsertSpeaker({ id: principal.id, name: principal.name, createdAt: Date.now() });
  return principal;
}

/** The session named in the path, if the caller owns it (or is an operator). */
async function owned(deps: RouteDeps, request: FastifyRequest) {
  const principal = await speaker(deps, request);
  const { id } = idParams.parse(request.params);
  const record = await deps.store.getSession(id);
  if (!record) throw new BabelcastError(ErrorCode.SESSION_NOT_FOUND, `no session with id "${id}"`);
  if (record.ownerId !== principal.id && !principal.operator)
    throw new BabelcastError(
      ErrorCode.FORBIDDEN,
      'only the speaker who created the session (or an operator) may do that',
    );
  return record;
}

export async function apiRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  operationsRoutes(app, deps);
  languageRoutes(app, deps);
  sessionRoutes(app, deps);
  transcriptRoute(app, deps);
}

/** Health, readiness (with capacity) and metrics. */
function operationsRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { sessions } = deps;
  app.get('/healthz', async () => ({ ok: true }));
  // Ready while engines are up, also when full: a full node still serves its listeners. The
  // capacity figures say whether it can take another session (see docs/protocol.md, Capacity).
  const storeStatus = storeStatusEvery(deps.store);
  app.get('/readyz', async (_req, reply) => {
    const capacity = sessions.capacity();
    const bus = deps.busStatus?.();
    // PostgreSQL: a node that cannot reach its store cannot create or load a session.
    const store = await storeStatus();
    if (!deps.isReady() || store === 'unreachable')
      return reply.status(503).send({ ready: false, capacity, bus, store });
    return { ready: true, capacity, bus, store };
  });
  app.get('/metrics', async (request, reply) => {
    assertMetricsAccess(request, deps.metricsToken);
    const capacity = sessions.capacity();
    if (capacity) deps.metrics.capacity(capacity);
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

function languageRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { sessions } = deps;
  app.get('/api/languages', async (): Promise<LanguagesResponse> => {
    const { sources, pairs } = sessions.served;
    const codes = new Set([...sources, ...pairs.map((p) => p.target)]);
    const names: LanguagesResponse['names'] = {};
    for (const c of codes) {
      const known = LANGUAGES[c as keyof typeof LANGUAGES];
      names[c] = known ? { name: known.name, native: known.native } : { name: c, native: c };
    }
    const voices: Record<string, string[]> = {};
    for (const c of codes) {
      const list = deps.voices?.(c) ?? [];
      if (list.length > 0) voices[c] = list;
    }
    return { sources, pairs, names, voices, limits: { maxLanguagesPerSession: sessions.maxLanguages } };
  });
}

/** Sessions: create, list, look up, pause / resume / end. */
function sessionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { sessions, store, auth } = deps;
  app.get('/api/me', async (request) => {
    const p = await speaker(deps, request);
    return { speaker: { id: p.id, name: p.name } };
  });

  app.post('/api/sessions', async (request, reply) => {
    const p = await speaker(deps, request);
    const body = createSessionBody.parse(request.body ?? {});
    const session = await sessions
      .create(p.id, body.sourceLanguage, body.title ?? null, body.targetLanguages)
      .catch(countOverCapacity(deps.metrics, 'session'));
    return reply.status(201).send(await sessions.info(session.snapshot));
  });

  app.get('/api/sessions', async (request) => {
    const p = await speaker(deps, request);
    const q = z.object({ state: sessionState.optional() }).parse(request.query);
    const records = await store.listSessions({
      ownerId: p.operator ? undefined : p.id,
      state: q.state,
      limit: 200,
    });
    return { sessions: await Promise.all(records.map((r) => sessions.info(r))) };
  });

  // Anybody with the link learns what a listener needs; the owner and operators get everything.
  app.get('/api/sessions/:id', async (request) => {
    const { id } = idParams.parse(request.params);
    const record = await store.getSession(id);
    if (!record) throw new BabelcastError(ErrorCode.SESSION_NOT_FOUND, `no session with id "${id}"`);
    const p = await auth.authenticate(bearerFrom(request.headers.authorization));
    if (p && (p.operator || p.id === record.ownerId)) return sessions.info(record);
    return sessions.publicInfo(record);
  });

  const actions = { pause: 'paused', resume: 'live', end: 'ended' } as const;
  for (const [action, state] of Object.entries(actions)) {
    app.post(`/api/sessions/:id/${action}`, async (request) => {
      const record = await owned(deps, request);
      const after = await sessions
        .transition(record.id, state)
        .catch(countOverCapacity(deps.metrics, 'live'));
      return sessions.info(after);
    });
  }
}

/** The owner's transcript export, in any language the session produced. */
function transcriptRoute(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/api/sessions/:id/transcript', async (request, reply) => {
    const record = await owned(deps, request);
    const q = z
      // Validated: the value goes into the Content-Disposition header.
      .object({ lang: languageCode.optional(), format: transcriptFormat.default('txt') })
      .parse(request.query);
    const lang = q.lang ?? record.sourceLanguage;
    const segments = await deps.store.listSegments(record.id, {
      lang,
      kind: lang === record.sourceLanguage ? 'source' : 'translation',
    });
    reply.header('content-type', TRANSCRIPT_CONTENT_TYPE[q.format]);
    reply.header('content-disposition', `attachment; filename="${record.id}.${lang}.${q.format}"`);
    return exportTranscript(segments, q.format);
  });
}
