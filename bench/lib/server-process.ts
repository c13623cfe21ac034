/**
 * A Babelcast server in its own process, for benchmarks: its CPU and memory are then the
 * server's alone, not the load generator's. Driven over IPC by ServerProcess (server-client.ts).
 *
 * With BENCH_PROBE=1 it also records when each caption and audio packet is published on the
 * session bus (before the hub sends it to any socket), so listener processes can compute the
 * delay the hub and the network stack add. This reaches into SessionRegistry's private options:
 * bench-only instrumentation, never used by the product.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger, type MessageBus } from '@babelcast/core';
import { startServer } from '@babelcast/server';
import { KIND, type Kind } from './fanout-accounting.ts';
import { answerParent } from './child-rpc.ts';
import { trackUsage } from './process-usage.ts';

// A preset name ("fake", "embedded") or an engines config object as JSON ({"preset":"fake","codec":"opus"}).
const enginesEnv = process.env.BENCH_ENGINES ?? 'fake';
const engines: unknown = enginesEnv.startsWith('{') ? JSON.parse(enginesEnv) : enginesEnv;
const probe = process.env.BENCH_PROBE === '1';
// Config over the defaults, as JSON (e.g. {"pipeline":{"mode":"sentence"}}); merged like a config file.
const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as Record<string, unknown>;
const wallMs = () => performance.timeOrigin + performance.now();

const dataDir = mkdtempSync(join(tmpdir(), 'babelcast-bench-'));
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  engines,
  logger: createLogger({ level: 'warn', destination: process.stderr }),
  ...config,
  limits: { heartbeatMs: 600_000, ...(config.limits as object | undefined) },
});
const token = await server.createApiToken('bench');

/**
 * seq → [publish time (epoch ms, fractional), kind (0 caption | 1 audio | 2 draft), language].
 * The language is the one whose listeners get it: '' for source captions (partial, final), which
 * go to every listener; the target language for translations, drafts and audio packets.
 */
const published = new Map<number, [number, Kind, string]>();
if (probe) {
  const bus = (server.sessions as unknown as { options: { bus: MessageBus } }).options.bus;
  const publish = bus.publish.bind(bus);
  bus.publish = (subject, message) => {
    if (message.type === 'caption') {
      const ev = message.event;
      published.set(ev.seq, [wallMs(), KIND.caption, ev.kind === 'translation' ? ev.lang : '']);
    } else if (message.type === 'audio')
      published.set(message.packet.seq, [wallMs(), KIND.audio, message.packet.language]);
    else if (message.type === 'draft')
      published.set(message.event.seq, [wallMs(), KIND.draft, message.event.lang]);
    publish(subject, message);
  };
}

const usage = trackUsage();

answerParent(usage, {
  published: () => {
    const answer = [...published.entries()].map(([seq, [t, kind, lang]]) => [seq, t, kind, lang]);
    published.clear();
    return answer;
  },
  metrics: async () => {
    const json = await server.metrics.registry.getMetricsAsJSON();
    const pick = (name: string) =>
      (json.find((m) => m.name === name)?.values ?? []).reduce((n, v) => n + Number(v.value), 0);
    return {
      audioDropped: pick('babelcast_listener_audio_dropped_total'),
      slowConsumers: pick('babelcast_slow_consumer_disconnects_total'),
      engineFailures: pick('babelcast_engine_failures_total'),
      pipelineDropped: pick('babelcast_pipeline_dropped_total'),
    };
  },
  stop: async () => {
    usage.stop();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    return null;
  },
});
// Measure a warm server, as a real one is when a talk starts.
await server.warmedUp;
process.send!({
  type: 'ready',
  url: server.url,
  token,
  engines: Object.fromEntries(Object.entries(server.engines).map(([k, e]) => [k, e.info.id])),
});
