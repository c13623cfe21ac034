/**
 * Throughput: the recogniser's real-time factor on its own, then concurrent real-time sessions
 * (English, 2 target languages) on one server until latency grows: the most sessions one node
 * sustains. A step holds when every session finished with text and its final-caption p95 stays
 * within max(2 × the one-session p95, one-session p95 + 1 s).
 */
import { readWavFile } from '@babelcast/core';
import { speechClip } from '@babelcast/core/testing';
import {
  percentiles,
  type ReplayResult,
  replay,
  transcribeSamples,
  withConfiguredEngines,
} from '@babelcast/cli/replay';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';
import { poolLatencies } from './latency.ts';

export interface ThroughputOptions {
  engines: { preset: 'embedded' | 'fake' } & Partial<Record<'vad' | 'asr' | 'mt' | 'tts' | 'codec', string>>;
  clip: string;
  asrClips: string[];
  steps: number[];
  listen: string[];
  log: (line: string) => void;
}

export async function runThroughput(options: ThroughputOptions) {
  const asr = await recogniserAlone(options);
  const steps: ThroughputStep[] = [];
  let baseline: { final: number; translation: number } | null = null;
  let serverEngines: Record<string, string> = {};
  for (const k of options.steps) {
    options.log(`throughput: ${k} concurrent session(s)…`);
    const server = await ServerProcess.start({ engines: options.engines });
    serverEngines = server.engines;
    try {
      const step = await concurrentSessions(server, k, options, baseline);
      baseline ??= step.baseline;
      steps.push(step.result);
      if (!step.result.held) break;
    } finally {
      await server.stop();
    }
  }
  const sustained = steps.filter((s) => s.held).at(-1)?.sessions ?? 0;
  return {
    asr,
    clip: options.clip,
    listen: options.listen,
    engines: serverEngines,
    steps,
    sustainedSessions: sustained,
  };
}

/** 1. Recogniser + VAD alone, in this process, one stream at a time. */
async function recogniserAlone(options: ThroughputOptions) {
  return withConfiguredEngines(
    { preset: options.engines.preset, names: options.engines },
    ['vad', 'asr'],
    async (engines, config) => {
      let processing = 0;
      let audio = 0;
      for (const file of options.asrClips) {
        const t = await transcribeSamples(
          engines,
          readWavFile(speechClip(file)).samples,
          'en',
          config.pipeline,
        );
        processing += t.processingMs;
        audio += t.audioMs;
      }
      const asr = {
        engine: engines.asr.info.id,
        vad: engines.vad.info.id,
        rtf: Math.round((processing / audio) * 1000) / 1000,
        audioSeconds: Math.round(audio / 100) / 10,
      };
      options.log(`throughput: ${asr.engine} + ${asr.vad} real-time factor ${asr.rtf}`);
      return asr;
    },
  );
}

type ThroughputStep = Awaited<ReturnType<typeof concurrentSessions>>['result'];

/**
 * 2. `k` sessions at once on one server. The step holds while every session got text and the
 * worst session's final p95 stays within max(2 × the one-session p95, that + 1 s): `baseline`,
 * from the first step (null on the first step itself).
 */
async function concurrentSessions(
  server: ServerProcess,
  k: number,
  options: ThroughputOptions,
  baseline: { final: number; translation: number } | null,
) {
  const before = await server.usage();
  const runs: ReplayResult[] = await Promise.all(
    Array.from({ length: k }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 300)); // stagger, as real talks do not start together
      return replay({
        file: speechClip(options.clip),
        source: 'en',
        listen: options.listen,
        server: { url: server.url, token: server.token },
      });
    }),
  );
  const after = await server.usage();
  const pooled = poolLatencies(runs);
  const finalP95 = pooled.final.p95 ?? Number.POSITIVE_INFINITY;
  const translationP95 = pooled.translation.p95 ?? Number.POSITIVE_INFINITY;
  const base = baseline ?? { final: finalP95, translation: translationP95 };
  const worstFinalP95 = Math.max(
    ...runs.map((r) => percentiles(r.samples.final).p95 ?? Number.POSITIVE_INFINITY),
  );
  const limit = Math.max(2 * base.final, base.final + 1000);
  const empty = runs.filter((r) => !r.summary.transcript.en?.trim()).length;
  const held = empty === 0 && worstFinalP95 <= limit;
  options.log(
    `  final p95 ${pooled.final.p95} ms (worst session ${worstFinalP95}), translation p95 ${pooled.translation.p95} ms, cpu ${cpuPercent(before, after)}%, rss ${mb(after.rssPeak)} MB${held ? '' : ' — latency grew'}`,
  );
  return {
    baseline: base,
    result: {
      sessions: k,
      latencyMs: pooled,
      worstSessionFinalP95: worstFinalP95,
      finalP95LimitMs: Math.round(limit),
      sessionsWithoutText: empty,
      serverCpuPct: cpuPercent(before, after),
      serverRssPeakMb: mb(after.rssPeak),
      held,
    },
  };
}
