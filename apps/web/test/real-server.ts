/**
 * The real server the full-flow page tests run against: a free port on 127.0.0.1, no logs, the
 * given engines, its data directory (the SQLite store) a fresh temporary one that
 * close() removes after the server has stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type StartOptions, startServer } from '@babelcast/server';

export async function startRealServer(engines: StartOptions['engines']): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-web-'));
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, engines });
    return {
      ...server,
      close: async () => {
        await server.close();
        removeData();
      },
    };
  } catch (err) {
    removeData();
    throw err;
  }
}
