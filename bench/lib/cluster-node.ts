/**
 * One node of a benchmark cluster in its own process: `node --import tsx cluster-node.ts` with
 * BENCH_ROLE (gateway | worker) and BENCH_CONFIG (config overrides as JSON: NATS prefix,
 * PostgreSQL schema, token, engines). Engines come from the config (fake with real Opus in the
 * cluster part). Driven over IPC by ClusterNode (cluster-client.ts): it says `{ type: 'ready', url }`
 * when up, answers `usage` and `resetPeak`, and stops cleanly on `stop` (a failover run sends
 * SIGKILL instead).
 */
import { createLogger } from '@babelcast/core';
import { startServer, startWorker } from '@babelcast/server';
import { trackUsage } from './process-usage.ts';

const role = process.env.BENCH_ROLE;
const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as Record<string, unknown>;
const logger = createLogger({ level: 'warn', destination: process.stderr });
const overrides = { ...config, role, port: 0, host: '127.0.0.1' };

const node =
  role === 'worker'
    ? await startWorker({ overrides, logger })
    : await startServer({ ...(overrides as Parameters<typeof startServer>[0]), logger });

const usage = trackUsage();

type Request = { id: number; cmd: 'usage' | 'resetPeak' | 'stop' };
process.on('message', async (req: Request) => {
  const reply = (result: unknown) => process.send!({ id: req.id, result });
  switch (req.cmd) {
    case 'usage':
      reply(usage.now());
      return;
    case 'resetPeak':
      usage.resetPeak();
      reply(null);
      return;
    case 'stop':
      usage.stop();
      await node.close().catch(() => {});
      reply(null);
      process.disconnect();
      return;
  }
});
process.send!({ type: 'ready', url: node.url });
