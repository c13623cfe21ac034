/**
 * Throughput: the recogniser's real-time factor on its own, then concurrent real-time sessions
 * (English, 2 target languages) on one server until latency grows: the most sessions one node
 * sustains. A step holds when every session finished with text and its final-caption p95 stays
 * within max(2 × the one-session p95, one-session p95 + 1 s).
 *
 * Each step also says where the CPU went (the server's main thread, its other threads — the
 * recogniser workers among them —, apertium-apy, the voice programs run per sentence, and the
 * replay clients in this process, which share the machine's cores) and how the server's event
 * loop and translator kept up. `config` (`--config FILE`) runs the servers with settings over the
 * defaults, e.g. `{"pipeline":{"mode":"sentence"}}`.
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
import { procAvailable, type TreeCpu, treeCpu, treeCpuPercent } from '../lib/process-tree.ts';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';
import { poolLatencies } from './latency.ts';

export interface ThroughputOptions {
  engines: { preset: 'embedded' | 'fake' } & Partial<Record<'vad' | 'asr' | 'mt' | 'tts' | 'codec', string>>;
  clip: string;
  asrClips: string[];
  steps: number[];
  listen: string[];
  /** Server settings over the defaults (merged like a config file), e.g. { pipeline: { mode: 'sentence' } }. */
  config?: Record<string, unknown>;
  log: (line: string) => void;
}

export async function runThroughput(options: ThroughputOptions) {
  const asr = await recogniserAlone(options);
  const steps: ThroughputStep[] = [];
  let baseline: { final: number; translation: number } | null = null;
  let serverEngines: Record<string, string> = {};
  for (const k of options.steps) {
    options.log(`throughput: ${k} concurrent session(s)…`);
    const server = await ServerProcess.start({ engines: options.engines, config: options.config });
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
    ...(options.config && { config: options.config }),
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
  const pid = server.child.pid!;
  const treeBefore = procAvailable() ? treeCpu(pid) : null;
  const clientBefore = process.cpuUsage();
  await server.request('activity');
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
  const activity = await server.request<Record<string, unknown>>('activity');
  const where = cpuSplit(pid, treeBefore, clientBefore, (after.wallMs - before.wallMs) / 1000);
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
  options.log(`  cpu split ${JSON.stringify(where)}; ${JSON.stringify(activity)}`);
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
      ...(where && { cpuSplitPct: where }),
      activity,
      held,
    },
  };
}

/** Where the CPU of a step went, in % of one core: see treeCpuPercent; null without /proc. */
function cpuSplit(pid: number, before: TreeCpu | null, client: NodeJS.CpuUsage, seconds: number) {
  if (!before) return null;
  const server = treeCpuPercent(pid, before, treeCpu(pid), seconds);
  const used = process.cpuUsage(client);
  return {
    serverMainThread: server.mainThread,
    serverOtherThreads: server.otherThreads.slice(0, 4),
    serverOtherThreadsTotal: Math.round(server.otherThreads.reduce((a, b) => a + b, 0) * 10) / 10,
    childrenExited: server.exitedChildren,
    childrenRunning: server.liveDescendants,
    replayClients: Math.round(((used.user + used.system) / 1e6 / seconds) * 1000) / 10,
  };
}
