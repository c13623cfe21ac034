/**
 * Assembles a Babelcast node: config → store → engines → session manager → HTTP API + WebSockets.
 * `startServer` is what the CLI runs and what end-to-end tests start on a random port.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import {
  createLogger,
  type EngineSet,
  InMemoryBus,
  MemoryStore,
  Metrics,
  SessionManager,
  type Store,
} from '@babelcast/core';
import { CloseCode } from '@babelcast/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { Authenticator, generateApiToken, hashToken } from './auth.ts';
import { type BabelcastConfig, loadConfig } from './config.ts';
import { closeEngines, createEngines, initEngines } from './engines.ts';
import { errorHandler } from './http/errors.ts';
import { apiRoutes } from './http/routes.ts';
import { handleListenerSocket } from './ws/listener-socket.ts';
import { closeWith } from './ws/socket-utils.ts';
import { handleSpeakerSocket } from './ws/speaker-socket.ts';
import { SPEAKER_AUDIO_MAX_FRAME_BYTES } from '@babelcast/protocol';

export interface StartOptions extends Record<string, unknown> {
  /** Path of a JSON config file. */
  configFile?: string;
  /** Use these engines instead of building them from config (tests inject failing or slow fakes). */
  engineSet?: EngineSet;
  /** Engine config, or just a preset name (`'fake'`, `'embedded'`). */
  engines?: unknown;
  /** Use this store instead of SQLite in dataDir. */
  store?: Store;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  url: string;
  port: number;
  config: BabelcastConfig;
  app: FastifyInstance;
  manager: SessionManager;
  metrics: Metrics;
  store: Store;
  engines: EngineSet;
  /** Make a speaker API token (stored hashed); returns the token, shown once. */
  createApiToken(name: string, role?: 'speaker' | 'operator'): Promise<string>;
  close(): Promise<void>;
}

export async function openStore(dataDir: string): Promise<Store> {
  const { SqliteStore } = await import('@babelcast/store-sqlite');
  mkdirSync(dataDir, { recursive: true });
  return SqliteStore.open({ path: join(dataDir, 'babelcast.db') });
}

/**
 * Makes an API token. Operator tokens (speaker id `operator:<name>`) may also list and end every
 * session; speaker tokens (`token:<name>`) own what they create.
 */
