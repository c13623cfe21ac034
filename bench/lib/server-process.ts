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
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
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

/**
 * Why a step is slow, from inside the server: how late the main thread's event loop runs timers
 * (delay percentiles) and how busy it is (utilization), and how many translations the pipeline
 * asked for and how long they took (queueing in apertium-apy included). Reset by each `activity`.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let loopSince = performance.eventLoopUtilization();
const mt = { calls: 0, ms: 0, inFlight: 0, maxInFlight: 0 };
const engine = server.engines.mt;
const translate = engine.translate.bind(engine);
engine.translate = async (request) => {
  mt.calls++;
  mt.inFlight++;
  mt.maxInFlight = Math.max(mt.maxInFlight, mt.inFlight);
  const t = performance.now();
  try {
    return await translate(request);
  } finally {
    mt.inFlight--;
    mt.ms += performance.now() - t;
  }
};
const sent = { translations: 0, drafts: 0, audio: 0 };
{
  const bus = (server.sessions as unknown as { options: { bus: MessageBus } }).options.bus;
  const publish = bus.publish.bind(bus);
  bus.publish = (subject, message) => {
    if (message.type === 'caption' && message.event.kind === 'translation') sent.translations++;
    else if (message.type === 'draft') sent.drafts++;
    else if (message.type === 'audio') sent.audio++;
    publish(subject, message);
  };
}
function activity() {
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const answer = {
    eventLoopDelayMs: {
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    },
    eventLoopUtilization: Math.round(performance.eventLoopUtilization(loopSince).utilization * 1000) / 1000,
    mt: { calls: mt.calls, meanMs: mt.calls ? Math.round(mt.ms / mt.calls) : 0, maxInFlight: mt.maxInFlight },
    published: { ...sent },
  };
  loopDelay.reset();
  loopSince = performance.eventLoopUtilization();
  Object.assign(mt, { calls: 0, ms: 0, maxInFlight: mt.inFlight });
  Object.assign(sent, { translations: 0, drafts: 0, audio: 0 });
  return answer;
}

answerParent(usage, {
  activity,
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
