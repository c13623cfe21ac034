/**
 * A worker process (role `worker`): engines, the store, the bus and a WorkerNode that claims live
 * sessions and runs their pipelines. It serves no clients; its port answers /healthz, /readyz
 * (ready while the bus is connected) and /metrics for the operator.
 */
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  type EngineSet,
  type MessageBus,
  Metrics,
  type Store,
  storeStatusEvery,
  WorkerNode,
  warmUpEngines,
} from '@babelcast/core';
import { BabelcastError, ErrorCode } from '@babelcast/protocol';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { type ConfigInput, loadConfig } from './config.ts';
import { closeEngines, createEngines, initEngines } from './engines.ts';
import { clientErrorHandler, errorHandler, notFoundHandler } from './http/errors.ts';
import { assertMetricsAccess } from './http/routes.ts';
import { nodeId, openBus, openStore, pipelineOptions } from './server.ts';

export interface StartWorkerOptions {
  configFile?: string;
  overrides?: ConfigInput | Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Use these engines instead of building them from config (tests). */
  engineSet?: EngineSet;
}

export interface RunningWorker {
  id: string;
  url: string;
  port: number;
  node: WorkerNode;
  metrics: Metrics;
  store: Store;
  /** Finish the held sessions' audio, release them, close everything. */
  close(): Promise<void>;
}

/** What a worker's port answers: /healthz, /readyz (ready while the bus is connected) and /metrics. */
function operatorApp(
  logger: Logger,
  metricsToken: string | undefined,
  bus: MessageBus,
  node: WorkerNode,
  metrics: Metrics,
) {
  const app = Fastify({ loggerInstance: logger, clientErrorHandler, frameworkErrors: errorHandler });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.get('/healthz', async () => ({ ok: true }));
  const storeStatus = storeStatusEvery(node.store);
  app.get('/readyz', async (_req, reply) => {
    const store = await storeStatus();
    const ready = bus.status === 'connected' && store !== 'unreachable';
    const body = { ready, bus: bus.status, store, sessions: node.sessions.length };
    return reply.status(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (request, reply) => {
    assertMetricsAccess(request, metricsToken);
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

export async function startWorker(options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const config = loadConfig({ file: options.configFile, env: options.env, overrides: options.overrides });
  if (config.role !== 'worker')
    throw new BabelcastError(ErrorCode.VALIDATION, `startWorker needs role "worker" (got "${config.role}")`);
  const id = nodeId('worker');
  const logger = (options.logger ?? createLogger({ level: config.logLevel })).child({ worker: id });
  const metrics = new Metrics({ sessionLabels: config.metrics.sessionLabels });
  const store = await openStore(config.dataDir, config.store, logger);
  const opened: { close(): Promise<void> }[] = [store];
  const closeOpened = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => {});
  };
  try {
    const bus = await openBus(config, logger);
    opened.push(bus);
    const { NatsBus } = await import('@babelcast/bus-nats');
    if (!(bus instanceof NatsBus))
      throw new BabelcastError(ErrorCode.VALIDATION, 'role "worker" needs the NATS bus');
    const leases = await bus.leases(id);
    const engines =
      options.engineSet ??
      (await createEngines(config, {
        onCost: (kind, engine, usd) => metrics.engineCostUsd.inc({ kind, engine }, usd),
        onFallback: (event) => metrics.engineFallback(event),
        onRetry: (kind, engine) => metrics.engineRetries.inc({ kind, engine }),
      }));
    opened.push({ close: () => closeEngines(engines) });
    await initEngines(engines);
    const node = new WorkerNode({
      workerId: id,
      engines,
      bus,
      store,
      leases,
      logger,
      observer: metrics,
      pipeline: pipelineOptions(config),
      logTranscripts: config.logTranscripts,
      maxSessions: config.workerMaxSessions,
    });

    const app = operatorApp(logger, config.metrics.token, bus, node, metrics);
    await app.listen({ port: config.port, host: config.host });
    const port = (app.server.address() as AddressInfo).port;
    // Warm before claiming: the first sentence of a session taken over must not pay for cold engines.
    if (config.pipeline.warmUp) await warmUpEngines(engines, logger).catch(() => null);
    node.start();
    logger.info({ port, maxSessions: config.workerMaxSessions }, 'babelcast worker ready');

    let closing: Promise<void> | null = null;
    return {
      id,
      url: `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`,
      port,
      node,
      metrics,
      store,
      close() {
        closing ??= (async () => {
          await node.close();
          await leases.close();
          await app.close();
          await closeOpened();
          logger.info('babelcast worker stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}
