/**
 * The voices, per voice and language, on this machine.
 * Run: npx tsx bench/voices.bench.ts [--quick] [--part speed|roundtrip|prosody]
 *   (writes bench/results/voices-<date>[-quick][-<part>].{json,md}; without --part, every part)
 *
 * - speed: time to the first audio of a sentence, real-time factor (wall clock, process start
 *   included, as the pipeline pays it) and CPU per hour of speech (this process and its children),
 *   on the first FLORES sentences of the voice's language, one at a time.
 * - roundtrip: intelligibility as a round trip. The English FLORES sentences synthesised by each
 *   English voice, resampled to 16 kHz and recognised by the embedded recogniser (pocketsphinx),
 *   WER against the sentence. The recogniser is weak: compare voices with each other only.
 * - prosody: the dev talks (long-en-01, long-en-02) replayed at the pace of speech to a Spanish
 *   listener, with `pipeline.voice.prosody` on and off. Per voiced chunk: the speaker's rate
 *   (source words per second of the chunk's span) and loudness (dBFS of its active frames) against
 *   the voice's (translated words per second of speech, dBFS); Pearson correlation over chunks.
 *
 * Every step that fails is listed in `failedSteps` (and at the top of the Markdown), never dropped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type EngineSet,
  type MtEngine,
  readWavFile,
  resample,
  speechFeatures,
  type SynthesizeRequest,
  type TtsChunk,
  type TtsEngine,
  wordErrorRate,
} from '@babelcast/core';
import { floresSentences, speechClip } from '@babelcast/core/testing';
import { EspeakTts } from '@babelcast/engine-espeak';
import { FliteTts } from '@babelcast/engine-flite';
import { PicoTts } from '@babelcast/engine-pico';
import { PocketsphinxAsr } from '@babelcast/engine-pocketsphinx';
import { RhvoiceTts } from '@babelcast/engine-rhvoice';
import { replay } from '@babelcast/cli/replay';
import { closeEngines, createEngines, initEngines, loadConfig, startServer } from '@babelcast/server';
import { machine } from './lib/results.ts';

/** Stamped before any work: the load average then is what the figures ran into. */
const startMachine = machine();
const quick = process.argv.includes('--quick');
const partArg = process.argv.indexOf('--part');
const only = partArg > 0 ? process.argv[partArg + 1] : undefined;
const runs = (part: 'speed' | 'roundtrip' | 'prosody') => only === undefined || only === part;
const SPEED_SENTENCES = quick ? 5 : 20;
// pocketsphinx on a loaded shared 2-core machine took ~4 min per voice for 20 sentences.
const sentencesArg = process.argv.indexOf('--sentences');
const ROUNDTRIP_SENTENCES = sentencesArg > 0 ? Number(process.argv[sentencesArg + 1]) : quick ? 8 : 20;
const TALKS = quick ? ['long-en-02.wav'] : ['long-en-01.wav', 'long-en-02.wav'];
const here = dirname(fileURLToPath(import.meta.url));
const failedSteps: { step: string; error: string }[] = [];
const speed: Record<string, unknown>[] = [];
const roundtrip: Record<string, unknown>[] = [];
const prosodyResults: Record<string, unknown>[] = [];
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function step<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    console.error(`voices bench: ${name}`);
    return await run();
  } catch (err) {
    console.error(`voices bench: ${name} FAILED: ${String(err)}`);
    failedSteps.push({ step: name, error: String((err as Error)?.stack ?? err) });
    return undefined;
  } finally {
    // After every step: a run stopped part-way still leaves what it measured.
    writeResults();
  }
}

