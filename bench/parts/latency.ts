/**
 * Latency: the English dev clips replayed in real time into a server (its own process) with
 * listeners in 2–3 languages; p50/p95 of each stage over all clips, and the server's CPU per
 * second of speech (the whole-session real-time factor).
 */
import { speechClip } from '@babelcast/core/testing';
import { type ReplayResult, replay, percentiles } from '../../packages/cli/src/replay/index.ts';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';

export interface LatencyOptions {
  engines: { preset: 'embedded' | 'fake' } & Partial<Record<'vad' | 'asr' | 'mt' | 'tts' | 'codec', string>>;
  clips: string[];
  listen: string[];
  log: (line: string) => void;
}

export async function runLatency(options: LatencyOptions) {
  const server = await ServerProcess.start({ engines: options.engines });
  try {
    const before = await server.usage();
    const perClip: Array<{
      file: string;
      inputMs: number;
      latencyMs: ReplayResult['summary']['latencyMs'];
      transcript: Record<string, string>;
    }> = [];
    const results: ReplayResult[] = [];
    for (const file of options.clips) {
      options.log(`latency: ${file}`);
      const r = await replay({
        file: speechClip(file),
        source: 'en',
        listen: options.listen,
        server: { url: server.url, token: server.token },
      });
      results.push(r);
      perClip.push({
        file,
        inputMs: r.summary.inputMs,
        latencyMs: r.summary.latencyMs,
        transcript: r.summary.transcript,
      });
    }
    const after = await server.usage();
    // Pool every clip's latency samples (recomputed from the per-clip figures' raw events).
    const pooled = poolLatencies(results);
    const inputMs = perClip.reduce((n, c) => n + c.inputMs, 0);
    return {
      engines: server.engines,
      listen: options.listen,
      clips: perClip,
      latencyMs: pooled,
      speechSeconds: Math.round(inputMs / 100) / 10,
      serverCpuPct: cpuPercent(before, after),
      sessionCpuRtf: Math.round(((after.cpuMs - before.cpuMs) / inputMs) * 1000) / 1000,
      serverRssPeakMb: mb(after.rssPeak),
    };
  } finally {
    await server.stop();
  }
}

/** Same definitions as the replay summary, over all clips together. */
export function poolLatencies(results: ReplayResult[]) {
  const stages = {
    partial: [] as number[],
    final: [] as number[],
    translation: [] as number[],
    audio: [] as number[],
  };
  for (const r of results) {
    for (const stage of Object.keys(stages) as (keyof typeof stages)[])
      stages[stage].push(...r.samples[stage]);
  }
  return {
    partial: percentiles(stages.partial),
    final: percentiles(stages.final),
    translation: percentiles(stages.translation),
    audio: percentiles(stages.audio),
  };
}
