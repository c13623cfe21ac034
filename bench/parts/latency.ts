/**
 * Latency: how far behind the speaker listeners are, in both pipeline modes side by side. Each
 * mode gets its own server process (so its CPU is measured alone), warmed with a short clip, then
 * the talks are replayed in real time with listeners in each target language (default: the
 * joined long-form clips `long-en-01` and `long-en-02`, listeners `es` and `fr`).
 *
 * Per mode: text and voice lag behind every 100 ms moment of speech (mean, p50, p95), the voice
 * drift from the first to the last third of each talk, normalized erasure, latency from the last
 * word, the older from-the-endpoint stages, and server CPU per second of speech (the server
 * process alone, and its whole process tree: Apertium and the voices run in child processes).
 * Then the comparison: simultaneous against sentence mode, including chrF of the committed
 * translation against sentence mode's, and against the reference translations where the talk is
 * made of FLEURS clips. A step that fails is reported in `failed` (and in its mode or clip), never
 * dropped. Definitions: packages/cli/src/replay/metrics.ts and docs/benchmarks.md.
 */
import { chrF } from '@babelcast/core';
import { sharedDataDir, speechClip } from '@babelcast/core/testing';
import {
  type FromLastWord,
  meanPercentiles,
  percentiles,
  type ReplayResult,
  replay,
} from '@babelcast/cli/replay';
import { treeCpuSeconds } from '../lib/process-tree.ts';
import { alignToReferences } from '../lib/references.ts';
import { cpuPercent, mb, ServerProcess } from '../lib/server-client.ts';

export type PipelineMode = 'sentence' | 'simultaneous';

export interface LatencyOptions {
  engines: { preset: 'embedded' | 'fake' } & Partial<Record<'vad' | 'asr' | 'mt' | 'tts' | 'codec', string>>;
  clips: string[];
  listen: string[];
  /** Run in this order, each with its own server (default: sentence, then simultaneous). */
  modes?: PipelineMode[];
  /** Replayed once into each server before measuring, not measured (null: none). */
  warmUpClip?: string | null;
  /** 1 = real time (the only speed whose figures mean anything; others are for trying the part out). */
  speed?: number;
  log: (line: string) => void;
}

export const LATENCY_DEFINITIONS = {
  instant:
    'Every lag and latency is measured at the listener, from when the replay client sent the audio in question (the send time of the 200 ms frame holding it) in real time.',
  moments:
    "Moments of speech: every 100 ms inside the source finals' media spans, each span trimmed to the speech by an energy threshold on the audio sent (first and last 10 ms frame above the midpoint in dB between the span's quietest 50 ms and its 95th-percentile frame). The same moments for every language and both modes.",
  textLag:
    "When a moment is first shown: the first non-empty draft or translation of the language with segment start ≤ moment ≤ its mediaEndMs (the line shown is the segment's translations + latest draft), or, once the segment's final and last translation have arrived, all of it; minus the moment's send time.",
  voiceLag:
    "When a moment's translated voice is heard by a listener who plays packets in arrival order, never overlapping (each starts at max(arrival, end of the previous)); a moment in a voice chunk's span [a, b] is heard at the chunk voice's position (m − a)/(b − a) × its duration; a moment between committed chunks when the chunk before it ends (before the first chunk: when it starts), never before it was said. Moments of committed chunks never voiced are counted as unvoicedMoments.",
  voiceDrift:
    "Mean voice lag of the last third of a talk's speech minus that of the first third, per talk and language.",
  erasure:
    'Normalized erasure: words removed from the shown line (past the longest common word prefix) over all updates, divided by the words of the final translations.',
  fromLastWord:
    'final, committing translation and first voice packet measured from the end of the speech (energy threshold) instead of the endpointer close.',
  cpuPerSession:
    'CPU seconds used while replaying divided by seconds of speech replayed: the server process alone (process.cpuUsage, worker threads included), and its whole process tree (/proc).',
  chrF: 'Corpus chrF2 (packages/core/src/text/scoring.ts) of the committed translations: each talk joined, simultaneous against sentence mode; and, for talks joined from FLEURS clips, each clip against its reference translation (translations assigned to clips by the middle of their media span).',
};