/** CPU seconds of this process and of its children that have exited (Linux: /proc/self/stat). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime + cstime, 100 Hz
  return (own.user + own.system) / 1e6 + ticks / 100;
}

interface Voice {
  name: string;
  language: string;
  engine: TtsEngine;
  voice?: string;
}

const espeak = new EspeakTts();
const flite = new FliteTts();
const pico = new PicoTts();
const rhvoice = new RhvoiceTts();
const engines = { espeak, flite, pico, rhvoice };
const available: Record<string, boolean> = {};
for (const [name, e] of Object.entries(engines)) {
  available[name] = (await step(`init ${name}`, () => e.init().then(() => true))) ?? false;
}

const voices: Voice[] = [];
if (available.espeak)
  for (const language of ['en', 'es', 'fr', 'it', 'de', 'pt'])
    voices.push({ name: `espeak-ng:${espeak.voiceFor(language)}`, language, engine: espeak });
if (available.flite) voices.push({ name: `flite:${flite.voice}`, language: 'en', engine: flite });
if (available.pico)
  for (const language of pico.capabilities.languages)
    for (const voice of pico.voicesFor(language))
      voices.push({ name: `pico:${voice}`, language, engine: pico, voice });
if (available.rhvoice)
  for (const language of rhvoice.capabilities.languages)
    for (const voice of rhvoice.voicesFor(language))
      voices.push({ name: `rhvoice:${voice}`, language, engine: rhvoice, voice });

async function synthesize(
  v: Voice,
  text: string,
): Promise<{ firstMs: number; totalMs: number; samples: Int16Array; sampleRate: number }> {
  const started = performance.now();
  let firstMs = 0;
  const parts: TtsChunk[] = [];
  for await (const c of v.engine.synthesize({ text, language: v.language, voice: v.voice })) {
    if (parts.length === 0) firstMs = performance.now() - started;
    parts.push(c);
  }
  const totalMs = performance.now() - started;
  const samples = new Int16Array(parts.reduce((n, p) => n + p.samples.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p.samples, at);
    at += p.samples.length;
  }
  return { firstMs, totalMs, samples, sampleRate: parts[0]?.sampleRate ?? 16000 };
}

// --- speed ----------------------------------------------------------------------------------------
for (const v of runs('speed') ? voices : []) {
  await step(`speed ${v.name} (${v.language})`, async () => {
    const sentences = floresSentences(v.language).slice(0, SPEED_SENTENCES);
    await synthesize(v, sentences[0]!); // first use loads the voice's data (the pipeline warms up too)
    const first: number[] = [];
    let wall = 0;
    let audio = 0;
    const cpu0 = cpuSeconds();
    for (const s of sentences) {
      const r = await synthesize(v, s);
      first.push(r.firstMs);
      wall += r.totalMs / 1000;
      audio += r.samples.length / r.sampleRate;
    }
    const cpu = cpuSeconds() - cpu0;
    speed.push({
      voice: v.name,
      language: v.language,
      sentences: sentences.length,
      firstAudioMs: { p50: round(percentile(first, 50), 1), p95: round(percentile(first, 95), 1) },
      rtf: round(wall / audio, 4),
      cpuSecondsPerHourOfSpeech: Math.round((cpu / audio) * 3600),
      audioSeconds: round(audio, 1),
    });
  });
}

// --- round trip ---------------------------------------------------------------------------------
const asr = new PocketsphinxAsr();
if (runs('roundtrip') && (await step('init pocketsphinx', () => asr.init().then(() => true)))) {
  const english = floresSentences('en').slice(0, ROUNDTRIP_SENTENCES);
  for (const v of voices.filter((x) => x.language === 'en')) {
    await step(`roundtrip ${v.name}`, async () => {
      const pairs: { hypothesis: string; reference: string }[] = [];
      for (const reference of english) {
        const r = await synthesize(v, reference);
        const pcm = resample(r.samples, r.sampleRate, 16000);
        const stream = asr.createStream({ language: 'en', onEvent: () => {} });
        for (let at = 0; at < pcm.length; at += 3200) stream.write(pcm.subarray(at, at + 3200));
        stream.write(new Int16Array(8000)); // a little trailing silence, as after a sentence
        const { text } = await stream.finishUtterance();
        stream.close();
        pairs.push({ hypothesis: text, reference });
      }
      const w = wordErrorRate(pairs);
      roundtrip.push({
        voice: v.name,
        sentences: pairs.length,
        wer: round(w.wer, 3),
        example: pairs[0],
      });
    });
  }
  await asr.close();
}

// --- prosody --------------------------------------------------------------------------------------
function pearson(xs: number[], ys: number[]): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? round(sxy / Math.sqrt(sxx * syy), 3) : null;
}

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;

/** Seconds of speech in synthesised audio: from the first to the last frame above -45 dBFS. */
function speechSeconds(samples: Int16Array, rate: number): number {
  const hop = Math.round(rate / 50);
  const loud: number[] = [];
  for (let at = 0; at + hop <= samples.length; at += hop) {
    let p = 0;
    for (let i = at; i < at + hop; i++) p += samples[i]! * samples[i]!;
    if (10 * Math.log10(p / hop / 32768 ** 2 + 1e-12) > -45) loud.push(at);
  }
  return loud.length ? (loud.at(-1)! - loud[0]! + hop) / rate : 0;
}

