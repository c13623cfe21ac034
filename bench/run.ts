/**
 * The benchmark suite behind `npm run bench` (`babelcast bench`). Each part is selectable; the
 * report (JSON, Markdown, SVG chart) goes to bench/results/ stamped with the machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_PARTS,
  type BenchPart,
  type BenchRequest,
  type BenchSuite,
  type FailedStep,
} from '@babelcast/cli/bench-suite';
import type { EngineKind } from '@babelcast/core';
import { ENGINE_REGISTRY, PRESETS } from '@babelcast/server';
import { runAccuracy } from './parts/accuracy.ts';
import { runCluster } from './parts/cluster.ts';
import { DEFAULT_FANOUT_LANGUAGES, runFanout } from './parts/fanout.ts';
import { runLatency } from './parts/latency.ts';
import { runSoak } from './parts/soak.ts';
import { runThroughput } from './parts/throughput.ts';
import { machine, type Results } from './lib/results.ts';
import { renderChart, renderMarkdown } from './report.ts';

export type { Results } from './lib/results.ts';

export const PARTS = BENCH_PARTS;
export type Part = BenchPart;

export interface BenchOptions extends BenchRequest {
  /** Fan-out part: target languages the listeners are split between (default es, fr). */
  fanoutLanguages?: string[];
  /** Cluster part: largest fan-out step across the 2 gateways (default 20000, quick 4000). */
  clusterMax?: number;
  log?: (line: string) => void;
}

type Log = (line: string) => void;
type Engines = { preset: 'embedded' | 'fake' } & Partial<Record<EngineKind, string>>;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function runBench(
  options: BenchOptions,
): Promise<{ results: Results & { failedSteps: FailedStep[] }; files: string[] }> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { engines, substituted } = presetWithFakes(options.engines);
  for (const s of substituted) log(`note: ${s}`);
  const results: Results = { machine: machine(), quick: options.quick, engines, substituted, parts: {} };
  const started = Date.now();
  const runners = partRunners(options, engines, log);
  for (const part of PARTS) {
    if (options.parts.includes(part)) results.parts[part] = await attempt(part, runners[part], log);
  }
  results.totalSeconds = Math.round((Date.now() - started) / 1000);
  results.failedSteps = failedSteps(results.parts);
  return {
    results: results as Results & { failedSteps: FailedStep[] },
    files: writeReport(results, options),
  };
}

/** The cli runs the suite through this (see @babelcast/cli/bench-suite for why not by import). */
export const suite: BenchSuite = { runBench };

/** An engine the preset names but nobody has registered yet is replaced by its fake, and said so. */
function presetWithFakes(preset: 'embedded' | 'fake'): { engines: Engines; substituted: string[] } {
  const engines: Engines = { preset };
  const substituted: string[] = [];
  const fakes: Record<EngineKind, string> = {
    vad: 'energy',
    asr: 'fake',
    mt: 'fake',
    tts: 'fake',
    codec: 'pcm',
  };
  for (const [kind, name] of Object.entries(PRESETS[preset]) as [EngineKind, string][]) {
    if (!(name in ENGINE_REGISTRY[kind])) {
      engines[kind] = fakes[kind];
      substituted.push(`${kind} "${name}" is not registered: ${fakes[kind]} used instead`);
    }
  }
  return { engines, substituted };
}

/** A part's results with its duration; a part that throws is reported with its error, not dropped. */
async function attempt(part: Part, run: () => Promise<unknown>, log: Log): Promise<Results> {
  const t = Date.now();
  log(`== ${part}`);
  try {
    return { ...((await run()) as object), seconds: Math.round((Date.now() - t) / 1000) };
  } catch (err) {
    log(`${part} failed: ${(err as Error).stack ?? err}`);
    return { error: (err as Error).message, seconds: Math.round((Date.now() - t) / 1000) };
  }
}