interface ClipRun {
  file: string;
  inputMs: number;
  speechMoments: number;
  lagMs: ReplayResult['summary']['lagMs'];
  voiceDriftMs: Record<string, number | null>;
  unshownMoments: Record<string, number>;
  unvoicedMoments: Record<string, number>;
  erasure: Record<string, number | null>;
  fromLastWordMs: ReplayResult['summary']['fromLastWordMs'];
  latencyMs: ReplayResult['summary']['latencyMs'];
  transcript: Record<string, string>;
  cpu: { serverSeconds: number; treeSeconds: number | null };
}

type ClipOutcome = ClipRun | { file: string; error: string };

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round1 = (x: number) => Math.round(x * 10) / 10;
const errorOf = (err: unknown) => (err as Error)?.message ?? String(err);

type Failures = Array<{ mode: PipelineMode; clip?: string; step: string; error: string }>;

export async function runLatency(options: LatencyOptions) {
  const modes = options.modes ?? ['sentence', 'simultaneous'];
  const speed = options.speed ?? 1;
  const warmUpClip = options.warmUpClip === undefined ? 'ljspeech-02.wav' : options.warmUpClip;
  const failed: Failures = [];
  const byMode: Record<string, ModeResult | { error: string }> = {};
  const results: Record<string, ReplayResult[]> = {};
  const clipsByMode: Record<string, ClipOutcome[]> = {};
  let engines: Record<string, string> = {};
  for (const mode of modes) {
    options.log(`latency: ${mode} mode`);
    let server: ServerProcess;
    try {
      server = await ServerProcess.start({ engines: options.engines, config: { pipeline: { mode } } });
    } catch (err) {
      options.log(`latency: ${mode}: the server did not start: ${errorOf(err)}`);
      failed.push({ mode, step: 'server start', error: errorOf(err) });
      byMode[mode] = { error: `server start: ${errorOf(err)}` };
      continue;
    }
    engines = server.engines;
    try {
      const m = await runMode(server, mode, { ...options, speed, warmUpClip }, failed);
      results[mode] = m.runs;
      clipsByMode[mode] = m.clips;
      byMode[mode] = m.result;
    } finally {
      await server.stop().catch(() => {});
    }
  }
  return {
    definitions: LATENCY_DEFINITIONS,
    data: {
      sharedData: sharedDataDir(),
      clips: options.clips,
      warmUpClip,
      listen: options.listen,
      speed,
    },
    engines,
    listen: options.listen,
    modes: byMode,
    clips: clipsByMode,
    comparison: compare(results, options.clips, options.listen, byMode),
    failed,
  };
}