export async function createApiTokenIn(
  store: Store,
  name: string,
  role: 'speaker' | 'operator' = 'speaker',
): Promise<string> {
  const token = generateApiToken();
  const speakerId = `${role === 'operator' ? 'operator' : 'token'}:${name}`;
  await store.upsertSpeaker({ id: speakerId, name, createdAt: Date.now() });
  await store.createApiToken({
    id: hashToken(token).slice(0, 16),
    name,
    speakerId,
    tokenHash: hashToken(token),
    createdAt: Date.now(),
    revokedAt: null,
  });
  return token;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const {
    configFile,
    engineSet: injectedEngines,
    store: injectedStore,
    logger: injectedLogger,
    env,
    ...overrides
  } = options;
  if (typeof overrides.engines === 'string') overrides.engines = { preset: overrides.engines };
  const config = loadConfig({ file: configFile, env, overrides });
  const logger = injectedLogger ?? createLogger({ level: config.logLevel });
  const metrics = new Metrics();
  const dataDir = resolve(config.dataDir);
  const store = injectedStore ?? (await openStore(dataDir));
  const engines =
    injectedEngines ??
    (await createEngines(config, {
      onCost: (kind, engine, usd) => metrics.engineCostUsd.inc({ kind, engine }, usd),
    }));
  let ready = false;
  try {
    await initEngines(engines);
  } catch (err) {
    await store.close();
    throw err;
  }

  const https =
    config.tls?.certFile && config.tls.keyFile
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : null;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 64 * 1024,
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;

  let publicUrl = config.publicUrl?.replace(/\/$/, '') ?? '';
  const bus = new InMemoryBus();
  const manager = new SessionManager({
    engines,
    bus,
    store,
    logger,
    observer: metrics,
    joinUrl: (id) => `${publicUrl}/join/${id}`,
    logTranscripts: config.logTranscripts,
    pipeline: {
      endpointing: {
        silenceMs: config.pipeline.silenceMs,
        maxUtteranceMs: config.pipeline.maxUtteranceMs,
        threshold: config.pipeline.vadThreshold,
      },
      track: { ttsRate: config.pipeline.ttsRate, framesPerPacket: config.pipeline.framesPerPacket },
    },
    hub: {
      historySize: config.limits.historySize,
      audioDropBytes: config.limits.audioDropBytes,
      maxBufferedBytes: config.limits.maxBufferedBytes,
      stuckMs: config.limits.stuckMs,
      demandGraceMs: config.limits.demandGraceMs,
    },
  });
  const auth = new Authenticator(config.auth, store);

  app.setErrorHandler(errorHandler);
  await app.register(apiRoutes, { manager, store, auth, metrics, isReady: () => ready });
  try {
    const web = await import('@babelcast/web');
    if (typeof web.webRoutes === 'function') await app.register(web.webRoutes, {});
  } catch (err) {
    logger.warn({ err }, 'web pages not available');
  }

  // WebSockets share the HTTP port; the upgrade is routed by path.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: SPEAKER_AUDIO_MAX_FRAME_BYTES + 1024,
    perMessageDeflate: false,
  });
  const deps = { manager, auth, metrics, logger, config, codec: engines.codec.capabilities };
  app.server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws/speaker' && url.pathname !== '/ws/listener') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      (ws as unknown as { isAlive: boolean }).isAlive = true;
      ws.on('pong', () => {
        (ws as unknown as { isAlive: boolean }).isAlive = true;
      });
      if (url.pathname === '/ws/speaker') handleSpeakerSocket(ws, request, url, deps);
      else handleListenerSocket(ws, request, url, deps);
    });
  });
  // Heartbeat: phones that vanish (tunnel, flight mode) never send a close frame.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      const w = ws as unknown as { isAlive: boolean };
      if (!w.isAlive) {
        ws.terminate();
        continue;
      }
      w.isAlive = false;
      ws.ping();
    }
  }, config.limits.heartbeatMs);
  heartbeat.unref();

  // Live time, for cost per session-hour.
  const liveTicker = setInterval(() => {
    const live = manager.liveSessions();
    metrics.sessions.reset();
    for (const s of live) metrics.sessions.inc({ state: s.state });
    metrics.sessionSeconds.inc(live.filter((s) => s.state === 'live').length * 5);
  }, 5000);
  liveTicker.unref();

  let stopRetention: () => void = () => {};
  if (!injectedStore) {
    const { startRetention } = await import('@babelcast/store-sqlite');
    stopRetention = startRetention(store, { retentionHours: config.retentionHours, logger });
  }

  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as AddressInfo).port;
  const scheme = https ? 'https' : 'http';
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `${scheme}://${shownHost}:${port}`;
  if (!publicUrl) publicUrl = url;
  ready = true;
  logger.info(
    { url, engines: Object.fromEntries(Object.entries(engines).map(([k, e]) => [k, e.info.id])) },
    'babelcast ready',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    app,
    manager,
    metrics,
    store,
    engines,
    createApiToken: (name, role) => createApiTokenIn(store, name, role),
    close() {
      closing ??= (async () => {
        ready = false;
        clearInterval(heartbeat);
        clearInterval(liveTicker);
        stopRetention();
        await manager.shutdown();
        for (const ws of wss.clients) closeWith(ws, CloseCode.GOING_AWAY, 'server shutting down');
        wss.close();
        await app.close();
        await closeEngines(engines);
        await bus.close();
        await store.close();
        logger.info('babelcast stopped');
      })();
      return closing;
    },
  };
}

export { MemoryStore };