interface ChunkRecord {
  speakerRate: number;
  speakerDb: number;
  voiceRate: number;
  voiceDb: number;
  requestedRate: number;
  requestedVolume: number;
}

async function prosodyRun(talk: string, prosody: boolean): Promise<ChunkRecord[]> {
  const config = loadConfig({ overrides: {} });
  const set: EngineSet = await createEngines(config);
  await initEngines(set);
  // Record what the pipeline asks of the translator and the voice (source text → translation;
  // translation → the request and the audio it gave).
  const sources = new Map<string, string>();
  const spoken = new Map<string, { request: SynthesizeRequest; samples: Int16Array; rate: number }>();
  const mt = set.mt;
  const tts = set.tts;
  const recordingMt: MtEngine = Object.assign(Object.create(mt) as MtEngine, {
    async translate(req: Parameters<MtEngine['translate']>[0]) {
      const out = await mt.translate(req);
      sources.set(out.toLowerCase(), req.text);
      return out;
    },
  });
  const recordingTts: TtsEngine = Object.assign(Object.create(tts) as TtsEngine, {
    async *synthesize(request: SynthesizeRequest) {
      const parts: TtsChunk[] = [];
      for await (const c of tts.synthesize(request)) {
        parts.push(c);
        yield c;
      }
      const samples = new Int16Array(parts.reduce((n, p) => n + p.samples.length, 0));
      let at = 0;
      for (const p of parts) {
        samples.set(p.samples, at);
        at += p.samples.length;
      }
      spoken.set(request.text, { request, samples, rate: parts[0]?.sampleRate ?? 16000 });
    },
  });
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    dataDir: mkdtempSync(join(tmpdir(), 'bc-voices-bench-')),
    engineSet: { ...set, mt: recordingMt, tts: recordingTts },
    pipeline: { warmUp: false, voice: { prosody } },
  });
  try {
    const token = await server.createApiToken('bench');
    const { samples } = readWavFile(speechClip(talk));
    const result = await replay({
      samples,
      source: 'en',
      listen: ['es'],
      server: { url: server.url, token },
    });
    const records: ChunkRecord[] = [];
    for (const e of result.events) {
      if (e.type !== 'translation' || e.lang !== 'es' || !e.text) continue;
      const voice = spoken.get(e.text);
      const source = sources.get(e.text.toLowerCase());
      if (!voice || !source) continue;
      const span = samples.subarray(Math.round(e.mediaStartMs * 16), Math.round(e.mediaEndMs * 16));
      const spanSeconds = (e.mediaEndMs - e.mediaStartMs) / 1000;
      const speaker = speechFeatures(span);
      const voiceSeconds = speechSeconds(voice.samples, voice.rate);
      const voiceFeatures = speechFeatures(resample(voice.samples, voice.rate, 16000));
      if (spanSeconds < 0.5 || voiceSeconds <= 0 || speaker.loudnessDb === undefined) continue;
      if (voiceFeatures.loudnessDb === undefined) continue;
      records.push({
        speakerRate: words(source) / spanSeconds,
        speakerDb: speaker.loudnessDb,
        voiceRate: words(e.text) / voiceSeconds,
        voiceDb: voiceFeatures.loudnessDb,
        requestedRate: voice.request.rate ?? 1,
        requestedVolume: voice.request.volume ?? 1,
      });
    }
    return records;
  } finally {
    await server.close();
    await closeEngines(set);
  }
}

for (const on of runs('prosody') ? [true, false] : []) {
  const all: ChunkRecord[] = [];
  for (const talk of TALKS) {
    const records = await step(`prosody ${on ? 'on' : 'off'} ${talk}`, () => prosodyRun(talk, on));
    if (records) all.push(...records);
  }
  prosodyResults.push({
    prosody: on ? 'on' : 'off',
    talks: TALKS,
    chunks: all.length,
    rateCorrelation: pearson(
      all.map((r) => r.speakerRate),
      all.map((r) => r.voiceRate),
    ),
    loudnessCorrelation: pearson(
      all.map((r) => r.speakerDb),
      all.map((r) => r.voiceDb),
    ),
    requestedRate: all.length
      ? {
          min: round(Math.min(...all.map((r) => r.requestedRate))),
          max: round(Math.max(...all.map((r) => r.requestedRate))),
        }
      : null,
    requestedVolume: all.length
      ? {
          min: round(Math.min(...all.map((r) => r.requestedVolume))),
          max: round(Math.max(...all.map((r) => r.requestedVolume))),
        }
      : null,
  });
}