/** One mode on its own server: warmed up, then every clip replayed and measured, then pooled. */
async function runMode(
  server: ServerProcess,
  mode: PipelineMode,
  options: LatencyOptions & { speed: number; warmUpClip: string | null },
  failed: Failures,
) {
  const runs: ReplayResult[] = [];
  const clips: ClipOutcome[] = [];
  const play = (file: string) =>
    replay({
      file: speechClip(file),
      source: 'en',
      listen: options.listen,
      server: { url: server.url, token: server.token },
      speed: options.speed,
    });
  const { warmUpClip } = options;
  if (warmUpClip) {
    options.log(`latency: ${mode}: warming up with ${warmUpClip}`);
    await play(warmUpClip).catch((err) => {
      options.log(`latency: ${mode}: warm-up failed: ${errorOf(err)}`);
      failed.push({ mode, clip: warmUpClip, step: 'warm-up', error: errorOf(err) });
    });
  }
  const before = await server.usage();
  for (const file of options.clips) {
    options.log(`latency: ${mode}: ${file}`);
    const cpuBefore = await cpuSample(server);
    try {
      const run = await play(file);
      const clip = clipRun(file, run, cpuBefore, await cpuSample(server));
      runs.push(run);
      clips.push(clip);
      const lag = Object.entries(clip.lagMs)
        .map(([l, v]) => `${l} text ${v.text.mean}/${v.text.p95} voice ${v.voice.mean}/${v.voice.p95}`)
        .join('; ');
      options.log(`  ${lag} (mean/p95 ms); erasure ${JSON.stringify(clip.erasure)}`);
      if (clip.speechMoments === 0) {
        // Nothing recognised: no figure for this talk, which must not pass for a measurement.
        options.log(`latency: ${mode}: ${file}: no final caption, nothing measured`);
        failed.push({ mode, clip: file, step: 'replay', error: 'no final caption: nothing was measured' });
      }
    } catch (err) {
      options.log(`latency: ${mode}: ${file} failed: ${errorOf(err)}`);
      failed.push({ mode, clip: file, step: 'replay', error: errorOf(err) });
      clips.push({ file, error: errorOf(err) });
    }
  }
  const after = await server.usage();
  const result: ModeResult = {
    ...poolMode(runs, clips, options.listen),
    serverCpuPct: cpuPercent(before, after),
    serverRssPeakMb: mb(after.rssPeak),
  };
  return { runs, clips, result };
}

/** CPU used so far by the server process, and by its whole process tree (null without /proc). */
async function cpuSample(server: ServerProcess) {
  return { serverMs: (await server.usage()).cpuMs, treeSeconds: treeCpuSeconds(server.child.pid) };
}

type CpuSample = Awaited<ReturnType<typeof cpuSample>>;

/** One clip's figures, with the CPU the server (and its process tree) spent replaying it. */
function clipRun(file: string, run: ReplayResult, before: CpuSample, after: CpuSample): ClipRun {
  const s = run.summary;
  return {
    file,
    inputMs: s.inputMs,
    speechMoments: s.speechMoments,
    lagMs: s.lagMs,
    voiceDriftMs: s.voiceDriftMs,
    unshownMoments: s.unshownMoments,
    unvoicedMoments: s.unvoicedMoments,
    erasure: s.erasure,
    fromLastWordMs: s.fromLastWordMs,
    latencyMs: s.latencyMs,
    transcript: s.transcript,
    cpu: {
      serverSeconds: round3((after.serverMs - before.serverMs) / 1000),
      treeSeconds:
        before.treeSeconds === null || after.treeSeconds === null
          ? null
          : round3(after.treeSeconds - before.treeSeconds),
    },
  };
}

type ModeResult = ReturnType<typeof poolMode> & { serverCpuPct: number; serverRssPeakMb: number };

