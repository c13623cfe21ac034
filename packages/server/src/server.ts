/**
 * Assembles a Babelcast node: config → store → engines → session sessions → HTTP API + WebSockets.
 * `startServer` is what the CLI runs and what end-to-end tests start on a random port.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import {
  createLogger,
  type EngineSet,
  InMemoryBus,
  type MessageBus,
  MemoryStore,
  Metrics,
  SessionRegistry,
  type SessionLeases,
  type SessionRuntimeOptions,
  type Store,
  type WarmUpReport,
  warmUpEngines,
  within,
} from '@babelcast/core';
import { BabelcastError, ErrorCode } from '@babelcast/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Authenticator, generateApiToken, hashToken, migrateLegacyJwtIds } from './auth.ts';
import { capacityPlanner } from './capacity.ts';
import { type BabelcastConfig, type ConfigInput, loadConfig } from './config.ts';
import { closeEngines, createEngines, initEngines } from './engines.ts';
import { clientErrorHandler, errorHandler, notFoundHandler } from './http/errors.ts';
import { apiRoutes, type RouteDeps } from './http/routes.ts';
import { addressKey, clientAddress, KeyedBuckets } from './limits/rate-limit.ts';
import { WsGateway } from './ws/gateway.ts';

export interface StartOptions extends Record<string, unknown> {
  /** Path of a JSON config file. */
  configFile?: string;
  /** Use these engines instead of building them from config (tests inject failing or slow fakes). */
  engineSet?: EngineSet;
  /** Engine config, or just a preset name (`'fake'`, `'embedded'`). */
  engines?: unknown;
  /**
   * Use this store instead of the configured one (SQLite in dataDir by default). A plain
   * `{ kind, postgresUrl, ... }` object is the `store` config section instead.
   */
  store?: Store | StoreConfigInput;
  /**
   * Use this bus instead of the configured one (tests publish output on it directly). A plain
   * `{ kind, natsUrl, ... }` object is the `bus` config section instead.
   */
  bus?: MessageBus | BusConfigInput;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  url: string;
  port: number;
  config: BabelcastConfig;
  app: FastifyInstance;
  sessions: SessionRegistry;
  metrics: Metrics;
  store: Store;
  engines: EngineSet;
  /**
   * Resolves when the engines' start-up warm-up is done (null when `pipeline.warmUp` is off).
   * The server answers before that; tools that measure latency wait for it.
   */
  warmedUp: Promise<WarmUpReport | null>;
  /** Make a speaker API token (stored hashed); returns the token, shown once. */
  createApiToken(name: string, role?: 'speaker' | 'operator'): Promise<string>;
  close(): Promise<void>;
}

type StoreConfigInput = NonNullable<ConfigInput['store']>;

/**
 * Opens the configured store: SQLite in dataDir (default), or PostgreSQL when `store.kind` is
 * `postgres` (only then is the PostgreSQL client loaded). Throws a message naming host:port when
 * PostgreSQL cannot be reached.
 */
export async function openStore(
  dataDir: string,
  store: BabelcastConfig['store'] = { kind: 'sqlite', postgresPoolSize: 10 },
  logger?: Logger,
): Promise<Store> {
  if (store.kind === 'postgres') {
    const { PostgresStore } = await import('@babelcast/store-postgres');
    return PostgresStore.open({
      url: store.postgresUrl!,
      schema: store.postgresSchema,
      poolSize: store.postgresPoolSize,
      logger,
    });
  }
  const { SqliteStore } = await import('@babelcast/store-sqlite');
  mkdirSync(dataDir, { recursive: true });
  return SqliteStore.open({ path: join(dataDir, 'babelcast.db') });
}

const isStore = (store: Store | StoreConfigInput): store is Store =>
  typeof (store as Partial<Store>).createSession === 'function';

type BusConfigInput = NonNullable<ConfigInput['bus']>;

const isBus = (bus: MessageBus | BusConfigInput): bus is MessageBus =>
  typeof (bus as Partial<MessageBus>).publish === 'function';

/**
 * The configured bus: in memory (default), or NATS JetStream when `bus.kind` is `nats` (only then
 * is the NATS client loaded). Throws a message naming host:port when NATS cannot be reached.
 */
