/**
 * The benchmark suite behind `npm run bench` (`babelcast bench`). Each part is selectable; the
 * report (JSON, Markdown, SVG chart) goes to bench/results/ stamped with the machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineKind } from '@babelcast/core';
import { ENGINE_REGISTRY, PRESETS } from '@babelcast/server';
import { runAccuracy } from './parts/accuracy.ts';
import { runCluster } from './parts/cluster.ts';
import { DEFAULT_FANOUT_LANGUAGES, runFanout } from './parts/fanout.ts';
import { type PipelineMode, runLatency } from './parts/latency.ts';
import { runSoak } from './parts/soak.ts';
import { runThroughput } from './parts/throughput.ts';
import { machine, type Results } from './lib/results.ts';
import { renderChart, renderMarkdown } from './report.ts';

export type { Results } from './lib/results.ts';

export const PARTS = ['latency', 'accuracy', 'throughput', 'fanout', 'soak', 'cluster', 'engines'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  parts: Part[];
  quick: boolean;
  engines: 'embedded' | 'fake';
  /** Latency part: pipeline modes to compare (default both: sentence, simultaneous). */
  modes?: PipelineMode[];
  /** Latency part: clips instead of the default ones. */
  clips?: string[];
  /** Latency part: replay speed (1 = real time, the default; other speeds only to try the part out). */
  speed?: number;
  soakMinutes?: number;
  fanoutMax?: number;
  /** Fan-out part: target languages the listeners are split between (default es, fr). */
  fanoutLanguages?: string[];
  /** Cluster part: largest fan-out step across the 2 gateways (default 20000, quick 4000). */
  clusterMax?: number;
  outDir?: string;
  log?: (line: string) => void;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function runBench(options: BenchOptions): Promise<{ results: Results; files: string[] }> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const q = options.quick;
  // An engine the preset names but nobody has registered yet is replaced by its fake, and said so.
  const engines: { preset: 'embedded' | 'fake' } & Partial<Record<EngineKind, string>> = {
    preset: options.engines,
  };
  const substituted: string[] = [];
  const fakes: Record<EngineKind, string> = {
    vad: 'energy',
    asr: 'fake',
    mt: 'fake',
    tts: 'fake',
    codec: 'pcm',
  };
  for (const [kind, name] of Object.entries(PRESETS[options.engines]) as [EngineKind, string][]) {
    if (!(name in ENGINE_REGISTRY[kind])) {
      engines[kind] = fakes[kind];
      substituted.push(`${kind} "${name}" is not registered: ${fakes[kind]} used instead`);
    }
  }
  for (const s of substituted) log(`note: ${s}`);
  const results: Results = { machine: machine(), quick: q, engines, substituted, parts: {} };
  const started = Date.now();
  const attempt = async (part: Part, run: () => Promise<unknown>) => {
    if (!options.parts.includes(part)) return;
    const t = Date.now();
    log(`== ${part}`);
    try {
      results.parts[part] = { ...((await run()) as object), seconds: Math.round((Date.now() - t) / 1000) };
    } catch (err) {
      log(`${part} failed: ${(err as Error).stack ?? err}`);
      results.parts[part] = { error: (err as Error).message, seconds: Math.round((Date.now() - t) / 1000) };
    }
  };

  await attempt('latency', () =>
    runLatency({
      engines,
      // The long-form talks of issue 9's goals: continuous speech where sentence mode falls behind.
      clips:
        options.clips ?? (q ? ['ljspeech-01.wav', 'fleurs-en-01.wav'] : ['long-en-01.wav', 'long-en-02.wav']),
      listen: ['es', 'fr'],
      modes: options.modes,
      speed: options.speed,
      log,
    }),
  );
  await attempt('accuracy', () =>
    runAccuracy({
      engines,
      floresSentences: q ? 40 : 200,
      clipsPerLanguage: q ? 5 : undefined,
      targets: q ? ['es', 'fr'] : ['es', 'fr', 'pt', 'it', 'ca', 'de'],
      log,
    }),
  );
  await attempt('throughput', () =>
    runThroughput({
      engines,
      clip: q ? 'ljspeech-01.wav' : 'long-en-02.wav',
      asrClips: q
        ? ['ljspeech-01.wav', 'fleurs-en-02.wav']
        : ['long-en-01.wav', 'long-en-02.wav', 'librivox-01.wav'],
      steps: q ? [1, 2, 4] : [1, 2, 3, 4, 6, 8, 10, 12, 16],
      listen: ['es', 'fr'],
      log,
    }),
  );
  await attempt('fanout', () => {
    const all = [100, 1000, 5000, 10_000, 15_000, 19_000];
    const max = options.fanoutMax ?? (q ? 5000 : 19_000);
    return runFanout({
      steps: all.filter((n) => n <= max),
      clip: q ? 'ljspeech-01.wav' : 'long-en-02.wav',
      processes: 2,
      languages: options.fanoutLanguages ?? DEFAULT_FANOUT_LANGUAGES,
      log,
    });
  });
  await attempt('soak', () =>
    runSoak({
      sessions: 10,
      listenersPerSession: 50,
      durationS: Math.round((options.soakMinutes ?? (q ? 1 : 30)) * 60),
      log,
    }),
  );
  await attempt('cluster', () => {
    // 2 gateways + 2 workers on this machine's NATS and PostgreSQL (issue 11's cluster bench).
    const all = [1000, 5000, 10_000, 15_000, 20_000];
    const max = options.clusterMax ?? (q ? 4000 : 20_000);
    return runCluster({
      gateways: 2,
      workers: 2,
      failover: q
        ? { runs: 3, clip: 'long-en-01.wav', streamS: 14, killAtS: 6 }
        : { runs: 3, clip: 'long-en-01.wav', streamS: 30, killAtS: 12 },
      fanout: {
        steps: q ? [1000, Math.min(max, 4000)] : [...all.filter((n) => n < max), max],
        clip: q ? 'ljspeech-01.wav' : 'long-en-02.wav',
        streamS: q ? 10 : 20,
        processes: 2,
        languages: options.fanoutLanguages ?? DEFAULT_FANOUT_LANGUAGES,
      },
      spread: { sessions: 8, clip: 'ljspeech-01.wav', streamS: q ? 8 : 10 },
      log,
    });
  });
  await attempt('engines', async () => {
    // The engine packages' own benchmarks (per-engine RTF, memory, detail): run them in full mode,
    // cite their last results in a quick one.
    const out: Results = {};
    for (const name of ['asr-vad', 'mt-tts']) {
      const script = join(root, 'bench', `${name}.bench.ts`);
      const file = join(root, 'bench', 'results', `${name}.json`);
      if (!q && existsSync(script)) {
        log(`engines: running bench/${name}.bench.ts`);
        execFileSync(process.execPath, ['--import', 'tsx', script], {
          cwd: root,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      }
      out[name] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    }
    return out;
  });

  results.totalSeconds = Math.round((Date.now() - started) / 1000);
  // Every failed step of every part, in one place: a failure is reported, never dropped.
  results.failedSteps = Object.entries(results.parts as Results).flatMap(([part, v]) =>
    v.error
      ? [{ part, step: 'part', error: v.error }]
      : ((v.failed ?? []) as Array<Record<string, unknown>>).map((f) => ({ part, ...f })),
  );
  const outDir = options.outDir ?? join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  results.machine.loadAverage1mAtEnd = Math.round(loadavg()[0]! * 100) / 100;
  // The file name says which parts when not all ran (bench-…-full-latency.json).
  const subset = PARTS.every((p) => options.parts.includes(p)) ? '' : `-${options.parts.join('-')}`;
  const stamp = `${results.machine.date.slice(0, 16).replace(/[:T]/g, '-')}-${q ? 'quick' : 'full'}${subset}`;
  const base = join(outDir, `bench-${stamp}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.svg`, renderChart(results));
  writeFileSync(`${base}.md`, renderMarkdown(results, `bench-${stamp}.svg`));
  return { results, files: [`${base}.json`, `${base}.md`, `${base}.svg`] };
}