/** Everything of one mode, pooled over its clips (and over languages for `all`). */
function poolMode(runs: ReplayResult[], clips: ClipOutcome[], listen: string[]) {
  const ok = clips.filter((c): c is ClipRun => !('error' in c));
  const langs = [...new Set(runs.flatMap((r) => Object.keys(r.summary.lagMs)))];
  const lag = (kind: 'text' | 'voice', lang?: string) =>
    meanPercentiles(
      runs.flatMap((r) =>
        Object.entries(r.samples.lag)
          .filter(([l]) => lang === undefined || l === lang)
          .flatMap(([, v]) => v[kind].filter((x): x is number => x !== null)),
      ),
    );
  const sum = (pick: (r: ReplayResult) => Record<string, number>, lang: string) =>
    runs.reduce((n, r) => n + (pick(r)[lang] ?? 0), 0);
  const erasure = (lang?: string) => {
    let erased = 0;
    let words = 0;
    for (const r of runs)
      for (const [l, e] of Object.entries(r.samples.erasure)) {
        if (lang !== undefined && l !== lang) continue;
        erased += e.erasedWords;
        words += e.finalWords;
      }
    return words ? round3(erased / words) : null;
  };
  const drift = ok.flatMap((c) =>
    Object.entries(c.voiceDriftMs).map(([lang, ms]) => ({ file: c.file, lang, ms })),
  );
  const driftValues = drift.map((d) => d.ms).filter((x): x is number => x !== null);
  const lastWord: FromLastWord = { final: [], translation: [], firstVoice: [] };
  for (const r of runs)
    for (const k of Object.keys(lastWord) as (keyof FromLastWord)[])
      lastWord[k].push(...r.samples.fromLastWord[k]);
  const stages = ['partial', 'final', 'translation', 'draft', 'audio'] as const;
  const speechMs = ok.reduce((n, c) => n + c.inputMs, 0);
  const serverSeconds = ok.reduce((n, c) => n + c.cpu.serverSeconds, 0);
  const treeSeconds = ok.every((c) => c.cpu.treeSeconds !== null)
    ? ok.reduce((n, c) => n + c.cpu.treeSeconds!, 0)
    : null;
  return {
    clipsRun: ok.length,
    clipsFailed: clips.length - ok.length,
    speechSeconds: round1(speechMs / 1000),
    speechMoments: ok.reduce((n, c) => n + c.speechMoments, 0),
    lagMs: {
      all: { text: lag('text'), voice: lag('voice') },
      ...Object.fromEntries(langs.map((l) => [l, { text: lag('text', l), voice: lag('voice', l) }])),
    },
    unshownMoments: Object.fromEntries(langs.map((l) => [l, sum((r) => r.summary.unshownMoments, l)])),
    unvoicedMoments: Object.fromEntries(langs.map((l) => [l, sum((r) => r.summary.unvoicedMoments, l)])),
    voiceDriftMs: {
      perTalk: drift,
      mean: driftValues.length ? round1(driftValues.reduce((a, b) => a + b, 0) / driftValues.length) : null,
      worst: driftValues.length ? Math.max(...driftValues) : null,
    },
    erasure: { all: erasure(), ...Object.fromEntries(langs.map((l) => [l, erasure(l)])) },
    fromLastWordMs: {
      final: meanPercentiles(lastWord.final),
      translation: meanPercentiles(lastWord.translation),
      firstVoice: meanPercentiles(lastWord.firstVoice),
    },
    latencyMs: Object.fromEntries(stages.map((s) => [s, percentiles(runs.flatMap((r) => r.samples[s]))])),
    cpuPerSession: {
      serverCpuSecondsPerSpeechSecond: speechMs ? round3(serverSeconds / (speechMs / 1000)) : null,
      treeCpuSecondsPerSpeechSecond:
        speechMs && treeSeconds !== null ? round3(treeSeconds / (speechMs / 1000)) : null,
      targetLanguages: listen.filter((l) => l !== 'en').length,
    },
  };
}