/** What each part runs, full or quick. */
function partRunners(
  options: BenchOptions,
  engines: Engines,
  log: Log,
): Record<Part, () => Promise<unknown>> {
  const q = options.quick;
  return {
    latency: () =>
      runLatency({
        engines,
        // The long-form talks of issue 9's goals: continuous speech where sentence mode falls behind.
        clips:
          options.clips ??
          (q ? ['ljspeech-01.wav', 'fleurs-en-01.wav'] : ['long-en-01.wav', 'long-en-02.wav']),
        listen: ['es', 'fr'],
        modes: options.modes,
        speed: options.speed,
        log,
      }),
    accuracy: () =>
      runAccuracy({
        engines,
        floresSentences: q ? 40 : 200,
        clipsPerLanguage: q ? 5 : undefined,
        targets: q ? ['es', 'fr'] : ['es', 'fr', 'pt', 'it', 'ca', 'de'],
        log,
      }),
    throughput: () =>
      runThroughput({
        engines,
        clip: q ? 'ljspeech-01.wav' : 'long-en-02.wav',
        asrClips: q
          ? ['ljspeech-01.wav', 'fleurs-en-02.wav']
          : ['long-en-01.wav', 'long-en-02.wav', 'librivox-01.wav'],
        steps: q ? [1, 2, 4] : [1, 2, 3, 4, 6, 8, 10, 12, 16],
        listen: ['es', 'fr'],
        config: options.configFile ? JSON.parse(readFileSync(options.configFile, 'utf8')) : undefined,
        log,
      }),
    fanout: () => {
      const all = [100, 1000, 5000, 10_000, 15_000, 19_000];
      const max = options.fanoutMax ?? (q ? 5000 : 19_000);
      return runFanout({
        steps: all.filter((n) => n <= max),
        clip: q ? 'ljspeech-01.wav' : 'long-en-02.wav',
        processes: 2,
        languages: options.fanoutLanguages ?? DEFAULT_FANOUT_LANGUAGES,
        log,
      });
    },
    soak: () =>
      runSoak({
        sessions: 10,
        listenersPerSession: 50,
        durationS: Math.round((options.soakMinutes ?? (q ? 1 : 30)) * 60),
        log,
      }),
    cluster: () => runClusterPart(options, log),
    engines: async () => runEngineBenches(q, log),
  };
}

/** 2 gateways + 2 workers on this machine's NATS and PostgreSQL (issue 11's cluster bench). */
function runClusterPart(options: BenchOptions, log: Log) {
  const q = options.quick;
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
}

/**
 * The engine packages' own benchmarks (per-engine RTF, memory, detail): run them in full mode,
 * cite their last results in a quick one.
 */
function runEngineBenches(quick: boolean, log: Log): Results {
  const out: Results = {};
  for (const name of ['asr-vad', 'mt-tts']) {
    const script = join(root, 'bench', `${name}.bench.ts`);
    const file = join(root, 'bench', 'results', `${name}.json`);
    if (!quick && existsSync(script)) {
      log(`engines: running bench/${name}.bench.ts`);
      execFileSync(process.execPath, ['--import', 'tsx', script], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    out[name] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  }
  return out;
}

/** Every failed step of every part, in one place: a failure is reported, never dropped. */
function failedSteps(parts: Results): FailedStep[] {
  return Object.entries(parts).flatMap(([part, v]) =>
    v.error
      ? [{ part, step: 'part', error: v.error }]
      : (v.failed ?? []).map((f: Record<string, unknown>) => ({ part, ...f })),
  );
}

/** The JSON, the chart and the Markdown report, stamped with the date, quick or full, and the parts. */
function writeReport(results: Results, options: BenchOptions): string[] {
  const outDir = options.outDir ?? join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  results.machine.loadAverage1mAtEnd = Math.round(loadavg()[0]! * 100) / 100;
  // The file name says which parts when not all ran (bench-…-full-latency.json).
  const subset = PARTS.every((p) => options.parts.includes(p)) ? '' : `-${options.parts.join('-')}`;
  const stamp = `${results.machine.date.slice(0, 16).replace(/[:T]/g, '-')}-${options.quick ? 'quick' : 'full'}${subset}`;
  const base = join(outDir, `bench-${stamp}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.svg`, renderChart(results));
  writeFileSync(`${base}.md`, renderMarkdown(results, `bench-${stamp}.svg`));
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}
