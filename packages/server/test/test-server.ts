/**
 * The server most tests start: a free port on 127.0.0.1, no logs, the fake engines, and an
 * in-memory store unless the test names a data directory or a store section (restarts,
 * PostgreSQL). Any start option overrides these.
 */
import { createFakeEngines, MemoryStore } from '@babelcast/core';
import { type RunningServer, type StartOptions, startServer } from '../src/server.ts';

export function startTestServer(overrides: StartOptions = {}): Promise<RunningServer> {
  const inMemory = overrides.dataDir === undefined && overrides.store === undefined;
  return startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    engineSet: createFakeEngines(),
    ...(inMemory ? { store: new MemoryStore() } : {}),
    ...overrides,
  });
}