/** Simultaneous against sentence mode, where both ran. */
function compare(
  results: Record<string, ReplayResult[]>,
  clips: string[],
  listen: string[],
  byMode: Record<string, ModeResult | { error: string }>,
) {
  const sim = byMode.simultaneous;
  const sen = byMode.sentence;
  if (!sim || !sen || 'error' in sim || 'error' in sen)
    return { available: false, why: 'needs both modes to have run' };
  const targets = listen.filter((l) => l !== 'en');
  const transcriptOf = (mode: string, file: string) => {
    const i = clips.indexOf(file);
    return results[mode]?.find((_, k) => k === i);
  };
  // Clips where a mode failed are left out of the chrF pairing (and said so).
  const paired = clips.filter((f) => transcriptOf('simultaneous', f) && transcriptOf('sentence', f));
  const againstSentence: Record<string, number | null> = {};
  const againstReference: Record<string, ReferenceChrF> = {};
  for (const lang of targets) {
    const pairs = paired.map((f) => ({
      hypothesis: transcriptOf('simultaneous', f)!.summary.transcript[lang] ?? '',
      reference: transcriptOf('sentence', f)!.summary.transcript[lang] ?? '',
    }));
    againstSentence[lang] = pairs.length ? round1(chrF(pairs)) : null;
    const vsReference = chrFAgainstReferences(paired, lang, transcriptOf);
    if (vsReference) againstReference[lang] = vsReference;
  }
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? round3(a / b) : null);
  return {
    available: true,
    clipsPaired: paired,
    sameSourceTranscript: Object.fromEntries(
      paired.map((f) => [
        f,
        transcriptOf('simultaneous', f)!.summary.transcript.en ===
          transcriptOf('sentence', f)!.summary.transcript.en,
      ]),
    ),
    textLagMs: { sentence: pick(sen.lagMs.all.text), simultaneous: pick(sim.lagMs.all.text) },
    voiceLagMs: { sentence: pick(sen.lagMs.all.voice), simultaneous: pick(sim.lagMs.all.voice) },
    voiceDriftMs: {
      sentence: { mean: sen.voiceDriftMs.mean, worst: sen.voiceDriftMs.worst },
      simultaneous: { mean: sim.voiceDriftMs.mean, worst: sim.voiceDriftMs.worst },
    },
    erasure: { sentence: sen.erasure.all, simultaneous: sim.erasure.all },
    chrF: { simultaneousAgainstSentence: againstSentence, againstReference },
    cpuPerSession: {
      sentence: sen.cpuPerSession,
      simultaneous: sim.cpuPerSession,
      ratioServer: ratio(
        sim.cpuPerSession.serverCpuSecondsPerSpeechSecond,
        sen.cpuPerSession.serverCpuSecondsPerSpeechSecond,
      ),
      ratioTree: ratio(
        sim.cpuPerSession.treeCpuSecondsPerSpeechSecond,
        sen.cpuPerSession.treeCpuSecondsPerSpeechSecond,
      ),
    },
  };
}

const pick = (p: { mean: number | null; p95: number | null }) => ({ mean: p.mean, p95: p.p95 });

type ReferenceChrF = { sentence: number; simultaneous: number; delta: number; clips: number };

/**
 * Each mode's translations against the clips' reference translations (talks joined from FLEURS
 * clips only), or undefined where the two modes cannot be compared clip for clip.
 */
function chrFAgainstReferences(
  paired: string[],
  lang: string,
  transcriptOf: (mode: string, file: string) => ReplayResult | undefined,
): ReferenceChrF | undefined {
  const refPairs: Record<string, Array<{ hypothesis: string; reference: string }>> = {
    sentence: [],
    simultaneous: [],
  };
  for (const f of paired)
    for (const mode of ['sentence', 'simultaneous']) {
      const r = transcriptOf(mode, f)!;
      const aligned = alignToReferences(
        f,
        lang,
        r.events.filter((e) => e.type === 'translation' && e.lang === lang),
      );
      if (aligned) refPairs[mode]!.push(...aligned);
    }
  if (!(refPairs.sentence!.length > 0 && refPairs.sentence!.length === refPairs.simultaneous!.length))
    return undefined;
  const a = round1(chrF(refPairs.sentence!));
  const b = round1(chrF(refPairs.simultaneous!));
  return { sentence: a, simultaneous: b, delta: round1(b - a), clips: refPairs.sentence!.length };
}

/** The replay summary's from-the-endpoint stages, over several runs together (throughput part). */
export function poolLatencies(results: ReplayResult[]) {
  const stages = ['partial', 'final', 'translation', 'audio'] as const;
  return Object.fromEntries(
    stages.map((s) => [s, percentiles(results.flatMap((r) => r.samples[s]))]),
  ) as Record<(typeof stages)[number], ReturnType<typeof percentiles>>;
}