export async function openBus(config: BabelcastConfig, logger: Logger): Promise<MessageBus> {
  if (config.bus.kind === 'memory') return new InMemoryBus();
  const { NatsBus } = await import('@babelcast/bus-nats');
  const { natsUrl, natsPrefix, audioMaxAgeSeconds, audioMaxBytes, replicas } = config.bus;
  return NatsBus.connect({
    url: natsUrl!,
    prefix: natsPrefix,
    audio: { maxAgeMs: audioMaxAgeSeconds * 1000, maxBytes: audioMaxBytes },
    replicas,
    logger,
  });
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

/** What `startServer` was given ready-made, and the config built from the rest. */
interface ResolvedStart {
  config: BabelcastConfig;
  injected: { engines?: EngineSet; store?: Store; bus?: MessageBus; logger?: Logger };
}

/** Options that are config (engine preset name, store and bus sections) go into the config. */
function resolveStartOptions(options: StartOptions): ResolvedStart {
  const { configFile, engineSet, store: storeOption, bus: busOption, logger, env, ...overrides } = options;
  if (typeof overrides.engines === 'string') overrides.engines = { preset: overrides.engines };
  const store = storeOption && isStore(storeOption) ? storeOption : undefined;
  if (storeOption && !store) overrides.store = storeOption;
  const bus = busOption && isBus(busOption) ? busOption : undefined;
  if (busOption && !bus) overrides.bus = busOption;
  const config = loadConfig({ file: configFile, env, overrides });
  if (config.role === 'worker')
    throw new BabelcastError(ErrorCode.VALIDATION, 'role "worker" runs no server: use startWorker');
  return { config, injected: { engines: engineSet, store, bus, logger } };
}

/** Store, bus and engines, opened in that order; what opened is closed again if a later one fails. */
async function openResources(
  { config, injected }: ResolvedStart,
  logger: Logger,
  metrics: Metrics,
): Promise<{ store: Store; bus: MessageBus; engines: EngineSet }> {
  const store = injected.store ?? (await openStore(resolve(config.dataDir), config.store, logger));
  let bus: MessageBus;
  try {
    bus = injected.bus ?? (await openBus(config, logger));
  } catch (err) {
    await store.close();
    throw err;
  }
  bus.onStatus((status) => logger[status === 'connected' ? 'info' : 'warn']({ bus: status }, 'message bus'));
  const engines =
    injected.engines ??
    (await createEngines(config, {
      onCost: (kind, engine, usd) => metrics.engineCostUsd.inc({ kind, engine }, usd),
      onFallback: (event) => metrics.engineFallback(event),
      onRetry: (kind, engine) => metrics.engineRetries.inc({ kind, engine }),
    }));
  try {
    await initEngines(engines);
  } catch (err) {
    await bus.close();
    await store.close();
    throw err;
  }
  return { store, bus, engines };
}

/** The HTTP server (HTTPS with `tls`), and every TCP connection it has, so shutdown can end the ones that linger. */
function createApp(config: BabelcastConfig, logger: Logger) {
  const https =
    config.tls?.certFile && config.tls.keyFile
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : null;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 64 * 1024,
    // request.ip as limits/rate-limit.ts clientAddress() computes it: the n nearest hops are proxies.
    trustProxy: (_address: string, hop: number) => hop < config.trustProxy,
    // Shutdown is bounded by close() below; requests in flight meanwhile are answered normally.
    return503OnClosing: false,
    // Malformed requests Node's parser refuses, and URL errors found before routing: same JSON body.
    clientErrorHandler,
    frameworkErrors: errorHandler,
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;
  // Every TCP connection, HTTP or upgraded.
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  return { app, connections, scheme: https ? 'https' : 'http' };
}

interface RegistryParts {
  gatewayId: string;
  /** Role gateway: who holds each session's lease (the workers run the pipelines). */
  leases: SessionLeases | null;
  engines: EngineSet;
  bus: MessageBus;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Read when a join link is made: known only once the server listens, without `publicUrl`. */
  publicUrl: () => string;
}

function createSessionRegistry(config: BabelcastConfig, parts: RegistryParts): SessionRegistry {
  const { gatewayId, leases, engines, bus, store, logger, metrics } = parts;
  return new SessionRegistry({
    gatewayId,
    pipelines: leases ? { kind: 'workers', leases } : { kind: 'local' },
    engines,
    bus,
    store,
    logger,
    observer: metrics,
    joinUrl: (id) => `${parts.publicUrl()}/join/${id}`,
    logTranscripts: config.logTranscripts,
    defaultTargetLanguages: config.sessions.targetLanguages,
    maxLanguagesPerSession: config.limits.maxLanguagesPerSession,
    // A gateway runs no pipeline: admission by CPU is the workers' (they claim what they can hold).
    capacity: leases ? undefined : capacityPlanner(config, engines),
    idlePauseMs: config.limits.idlePauseMs,
    idleEndMs: config.limits.idleEndMs,
    pipeline: pipelineOptions(config),
    hub: {
      historySize: config.limits.historySize,
      audioDropBytes: config.limits.audioDropBytes,
      maxBufferedBytes: config.limits.maxBufferedBytes,
      stuckMs: config.limits.stuckMs,
      demandGraceMs: config.limits.demandGraceMs,
    },
  });
}

/** What the API needs besides the config. */
interface HttpParts {
  sessions: SessionRegistry;
  store: Store;
  auth: Authenticator;
  metrics: Metrics;
  bus: MessageBus;
  engines: EngineSet;
  logger: Logger;
  /** Engines up and listening (false again once shutdown begins). */
  started: () => boolean;
}

/** The per-address HTTP rate limit, the API and (when installed) the web pages. */
async function registerHttp(app: FastifyInstance, config: BabelcastConfig, parts: HttpParts): Promise<void> {
  const { bus, engines, logger } = parts;
  const routes: RouteDeps = {
    ...parts,
    // A node that lost its bus serves nothing useful: out of the load balancer until it is back.
    isReady: () => parts.started() && bus.status === 'connected',
    busStatus: () => bus.status,
    metricsToken: config.metrics.token,
    voices: (language) => engines.tts.voicesFor?.(language) ?? [],
  };
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  const httpRate = new KeyedBuckets(config.rateLimits.http, config.rateLimits.trackedAddresses);
  app.addHook('onRequest', async (request, reply) => {
    const address = clientAddress(
      request.raw.socket?.remoteAddress,
      request.headers['x-forwarded-for'],
      config.trustProxy,
    );
    if (!httpRate.take(addressKey(address))) {
      reply.header('retry-after', '1');
      throw new BabelcastError(ErrorCode.RATE_LIMITED, 'too many requests from your address; slow down');
    }
  });
  await app.register(apiRoutes, routes);
  try {
    const web = await import('@babelcast/web');
    if (typeof web.webRoutes === 'function') await app.register(web.webRoutes, {});
  } catch (err) {
    logger.warn({ err }, 'web pages not available');
  }
}

/**
 * Sessions by state and live time (for cost per session-hour) every 5 s, and transcript retention
 * unless the store was injected; returns the function that stops both.
 */
async function startBackgroundWork(
  config: BabelcastConfig,
  parts: {
    sessions: SessionRegistry;
    metrics: Metrics;
    store: Store;
    logger: Logger;
    storeInjected: boolean;
  },
): Promise<() => void> {
  const { sessions, metrics, store, logger } = parts;
  const liveTicker = setInterval(() => {
    const live = sessions.liveSessions();
    metrics.sessions.reset();
    for (const s of live) metrics.sessions.inc({ state: s.state });
    metrics.sessionSeconds.inc(live.filter((s) => s.state === 'live').length * 5);
  }, 5000);
  liveTicker.unref();
  let stopRetention: () => void = () => {};
  if (!parts.storeInjected) {
    // Store-agnostic (it calls purgeOlderThan): the same policy for SQLite and PostgreSQL.
    const { startRetention } = await import('@babelcast/store-sqlite');
    stopRetention = startRetention(store, { retentionHours: config.retentionHours, logger });
  }
  return () => {
    clearInterval(liveTicker);
    stopRetention();
  };
}

/** Listens on the configured port (0: any); returns it and the URL to show. */
async function listen(app: FastifyInstance, config: BabelcastConfig, scheme: string) {
  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return { port, url: `${scheme}://${shownHost}:${port}` };
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const start = resolveStartOptions(options);
  const { config } = start;
  const logger = start.injected.logger ?? createLogger({ level: config.logLevel });
  const metrics = new Metrics({ sessionLabels: config.metrics.sessionLabels });
  const { store, bus, engines } = await openResources(start, logger, metrics);
  let ready = false;
  const { app, connections, scheme } = createApp(config, logger);

  let publicUrl = config.publicUrl?.replace(/\/$/, '') ?? '';
  const gatewayId = nodeId('gw');
  // Role gateway: pipelines run on workers, which hold leases; this node only asks who holds one.
  const leases = config.role === 'gateway' ? await gatewayLeases(bus, gatewayId) : null;
  const parts = { gatewayId, leases, engines, bus, store, logger, metrics, publicUrl: () => publicUrl };
  const sessions = createSessionRegistry(config, parts);
  const auth = new Authenticator(config.auth, store);
  await migrateLegacyJwtIds(store, config.auth.jwt, logger);

  await registerHttp(app, config, {
    sessions,
    store,
    auth,
    metrics,
    bus,
    engines,
    logger,
    started: () => ready,
  });
  // WebSockets share the HTTP port; the upgrade is routed by path (see ws/gateway.ts).
  const deps = { sessions, bus, auth, metrics, logger, config, codec: engines.codec.capabilities };
  const gateway = new WsGateway(app.server, deps);
  const storeInjected = start.injected.store !== undefined;
  const stopBackground = await startBackgroundWork(config, {
    sessions,
    metrics,
    store,
    logger,
    storeInjected,
  });

  const { port, url } = await listen(app, config, scheme);
  if (!publicUrl) publicUrl = url;
  ready = true;
  // In the background: the server answers meanwhile; the first session just may not be warm yet.
  const warmedUp =
    config.pipeline.warmUp && !leases
      ? warmUpEngines(engines, logger).catch(() => null)
      : Promise.resolve(null);
  logger.info(
    { url, engines: Object.fromEntries(Object.entries(engines).map(([k, e]) => [k, e.info.id])) },
    'babelcast ready',
  );

  const shutdown = (): Promise<void> => {
    ready = false;
    stopBackground();
    return shutdownServer(config, { ...parts, app, connections, sessions, gateway });
  };
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    config,
    app,
    sessions,
    metrics,
    store,
    engines,
    warmedUp,
    createApiToken: (name, role) => createApiTokenIn(store, name, role),
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** What a server's shutdown ends, in order. */
interface ShutdownParts {
  app: FastifyInstance;
  connections: Set<Socket>;
  sessions: SessionRegistry;
  gateway: WsGateway;
  engines: EngineSet;
  leases: SessionLeases | null;
  bus: MessageBus;
  store: Store;
  logger: Logger;
}

/**
 * Bounded: whatever the sockets (half-open, never reading, mid-upgrade) and the pipelines are
 * doing, this returns within limits.shutdownTimeoutMs (plus what closing the store takes).
 */
async function shutdownServer(config: BabelcastConfig, parts: ShutdownParts): Promise<void> {
  const { app, connections, sessions, gateway, engines, leases, bus, store, logger } = parts;
  const deadline = Date.now() + config.limits.shutdownTimeoutMs;
  // The last part of the budget is kept for dropping sockets and closing engines and store.
  const reserve = Math.min(1000, config.limits.shutdownTimeoutMs / 5);
  const left = (keep = 0) => Math.max(0, deadline - keep - Date.now());
  // Stops listening and closes idle keep-alive connections; resolves once every connection is gone.
  const appClosed = app.close();
  if (!(await within(sessions.shutdown(), left(reserve))))
    logger.warn('sessions did not finish flushing before the shutdown deadline');
  gateway.beginShutdown();
  while (connections.size > 0 && left(reserve) > 0) {
    app.server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, Math.min(50, left(reserve))));
  }
  if (connections.size > 0) logger.warn({ sockets: connections.size }, 'dropping sockets still open');
  gateway.terminateAll();
  for (const socket of connections) socket.destroy();
  await within(appClosed, left());
  const enginesClosed = closeEngines(engines).catch((err) => logger.error({ err }, 'engines did not close'));
  if (!(await within(enginesClosed, left()))) logger.warn('engines did not close in time');
  await leases?.close();
  await bus.close();
  await store.close();
  logger.info('babelcast stopped');
}