await Promise.all(Object.values(engines).map((e) => e.close()));

// --- results --------------------------------------------------------------------------------------
function resultsBase(): string {
  const stamp = startMachine.date.slice(0, 16).replace(/[T:]/g, '-');
  return join(here, 'results', `voices-${stamp}${quick ? '-quick' : ''}${only ? `-${only}` : ''}`);
}

function writeResults(): void {
  const m = { ...startMachine, finished: new Date().toISOString() };
  const base = resultsBase();
  const results = {
    machine: m,
    parts: only ?? 'all',
    data: {
      speed: `first ${SPEED_SENTENCES} lines of shared/data/text/flores-dev.<lang>.txt per voice`,
      roundtrip: `first ${ROUNDTRIP_SENTENCES} lines of shared/data/text/flores-dev.en.txt, recognised by pocketsphinx en-us`,
      prosody: `shared/data/speech/${TALKS.join(', ')} replayed in real time, listener es (Apertium en→es)`,
    },
    failedSteps,
    speed,
    roundtrip,
    prosody: prosodyResults,
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);

  const md: string[] = [`# Voices benchmark (${m.date})`, ''];
  md.push(
    `Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, load ${m.loadAverage1m} at start (${m.note}).`,
    '',
  );
  if (failedSteps.length) {
    md.push('**Failed steps:**', '');
    for (const f of failedSteps) md.push(`- ${f.step}: ${f.error.split('\n')[0]}`);
    md.push('');
  }
  md.push(
    ...table(
      runs('speed'),
      [
        `## Speed (${results.data.speed})`,
        '',
        '| voice | language | first audio p50 / p95 (ms) | RTF | CPU s per hour of speech |',
        '| --- | --- | --- | --- | --- |',
      ],
      speed as SpeedRow[],
      (s) =>
        `| ${s.voice} | ${s.language} | ${s.firstAudioMs.p50} / ${s.firstAudioMs.p95} | ${s.rtf} | ${s.cpuSecondsPerHourOfSpeech} |`,
    ),
    ...table(
      runs('roundtrip'),
      ['', `## Round trip (${results.data.roundtrip})`, '', '| voice | WER |', '| --- | --- |'],
      roundtrip as { voice: string; wer: number }[],
      (r) => `| ${r.voice} | ${(r.wer * 100).toFixed(1)} % |`,
    ),
    ...table(
      runs('prosody'),
      [
        '',
        `## Prosody (${results.data.prosody})`,
        '',
        '| prosody | chunks | rate correlation | loudness correlation | requested rate | requested volume |',
        '| --- | --- | --- | --- | --- | --- |',
      ],
      prosodyResults as ProsodyRow[],
      (p) =>
        `| ${p.prosody} | ${p.chunks} | ${p.rateCorrelation ?? '—'} | ${p.loudnessCorrelation ?? '—'} | ${p.requestedRate ? `${p.requestedRate.min}–${p.requestedRate.max}` : '—'} | ${p.requestedVolume ? `${p.requestedVolume.min}–${p.requestedVolume.max}` : '—'} |`,
    ),
  );
  writeFileSync(`${base}.md`, `${md.join('\n')}\n`);
}
type SpeedRow = {
  voice: string;
  language: string;
  firstAudioMs: { p50: number; p95: number };
  rtf: number;
  cpuSecondsPerHourOfSpeech: number;
};
type ProsodyRow = {
  prosody: string;
  chunks: number;
  rateCorrelation: number | null;
  loudnessCorrelation: number | null;
  requestedRate: { min: number; max: number } | null;
  requestedVolume: { min: number; max: number } | null;
};

/** A part's heading and table head when it ran, then its rows (none when it did not). */
function table<T>(ran: boolean, heading: string[], rows: T[], row: (r: T) => string): string[] {
  return [...(ran ? heading : []), ...rows.map(row)];
}

writeResults();
const base = resultsBase();
console.log(`wrote ${base}.json and .md${failedSteps.length ? ` (${failedSteps.length} failed steps)` : ''}`);
process.exitCode = failedSteps.length ? 1 : 0;
