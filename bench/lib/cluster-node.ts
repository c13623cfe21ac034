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
import { answerParent } from './child-rpc.ts';
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
answerParent(usage, {
  stop: async () => {
    usage.stop();
    await node.close().catch(() => {});
    return null;
  },
});
process.send!({ type: 'ready', url: node.url });