/** The pipeline slice of the config, as sessions and workers take it. */
export function pipelineOptions(config: BabelcastConfig): SessionRuntimeOptions['pipeline'] {
  return {
    endpointing: {
      silenceMs: config.pipeline.silenceMs,
      maxUtteranceMs: config.pipeline.maxUtteranceMs,
      threshold: config.pipeline.vadThreshold,
    },
    track: {
      ttsRate: config.pipeline.ttsRate,
      framesPerPacket: config.pipeline.framesPerPacket,
      warmUp: config.pipeline.warmUp,
    },
    mode: config.pipeline.mode,
    simultaneous: config.pipeline.simultaneous,
    voice: config.pipeline.voice,
    backlog: {
      highSeconds: config.limits.maxAsrBacklogSeconds,
      lowSeconds: config.limits.maxAsrBacklogSeconds / 2,
    },
  };
}

/** A node id usable as a subject token: `<kind>-<host>-<pid>-<random>`. */
export function nodeId(kind: string): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '')
      .slice(0, 24) || 'host';
  return `${kind}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

async function gatewayLeases(bus: MessageBus, id: string) {
  const { NatsBus } = await import('@babelcast/bus-nats');
  if (!(bus instanceof NatsBus))
    throw new BabelcastError(ErrorCode.VALIDATION, 'role "gateway" needs the NATS bus');
  return bus.leases(id);
}

export { MemoryStore };
